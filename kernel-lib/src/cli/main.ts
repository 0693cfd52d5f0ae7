#!/usr/bin/env node
/**
 * The `galore-lab` command line. Each subcommand lives in its own module and
 * is loaded only when used, so `galore-lab --help` starts fast.
 */
import { UsageError } from './args';

type Command = (argv: string[], out: (line: string) => void) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  train: { summary: 'fine-tune a model folder on JSONL data (--method full)', load: async () => (await import('./train-command')).trainCommand },
  eval: { summary: 'NLL/perplexity; --generate: predictions + BLEU/ROUGE as LLaMA-Factory; --compare: case study', load: async () => (await import('./eval-command')).evalCommand },
  generate: { summary: 'generate text (greedy or sampled) from a prompt, streaming', load: async () => (await import('./generate-command')).generateCommand },
  metrics: { summary: 'BLEU-4 and ROUGE as LLaMA-Factory computes them', load: async () => (await import('./metrics-command')).metricsCommand },
  memory: { summary: 'the memory ledger: weights, gradients, optimizer states, activations per method', load: async () => (await import('./memory-command')).memoryCommand },
  'install-kernel': { summary: 'install the GaLore Lab TypeScript kernel into Jupyter (--user|--prefix DIR|--name N|--uninstall)', load: async () => (await import('./install-kernel-command')).installKernelCommand },
  'export-recipe': { summary: 'write a LLaMA-Factory recipe (YAMLs, data, README) for the same fine-tuning (--to llamafactory)', load: async () => (await import('./export-recipe-command')).exportRecipeCommand },
  'import-run': { summary: 'read a LLaMA-Factory run folder (trainer_log.jsonl, generated_predictions.jsonl) as a results.json run', load: async () => (await import('./import-run-command')).importRunCommand },
  'install-extension': { summary: 'install the prebuilt JupyterLab 4 extension (dashboard, status bar, training monitor)', load: async () => (await import('../telemetry/install-extension-command')).installExtensionCommand },
  init: { summary: 'write a randomly initialised model folder from a config.json', load: async () => (await import('./init-command')).initCommand },
  info: { summary: 'the TensorFlow.js backend in use and why the others were not', load: async () => (await import('./info-command')).infoCommand },
  reproduce: { summary: 'the main job: train the embedded tiny model and report (npm start)', load: async () => (await import('./reproduce-command')).reproduceCommand },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return ['usage: galore-lab <command> [flags]', '', 'commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '', 'Flags of each command: see the README ("Command line").'].join('\n');
}

/** Run the CLI with `argv` (without node and script); returns the exit code. */
export async function runCli(argv: string[], out: (line: string) => void = (l) => console.log(l)): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(usage());
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(`galore-lab: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await (await cmd.load())(rest, out);
  } catch (e) {
    const err = e as Error;
    if (err instanceof UsageError) console.error(err.message);
    else console.error(`galore-lab ${name}: ${process.env.GALORE_LAB_DEBUG ? err.stack : err.message}`);
    return err instanceof UsageError ? 2 : 1;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
