import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';

/**
 * A Hugging Face `tokenizer.json` (+ `tokenizer_config.json`) loaded with
 * `@huggingface/tokenizers`, with the ids the Qwen2 chat format needs.
 *
 * @example
 * const tok = Qwen2Tokenizer.fromDir('models/Qwen2-0.5B-Instruct');
 * tok.decode(tok.encode('膝关节扭伤怎么办？')); // round-trips
 */
export class Qwen2Tokenizer {
  readonly hf: Tokenizer;
  readonly tokenizerJson: Record<string, unknown>;
  readonly config: Record<string, unknown>;
  readonly eosTokenId: number;
  readonly padTokenId: number;
  readonly imStartId: number;
  readonly imEndId: number;
  /** Number of ids (base vocabulary plus added tokens). */
  readonly vocabSize: number;

  constructor(tokenizerJson: Record<string, unknown>, config: Record<string, unknown> = {}, source = 'tokenizer') {
    this.tokenizerJson = tokenizerJson;
    this.config = config;
    try {
      this.hf = new Tokenizer(tokenizerJson, config);
    } catch (e) {
      throw new Error(`${source}: cannot build a tokenizer from tokenizer.json (${(e as Error).message})`);
    }
    const id = (tok: string): number | undefined => this.hf.token_to_id(tok);
    const need = (tok: string): number => {
      const v = id(tok);
      if (v === undefined) throw new Error(`${source}: the vocabulary has no "${tok}" token, which the Qwen2 chat format needs`);
      return v;
    };
    this.imStartId = need('<|im_start|>');
    this.imEndId = need('<|im_end|>');
    const eosName = typeof config.eos_token === 'string' ? config.eos_token : '<|im_end|>';
    this.eosTokenId = need(eosName);
    const padName = typeof config.pad_token === 'string' ? config.pad_token : '<|endoftext|>';
    this.padTokenId = id(padName) ?? this.eosTokenId;
    let max = 0;
    for (const v of this.hf.get_vocab(true).values()) max = Math.max(max, v);
    this.vocabSize = max + 1;
  }

  /** Load `tokenizer.json` and (if present) `tokenizer_config.json` from a model folder. */
  static fromDir(dir: string): Qwen2Tokenizer {
    const file = path.join(dir, 'tokenizer.json');
    if (!fs.existsSync(file)) throw new Error(`${dir}: no tokenizer.json in this folder`);
    const parse = (f: string): Record<string, unknown> => {
      try {
        return JSON.parse(fs.readFileSync(f, 'utf8'));
      } catch (e) {
        throw new Error(`${f}: not valid JSON (${(e as Error).message})`);
      }
    };
    const cfgFile = path.join(dir, 'tokenizer_config.json');
    return new Qwen2Tokenizer(parse(file), fs.existsSync(cfgFile) ? parse(cfgFile) : {}, file);
  }

  /** Token ids of `text` (special tokens in the text are recognised; nothing is added around it). */
  encode(text: string): number[] {
    return this.hf.encode(text, { add_special_tokens: false }).ids;
  }

  /** Text of `ids`; with `skipSpecialTokens` the chat markers are dropped. */
  decode(ids: ArrayLike<number>, options: { skipSpecialTokens?: boolean } = {}): string {
    if (ids.length === 0) return ''; // a model may stop at once (its first token ends the answer)
    return this.hf.decode(Array.from(ids), { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  /** The id of one token string, or undefined. */
  tokenId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }

  /** Write `tokenizer.json` and `tokenizer_config.json` into `dir`. */
  save(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(this.tokenizerJson));
    fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(this.config, null, 2));
  }
}
