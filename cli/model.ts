import type { Argv } from 'yargs';
import { BACKEND_ORDER, type BackendName } from '../model/backend-names.ts';
import type { BackendReport, NATIVE_PACKAGE } from '../model/backend.ts';
import type { AdapterInfo } from '../model/webgpu.ts';
import { PAPER_GPT, countParameters } from '../model/config.ts';

/** `doctor`: which TensorFlow.js backend loads here, which do not and why, and what the model needs. */
export function registerModelCommands(cli: Argv): Argv {
  return cli.command(
    'doctor',
    'Show which TensorFlow.js backend loads (and why the others do not)',
    (y) =>
      y
        .option('backend', { choices: ['auto', ...BACKEND_ORDER] as const, default: 'auto' as const, describe: 'force a backend' })
        .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' }),
    async (argv) => {
      // TensorFlow.js loads here, when doctor runs, not when the CLI starts.
      const { selectBackend, NATIVE_PACKAGE } = await import('../model/backend.ts');
      const { adapterText } = await import('../model/webgpu.ts');
      const { report } = await selectBackend(argv.backend as BackendName | 'auto');
      const paperParams = countParameters(PAPER_GPT);
      if (argv.json) {
        console.log(JSON.stringify({ ...report, paperShapeParameters: paperParams }, null, 2));
        return;
      }
      console.log(formatReport(report, paperParams, NATIVE_PACKAGE, adapterText));
    },
  );
}

function formatReport(report: BackendReport, paperParams: number, packages: typeof NATIVE_PACKAGE, adapterText: (adapter: AdapterInfo) => string): string {
  const lines = [`backend: ${report.selected} (tfjs backend '${report.tfBackend}')`, ''];
  for (const a of report.attempts) {
    const status = a.ok ? 'loaded' : a.error === 'not tried' ? 'not tried' : 'not available';
    lines.push(`  ${a.name.padEnd(14)} ${status}${a.detail ? ` (${a.detail})` : ''}`);
    if (!a.ok && a.error && a.error !== 'not tried') lines.push(...a.error.split('\n').map((l) => `      ${l}`));
    if (!a.ok && a.error?.includes('Cannot find package')) {
      // The usual cause: npm skipped the optional dependency because its install could not download libtensorflow.
      lines.push(`      (an optional dependency: \`npm install ${packages[a.name as keyof typeof packages]}\` with internet access installs it)`);
    }
  }
  if (report.webgpuAdapter) {
    const { software } = report.webgpuAdapter;
    const why = report.selected === 'webgpu' ? 'chosen' : software ? 'a software adapter: never chosen by auto' : 'not chosen';
    lines.push('', `webgpu adapter: ${adapterText(report.webgpuAdapter)} (${why})`);
  }
  if (report.wasm) {
    lines.push('', `wasm: SIMD ${report.wasm.simd ? 'on' : 'off'}, threads ${report.wasm.threads}, binaries ${report.wasm.path}`);
    lines.push(`      kernel overrides: ${report.wasm.kernelOverrides.join(', ')}`);
  }
  lines.push('', `versions: ${Object.entries(report.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  lines.push(`GPU: ${report.gpuRequirements}; webgpu needs only a Vulkan driver${report.onGpu ? '' : ' (no GPU in use now)'}`);
  const nano = paperParams - PAPER_GPT.blockSize * PAPER_GPT.nEmbd;
  lines.push(`paper shape (6 layers, 6 heads, 384, vocab 8, block 256): ${(paperParams / 1e6).toFixed(2)}M parameters (${(nano / 1e6).toFixed(2)}M without position embeddings, as nanoGPT counts)`);
  return lines.join('\n');
}
