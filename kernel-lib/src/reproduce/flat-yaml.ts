/**
 * A tiny YAML writer and reader for flat key/value files: LLaMA-Factory's
 * training configs (`llamafactory-cli train config.yaml`) and the
 * `training_args.yaml` its web UI saves. Values are scalars (strings,
 * numbers, booleans, null) or, when reading, block lists of scalars.
 *
 * LLaMA-Factory reads YAML with PyYAML, which follows YAML 1.1: `yes`, `on`
 * and `off` are booleans, and a float needs a dot (`1e-5` is a string,
 * `1.0e-5` a float). The writer quotes every string PyYAML would read as
 * something else and writes every float so that PyYAML reads a float; the
 * reader resolves plain scalars the same way PyYAML does.
 */

/**
 * A value of a flat YAML file.
 *
 * @example
 * const values: YamlScalar[] = ['sft', 1e-4, true, null];
 */
export type YamlScalar = string | number | boolean | null;

/**
 * A line of a flat YAML file: a key and value (with an optional trailing
 * comment; `float: true` writes an integral number as `3.0`), a comment line,
 * or a blank line.
 *
 * @example
 * const lines: YamlLine[] = [{ comment: '### train' }, { key: 'num_train_epochs', value: 3, float: true }, { blank: true }];
 */
export type YamlLine =
  | { key: string; value: YamlScalar; comment?: string; float?: boolean }
  | { comment: string }
  | { blank: true };

/** PyYAML's (YAML 1.1) booleans and nulls: strings spelled like these must be quoted. */
const YAML11_BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|y|Y|n|N)$/;
const YAML11_NULL = /^(?:~|null|Null|NULL|)$/;
/** Plain strings that are safe unquoted: start with a letter, `_` or `/`, no `: `, ` #`, no trailing space. */
const SAFE_PLAIN = /^[A-Za-z_/](?:[A-Za-z0-9_./,+@=() -]*[A-Za-z0-9_./,+@=()-])?$/;
const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Formats a number as a YAML scalar PyYAML reads back as the same number:
 * integers plainly (`3`), other numbers with a dot and a signed exponent
 * where one is needed (`0.25`, `1.0e-5`), `.inf`, `.nan`.
 * With `float: true` an integer is written as `3.0`.
 *
 * @example
 * yamlNumber(1e-5);              // '1.0e-5'
 * yamlNumber(0.25);              // '0.25'
 * yamlNumber(3, { float: true }); // '3.0'
 */
export function yamlNumber(n: number, options: { float?: boolean } = {}): string {
  if (Number.isNaN(n)) return '.nan';
  if (n === Infinity) return '.inf';
  if (n === -Infinity) return '-.inf';
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return options.float ? `${n}.0` : String(n);
  const abs = Math.abs(n);
  const text = abs < 1e-3 || abs >= 1e21 ? n.toExponential() : String(n);
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]?)(\d+)$/.exec(text);
  if (!m) return text.includes('.') ? text : `${text}.0`;
  return `${m[1]}${m[2]}.${m[3] ?? '0'}e${m[4] === '-' ? '-' : '+'}${m[5]}`;
}

/**
 * A scalar as YAML text: strings plain when PyYAML would read them back as
 * the same string, double-quoted (JSON escapes, which YAML accepts) otherwise.
 *
 * @example
 * yamlScalar('Qwen/Qwen2-0.5B-Instruct'); // 'Qwen/Qwen2-0.5B-Instruct'
 * yamlScalar('yes');                      // '"yes"'
 * yamlScalar('1e-5');                     // '"1e-5"'
 * yamlScalar(true);                       // 'true'
 */
export function yamlScalar(value: YamlScalar, options: { float?: boolean } = {}): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return yamlNumber(value, options);
  if (typeof value !== 'string') throw new TypeError(`yamlScalar: expected a string, number, boolean or null, got ${typeof value}`);
  if (SAFE_PLAIN.test(value) && !YAML11_BOOL.test(value) && !YAML11_NULL.test(value)) return value;
  // JSON escapes are YAML double-quoted escapes; also escape what PyYAML would
  // reject (DEL, C1 controls) or read as a line break (U+2028, U+2029).
  return JSON.stringify(value).replace(/[\u007f-\u009f\u2028\u2029\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Writes a flat YAML document from a key/value map or from lines (which can
 * carry comments). Throws on a key YAML would need to quote.
 *
 * @example
 * flatYaml({ stage: 'sft', do_train: true, learning_rate: 1e-4 });
 * // 'stage: sft\ndo_train: true\nlearning_rate: 0.0001\n'
 * flatYaml([{ comment: '### method' }, { key: 'galore_scale', value: 0.25, comment: "LLaMA-Factory's default is 2.0" }]);
 * // "### method\ngalore_scale: 0.25  # LLaMA-Factory's default is 2.0\n"
 */
export function flatYaml(entries: Readonly<Record<string, YamlScalar>> | readonly YamlLine[]): string {
  const lines: readonly YamlLine[] = Array.isArray(entries)
    ? entries
    : Object.entries(entries).map(([key, value]) => ({ key, value }));
  const comment = (text: string): string => text.split('\n').map((t) => (t.startsWith('#') ? t : `# ${t}`)).join('\n');
  const out: string[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    if ('blank' in line) {
      out.push('');
    } else if ('key' in line) {
      if (!KEY.test(line.key) || YAML11_BOOL.test(line.key) || YAML11_NULL.test(line.key)) {
        throw new Error(`flatYaml: key ${JSON.stringify(line.key)} is not a plain name (letters, digits, _ . -; not a YAML 1.1 boolean or null such as yes, on, null)`);
      }
      if (seen.has(line.key)) throw new Error(`flatYaml: key "${line.key}" appears twice`);
      seen.add(line.key);
      const text = `${line.key}: ${yamlScalar(line.value, { float: line.float })}`;
      out.push(line.comment ? `${text}  # ${line.comment.replace(/\n/g, ' ')}` : text);
    } else {
      out.push(comment(line.comment));
    }
  }
  return out.join('\n') + '\n';
}

/** PyYAML's float pattern (YAML 1.1): a dot is required, an exponent needs a sign. */
const YAML11_FLOAT = /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+][0-9]+)?$/;
const YAML11_INT = /^[-+]?(?:0|[1-9][0-9_]*)$/;

