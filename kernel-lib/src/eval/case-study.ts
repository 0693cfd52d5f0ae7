/**
 * Case studies: the same questions answered by several models (base, full
 * fine-tuning, LoRA, GaLore...) side by side with the reference answer, for
 * reading answers rather than averages, e.g. to spot hallucinated advice.
 * A `CaseStudy` shows as an HTML table in a notebook and as wrapped text in a
 * terminal (`console.log(study)`, `String(study)`).
 */
import { inspect } from 'node:util';
import type { MimeBundle } from '../display/kernel-hook';
import { escapeHtml, JUPYTER_DISPLAY } from '../display/mime-bundle';
import { llamaFactoryScores, type SimilarityScores } from '../metrics/llama-factory-scores';
import { formatPythonFixed } from '../metrics/python-semantics';
import type { Qwen2ForCausalLM } from '../model/causal-lm';
import { loadPretrained } from '../model/model-folder';
import { loadAdapter } from '../peft/adapter-io';
import type { Qwen2Tokenizer } from '../tokenizer/tokenizer';
import { readGenerationItems, type GenerationItem } from './generation-items';
import { predictWithGenerate, type PredictProgress, type PredictSampling } from './predict-with-generate';
import { readCompletedPredictions, type PredictionRow } from './prediction-rows';
import { displayWidth, wrapText } from './text-wrap';

/** One question of a case study. */
export interface CaseStudyRow {
  question: string;
  /** The reference answer as given (scores are computed against it; shown without trailing newlines). */
  reference: string;
  /** `answers[k]` is the answer of `models[k]`. */
  answers: string[];
}

/** What {@link caseStudy} takes. */
export interface CaseStudyInput {
  /** Heading shown above the table. */
  title?: string;
  questions: readonly string[];
  references: readonly string[];
  /** Model name -> its answers, in the order of `questions`; the columns follow the key order. */
  answers: Readonly<Record<string, readonly string[]>>;
  /** Show each answer's BLEU-4 / ROUGE-L against the reference. Default true. */
  scores?: boolean;
}

const SHOWN_SCORES = ['bleu-4', 'rouge-l'] as const;

function withoutTrailingNewlines(text: string): string {
  return text.replace(/[\r\n]+$/, '');
}

/**
 * A case study: questions, reference answers and several models' answers.
 * Displays itself as an HTML table in Jupyter and as text in a terminal.
 *
 * @example
 * const { caseStudy } = require('galore-lab');
 * const study = caseStudy({
 *   questions: ['Should I ice a sprained ankle?'],
 *   references: ['Ice for 15-20 minutes at a time in the first days.'],
 *   answers: { base: ['Yes, always run it off.'], galore: ['Ice it for 15 minutes at a time.'] },
 * });
 * study;              // last value of a notebook cell: the HTML table
 * console.log(study); // text
 */
export class CaseStudy {
  readonly title: string | undefined;
  readonly models: readonly string[];
  readonly rows: readonly CaseStudyRow[];
  /** `scores[i][k]`: LLaMA-Factory's scores of model k's answer to question i, or null when scores are off. */
  readonly scores: readonly (readonly SimilarityScores[])[] | null;

  constructor(models: readonly string[], rows: readonly CaseStudyRow[], options: { title?: string; scores?: boolean } = {}) {
    if (models.length === 0) throw new Error('caseStudy: no models; expected at least one model\'s answers');
    rows.forEach((row, i) => {
      if (row.answers.length !== models.length) {
        throw new Error(`caseStudy: question ${i + 1} has ${row.answers.length} answers for ${models.length} models (${models.join(', ')})`);
      }
    });
    this.title = options.title;
    this.models = [...models];
    this.rows = rows.map((row) => ({ ...row, answers: [...row.answers] }));
    this.scores = options.scores === false ? null : this.rows.map((row) => row.answers.map((answer) => llamaFactoryScores(answer, row.reference)));
  }

  /** Mean of each shown score per model over the questions (null when scores are off or there are no questions). */
  averages(): SimilarityScores[] | null {
    if (!this.scores || this.rows.length === 0) return null;
    return this.models.map((_, k) => {
      const mean = { 'bleu-4': 0, 'rouge-1': 0, 'rouge-2': 0, 'rouge-l': 0 };
      for (const name of Object.keys(mean) as (keyof SimilarityScores)[]) {
        let sum = 0;
        for (const perModel of this.scores!) sum += perModel[k][name];
        mean[name] = sum / this.scores!.length;
      }
      return mean;
    });
  }

  private heading(): string {
    const what = `${this.rows.length} question${this.rows.length === 1 ? '' : 's'} answered by ${this.models.join(', ')}`;
    return this.title ? `${this.title}: ${what}` : `Case study: ${what}`;
  }

