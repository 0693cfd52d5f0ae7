/**
 * LLaMA-Factory's `trainer_log.jsonl` (written by `LogCallback.on_log` in
 * `train/callbacks.py`): one JSON object per logging step with
 * `current_steps`, `total_steps`, `loss`, `lr`, `epoch`, `percentage`,
 * `elapsed_time`, `remaining_time` and, when known, `throughput`,
 * `total_tokens`, `vram_allocated`/`vram_reserved` (GiB, with
 * RECORD_VRAM=1); evaluation lines carry `eval_loss`. Fields that are None
 * are left out. A prediction run appends progress lines with only the step
 * counters and times.
 */
import { splitTextLines } from '../metrics/prediction-files';

/**
 * One line of `trainer_log.jsonl`, with its line number.
 *
 * @example
 * const losses = parseTrainerLog(text).filter((e: TrainerLogEntry) => e.loss !== undefined).map((e) => e.loss);
 */
export interface TrainerLogEntry {
  line: number;
  current_steps: number;
  total_steps?: number;
  loss?: number;
  eval_loss?: number;
  predict_loss?: number;
  lr?: number;
  epoch?: number;
  percentage?: number;
  /** Seconds, parsed from Python's `str(timedelta)` ("0:01:05", "1 day, 2:03:04"). */
  elapsed_s?: number;
  remaining_s?: number;
  throughput?: number;
  total_tokens?: number;
  vram_allocated?: number;
  vram_reserved?: number;
  /** True for a training or evaluation line (it has `epoch`, `loss` or `lr`), false for a prediction progress line. */
  training: boolean;
}

/**
 * Seconds in a Python `str(datetime.timedelta)` such as `0:01:05`,
 * `12:00:00`, `1 day, 2:03:04` or `3 days, 0:00:10.500000`; null when the
 * text has another form.
 *
 * @example
 * parsePythonTimedelta('0:01:05');        // 65
 * parsePythonTimedelta('1 day, 2:03:04'); // 93784
 */
export function parsePythonTimedelta(text: string): number | null {
  const m = /^\s*(?:(-?\d+) days?, )?(\d+):(\d{2}):(\d{2}(?:\.\d+)?)\s*$/.exec(text);
  if (!m) return null;
  return (m[1] ? Number(m[1]) * 86400 : 0) + Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
}

const NUMBER_FIELDS = ['total_steps', 'loss', 'eval_loss', 'predict_loss', 'lr', 'epoch', 'percentage', 'throughput', 'total_tokens',
  'vram_allocated', 'vram_reserved'] as const;

/**
 * Parses the text of a `trainer_log.jsonl`. Blank lines are skipped; a line
 * that is not a JSON object, lacks a numeric `current_steps`, or has a
 * non-numeric loss/lr/epoch... is an Error naming `file:line` and the field.
 *
 * @example
 * parseTrainerLog('{"current_steps": 10, "total_steps": 100, "loss": 2.31, "lr": 9e-05, "epoch": 0.1, "elapsed_time": "0:00:12"}\n', 'trainer_log.jsonl');
 * // [{ line: 1, current_steps: 10, total_steps: 100, loss: 2.31, lr: 9e-05, epoch: 0.1, elapsed_s: 12, training: true }]
 */
export function parseTrainerLog(text: string, file = 'trainer_log.jsonl'): TrainerLogEntry[] {
  const out: TrainerLogEntry[] = [];
  const lines = splitTextLines(text);
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const where = `${file}:${i + 1}`;
    let v: unknown;
    try {
      v = JSON.parse(lines[i]);
    } catch (e) {
      throw new Error(`${where}: not valid JSON (${(e as Error).message}); expected one JSON object per line`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      throw new Error(`${where}: expected a JSON object with "current_steps", got ${Array.isArray(v) ? 'an array' : JSON.stringify(v)}`);
    }
    const o = v as Record<string, unknown>;
    if (typeof o.current_steps !== 'number' || !Number.isFinite(o.current_steps)) {
      throw new Error(`${where}: field "current_steps" must be a number, got ${JSON.stringify(o.current_steps)}`);
    }
    const entry: TrainerLogEntry = { line: i + 1, current_steps: o.current_steps, training: 'epoch' in o || 'loss' in o || 'lr' in o };
    for (const k of NUMBER_FIELDS) {
      if (o[k] === undefined || o[k] === null) continue;
      if (typeof o[k] !== 'number' || !Number.isFinite(o[k] as number)) {
        throw new Error(`${where}: field "${k}" must be a finite number, got ${JSON.stringify(o[k])}`);
      }
      entry[k] = o[k] as number;
    }
    for (const [k, to] of [['elapsed_time', 'elapsed_s'], ['remaining_time', 'remaining_s']] as const) {
      if (o[k] === undefined || o[k] === '') continue;
      const s = typeof o[k] === 'string' ? parsePythonTimedelta(o[k] as string) : null;
      if (s === null) throw new Error(`${where}: field "${k}" must be a duration like "0:01:05", got ${JSON.stringify(o[k])}`);
      entry[to] = s;
    }
    out.push(entry);
  }
  return out;
}
