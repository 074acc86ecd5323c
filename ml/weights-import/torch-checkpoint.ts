import { BufferReader, NameRegistry, Parser } from 'pickleparser';
import { readZipEntries } from './zip-entries';
import { decodeFloats, WeightFileError, type SourceTensor, type SourceTensors } from './source-tensors';

/**
 * Reads a state dict saved by torch.save: the zip archive of PyTorch ≥ 1.6 (`<name>/data.pkl` plus one
 * entry per storage) and the older stream of pickles that torchvision's early downloads (SqueezeNet 1.1,
 * DenseNet-121) still use: magic number, protocol, system info, the pickled dict, the storage keys, then
 * each storage as an 8-byte element count and its raw little-endian data.
 */

/** The pickled magic number 0x1950a86a20f9469cfc6c (protocol 2, LONG1 of 10 little-endian bytes). */
const LEGACY_PREFIX = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
const STORAGE_DTYPES: Record<string, StorageDtype> = {
  FloatStorage: { name: 'float32', size: 4 },
  DoubleStorage: { name: 'float64', size: 8 },
  HalfStorage: { name: 'float16', size: 2 },
  LongStorage: { name: 'int64', size: 8 },
  IntStorage: { name: 'int32', size: 4 },
  BFloat16Storage: { name: 'bfloat16', size: 2 },
  ByteStorage: { name: 'uint8', size: 1 },
  BoolStorage: { name: 'bool', size: 1 },
};

interface StorageDtype {
  name: string;
  size: number;
}
interface StorageRef {
  dtype: StorageDtype;
  key: string;
  /** Element count the pickle declares for the storage. */
  numel: number;
}
interface TensorRef {
  storage: StorageRef;
  offset: number;
  shape: number[];
  stride: number[];
}
/** Where each storage's bytes are: a zip entry, or a slice of the legacy stream (undefined: missing). */
type StorageBytes = (key: string) => Uint8Array | undefined;

export function isZip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** True if `bytes` start like a legacy torch.save stream (a pickle of its magic number). */
export function isLegacyTorch(bytes: Uint8Array): boolean {
  return LEGACY_PREFIX.every((byte, i) => bytes[i] === byte);
}

export function readTorchCheckpoint(path: string, bytes: Uint8Array): SourceTensors {
  const { dict, storageBytes, format } = isZip(bytes) ? openZip(path, bytes) : openLegacy(path, bytes);
  const tensors = new Map<string, SourceTensor>();
  for (const [key, value] of stateDictEntries(path, dict)) {
    if (!isTensorRef(value)) continue;
    tensors.set(key, tensorFromRef(path, key, value, storageBytes));
  }
  if (tensors.size === 0) {
    throw new WeightFileError(`${path} holds no tensors: expected a state dict saved with torch.save`);
  }
  return { path, framework: 'torch', format, tensors };
}

function parser(storage: (pid: unknown) => StorageRef): Parser {
  const registry = new NameRegistry()
    .register('collections', 'OrderedDict', () => new Map())
    .register('torch._utils', '_rebuild_tensor_v2', rebuildTensor)
    .register('torch._utils', '_rebuild_tensor', rebuildTensor)
    .register('torch._utils', '_rebuild_parameter', (tensor: TensorRef) => tensor);
  // A storage class is pickled as a global and only named, never called: tag it with its type.
  for (const name of Object.keys(STORAGE_DTYPES)) {
    registry.register(
      'torch',
      name,
      Object.assign(() => undefined, { storageType: name }),
    );
  }
  return new Parser({
    nameResolver: registry,
    persistentResolver: { resolve: storage },
    unpicklingTypeOfDictionary: 'Map',
  });
}

function rebuildTensor(storage: StorageRef, offset: number, shape: number[], stride: number[]): TensorRef {
  return { storage, offset: Number(offset), shape: shape.map(Number), stride: stride.map(Number) };
}

function isTensorRef(value: unknown): value is TensorRef {
  return typeof value === 'object' && value !== null && 'storage' in value && 'stride' in value;
}

/** ('storage', storage type, key, location, numel[, view metadata]) → the storage it names. */
function storageRef(path: string, pid: unknown): StorageRef {
  if (!Array.isArray(pid) || pid[0] !== 'storage') {
    throw new WeightFileError(`${path}: unexpected persistent id ${JSON.stringify(pid)} in the pickle`);
  }
  const type = (pid[1] as { storageType?: string } | undefined)?.storageType;
  const dtype = type === undefined ? undefined : STORAGE_DTYPES[type];
  if (dtype === undefined) throw new WeightFileError(`${path}: unsupported storage type in the pickle`);
  return { dtype, key: String(pid[2]), numel: Number(pid[4]) };
}

