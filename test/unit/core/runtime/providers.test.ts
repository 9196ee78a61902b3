import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ProviderUnavailableError, Runtime } from '../../../../src/core/runtime';
import { CUDA_PROVIDER_FILES, explainFailure, ortLibDir, summarize, type ProviderFacts } from '../../../../src/core/runtime/providers';
import type { ProviderReport } from '../../../../src/core/runtime';

// What this machine has, checked independently of the code under test.
const cudaLibsInstalled = CUDA_PROVIDER_FILES.every((f) => existsSync(join(ortLibDir(), f)));

/** Checks the shape every report must have, whatever the machine. */
function checkReportShape(r: ProviderReport): void {
  const order = r.requested === 'auto' ? ['cuda', 'webgpu', 'cpu'] : [r.requested];
  assert.deepEqual(
    r.attempts.map((a) => a.provider),
    order.slice(0, r.attempts.length),
    'providers are tried in order',
  );
  const okIndex = r.attempts.findIndex((a) => a.ok);
  if (r.selected) {
    assert.equal(okIndex, r.attempts.length - 1, 'the probe stops at the first provider that works');
    assert.equal(r.attempts[okIndex].provider, r.selected);
  } else {
    assert.equal(okIndex, -1);
  }
  for (const a of r.attempts.filter((x) => !x.ok)) {
    assert.ok(a.reason.length > 20, `a skipped provider has a reason in words: ${a.provider}`);
    assert.ok(a.ortMessage && a.ortMessage.length > 0, 'and onnxruntime\'s own message');
    const title = a.provider === 'cuda' ? 'CUDA' : a.provider === 'webgpu' ? 'WebGPU' : 'CPU';
    assert.match(r.summary, new RegExp(`^${title} (skipped|unavailable): `, 'm'), 'the summary has one line per failed provider');
  }
}

void test('auto on this machine: each provider is really tried; the report says which runs and why the others were skipped', async (t) => {
  // The probe runs inside the host: a child process here, so the report crossed the process boundary.
  const rt = await Runtime.start({ provider: 'auto', isolation: 'process' });
  try {
    const r = rt.providerReport;
    t.diagnostic('provider report on this machine:');
    for (const line of r.summary.split('\n')) t.diagnostic(line);
    assert.equal(r.requested, 'auto');
    checkReportShape(r);
    assert.ok(r.selected, 'auto always ends on a provider (CPU at worst)');
    assert.equal(rt.provider, r.selected);

    const cuda = r.attempts.find((a) => a.provider === 'cuda');
    assert.ok(cuda, 'CUDA is tried first');
    if (!cudaLibsInstalled) {
      // The real failure onnxruntime gives without the provider libraries, and our explanation of it.
      assert.equal(cuda.ok, false);
      assert.match(cuda.ortMessage ?? '', /Failed to load shared library/);
      assert.match(cuda.reason, /CUDA provider libraries are not installed/);
      assert.match(cuda.reason, /ONNXRUNTIME_NODE_INSTALL=skip/);
      assert.match(cuda.reason, /npm run install:cuda/);
      assert.match(r.summary, /^CUDA skipped: the CUDA provider libraries are not installed/m);
    }
    const webgpu = r.attempts.find((a) => a.provider === 'webgpu');
    if (webgpu && !webgpu.ok && /Failed to get a WebGPU adapter/.test(webgpu.ortMessage ?? '')) {
      assert.match(webgpu.reason, /^no GPU adapter found \(no Vulkan driver or no GPU\)/);
      assert.match(r.summary, /^WebGPU skipped: no GPU adapter found/m);
    }
    if (cuda.ok === false && webgpu?.ok === false) {
      assert.equal(r.selected, 'cpu');
      assert.match(r.summary, /^Running on CPU \(auto; \d+ intra-op threads? by default\)\./);
    }
  } finally {
    await rt.dispose();
  }
});

void test('forcing CUDA where it cannot run is an error that explains why — no silent fallback', async (t) => {
  if (cudaLibsInstalled) {
    t.skip('the CUDA provider libraries are installed here');
    return;
  }
  for (const isolation of ['none', 'thread'] as const) {
    await assert.rejects(Runtime.start({ provider: 'cuda', isolation }), (e: unknown) => {
      assert.ok(e instanceof ProviderUnavailableError, `got ${String(e)}`);
      assert.match(e.message, /^The CUDA execution provider was forced and is unavailable: the CUDA provider libraries are not installed/);
      assert.match(e.message, /npm run install:cuda/);
      assert.equal(e.report.selected, undefined);
      assert.deepEqual(
        e.report.attempts.map((a) => a.provider),
        ['cuda'],
        'a forced provider is the only one tried',
      );
      assert.match(e.report.summary, /^CUDA unavailable: /m);
      return true;
    });
  }
});

