import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importRunCommand } from '../../kernel-lib/src/cli/import-run-command';
import {
  importLlamaFactoryRun,
  mergeImportedRun,
  methodFromLlamaFactoryConfig,
} from '../../kernel-lib/src/reproduce/import-run';
import { renderReproductionReport } from '../../kernel-lib/src/reproduce/report-html';
import { checkReproductionResults, type ReproductionResults } from '../../kernel-lib/src/reproduce/results';
import { parsePythonTimedelta, parseTrainerLog } from '../../kernel-lib/src/reproduce/trainer-log';

const FIXTURES = path.join(__dirname, 'fixtures');
const GALORE_RUN = path.join(FIXTURES, 'lf-galore-run');
const LORA_PREDICT_ONLY = path.join(FIXTURES, 'lf-lora-predict-only');
const BAD_LOG = path.join(FIXTURES, 'lf-bad-log');

function tmpCopy(dir: string): string {
  const to = fs.mkdtempSync(path.join(os.tmpdir(), 'galore-import-'));
  fs.cpSync(dir, to, { recursive: true });
  return to;
}

describe("LLaMA-Factory's trainer_log.jsonl", () => {
  it("parses Python's timedelta strings", () => {
    expect(parsePythonTimedelta('0:01:05')).toBe(65);
    expect(parsePythonTimedelta('12:00:00')).toBe(43200);
    expect(parsePythonTimedelta('1 day, 2:03:04')).toBe(93784);
    expect(parsePythonTimedelta('3 days, 0:00:10.500000')).toBe(259210.5);
    expect(parsePythonTimedelta('65s')).toBeNull();
  });

  it('reads training, evaluation and final lines', () => {
    const entries = parseTrainerLog(fs.readFileSync(path.join(GALORE_RUN, 'trainer_log.jsonl'), 'utf8'), 'trainer_log.jsonl');
    expect(entries.map((e) => e.line)).toEqual([1, 2, 3, 5, 6, 7, 8]); // line 4 is blank
    expect(entries[0]).toMatchObject({ current_steps: 1, total_steps: 4, loss: 2.5, lr: 5e-5, epoch: 0.25, elapsed_s: 1, remaining_s: 3, throughput: 812.4, training: true });
    expect(entries[2]).toMatchObject({ current_steps: 2, eval_loss: 2.125 });
    expect(entries[2].loss).toBeUndefined();
    expect(entries[6]).toMatchObject({ current_steps: 4, elapsed_s: 67, training: true });
  });

  it('treats prediction progress lines (no epoch, loss or lr) apart', () => {
    const [entry] = parseTrainerLog('{"current_steps": 5, "total_steps": 10, "percentage": 50.0, "elapsed_time": "0:00:02", "remaining_time": "0:00:02"}\n');
    expect(entry.training).toBe(false);
  });

  it('names file and line of a malformed line', () => {
    expect(() => parseTrainerLog(fs.readFileSync(path.join(BAD_LOG, 'trainer_log.jsonl'), 'utf8'), 'bad/trainer_log.jsonl'))
      .toThrow(/^bad\/trainer_log\.jsonl:3: not valid JSON/);
    expect(() => parseTrainerLog('{"current_steps": 1}\n{"loss": 2}\n', 'log.jsonl')).toThrow('log.jsonl:2: field "current_steps" must be a number, got undefined');
    expect(() => parseTrainerLog('{"current_steps": 1, "loss": "NaN"}\n', 'log.jsonl')).toThrow('log.jsonl:1: field "loss" must be a finite number, got "NaN"');
    expect(() => parseTrainerLog('[1, 2]\n', 'log.jsonl')).toThrow(/^log\.jsonl:1: expected a JSON object/);
    expect(() => parseTrainerLog('{"current_steps": 1, "elapsed_time": "soon"}\n', 'log.jsonl')).toThrow(/^log\.jsonl:1: field "elapsed_time" must be a duration/);
  });
});