function stateDictEntries(path: string, dict: unknown): Array<[string, unknown]> {
  let map = dict;
  // A training checkpoint often wraps the weights: {'state_dict': ...} or {'model': ...}.
  for (const wrapper of ['state_dict', 'model']) {
    if (map instanceof Map && map.has(wrapper) && map.get(wrapper) instanceof Map) map = map.get(wrapper);
  }
  if (!(map instanceof Map)) {
    throw new WeightFileError(
      `${path} does not hold a state dict (a dict of tensors); save model.state_dict()`,
    );
  }
  return [...(map as Map<unknown, unknown>).entries()].map(([key, value]) => [String(key), value]);
}

function tensorFromRef(path: string, name: string, ref: TensorRef, storageBytes: StorageBytes): SourceTensor {
  return {
    name,
    shape: ref.shape,
    read() {
      const { dtype } = ref.storage;
      if (dtype.name !== 'float32' && dtype.name !== 'float64' && dtype.name !== 'float16') {
        throw new WeightFileError(`${path}: tensor ${name} is ${dtype.name}, not floating point`);
      }
      const count = ref.shape.reduce((a, b) => a * b, 1);
      let expected = 1;
      for (let axis = ref.shape.length - 1; axis >= 0; axis--) {
        if ((ref.shape[axis] as number) > 1 && ref.stride[axis] !== expected) {
          throw new WeightFileError(`${path}: tensor ${name} is not contiguous; save it with .contiguous()`);
        }
        expected *= ref.shape[axis] as number;
      }
      const bytes = storageBytes(ref.storage.key);
      const needed = (ref.offset + count) * dtype.size;
      if (bytes === undefined || bytes.byteLength < needed) {
        throw new WeightFileError(
          `${path}: tensor ${name} needs ${needed} bytes of storage ${ref.storage.key}, the file has ` +
            `${bytes?.byteLength ?? 0} (truncated or incomplete file)`,
        );
      }
      return decodeFloats(bytes, ref.offset * dtype.size, count, dtype.name);
    },
  };
}

function openZip(
  path: string,
  bytes: Uint8Array,
): { dict: unknown; storageBytes: StorageBytes; format: string } {
  const { entries } = readZipEntries(bytes);
  const pickleName = [...entries.keys()].find((name) => name.endsWith('data.pkl'));
  if (pickleName === undefined) {
    throw new WeightFileError(
      `${path} is a zip archive without a complete data.pkl: not a torch.save checkpoint, or truncated`,
    );
  }
  const prefix = pickleName.slice(0, -'data.pkl'.length);
  const byteorder = entries.get(`${prefix}byteorder`);
  if (byteorder !== undefined && new TextDecoder().decode(byteorder) !== 'little') {
    throw new WeightFileError(`${path} was saved on a big-endian machine; re-save it on a little-endian one`);
  }
  const dict = parser((pid) => storageRef(path, pid)).parse(entries.get(pickleName) as Uint8Array);
  return { dict, storageBytes: (key) => entries.get(`${prefix}data/${key}`), format: 'torch-zip' };
}

function openLegacy(
  path: string,
  bytes: Uint8Array,
): { dict: unknown; storageBytes: StorageBytes; format: string } {
  // The magic number's pickle (a 10-byte LONG1) is past what the parser reads; it was matched as bytes.
  const magicLength = LEGACY_PREFIX.length + 1;
  const reader = new BufferReader(bytes.subarray(magicLength));
  const storages = new Map<string, StorageRef>();
  const p = parser((pid) => {
    const ref = storageRef(path, pid);
    storages.set(ref.key, ref);
    return ref;
  });
  let dict: unknown;
  let keys: unknown;
  try {
    p.read(reader); // protocol version
    p.read(reader); // system info (byte order, type sizes)
    dict = p.read(reader);
    keys = p.read(reader);
  } catch (error) {
    throw new WeightFileError(
      `${path} is not a readable torch.save checkpoint (${(error as Error).message}); expected a state dict`,
    );
  }
  const data = new Map<string, Uint8Array>();
  let offset = magicLength + reader.position;
  for (const key of (keys as unknown[]).map(String)) {
    const ref = storages.get(key);
    if (ref === undefined || offset + 8 > bytes.byteLength) break;
    const numel = Number(new DataView(bytes.buffer, bytes.byteOffset + offset, 8).getBigInt64(0, true));
    const start = offset + 8;
    const end = Math.min(start + numel * ref.dtype.size, bytes.byteLength);
    data.set(key, bytes.subarray(start, end));
    offset = start + numel * ref.dtype.size;
  }
  return { dict, storageBytes: (key) => data.get(key), format: 'torch-legacy' };
}
