/**
 * The `extensionTestsPath` entry the extension host calls: runs every `*.test.js` in one folder with
 * mocha (tdd UI) and resolves or rejects, which VS Code turns into the exit code it reports to the runner
 * (code-server: `codeAutomationExit`; @vscode/test-electron: the process exit code).
 *
 * Environment (set by the runner on the server, inherited by the extension host):
 *   REWARD_STUDIO_TEST_RESULTS  a JSON file to write each test's outcome to, for the runner's counts
 *   REWARD_STUDIO_TEST_GREP     run only the tests whose full title matches this regular expression
 *   REWARD_STUDIO_TEST_COLOR    "1" for colored reporter output
 *   REWARD_STUDIO_TEST_TAGGED   "1": prefix the lines meant for the runner (see output.ts)
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';
import { say } from './output';

export interface TestOutcome {
  title: string;
  state: 'passed' | 'failed' | 'pending';
  durationMs?: number;
  error?: string;
}

export interface SuiteResults {
  folder: string;
  passed: number;
  failed: number;
  pending: number;
  tests: TestOutcome[];
}

export function runSuites(folder: string): Promise<void> {
  const mocha = new Mocha({
    ui: 'tdd',
    reporter: 'spec',
    color: process.env.REWARD_STUDIO_TEST_COLOR === '1',
    // Generous but bounded: a real workbench on a loaded 2-core CI machine.
    timeout: 60_000,
    slow: 2_000,
    grep: process.env.REWARD_STUDIO_TEST_GREP || undefined,
  });
  Mocha.reporters.Base.consoleLog = (...args: unknown[]) => say(...args);
  const files = readdirSync(folder)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  for (const f of files) mocha.addFile(join(folder, f));

  const results: SuiteResults = { folder, passed: 0, failed: 0, pending: 0, tests: [] };
  const write = (): void => {
    const file = process.env.REWARD_STUDIO_TEST_RESULTS;
    if (file) writeFileSync(file, JSON.stringify(results, null, 2));
  };
  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        write();
        if (failures > 0 || files.length === 0) {
          reject(new Error(files.length ? `${failures} test(s) failed` : `no *.test.js in ${folder}`));
        } else {
          resolve();
        }
      });
      runner.on('pass', (t) => {
        results.passed++;
        results.tests.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration });
      });
      runner.on('fail', (t, err: Error) => {
        results.failed++;
        results.tests.push({ title: t.fullTitle(), state: 'failed', error: String(err?.stack ?? err) });
      });
      runner.on('pending', (t) => {
        results.pending++;
        results.tests.push({ title: t.fullTitle(), state: 'pending' });
      });
    } catch (error) {
      results.failed++;
      results.tests.push({ title: 'loading the suites', state: 'failed', error: String(error) });
      write();
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}
