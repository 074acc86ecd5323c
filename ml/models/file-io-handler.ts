import * as tf from '@tensorflow/tfjs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A tf.io handler for `file://` URLs (tfjs only ships one in tfjs-node, which is optional here).
 * Saving to `file:///dir` writes dir/model.json and dir/weights.bin; loading accepts the model.json path
 * or its directory, and reads the weight files the manifest names relative to model.json.
 */

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';
const FILE_SCHEME = 'file://';

export class FileIOHandler implements tf.io.IOHandler {
  constructor(private readonly path: string) {}

  async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
    if (artifacts.modelTopology instanceof ArrayBuffer) {
      throw new Error(
        `Saving to ${this.path}: binary (GraphDef) topologies are not supported; save a LayersModel`,
      );
    }
    await mkdir(this.path, { recursive: true });
    const weightsManifest: tf.io.WeightsManifestConfig = [
      { paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] },
    ];
    const modelJson: tf.io.ModelJSON = {
      modelTopology: artifacts.modelTopology ?? {},
      weightsManifest,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
      ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
      ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
    };
    const weightData =
      artifacts.weightData === undefined
        ? new ArrayBuffer(0)
        : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
    await writeFile(join(this.path, WEIGHTS_BIN), Buffer.from(weightData));
    await writeFile(join(this.path, MODEL_JSON), JSON.stringify(modelJson));
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  }

  async load(): Promise<tf.io.ModelArtifacts> {
    const modelJsonPath = await resolveModelJsonPath(this.path);
    let modelJson: tf.io.ModelJSON;
    try {
      modelJson = JSON.parse(await readFile(modelJsonPath, 'utf8')) as tf.io.ModelJSON;
    } catch (error) {
      throw new Error(`Cannot read model file ${modelJsonPath}: ${(error as Error).message}`);
    }
    if (modelJson.modelTopology === undefined || !Array.isArray(modelJson.weightsManifest)) {
      throw new Error(`${modelJsonPath} is not a tfjs model.json (modelTopology or weightsManifest missing)`);
    }
    return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: ArrayBuffer[] = [];
      for (const group of manifest) {
        specs.push(...group.weights);
        for (const relativePath of group.paths) {
          const weightsPath = join(dirname(modelJsonPath), relativePath);
          const bytes = await readFile(weightsPath).catch((error: Error) => {
            throw new Error(
              `Cannot read weights file ${weightsPath} named in ${modelJsonPath}: ${error.message}`,
            );
          });
          buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
        }
      }
      return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
    });
  }
}

async function resolveModelJsonPath(path: string): Promise<string> {
  const info = await stat(path).catch(() => {
    throw new Error(
      `Model not found: ${path} does not exist (expected a model.json or a folder holding one)`,
    );
  });
  return info.isDirectory() ? join(path, MODEL_JSON) : path;
}

/** The local path of a `file://` URL (`file:///abs/dir` or `file://relative/dir`). */
export function pathOfFileUrl(url: string): string {
  if (!url.startsWith(FILE_SCHEME)) {
    throw new Error(`Not a file:// URL: ${url}`);
  }
  return url.startsWith(`${FILE_SCHEME}/`) ? fileURLToPath(url) : resolve(url.slice(FILE_SCHEME.length));
}

let registered = false;

/**
 * Registers the file:// save and load routers once per process. Skipped when another handler (tfjs-node's)
 * already serves file://, since two matching routers make tf.loadLayersModel refuse the URL.
 */
export function registerFileRouter(): void {
  if (registered) {
    return;
  }
  registered = true;
  if (tf.io.getLoadHandlers(`${FILE_SCHEME}/probe`).length > 0) {
    return;
  }
  // The registry reads null as "not my URL", though the IORouter type leaves it out.
  const route = (url: string | string[]): tf.io.IOHandler =>
    typeof url === 'string' && url.startsWith(FILE_SCHEME)
      ? new FileIOHandler(pathOfFileUrl(url))
      : (null as unknown as tf.io.IOHandler);
  tf.io.registerSaveRouter(route);
  tf.io.registerLoadRouter(route);
}
