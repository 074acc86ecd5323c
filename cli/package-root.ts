import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The project's root (where package.json is), from the source tree or from dist/. */
export function packageRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the amto package root above ${__dirname}`);
    dir = parent;
  }
  return dir;
}
