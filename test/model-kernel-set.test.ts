/**
 * The kernel set through the real CLI, at micro scale: each model node records the kernel set it ran on (the
 * `kernels` metric, in the run record and pipeline.lock), `status` and `doctor` name it, and when OpenBLAS cannot be
 * opened (here: runtime.blas_library names a library that does not exist) `auto` says so in one line with what to
 * install and trains on the WebAssembly kernels, while `native` refuses with the same reason.
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseLockFile } from '../engine/store/lock-file.ts';
import { MICRO } from './fixtures/micro.ts';
import { kernelSetsHere } from './fixtures/native.ts';
import { cpuHasAvx512 } from '../model/native.ts';

const ROOT = resolve(import.meta.dirname, '..');
const TSX = import.meta.resolve('tsx');
const HIDDEN = 'runtime.blas_library=/nonexistent/libopenblas.so.0';

function run(dir: string, command: string, sets: string[]): { status: number | null; stdout: string; stderr: string } {
  const params = join(dir, 'params.yaml');
  copyFileSync(join(ROOT, 'params.yaml'), params);
  const args = [
    '--import',
    TSX,
    join(ROOT, 'pipeline.ts'),
    command,
    '-p',
    params,
    '--store',
    join(dir, 'store'),
    ...[...MICRO, 'generations=2', 'sweep.cycle.name=[full_synthetic]', ...sets].flatMap((s) => ['--set', s]),
  ];
  const result = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Node id → the kernel set it recorded, for the train and sample nodes of the lock. */
function kernelsOfModelNodes(dir: string): Record<string, string> {
  const path = join(dir, 'pipeline.lock');
  const lock = parseLockFile(readFileSync(path, 'utf8'), path);
  return Object.fromEntries(
    Object.entries(lock.nodes)
      .filter(([id]) => /^(train|sample)\//.test(id))
      .map(([id, node]) => [id.replace(/\/(cycle=\w+\/)?seed=1/, ''), String(node.metrics.kernels)]),
  );
}

test('a repro records the kernel set of every model node, and status names it; the first training runs alone on 2 threads', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kernel-set-'));
  // Without the perplexities: their gen-heldout node may run beside generation 0, which is then not alone.
  const result = run(dir, 'repro', ['runtime.lone_node_threads=2', 'eval.perplexity=false']);
  t.is(result.status, 0, result.stderr);
  const kernels = kernelsOfModelNodes(dir);
  const library = /OpenBLAS [\d.]+, \w+ kernels/.exec(kernels['train/gen=1'])?.[0];
  const native = (threads: string): string =>
    kernelSetsHere().includes('native') ? `native (${library}, ${threads})` : 'wasm';
  // Generation 0's training and sampling: every other node is upstream or downstream of them (engine/plan/graph.ts loneNodes).
  t.deepEqual(kernels, {
    'train/gen=0': native('2 threads'),
    'sample/gen=0': native('2 threads'),
    'train/gen=1': native('1 thread'),
    'sample/gen=1': native('1 thread'),
  });
  const status = run(dir, 'status', ['runtime.lone_node_threads=2', 'eval.perplexity=false']);
  t.regex(status.stdout, new RegExp(`ran on ${kernels['train/gen=1'].replace(/[()]/g, '\\$&')}: 2 nodes`));
});

test('without OpenBLAS, auto says why and what to install in one line and trains on WebAssembly; native refuses', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kernel-set-hidden-'));
  const result = run(dir, 'repro', [HIDDEN]);
  t.is(result.status, 0, result.stderr);
  t.deepEqual(new Set(Object.values(kernelsOfModelNodes(dir))), new Set(['wasm']));
  // Said once at the end of the run, however many nodes fell back.
  const said = result.stderr.split('\n').filter((l) => l.startsWith('warning: native kernels unavailable'));
  t.is(said.length, 1, result.stderr);
  t.regex(
    said[0],
    /^warning: native kernels unavailable: OpenBLAS could not be opened: .*; running the WebAssembly kernels \(apt-get install libopenblas0-pthread/,
  );
  const log = execFileSync('cat', ['-v', ...readLogs(join(dir, 'store'))], { encoding: 'utf8' });
  t.regex(
    log,
    /native kernels unavailable: OpenBLAS could not be opened: \/nonexistent\/libopenblas\.so\.0: cannot open shared object file.*; running the WebAssembly kernels \(apt-get install libopenblas0-pthread/,
  );
  const refused = run(mkdtempSync(join(tmpdir(), 'kernel-set-native-')), 'repro', [HIDDEN, 'runtime.kernels=native']);
  t.not(refused.status, 0);
  t.regex(
    refused.stdout + refused.stderr,
    /runtime\.kernels is native, but OpenBLAS could not be opened: \/nonexistent\/libopenblas\.so\.0/,
  );
});

test('doctor names the kernel set; the AVX-512 kernels only where the CPU has avx512f', (t) => {
  const doctor = (kernels: string, coretype = 'Haswell'): string =>
    execFileSync(
      process.execPath,
      [
        '--import',
        TSX,
        join(ROOT, 'pipeline.ts'),
        'doctor',
        '--backend',
        'wasm',
        '--kernels',
        kernels,
        '--blas-coretype',
        coretype,
      ],
      { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' },
    );
  t.regex(doctor('wasm'), /^kernels: wasm$/m);
  if (!kernelSetsHere().includes('native')) return;
  t.regex(doctor('auto'), /^kernels: native \(OpenBLAS [\d.]+, Haswell kernels, 1 thread\)$/m);
  const avx512 = doctor('auto', 'SkylakeX');
  if (cpuHasAvx512()) t.regex(avx512, /^kernels: native \(OpenBLAS [\d.]+, SkylakeX kernels, 1 thread\)$/m);
  else
    t.regex(
      avx512,
      /^kernels: wasm\n {2}native kernels unavailable: the SkylakeX \(AVX-512\) kernels need a CPU with avx512f/m,
    );
});

function readLogs(store: string): string[] {
  return execFileSync('find', [store, '-name', '*.log'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
}
