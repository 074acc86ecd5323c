import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { createStream } from '../../amto';

/**
 * Writes a small, learnable image-folder dataset of PNGs for tests and demos: class k draws a shape
 * (square, disc, horizontal or vertical bar, cycling) in its own hue on a noisy dark background, with
 * random position, size and brightness. Deterministic in `seed`.
 */

export interface SyntheticFolderOptions {
  classes: number;
  perClass: number;
  /** Side of the square images, in pixels. */
  size: number;
  seed: number;
}

const SHAPES = ['square', 'disc', 'hbar', 'vbar'] as const;

export async function writeSyntheticImageFolder(
  dir: string,
  { classes, perClass, size, seed }: SyntheticFolderOptions,
): Promise<{ classNames: string[]; files: string[] }> {
  if (!Number.isInteger(classes) || classes < 2) {
    throw new Error(`writeSyntheticImageFolder: classes must be an integer ≥ 2; got ${classes}`);
  }
  if (!Number.isInteger(perClass) || perClass < 1 || !Number.isInteger(size) || size < 8) {
    throw new Error(
      `writeSyntheticImageFolder: perClass must be ≥ 1 and size ≥ 8 (integers); got ${perClass}, ${size}`,
    );
  }
  const classNames = Array.from({ length: classes }, (_, k) => `class-${String(k).padStart(2, '0')}`);
  const files: string[] = [];
  for (const [k, className] of classNames.entries()) {
    await mkdir(join(dir, className), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const stream = createStream(seed, 'synthetic-image', k, i);
      const pixels = drawImage(k, size, () => stream.nextFloat());
      const file = join(dir, className, `img-${String(i).padStart(4, '0')}.png`);
      await sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
        .png()
        .toFile(file);
      files.push(file);
    }
  }
  return { classNames, files };
}

function drawImage(label: number, size: number, uniform01: () => number): Buffer {
  const pixels = Buffer.alloc(size * size * 3);
  for (let i = 0; i < pixels.length; i++) {
    pixels[i] = Math.floor(uniform01() * 60);
  }
  const colour = hueToRgb((label * 0.618034) % 1, 0.6 + 0.4 * uniform01());
  const shape = SHAPES[label % SHAPES.length] as (typeof SHAPES)[number];
  const extent = size * (0.25 + 0.2 * uniform01());
  const cx = size * (0.35 + 0.3 * uniform01());
  const cy = size * (0.35 + 0.3 * uniform01());
  const inside = (x: number, y: number): boolean => {
    const dx = Math.abs(x - cx);
    const dy = Math.abs(y - cy);
    switch (shape) {
      case 'square':
        return dx <= extent / 2 && dy <= extent / 2;
      case 'disc':
        return dx * dx + dy * dy <= (extent / 2) ** 2;
      case 'hbar':
        return dx <= extent && dy <= extent / 6;
      case 'vbar':
        return dx <= extent / 6 && dy <= extent;
    }
  };
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (inside(x + 0.5, y + 0.5)) {
        pixels.set(colour, (y * size + x) * 3);
      }
    }
  }
  return pixels;
}

/** A saturated colour of hue `h` in [0, 1) and brightness `v` in (0, 1], as 8-bit RGB. */
function hueToRgb(h: number, v: number): [number, number, number] {
  const channel = (offset: number): number => {
    const k = (offset + h * 6) % 6;
    return Math.round(255 * v * (1 - Math.max(0, Math.min(k, 4 - k, 1))));
  };
  return [channel(5), channel(3), channel(1)];
}
