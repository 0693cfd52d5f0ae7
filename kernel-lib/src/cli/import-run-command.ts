/**
 * `galore-lab import-run`: a LLaMA-Factory run folder as a `results.json` run.
 */
import { formatBytes, sparkline } from './format';
import { importLlamaFactoryRun } from '../reproduce/import-run';
import { writeFileAtomic } from '../util/atomic-write';
import { parseCommandArgs, requiredFlag } from './args';

/**
 * `galore-lab import-run --dir DIR [--label NAME] [--out FILE] [--method ID]
 * [--config YAML]`: reads `trainer_log.jsonl` and `generated_predictions.jsonl`
 * (in DIR or DIR/predict) from a LLaMA-Factory output folder, scores the
 * answers with LLaMA-Factory's BLEU-4/ROUGE, says which files were found, and
 * writes the run (the shape of a `results.json` run entry) to `--out`, or
 * prints it as JSON without `--out`.
 *
 * @example
 * await importRunCommand(['--dir', 'saves/qwen2-0.5b-instruct/galore/sft', '--label', 'GaLore (A100)', '--out', 'out/galore_a100.json'], console.log);
 */
export async function importRunCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const v = parseCommandArgs(argv, {
    dir: { type: 'string' }, label: { type: 'string' }, out: { type: 'string' }, method: { type: 'string' }, config: { type: 'string' },
  }, 'import-run');
  const dir = requiredFlag(v, 'dir', 'import-run');
  const imported = await importLlamaFactoryRun(dir, {
    label: v.label as string | undefined, method: v.method as string | undefined, config: v.config as string | undefined,
  });
  const { run } = imported;
  out(`run "${run.label}" (method ${run.method}) from ${dir}`);
  for (const f of imported.found) out(`  found ${f}`);
  for (const f of imported.missing) out(`  not found: ${f}`);
  if (run.losses.length > 0) {
    out(`  loss ${run.losses[0].toFixed(4)} -> ${run.losses[run.losses.length - 1].toFixed(4)} over ${run.losses.length} logged steps  ${sparkline(run.losses)}`);
  }
  if (run.eval_losses?.length) out(`  validation loss ${run.eval_losses.map((e) => e.loss.toFixed(4)).join(', ')}`);
  if (typeof run.wall_ms === 'number') out(`  wall time ${(run.wall_ms / 1000).toFixed(1)} s`);
  if (typeof run.tokens_per_second === 'number') out(`  ${run.tokens_per_second.toFixed(0)} tokens/s`);
  if (typeof run.memory_bytes === 'number') out(`  peak GPU memory allocated ${formatBytes(run.memory_bytes)}`);
  if (run.metrics) {
    const m = run.metrics;
    out(`  BLEU-4 ${m.bleu4.toFixed(4)}  ROUGE-1 ${m.rouge1.toFixed(4)}  ROUGE-2 ${m.rouge2.toFixed(4)}  ROUGE-L ${m.rougeL.toFixed(4)}  (${m.count} answers)`);
  }
  for (const n of imported.notes) out(`  note: ${n}`);
  const json = JSON.stringify(run, null, 2) + '\n';
  if (v.out) {
    await writeFileAtomic(v.out as string, json);
    out(`run -> ${v.out as string}`);
  } else {
    out(json.trimEnd());
  }
  return 0;
}
