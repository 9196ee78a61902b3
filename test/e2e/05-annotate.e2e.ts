// Annotation in the workbench, keyboard first: "Annotate with Reward Studio" from the palette on a queue
// with one malformed line; twenty items judged with the default keys (a, b, t, s, strength 1–4; most of
// them as fast as the items show), an undo, a tie, a note typed without judging, the diff highlight; screenshots of the editor panel and the side-bar
// Annotation view in the dark and the light theme; the panel closed and reopened resumes at the first
// unjudged item. The judgements file validates with the real CLI and holds exactly the expected records.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { itemIdOf } from '../../src/core/annotate/queue';
import { repoRoot } from '../vscode-server/codeServer';
import { ARTIFACTS, Session, stopAndCaptureFailures } from './lib/session';
import { activeTab, activityBarItem, quickOpen, runCommand, waitForWorkbench, webviewFrame } from './lib/workbench';

const PANEL_TEXT = 'A is better';
/** 22 items: 20 are judged, and the panel still has items left when it is closed and reopened. */
const ITEMS = 22;
const JUDGED = 20;

function queueItem(i: number): { prompt: string; response_a: string; response_b: string } {
  return {
    prompt: `Question ${i}: what is ${i} + ${i}?`,
    response_a: `The answer is **${2 * i}**.`,
    response_b: `Let me think.\n\n\`\`\`python\nprint(${i} + ${i})\n\`\`\`\n\nThe answer is ${2 * i + (i % 2)}, I believe.`,
  };
}

function queueLines(): string[] {
  const out: string[] = [];
  for (let i = 1; i <= ITEMS; i++) {
    out.push(JSON.stringify(queueItem(i)));
    if (i === 3) out.push('{"prompt": "broken" "response_a": 1}');
  }
  return out;
}

interface Reading {
  judged: number;
  total: string;
  line: number;
  strength: string | null;
}

function read(frame: Frame): Promise<Reading> {
  return frame.evaluate(() => {
    const count = document.querySelector('.progress-count');
    const where = document.querySelector('.prompt .side-label .muted')?.textContent ?? '';
    return {
      judged: Number(count?.getAttribute('data-judged') ?? -1),
      total: count?.getAttribute('data-total') ?? '',
      line: Number(/line (\d+)/.exec(where)?.[1] ?? 0),
      strength: document.querySelector('.strength vscode-button[aria-pressed="true"]')?.textContent ?? null,
    };
  });
}