  private scoreText(s: SimilarityScores): string {
    return SHOWN_SCORES.map((name) => `${name} ${formatPythonFixed(s[name], 2)}`).join('  ');
  }

  /**
   * The case study as text, wrapped to `width` columns: per question, the
   * reference and then each model's answer (with its scores).
   *
   * @example
   * console.log(study.toText(80));
   */
  toText(width = 100): string {
    const labelWidth = Math.max(displayWidth('reference'), ...this.models.map(displayWidth)) + 2;
    const textWidth = Math.max(20, width - labelWidth - 2);
    const out: string[] = wrapText(this.heading(), width);
    if (this.scores) out.push(...wrapText('(bleu-4 / rouge-l: LLaMA-Factory\'s per-sample scores against the reference)', width));
    const block = (label: string, text: string, note?: string): void => {
      const lines = wrapText(text === '' ? '(empty)' : text, textWidth);
      if (note) lines.push(`[${note}]`);
      lines.forEach((line, j) => {
        const head = j === 0 ? label + ' '.repeat(labelWidth - displayWidth(label)) : ' '.repeat(labelWidth);
        out.push(`  ${head}${line}`.trimEnd());
      });
    };
    this.rows.forEach((row, i) => {
      out.push('');
      const prefix = `[${i + 1}] `;
      wrapText(row.question, Math.max(20, width - prefix.length)).forEach((line, j) => out.push((j === 0 ? prefix : ' '.repeat(prefix.length)) + line));
      block('reference', withoutTrailingNewlines(row.reference));
      row.answers.forEach((answer, k) => block(this.models[k], answer, this.scores ? this.scoreText(this.scores[i][k]) : undefined));
    });
    const averages = this.averages();
    if (averages) {
      out.push('', 'average over these questions:');
      averages.forEach((avg, k) => block(this.models[k], this.scoreText(avg)));
    }
    return out.join('\n');
  }

  /**
   * The case study as an HTML table: one row per question, columns
   * question, reference and one per model. Everything from the data is escaped.
   *
   * @example
   * require('node:fs').writeFileSync('case-study.html', study.toHtml());
   */
  toHtml(): string {
    const cell = 'border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left;white-space:pre-wrap;';
    const head = 'border:1px solid #ccc;padding:4px 8px;text-align:left;background:#f3f3f3;';
    const note = 'display:block;margin-top:4px;color:#666;font-size:85%;white-space:nowrap;';
    const text = (s: string): string => (s === '' ? '<em>(empty)</em>' : escapeHtml(s));
    const html: string[] = ['<div class="galore-lab-case-study">', '<table style="border-collapse:collapse;font-size:90%;">'];
    html.push(`<caption style="caption-side:top;text-align:left;font-weight:bold;padding:4px 0;">${escapeHtml(this.heading())}</caption>`);
    html.push('<thead><tr>' + [`<th style="${head}">#</th>`, `<th style="${head}">question</th>`, `<th style="${head}">reference</th>`,
      ...this.models.map((m) => `<th style="${head}">${escapeHtml(m)}</th>`)].join('') + '</tr></thead>');
    html.push('<tbody>');
    this.rows.forEach((row, i) => {
      const answers = row.answers.map((answer, k) =>
        `<td style="${cell}min-width:12em;">${text(answer)}` +
        (this.scores ? `<span style="${note}">${escapeHtml(this.scoreText(this.scores[i][k]))}</span>` : '') + '</td>');
      html.push(`<tr><td style="${cell}">${i + 1}</td><td style="${cell}min-width:10em;">${text(row.question)}</td>` +
        `<td style="${cell}min-width:12em;background:#f7fbf7;">${text(withoutTrailingNewlines(row.reference))}</td>${answers.join('')}</tr>`);
    });
    html.push('</tbody>');
    const averages = this.averages();
    if (averages) {
      html.push(`<tfoot><tr><td style="${cell}" colspan="3">average over these questions</td>` +
        averages.map((avg) => `<td style="${cell}">${escapeHtml(this.scoreText(avg))}</td>`).join('') + '</tr></tfoot>');
    }
    html.push('</table>', '</div>');
    return html.join('\n');
  }

  /** Same as {@link CaseStudy.toText}. */
  toString(): string {
    return this.toText();
  }

  /** The data: title, models, rows and scores. */
  toJSON(): { title?: string; models: string[]; rows: CaseStudyRow[]; scores: SimilarityScores[][] | null } {
    return {
      ...(this.title === undefined ? {} : { title: this.title }),
      models: [...this.models],
      rows: this.rows.map((r) => ({ ...r, answers: [...r.answers] })),
      scores: this.scores ? this.scores.map((s) => [...s]) : null,
    };
  }

