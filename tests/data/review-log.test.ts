import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { DataLoadError } from '../../kernel-lib/src/data/issues';
import { openReviewLog, readReviewLog, ReviewLogEntry } from '../../kernel-lib/src/data/review-log';
import { ReviewQueue } from '../../kernel-lib/src/data/review-queue';
import { tempDir } from './helpers/fixtures';
import { plannedDecision, reviewFixture } from './helpers/review-fixture';

const CHILD = path.join(__dirname, 'helpers', 'review-child.cjs');

/** Runs the child until it has printed `stopAfter` lines matching `pattern`, then SIGKILLs it. */
function runChildAndKill(log: string, mode: 'decide' | 'tear', stopAfter: number, pattern: RegExp): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, log, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    const seen: string[] = [];
    let buffer = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() as string;
      for (const line of lines) {
        if (pattern.test(line)) seen.push(line);
        if (!killed && seen.length >= stopAfter) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(seen);
      else reject(new Error(`child exited with ${code} before it was killed:\n${stderr}`));
    });
    setTimeout(() => {
      if (!killed) {
        child.kill('SIGKILL');
        reject(new Error(`child did not reach ${stopAfter} x ${pattern} in time:\n${stderr}`));
      }
    }, 60_000);
  });
}

const lines = (file: string): string[] => fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');

describe('review log', () => {
  it('survives SIGKILL between decisions: resume loses nothing and applies nothing twice', async () => {
    const dir = tempDir('review-crash-');
    const log = path.join(dir, 'decisions.jsonl');
    const { candidates } = reviewFixture();

    // Two crashes in a row, then the parent finishes the review.
    const acked1 = await runChildAndKill(log, 'decide', 3, /^decided /);
    const after1 = lines(log).map((l) => JSON.parse(l) as ReviewLogEntry);
    const acked2 = await runChildAndKill(log, 'decide', 3, /^decided /);
    const entries = lines(log).map((l) => JSON.parse(l) as ReviewLogEntry);

    // Every decision the child acknowledged is in the log.
    const logged = entries.map((e) => candidates.findIndex((c) => c.id === e.candidateId));
    for (const line of [...acked1, ...acked2]) expect(logged).toContain(Number(line.split(' ')[1]));
    // The log is a prefix of the queue order, with no candidate twice and seq 1..n.
    expect(logged).toEqual(logged.map((_, i) => i));
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
    expect(entries.length).toBeGreaterThanOrEqual(6);
    expect(entries.slice(0, after1.length)).toEqual(after1); // the second run only appended

    // Resume in this process.
    const warnings: string[] = [];
    const queue = ReviewQueue.open(log, candidates, { reviewer: 'parent', warn: (m) => warnings.push(m) });
    expect(warnings).toEqual([]);
    expect(queue.pending().map((c) => c.id)).toEqual(candidates.slice(entries.length).map((c) => c.id));
    for (let c = queue.current(); c; c = queue.current()) {
      const plan = plannedDecision(candidates.indexOf(c));
      queue.decide(c.id, plan.decision, plan.edited ? { edited: plan.edited } : {});
    }
    const final = readReviewLog(log).entries;
    expect(final.map((e) => e.candidateId)).toEqual(candidates.map((c) => c.id));
    expect(final.map((e) => e.seq)).toEqual(candidates.map((_, i) => i + 1));
    expect(final.map((e) => e.decision)).toEqual(candidates.map((_, i) => plannedDecision(i).decision));
    // Reopening once more changes nothing.
    const again = ReviewQueue.open(log, candidates, { warn: (m) => warnings.push(m) });
    expect(again.pending()).toEqual([]);
    expect(again.report()).toMatchObject({ total: 12, decided: 12, accepted: 6, rejected: 3, edited: 3 });
    expect(again.acceptedExamples()).toHaveLength(9);
  });

  it('a decision torn by a crash mid-write is detected, ignored with a warning, and never applied', async () => {
    const dir = tempDir('review-torn-');
    const log = path.join(dir, 'decisions.jsonl');
    const { candidates } = reviewFixture();
    await runChildAndKill(log, 'tear', 1, /^torn$/);
    const raw = fs.readFileSync(log, 'utf8');
    expect(raw.endsWith('\n')).toBe(false);

    // Reading alone reports the torn line and changes nothing.
    const read = readReviewLog(log);
    expect(read.entries).toHaveLength(2);
    expect(read.torn).toMatchObject({ line: 3 });
    expect(fs.readFileSync(log, 'utf8')).toBe(raw);

    const warnings: string[] = [];
    const queue = ReviewQueue.open(log, candidates, { warn: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/decisions\.jsonl:3: ignored an incomplete last line/);
    expect(queue.decisionFor(candidates[2].id)).toBeUndefined();
    expect(queue.current()?.id).toBe(candidates[2].id);
    // The fragment was kept aside and cut from the log, so the next append is a clean line.
    expect(lines(`${log}.torn`).map((l) => JSON.parse(l))).toEqual([{ line: 3, fragment: read.torn!.text }]);
    queue.reject('decided again after the crash');
    const entries = readReviewLog(log);
    expect(entries.torn).toBeNull();
    expect(entries.entries.map((e) => [e.seq, e.decision])).toEqual([[1, 'accept'], [2, 'reject'], [3, 'reject']]);
  });

  it('a damaged line in the middle stops reading with file and line', () => {
    const dir = tempDir('review-bad-');
    const log = path.join(dir, 'd.jsonl');
    const ok = (seq: number) => JSON.stringify({ v: 1, seq, candidateId: `c${seq}`, operator: 'x', decision: 'accept', reviewer: 'r', at: 't' });
    fs.writeFileSync(log, `${ok(1)}\n{"v":1,"seq":\n${ok(3)}\n`);
    expect(() => readReviewLog(log)).toThrow(DataLoadError);
    expect(() => readReviewLog(log)).toThrow(new RegExp(`${log.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: damaged decision line`));
    fs.writeFileSync(log, `${ok(1)}\n${JSON.stringify({ v: 1, seq: 2, candidateId: 'c', operator: 'x', decision: 'maybe', reviewer: 'r', at: 't' })}\n`);
    expect(() => openReviewLog(log)).toThrow(/d\.jsonl:2: not a review decision: field decision is "maybe"/);
  });
});
