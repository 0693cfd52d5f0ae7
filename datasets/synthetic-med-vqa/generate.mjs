// Regenerates the synthetic medical-VQA set in this folder from the library's
// deterministic generator (seed 2024), or with --check verifies that the
// committed files are exactly what the generator writes.
//
//   npm run build            # the generator runs from kernel-lib/dist
//   node datasets/synthetic-med-vqa/generate.mjs
//   node datasets/synthetic-med-vqa/generate.mjs --check
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const { writeSyntheticMedVqa } = require(path.join(here, '..', '..', 'kernel-lib', 'dist', 'vlm'));

function listFiles(dir) {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name)))
    .filter((f) => f.endsWith('.json') || f.endsWith('.png'))
    .sort();
}

if (process.argv.includes('--check')) {
  const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'synthetic-med-vqa-'));
  writeSyntheticMedVqa(fresh);
  const want = listFiles(fresh);
  const have = listFiles(here);
  const problems = [];
  for (const f of want) {
    if (!have.includes(f)) problems.push(`missing: ${f}`);
    else if (!fs.readFileSync(path.join(here, f)).equals(fs.readFileSync(path.join(fresh, f)))) problems.push(`differs: ${f}`);
  }
  for (const f of have) if (!want.includes(f)) problems.push(`not generated: ${f}`);
  fs.rmSync(fresh, { recursive: true, force: true });
  if (problems.length) {
    console.error(`synthetic-med-vqa is not current (${problems.length} problem(s)):\n  ${problems.slice(0, 20).join('\n  ')}`);
    process.exit(1);
  }
  console.log(`synthetic-med-vqa: ${want.length} files match the generator`);
} else {
  const set = writeSyntheticMedVqa(here);
  console.log(`wrote ${set.scans.length} images, ${set.train.length} train and ${set.test.length} test questions to ${here}`);
}
