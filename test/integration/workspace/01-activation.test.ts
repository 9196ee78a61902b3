// Activation: lazy (nothing runs before first use), fast, and light (the model runtime stays unloaded
// until a command needs it). Runs first in this extension host, so the extension is not yet active.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { COMMAND_IDS } from '../../../src/extension/commandIds';
import { extension, loadedFrom, type RuntimeInfoResult } from '../lib/host';
import { say } from '../lib/output';

/** Generous for a loaded 2-core CI machine; measured ~0.1–0.3 s here (see the printed time). */
const ACTIVATION_BUDGET_MS = 3000;

suite('Activation', () => {
  test('the extension is loaded from this checkout and is not active before first use', () => {
    const ext = extension();
    const expected = process.env.REWARD_STUDIO_EXTENSION_PATH;
    if (expected) assert.equal(ext.extensionPath, expected);
    assert.equal(ext.isActive, false, 'activated before any command or view asked for it');
  });

  test('activate() resolves quickly, and the time is reported', async () => {
    const ext = extension();
    const start = performance.now();
    await ext.activate();
    const ms = performance.now() - start;
    say(`activation: ${ms.toFixed(0)} ms from extension.activate() to resolution`);
    assert.ok(ext.isActive);
    assert.ok(
      ms < ACTIVATION_BUDGET_MS,
      `activation took ${ms.toFixed(0)} ms (budget ${ACTIVATION_BUDGET_MS} ms)`,
    );
  });

  test('activation loads neither onnxruntime-node nor tokenizers', () => {
    assert.deepEqual(loadedFrom('onnxruntime-node'), []);
    assert.deepEqual(loadedFrom('tokenizers'), []);
  });

  test('every command of the command table is registered', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const id of COMMAND_IDS) assert.ok(registered.has(id), `${id} is not registered`);
  });

  test('runtime info loads the native runtime on first use and reports it', async () => {
    const info = await vscode.commands.executeCommand<RuntimeInfoResult>('rewardStudio.internal.runtimeInfo');
    assert.ok(info, 'the command returned nothing');
    const ext = extension();
    const installed = (name: string): string =>
      (
        JSON.parse(readFileSync(join(ext.extensionPath, 'node_modules', name, 'package.json'), 'utf8')) as {
          version: string;
        }
      ).version;
    assert.equal(info.onnxruntime.version, installed('onnxruntime-node'));
    assert.equal(info.tokenizers.version, installed('tokenizers'));
    assert.ok(info.tokenizers.native);
    assert.ok(
      info.onnxruntime.backends.some((b) => b.name === 'cpu'),
      `no cpu backend in ${JSON.stringify(info.onnxruntime.backends)}`,
    );
    assert.ok(
      info.nativeModules.some((f) => f.endsWith('onnxruntime_binding.node')),
      info.nativeModules.join(),
    );
    assert.ok(
      info.nativeModules.some((f) => /tokenizers\.[\w-]+\.node$/.test(f)),
      info.nativeModules.join(),
    );
    // onnxruntime runs in the runtime's own process: the extension host never loads it.
    assert.deepEqual(loadedFrom('onnxruntime-node'), [], 'onnxruntime-node was loaded into the extension host');
    assert.ok(info.onnxruntime.pid !== undefined && info.onnxruntime.pid !== process.pid, 'onnxruntime ran in a separate process');
    say(
      `runtime: onnxruntime-node ${info.onnxruntime.version} (${info.onnxruntime.backends.map((b) => b.name).join(', ')}), tokenizers ${info.tokenizers.version}, Node ${info.node}, N-API ${info.napi}, loaded in ${info.loadMs} ms`,
    );
  });

  test('the internal command is hidden from the command palette', () => {
    const menus = (
      extension().packageJSON as {
        contributes: { menus: Record<string, Array<{ command: string; when?: string }>> };
      }
    ).contributes.menus;
    const entry = menus.commandPalette?.find((m) => m.command === 'rewardStudio.internal.runtimeInfo');
    assert.equal(entry?.when, 'false');
  });
});
