/**
 * Driving the VS Code workbench as a user does: the command palette, Quick Open, the Problems panel, the
 * status bar, and webviews — which sit two frames deep (an outer `iframe.webview` host page holding the
 * extension's document in an inner frame), so they are found by their content, not by name.
 */
import type { Frame, Locator, Page } from 'playwright-core';

const UI_TIMEOUT = 30_000;

/** Ready when Reward Studio's activity-bar item shows (8–14 s after load on a 2-core machine). */
export async function waitForWorkbench(page: Page): Promise<void> {
  await activityBarItem(page).waitFor({ timeout: 120_000 });
}

export function activityBarItem(page: Page): Locator {
  return page.locator('.part.activitybar [aria-label^="Reward Studio"]').first();
}

function quickInput(page: Page): Locator {
  return page.locator('.quick-input-widget');
}

/**
 * Takes keyboard focus out of a webview. A key pressed inside one reaches the workbench, but the webview
 * keeps focus, so a quick input it opens closes again at once (it closes when it loses focus). Clicking
 * the empty lower part of the activity bar moves focus to the workbench and triggers nothing.
 */
export async function focusWorkbench(page: Page): Promise<void> {
  const inWebview = await page.evaluate(() => document.activeElement?.tagName === 'IFRAME');
  if (!inWebview) return;
  const bar = page.locator('.part.activitybar');
  const box = await bar.boundingBox();
  if (box) await bar.click({ position: { x: box.width / 2, y: box.height * 0.7 } });
}

/**
 * Presses `key` to open a quick input and types `text` into it. Retried: a webview that takes focus back
 * a moment after a click closes the quick input under the test's hands.
 */
async function openQuickInput(page: Page, key: string, text: string): Promise<Locator> {
  const input = quickInput(page).locator('input');
  for (let attempt = 1; ; attempt++) {
    try {
      await focusWorkbench(page);
      await page.keyboard.press(key);
      await input.waitFor({ state: 'visible', timeout: 5000 });
      await input.fill(text, { timeout: 5000 });
      await page.waitForTimeout(200);
      if (await input.isVisible()) return input;
      throw new Error(`the quick input opened by ${key} closed again`);
    } catch (error) {
      if (attempt >= 3) throw error;
      await page.keyboard.press('Escape');
      await page.waitForTimeout(500);
    }
  }
}

/** Runs a command from the palette by its full title ("Category: Title"). */
export async function runCommand(page: Page, title: string): Promise<void> {
  await openQuickInput(page, 'F1', `>${title}`);
  const row = quickInput(page).locator(
    `.monaco-list-row[aria-label="${title}"], .monaco-list-row[aria-label^="${title},"]`,
  );
  await row.first().waitFor({ timeout: UI_TIMEOUT });
  await page.keyboard.press('Enter');
  await quickInput(page).waitFor({ state: 'hidden', timeout: UI_TIMEOUT });
}

/** Runs a palette command whose handler opens a quick pick at once, then picks the row showing `pick`. */
export async function runCommandAndPick(page: Page, title: string, pick: string): Promise<void> {
  const widget = quickInput(page);
  await focusWorkbench(page);
  await page.keyboard.press('F1');
  const input = widget.locator('input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`>${title}`);
  await widget.locator(`.monaco-list-row[aria-label="${title}"], .monaco-list-row[aria-label^="${title},"]`).first().waitFor({ timeout: UI_TIMEOUT });
  await page.keyboard.press('Enter');
  // The command's own picker reuses the quick input: wait for its row, not for the palette to close.
  const row = widget.locator('.monaco-list-row', { hasText: pick }).first();
  await row.waitFor({ timeout: UI_TIMEOUT });
  await row.click();
}

/** The titles the palette offers for `query`. */
export async function paletteEntries(page: Page, query: string): Promise<string[]> {
  await openQuickInput(page, 'F1', `>${query}`);
  const rows = quickInput(page).locator('.monaco-list-row');
  await rows.first().waitFor({ timeout: UI_TIMEOUT });
  await page.waitForTimeout(500); // the list fills in as command sources answer
  const labels = (await rows.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''))).map(
    (l) => l.split(',')[0],
  );
  await page.keyboard.press('Escape');
  return labels;
}

/** Opens a workspace file by name with Quick Open and waits for its editor tab to be active. */
export async function quickOpen(page: Page, fileName: string): Promise<void> {
  await openQuickInput(page, 'Control+P', fileName);
  await quickInput(page)
    .locator('.monaco-list-row', { hasText: fileName })
    .first()
    .waitFor({ timeout: UI_TIMEOUT });
  await page.keyboard.press('Enter');
  await activeTab(page, fileName).waitFor({ timeout: UI_TIMEOUT });
}

/** The active tab of the active editor group, when its label starts with `label`. */
export function activeTab(page: Page, label: string): Locator {
  return page.locator(`.editor-group-container.active .tabs-container .tab.active[aria-label^="${label}"]`);
}

/** Moves the cursor of the active editor to a 1-based line with Go to Line. */
export async function goToLine(page: Page, line: number): Promise<void> {
  await openQuickInput(page, 'Control+G', `:${line}`);
  await page.keyboard.press('Enter');
  await cursorAt(page, line, 1);
}

/** Waits until the status bar shows the cursor at `line`, `column`. */
export async function cursorAt(page: Page, line: number, column: number): Promise<void> {
  await page
    .locator('#status\\.editor\\.selection', { hasText: `Ln ${line}, Col ${column}` })
    .waitFor({ timeout: UI_TIMEOUT });
}

export interface ProblemRow {
  /** "Error: <message> at line 2 and character 52. generated by Reward Studio" */
  ariaLabel: string;
  /** The row's text: message, source, code, "[Ln 2, Col 52]". */
  text: string;
}

/** Opens the Problems panel and returns its rows once at least `atLeast` problem rows show. */
export async function problemRows(page: Page, atLeast: number): Promise<ProblemRow[]> {
  await page.keyboard.press('Control+Shift+M');
  const rows = page.locator('.markers-panel .monaco-list-row[aria-label*=" at line "]');
  await rows.nth(atLeast - 1).waitFor({ timeout: UI_TIMEOUT });
  return rows.evaluateAll((els) =>
    els.map((e) => ({ ariaLabel: e.getAttribute('aria-label') ?? '', text: (e as HTMLElement).innerText })),
  );
}

/** The webview frame (the extension's document) that contains `text`. */
export async function webviewFrame(page: Page, text: string, timeoutMs = UI_TIMEOUT): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      if (frame === page.mainFrame() || !frame.parentFrame()) continue;
      const found = await frame
        .getByText(text, { exact: false })
        .count()
        .catch(() => 0);
      if (found > 0) return frame;
    }
    if (Date.now() > deadline) throw new Error(`no webview shows "${text}" after ${timeoutMs} ms`);
    await page.waitForTimeout(250);
  }
}
