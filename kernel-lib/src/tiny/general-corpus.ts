/**
 * The general health and sports corpus (`datasets/general-health-sports/`):
 * short documents the project wrote, in English and Chinese, that the tiny
 * base model is pretrained on before any fine-tuning.
 *
 * The files are Markdown: `LANG/TOPIC.md` (LANG is `en` or `zh`) opens with a
 * `# Topic title` line, and each `## Document title` starts one document whose
 * text is the paragraphs up to the next `##`. The reader reports every
 * malformed file, heading or empty document with its file and line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DataIssue, LoadResult } from '../data/issues';

/** The corpus languages, one folder each. */
export const GENERAL_CORPUS_LANGUAGES = ['en', 'zh'] as const;
export type GeneralCorpusLanguage = (typeof GENERAL_CORPUS_LANGUAGES)[number];

/** One document of the corpus. */
export interface CorpusDocument {
  /** `<language>-<topic>-<3-digit number>`, numbered in file order. */
  id: string;
  language: GeneralCorpusLanguage;
  /** The file name without `.md`. */
  topic: string;
  /** The `##` heading. */
  title: string;
  /** The paragraphs, joined with one newline. */
  text: string;
  file: string;
  /** 1-based line of the `##` heading. */
  line: number;
}

/**
 * The shipped corpus folder (repo checkout layout).
 *
 * @example
 * generalCorpusPath(); // '/path/to/repo/datasets/general-health-sports'
 */
export function generalCorpusPath(): string {
  return path.resolve(__dirname, '..', '..', '..', 'datasets', 'general-health-sports');
}

/**
 * Parses one corpus file's text (see the module comment for the format).
 *
 * @example
 * parseCorpusMarkdown('# Sleep\n\n## Naps\nA short nap helps.\n', 'en/sleep.md', 'en').records[0].text; // 'A short nap helps.'
 */
export function parseCorpusMarkdown(text: string, file: string, language: GeneralCorpusLanguage): LoadResult<CorpusDocument> {
  const topic = path.basename(file).replace(/\.md$/, '');
  const issues: DataIssue[] = [];
  const records: CorpusDocument[] = [];
  const lines = text.replace(/^\ufeff/, '').split('\n').map((l) => l.replace(/\r$/, ''));
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first < 0) return { records, issues: [{ file, line: 0, message: 'the file is empty; expected a "# Topic title" line and "## Document title" sections' }] };
  if (!/^# \S/.test(lines[first])) {
    issues.push({ file, line: first + 1, message: `expected the file to open with a "# Topic title" line, found ${JSON.stringify(lines[first].slice(0, 40))}` });
  }
  let current: { title: string; line: number; body: string[] } | null = null;
  const titles = new Map<string, number>();
  const close = (): void => {
    if (!current) return;
    const body = current.body.join('\n').replace(/\n{2,}/g, '\n').trim();
    if (body === '') {
      issues.push({ file, line: current.line, message: `document "${current.title}" has no text; write its paragraphs under the heading or remove the heading` });
    } else {
      records.push({
        id: `${language}-${topic}-${String(records.length + 1).padStart(3, '0')}`,
        language, topic, title: current.title, text: body, file, line: current.line,
      });
    }
    current = null;
  };
  for (let i = first + 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('## ')) {
      close();
      const title = line.slice(3).trim();
      if (title === '') issues.push({ file, line: i + 1, message: 'empty "##" heading; expected a document title after "## "' });
      const seen = titles.get(title);
      if (seen !== undefined) issues.push({ file, line: i + 1, message: `duplicate document title "${title}" (first at line ${seen})` });
      titles.set(title, i + 1);
      current = { title, line: i + 1, body: [] };
    } else if (/^#{1,6}\s/.test(line)) {
      issues.push({ file, line: i + 1, message: `unexpected heading ${JSON.stringify(line.slice(0, 40))}; only one "# " line at the top and "## " document headings are allowed` });
    } else if (current) {
      current.body.push(line);
    } else if (line.trim() !== '') {
      issues.push({ file, line: i + 1, message: 'text before the first "## Document title" heading; every paragraph must belong to a document' });
    }
  }
  close();
  if (records.length === 0 && issues.length === 0) issues.push({ file, line: first + 1, message: 'no "## Document title" sections found' });
  return { records, issues };
}

/**
 * Reads every `en/*.md` and `zh/*.md` file of the corpus folder, in sorted
 * file order. Issues name the file and line; a missing folder is an issue too.
 *
 * @example
 * const { records, issues } = readGeneralCorpus();
 * records.filter((d) => d.language === 'zh').length;
 */
export function readGeneralCorpus(dir: string = generalCorpusPath()): LoadResult<CorpusDocument> {
  const records: CorpusDocument[] = [];
  const issues: DataIssue[] = [];
  if (!fs.existsSync(dir)) return { records, issues: [{ file: dir, line: 0, message: 'corpus folder not found; expected en/*.md and zh/*.md inside it' }] };
  for (const language of GENERAL_CORPUS_LANGUAGES) {
    const sub = path.join(dir, language);
    if (!fs.existsSync(sub)) {
      issues.push({ file: sub, line: 0, message: `language folder missing; expected ${language}/*.md documents` });
      continue;
    }
    for (const name of fs.readdirSync(sub).filter((f) => f.endsWith('.md')).sort()) {
      const file = path.join(sub, name);
      const parsed = parseCorpusMarkdown(fs.readFileSync(file, 'utf8'), file, language);
      records.push(...parsed.records);
      issues.push(...parsed.issues);
    }
  }
  return { records, issues };
}
