/**
 * Installs the native TensorFlow backend without the npm packages' own download (libtensorflow 2.9.1
 * from storage.googleapis.com, CUDA 11 only): the C library comes from the pinned PyPI TensorFlow wheel,
 * and @tensorflow/tfjs-node(-gpu)'s addon is rebuilt against it with node-gyp. Both are built once into
 * the cache, keyed by versions and Node ABI; each clone only gets links to them (seconds).
 *
 *   <cache>/tensorflow/tf-<tf>-<flavour>/          the wheel's libraries and C headers (+ CUDA 12 packages for gpu)
 *   <cache>/tensorflow/<package>-<tfjs>-tf-<tf>-<flavour>-abi<N>/  the rebuilt addon
 *   node_modules/@tensorflow/<package>/deps        -> the first, the addon's .node -> the second
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { loadEnvironment } from './environment';
import {
  NATIVE_TENSORFLOW_VERSION,
  nativeTensorflowPackage,
  type NativeFlavour,
} from '../ml/native-tensorflow-build';

export class NativeInstallError extends Error {
  override name = 'NativeInstallError';
}

const repoRoot = join(__dirname, '..');

function log(line: string): void {
  console.log(`[setup] native TensorFlow: ${line}`);
}

/** GPU when the user asks (AMTO_GPU=1) or an NVIDIA driver is loaded; AMTO_GPU=0 forces CPU. */
function chooseFlavour(env: NodeJS.ProcessEnv): NativeFlavour {
  if (env.AMTO_GPU === '1') return 'gpu';
  if (env.AMTO_GPU === '0') return 'cpu';
  return existsSync('/proc/driver/nvidia/version') ? 'gpu' : 'cpu';
}

