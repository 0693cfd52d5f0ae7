/**
 * Jupyter's own kernel test suite (Debian's python3-jupyter-kernel-test 0.4.5)
 * against our kernel: all 12 tests run, none skipped. Stock tslab passes 7.
 */
import { describePythonSuite } from './helpers/python-suite';

describePythonSuite({
  title: 'kernel conformance (jupyter_kernel_test)',
  script: 'conformance.py',
  modules: ['jupyter_client', 'jupyter_kernel_test'],
  expectedTests: 12,
  timeoutMs: 120_000,
});
