/**
 * Reading an adapter folder's JSON config (PEFT's `adapter_config.json`, the
 * LoRA-MoE's `lora_moe_config.json`) as an object, with errors that name the
 * file.
 */
import * as fs from 'node:fs';

/**
 * The JSON object in `file`; throws `<file>: not found`, `<file>: not valid
 * JSON (...)` or `<file>: expected a JSON object (<what>)`.
 *
 * @example
 * const c = readConfigObject('out/lora-r8/adapter_config.json', 'a PEFT LoraConfig');
 * c.peft_type; // 'LORA'
 */
export function readConfigObject(file: string, what: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new Error(err.code === 'ENOENT' ? `${file}: not found` : `${file}: not valid JSON (${err.message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${file}: expected a JSON object (${what})`);
  return raw as Record<string, unknown>;
}