function run(
  command: string,
  args: string[],
  what: string,
  cwd?: string,
  extraEnv: NodeJS.ProcessEnv = {},
): void {
  const result = spawnSync(command, args, {
    cwd,
    env: { ...process.env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error !== undefined) {
    throw new NativeInstallError(`${what}: could not run ${command} (${result.error.message})`);
  }
  if (result.status !== 0) {
    const tail = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-15).join('\n');
    throw new NativeInstallError(`${what} failed (${command} exited with ${result.status}):\n${tail}`);
  }
}

function requireTool(command: string, args: string[], missing: string): void {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  if (result.error !== undefined || result.status !== 0) throw new NativeInstallError(missing);
}

/** A directory written completely, marked by `.complete` last, so an interrupted install is redone. */
function isComplete(dir: string): boolean {
  return existsSync(join(dir, '.complete'));
}

function link(target: string, path: string): void {
  if (existsSync(path) || isSymlink(path)) rmSync(path, { recursive: true, force: true });
  mkdirSync(dirname(path), { recursive: true });
  symlinkSync(target, path);
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The pinned wheel's shared libraries and C API headers, laid out as tfjs-node's deps/ expects. */
function ensureTensorflowLibrary(cacheDir: string, flavour: NativeFlavour): string {
  const root = join(cacheDir, 'tensorflow', `tf-${NATIVE_TENSORFLOW_VERSION}-${flavour}`);
  if (isComplete(root)) return root;
  requireTool(
    'python3',
    ['-m', 'pip', '--version'],
    'python3 with pip is needed to fetch the TensorFlow wheel from PyPI (apt-get install -y python3-pip)',
  );
  const project = flavour === 'gpu' ? 'tensorflow' : 'tensorflow-cpu';
  const wheels = join(cacheDir, 'tensorflow', 'wheels');
  log(
    `fetching ${project}==${NATIVE_TENSORFLOW_VERSION} from PyPI (about 300 MB for cpu, 600 MB for gpu, once)`,
  );
  rmSync(root, { recursive: true, force: true });
  mkdirSync(wheels, { recursive: true });
  run(
    'python3',
    [
      '-m',
      'pip',
      'download',
      '--quiet',
      '--disable-pip-version-check',
      '--no-deps',
      '--only-binary=:all:',
      '--dest',
      wheels,
      `${project}==${NATIVE_TENSORFLOW_VERSION}`,
    ],
    `pip download ${project}==${NATIVE_TENSORFLOW_VERSION}`,
  );
  const wheelPrefix = `${project.replace('-', '_')}-${NATIVE_TENSORFLOW_VERSION}-`;
  const wheel = readdirSync(wheels).find((name) => name.startsWith(wheelPrefix) && name.endsWith('.whl'));
  if (wheel === undefined)
    throw new NativeInstallError(`pip reported success but no ${wheelPrefix}*.whl is in ${wheels}`);
  log(`extracting the C library and headers from ${wheel}`);
  // Only what the C API needs: the two libraries and the headers c_api.h reaches (not the whole wheel).
  run('python3', ['-c', EXTRACT_PY, join(wheels, wheel), root], `extracting ${wheel}`);
  const lib = join(root, 'lib');
  mkdirSync(lib, { recursive: true });
  for (const [name, target] of [
    ['libtensorflow.so', 'libtensorflow_cc.so.2'],
    ['libtensorflow_cc.so.2', 'libtensorflow_cc.so.2'],
    ['libtensorflow_framework.so', 'libtensorflow_framework.so.2'],
    ['libtensorflow_framework.so.2', 'libtensorflow_framework.so.2'],
  ] as const) {
    link(join('..', 'tensorflow', target), join(lib, name));
  }
  link(join('tensorflow', 'include'), join(root, 'include'));
  if (flavour === 'gpu') installCudaPackages(root, join(wheels, wheel));
  writeFileSync(join(root, '.complete'), `${project}==${NATIVE_TENSORFLOW_VERSION}\n`);
  return root;
}

/**
 * The GPU wheel finds CUDA 12 in pip's nvidia-*-cu12 packages at $ORIGIN/../nvidia/<name>/lib; installing
 * its `and-cuda` extra next to the extracted tensorflow/ folder keeps that layout, so no LD_LIBRARY_PATH.
 */
function installCudaPackages(root: string, wheel: string): void {
  const listed = spawnSync('python3', ['-c', CUDA_REQUIREMENTS_PY, wheel], { encoding: 'utf8' });
  const requirements = listed.status === 0 ? listed.stdout.split('\n').filter((line) => line !== '') : [];
  if (requirements.length === 0) throw new NativeInstallError(`no and-cuda requirements found in ${wheel}`);
  log(
    `installing the CUDA 12 libraries it needs (${requirements.length} nvidia-* packages, several GB, once)`,
  );
  run(
    'python3',
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--no-deps',
      '--target',
      root,
      ...requirements,
    ],
    'pip install of the CUDA 12 packages',
  );
}

/** Rebuilds the addon once per (package, tfjs, TF, flavour, Node ABI) and returns the built .node file. */
function ensureAddon(
  cacheDir: string,
  flavour: NativeFlavour,
  tensorflowRoot: string,
): { packageDir: string; binding: string } {
  const packageName = nativeTensorflowPackage[flavour];
  const packageDir = join(repoRoot, 'node_modules', packageName);
  if (!existsSync(join(packageDir, 'binding.gyp'))) {
    throw new NativeInstallError(`${packageName} is not in node_modules (run npm ci --ignore-scripts first)`);
  }
  const packageVersion = (
    JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }
  ).version;
  // node-pre-gyp decides where the package looks for its addon (lib/napi-v<N>/tfjs_binding.node).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const preGyp = require(require.resolve('@mapbox/node-pre-gyp', { paths: [packageDir] })) as {
    find(path: string): string;
  };
  const expected = preGyp.find(join(packageDir, 'package.json'));
  const relativeBinding = expected.slice(packageDir.length + 1);
  const napiVersion = /napi-v(\d+)/.exec(relativeBinding)?.[1] ?? 'unknown';
  const buildDir = join(
    cacheDir,
    'tensorflow',
    `${packageName.replace('@tensorflow/', '')}-${packageVersion}-tf-${NATIVE_TENSORFLOW_VERSION}-${flavour}-abi${process.versions.modules}-napi${napiVersion}`,
  );
  const binding = join(buildDir, relativeBinding);
  if (isComplete(buildDir)) return { packageDir, binding };

  requireTool(
    'make',
    ['--version'],
    'make is needed to build the TensorFlow addon (apt-get install -y build-essential)',
  );
  requireTool(
    'g++',
    ['--version'],
    'a C++ compiler is needed to build the TensorFlow addon (apt-get install -y g++)',
  );
  const nodeHeaders = join(dirname(process.execPath), '..', 'include', 'node');
  if (!existsSync(join(nodeHeaders, 'node_api.h'))) {
    throw new NativeInstallError(
      `Node.js headers are not in ${nodeHeaders} (node-gyp would download them, which this network refuses); install your distribution's Node.js headers (Debian: nodejs ships them; else libnode-dev)`,
    );
  }
  const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
  log(
    `building ${packageName} ${packageVersion}'s addon against TensorFlow ${NATIVE_TENSORFLOW_VERSION} (${flavour}, Node ABI ${process.versions.modules}; a few minutes, once)`,
  );
  rmSync(buildDir, { recursive: true, force: true });
  mkdirSync(buildDir, { recursive: true });
  for (const entry of ['binding', 'binding.gyp', 'package.json'])
    cpSync(join(packageDir, entry), join(buildDir, entry), { recursive: true });
  link(join(tensorflowRoot, 'include'), join(buildDir, 'deps', 'include'));
  link(join(tensorflowRoot, 'lib'), join(buildDir, 'deps', 'lib'));
  run(
    process.execPath,
    [
      nodeGyp,
      'rebuild',
      `--nodedir=${join(nodeHeaders, '..', '..')}`,
      '--module_name=tfjs_binding',
      `--module_path=${dirname(binding)}`,
      `--napi_build_version=${napiVersion}`,
      '--jobs=max',
    ],
    `node-gyp build of ${packageName}'s addon`,
    buildDir,
    // The absolute rpath finds libtensorflow wherever the clone links the addon from.
    { LDFLAGS: `-Wl,-rpath,${join(tensorflowRoot, 'lib')}` },
  );
  rmSync(join(buildDir, 'build'), { recursive: true, force: true });
  writeFileSync(join(buildDir, '.complete'), `${packageName}@${packageVersion}\n`);
  return { packageDir, binding };
}

