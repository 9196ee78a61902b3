/**
 * Output from inside the extension host. In code-server everything the extension host prints reaches the
 * runner mixed with the workbench's own log lines; lines starting with TAG are the suites' and are shown,
 * the rest go to the run's workbench log under .test-artifacts/integration/.
 */
import { format } from 'node:util';

export const TAG = '[reward-studio-test] ';

/** Set by the code-server runner; test-electron prints the extension host's output as it is. */
const tagged = process.env.REWARD_STUDIO_TEST_TAGGED === '1';

/** Prints a line the runner shows (e.g. a measured time). */
export function say(...args: unknown[]): void {
  for (const line of format(...args).split('\n')) console.log(tagged ? TAG + line : line);
}
