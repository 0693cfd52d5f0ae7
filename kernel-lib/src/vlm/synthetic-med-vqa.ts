/**
 * The synthetic medical-VQA set: rendered scans (`renderScan`) with
 * questions about what they show, in Slake's JSON format (so
 * `readSlakeJson` reads it like the real benchmark), with a fixed
 * train/test split by image. Deterministic for a seed: the shipped copy in
 * `datasets/synthetic-med-vqa/` is exactly `writeSyntheticMedVqa(dir)`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { seededRandom, SeededRandom } from '../util/random';
import { writeFileAtomicSync } from '../util/atomic-write';
import { renderScan, ScanFacts } from './synthetic-scan';

/** One question in Slake's record format. */
export interface SlakeRow {
  img_id: number;
  img_name: string;
  question: string;
  answer: string;
  q_lang: 'en';
  location: string;
  modality: string;
  answer_type: 'OPEN' | 'CLOSED';
  base_type: 'vqa';
  content_type: string;
  qid: number;
}

/** One rendered image and its facts. */
export interface SyntheticScan {
  imgId: number;
  name: string;
  size: number;
  pixels: Uint8Array;
  facts: ScanFacts;
  split: 'train' | 'test';
}

/** The whole set in memory. */
export interface SyntheticMedVqa {
  scans: SyntheticScan[];
  train: SlakeRow[];
  test: SlakeRow[];
}

/** Options of the generator (defaults: the shipped set). */
export interface SyntheticMedVqaOptions {
  seed?: number;
  /** Images in all (default 400). */
  images?: number;
  /** Of which the test split (default 100). */
  testImages?: number;
  /** Questions per image (default 3, distinct facts). */
  questionsPerImage?: number;
  /** Image side (default 32). */
  size?: number;
}

/** A question template: the fact it asks about, Slake's content type, and the answer from the facts. */
interface Template {
  fact: keyof ScanFacts;
  type: 'OPEN' | 'CLOSED';
  content: string;
  question: string;
  answer: (f: ScanFacts) => string;
}

const yesNo = (b: boolean) => (b ? 'yes' : 'no');

/**
 * Every template, grouped by fact; closed ones name the choices or ask yes/no.
 *
 * @example
 * SYNTHETIC_QUESTION_TEMPLATES.filter((t) => t.type === 'OPEN').map((t) => t.question);
 */
export const SYNTHETIC_QUESTION_TEMPLATES: readonly Template[] = [
  { fact: 'side', type: 'CLOSED', content: 'Position', question: 'Is the lesion on the left or right?', answer: (f) => f.side },
  { fact: 'side', type: 'CLOSED', content: 'Position', question: 'Is the lesion on the left?', answer: (f) => yesNo(f.side === 'left') },
  { fact: 'side', type: 'OPEN', content: 'Position', question: 'Which side is the lesion on?', answer: (f) => f.side },
  { fact: 'nodules', type: 'OPEN', content: 'Quantity', question: 'How many nodules are there?', answer: (f) => String(f.nodules) },
  { fact: 'nodules', type: 'CLOSED', content: 'Quantity', question: 'Are there more than two nodules?', answer: (f) => yesNo(f.nodules > 2) },
  { fact: 'shape', type: 'CLOSED', content: 'Shape', question: 'Is the marked region round or square?', answer: (f) => f.shape },
  { fact: 'shape', type: 'OPEN', content: 'Shape', question: 'What shape is the marked region?', answer: (f) => f.shape },
  { fact: 'size', type: 'CLOSED', content: 'Size', question: 'Is the marked region large or small?', answer: (f) => f.size },
  { fact: 'size', type: 'OPEN', content: 'Size', question: 'What size is the marked region?', answer: (f) => f.size },
  { fact: 'fracture', type: 'CLOSED', content: 'Abnormality', question: 'Is there a fracture line?', answer: (f) => yesNo(f.fracture) },
];

function randomFacts(rng: SeededRandom): ScanFacts {
  return {
    side: rng.next() < 0.5 ? 'left' : 'right',
    shape: rng.next() < 0.5 ? 'round' : 'square',
    size: rng.next() < 0.5 ? 'large' : 'small',
    nodules: 1 + rng.int(4),
    fracture: rng.next() < 0.5,
  };
}

/**
 * Generate the set in memory.
 *
 * @example
 * const set = generateSyntheticMedVqa({ images: 20, testImages: 5 });
 * set.train[0]; // { img_id: 0, img_name: 'img_0000.png', question: '...', answer: 'left', answer_type: 'CLOSED', ... }
 */
