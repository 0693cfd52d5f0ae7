// Child process for the review crash test. Usage:
//   node review-child.cjs <log> decide   -> decides pending candidates one by one,
//        printing "decided <index>" after each decision is durable, pausing 30 ms
//        between decisions, then idles until killed.
//   node review-child.cjs <log> tear     -> decides 2 candidates, then writes half
//        of a third decision line (as a crash mid-write would), prints "torn", idles.
require('./register-ts.cjs');
const fs = require('fs');
const { ReviewQueue } = require('../../../kernel-lib/src/data/review-queue.ts');
const { reviewFixture, plannedDecision } = require('./review-fixture.ts');

const [log, mode] = process.argv.slice(2);
const { candidates } = reviewFixture();
const queue = ReviewQueue.open(log, candidates, { reviewer: 'child', warn: () => {} });
const idle = () => setInterval(() => {}, 1000);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function decideLoop(limit) {
  let done = 0;
  for (let c = queue.current(); c && done < limit; c = queue.current()) {
    const i = candidates.findIndex((x) => x.id === c.id);
    const plan = plannedDecision(i);
    queue.decide(c.id, plan.decision, plan.edited ? { edited: plan.edited } : {});
    process.stdout.write(`decided ${i}\n`);
    done++;
    await sleep(30);
  }
}

(async () => {
  if (mode === 'decide') {
    await decideLoop(Infinity);
    process.stdout.write('all\n');
  } else if (mode === 'tear') {
    await decideLoop(2);
    const c = queue.current();
    const line = JSON.stringify({ v: 1, seq: 99, candidateId: c.id, operator: c.operator, decision: 'accept', reviewer: 'child', at: new Date().toISOString() });
    const fd = fs.openSync(log, 'a');
    fs.writeSync(fd, line.slice(0, Math.floor(line.length / 2)));
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    process.stdout.write('torn\n');
  }
  idle();
})();