  /** Jupyter's rich display: the HTML table, with the text as fallback. */
  [JUPYTER_DISPLAY](): MimeBundle {
    return { 'text/html': this.toHtml(), 'text/plain': this.toText() };
  }

  /** `console.log(study)` in Node prints the text. */
  [inspect.custom](): string {
    return this.toText();
  }
}

/**
 * Build a case study from arrays: questions, reference answers and each
 * model's answers (same order). Errors say which model's list is short.
 *
 * @example
 * const { caseStudy } = require('galore-lab');
 * caseStudy({
 *   title: 'Ankle sprains',
 *   questions: ['Should I ice a sprained ankle?'],
 *   references: ['Ice for 15-20 minutes at a time in the first days.'],
 *   answers: { base: ['Run it off.'], full: ['Ice it.'], lora: ['Ice it briefly.'], galore: ['Ice for 15 minutes.'] },
 * });
 */
export function caseStudy(input: CaseStudyInput): CaseStudy {
  const n = input.questions.length;
  if (input.references.length !== n) {
    throw new Error(`caseStudy: ${n} questions but ${input.references.length} references; expected one reference per question`);
  }
  const models = Object.keys(input.answers);
  for (const m of models) {
    if (!Array.isArray(input.answers[m]) || input.answers[m].length !== n) {
      throw new Error(`caseStudy: model "${m}" has ${Array.isArray(input.answers[m]) ? input.answers[m].length : 'no'} answers for ${n} questions; expected one answer per question`);
    }
  }
  const rows = input.questions.map((question, i) => ({ question, reference: input.references[i], answers: models.map((m) => input.answers[m][i]) }));
  return new CaseStudy(models, rows, { title: input.title, scores: input.scores });
}

/**
 * The question of a `generated_predictions.jsonl` prompt: its last user turn
 * (`<|im_start|>user\n...<|im_end|>`), or the whole prompt when it is not in
 * the chat format.
 *
 * @example
 * const { questionOfPrompt } = require('galore-lab');
 * questionOfPrompt('<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nAnkle sprain?<|im_end|>\n<|im_start|>assistant\n'); // 'Ankle sprain?'
 */
export function questionOfPrompt(prompt: string): string {
  const start = prompt.lastIndexOf('<|im_start|>user\n');
  if (start < 0) return prompt;
  const body = prompt.slice(start + '<|im_start|>user\n'.length);
  const end = body.indexOf('<|im_end|>');
  return end < 0 ? body : body.slice(0, end);
}

/** Options of {@link caseStudyFromPredictions}. */
export interface CaseStudyFromPredictionsOptions {
  title?: string;
  /** Only the first `limit` questions. */
  limit?: number;
  /** Show per-answer scores (default true). */
  scores?: boolean;
}

/**
 * A case study from several `generated_predictions.jsonl` files (e.g. written
 * by `galore-lab eval --generate` or LLaMA-Factory) of the same questions:
 * `{ name: file }`, columns in key order. The rows must have the same prompts
 * and labels in the same order (the error names the file and line that
 * differ); files of different lengths are compared over their common first rows.
 *
 * @example
 * const { caseStudyFromPredictions } = require('galore-lab');
 * caseStudyFromPredictions({
 *   base: 'runs/base/generated_predictions.jsonl',
 *   full: 'runs/full/generated_predictions.jsonl',
 *   lora: 'runs/lora/generated_predictions.jsonl',
 *   galore: 'runs/galore/generated_predictions.jsonl',
 * }, { limit: 5 });
 */
export function caseStudyFromPredictions(files: Readonly<Record<string, string>>, options: CaseStudyFromPredictionsOptions = {}): CaseStudy {
  const models = Object.keys(files);
  if (models.length === 0) throw new Error('caseStudyFromPredictions: no files; expected { modelName: "path/generated_predictions.jsonl", ... }');
  const read = models.map((m) => {
    const found = readCompletedPredictions(files[m]);
    if (found.rows.length === 0) throw new Error(`${files[m]}: no predictions (missing or empty file); expected {"prompt","predict","label"} lines`);
    return found;
  });
  let n = Math.min(...read.map((r) => r.rows.length));
  if (options.limit !== undefined) n = Math.min(n, options.limit);
  const first = read[0];
  for (let k = 1; k < models.length; k++) {
    for (let i = 0; i < n; i++) {
      const a = first.rows[i];
      const b = read[k].rows[i];
      if (a.prompt !== b.prompt || a.label !== b.label) {
        const which = a.prompt !== b.prompt ? 'prompt' : 'label';
        throw new Error(`${files[models[k]]}:${read[k].lines[i]}: the ${which} differs from ${files[models[0]]}:${first.lines[i]}; ` +
          'a case study compares answers to the same questions in the same order');
      }
    }
  }
  const rows: CaseStudyRow[] = [];
  for (let i = 0; i < n; i++) {
    rows.push({ question: questionOfPrompt(first.rows[i].prompt), reference: first.rows[i].label, answers: read.map((r) => r.rows[i].predict) });
  }
  return new CaseStudy(models, rows, { title: options.title, scores: options.scores });
}