export function generateSyntheticMedVqa(options: SyntheticMedVqaOptions = {}): SyntheticMedVqa {
  const seed = options.seed ?? 2024;
  const images = options.images ?? 400;
  const testImages = options.testImages ?? 100;
  const perImage = options.questionsPerImage ?? 3;
  const size = options.size ?? 32;
  const facts = [...new Set(SYNTHETIC_QUESTION_TEMPLATES.map((t) => t.fact))];
  if (!(testImages >= 0 && testImages <= images)) throw new Error(`generateSyntheticMedVqa: testImages ${testImages} must be within [0, ${images}]`);
  if (!(perImage >= 1 && perImage <= facts.length)) throw new Error(`generateSyntheticMedVqa: questionsPerImage must be 1-${facts.length}, got ${perImage}`);
  const rng = seededRandom(seed);
  const scans: SyntheticScan[] = [];
  const train: SlakeRow[] = [];
  const test: SlakeRow[] = [];
  let qid = 0;
  for (let i = 0; i < images; i++) {
    const f = randomFacts(rng);
    const split = i >= images - testImages ? 'test' : 'train';
    const scan: SyntheticScan = { imgId: i, name: `img_${String(i).padStart(4, '0')}.png`, size, pixels: renderScan(f, rng, size), facts: f, split };
    scans.push(scan);
    const asked = [...facts];
    for (let q = 0; q < perImage; q++) {
      const fact = asked.splice(rng.int(asked.length), 1)[0];
      const options = SYNTHETIC_QUESTION_TEMPLATES.filter((t) => t.fact === fact);
      const t = options[rng.int(options.length)];
      (split === 'train' ? train : test).push({
        img_id: i, img_name: scan.name, question: t.question, answer: t.answer(f), q_lang: 'en',
        location: 'Body', modality: 'Synthetic', answer_type: t.type, base_type: 'vqa', content_type: t.content, qid: qid++,
      });
    }
  }
  return { scans, train, test };
}

/**
 * An 8-bit grayscale PNG of row-major pixels.
 *
 * @example
 * fs.writeFileSync('scan.png', encodeGrayPng(pixels, 32, 32));
 */
export function encodeGrayPng(pixels: Uint8Array, width: number, height: number): Buffer {
  if (pixels.length !== width * height) throw new Error(`encodeGrayPng: ${pixels.length} pixels for ${width} x ${height}`);
  const png = new PNG({ width, height });
  for (let i = 0; i < pixels.length; i++) {
    png.data[4 * i] = pixels[i]; png.data[4 * i + 1] = pixels[i]; png.data[4 * i + 2] = pixels[i]; png.data[4 * i + 3] = 255;
  }
  return PNG.sync.write(png, { colorType: 0, inputColorType: 6, bitDepth: 8 });
}

/**
 * The JSON text of a split (one record per line inside the array, so errors can name lines).
 *
 * @example
 * fs.writeFileSync('train.json', slakeJsonText(generateSyntheticMedVqa().train));
 */
export function slakeJsonText(rows: readonly SlakeRow[]): string {
  return `[\n${rows.map((r) => `  ${JSON.stringify(r)}`).join(',\n')}\n]\n`;
}

/**
 * Write the set as Slake lays it out: `train.json`, `test.json` and
 * `imgs/<img_name>` PNGs under `dir`. Returns what was written.
 *
 * @example
 * writeSyntheticMedVqa('datasets/synthetic-med-vqa');
 */
export function writeSyntheticMedVqa(dir: string, options: SyntheticMedVqaOptions = {}): SyntheticMedVqa {
  const set = generateSyntheticMedVqa(options);
  fs.mkdirSync(path.join(dir, 'imgs'), { recursive: true });
  for (const s of set.scans) writeFileAtomicSync(path.join(dir, 'imgs', s.name), encodeGrayPng(s.pixels, s.size, s.size));
  writeFileAtomicSync(path.join(dir, 'train.json'), slakeJsonText(set.train));
  writeFileAtomicSync(path.join(dir, 'test.json'), slakeJsonText(set.test));
  return set;
}

/**
 * Where the shipped synthetic set lives in a checkout of this repository.
 *
 * @example
 * readSlakeJson(path.join(syntheticMedVqaPath(), 'train.json'), path.join(syntheticMedVqaPath(), 'imgs'));
 */
export function syntheticMedVqaPath(): string {
  return path.resolve(__dirname, '..', '..', '..', 'datasets', 'synthetic-med-vqa');
}