describe('importLlamaFactoryRun', () => {
  it('reads a GaLore run folder into a results.json run', async () => {
    const { run, found, missing, notes, predictions } = await importLlamaFactoryRun(GALORE_RUN);
    expect(found).toEqual([
      path.join(GALORE_RUN, 'trainer_log.jsonl'),
      path.join(GALORE_RUN, 'predict', 'generated_predictions.jsonl'),
      path.join(GALORE_RUN, 'training_args.yaml'),
    ]);
    expect(missing).toEqual([]);
    expect(run.method).toBe('galore');
    expect(run.label).toBe('GaLore r=32 (LLaMA-Factory: lf-galore-run)');
    expect(run.losses).toEqual([2.5, 2.25, 2.0, 1.75]);
    expect(run.loss_steps).toEqual([1, 2, 3, 4]);
    expect(run.eval_losses).toEqual([{ step: 2, loss: 2.125 }, { step: 4, loss: 1.9 }]);
    expect(run.wall_ms).toBe(66750); // train_runtime, not the log's whole seconds
    expect(run.tokens_per_second).toBe(850);
    expect(run.memory_bytes).toBe(3.5 * 1024 ** 3);
    expect(predictions).toHaveLength(3);
    // Per-sample scores (LLaMA-Factory's own numbers for the first pair are 47.2367 / 66.6667 / 50 / 66.6667), averaged.
    expect(run.metrics!.count).toBe(3);
    expect(run.metrics!.rouge2).toBeGreaterThan(50);
    expect(run.metrics!.rouge2).toBeLessThan(100);
    expect(notes).toContain(`method "galore" from ${path.join(GALORE_RUN, 'training_args.yaml')}`);
    expect(notes).toContain('wall time: train_runtime from train_results.json/all_results.json');
    // The run passes the results.json checks.
    expect(() => checkReproductionResults({ model: 'm', seed: 1, steps: 4, batch_size: 1, seq_len: 8, lr: 1, runs: [run] })).not.toThrow();
  });

  it('scores answers exactly as LLaMA-Factory (known values)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'galore-import-'));
    fs.writeFileSync(path.join(dir, 'generated_predictions.jsonl'),
      `${JSON.stringify({ prompt: 'q', predict: '休息两周', label: '休息两周后复查' })}\n${JSON.stringify({ prompt: 'q', predict: 'same text', label: 'same text' })}\n`);
    const { run, missing, notes } = await importLlamaFactoryRun(dir, { method: 'lora', label: 'LoRA on the cluster' });
    expect(missing).toEqual(['trainer_log.jsonl']);
    expect(run).toMatchObject({ method: 'lora', label: 'LoRA on the cluster', losses: [] });
    expect(run.metrics!['bleu4']).toBeCloseTo((47.2367 + 100) / 2, 4);
    expect(run.metrics!['rouge1']).toBeCloseTo((66.6667 + 100) / 2, 4);
    expect(run.metrics!['rouge2']).toBeCloseTo((50 + 100) / 2, 4);
    expect(notes).toContain('method "lora" given');
  });

  it('falls back to adapter_config.json for the method, and says what was missing', async () => {
    const { run, missing, notes } = await importLlamaFactoryRun(LORA_PREDICT_ONLY);
    expect(run.method).toBe('lora');
    expect(missing).toEqual(['trainer_log.jsonl']);
    expect(run.wall_ms).toBeUndefined();
    expect(notes).toContain('method "lora": the folder holds adapter_config.json');
  });

  it('compares its scores with predict_results.json when present', async () => {
    const dir = tmpCopy(GALORE_RUN);
    const { run } = await importLlamaFactoryRun(dir);
    const m = run.metrics!;
    fs.writeFileSync(path.join(dir, 'predict', 'predict_results.json'), JSON.stringify({
      'predict_bleu-4': m.bleu4, 'predict_rouge-1': m.rouge1, 'predict_rouge-2': m.rouge2 + 5, 'predict_rouge-l': m.rougeL,
    }));
    const { notes } = await importLlamaFactoryRun(dir);
    expect(notes.find((n) => n.startsWith('metrics differ'))).toMatch(/rouge-2: ours .*, LLaMA-Factory/);
  });

  it('uses the log time without train_results.json, and --config for the method', async () => {
    const dir = tmpCopy(GALORE_RUN);
    fs.rmSync(path.join(dir, 'train_results.json'));
    fs.rmSync(path.join(dir, 'training_args.yaml'));
    const config = path.join(dir, '..', `${path.basename(dir)}-lora.yaml`);
    fs.writeFileSync(config, 'finetuning_type: lora\nlora_rank: 8\n');
    const { run, notes } = await importLlamaFactoryRun(dir, { config });
    expect(run.wall_ms).toBe(67_000); // last training line's elapsed_time (line 8)
    expect(notes).toContain(`wall time: elapsed_time of ${path.join(dir, 'trainer_log.jsonl')}:8 (whole seconds)`);
    expect(run.method).toBe('lora');
    expect(run.label).toMatch(/^LoRA r=8 /);
    // Without any config: the method is unknown, and the note says how to give it.
    const bare = await importLlamaFactoryRun(dir);
    expect(bare.run.method).toBe('llamafactory');
    expect(bare.notes.join('\n')).toMatch(/pass --method or --config/);
  });

  it('errors name the folder, or the file and line', async () => {
    await expect(importLlamaFactoryRun(path.join(FIXTURES, 'nowhere'))).rejects.toThrow(/nowhere: no such folder/);
    await expect(importLlamaFactoryRun(path.join(FIXTURES, 'lf-galore-run', 'train_results.json'))).rejects.toThrow(/is a file/);
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'galore-import-'));
    await expect(importLlamaFactoryRun(empty)).rejects.toThrow(/neither trainer_log\.jsonl nor generated_predictions\.jsonl/);
    await expect(importLlamaFactoryRun(BAD_LOG)).rejects.toThrow(`${path.join(BAD_LOG, 'trainer_log.jsonl')}:3: not valid JSON`);
    const badPred = fs.mkdtempSync(path.join(os.tmpdir(), 'galore-import-'));
    fs.writeFileSync(path.join(badPred, 'generated_predictions.jsonl'), '{"prompt": "q", "predict": "a", "label": "b"}\n{"prompt": "q", "predict": 3, "label": "b"}\n');
    await expect(importLlamaFactoryRun(badPred)).rejects.toThrow(`${path.join(badPred, 'generated_predictions.jsonl')}:2: field "predict" is a number, expected a string`);
  });
});

