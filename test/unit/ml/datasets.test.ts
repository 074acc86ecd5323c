import * as tf from '@tensorflow/tfjs';
import { createStream } from '../../../amto';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  datasetCacheStats,
  datasetFingerprint,
  FASHION_MNIST_DIR,
  gatherBatch,
  loadFashionMnist,
  loadImageFolder,
  resizeDataset,
  selectSamples,
  writeSyntheticImageFolder,
  type ImageDataset,
} from '../../../ml/datasets';
import { randomImageDataset } from './random-image-dataset';

let root: string;
let synthetic: string;

before(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'amto-datasets-'));
  synthetic = join(root, 'synthetic');
  await writeSyntheticImageFolder(synthetic, { classes: 3, perClass: 10, size: 20, seed: 5 });
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

function countPerClass(data: ImageDataset): number[] {
  const counts = new Array<number>(data.numClasses).fill(0);
  data.labels.forEach((label) => (counts[label] = (counts[label] ?? 0) + 1));
  return counts;
}

describe('image folders', () => {
  test('loads class subfolders, resized to the input shape and scaled to [0, 1], with a stratified 80/20 split', async () => {
    const { train, test: testSet } = await loadImageFolder(synthetic, { inputShape: [16, 12, 3], seed: 1 });
    assert.ok(testSet !== null);
    assert.deepEqual(train.classNames, ['class-00', 'class-01', 'class-02']);
    assert.deepEqual([train.n, testSet.n], [24, 6]);
    assert.deepEqual(countPerClass(train), [8, 8, 8]);
    assert.deepEqual(countPerClass(testSet), [2, 2, 2]);
    assert.deepEqual([train.height, train.width, train.channels, train.numClasses], [16, 12, 3, 3]);
    assert.ok(train.images instanceof Uint8Array, 'held as 8-bit pixels');
    assert.equal(train.images.length, 24 * 16 * 12 * 3);
    assert.ok(
      train.images.some((v) => v > 128),
      'the coloured shapes are there',
    );
    const batch = gatherBatch(train, [0, 1]);
    const values = batch.images.dataSync();
    tf.dispose([batch.images, batch.labels]);
    assert.ok(
      values.every((v, i) => v === Math.fround((train.images[i] as number) / 255)),
      'scaled to [0, 1]',
    );
    // Same seed, same split; another seed, another split.
    const again = await loadImageFolder(synthetic, { inputShape: [16, 12, 3], seed: 1 });
    assert.deepEqual(again.test?.images, testSet.images);
    const other = await loadImageFolder(synthetic, { inputShape: [16, 12, 3], seed: 2 });
    assert.notDeepEqual(other.test?.images, testSet.images);
  });

  test('greyscale decoding, a separate test folder, and no test set', async () => {
    const testDir = join(root, 'synthetic-test');
    await writeSyntheticImageFolder(testDir, { classes: 3, perClass: 2, size: 20, seed: 6 });
    const { train, test: testSet } = await loadImageFolder(synthetic, { inputShape: [8, 8, 1], testDir });
    assert.deepEqual([train.n, testSet?.n, train.channels, testSet?.channels], [30, 6, 1, 1]);
    const noTest = await loadImageFolder(synthetic, { inputShape: [8, 8, 1], testFraction: 0 });
    assert.equal(noTest.test, null);
    assert.equal(noTest.train.n, 30);
  });

  test('decodes once per process and decodes again when the files change', async () => {
    const copy = join(root, 'cached');
    await cp(synthetic, copy, { recursive: true });
    const first = await loadImageFolder(copy, { inputShape: [10, 10, 3], testFraction: 0 });
    const entries = datasetCacheStats().entries;
    const second = await loadImageFolder(copy, { inputShape: [10, 10, 3], testFraction: 0 });
    assert.equal(second.train, first.train, 'served from the cache');
    assert.equal(datasetCacheStats().entries, entries);
    const fingerprint = await datasetFingerprint(copy);
    await writeSyntheticImageFolder(copy, { classes: 3, perClass: 11, size: 20, seed: 5 });
    assert.notEqual(await datasetFingerprint(copy), fingerprint);
    const third = await loadImageFolder(copy, { inputShape: [10, 10, 3], testFraction: 0 });
    assert.equal(third.train.n, 33);
  });

  test('bad folders give errors naming the path', async () => {
    const shape = { inputShape: [8, 8, 3] as [number, number, number] };
    const missing = join(root, 'missing');
    await assert.rejects(
      loadImageFolder(missing, shape),
      new RegExp(`Image folder not found: ${missing} does not exist`),
    );

    const single = join(root, 'single');
    await writeSyntheticImageFolder(join(root, 'two'), { classes: 2, perClass: 1, size: 8, seed: 1 });
    await cp(join(root, 'two', 'class-00'), join(single, 'only'), { recursive: true });
    await assert.rejects(
      loadImageFolder(single, shape),
      new RegExp(`${single} has 1 class subfolder.*at least 2 classes`),
    );

    const emptyClass = join(root, 'empty-class');
    await cp(join(root, 'two'), emptyClass, { recursive: true });
    await mkdir(join(emptyClass, 'class-02'));
    await assert.rejects(
      loadImageFolder(emptyClass, shape),
      new RegExp(`Class folder ${join(emptyClass, 'class-02')} has no images`),
    );

    const corrupt = join(root, 'corrupt');
    await cp(join(root, 'two'), corrupt, { recursive: true });
    const badImage = join(corrupt, 'class-01', 'broken.png');
    await writeFile(badImage, 'this is not a png');
    await assert.rejects(loadImageFolder(corrupt, shape), new RegExp(`Cannot decode image ${badImage}`));

    const stray = join(root, 'stray');
    await cp(join(root, 'two'), stray, { recursive: true });
    await writeFile(join(stray, 'class-00', 'notes.txt'), 'hello');
    await assert.rejects(loadImageFolder(stray, shape), /notes\.txt is not an image this loader reads/);

    const mismatched = join(root, 'mismatched-test');
    await writeSyntheticImageFolder(mismatched, { classes: 2, perClass: 1, size: 8, seed: 2 });
    await assert.rejects(
      loadImageFolder(synthetic, { ...shape, testDir: mismatched }),
      /Test folder .*mismatched-test has classes \[class-00, class-01\] but .* has \[class-00, class-01, class-02\]/,
    );
    await assert.rejects(
      loadImageFolder(synthetic, { inputShape: [8, 8, 4] }),
      /channels must be 1 \(greyscale\) or 3/,
    );
  });
});

