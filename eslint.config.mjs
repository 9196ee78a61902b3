// Flat config. The import rules make the architecture mechanical (see ../shared/STYLE.md):
// src/core never sees `vscode`; only src/core/runtime imports onnxruntime-node; src/protocol is types only.
import tseslint from 'typescript-eslint';

const noVscode = { name: 'vscode', message: 'src/core and src/cli must not import vscode: keep them testable in plain Node.' };
const noOrt = {
  name: 'onnxruntime-node',
  message: 'Only src/core/runtime imports onnxruntime-node (one place owns sessions and providers).',
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', '.test-artifacts/**', '.bench/**', '.demo/**', '**/*.mjs', '**/*.js'] },
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'webview/**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's test()/describe() return promises the runner awaits itself.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'], package: 'node:test' }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/core/**/*.ts', 'src/cli/**/*.ts'],
    ignores: ['src/core/runtime/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode, noOrt] }] },
  },
  {
    files: ['src/core/runtime/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode] }] },
  },
  {
    files: ['src/core/data/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noVscode, noOrt, { name: 'tokenizers', message: 'src/core/data is pure data handling.' }],
          patterns: [{ group: ['../onnx/**', '../autodiff/**', '../optim/**', '../model/**', '../train/**', '../eval/**', '../runtime/**', '../../extension/**', '../../cli/**'], message: 'src/core/data imports nothing outside core/data.' }],
        },
      ],
    },
  },
  // The engine's layers (STYLE.md): onnx ← autodiff, optim ← model. Lower layers never reach up.
  ...[
    ['src/core/onnx/**/*.ts', ['../autodiff/**', '../optim/**', '../model/**', '../train/**', '../eval/**', '../runtime/**']],
    ['src/core/autodiff/**/*.ts', ['../optim/**', '../model/**', '../train/**', '../eval/**', '../runtime/**', '../data/**']],
    ['src/core/optim/**/*.ts', ['../autodiff/**', '../model/**', '../train/**', '../eval/**', '../runtime/**', '../data/**']],
    ['src/core/model/**/*.ts', ['../train/**', '../eval/**', '../runtime/**', '../data/**', '../../train/**', '../../eval/**', '../../runtime/**', '../../data/**']],
  ].map(([files, group]) => ({
    files: [files],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [noVscode, noOrt], patterns: [{ group, message: 'The engine is layered onnx ← autodiff, optim ← model; see STYLE.md.' }] },
      ],
    },
  })),
  {
    files: ['src/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [noVscode, noOrt], patterns: [{ group: ['../core/**', '../extension/**', 'node:*'], message: 'src/protocol holds types only.' }] }],
    },
  },
  {
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [noVscode, noOrt], patterns: [{ group: ['**/src/core/**', '**/src/extension/**', 'node:*'], message: 'Webviews talk to the host through src/protocol only.' }] }],
    },
  },
);