describe('methodFromLlamaFactoryConfig', () => {
  it('maps LLaMA-Factory configs to our method ids', () => {
    expect(methodFromLlamaFactoryConfig({ finetuning_type: 'lora' })).toBe('lora');
    expect(methodFromLlamaFactoryConfig({ finetuning_type: 'full' })).toBe('full');
    expect(methodFromLlamaFactoryConfig({ finetuning_type: 'full', use_galore: true })).toBe('galore');
    expect(methodFromLlamaFactoryConfig({ finetuning_type: 'full', use_galore: true, optim: 'adamw_bnb_8bit' })).toBe('galore8bit');
    expect(methodFromLlamaFactoryConfig({ stage: 'sft' })).toBeNull();
  });
});

describe('mergeImportedRun', () => {
  const local = (): ReproductionResults => ({
    model: 'tiny', seed: 42, steps: 4, batch_size: 8, seq_len: 192, lr: 1e-3,
    runs: [{ method: 'galore', label: 'GaLore r=32', losses: [3, 2] }],
    samples: [{ question: 'How should I ice a sprained ankle?', reference: 'Ice it for 15 minutes every few hours.', answers: { galore: 'Ice.' } }],
  });

  it('adds the run under a fresh method id and its answers to matching samples', async () => {
    const imported = await importLlamaFactoryRun(GALORE_RUN);
    const before = local();
    const merged = mergeImportedRun(before, imported);
    expect(before.runs).toHaveLength(1); // input unchanged
    expect(merged.runs.map((r) => r.method)).toEqual(['galore', 'galore-lf']);
    expect(merged.samples![0].answers).toEqual({ galore: 'Ice.', 'galore-lf': 'Ice it for 15 minutes </script><script>alert(1)</script>' });
    expect(mergeImportedRun(merged, imported).runs.map((r) => r.method)).toEqual(['galore', 'galore-lf', 'galore-lf2']);
    // The merged results render, the imported answer escaped.
    const html = renderReproductionReport(merged, { plotlySource: '', generatedAt: 'now' });
    expect(html).toContain('Ice it for 15 minutes &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html.match(/<script\b/g)).toHaveLength(3);
  });

  it('makes samples from the predictions when the results have none', async () => {
    const imported = await importLlamaFactoryRun(GALORE_RUN);
    const { samples: _unused, ...bare } = local();
    void _unused;
    const merged = mergeImportedRun(bare, imported, { sampleCount: 2 });
    expect(merged.samples).toEqual([
      { question: '扭伤后怎么办？', reference: '休息两周后复查', answers: { 'galore-lf': '休息两周' } },
      { question: 'How should I ice a sprained ankle?', reference: 'Ice it for 15 minutes every few hours.', answers: { 'galore-lf': 'Ice it for 15 minutes </script><script>alert(1)</script>' } },
    ]);
  });
});

describe('galore-lab import-run', () => {
  it('says which files it found and writes the run', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'galore-import-')), 'cluster_galore.json');
    const lines: string[] = [];
    expect(await importRunCommand(['--dir', GALORE_RUN, '--label', 'GaLore (A100)', '--out', out], (l) => lines.push(l))).toBe(0);
    const text = lines.join('\n');
    expect(text).toContain(`found ${path.join(GALORE_RUN, 'trainer_log.jsonl')}`);
    expect(text).toContain(`found ${path.join(GALORE_RUN, 'predict', 'generated_predictions.jsonl')}`);
    expect(text).toMatch(/loss 2\.5000 -> 1\.7500 over 4 logged steps/);
    expect(text).toContain('wall time 66.8 s');
    expect(text).toContain(`run -> ${out}`);
    const run = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(run).toMatchObject({ method: 'galore', label: 'GaLore (A100)', losses: [2.5, 2.25, 2, 1.75], wall_ms: 66750 });
    expect(run.metrics.count).toBe(3);
  });

  it('reports what is missing, prints JSON without --out, and needs --dir', async () => {
    const lines: string[] = [];
    expect(await importRunCommand(['--dir', LORA_PREDICT_ONLY], (l) => lines.push(l))).toBe(0);
    expect(lines.join('\n')).toContain('not found: trainer_log.jsonl');
    const json = lines.join('\n').slice(lines.join('\n').indexOf('{'));
    expect(JSON.parse(json).method).toBe('lora');
    await expect(importRunCommand([], () => undefined)).rejects.toThrow('galore-lab import-run: --dir is required');
  });
});
