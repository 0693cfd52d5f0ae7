/**
 * Images in: PNG and JPEG files decoded with `pngjs` and `jpeg-js` into
 * float planes [C, H, W] with values in [0, 1], converted to the channel
 * count a model wants, resized and normalised. Nothing here knows about
 * models: `imageInput` returns plain numbers the vision encoder batches.
 */
import * as fs from 'node:fs';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { resizePlanes, ResizeMethod } from './image-resize';

/** A decoded image: `channels` planes of height x width values in [0, 1], row-major, plane after plane. */
export interface ImagePlanes {
  width: number;
  height: number;
  channels: number;
  /** [C, H, W] values. */
  data: Float32Array;
}

/** Which container the bytes hold, from their first bytes ("magic number"). */
export type ImageFormat = 'png' | 'jpeg';

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * The format of an encoded image from its magic number, or null.
 *
 * @example
 * imageFormat(fs.readFileSync('scan.png')); // 'png'
 */
export function imageFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 8 && PNG_MAGIC.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

/** RGBA bytes (as both decoders return them) to three planes in [0, 1]; alpha is composited over black. */
function rgbaToPlanes(rgba: Uint8Array, width: number, height: number): ImagePlanes {
  const n = width * height;
  const data = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    const a = rgba[4 * i + 3] / 255;
    data[i] = (rgba[4 * i] / 255) * a;
    data[n + i] = (rgba[4 * i + 1] / 255) * a;
    data[2 * n + i] = (rgba[4 * i + 2] / 255) * a;
  }
  return { width, height, channels: 3, data };
}

/**
 * Decode PNG or JPEG bytes into RGB planes in [0, 1] (grayscale files give
 * three equal planes). `source` names the file in errors.
 *
 * @example
 * const img = decodeImage(fs.readFileSync('imgs/img_0001.png'), 'imgs/img_0001.png');
 * img.channels; // 3
 */
export function decodeImage(bytes: Uint8Array, source: string): ImagePlanes {
  const format = imageFormat(bytes);
  if (!format) {
    throw new Error(`${source}: not a PNG or JPEG image (unrecognised first bytes ${Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ') || '(empty file)'})`);
  }
  try {
    if (format === 'png') {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return rgbaToPlanes(png.data, png.width, png.height);
    }
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 200, maxMemoryUsageInMB: 1024 });
    return rgbaToPlanes(img.data, img.width, img.height);
  } catch (err) {
    throw new Error(`${source}: cannot decode this ${format.toUpperCase()} image: ${(err as Error).message}`);
  }
}

/**
 * Read and decode an image file (PNG or JPEG, by content, not extension).
 *
 * @example
 * const img = readImageFile('datasets/synthetic-med-vqa/imgs/img_0001.png');
 */
export function readImageFile(file: string): ImagePlanes {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new Error(`${file}: cannot read the image: ${(err as Error).message}`);
  }
  return decodeImage(bytes, file);
}

/**
 * The same image with `channels` planes: 1 (the mean of R, G, B, as a
 * grayscale scan is stored) or 3 (a single plane repeated).
 *
 * @example
 * toChannels(readImageFile('scan.png'), 1).channels; // 1
 */
export function toChannels(img: ImagePlanes, channels: number): ImagePlanes {
  if (channels === img.channels) return img;
  const n = img.width * img.height;
  if (channels === 1 && img.channels === 3) {
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = (img.data[i] + img.data[n + i] + img.data[2 * n + i]) / 3;
    return { ...img, channels: 1, data };
  }
  if (channels === 3 && img.channels === 1) {
    const data = new Float32Array(3 * n);
    for (let c = 0; c < 3; c++) data.set(img.data, c * n);
    return { ...img, channels: 3, data };
  }
  throw new Error(`toChannels: cannot convert ${img.channels} channel(s) to ${channels} (supported: 1 and 3)`);
}

/** How `imageInput` prepares an image for a model. */
export interface ImageInputOptions {
  /** Output side length (square images). */
  size: number;
  /** 1 (grayscale) or 3 (RGB). */
  channels: number;
  /** Per-channel mean subtracted after scaling to [0, 1] (default 0.5). */
  mean?: number | number[];
  /** Per-channel standard deviation divided by (default 0.5: values in [-1, 1]). */
  std?: number | number[];
  /** Resampling (default 'area' when shrinking, 'bilinear' when enlarging). */
  resize?: ResizeMethod;
}

/**
 * An image ready for a vision encoder: [C, size, size] values,
 * (x - mean) / std, from an `ImagePlanes`.
 *
 * @example
 * const x = imageInput(readImageFile('scan.png'), { size: 32, channels: 1 }); // Float32Array(1024) in [-1, 1]
 */
export function imageInput(img: ImagePlanes, options: ImageInputOptions): Float32Array {
  const { size, channels } = options;
  const converted = toChannels(img, channels);
  const shrinking = img.width > size || img.height > size;
  const method = options.resize ?? (shrinking ? 'area' : 'bilinear');
  const data = img.width === size && img.height === size
    ? Float32Array.from(converted.data)
    : resizePlanes(converted.data, channels, img.height, img.width, size, size, method);
  const pick = (v: number | number[] | undefined, c: number, fallback: number): number => {
    if (v === undefined) return fallback;
    if (typeof v === 'number') return v;
    if (v.length !== channels) throw new Error(`imageInput: ${v.length} mean/std values for ${channels} channel(s)`);
    return v[c];
  };
  const plane = size * size;
  for (let c = 0; c < channels; c++) {
    const m = pick(options.mean, c, 0.5);
    const s = pick(options.std, c, 0.5);
    if (!(s > 0)) throw new Error(`imageInput: std must be > 0, got ${s}`);
    for (let i = c * plane; i < (c + 1) * plane; i++) data[i] = (data[i] - m) / s;
  }
  return data;
}

/**
 * Read an image file and prepare it for a model (see `imageInput`); the
 * error names the file when it cannot be read or decoded.
 *
 * @example
 * const x = loadImageInput('VQA_RAD Image Folder/synpic54610.jpg', { size: 32, channels: 1 });
 */
export function loadImageInput(file: string, options: ImageInputOptions): Float32Array {
  return imageInput(readImageFile(file), options);
}
