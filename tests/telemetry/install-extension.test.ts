import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { installExtensionCommand, labExtensionDir, prebuiltExtensionDir, readBuiltExtension } from '../../kernel-lib/src/telemetry/install-extension-command';
import { ensureBuilt } from '../extension/helpers/lab-harness';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'galore-install-ext-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A minimal build-labextension output. */
function fakeBuild(): string {
  const dir = tmp();
  mkdirSync(join(dir, 'static'));
  writeFileSync(join(dir, 'static', 'remoteEntry.abc.js'), 'var _JUPYTERLAB;');
  writeFileSync(join(dir, 'build_log.json'), '[]');
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'galore-lab-jupyterlab', version: '0.1.0', jupyterlab: { _build: { load: 'static/remoteEntry.abc.js', extension: './extension', mimeExtension: './mimeExtension' } } }),
  );
  return dir;
}

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await installExtensionCommand(argv, (l) => lines.push(l));
  return { code, out: lines.join('\n') };
}

describe('galore-lab install-extension', () => {
  it('copies the built extension into <prefix>/share/jupyter/labextensions/<name> with an install.json, and removes it again', async () => {
    const source = fakeBuild();
    const prefix = tmp();
    const installed = await run(['--prefix', prefix, '--source', source]);
    expect(installed.code, installed.out).toBe(0);
    const target = join(prefix, 'share', 'jupyter', 'labextensions', 'galore-lab-jupyterlab');
    expect(installed.out).toContain(`installed galore-lab-jupyterlab 0.1.0 in ${target}`);
    expect(installed.out).toContain('jupyter labextension list');
    expect(readBuiltExtension(target)).toMatchObject({ ok: true, extension: { load: 'static/remoteEntry.abc.js' } });
    expect(existsSync(join(target, 'build_log.json'))).toBe(false);
    expect(JSON.parse(readFileSync(join(target, 'install.json'), 'utf8'))).toMatchObject({ packageManager: 'npm', packageName: 'galore-lab' });
    // reinstalling replaces it
    expect((await run(['--prefix', prefix, '--source', source])).code).toBe(0);
    const removed = await run(['--prefix', prefix, '--source', source, '--uninstall']);
    expect(removed).toMatchObject({ code: 0, out: `removed galore-lab-jupyterlab from ${target}` });
    expect(existsSync(target)).toBe(false);
    expect((await run(['--prefix', prefix, '--source', source, '--uninstall'])).code).toBe(1);
  });

  it('installs per user into $JUPYTER_DATA_DIR by default', async () => {
    const data = tmp();
    const saved = process.env.JUPYTER_DATA_DIR;
    process.env.JUPYTER_DATA_DIR = data;
    try {
      expect(labExtensionDir({ kind: 'user' }, 'galore-lab-jupyterlab')).toBe(join(data, 'labextensions', 'galore-lab-jupyterlab'));
      expect((await run(['--source', fakeBuild()])).code).toBe(0);
      expect(existsSync(join(data, 'labextensions', 'galore-lab-jupyterlab', 'package.json'))).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.JUPYTER_DATA_DIR;
      else process.env.JUPYTER_DATA_DIR = saved;
    }
  });

  it('refuses bad arguments, unbuilt sources and folders it did not install', async () => {
    expect((await run(['--user', '--prefix', '/tmp/x'])).code).toBe(2);
    expect((await run(['--bogus'])).code).toBe(2);
    expect((await run(['--help'])).out).toMatch(/^usage: galore-lab install-extension/);
    const empty = tmp();
    const unbuilt = await run(['--prefix', tmp(), '--source', empty]);
    expect(unbuilt.code).toBe(1);
    expect(unbuilt.out).toMatch(/has no package\.json: the extension is not built \(run `npm run build:extension`/);
    const noBuild = tmp();
    writeFileSync(join(noBuild, 'package.json'), JSON.stringify({ name: 'x', version: '1.0.0', jupyterlab: {} }));
    expect((await run(['--prefix', tmp(), '--source', noBuild])).out).toMatch(/no jupyterlab\._build\.load/);
    // someone else's folder under our name is left alone
    const prefix = tmp();
    const foreign = join(prefix, 'share', 'jupyter', 'labextensions', 'galore-lab-jupyterlab');
    mkdirSync(foreign, { recursive: true });
    writeFileSync(join(foreign, 'package.json'), readFileSync(join(fakeBuild(), 'package.json')));
    const refused = await run(['--prefix', prefix, '--source', fakeBuild(), '--uninstall']);
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/was not installed by galore-lab/);
  });

  const jupyterlabServer = spawnSync('/usr/bin/python3', ['-c', 'import jupyterlab_server'], { encoding: 'utf8' }).status === 0;
  const inCi = Boolean(process.env.CI) && process.env.CI !== 'false';
  it('has python3-jupyterlab-server for the discovery check', () => {
    if (!jupyterlabServer && inCi) throw new Error('CI must provide /usr/bin/python3 with jupyterlab_server (apt-get install python3-jupyterlab-server)');
  });
  it.skipIf(!jupyterlabServer)(
    jupyterlabServer
      ? 'installs the real prebuilt extension where jupyterlab_server finds it (what `jupyter labextension list` reads)'
      : 'skipped: /usr/bin/python3 cannot import jupyterlab_server (apt-get install python3-jupyterlab-server)',
    async () => {
      await ensureBuilt(); // builds the library, the labextension and the test frontend when stale
      const prefix = tmp();
      expect((await run(['--prefix', prefix])).code).toBe(0);
      const share = join(prefix, 'share', 'jupyter', 'labextensions');
      const probe = spawnSync(
        '/usr/bin/python3',
        ['-c', `import json, sys; from jupyterlab_server.config import get_federated_extensions; print(json.dumps(get_federated_extensions([sys.argv[1]])))`, share],
        { encoding: 'utf8' },
      );
      expect(probe.status, probe.stderr).toBe(0);
      const found = JSON.parse(probe.stdout) as Record<string, { name: string; ext_path: string; install?: { packageName: string } }>;
      expect(found['galore-lab-jupyterlab']).toMatchObject({ name: 'galore-lab-jupyterlab', install: { packageName: 'galore-lab' } });
      expect(existsSync(join(prebuiltExtensionDir(), 'package.json'))).toBe(true);
    },
    300_000,
  );
});
