import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { flatYaml, parseFlatYaml, resolvePlainScalar, yamlNumber, yamlScalar, YamlScalar } from '../../kernel-lib/src/reproduce/flat-yaml';

/** PyYAML (what LLaMA-Factory reads its configs with), when this machine has it. */
const hasPyYaml = spawnSync('python3', ['-c', 'import yaml'], { encoding: 'utf8' }).status === 0;
function pyYamlLoad(text: string): unknown {
  const r = spawnSync('python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))'], { input: text, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

const TRICKY: Record<string, YamlScalar> = {
  plain: 'Qwen/Qwen2-0.5B-Instruct',
  list: 'q_proj,v_proj',
  yes_word: 'yes',
  on_word: 'on',
  null_word: 'null',
  tilde: '~',
  empty: '',
  exp_string: '1e-5',
  int_string: '42',
  float_string: '0.25',
  sexagesimal: '1:20',
  colon_space: 'a: b',
  hash: 'x #not a comment',
  leading_hash: '#tag',
  leading_space: ' padded',
  trailing_space: 'padded ',
  dash: '- item',
  quote: 'say "hi"',
  single: "it's",
  newline: 'two\nlines',
  unicode: '踝关节扭伤 \u2028 sep',
  del: 'a\u007fb',
  lr: 1e-5,
  small: 2.5e-7,
  quarter: 0.25,
  big: 180000000,
  neg: -3,
  flag_yes: true,
  flag_no: false,
  nothing: null,
};

describe('flat YAML writer', () => {
  it('quotes exactly the strings PyYAML would not read back as themselves', () => {
    expect(yamlScalar('Qwen/Qwen2-0.5B-Instruct')).toBe('Qwen/Qwen2-0.5B-Instruct');
    expect(yamlScalar('saves/qwen2-0.5b-instruct/galore/sft')).toBe('saves/qwen2-0.5b-instruct/galore/sft');
    for (const s of ['yes', 'No', 'ON', 'off', 'true', 'null', '~', '', '1e-5', '42', '1:20', 'a: b', '#x', ' a', 'a ', '- a', '0.5']) {
      expect(yamlScalar(s)).toBe(JSON.stringify(s));
    }
  });

  it('writes floats with a dot and a signed exponent (PyYAML reads 1e-5 as a string)', () => {
    expect(yamlNumber(1e-5)).toBe('1.0e-5');
    expect(yamlNumber(2.5e-7)).toBe('2.5e-7');
    expect(yamlNumber(0.25)).toBe('0.25');
    expect(yamlNumber(1e-4)).toBe('1.0e-4');
    expect(yamlNumber(3, { float: true })).toBe('3.0');
    expect(yamlNumber(3)).toBe('3');
    expect(yamlNumber(Infinity)).toBe('.inf');
    expect(yamlNumber(1e21)).toBe('1.0e+21');
  });

  it('writes comments, blank lines and trailing comments', () => {
    const text = flatYaml([
      { comment: '### method' }, { key: 'stage', value: 'sft' }, { blank: true },
      { key: 'galore_scale', value: 0.25, comment: "LLaMA-Factory's default is 2.0" },
    ]);
    expect(text).toBe("### method\nstage: sft\n\ngalore_scale: 0.25  # LLaMA-Factory's default is 2.0\n");
    expect(parseFlatYaml(text)).toEqual({ stage: 'sft', galore_scale: 0.25 });
  });

  it('refuses keys that need quoting and duplicate keys', () => {
    expect(() => flatYaml({ 'a key': 1 })).toThrow(/not a plain name/);
    expect(() => flatYaml({ yes: 1 })).toThrow(/not a plain name/); // PyYAML would read the key as True
    expect(() => flatYaml([{ key: 'a', value: 1 }, { key: 'a', value: 2 }])).toThrow(/appears twice/);
  });

  it('round-trips tricky values through its own reader', () => {
    expect(parseFlatYaml(flatYaml(TRICKY), 'tricky.yaml')).toEqual(TRICKY);
  });

  it.skipIf(!hasPyYaml)('round-trips tricky values through PyYAML (what LLaMA-Factory uses)', () => {
    expect(pyYamlLoad(flatYaml(TRICKY))).toEqual(TRICKY);
  });
});

describe('flat YAML reader', () => {
  it('resolves plain scalars as PyYAML (YAML 1.1) does', () => {
    expect(resolvePlainScalar('1.0e-4')).toBe(1e-4);
    expect(resolvePlainScalar('1e-4')).toBe('1e-4');
    expect(resolvePlainScalar('on')).toBe(true);
    expect(resolvePlainScalar('Off')).toBe(false);
    expect(resolvePlainScalar('y')).toBe('y');
    expect(resolvePlainScalar('1_000')).toBe(1000);
    expect(resolvePlainScalar('~')).toBeNull();
    expect(resolvePlainScalar('all')).toBe('all');
  });

  it('reads comments, quoted strings and block lists', () => {
    const text = [
      '# a comment', '---', 'model_name_or_path: Qwen/Qwen2-0.5B-Instruct  # hub id', "template: 'qwen'", 'name: "a \\"b\\" #c"  # d',
      'empty:', 'targets:', '  - q_proj', '  - v_proj', 'lr: 5.0e-5', '',
    ].join('\n');
    expect(parseFlatYaml(text)).toEqual({
      model_name_or_path: 'Qwen/Qwen2-0.5B-Instruct', template: 'qwen', name: 'a "b" #c', empty: null, targets: ['q_proj', 'v_proj'], lr: 5e-5,
    });
  });

  it('names the file and line of what it cannot read', () => {
    expect(() => parseFlatYaml('a: 1\nb:\n  c: 2\n', 'args.yaml')).toThrow(/^args\.yaml:3: nested/);
    expect(() => parseFlatYaml('a: 1\nnot a pair\n', 'args.yaml')).toThrow(/^args\.yaml:2: expected "key: value"/);
    expect(() => parseFlatYaml('a: [1, 2]\n', 'args.yaml')).toThrow(/^args\.yaml:1: flow collections/);
    expect(() => parseFlatYaml('a: "open\n', 'args.yaml')).toThrow(/^args\.yaml:1: unterminated/);
    expect(() => parseFlatYaml('a: 1\na: 2\n', 'args.yaml')).toThrow(/^args\.yaml:2: key "a" appears twice/);
  });
});
