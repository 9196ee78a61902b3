// The command table's ids against package.json, both directions, and every reference to a command in
// the manifest (menus, welcome-view links) against the table. Plain Node: no `vscode` import.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { COMMAND_IDS, VIEW_IDS } from '../../../src/extension/commandIds';

interface MenuEntry {
  command?: string;
  submenu?: string;
  group?: string;
  when?: string;
}

interface Manifest {
  name: string;
  activationEvents?: string[];
  contributes: {
    commands: Array<{ command: string; title: string; icon?: unknown }>;
    menus?: Record<string, MenuEntry[]>;
    views?: Record<string, Array<{ id: string }>>;
    viewsWelcome?: Array<{ view: string; contents: string }>;
    keybindings?: Array<{ command: string }>;
  };
}

/** The repository's package.json, found from wherever the compiled test runs (out/test/unit/extension). */
function loadManifest(): Manifest {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
      if (manifest.name === 'reward-studio') return manifest;
    }
    if (dirname(dir) === dir) throw new Error('package.json of reward-studio not found above ' + __dirname);
  }
}

const manifest = loadManifest();
const known = new Set<string>(COMMAND_IDS);
const contributed = manifest.contributes.commands.map((c) => c.command);

test('every command in the table is contributed in package.json', () => {
  for (const id of COMMAND_IDS)
    assert.ok(contributed.includes(id), `${id} is missing from contributes.commands`);
});

test('every contributed command is in the table', () => {
  for (const id of contributed)
    assert.ok(known.has(id), `${id} is contributed but has no handler in COMMAND_IDS`);
});

test('no command id appears twice', () => {
  assert.equal(new Set(COMMAND_IDS).size, COMMAND_IDS.length);
  assert.equal(new Set(contributed).size, contributed.length);
});

test('every menu entry names a known command', () => {
  const menus = manifest.contributes.menus ?? {};
  assert.ok(Object.keys(menus).length > 0, 'expected menus in package.json');
  for (const [menu, entries] of Object.entries(menus)) {
    for (const entry of entries) {
      if (entry.submenu !== undefined) continue;
      assert.ok(entry.command !== undefined, `an entry of menu ${menu} names no command`);
      assert.ok(known.has(entry.command), `menu ${menu} names unknown command ${entry.command}`);
    }
  }
});

test('inline view actions have an icon (else VS Code shows the title as text)', () => {
  const icons = new Map(manifest.contributes.commands.map((c) => [c.command, c.icon]));
  for (const menu of ['view/title', 'view/item/context']) {
    for (const entry of manifest.contributes.menus?.[menu] ?? []) {
      const inline = menu === 'view/title' ? entry.group === 'navigation' : entry.group?.startsWith('inline');
      if (inline && entry.command)
        assert.ok(icons.get(entry.command), `${entry.command} in ${menu} needs an icon`);
    }
  }
});

test('command links in welcome views and keybindings name known commands', () => {
  for (const welcome of manifest.contributes.viewsWelcome ?? []) {
    for (const [, id] of welcome.contents.matchAll(/\(command:([\w.]+)/g)) {
      assert.ok(known.has(id), `viewsWelcome for ${welcome.view} links unknown command ${id}`);
    }
  }
  for (const kb of manifest.contributes.keybindings ?? []) {
    assert.ok(known.has(kb.command), `keybinding for unknown command ${kb.command}`);
  }
});

test('views match VIEW_IDS', () => {
  const views = Object.values(manifest.contributes.views ?? {}).flatMap((list) => list.map((v) => v.id));
  assert.deepEqual([...views].sort(), [...VIEW_IDS].sort());
});

test('activation stays lazy: beyond what VS Code infers, only a JSONL file or a restored annotation panel activates it', () => {
  // VS Code infers onCommand/onView from the contributions; '*' or onStartupFinished would load the
  // extension in every window. The two explicit events: onLanguage:jsonl — the records of a JSONL file
  // opened after a reload get their rewards from the model the workspace remembered, with no command run;
  // onWebviewPanel — an annotation panel left open when the window reloaded is restored on its queue.
  assert.deepEqual(manifest.activationEvents ?? [], ['onLanguage:jsonl', 'onWebviewPanel:rewardStudio.annotate']);
});
