import { readdir } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { drawHoldout } from '../../amto';
import { cachedDataset } from './dataset-cache';
import { datasetFingerprint } from './dataset-fingerprint';
import { selectSamples, type DatasetSplits, type ImageDataset } from './image-dataset';

/**
 * Image-folder datasets: one subfolder per class holding its images (the layout of UCMerced, RSSCN7 and
 * OxfordPets once sorted by breed). Images are decoded with sharp, resized (stretched) to the model's
 * input and held as 8-bit pixels (batches scale them to [0, 1]); decoded folders are cached per process.
 */

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.webp'];
/** The paper's 80/20 split when no separate test folder is given. */
export const DEFAULT_TEST_FRACTION = 0.2;
/** Images decoded at once; sharp runs them on libuv's thread pool. */
const DECODE_CONCURRENCY = 8;

export interface ImageFolderOptions {
  /** [height, width, channels]; channels 1 (greyscale) or 3 (RGB). */
  inputShape: readonly [number, number, number];
  /** A folder with the same class subfolders holding the test images. */
  testDir?: string;
  /** Without testDir: the stratified share drawn as the test set (default 0.2; 0 for no test set). */
  testFraction?: number;
  /** Seed of the drawn test split (default 0). */
  seed?: number;
}

export async function loadImageFolder(dir: string, options: ImageFolderOptions): Promise<DatasetSplits> {
  const { inputShape, testDir, testFraction = DEFAULT_TEST_FRACTION, seed = 0 } = options;
  checkInputShape(inputShape);
  if (testDir === undefined && !(testFraction >= 0 && testFraction < 1)) {
    throw new Error(`loadImageFolder: testFraction must be in [0, 1); got ${testFraction}`);
  }
  const all = await decodeFolderCached(dir, inputShape);
  if (testDir !== undefined) {
    const test = await decodeFolderCached(testDir, inputShape);
    if (test.classNames.join('\n') !== all.classNames.join('\n')) {
      throw new Error(
        `Test folder ${testDir} has classes [${test.classNames.join(', ')}] but ${dir} has [${all.classNames.join(', ')}]; both need the same class subfolders`,
      );
    }
    return { train: all, test };
  }
  if (testFraction === 0) {
    return { train: all, test: null };
  }
  let split: { kept: number[]; heldOut: number[] };
  try {
    split = drawHoldout({ labels: all.labels, fraction: testFraction, seed, purpose: 'test-split' });
  } catch (error) {
    throw new Error(`loadImageFolder: testFraction ${testFraction} of ${dir}: ${(error as Error).message}`);
  }
  return { train: selectSamples(all, split.kept), test: selectSamples(all, split.heldOut) };
}

function checkInputShape(shape: readonly [number, number, number]): void {
  const [height, width, channels] = shape;
  if (
    !Array.isArray(shape) ||
    shape.length !== 3 ||
    ![height, width].every((d) => Number.isInteger(d) && d > 0)
  ) {
    throw new Error(
      `loadImageFolder: inputShape must be [height, width, channels]; got ${JSON.stringify(shape)}`,
    );
  }
  if (channels !== 1 && channels !== 3) {
    throw new Error(`loadImageFolder: inputShape channels must be 1 (greyscale) or 3 (RGB); got ${channels}`);
  }
}

async function decodeFolderCached(
  dir: string,
  shape: readonly [number, number, number],
): Promise<ImageDataset> {
  const absolute = resolve(dir);
  // Listing first: it checks the layout (and names the problem) before anything is hashed or decoded.
  const listing = await listClassFiles(absolute);
  const key = `image-folder:${absolute}:${await datasetFingerprint(absolute)}:${shape.join('x')}`;
  const splits = await cachedDataset(key, async () => ({
    train: await decodeFolder(listing, shape),
    test: null,
  }));
  return splits.train;
}

interface LabelledFile {
  path: string;
  label: number;
}

interface FolderListing {
  classNames: string[];
  files: LabelledFile[];
}

async function listClassFiles(dir: string): Promise<FolderListing> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    throw new Error(
      error.code === 'ENOENT'
        ? `Image folder not found: ${dir} does not exist`
        : `Cannot read image folder ${dir}: ${error.message}`,
    );
  });
  const classNames = entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort();
  if (classNames.length < 2) {
    throw new Error(
      `Image folder ${dir} has ${classNames.length} class subfolder(s); it needs one subfolder per class and at least 2 classes`,
    );
  }
  const files: LabelledFile[] = [];
  for (const [label, className] of classNames.entries()) {
    const classDir = join(dir, className);
    const names = (await readdir(classDir, { withFileTypes: true }))
      .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
      .map((entry) => entry.name)
      .sort();
    const unsupported = names.find((name) => !IMAGE_EXTENSIONS.includes(extname(name).toLowerCase()));
    if (unsupported !== undefined) {
      throw new Error(
        `${join(classDir, unsupported)} is not an image this loader reads (${IMAGE_EXTENSIONS.join(', ')}); move it out of the dataset`,
      );
    }
    if (names.length === 0) {
      throw new Error(`Class folder ${classDir} has no images; remove it or add images`);
    }
    files.push(...names.map((name) => ({ path: join(classDir, name), label })));
  }
  return { classNames, files };
}

async function decodeFolder(
  { classNames, files }: FolderListing,
  shape: readonly [number, number, number],
): Promise<ImageDataset> {
  const [height, width, channels] = shape;
  const pixels = height * width * channels;
  const images = new Uint8Array(files.length * pixels);
  const labels = new Int32Array(files.length);
  for (let start = 0; start < files.length; start += DECODE_CONCURRENCY) {
    const chunk = files.slice(start, start + DECODE_CONCURRENCY);
    const decoded = await Promise.all(chunk.map((file) => decodeImage(file.path, shape)));
    decoded.forEach((bytes, i) => {
      images.set(bytes, (start + i) * pixels);
      labels[start + i] = (chunk[i] as LabelledFile).label;
    });
  }
  return {
    images,
    stored: [height, width, channels],
    labels,
    n: files.length,
    height,
    width,
    channels,
    numClasses: classNames.length,
    classNames,
  };
}

/** Raw 8-bit pixels of one image, resized to height × width with `channels` channels. */
async function decodeImage(
  path: string,
  [height, width, channels]: readonly [number, number, number],
): Promise<Buffer> {
  try {
    let image = sharp(path).resize(width, height, { fit: 'fill' }).removeAlpha();
    image = channels === 1 ? image.toColourspace('b-w') : image.toColourspace('srgb');
    const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== channels || info.width !== width || info.height !== height) {
      throw new Error(
        `decoded to ${info.width}×${info.height}×${info.channels}, not ${width}×${height}×${channels}`,
      );
    }
    return data;
  } catch (error) {
    throw new Error(`Cannot decode image ${path}: ${(error as Error).message}`);
  }
}
