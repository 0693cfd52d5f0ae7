/**
 * One synthetic "scan" with facts a program can check: a gray body on a
 * dark background, one bright marked region (the lesion: left or right half
 * of the image, round or square, large or small), 1-4 small nodules, and
 * sometimes a dark fracture line across the lower body. Each kind of
 * structure has its own intensity band, so the facts can be read back from
 * the pixels (see `readScanFacts`), which is how the tests check that every
 * answer agrees with its image.
 *
 * "Left" and "right" are the image's left and right as displayed (not the
 * patient's side, which radiology conventions mirror).
 */
import type { SeededRandom } from '../util/random';

/** What a scan shows. */
export interface ScanFacts {
  side: 'left' | 'right';
  shape: 'round' | 'square';
  size: 'large' | 'small';
  /** Number of nodules, 1-4. */
  nodules: number;
  fracture: boolean;
}

/**
 * Intensity bands (before noise of at most `SCAN_NOISE`).
 *
 * @example
 * const lesionPixels = [...pixels].filter((v) => Math.abs(v - SCAN_LEVELS.lesion) <= SCAN_NOISE).length;
 */
export const SCAN_LEVELS = { background: 12, fracture: 40, body: 76, nodule: 150, lesion: 225 } as const;
/**
 * Largest absolute noise added to a pixel.
 *
 * @example
 * SCAN_LEVELS.body + SCAN_NOISE < SCAN_LEVELS.nodule - SCAN_NOISE; // true: the bands never overlap
 */
export const SCAN_NOISE = 3;

/** Pixel (x, y) of a size x size image. */
type Px = [number, number];

function lesionPixels(cx: number, cy: number, shape: ScanFacts['shape'], size: ScanFacts['size']): Px[] {
  const half = size === 'large' ? 4 : 2;
  const r2 = (half + 0.5) ** 2;
  const out: Px[] = [];
  for (let dy = -half; dy <= half; dy++) {
    for (let dx = -half; dx <= half; dx++) {
      if (shape === 'square' || dx * dx + dy * dy <= r2) out.push([cx + dx, cy + dy]);
    }
  }
  return out;
}

function fracturePixels(rng: SeededRandom, size: number): Px[] {
  const y0 = Math.round(size * 0.72) + rng.int(3);
  const x0 = Math.round(size * 0.3) + rng.int(3);
  const length = Math.round(size * 0.35) + rng.int(3);
  const slope = rng.next() < 0.5 ? 0 : 1; // level or falling, so it stays below the lesion
  const out: Px[] = [];
  for (let i = 0; i < length; i++) out.push([x0 + i, y0 + slope * Math.floor(i / 3)]);
  return out;
}

/**
 * Render a scan for `facts` (8-bit grayscale, row-major, size x size).
 * Throws if the nodules cannot be placed (not for sizes >= 32).
 *
 * @example
 * const pixels = renderScan({ side: 'left', shape: 'round', size: 'large', nodules: 2, fracture: false }, seededRandom(1), 32);
 */
