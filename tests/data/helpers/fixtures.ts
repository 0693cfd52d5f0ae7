// Small helpers shared by the data tests: a temp folder per test and a
// hand-made example.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { makeExample, QaExample } from '../../../kernel-lib/src/data/provenance';
import { QaRecord } from '../../../kernel-lib/src/data/qa-schema';

export const REPO = path.resolve(__dirname, '..', '..', '..');

export function tempDir(prefix = 'galore-data-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function write(dir: string, name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

export function example(fields: Partial<QaExample> & { id: string; question: string; answer?: string }): QaExample {
  return makeExample(
    {
      answer: 'Rest, protect the area and see a clinician if it does not improve.',
      language: 'en',
      ...fields,
    } as Omit<QaExample, 'provenance'>,
    { dataset: 'test' },
  );
}

export function record(fields: Partial<QaRecord> & { id: string }): QaRecord {
  return {
    question: 'How do I look after a sprained ankle?',
    answer: 'Protect it, keep it raised and see a clinician if you cannot bear weight.',
    topic: 'ankle-sprain',
    body_part: 'ankle',
    phase: 'acute-care',
    language: 'en',
    source: 'authored',
    ...fields,
  };
}