describe('Fashion-MNIST', () => {
  test('60,000 training and 10,000 test images of 28×28×1 with labels 0..9', async () => {
    const { train, test: testSet } = await loadFashionMnist();
    assert.ok(testSet !== null);
    assert.deepEqual([train.n, testSet.n], [60000, 10000]);
    assert.deepEqual([train.height, train.width, train.channels, train.numClasses], [28, 28, 1, 10]);
    assert.equal(train.images.length, 60000 * 784);
    assert.equal(train.classNames[9], 'Ankle boot');
    // The official files are balanced: 6,000 and 1,000 images per class.
    assert.deepEqual(countPerClass(train), new Array(10).fill(6000));
    assert.deepEqual(countPerClass(testSet), new Array(10).fill(1000));
    let max = 0;
    for (const v of testSet.images) max = Math.max(max, v);
    assert.equal(max, 255);
    const resized = await loadFashionMnist({ inputShape: [56, 56, 3] });
    assert.equal(resized.train.images, train.images, 'one held copy at 28×28 whatever the input shape');
    assert.deepEqual([resized.train.height, resized.train.width, resized.train.channels], [56, 56, 3]);
    assert.equal((await loadFashionMnist()).train, train, 'decoded once per process');
    assert.equal(FASHION_MNIST_DIR, '/usr/share/datasets/fashion-mnist');
  });

  test('a missing folder names the path and the package to install', async () => {
    const missing = join(root, 'no-fashion-mnist');
    await assert.rejects(
      loadFashionMnist({ dir: missing }),
      new RegExp(`${missing} does not exist. Install it with: apt-get install -y dataset-fashion-mnist`),
    );
  });
});