/** One model of {@link runCaseStudy}: a model folder (loaded, then freed), or a model already in memory. */
export interface CaseStudyModel {
  name: string;
  /** A Hugging Face model folder, or a loaded model (then `tokenizer` is required and the model is not freed). */
  model: string | Qwen2ForCausalLM;
  tokenizer?: Qwen2Tokenizer | null;
  /** A PEFT adapter folder to attach for this model's answers (detached again from an in-memory model). */
  adapter?: string;
}

/** Options of {@link runCaseStudy}. */
export interface RunCaseStudyOptions extends PredictSampling {
  title?: string;
  /** Only the first `limit` questions of a data file. */
  limit?: number;
  /** System prompt for questions without one (default: the chat template's). */
  defaultSystem?: string | null;
  scores?: boolean;
  /** Called after each answer, with the model's name. */
  onProgress?: (model: string, progress: PredictProgress) => void;
}

/**
 * Answer the same questions with several models, one after the other, and
 * lay the answers out side by side with the references. `questions` is a data
 * file (any record shape `readGenerationItems` reads) or items already read.
 * Greedy decoding unless `doSample`; each model sees the same seeds.
 *
 * @example
 * const { runCaseStudy, tinyBasePath, datasetSplitPath } = require('galore-lab');
 * const study = await runCaseStudy([
 *   { name: 'base', model: tinyBasePath() },
 *   { name: 'galore', model: 'runs/galore' },
 *   { name: 'lora', model: tinyBasePath(), adapter: 'runs/lora' },
 * ], datasetSplitPath('test'), { limit: 3, maxNewTokens: 64 });
 * study; // HTML table in the notebook
 */
export async function runCaseStudy(models: readonly CaseStudyModel[], questions: string | readonly GenerationItem[], options: RunCaseStudyOptions = {}): Promise<CaseStudy> {
  if (models.length === 0) throw new Error('runCaseStudy: no models; expected [{ name, model }, ...]');
  const names = new Set<string>();
  for (const m of models) {
    if (names.has(m.name)) throw new Error(`runCaseStudy: two models are named "${m.name}"; names label the columns and must differ`);
    names.add(m.name);
  }
  const items = typeof questions === 'string' ? readGenerationItems(questions, { limit: options.limit }) : questions.slice(0, options.limit);
  const { title, scores, onProgress } = options;
  const predictOptions = {
    maxNewTokens: options.maxNewTokens, doSample: options.doSample, temperature: options.temperature, topK: options.topK,
    topP: options.topP, repetitionPenalty: options.repetitionPenalty, seed: options.seed, defaultSystem: options.defaultSystem,
  };
  const answers: PredictionRow[][] = [];
  for (const m of models) {
    const loaded = typeof m.model === 'string' ? await loadPretrained(m.model) : null;
    const model = loaded ? loaded.model : (m.model as Qwen2ForCausalLM);
    const tokenizer = loaded ? loaded.tokenizer : m.tokenizer;
    let adapter: Awaited<ReturnType<typeof loadAdapter>> | undefined;
    try {
      if (!tokenizer) {
        throw new Error(typeof m.model === 'string' ? `${m.model}: the model folder has no tokenizer.json` : `runCaseStudy: model "${m.name}" is in memory; pass its tokenizer too`);
      }
      if (m.adapter !== undefined) adapter = (await loadAdapter(model, m.adapter)).eval();
      const result = await predictWithGenerate(model, tokenizer, items, {
        ...predictOptions,
        ...(onProgress ? { onProgress: (p: PredictProgress) => onProgress(m.name, p) } : {}),
      });
      answers.push(result.rows);
    } finally {
      adapter?.unload();
      loaded?.model.dispose();
    }
  }
  const rows = items.map((item, i) => ({
    question: item.messages[item.messages.length - 1].content,
    reference: answers[0][i].label,
    answers: answers.map((rowsOfModel) => rowsOfModel[i].predict),
  }));
  return new CaseStudy(models.map((m) => m.name), rows, { title, scores });
}
