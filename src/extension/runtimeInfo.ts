/**
 * `rewardStudio.internal.runtimeInfo` (hidden from the palette): what the model runtime of this install
 * is — onnxruntime-node's version, the execution provider it would use and why the others were skipped,
 * tokenizers' version, and which native addon files were loaded. The tests use it to check that a
 * packaged VSIX carries working native binaries for its platform; support can ask a user to run it.
 *
 * onnxruntime-node is loaded only by src/core/runtime, in the runtime's own process: a broken or
 * wrong-platform binary then fails there, with a message, and never takes the extension host down.
 * tokenizers is loaded here on the first call (tokenization is not sessions), never at activation.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Runtime } from '../core/runtime';

export interface RuntimeInfo {
  /** `${process.platform}-${process.arch}`, the VSIX target these binaries must match. */
  platform: string;
  /** The extension host's Node.js and N-API versions (VS Code's, not the system's). */
  node: string;
  napi: string;
  onnxruntime: {
    version: string;
    /** What the shipped binary was built with. */
    backends: Array<{ name: string; bundled: boolean }>;
    /** The provider `auto` chose, and one line per provider on why (e.g. "CUDA skipped: …"). */
    provider: string | undefined;
    providerSummary: string;
    /** The runtime process the binary was loaded in (not the extension host). */
    pid: number | undefined;
  };
  tokenizers: { version: string; native: boolean };
  /** Absolute paths of the native addons (.node) loaded: onnxruntime's in the runtime process, tokenizers' here. */
  nativeModules: string[];
  /** Time the call spent starting the runtime and loading tokenizers. */
  loadMs: number;
}

type Tokenizers = typeof import('tokenizers');

export async function runtimeInfo(): Promise<RuntimeInfo> {
  const start = performance.now();
  // The bundle sits in dist/ beside runtimeWorker.js (esbuild.mjs).
  const runtime = await Runtime.start({ provider: 'auto', isolation: 'process', workerScript: path.join(__dirname, 'runtimeWorker.js') });
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const tokenizers = require('tokenizers') as Tokenizers;
    return {
      platform: `${process.platform}-${process.arch}`,
      node: process.versions.node,
      napi: process.versions.napi ?? 'unknown',
      onnxruntime: {
        version: runtime.ortVersion,
        backends: runtime.backends.map((b) => ({ name: b.name, bundled: b.bundled })),
        provider: runtime.providerReport.selected,
        providerSummary: runtime.providerReport.summary,
        pid: runtime.pid,
      },
      tokenizers: { version: packageVersion('tokenizers'), native: typeof tokenizers.Tokenizer === 'function' },
      nativeModules: [
        ...runtime.nativeModules,
        ...Object.keys(require.cache).filter((file) => file.endsWith('.node') && /[\\/]tokenizers[\\/]/.test(file)),
      ].sort(),
      loadMs: Math.round(performance.now() - start),
    };
  } finally {
    await runtime.dispose();
  }
}

export function describeRuntime(info: RuntimeInfo): string {
  const backends = info.onnxruntime.backends.map((b) => b.name).join(', ');
  return (
    `onnxruntime-node ${info.onnxruntime.version} (built with ${backends}; runs on ${info.onnxruntime.provider ?? 'nothing'}), ` +
    `tokenizers ${info.tokenizers.version} on ${info.platform}, Node ${info.node}, N-API ${info.napi}; ${info.loadMs} ms\n` +
    info.onnxruntime.providerSummary
  );
}

function packageVersion(name: string): string {
  const manifest = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}
