/**
 * Input history for `history_request`: `tail`, `range` and `search` (glob
 * patterns, as IPython's history search), kept in memory for this session.
 */

/** One executed cell. */
export interface HistoryEntry {
  session: number;
  line: number;
  input: string;
  /** `text/plain` of the cell's result, if it had one. */
  output: string | null;
}

/** The parts of a `history_request` we honour. */
export interface HistoryQuery {
  hist_access_type?: string;
  output?: boolean;
  session?: number;
  start?: number;
  stop?: number;
  n?: number;
  pattern?: string;
  unique?: boolean;
}

/** A reply row: `[session, line, input]` or `[session, line, [input, output]]`. */
export type HistoryRow = [number, number, string | [string, string | null]];

/** The session number of this kernel process (history is not kept across restarts). */
export const CURRENT_SESSION = 1;

/**
 * The history of this kernel session.
 *
 * @example
 * const history = new CellHistory();
 * history.record(1, 'const x = 1');
 * history.query({ hist_access_type: 'tail', n: 1 }); // [[1, 1, 'const x = 1']]
 */
export class CellHistory {
  private readonly entries: HistoryEntry[] = [];

  /** Adds an executed cell under its execution count. */
  record(line: number, input: string): HistoryEntry {
    const entry: HistoryEntry = { session: CURRENT_SESSION, line, input, output: null };
    this.entries.push(entry);
    return entry;
  }

  /** Answers a history request with reply rows. */
  query(query: HistoryQuery): HistoryRow[] {
    const chosen = this.select(query);
    return chosen.map((entry) =>
      query.output ? [entry.session, entry.line, [entry.input, entry.output]] : [entry.session, entry.line, entry.input],
    );
  }

  private select(query: HistoryQuery): HistoryEntry[] {
    switch (query.hist_access_type) {
      case 'tail':
        return lastN(this.entries, query.n);
      case 'range': {
        const session = query.session ?? 0;
        if (session !== 0 && session !== CURRENT_SESSION) return [];
        const start = query.start ?? 1;
        const stop = query.stop ?? Number.POSITIVE_INFINITY;
        return this.entries.filter((entry) => entry.line >= start && entry.line < stop);
      }
      case 'search': {
        const matcher = globToRegExp(query.pattern ?? '*');
        let found = this.entries.filter((entry) => matcher.test(entry.input));
        if (query.unique) found = keepLastOfEachInput(found);
        return lastN(found, query.n);
      }
      default:
        return [];
    }
  }
}

/**
 * Converts a glob (`*`, `?`, `[...]`) to an anchored regular expression.
 *
 * @example
 * globToRegExp('const *').test('const x = 1'); // true
 */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '*') source += '[\\s\\S]*';
    else if (char === '?') source += '[\\s\\S]';
    else if (char === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close < 0) source += '\\[';
      else {
        const body = pattern.slice(i + 1, close).replace(/\\/g, '\\\\');
        source += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = close;
      }
    } else source += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

function lastN<T>(items: T[], n: number | undefined): T[] {
  return n === undefined || n <= 0 ? items.slice() : items.slice(-n);
}

function keepLastOfEachInput(entries: HistoryEntry[]): HistoryEntry[] {
  const seen = new Set<string>();
  const out: HistoryEntry[] = [];
  for (let i = entries.length - 1; i >= 0; i--) {
    if (seen.has(entries[i].input)) continue;
    seen.add(entries[i].input);
    out.unshift(entries[i]);
  }
  return out;
}