void test('forcing WebGPU without an adapter fails with the adapter explanation', async (t) => {
  const auto = await Runtime.start({ provider: 'auto', isolation: 'none' });
  const webgpu = auto.providerReport.attempts.find((a) => a.provider === 'webgpu');
  await auto.dispose();
  if (!webgpu || webgpu.ok) {
    t.skip(webgpu ? 'WebGPU works here' : 'auto stopped before WebGPU (CUDA works here)');
    return;
  }
  await assert.rejects(Runtime.start({ provider: 'webgpu', isolation: 'none' }), (e: unknown) => {
    assert.ok(e instanceof ProviderUnavailableError);
    assert.match(e.message, /WebGPU execution provider was forced and is unavailable/);
    assert.ok(e.message.includes(webgpu.reason), 'the same reason as the auto probe found');
    return true;
  });
});

void test('forcing CPU tries only CPU', async () => {
  const rt = await Runtime.start({ provider: 'cpu', isolation: 'none', threads: 1 });
  try {
    assert.equal(rt.provider, 'cpu');
    assert.deepEqual(
      rt.providerReport.attempts.map((a) => [a.provider, a.ok]),
      [['cpu', true]],
    );
    assert.equal(rt.providerReport.summary, 'Running on CPU (forced; 1 intra-op thread by default).');
  } finally {
    await rt.dispose();
  }
});

const linuxNoCuda: ProviderFacts = {
  platform: 'linux/x64',
  built: ['cpu', 'webgpu', 'cuda', 'tensorrt'],
  libDir: '/x/bin/napi-v6/linux/x64',
  cudaLibsInstalled: false,
  vulkanLoader: false,
};

void test('explainFailure: every CUDA case gets advice a user can act on', () => {
  const load = 'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library';
  assert.match(explainFailure('cuda', load, linuxNoCuda), /provider libraries are not installed.*npm run install:cuda/);
  const installed = { ...linuxNoCuda, cudaLibsInstalled: true };
  assert.equal(
    explainFailure('cuda', load, { ...installed, cudaLoadError: '/x/libonnxruntime_providers_cuda.so: libcudnn.so.9: cannot open shared object file: No such file or directory' }),
    'the CUDA provider libraries are installed but libcudnn.so.9 was not found: install cuDNN 9 for CUDA 12 and make it ' +
      'findable by the dynamic loader (ldconfig, or LD_LIBRARY_PATH set before starting VS Code or the CLI; see README "GPU: CUDA and WebGPU")',
  );
  assert.match(
    explainFailure('cuda', load, { ...installed, cudaLoadError: 'libcublasLt.so.12: cannot open shared object file: No such file or directory' }),
    /libcublasLt\.so\.12 was not found: install the CUDA 12 runtime libraries/,
  );
  assert.match(explainFailure('cuda', load, installed), /installed but could not be loaded: check that CUDA 12 and cuDNN 9/);
  assert.match(
    explainFailure('cuda', 'CUDA failure 100: no CUDA-capable device is detected ; GPU=0', installed),
    /no NVIDIA GPU is visible.*nvidia-smi/,
  );
  assert.match(explainFailure('cuda', 'CUDA failure 35: CUDA driver version is insufficient for CUDA runtime version', installed), /driver is too old/);
  assert.match(explainFailure('cuda', 'something new\nsecond line', installed), /^CUDA could not create and run a session: something new$/);
  assert.match(explainFailure('cuda', load, { ...linuxNoCuda, platform: 'darwin/arm64', built: ['cpu', 'webgpu'] }), /no CUDA provider for darwin\/arm64/);
});

void test('explainFailure: WebGPU without an adapter says whether Vulkan is there', () => {
  const msg =
    'webgpu_context.cc:136 ... adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters\n';
  assert.match(explainFailure('webgpu', msg, linuxNoCuda), /^no GPU adapter found \(no Vulkan driver or no GPU\): the Vulkan loader libvulkan\.so\.1 is not installed/);
  assert.match(explainFailure('webgpu', msg, { ...linuxNoCuda, vulkanLoader: true }), /Vulkan is installed but offers no usable GPU/);
  assert.match(explainFailure('webgpu', msg, { ...linuxNoCuda, platform: 'win32/x64', vulkanLoader: undefined }), /D3D12 on Windows/);
  assert.match(explainFailure('webgpu', 'x', { ...linuxNoCuda, built: ['cpu'] }), /has no WebGPU provider/);
});

void test('summarize: skipped under auto, unavailable when forced', () => {
  const attempts = [
    { provider: 'cuda' as const, ok: false, reason: 'r1', ortMessage: 'm', ms: 1 },
    { provider: 'webgpu' as const, ok: false, reason: 'r2', ortMessage: 'm', ms: 1 },
    { provider: 'cpu' as const, ok: true, reason: '', ms: 1 },
  ];
  assert.equal(
    summarize({ requested: 'auto', selected: 'cpu', attempts, platform: 'linux/x64', threads: 2 }),
    'Running on CPU (auto; 2 intra-op threads by default).\nCUDA skipped: r1.\nWebGPU skipped: r2.',
  );
  assert.equal(
    summarize({ requested: 'cuda', selected: undefined, attempts: attempts.slice(0, 1), platform: 'linux/x64', threads: 2 }),
    'No execution provider: CUDA was forced and failed.\nCUDA unavailable: r1.',
  );
});
