/**
 * Loader for cMedQA2 (Zhang et al., 2018; github.com/zhangsheng93/cMedQA2), the
 * Chinese community medical Q&A set the paper merges with sports-injury data.
 *
 * The real set (about 100k questions; non-commercial research use, GPL-3.0
 * repository) cannot be shipped here: point the loader at your own unzipped
 * copy. The files, all CSV with a header row, UTF-8 (a BOM is accepted;
 * GB18030 is detected and decoded as a fallback):
 *
 * - `question.csv`: `question_id,content`
 * - `answer.csv`: `ans_id,question_id,content` (the question an answer was written for)
 * - `train_candidates.txt`: `question_id,pos_ans_id,neg_ans_id`, one row per
 *   (positive, sampled negative) pair, so a positive repeats on many rows
 * - `dev_candidates.txt`, `test_candidates.txt`: `question_id,ans_id,cnt,label`,
 *   100 candidates per question (`cnt` 0..99), `label` 1 for a correct answer
 *
 * `datasets/cmedqa2-sample/` has a small set in the same format, written by us.
 */
import * as fs from 'fs';
import * as path from 'path';
import { decodeText, parseCsv } from './csv';
import { DataIssue, LoadResult } from './issues';
import { keywordMatcher } from './keywords';
import { applyStep, makeExample, QaExample } from './provenance';

export type Cmedqa2Split = 'train' | 'dev' | 'test';

/** One labelled candidate answer for a question. */
export interface Cmedqa2Candidate {
  questionId: string;
  answerId: string;
  label: 0 | 1;
  split: Cmedqa2Split;
  file: string;
  line: number;
}

interface TextRow {
  id: string;
  questionId?: string;
  content: string;
  file: string;
  line: number;
}

export interface Cmedqa2Options {
  /** Which candidate files to read; default all three that exist. */
  splits?: Cmedqa2Split[];
  /** Keep only pairs whose question (or answer, see `keywordFields`) contains one of these terms. */
  keywords?: readonly string[];
  keywordFields?: 'question' | 'question+answer';
  /** One correct answer per question (the first listed) or all of them. Default `all`. */
  answersPerQuestion?: 'first' | 'all';
  /** Stop after this many examples (after filtering). */
  limit?: number;
  /** Force a file encoding instead of detecting UTF-8 / GB18030. */
  encoding?: 'utf-8' | 'gb18030';
  /** Data set name and license recorded in provenance; default `cMedQA2` and its terms. */
  datasetName?: string;
  license?: string;
}

/** What was read and kept, for a summary line in a notebook. */
export interface Cmedqa2Stats {
  questions: number;
  answers: number;
  candidates: number;
  positives: number;
  examples: number;
  filteredOut: number;
  encoding: Record<string, string>;
}

const CANDIDATE_FILES: Record<Cmedqa2Split, string> = {
  train: 'train_candidates.txt',
  dev: 'dev_candidates.txt',
  test: 'test_candidates.txt',
};

function readCsvFile(file: string, expected: string[][], issues: DataIssue[], encoding?: 'utf-8' | 'gb18030') {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    issues.push({ file, line: 0, message: `cannot read the file: ${(err as Error).message}` });
    return null;
  }
  const decoded = decodeText(bytes, encoding);
  const { rows, issues: csvIssues } = parseCsv(decoded.text, file);
  issues.push(...csvIssues);
  const header = rows[0]?.fields.map((f) => f.trim());
  const match = expected.find((h) => header && h.length === header.length && h.every((c, i) => c === header[i]));
  if (!match) {
    issues.push({
      file,
      line: 1,
      message: `header is ${JSON.stringify(header?.join(',') ?? '')}; expected ${expected.map((h) => JSON.stringify(h.join(','))).join(' or ')}`,
    });
    return null;
  }
  return { header: match, rows: rows.slice(1), encoding: decoded.encoding };
}

