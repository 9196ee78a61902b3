// Execution providers: try each by creating and running a session on a tiny probe model, and explain
// every failure in words a user can act on. onnxruntime does not fall back by itself (listing
// ['webgpu', 'cpu'] fails outright when WebGPU has no adapter), so each provider is tried alone.
import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { PROBE_EXPECTED, PROBE_INPUT, probeModel } from './miniModel';
import { AUTO_PROVIDER_ORDER, PROVIDER_TITLE } from './types';
import type { ProviderAttempt, ProviderChoice, ProviderName, ProviderReport } from './types';

/** Where the README explains GPU set-up; failure reasons point here. */
const README_GPU = `README "GPU: CUDA and WebGPU"`;

/** The CUDA provider files onnxruntime-node's install script downloads (linux/x64). */
export const CUDA_PROVIDER_FILES = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'];

/** What the explanation of a failure depends on, gathered only when something failed. */
export interface ProviderFacts {
  /** `${process.platform}/${process.arch}` */
  readonly platform: string;
  /** Providers this onnxruntime-node build knows (listSupportedBackends), bundled or downloadable. */
  readonly built: readonly string[];
  /** The folder holding onnxruntime's native libraries. */
  readonly libDir: string;
  /** Whether the CUDA provider libraries are in libDir. */
  readonly cudaLibsInstalled: boolean;
  /** The dynamic loader's message when loading the CUDA provider library fails (names the missing dependency). */
  readonly cudaLoadError?: string;
  /** Linux: whether the Vulkan loader (libvulkan.so.1) can be loaded; WebGPU uses Vulkan there. */
  readonly vulkanLoader?: boolean;
}

export function providerTitle(p: ProviderName): string {
  return PROVIDER_TITLE[p];
}

function firstLine(s: string): string {
  const line = s.split('\n').find((l) => l.trim() !== '') ?? s;
  return line.trim();
}

/** What a missing shared library is part of, for "install X" advice. */
function cudaDependencyOwner(lib: string): string {
  if (/libcudnn/.test(lib)) return 'cuDNN 9 for CUDA 12';
  if (/libcuda\.so/.test(lib)) return 'the NVIDIA driver';
  if (/libnvinfer/.test(lib)) return 'TensorRT';
  if (/libcu(blas|blasLt|dart|fft|rand|sparse|solver)|libnvrtc|libnvJitLink/.test(lib)) return 'the CUDA 12 runtime libraries';
  if (/libonnxruntime_providers_shared/.test(lib)) return 'the CUDA provider libraries (npm run install:cuda)';
  return 'the library that provides it';
}

/**
 * Why `provider` failed, in words a user can act on. Pure: the facts are gathered by the caller, so
 * every branch can be tested without the hardware.
 */
export function explainFailure(provider: ProviderName, ortMessage: string, facts: ProviderFacts): string {
  const msg = ortMessage;
  if (provider === 'cuda') {
    if (!facts.built.includes('cuda')) {
      return `onnxruntime-node has no CUDA provider for ${facts.platform} (it has one for linux/x64 only)`;
    }
    if (/Failed to load shared library|cannot open shared object|Failed to load library/i.test(msg)) {
      if (!facts.cudaLibsInstalled) {
        return (
          'the CUDA provider libraries are not installed — onnxruntime-node skips them by default here ' +
          '(ONNXRUNTIME_NODE_INSTALL=skip). To use an NVIDIA GPU run `npm run install:cuda` ' +
          `(it needs an NVIDIA driver, CUDA 12 and cuDNN 9; see ${README_GPU})`
        );
      }
      const missing = /([^\s/:]+\.so[.\d]*): cannot open shared object file/.exec(facts.cudaLoadError ?? '')?.[1];
      if (missing) {
        return (
          `the CUDA provider libraries are installed but ${missing} was not found: install ` +
          `${cudaDependencyOwner(missing)} and make it findable by the dynamic loader ` +
          `(ldconfig, or LD_LIBRARY_PATH set before starting VS Code or the CLI; see ${README_GPU})`
        );
      }
      return (
        'the CUDA provider libraries are installed but could not be loaded' +
        (facts.cudaLoadError ? ` (${firstLine(facts.cudaLoadError)})` : '') +
        `: check that CUDA 12 and cuDNN 9 are installed and on the loader path (see ${README_GPU})`
      );
    }
    if (/no CUDA-capable device|cudaErrorNoDevice|CUDA failure 100\b/i.test(msg)) {
      return 'no NVIDIA GPU is visible (no CUDA-capable device detected): check `nvidia-smi` and CUDA_VISIBLE_DEVICES';
    }
    if (/driver version is insufficient|cudaErrorInsufficientDriver|CUDA failure 35\b/i.test(msg)) {
      return 'the NVIDIA driver is too old for CUDA 12: update the driver (`nvidia-smi` shows its version)';
    }
    if (/out of memory/i.test(msg)) return 'the GPU is out of memory (another process may be using it; see `nvidia-smi`)';
    return `CUDA could not create and run a session: ${firstLine(msg)}`;
  }
  if (provider === 'webgpu') {
    if (!facts.built.includes('webgpu')) return `this onnxruntime-node build has no WebGPU provider for ${facts.platform}`;
    if (/Failed to get a WebGPU adapter|No supported adapters/i.test(msg)) {
      if (facts.platform.startsWith('linux/')) {
        return facts.vulkanLoader === false
          ? 'no GPU adapter found (no Vulkan driver or no GPU): the Vulkan loader libvulkan.so.1 is not installed — ' +
              'WebGPU reaches the GPU through Vulkan on Linux; install it with the GPU\'s Vulkan driver ' +
              '(e.g. `apt install libvulkan1 mesa-vulkan-drivers`; the NVIDIA driver ships its own)'
          : 'no GPU adapter found (no Vulkan driver or no GPU): Vulkan is installed but offers no usable GPU ' +
              '(`vulkaninfo --summary` lists what it sees)';
      }
      return 'no GPU adapter found (no GPU, or its driver offers no WebGPU backend: Metal on macOS, D3D12 on Windows)';
    }
    return `WebGPU could not create and run a session: ${firstLine(msg)}`;
  }
  return `the CPU provider could not create and run a session: ${firstLine(msg)}`;
}