/**
 * Resolves a plain (unquoted) YAML scalar as PyYAML does: null, booleans
 * (`true`, `yes`, `on`, ... but not `y`/`n`), decimal integers, floats with a
 * dot, `.inf`/`.nan`; anything else is a string.
 *
 * @example
 * resolvePlainScalar('1.0e-4'); // 0.0001
 * resolvePlainScalar('1e-4');   // '1e-4' (a string to PyYAML)
 * resolvePlainScalar('on');     // true
 */
export function resolvePlainScalar(text: string): YamlScalar {
  if (YAML11_NULL.test(text)) return null;
  if (/^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/.test(text)) return true;
  if (/^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/.test(text)) return false;
  if (YAML11_INT.test(text)) return Number(text.replace(/_/g, ''));
  if (/^[-+]?\.(?:inf|Inf|INF)$/.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (/^\.(?:nan|NaN|NAN)$/.test(text)) return NaN;
  if (YAML11_FLOAT.test(text) && /[0-9]/.test(text)) return Number(text.replace(/_/g, ''));
  return text;
}

/** Splits `value  # comment` into the scalar text, reading quoted scalars to their end. */
function scalarText(rest: string, where: string): YamlScalar {
  const s = rest.trim();
  if (s.startsWith('"')) {
    let i = 1;
    while (i < s.length && s[i] !== '"') i += s[i] === '\\' ? 2 : 1;
    if (i >= s.length) throw new Error(`${where}: unterminated double-quoted string`);
    const tail = s.slice(i + 1).trim();
    if (tail !== '' && !tail.startsWith('#')) throw new Error(`${where}: unexpected text after the quoted string: ${JSON.stringify(tail)}`);
    try {
      return JSON.parse(s.slice(0, i + 1).replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1').replace(/\\\//g, '/')) as string;
    } catch {
      throw new Error(`${where}: unsupported escape in the double-quoted string ${s.slice(0, i + 1)}`);
    }
  }
  if (s.startsWith("'")) {
    let i = 1;
    let text = '';
    for (;;) {
      if (i >= s.length) throw new Error(`${where}: unterminated single-quoted string`);
      if (s[i] === "'") {
        if (s[i + 1] === "'") { text += "'"; i += 2; continue; }
        break;
      }
      text += s[i++];
    }
    const tail = s.slice(i + 1).trim();
    if (tail !== '' && !tail.startsWith('#')) throw new Error(`${where}: unexpected text after the quoted string: ${JSON.stringify(tail)}`);
    return text;
  }
  if (s.startsWith('[') || s.startsWith('{') || s.startsWith('|') || s.startsWith('>') || s.startsWith('&') || s.startsWith('*') || s.startsWith('!')) {
    throw new Error(`${where}: flow collections, block scalars, anchors and tags are not supported here; expected a plain or quoted scalar`);
  }
  const hash = s.search(/(^|\s)#/);
  return resolvePlainScalar((hash >= 0 ? s.slice(0, hash) : s).trim());
}

/**
 * Reads a flat YAML file: `key: scalar` lines, comments, and block lists of
 * scalars (`key:` followed by indented `- item` lines). Nested mappings,
 * flow collections and multi-line scalars are errors naming `file` and the
 * line.
 *
 * @example
 * parseFlatYaml('stage: sft\nlearning_rate: 1.0e-4\nlora_target: all  # every linear layer\n', 'lora_sft.yaml');
 * // { stage: 'sft', learning_rate: 0.0001, lora_target: 'all' }
 */
export function parseFlatYaml(text: string, file = 'yaml'): Record<string, YamlScalar | YamlScalar[]> {
  const lines = text.replace(/^\ufeff/, '').split(/\r?\n/);
  const out: Record<string, YamlScalar | YamlScalar[]> = {};
  let listKey: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const where = `${file}:${i + 1}`;
    const line = lines[i];
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed === '---' || trimmed === '...') continue;
    if (/^\s/.test(line) || line.startsWith('- ') || line === '-') {
      const item = /^\s*-(?:\s+(.*))?$/.exec(line);
      if (!item || listKey === null) throw new Error(`${where}: nested or indented content is not supported; expected top-level "key: value" lines (or "- item" lines under a "key:" line)`);
      const current = out[listKey];
      const list = Array.isArray(current) ? current : [];
      list.push(item[1] === undefined ? null : scalarText(item[1], where));
      out[listKey] = list;
      continue;
    }
    const m = /^([^:#\s][^:]*?)\s*:(?:\s+(.*)|\s*)$/.exec(line);
    if (!m) throw new Error(`${where}: expected "key: value", got ${JSON.stringify(line.length > 60 ? line.slice(0, 60) + '...' : line)}`);
    const key = m[1].replace(/^["']|["']$/g, '');
    if (key in out) throw new Error(`${where}: key "${key}" appears twice`);
    const rest = m[2] ?? '';
    if (rest.trim() === '' || rest.trim().startsWith('#')) {
      out[key] = null;
      listKey = key;
    } else {
      out[key] = scalarText(rest, where);
      listKey = null;
    }
  }
  return out;
}