describe('batches, flips, splits and resizing', () => {
  const data: ImageDataset = {
    // Two 2×3 RGB images: pixel value = 100·image + 10·column + channel.
    images: Uint8Array.from({ length: 2 * 2 * 3 * 3 }, (_, i) => {
      const [image, rest] = [Math.floor(i / 18), i % 18];
      return 100 * image + 10 * Math.floor((rest % 9) / 3) + (rest % 3);
    }),
    stored: [2, 3, 3],
    labels: Int32Array.from([0, 1]),
    n: 2,
    height: 2,
    width: 3,
    channels: 3,
    numClasses: 2,
    classNames: ['a', 'b'],
  };

  test('gatherBatch mirrors exactly the images whose draw is below 0.5', () => {
    const draws = [0.2, 0.7, 0.4];
    const batch = gatherBatch(data, [1, 0, 1], () => draws.shift() as number);
    const pixels = batch.images.arraySync();
    const column = (b: number, x: number): number[] => pixels[b]?.[1]?.[x] ?? [];
    assert.deepEqual(Array.from(batch.labels.dataSync()), [1, 0, 1]);
    // Image 1 flipped: column 0 holds the original column 2; image 0 unflipped.
    assert.deepEqual(
      column(0, 0).map((v) => Math.round(v * 255)),
      [120, 121, 122],
    );
    assert.deepEqual(
      column(1, 0).map((v) => Math.round(v * 255)),
      [0, 1, 2],
    );
    assert.deepEqual(
      column(2, 2).map((v) => Math.round(v * 255)),
      [100, 101, 102],
    );
    tf.dispose([batch.images, batch.labels]);
    assert.throws(() => gatherBatch(data, [2]), /Sample index 2 is out of range: the dataset has 2 images/);
    assert.throws(() => gatherBatch(data, []), /at least one index/);
  });

  test('seeded flips are reproducible', () => {
    const once = (): number[] => {
      const flips = createStream(42, 'flip');
      const batch = gatherBatch(data, [0, 1, 0, 1, 0, 1, 0, 1], () => flips.nextFloat());
      const values = Array.from(batch.images.dataSync());
      tf.dispose([batch.images, batch.labels]);
      return values;
    };
    assert.deepEqual(once(), once());
  });

  test('resizeDataset serves held pixels at another shape; batches resize them; selectSamples copies', () => {
    const grey: ImageDataset = {
      ...data,
      channels: 1,
      width: 2,
      stored: [2, 2, 1],
      images: Uint8Array.from([0, 255, 0, 255, 255, 255, 255, 255]),
    };
    const rgb = resizeDataset(grey, [4, 4, 3]);
    assert.deepEqual([rgb.height, rgb.width, rgb.channels], [4, 4, 3]);
    assert.equal(rgb.images, grey.images, 'nothing is resized or copied until a batch is built');
    const batch = gatherBatch(rgb, [0, 1]);
    const values = batch.images.dataSync();
    assert.deepEqual(batch.images.shape, [2, 4, 4, 3]);
    tf.dispose([batch.images, batch.labels]);
    assert.ok(
      values.slice(48).every((v) => Math.abs(v - 1) < 1e-6),
      'the all-white image stays white',
    );
    assert.throws(() => resizeDataset(data, [4, 4, 1]), /cannot turn 3-channel images into 1 channels/);
    const picked = selectSamples(data, [1]);
    assert.deepEqual([picked.n, Array.from(picked.labels)], [1, [1]]);
    assert.deepEqual(picked.images, data.images.slice(18));
  });

  test('a batch of 8-bit pixels is bit-identical to the float32 dataset the loaders used to hold', () => {
    const held = randomImageDataset({ n: 6, height: 5, width: 7, channels: 3, numClasses: 2, seed: 3 });
    // What the loaders held before: byte / 255 rounded to float32, flipped by copying mirrored columns.
    const floats = Float32Array.from(held.images, (byte) => byte / 255);
    const indices = [4, 0, 5, 5, 2];
    const draws = [0.1, 0.9, 0.3, 0.6, 0.45];
    const pixels = 5 * 7 * 3;
    const expected = new Float32Array(indices.length * pixels);
    indices.forEach((index, b) => {
      for (let y = 0; y < 5; y++)
        for (let x = 0; x < 7; x++)
          for (let c = 0; c < 3; c++) {
            const from = index * pixels + y * 21 + ((draws[b] as number) < 0.5 ? 6 - x : x) * 3 + c;
            expected[b * pixels + y * 21 + x * 3 + c] = floats[from] as number;
          }
    });
    const source = [...draws];
    const batch = gatherBatch(held, indices, () => source.shift() as number);
    assert.deepEqual(batch.images.dataSync(), expected);
    tf.dispose([batch.images, batch.labels]);
  });

  test('resizing per batch is bit-identical to resizing the whole float32 dataset first, flips after', () => {
    const grey = randomImageDataset({ n: 40, height: 9, width: 11, channels: 1, numClasses: 2, seed: 4 });
    const shape = [20, 16, 3] as const;
    // What resizeDataset used to hold: every image scaled, resized in one go, grey repeated to RGB.
    const whole = tf.tidy(() => {
      const x = tf.tensor4d(
        Float32Array.from(grey.images, (byte) => byte / 255),
        [40, 9, 11, 1],
      );
      return tf.tile(tf.image.resizeBilinear(x, [20, 16]), [1, 1, 1, 3]);
    });
    const indices = [39, 3, 17, 3];
    const draws = [0.2, 0.8, 0.7, 0.1];
    const expected = tf.tidy(() =>
      tf.concat(
        indices.map((index, b) => {
          const image = tf.slice(whole, [index, 0, 0, 0], [1, 20, 16, 3]);
          return (draws[b] as number) < 0.5 ? tf.reverse(image, 2) : image;
        }),
      ),
    );
    const source = [...draws];
    const batch = gatherBatch(resizeDataset(grey, shape), indices, () => source.shift() as number);
    assert.deepEqual(batch.images.shape, [4, ...shape]);
    assert.deepEqual(batch.images.dataSync(), expected.dataSync());
    tf.dispose([whole, expected, batch.images, batch.labels]);
  });
});