function readTexts(file: string, withQuestionId: boolean, issues: DataIssue[], encoding?: 'utf-8' | 'gb18030') {
  const expected = withQuestionId ? [['ans_id', 'question_id', 'content']] : [['question_id', 'content']];
  const table = readCsvFile(file, expected, issues, encoding);
  const out = new Map<string, TextRow>();
  if (!table) return { rows: out, encoding: 'unread' };
  for (const row of table.rows) {
    if (row.fields.length !== expected[0].length) {
      issues.push({ file, line: row.line, message: `has ${row.fields.length} fields; expected ${expected[0].length} (${expected[0].join(',')}); quote content that contains commas` });
      continue;
    }
    const [id, a, b] = row.fields.map((f) => f.trim());
    const content = withQuestionId ? b : a;
    if (id === '') {
      issues.push({ file, line: row.line, field: expected[0][0], message: 'is empty; expected an id' });
      continue;
    }
    if (content === '') {
      issues.push({ file, line: row.line, field: 'content', message: 'is empty; expected the text' });
      continue;
    }
    if (out.has(id)) {
      issues.push({ file, line: row.line, field: expected[0][0], message: `duplicate id ${id}; first seen at line ${(out.get(id) as TextRow).line}` });
      continue;
    }
    out.set(id, { id, questionId: withQuestionId ? a : undefined, content, file, line: row.line });
  }
  return { rows: out, encoding: table.encoding };
}

/**
 * Reads one candidates file (either layout) into labelled candidates; a
 * positive that the training layout repeats on many rows is returned once.
 *
 * @example
 * readCmedqa2Candidates('datasets/cmedqa2-sample/dev_candidates.txt', 'dev').records.filter((c) => c.label === 1);
 */
export function readCmedqa2Candidates(file: string, split: Cmedqa2Split, encoding?: 'utf-8' | 'gb18030'): LoadResult<Cmedqa2Candidate> {
  const issues: DataIssue[] = [];
  const table = readCsvFile(file, [['question_id', 'pos_ans_id', 'neg_ans_id'], ['question_id', 'ans_id', 'cnt', 'label']], issues, encoding);
  const records: Cmedqa2Candidate[] = [];
  if (!table) return { records, issues };
  const seen = new Set<string>();
  const add = (questionId: string, answerId: string, label: 0 | 1, line: number): void => {
    const key = `${questionId}/${answerId}`;
    if (seen.has(key)) return;
    seen.add(key);
    records.push({ questionId, answerId, label, split, file, line });
  };
  const training = table.header[1] === 'pos_ans_id';
  for (const row of table.rows) {
    const f = row.fields.map((x) => x.trim());
    if (f.length !== table.header.length) {
      issues.push({ file, line: row.line, message: `has ${f.length} fields; expected ${table.header.length} (${table.header.join(',')})` });
      continue;
    }
    if (f.some((x) => x === '')) {
      issues.push({ file, line: row.line, field: table.header[f.indexOf('')], message: 'is empty; expected an id' });
      continue;
    }
    if (training) {
      add(f[0], f[1], 1, row.line);
      add(f[0], f[2], 0, row.line);
    } else {
      if (f[3] !== '0' && f[3] !== '1') {
        issues.push({ file, line: row.line, field: 'label', message: `is ${JSON.stringify(f[3])}; expected 0 or 1` });
        continue;
      }
      add(f[0], f[1], f[3] === '1' ? 1 : 0, row.line);
    }
  }
  return { records, issues };
}

function findFile(dir: string, names: string[]): string | null {
  for (const n of names) if (fs.existsSync(path.join(dir, n))) return path.join(dir, n);
  return null;
}

/**
 * Loads cMedQA2 from a folder as Q&A examples: joins each question with its
 * correct (label 1) answers from the candidate files and, optionally, keeps
 * only questions about a topic (`keywords`). Every example records its
 * question, answer and candidate rows in its provenance. Bad rows are
 * reported with file and line in `issues`.
 *
 * @example
 * const { records, issues, stats } = loadCmedqa2('datasets/cmedqa2-sample', { keywords: ['扭伤', '拉伤', '韧带'] });
 * records[0].provenance.steps[0].params; // { questionFile: ..., questionLine: 3, answerFile: ..., answerLine: 5, ... }
 */
