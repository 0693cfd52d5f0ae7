/**
 * The flags `install-kernel` and `install-extension` share: where to install
 * (`--user`, the default, or `--prefix DIR`), `--uninstall` and `--help`, plus
 * each command's own string options; with the same usage errors.
 */
import { parseArgs } from 'node:util';
import type { InstallLocation } from './kernelspec';

/** What the shared flags say, with the command's own options. */
export interface InstallArgs<K extends string> {
  location: InstallLocation;
  uninstall: boolean;
  options: Partial<Record<K, string>>;
}

/**
 * Parse an install command's flags. Returns the parsed flags, or the exit
 * code to return at once (0 after `--help`, 2 after a usage error, both
 * having printed the usage or the problem through `out`). Options named in
 * `folders` must not be empty.
 *
 * @example
 * const r = parseInstallArgs('install-extension', argv, ['source'], ['source'], USAGE, out);
 * if (typeof r === 'number') return r;
 */
export function parseInstallArgs<K extends string>(
  command: string, argv: string[], own: readonly K[], folders: readonly K[], usage: string, out: (line: string) => void,
): InstallArgs<K> | number {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        user: { type: 'boolean' },
        prefix: { type: 'string' },
        uninstall: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(own.map((k) => [k, { type: 'string' as const }])),
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (error) {
    out(`${command}: ${(error as Error).message}`);
    out(usage);
    return 2;
  }
  if (values.help) {
    out(usage);
    return 0;
  }
  if (values.user && values.prefix !== undefined) {
    out(`${command}: choose either --user or --prefix DIR, not both`);
    return 2;
  }
  const empty = (['prefix', ...folders] as string[]).find((k) => values[k] === '');
  if (empty) {
    out(`${command}: --${empty} needs a folder`);
    return 2;
  }
  const prefix = values.prefix as string | undefined;
  return {
    location: prefix !== undefined ? { kind: 'prefix', prefix } : { kind: 'user' },
    uninstall: values.uninstall === true,
    options: Object.fromEntries(own.filter((k) => values[k] !== undefined).map((k) => [k, values[k] as string])) as Partial<Record<K, string>>,
  };
}
