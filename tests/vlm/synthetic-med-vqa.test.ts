import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeImage, toChannels } from '../../kernel-lib/src/vlm/image-decode';
import { encodeGrayPng, generateSyntheticMedVqa, slakeJsonText, syntheticMedVqaPath, SYNTHETIC_QUESTION_TEMPLATES } from '../../kernel-lib/src/vlm/synthetic-med-vqa';
import { readScanFacts, renderScan, ScanFacts } from '../../kernel-lib/src/vlm/synthetic-scan';
import { readSlakeJson } from '../../kernel-lib/src/vlm/vqa-data';
import { seededRandom } from '../../kernel-lib/src/util/random';

/** The answer a question should have, from facts read back from the pixels. */
function expectedAnswer(question: string, f: ScanFacts): string {
  const t = SYNTHETIC_QUESTION_TEMPLATES.find((x) => x.question === question);
  if (!t) throw new Error(`unknown question ${question}`);
  return t.answer(f);
}

describe('synthetic scans', () => {
  it('draws every combination of facts so that they read back from the pixels', () => {
    const rng = seededRandom(9);
    for (const side of ['left', 'right'] as const) for (const shape of ['round', 'square'] as const) for (const size of ['large', 'small'] as const) {
      for (let nodules = 1; nodules <= 4; nodules++) for (const fracture of [false, true]) {
        const facts: ScanFacts = { side, shape, size, nodules, fracture };
        expect(readScanFacts(renderScan(facts, rng, 32), 32)).toEqual(facts);
      }
    }
  });

  it('puts a left lesion in the left half of the image (its bright pixels)', () => {
    const px = renderScan({ side: 'left', shape: 'square', size: 'large', nodules: 1, fracture: false }, seededRandom(1), 32);
    const bright = [...px.keys()].filter((i) => px[i] > 200).map((i) => i % 32);
    expect(bright.length).toBe(81);
    expect(Math.max(...bright)).toBeLessThan(16);
  });
});

describe('synthetic medical VQA set', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = generateSyntheticMedVqa({ images: 12, testImages: 4, seed: 5 });
    const b = generateSyntheticMedVqa({ images: 12, testImages: 4, seed: 5 });
    const c = generateSyntheticMedVqa({ images: 12, testImages: 4, seed: 6 });
    expect(slakeJsonText(a.train)).toBe(slakeJsonText(b.train));
    expect(a.scans.map((s) => Buffer.from(s.pixels).toString('hex'))).toEqual(b.scans.map((s) => Buffer.from(s.pixels).toString('hex')));
    expect(slakeJsonText(a.train)).not.toBe(slakeJsonText(c.train));
    expect(a.train).toHaveLength(24);
    expect(a.test.every((r) => r.img_id >= 8)).toBe(true);
  });

  it('answers every question as the pixels show, with distinct facts per image and Slake answer types', () => {
    const set = generateSyntheticMedVqa();
    expect(set.scans).toHaveLength(400);
    expect([set.train.length, set.test.length]).toEqual([900, 300]);
    for (const scan of set.scans) {
      const read = readScanFacts(scan.pixels, scan.size);
      expect(read).toEqual(scan.facts);
      const rows = (scan.split === 'train' ? set.train : set.test).filter((r) => r.img_id === scan.imgId);
      expect(new Set(rows.map((r) => r.content_type)).size).toBe(3);
      for (const r of rows) {
        expect(r.answer).toBe(expectedAnswer(r.question, read));
        const closed = /^(Is|Are) /.test(r.question);
        expect(r.answer_type).toBe(closed ? 'CLOSED' : 'OPEN');
      }
    }
  });

  it('the shipped copy is exactly what the generator writes, and reads back through the Slake loader', () => {
    const dir = syntheticMedVqaPath();
    const set = generateSyntheticMedVqa();
    expect(fs.readFileSync(path.join(dir, 'train.json'), 'utf8')).toBe(slakeJsonText(set.train));
    expect(fs.readFileSync(path.join(dir, 'test.json'), 'utf8')).toBe(slakeJsonText(set.test));
    for (const scan of set.scans) {
      const file = fs.readFileSync(path.join(dir, 'imgs', scan.name));
      expect(file.equals(encodeGrayPng(scan.pixels, scan.size, scan.size)), scan.name).toBe(true);
    }
    const gray = toChannels(decodeImage(fs.readFileSync(path.join(dir, 'imgs', set.scans[7].name)), 'x.png'), 1);
    expect(Array.from(gray.data, (v) => Math.round(v * 255))).toEqual(Array.from(set.scans[7].pixels));
    const test = readSlakeJson(path.join(dir, 'test.json'), path.join(dir, 'imgs'));
    expect(test).toHaveLength(300);
    expect(new Set(test.map((r) => r.category))).toEqual(new Set(['Position', 'Quantity', 'Shape', 'Size', 'Abnormality']));
  });
});
