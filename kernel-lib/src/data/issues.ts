/**
 * Problems found while reading data files, as values a user can act on: which
 * file, which line, which field, what was expected. Loaders collect them
 * instead of stopping at the first bad row, so one run shows every problem.
 */

/** One bad row or field in an input file. */
export interface DataIssue {
  /** The file the row came from (as given to the loader). */
  file: string;
  /** 1-based line number of the row's start in that file (0 when not known). */
  line: number;
  /** The field at fault, when there is one (`answer`, `topic`, `conversations[1].from`). */
  field?: string;
  /** What is wrong and what was expected. */
  message: string;
}

/** Records plus the problems found while loading them. */
export interface LoadResult<T> {
  records: T[];
  issues: DataIssue[];
}

/**
 * Formats an issue as `file:line: field: message`, the form editors and
 * terminals turn into a link.
 *
 * @example
 * formatIssue({ file: 'qa.jsonl', line: 3, field: 'topic', message: 'expected one of ...' });
 * // 'qa.jsonl:3: topic: expected one of ...'
 */
export function formatIssue(issue: DataIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}` : issue.file;
  return issue.field ? `${where}: ${issue.field}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** Thrown by `assertNoIssues`: carries every issue, and lists the first few in its message. */
export class DataLoadError extends Error {
  readonly issues: DataIssue[];
  constructor(issues: DataIssue[], shown = 10) {
    const lines = issues.slice(0, shown).map(formatIssue);
    const more = issues.length > shown ? `\n... and ${issues.length - shown} more (see error.issues)` : '';
    super(`${issues.length} problem(s) in the input data:\n${lines.join('\n')}${more}`);
    this.name = 'DataLoadError';
    this.issues = issues;
  }
}

/**
 * Returns the records of a load result, or throws a `DataLoadError` listing
 * every issue when there is any.
 *
 * @example
 * const records = assertNoIssues(loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl'));
 */
export function assertNoIssues<T>(result: LoadResult<T>): T[] {
  if (result.issues.length > 0) throw new DataLoadError(result.issues);
  return result.records;
}
