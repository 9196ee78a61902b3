// What the engine benches share: bundling the TypeScript sources they measure (so a bench never runs
// stale code) and the large-MatMul peak every throughput figure is quoted against.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const benchDir = join(root, '.bench');

/**
 * Bundles `exportsSource` (export lines, paths relative to .bench/<name>/) with esbuild into
 * .bench/<name>/bundle.cjs, with the runtime's worker beside it (the layout of the extension's dist/),
 * and loads it.
 */
export async function bundleSources(name, exportsSource) {
  const esbuild = await import('esbuild');
  const dir = join(benchDir, name);
  mkdirSync(dir, { recursive: true });
  const entry = join(dir, 'entry.ts');
  writeFileSync(entry, exportsSource);
  const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['onnxruntime-node', 'tokenizers'], logLevel: 'warning' };
  await esbuild.build({ ...common, entryPoints: [entry], outfile: join(dir, 'bundle.cjs') });
  await esbuild.build({ ...common, entryPoints: { runtimeWorker: join(root, 'src/core/runtime/runtimeWorker.ts') }, outdir: dir });
  return createRequire(import.meta.url)(join(dir, 'bundle.cjs'));
}

/** Mean seconds per run over at least `minSeconds` (and 3 runs), after two warm-up runs. */
export async function timeRuns(session, feeds, minSeconds = 3) {
  await session.run(feeds);
  await session.run(feeds);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minSeconds * 1000 || n < 3) {
    await session.run(feeds);
    n++;
  }
  return (performance.now() - t0) / 1000 / n;
}

/**
 * GFLOP/s of C = A·B, 2048³ float32, on the runtime's provider. `E` must export GraphBuilder,
 * encodeModel and mulberry32 (from the bundle).
 */
export async function matmulPeak(E, rt, minSeconds = 3) {
  const N = 2048;
  const g = new E.GraphBuilder({ opset: 17, name: 'matmul_peak' });
  g.output(g.matmul(g.input('a', 'float32', [N, N]), g.input('b', 'float32', [N, N])), 'c');
  const session = await rt.createSession(E.encodeModel(g.build()), { graphOptimization: 'all' });
  const rnd = E.mulberry32(1);
  const big = () => Float32Array.from({ length: N * N }, () => rnd() - 0.5);
  try {
    const seconds = await timeRuns(session, { a: { dtype: 'float32', dims: [N, N], data: big() }, b: { dtype: 'float32', dims: [N, N], data: big() } }, minSeconds);
    return (2 * N ** 3) / seconds / 1e9;
  } finally {
    await session.release();
  }
}