/** Loads the linked package in a child process, as a worker would, and returns the TF version it reports. */
function verifyLoads(packageName: string): string {
  const probe = spawnSync(
    process.execPath,
    [
      '-e',
      `const tf = require(${JSON.stringify(packageName)}); process.stdout.write(tf.getBackend() + ' ' + tf.backend().binding.TF_Version)`,
    ],
    { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } },
  );
  const [backend, version] = probe.stdout.trim().split(' ');
  if (probe.status !== 0 || backend !== 'tensorflow') {
    throw new NativeInstallError(
      `${packageName} was built but does not load:\n${probe.stderr.trim().split('\n').slice(-8).join('\n')}`,
    );
  }
  return version ?? 'unknown';
}

function install(): void {
  const started = Date.now();
  const { cacheDir } = loadEnvironment();
  const flavour = chooseFlavour(process.env);
  const tensorflowRoot = ensureTensorflowLibrary(cacheDir, flavour);
  const { packageDir, binding } = ensureAddon(cacheDir, flavour, tensorflowRoot);
  link(tensorflowRoot, join(packageDir, 'deps'));
  link(binding, join(packageDir, binding.slice(binding.indexOf('/lib/napi-v') + 1)));
  const version = verifyLoads(nativeTensorflowPackage[flavour]);
  log(
    `${nativeTensorflowPackage[flavour]} on TensorFlow ${version} (${flavour}) ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

const EXTRACT_PY = `
import sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
keep = ('tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2')
headers = ('tensorflow/include/tensorflow/c/', 'tensorflow/include/tensorflow/core/platform/',
           'tensorflow/include/tsl/', 'tensorflow/include/xla/tsl/')
with zipfile.ZipFile(wheel) as archive:
    for name in archive.namelist():
        if name in keep or name.startswith(headers):
            archive.extract(name, dest)
`;

const CUDA_REQUIREMENTS_PY = `
import sys, zipfile, re
with zipfile.ZipFile(sys.argv[1]) as archive:
    meta = next(n for n in archive.namelist() if n.endswith('.dist-info/METADATA'))
    for line in archive.read(meta).decode().splitlines():
        m = re.match(r'Requires-Dist: (nvidia-[^;]+);.*extra == "and-cuda"', line)
        if m: print(m.group(1).replace(' ', ''))
`;

try {
  if (process.env.AMTO_NATIVE_TF === '0') log('skipped (AMTO_NATIVE_TF=0); workers use WASM');
  else install();
} catch (error) {
  // The project still runs without it: auto falls back to WASM and says why.
  const message = error instanceof Error ? error.message : String(error);
  console.error(
    `[setup] native TensorFlow not installed — ${message}\n[setup] workers will use the WASM backend until this is fixed`,
  );
}