export function loadCmedqa2(dir: string, options: Cmedqa2Options = {}): LoadResult<QaExample> & { stats: Cmedqa2Stats } {
  const issues: DataIssue[] = [];
  const qFile = findFile(dir, ['question.csv', 'questions.csv']);
  const aFile = findFile(dir, ['answer.csv', 'answers.csv']);
  const stats: Cmedqa2Stats = { questions: 0, answers: 0, candidates: 0, positives: 0, examples: 0, filteredOut: 0, encoding: {} };
  if (!qFile || !aFile) {
    issues.push({
      file: dir,
      line: 0,
      message: `expected question.csv and answer.csv in this folder (found: ${fs.existsSync(dir) ? fs.readdirSync(dir).join(', ') || 'nothing' : 'the folder does not exist'}); unzip the cMedQA2 archives there`,
    });
    return { records: [], issues, stats };
  }
  const questions = readTexts(qFile, false, issues, options.encoding);
  const answers = readTexts(aFile, true, issues, options.encoding);
  stats.questions = questions.rows.size;
  stats.answers = answers.rows.size;
  stats.encoding = { [path.basename(qFile)]: questions.encoding, [path.basename(aFile)]: answers.encoding };

  const splits = options.splits ?? (['train', 'dev', 'test'] as Cmedqa2Split[]);
  const positives: Cmedqa2Candidate[] = [];
  for (const split of splits) {
    const file = path.join(dir, CANDIDATE_FILES[split]);
    if (!fs.existsSync(file)) {
      if (options.splits) issues.push({ file, line: 0, message: `the ${split} candidates file is missing` });
      continue;
    }
    const cands = readCmedqa2Candidates(file, split, options.encoding);
    issues.push(...cands.issues);
    stats.candidates += cands.records.length;
    positives.push(...cands.records.filter((c) => c.label === 1));
  }
  stats.positives = positives.length;

  const match = options.keywords ? keywordMatcher(options.keywords) : null;
  const perQuestion = new Map<string, number>();
  const records: QaExample[] = [];
  for (const c of positives) {
    if (options.limit !== undefined && records.length >= options.limit) break;
    const q = questions.rows.get(c.questionId);
    const a = answers.rows.get(c.answerId);
    if (!q) {
      issues.push({ file: c.file, line: c.line, field: 'question_id', message: `${c.questionId} is not in ${path.basename(qFile)}` });
      continue;
    }
    if (!a) {
      issues.push({ file: c.file, line: c.line, field: 'ans_id', message: `${c.answerId} is not in ${path.basename(aFile)}` });
      continue;
    }
    if (a.questionId !== c.questionId) {
      issues.push({
        file: c.file,
        line: c.line,
        message: `answer ${c.answerId} is labelled correct for question ${c.questionId}, but ${path.basename(aFile)} line ${a.line} says it answers question ${a.questionId}`,
      });
      continue;
    }
    if (options.answersPerQuestion === 'first' && perQuestion.has(c.questionId)) continue;
    let matched: string[] = [];
    if (match) {
      matched = match(options.keywordFields === 'question+answer' ? `${q.content}\n${a.content}` : q.content);
      if (matched.length === 0) {
        stats.filteredOut++;
        continue;
      }
    }
    perQuestion.set(c.questionId, (perQuestion.get(c.questionId) ?? 0) + 1);
    let example = makeExample(
      { id: `cmedqa2-${c.questionId}-${c.answerId}`, question: q.content, answer: a.content, language: 'zh' },
      {
        dataset: options.datasetName ?? 'cMedQA2',
        file: a.file,
        line: a.line,
        originalId: `${c.questionId}/${c.answerId}`,
        license: options.license ?? 'cMedQA2 terms: non-commercial research use',
      },
    );
    example = applyStep(
      example,
      {},
      {
        operator: 'cmedqa2.join',
        params: {
          split: c.split,
          questionFile: q.file,
          questionLine: q.line,
          answerFile: a.file,
          answerLine: a.line,
          candidatesFile: c.file,
          candidatesLine: c.line,
        },
        changes: [],
      },
      { keepId: true },
    );
    if (match) {
      example = applyStep(example, {}, { operator: 'keyword-filter', params: { matched }, changes: [] }, { keepId: true });
    }
    records.push(example);
  }
  stats.examples = records.length;
  return { records, issues, stats };
}
