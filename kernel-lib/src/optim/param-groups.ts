import { TrainableParam } from './optimizer';

/**
 * Which weights GaLore projects. A pattern is either
 * - `'all'`: every linear layer of the decoder (LLaMA-Factory's `galore_target all`):
 *   `model.layers.N.self_attn.{q,k,v,o}_proj.weight` and `model.layers.N.mlp.{gate,up,down}_proj.weight`;
 * - a module name such as `'q_proj'` or `'mlp'` (LLaMA-Factory's comma-separated `galore_target`):
 *   a `.weight` whose module path has that name as one of its dot-separated parts;
 * - a RegExp tested against the full parameter name.
 * Only 2-D weights are ever projected.
 */
export type GaloreTarget = 'all' | string | RegExp;

/** The weights `'all'` stands for. */
export const DECODER_LINEAR_WEIGHTS: readonly RegExp[] = [
  /^model\.layers\.\d+\.self_attn\.(q|k|v|o)_proj\.weight$/,
  /^model\.layers\.\d+\.mlp\.(gate|up|down)_proj\.weight$/,
];

/**
 * Parse LLaMA-Factory's `galore_target` string ("all" or "q_proj,v_proj").
 *
 * @example
 * parseGaloreTarget('q_proj, v_proj'); // ['q_proj', 'v_proj']
 * parseGaloreTarget('all');            // ['all']
 */
export function parseGaloreTarget(spec: string): GaloreTarget[] {
  const parts = spec.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (parts.length === 0) throw new Error('galore_target is empty: use "all" or module names such as "q_proj,v_proj"');
  return parts;
}

/**
 * Does a parameter name match the GaLore target patterns? (Shape is checked separately.)
 *
 * @example
 * matchesGaloreTarget('model.layers.3.mlp.up_proj.weight', ['all']);     // true
 * matchesGaloreTarget('model.layers.3.mlp.up_proj.weight', ['q_proj']);  // false
 * matchesGaloreTarget('model.embed_tokens.weight', ['all']);             // false
 */
export function matchesGaloreTarget(name: string, targets: readonly GaloreTarget[]): boolean {
  return targets.some((t) => {
    if (t instanceof RegExp) return t.test(name);
    if (t === 'all') return DECODER_LINEAR_WEIGHTS.some((re) => re.test(name));
    if (!name.endsWith('.weight')) return false;
    return name.slice(0, -'.weight'.length).split('.').includes(t);
  });
}

/**
 * Split parameters into those GaLore projects (matching and 2-D) and the rest.
 *
 * @example
 * const { galore, others } = splitGaloreParams(model.trainableParams(), ['all']);
 * // galore: the 7 linear weights of every decoder layer; others: embeddings, norms, biases, lm_head
 */
export function splitGaloreParams(
  params: readonly TrainableParam[], targets: readonly GaloreTarget[],
): { galore: TrainableParam[]; others: TrainableParam[] } {
  const galore: TrainableParam[] = [];
  const others: TrainableParam[] = [];
  for (const p of params) {
    (p.variable.rank === 2 && matchesGaloreTarget(p.name, targets) ? galore : others).push(p);
  }
  return { galore, others };
}
