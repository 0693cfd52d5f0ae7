/**
 * Every message arrives: 10,000 outputs from one cell (prints, displays,
 * prints between awaits) and 600 queued cells, each with its reply and idle.
 */
import { describePythonSuite } from './helpers/python-suite';

describePythonSuite({
  title: 'kernel output floods',
  script: 'flood.py',
  modules: ['jupyter_client'],
  expectedTests: 5,
  timeoutMs: 180_000,
  check: (result) => {
    const metrics = /METRICS (\{.*\})/.exec(result.stdout + result.stderr);
    if (metrics) process.stdout.write(`kernel flood metrics: ${metrics[1]}\n`);
  },
});