/** onnxruntime-node's native library folder, e.g. node_modules/onnxruntime-node/bin/napi-v6/linux/x64. */
export function ortLibDir(): string {
  const pkg = require.resolve('onnxruntime-node/package.json');
  return join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
}

/** Loads a shared library only to learn whether the dynamic loader can (a plain library "did not self-register"). */
function loaderError(file: string): string | undefined {
  try {
    process.dlopen({ exports: {} } as NodeJS.Module, file, osConstants.dlopen.RTLD_LAZY);
    return undefined;
  } catch (e) {
    const m = e instanceof Error ? e.message : String(e);
    return /did not self-register|Module did not|napi_register_module/i.test(m) ? undefined : m;
  }
}

export function gatherFacts(): ProviderFacts {
  const platform = `${process.platform}/${process.arch}`;
  let built: string[] = [];
  try {
    built = ort.listSupportedBackends().map((b) => b.name);
  } catch {
    built = ['cpu'];
  }
  const libDir = ortLibDir();
  const cudaLibsInstalled = CUDA_PROVIDER_FILES.every((f) => existsSync(join(libDir, f)));
  const cudaLoadError = cudaLibsInstalled ? loaderError(join(libDir, 'libonnxruntime_providers_cuda.so')) : undefined;
  const vulkanLoader = process.platform === 'linux' ? loaderError('libvulkan.so.1') === undefined : undefined;
  return { platform, built, libDir, cudaLibsInstalled, cudaLoadError, vulkanLoader };
}

export function sessionProviders(p: ProviderName): ort.InferenceSession.SessionOptions['executionProviders'] {
  return p === 'cuda' ? [{ name: 'cuda', deviceId: 0 }] : [p];
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Creates a session for the probe model on `provider` and runs it once; undefined when that worked. */
async function tryProvider(provider: ProviderName, threads: number): Promise<string | undefined> {
  let session: ort.InferenceSession | undefined;
  try {
    session = await ort.InferenceSession.create(probeModel(), {
      executionProviders: sessionProviders(provider),
      intraOpNumThreads: Math.min(threads, 2),
    });
    const out = await session.run({ x: new ort.Tensor('float32', PROBE_INPUT.slice(), [PROBE_INPUT.length]) });
    const y = out.y?.data;
    if (!(y instanceof Float32Array) || y.some((v, i) => v !== PROBE_EXPECTED[i])) {
      return `probe session ran but computed a wrong result (x + x gave [${Array.from((y as ArrayLike<number>) ?? [])}])`;
    }
    return undefined;
  } catch (e) {
    return errorMessage(e) || 'unknown error';
  } finally {
    await session?.release().catch(() => undefined);
  }
}

export function summarize(report: Omit<ProviderReport, 'summary'>): string {
  const lines: string[] = [];
  if (report.selected) {
    const how = report.requested === 'auto' ? 'auto' : 'forced';
    lines.push(`Running on ${PROVIDER_TITLE[report.selected]} (${how}; ${report.threads} intra-op thread${report.threads === 1 ? '' : 's'} by default).`);
  } else {
    lines.push(`No execution provider: ${report.requested === 'auto' ? 'every provider failed' : `${PROVIDER_TITLE[report.requested]} was forced and failed`}.`);
  }
  for (const a of report.attempts) {
    if (a.ok) continue;
    const verb = report.requested === 'auto' && report.selected ? 'skipped' : 'unavailable';
    lines.push(`${PROVIDER_TITLE[a.provider]} ${verb}: ${a.reason}.`);
  }
  return lines.join('\n');
}

/**
 * Tries providers in order (`auto`: CUDA, WebGPU, CPU; stopping at the first that works) or only the
 * forced one. Never throws: a failure is in the report (selected undefined).
 */
export async function probeProviders(requested: ProviderChoice, threads: number): Promise<ProviderReport> {
  const order = requested === 'auto' ? AUTO_PROVIDER_ORDER : [requested];
  const attempts: ProviderAttempt[] = [];
  let facts: ProviderFacts | undefined;
  let selected: ProviderName | undefined;
  for (const provider of order) {
    const t0 = performance.now();
    const failure = await tryProvider(provider, threads);
    const ms = Math.round((performance.now() - t0) * 10) / 10;
    if (failure === undefined) {
      attempts.push({ provider, ok: true, reason: '', ms });
      selected = provider;
      break;
    }
    facts ??= gatherFacts();
    attempts.push({ provider, ok: false, reason: explainFailure(provider, failure, facts), ortMessage: failure, ms });
  }
  const base = { requested, selected, attempts, platform: `${process.platform}/${process.arch}`, threads };
  return { ...base, summary: summarize(base) };
}