async function until(page: Page, frame: Frame, what: string, ok: (r: Reading) => boolean, timeoutMs = 15_000): Promise<Reading> {
  const deadline = Date.now() + timeoutMs;
  let last: Reading | undefined;
  for (;;) {
    last = await read(frame).catch(() => last);
    if (last && ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the panel shows ${JSON.stringify(last)}`);
    await page.waitForTimeout(100);
  }
}

/** The annotation webview of one layout (the panel and the side bar both show the judging buttons). */
async function layoutFrame(page: Page, layout: 'panel' | 'sidebar', timeoutMs = 30_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      if (frame === page.mainFrame() || !frame.parentFrame()) continue;
      const found = await frame.locator(`body[data-layout="${layout}"] .progress-count`).count().catch(() => 0);
      if (found > 0) return frame;
    }
    if (Date.now() > deadline) throw new Error(`no annotation ${layout} after ${timeoutMs} ms`);
    await page.waitForTimeout(250);
  }
}

/** Puts keyboard focus in the panel (on the prompt, not the note field) so the keybindings apply. */
async function focusPanel(page: Page, frame: Frame): Promise<void> {
  await frame.locator('.prompt').click({ position: { x: 4, y: 4 } });
  await page.waitForTimeout(400); // the focus report reaches the host and sets the context key
}

/** Presses a judging key and waits for the judged count to reach `expected`. */
async function press(page: Page, frame: Frame, key: string, expected: number): Promise<Reading> {
  await page.keyboard.press(key);
  return until(page, frame, `judged = ${expected} after '${key}'`, (r) => r.judged === expected);
}

suite('Annotation: judging by keyboard', function () {
  let session: Session;
  let workspace: string;
  let panel: Frame;
  const shots = join(ARTIFACTS, 'screenshots');

  suiteSetup(async function () {
    this.timeout(180_000);
    session = await Session.start({
      name: 'annotate',
      seed: (ws) => {
        workspace = ws;
        mkdirSync(join(ws, 'data'), { recursive: true });
        mkdirSync(join(ws, '.vscode'), { recursive: true });
        writeFileSync(join(ws, 'data', 'queue.jsonl'), queueLines().join('\n') + '\n');
        writeFileSync(join(ws, 'guidelines.md'), '# Guidelines\n\n- Prefer the **correct** answer.\n- A tie when both are equally good.\n');
        writeFileSync(join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'rewardStudio.annotate.annotator': 'e2e', 'rewardStudio.annotate.guidelinesFile': 'guidelines.md' }, null, 2));
      },
    });
    mkdirSync(shots, { recursive: true });
  });

  stopAndCaptureFailures(() => session);

  test('"Annotate with Reward Studio" opens the panel; the malformed line is listed', async () => {
    const { page } = session;
    await quickOpen(page, 'queue.jsonl');
    await runCommand(page, 'Reward Studio: Annotate with Reward Studio');
    await activeTab(page, 'Annotate: queue.jsonl').waitFor({ timeout: 30_000 });
    panel = await webviewFrame(page, PANEL_TEXT, 60_000);
    const r = await until(page, panel, 'the count of items', (x) => x.total === String(ITEMS));
    assert.equal(r.judged, 0);
    assert.equal(r.line, 1);
    await panel.getByText('1 malformed queue line skipped').waitFor({ timeout: 10_000 });
    // Markdown: bold and a fenced code block are rendered, not shown as source.
    assert.ok((await panel.locator('.response strong').count()) >= 1);
    assert.ok((await panel.locator('.response pre code.language-python').count()) >= 1);
  });

  test('nineteen items judged by keyboard, with strength, a tie, a skip and an undo', async function () {
    this.timeout(180_000);
    const { page } = session;
    await focusPanel(page, panel);
    // 1..10: a (strength 2), b, t, a (strength 4), s, then b/a alternately.
    await page.keyboard.press('2');
    await until(page, panel, 'strength 2 pressed', (r) => r.strength === '2');
    await press(page, panel, 'a', 1);
    await press(page, panel, 'b', 2);
    await press(page, panel, 't', 3);
    await page.keyboard.press('4');
    await until(page, panel, 'strength 4 pressed', (r) => r.strength === '4');
    await press(page, panel, 'a', 4);
    await press(page, panel, 's', 5);
    // Undo takes the skip back: the same item shows again.
    const undone = await press(page, panel, 'u', 4);
    assert.equal(undone.line, 6, 'items 1–3 are lines 1, 2, 4 (line 3 is malformed); the skipped one is line 6');
    // The rest as fast as the items show: each key waits for the next item on screen, not for its line to be
    // written (the panel shows the next item while the judgement is written). The last test checks that
    // every line landed, once, on the right item.
    for (let n = 5; n < JUDGED; n++) {
      await page.keyboard.press(n % 2 ? 'b' : 'a');
      // Item n + 1 is on line n + 2 (line 3 is malformed).
      await panel.waitForFunction((line) => /line (\d+)/.exec(document.querySelector('.prompt .side-label .muted')?.textContent ?? '')?.[1] === String(line), n + 2, { polling: 'raf', timeout: 15_000 });
    }
    await until(page, panel, `judged = ${JUDGED - 1} once the lines are written`, (r) => r.judged === JUDGED - 1);
  });

  test('typing a note does not judge; Escape leaves the note and the next key judges with it', async () => {
    const { page } = session;
    const before = await read(panel);
    await page.keyboard.press('n');
    await page.waitForTimeout(400);
    await page.keyboard.type('both are fine but A is shorter');
    await page.waitForTimeout(400);
    assert.equal((await read(panel)).judged, before.judged, 'the letters went into the note, not to the keybindings');
    await page.keyboard.press('Escape');
    await page.waitForTimeout(400);
    await press(page, panel, 'a', before.judged + 1);
  });

  test('the diff highlight marks the differences (d); the panel and the side bar in dark and light', async function () {
    this.timeout(180_000);
    const { page } = session;
    const shot = async (name: string): Promise<void> => {
      await page.waitForTimeout(500);
      await page.screenshot({ path: join(shots, `${name}.png`) });
      console.log(`      screenshot: ${join(shots, `${name}.png`)}`);
    };
    await page.keyboard.press('d');
    await panel.locator('.diff-added').first().waitFor({ timeout: 10_000 });
    assert.ok((await panel.locator('.diff-removed').count()) >= 1);
    await panel.locator('.figure[data-figure="left-wins"]').waitFor({ timeout: 10_000 });
    // The Annotators section: this annotator's row (one annotator: no agreement yet).
    await panel.locator('.annotator-table tr[data-annotator="e2e"]').waitFor({ timeout: 10_000 });
    assert.match((await panel.locator('.agreement').textContent()) ?? '', /no item judged by two annotators/);
    await shot('annotate-panel-dark');
    await page.keyboard.press('d');
    // The side-bar Annotation view (Reward Studio activity bar) shows the same session.
    await activityBarItem(page).click();
    // Fold the Preference Data view above it, so the screenshot shows more of the Annotation view.
    const dataHeader = page.locator('.part.sidebar .pane-header[aria-expanded="true"]', { hasText: 'Preference Data' });
    if ((await dataHeader.count()) > 0) await dataHeader.first().click();
    let sidebar = await layoutFrame(page, 'sidebar', 60_000);
    await sidebar.getByText('Open in Editor').waitFor({ timeout: 30_000 });
    assert.equal((await read(sidebar)).judged, JUDGED);
    await shot('annotate-sidebar-dark');
    await session.useTheme('light');
    sidebar = await layoutFrame(page, 'sidebar');
    await sidebar.locator('body.vscode-light').waitFor({ timeout: 30_000 });
    await shot('annotate-sidebar-light');
    await activityBarItem(page).click(); // hides the side bar again
    await page.waitForTimeout(500);
    panel = await layoutFrame(page, 'panel');
    await panel.locator('body.vscode-light').waitFor({ timeout: 30_000 });
    await shot('annotate-panel-light');
    await session.useTheme('dark');
  });

  test('closed and reopened, the panel resumes at the first unjudged item; the file validates and holds every judgement', async function () {
    this.timeout(180_000);
    const { page } = session;
    panel = await layoutFrame(page, 'panel');
    const before = await read(panel);
    assert.equal(before.judged, JUDGED);
    const tab = page.locator('.tabs-container .tab', { hasText: 'Annotate: queue.jsonl' }).first();
    await tab.click();
    await runCommand(page, 'View: Close Editor');
    await tab.waitFor({ state: 'detached', timeout: 30_000 });
    await quickOpen(page, 'queue.jsonl');
    await runCommand(page, 'Reward Studio: Annotate with Reward Studio');
    await webviewFrame(page, PANEL_TEXT, 60_000);
    panel = await layoutFrame(page, 'panel', 60_000);
    const after = await until(page, panel, 'the resumed session', (r) => r.judged === JUDGED && r.line > 0);
    assert.equal(after.line, before.line, 'the same first unjudged item');
    assert.equal(after.line, JUDGED + 2, 'item 21 is line 22 (line 3 is malformed)');

    // The real CLI validates the judgements file: exit 0, no errors or warnings; the three lines that make
    // no pair (the tie, the skip, the undo) are listed as information, not problems.
    const output = join(workspace, 'data', 'queue.judged.jsonl');
    const cli = spawnSync(process.execPath, [join(repoRoot(), 'dist', 'cli.js'), 'validate', '--json', output], { cwd: repoRoot(), encoding: 'utf8' });
    assert.equal(cli.error, undefined);
    assert.equal(cli.status, 0, `reward-studio validate exit status: ${cli.stdout}${cli.stderr}`);
    const problems = JSON.parse(cli.stdout) as Array<{ line: number; severity: string; code: string }>;
    assert.deepEqual(
      problems.map((p) => [p.line, p.severity, p.code]),
      [[3, 'info', 'tie'], [5, 'info', 'not-a-preference'], [6, 'info', 'not-a-preference']],
      `reward-studio validate: ${cli.stdout}${cli.stderr}`,
    );
    const human = spawnSync(process.execPath, [join(repoRoot(), 'dist', 'cli.js'), 'validate', output], { cwd: repoRoot(), encoding: 'utf8' });
    assert.equal(human.status, 0);
    assert.match(human.stderr, /19 pairs; 0 errors, 0 warnings; 3 annotation records that are not a pair/);

    // Exactly the expected records, in order: item, judgement, strength, the side chosen on screen.
    interface Line { margin?: number; meta: { itemId: string; judgement: string; strength?: number; note?: string; annotator: string; shownOrder?: string } }
    const lines = readFileSync(output, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
    const id = (i: number): string => {
      const q = queueItem(i);
      return itemIdOf(q.prompt, q.response_a, q.response_b);
    };
    const pref = (i: number, key: 'a' | 'b', strength?: number) => ({ itemId: id(i), judgement: 'preference', strength, shownOrder: key === 'a' ? 'chosen-left' : 'chosen-right' });
    const expected = [
      pref(1, 'a', 2),
      pref(2, 'b'),
      { itemId: id(3), judgement: 'tie', strength: undefined, shownOrder: undefined },
      pref(4, 'a', 4),
      { itemId: id(5), judgement: 'skip', strength: undefined, shownOrder: undefined },
      { itemId: id(5), judgement: 'retract', strength: undefined, shownOrder: undefined },
    ];
    for (let n = 5; n <= JUDGED; n++) expected.push(pref(n, n === JUDGED || n % 2 === 0 ? 'a' : 'b'));
    assert.equal(lines.length, JUDGED + 2, `${JUDGED + 1} judgements and one retraction`);
    assert.deepEqual(
      lines.map((l) => ({ itemId: l.meta.itemId, judgement: l.meta.judgement, strength: l.meta.strength, shownOrder: l.meta.judgement === 'preference' ? l.meta.shownOrder : undefined })),
      expected,
    );
    assert.equal(lines[3].margin, 1);
    assert.equal(lines.at(-1)?.meta.note, 'both are fine but A is shorter');
    assert.ok(lines.every((l) => l.meta.annotator === 'e2e'));
  });

  test('a panel left open when the window reloads comes back on its queue, where it was', async function () {
    this.timeout(180_000);
    const { page } = session;
    // The panel of the tests before (opened again when this test runs alone).
    await quickOpen(page, 'queue.jsonl');
    await runCommand(page, 'Reward Studio: Annotate with Reward Studio');
    panel = await layoutFrame(page, 'panel', 60_000);
    const before = await until(page, panel, 'the panel showing its session', (r) => r.total === String(ITEMS) && r.line > 0);
    // As a user reloads: the workbench shuts down (its state saved), then loads again.
    await runCommand(page, 'Developer: Reload Window').catch(() => undefined);
    await page.waitForLoadState('domcontentloaded');
    await waitForWorkbench(page);
    await activeTab(page, 'Annotate: queue.jsonl').waitFor({ timeout: 60_000 });
    panel = await layoutFrame(page, 'panel', 60_000);
    const after = await until(page, panel, 'the restored panel showing its session', (r) => r.total === String(ITEMS) && r.line > 0);
    assert.equal(after.judged, before.judged);
    assert.equal(after.line, before.line);
  });
});
