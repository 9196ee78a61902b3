// The packaged VSIX, installed into this VS Code like a user would (code-server --install-extension):
// it activates, its bundled core works, and its native modules load in this extension host.
import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import * as vscode from 'vscode';
import {
  BAD_FILE,
  extension,
  rewardStudioDiagnostics,
  writeWorkspaceFile,
  type RuntimeInfoResult,
} from '../lib/host';
import { say } from '../lib/output';

function filesUnder(dir: string): string[] {
  return (
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      // parentPath is Node >= 20.12; VS Code 1.90's extension host has Node 20.9, which calls it path.
      .map((e) =>
        relative(dir, join(e.parentPath ?? e.path, e.name))
          .split(sep)
          .join('/'),
      )
  );
}

const platform = `${process.platform}-${process.arch}`;

suite('Installed VSIX', () => {
  test('the extension comes from the extensions folder, not from a checkout', () => {
    const ext = extension();
    const extensionsDir = process.env.REWARD_STUDIO_EXTENSIONS_DIR;
    assert.ok(extensionsDir, 'the runner sets REWARD_STUDIO_EXTENSIONS_DIR');
    assert.ok(
      ext.extensionPath.startsWith(extensionsDir + sep),
      `${ext.extensionPath} is not under ${extensionsDir}`,
    );
    assert.equal(ext.isActive, false, 'activated before first use');
  });

  test('it activates', async () => {
    const ext = extension();
    const start = performance.now();
    await ext.activate();
    say(`activation (installed VSIX, production bundle): ${(performance.now() - start).toFixed(0)} ms`);
    assert.ok(ext.isActive);
  });

  test(`it carries the native binaries for ${platform} and no other platform's`, () => {
    const files = filesUnder(extension().extensionPath);
    const ortBinaries = files.filter((f) => f.startsWith('node_modules/onnxruntime-node/bin/'));
    const [os, arch] = [process.platform, process.arch];
    assert.ok(ortBinaries.length > 0, 'no onnxruntime-node binaries');
    for (const f of ortBinaries) assert.ok(f.includes(`/napi-v6/${os}/${arch}/`), `other platform: ${f}`);
    const tokenizerAddons = files.filter((f) => /^node_modules\/tokenizers\/.*\.node$/.test(f));
    assert.equal(tokenizerAddons.length, 1, tokenizerAddons.join(', '));
    assert.ok(tokenizerAddons[0].includes(`${os}-${arch}`), tokenizerAddons[0]);
    assert.ok(!files.some((f) => /\.(map|ts)$/.test(f)), 'source maps or TypeScript sources were packaged');
  });

  test('its native modules load from the VSIX (onnxruntime in the runtime process, tokenizers in the host)', async () => {
    const info = await vscode.commands.executeCommand<RuntimeInfoResult>('rewardStudio.internal.runtimeInfo');
    assert.ok(info, 'the command returned nothing');
    assert.equal(info.platform, platform);
    const root = extension().extensionPath;
    assert.ok(info.nativeModules.length >= 2, info.nativeModules.join(', '));
    for (const addon of info.nativeModules)
      assert.ok(addon.startsWith(root + sep), `${addon} is not from the VSIX`);
    assert.ok(info.nativeModules.some((f) => f.endsWith('onnxruntime_binding.node')));
    assert.ok(info.tokenizers.native);
    assert.ok(
      info.onnxruntime.backends.some((b) => b.name === 'cpu'),
      JSON.stringify(info.onnxruntime.backends),
    );
    say(
      `runtime (installed VSIX): onnxruntime-node ${info.onnxruntime.version} [${info.onnxruntime.backends.map((b) => b.name).join(', ')}], tokenizers ${info.tokenizers.version}; Node ${info.node}, N-API ${info.napi}; loaded in ${info.loadMs} ms`,
    );
  });

  test('validation works from the packaged bundle', async () => {
    const uri = writeWorkspaceFile('vsix/bad.jsonl', BAD_FILE.content);
    await vscode.commands.executeCommand('rewardStudio.validateFile', uri);
    assert.deepEqual(
      rewardStudioDiagnostics(uri).map((d) => [d.range.start.line, d.range.start.character, d.code]),
      BAD_FILE.expected.map((e) => [e.line, e.character, e.code]),
    );
  });
});
