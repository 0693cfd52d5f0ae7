/**
 * Interrupts, stop_on_error, cell-line tracebacks, errors thrown outside
 * cells, bad messages, user_expressions, restart and shutdown.
 */
import { describePythonSuite } from './helpers/python-suite';

describePythonSuite({
  title: 'kernel lifecycle and errors',
  script: 'lifecycle.py',
  modules: ['jupyter_client'],
  expectedTests: 10,
  timeoutMs: 150_000,
});
