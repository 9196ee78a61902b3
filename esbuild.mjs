// Bundles: the extension (node, cjs, `vscode` and native modules external), the CLI, and one browser
// bundle per webview app. Tests compile separately with tsc (tsconfig.test.json) to out/.
import * as esbuild from 'esbuild';
import { readdirSync, existsSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

// Native addons and the heavy runtime stay outside the bundle: they are loaded from node_modules.
const nodeExternal = ['vscode', 'onnxruntime-node', 'onnxruntime-common', 'tokenizers'];

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
};

const webviewApps = readdirSync('webview', { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'shared' && existsSync(`webview/${d.name}/main.ts`))
  .map((d) => d.name);

const builds = [
  {
    ...common,
    entryPoints: { extension: 'src/extension/extension.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternal,
  },
  {
    // The runtime's worker (thread or child process): the only place sessions run. src/core/runtime
    // looks for it beside the bundle that starts it (dist/runtimeWorker.js).
    ...common,
    entryPoints: { runtimeWorker: 'src/core/runtime/runtimeWorker.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternal,
  },
  {
    // The score server of in-editor inspection (src/core/inspect): a child process the extension forks.
    ...common,
    entryPoints: { scoreServer: 'src/core/inspect/scoreServerMain.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternal,
  },
  {
    ...common,
    entryPoints: { cli: 'src/cli/main.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternal,
  },
  ...webviewApps.map((app) => ({
    ...common,
    entryPoints: { [app]: `webview/${app}/main.ts` },
    outdir: 'dist/webview',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    tsconfig: 'webview/tsconfig.json',
  })),
];

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
  console.log('esbuild: watching');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
