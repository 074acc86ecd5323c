import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';

/**
 * The reference networks' weight files and outputs (scripts/weight-fixtures.py), generated once into the
 * cache under a key of the script and the reference Python requirements, so a changed script or pin makes
 * a new set and an unchanged one is reused by every run and clone on the machine.
 */

const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const script = join(root, 'scripts', 'weight-fixtures.py');
const requirements = join(root, 'infra', 'reference-python-requirements.txt');

const arrayFile = z.object({ file: z.string(), shape: z.array(z.number().int().positive()) });
const manifestSchema = z.object({
  versions: z.record(z.string(), z.string()),
  input: arrayFile,
  cases: z.array(
    z.object({
      name: z.string(),
      framework: z.enum(['keras', 'torchvision']),
      arch: z.enum(['mobilenet_v2', 'densenet121', 'squeezenet1_1']),
      widthMultiplier: z.number(),
      classes: z.number().int(),
      files: z.record(z.string(), z.string()),
      logits: arrayFile,
      firstBatchNorm: arrayFile.extend({ layer: z.string() }).optional(),
    }),
  ),
});
export type WeightFixtures = z.infer<typeof manifestSchema> & { dir: string };

export async function weightFixtures(): Promise<WeightFixtures> {
  const key = createHash('sha256')
    .update(await readFile(script))
    .update(await readFile(requirements))
    .digest('hex')
    .slice(0, 12);
  const cache = process.env['AMTO_CACHE_DIR'] ?? join(homedir(), '.cache', 'amto');
  const dir = join(cache, 'weight-fixtures', key);
  if (!existsSync(join(dir, 'manifest.json'))) await generate(dir);
  const manifest = manifestSchema.parse(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')));
  return { ...manifest, dir };
}

async function generate(dir: string): Promise<void> {
  // Builds the reference virtualenv first if this machine has none (several GB from PyPI, once).
  const { stdout } = await run('bash', [join(root, 'infra', 'reference-python.sh')], {
    cwd: root,
    maxBuffer: 1 << 20,
  });
  const venv = stdout.trim().split('\n').pop() ?? '';
  const partial = `${dir}.partial-${process.pid}`;
  await mkdir(partial, { recursive: true });
  try {
    await run(join(venv, 'bin', 'python'), [script, partial], { cwd: root, maxBuffer: 16 << 20 });
    await rm(dir, { recursive: true, force: true });
    // Another test process may have finished the same set first; either copy will do.
    await rename(partial, dir).catch((error: unknown) => {
      if (!existsSync(join(dir, 'manifest.json'))) throw error;
    });
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}

/** A little-endian float32 file of the fixture set. */
export async function readFloats(fixtures: WeightFixtures, file: string): Promise<Float32Array> {
  const bytes = await readFile(join(fixtures.dir, file));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
