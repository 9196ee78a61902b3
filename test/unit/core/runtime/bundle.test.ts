import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { repoRoot } from '../../../helpers/paths';
import type * as RuntimeModule from '../../../../src/core/runtime';
import { matmulModel } from './models';

// The extension and CLI load the runtime from an esbuild bundle (dist/extension.js, dist/cli.js), with the
// host entry built next to them as dist/runtimeWorker.js. Build that layout (with the esbuild.mjs options
// that matter: node, cjs, onnxruntime-node external) and start both isolation modes from it with defaults.
void test('from an esbuild bundle, the runtime finds runtimeWorker.js next to itself (thread and process)', async () => {
  const root = repoRoot();
  // Under the repository, so the bundle resolves the external onnxruntime-node from node_modules as dist/ does.
  const outdir = join(root, '.test-artifacts', 'runtime-bundle');
  rmSync(outdir, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: { cli: join(root, 'src/core/runtime/index.ts'), runtimeWorker: join(root, 'src/core/runtime/runtimeWorker.ts') },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outdir,
    external: ['vscode', 'onnxruntime-node', 'onnxruntime-common', 'tokenizers'],
    logLevel: 'silent',
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bundled = require(join(outdir, 'cli.js')) as typeof RuntimeModule;
  assert.equal(bundled.defaultWorkerScript(), join(outdir, 'runtimeWorker.js'));
  for (const isolation of ['thread', 'process'] as const) {
    const rt = await bundled.Runtime.start({ provider: 'cpu', isolation, threads: 1 });
    try {
      const s = await rt.createSession(matmulModel(4, 2).bytes);
      const out = await s.run({ x: bundled.tensor('float32', [1, 4], [1, 2, 3, 4]), ids: bundled.tensor('int64', [1], [9n]) });
      assert.deepEqual(out.ids_out.data, BigInt64Array.from([9n]), isolation);
    } finally {
      await rt.dispose();
    }
  }
  assert.deepEqual(
    Object.keys(require.cache).filter((f) => /[\\/]onnxruntime-node[\\/]/.test(f)),
    [],
    'with thread or process isolation the caller never loads onnxruntime-node itself',
  );
});
