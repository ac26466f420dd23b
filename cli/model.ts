import type { Argv } from 'yargs';
import { BACKEND_ORDER, BLAS_CORETYPES, KERNEL_CHOICES, type BackendName } from '../model/backend-names.ts';
import type { BackendReport, NATIVE_PACKAGE } from '../model/backend.ts';
import type { AdapterInfo } from '../model/webgpu.ts';
import { PAPER_GPT, countParameters } from '../model/config.ts';

/**
 * `doctor`: which TensorFlow.js backend and kernel set load here, which do not and why, and what the model needs.
 * `setup-native`: builds the native kernels ahead of their first use and says what they run on.
 */
export function registerModelCommands(cli: Argv): Argv {
  return cli
    .command(
      'doctor',
      'Show which TensorFlow.js backend and kernel set load (and why the others do not)',
      (y) =>
        y
          .option('backend', {
            choices: ['auto', ...BACKEND_ORDER] as const,
            default: 'auto' as const,
            describe: 'force a backend',
          })
          .option('kernels', {
            choices: KERNEL_CHOICES,
            default: 'auto' as const,
            describe: "the wasm backend's kernel set (runtime.kernels)",
          })
          .option('blas-coretype', {
            choices: BLAS_CORETYPES,
            default: 'Haswell' as const,
            describe: 'OpenBLAS kernels (runtime.blas_coretype)',
          })
          .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' }),
      async (argv) => {
        // TensorFlow.js loads here, when doctor runs, not when the CLI starts.
        const { selectBackend, NATIVE_PACKAGE } = await import('../model/backend.ts');
        const { adapterText } = await import('../model/webgpu.ts');
        const { DEFAULT_KERNELS, kernelSetText, selectKernels } = await import('../model/kernel-set.ts');
        const { cpuHasAvx512 } = await import('../model/native.ts');
        const { name, report } = await selectBackend(argv.backend as BackendName | 'auto');
        const kernelSet = selectKernels(name, {
          ...DEFAULT_KERNELS,
          kernels: argv.kernels,
          blas_coretype: argv['blas-coretype'],
        });
        const paperParams = countParameters(PAPER_GPT);
        if (argv.json) {
          console.log(
            JSON.stringify(
              { ...report, kernelSet, cpuHasAvx512: cpuHasAvx512(), paperShapeParameters: paperParams },
              null,
              2,
            ),
          );
          return;
        }
        console.log(formatReport(report, paperParams, NATIVE_PACKAGE, adapterText));
        console.log(`kernels: ${kernelSetText(kernelSet)}${kernelSet.fallback ? `\n  ${kernelSet.fallback}` : ''}`);
        if (kernelSet.blas) console.log(`  ${kernelSet.blas.config}`);
        console.log(
          `  AVX-512 (runtime.blas_coretype: SkylakeX): ${cpuHasAvx512() ? 'this CPU has avx512f' : 'not on this CPU'}`,
        );
        console.log('  `npx tsx pipeline.ts setup-native` builds the native kernels ahead of their first use');
      },
    )
    .command(
      'setup-native',
      'Build the native kernels (C compiler, node-api-headers, OpenBLAS) now rather than at first use',
      (y) =>
        y.option('blas-coretype', {
          choices: BLAS_CORETYPES,
          default: 'Haswell' as const,
          describe: 'OpenBLAS kernels to open',
        }),
      async (argv) => {
        const { DEFAULT_NATIVE, INSTALL_HINT, buildAddon, loadNative } = await import('../model/native.ts');
        const native = loadNative({ ...DEFAULT_NATIVE, coretype: argv['blas-coretype'] });
        if ('error' in native) {
          console.error(
            `${native.error}\nto use the native kernels: ${INSTALL_HINT}; without them training runs on the WebAssembly kernels`,
          );
          process.exitCode = 1;
          return;
        }
        console.log(`native kernels: ${buildAddon()}`);
        console.log(`OpenBLAS: ${native.blas.config} (${native.blas.corename} kernels)`);
      },
    );
}

function formatReport(
  report: BackendReport,
  paperParams: number,
  packages: typeof NATIVE_PACKAGE,
  adapterText: (adapter: AdapterInfo) => string,
): string {
  const lines = [`backend: ${report.selected} (tfjs backend '${report.tfBackend}')`, ''];
  for (const a of report.attempts) {
    const status = a.ok ? 'loaded' : a.error === 'not tried' ? 'not tried' : 'not available';
    lines.push(`  ${a.name.padEnd(14)} ${status}${a.detail ? ` (${a.detail})` : ''}`);
    if (!a.ok && a.error && a.error !== 'not tried') lines.push(...a.error.split('\n').map((l) => `      ${l}`));
    if (!a.ok && a.error?.includes('Cannot find package')) {
      // The usual cause: npm skipped the optional dependency because its install could not download libtensorflow.
      lines.push(
        `      (an optional dependency: \`npm install ${packages[a.name as keyof typeof packages]}\` with internet access installs it)`,
      );
    }
  }
  if (report.webgpuAdapter) {
    const { software } = report.webgpuAdapter;
    const why =
      report.selected === 'webgpu' ? 'chosen' : software ? 'a software adapter: never chosen by auto' : 'not chosen';
    lines.push('', `webgpu adapter: ${adapterText(report.webgpuAdapter)} (${why})`);
  }
  if (report.wasm) {
    lines.push(
      '',
      `wasm: SIMD ${report.wasm.simd ? 'on' : 'off'}, threads ${report.wasm.threads}, binaries ${report.wasm.path}`,
    );
    lines.push(`      kernel overrides: ${report.wasm.kernelOverrides.join(', ')}`);
  }
  lines.push(
    '',
    `versions: ${Object.entries(report.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  lines.push(
    `GPU: ${report.gpuRequirements}; webgpu needs only a Vulkan driver${report.onGpu ? '' : ' (no GPU in use now)'}`,
  );
  const nano = paperParams - PAPER_GPT.blockSize * PAPER_GPT.nEmbd;
  lines.push(
    `paper shape (6 layers, 6 heads, 384, vocab 8, block 256): ${(paperParams / 1e6).toFixed(2)}M parameters (${(nano / 1e6).toFixed(2)}M without position embeddings, as nanoGPT counts)`,
  );
  return lines.join('\n');
}
