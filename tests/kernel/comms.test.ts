/**
 * Comms with a real jupyter_client: both directions, buffers, comm_info,
 * unknown targets, failing handlers, and a widget steering a running cell.
 */
import { describePythonSuite } from './helpers/python-suite';

describePythonSuite({
  title: 'kernel comms',
  script: 'comms.py',
  modules: ['jupyter_client'],
  expectedTests: 5,
  timeoutMs: 120_000,
});
