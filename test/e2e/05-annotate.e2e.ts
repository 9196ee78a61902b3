// Annotation in the workbench, keyboard first: "Annotate with Reward Studio" from the palette on a queue
// with one malformed line; ten items judged with the default keys (a, b, t, s, strength 1–4), an undo, a
// note typed without judging, the diff highlight; screenshots in the dark and the light theme; the panel
// closed and reopened resumes at the first unjudged item. The judgements file is checked line by line.
import { strict as assert } from 'node:assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { ARTIFACTS, Session } from './lib/session';
import { activeTab, quickOpen, runCommand, webviewFrame } from './lib/workbench';

const PANEL_TEXT = 'A is better';
const ITEMS = 20;

function queueLines(): string[] {
  const out: string[] = [];
  for (let i = 1; i <= ITEMS; i++) {
    out.push(JSON.stringify({
      prompt: `Question ${i}: what is ${i} + ${i}?`,
      response_a: `The answer is **${2 * i}**.`,
      response_b: `Let me think.\n\n\`\`\`python\nprint(${i} + ${i})\n\`\`\`\n\nThe answer is ${2 * i + (i % 2)}, I believe.`,
    }));
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

  suiteTeardown(async () => {
    await session?.stop();
  });

  teardown(async function () {
    if (this.currentTest?.state === 'failed' && session) {
      const saved = await session.captureFailure(this.currentTest.fullTitle());
      console.log(`    failure artifacts:\n      ${saved.join('\n      ')}`);
    }
  });

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

  test('ten items judged by keyboard, with strength, a tie, a skip and an undo', async () => {
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
    for (let n = 5; n <= 10; n++) await press(page, panel, n % 2 ? 'b' : 'a', n);
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

  test('the diff highlight marks the differences (d); screenshots in dark and light', async () => {
    const { page } = session;
    await page.keyboard.press('d');
    await panel.locator('.diff-added').first().waitFor({ timeout: 10_000 });
    assert.ok((await panel.locator('.diff-removed').count()) >= 1);
    await panel.locator('.figure[data-figure="left-wins"]').waitFor({ timeout: 10_000 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(shots, 'annotate-dark.png') });
    console.log(`      screenshot: ${join(shots, 'annotate-dark.png')}`);
    await page.keyboard.press('d');
    await session.useTheme('light');
    panel = await webviewFrame(page, PANEL_TEXT);
    await panel.locator('body.vscode-light').waitFor({ timeout: 30_000 });
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(shots, 'annotate-light.png') });
    console.log(`      screenshot: ${join(shots, 'annotate-light.png')}`);
    await session.useTheme('dark');
  });

  test('closed and reopened, the panel resumes at the first unjudged item; the file holds every judgement', async () => {
    const { page } = session;
    panel = await webviewFrame(page, PANEL_TEXT);
    const before = await read(panel);
    assert.equal(before.judged, 11);
    const tab = page.locator('.tabs-container .tab', { hasText: 'Annotate: queue.jsonl' }).first();
    await tab.click();
    await runCommand(page, 'View: Close Editor');
    await tab.waitFor({ state: 'detached', timeout: 30_000 });
    await quickOpen(page, 'queue.jsonl');
    await runCommand(page, 'Reward Studio: Annotate with Reward Studio');
    panel = await webviewFrame(page, PANEL_TEXT, 60_000);
    const after = await until(page, panel, 'the resumed session', (r) => r.judged === 11 && r.line > 0);
    assert.equal(after.line, before.line, 'the same first unjudged item');

    const lines = readFileSync(join(workspace, 'data', 'queue.judged.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { margin?: number; meta: { judgement: string; strength?: number; note?: string; annotator: string } });
    assert.equal(lines.length, 13, '12 judgements and one retraction');
    assert.deepEqual(lines.slice(0, 6).map((l) => l.meta.judgement), ['preference', 'preference', 'tie', 'preference', 'skip', 'retract']);
    assert.equal(lines[0].meta.strength, 2);
    assert.equal(lines[1].meta.strength, undefined, 'the strength is reset after each judgement');
    assert.equal(lines[3].meta.strength, 4);
    assert.equal(lines[3].margin, 1);
    assert.equal(lines.at(-1)?.meta.note, 'both are fine but A is shorter');
    assert.ok(lines.every((l) => l.meta.annotator === 'e2e'));
  });
});