export function renderScan(facts: ScanFacts, rng: SeededRandom, size = 32): Uint8Array {
  if (size < 32) throw new Error(`renderScan: images must be at least 32 pixels wide, got ${size}`);
  const level = new Uint8Array(size * size).fill(SCAN_LEVELS.background);
  const taken = new Uint8Array(size * size); // pixels reserved by a structure or its margin
  const c = (size - 1) / 2;
  const inBody = (x: number, y: number) => ((x - c) / (size * 0.44)) ** 2 + ((y - c) / (size * 0.46)) ** 2 <= 1;
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) if (inBody(x, y)) level[y * size + x] = SCAN_LEVELS.body;
  const reserve = (pts: Px[], margin: number) => {
    for (const [x, y] of pts) {
      for (let dy = -margin; dy <= margin; dy++) for (let dx = -margin; dx <= margin; dx++) {
        const xx = x + dx; const yy = y + dy;
        if (xx >= 0 && yy >= 0 && xx < size && yy < size) taken[yy * size + xx] = 1;
      }
    }
  };
  // lesion: centre in the outer part of its half, rows away from the fracture band
  const quarter = Math.round(size / 4);
  const cx = facts.side === 'left' ? quarter - 1 + rng.int(4) : size - quarter - 3 + rng.int(4);
  const cy = Math.round(size * 0.3) + rng.int(Math.round(size * 0.25));
  const lesion = lesionPixels(cx, cy, facts.shape, facts.size);
  for (const [x, y] of lesion) level[y * size + x] = SCAN_LEVELS.lesion;
  reserve(lesion, 2);
  if (facts.fracture) {
    const line = fracturePixels(rng, size);
    for (const [x, y] of line) level[y * size + x] = SCAN_LEVELS.fracture;
    reserve(line, 2);
  }
  for (let n = 0; n < facts.nodules; n++) {
    let placed = false;
    for (let attempt = 0; attempt < 500 && !placed; attempt++) {
      const x = 3 + rng.int(size - 7);
      const y = 3 + rng.int(size - 7);
      const pts: Px[] = [[x, y], [x + 1, y], [x, y + 1], [x + 1, y + 1]];
      if (pts.some(([px, py]) => !inBody(px, py) || taken[py * size + px])) continue;
      for (const [px, py] of pts) level[py * size + px] = SCAN_LEVELS.nodule;
      reserve(pts, 2);
      placed = true;
    }
    if (!placed) throw new Error(`renderScan: could not place nodule ${n + 1} of ${facts.nodules}`);
  }
  const out = new Uint8Array(size * size);
  for (let i = 0; i < out.length; i++) out[i] = level[i] + rng.int(2 * SCAN_NOISE + 1) - SCAN_NOISE;
  return out;
}

/** Connected components (4-neighbour) of the pixels where `mask` is set. */
function components(mask: Uint8Array, size: number): Px[][] {
  const seen = new Uint8Array(mask.length);
  const out: Px[][] = [];
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || seen[start]) continue;
    const comp: Px[] = [];
    const stack = [start];
    seen[start] = 1;
    while (stack.length) {
      const i = stack.pop()!;
      const x = i % size; const y = Math.floor(i / size);
      comp.push([x, y]);
      for (const [nx, ny] of [[x - 1, y], [x + 1, y], [x, y - 1], [x, y + 1]]) {
        const j = ny * size + nx;
        if (nx >= 0 && ny >= 0 && nx < size && ny < size && mask[j] && !seen[j]) { seen[j] = 1; stack.push(j); }
      }
    }
    out.push(comp);
  }
  return out;
}

/**
 * Read the facts back from a rendered scan's pixels alone, by intensity
 * bands: the lesion's side (its centroid), shape (a square fills its
 * bounding box), size (bounding box width), the number of nodule blobs, and
 * whether fracture-band pixels exist. A check of the generator, not a model.
 *
 * @example
 * readScanFacts(pixels, 32); // { side: 'left', shape: 'round', size: 'large', nodules: 2, fracture: false }
 */
export function readScanFacts(pixels: Uint8Array, size: number): ScanFacts {
  const band = (lvl: number) => Uint8Array.from(pixels, (v) => (Math.abs(v - lvl) <= SCAN_NOISE ? 1 : 0));
  const lesion = components(band(SCAN_LEVELS.lesion), size).sort((a, b) => b.length - a.length)[0] ?? [];
  if (lesion.length === 0) throw new Error('readScanFacts: no lesion pixels');
  const xs = lesion.map(([x]) => x); const ys = lesion.map(([, y]) => y);
  const w = Math.max(...xs) - Math.min(...xs) + 1;
  const h = Math.max(...ys) - Math.min(...ys) + 1;
  const meanX = xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    side: meanX < (size - 1) / 2 ? 'left' : 'right',
    shape: lesion.length === w * h ? 'square' : 'round',
    size: w >= 7 ? 'large' : 'small',
    nodules: components(band(SCAN_LEVELS.nodule), size).length,
    fracture: band(SCAN_LEVELS.fracture).some((v) => v === 1),
  };
}
