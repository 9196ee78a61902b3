/**
 * Every server and browser the tests start is stopped by its PID — when a test passes, fails, times out,
 * or the run is interrupted (Ctrl-C, SIGTERM from CI). Each is spawned detached, so it leads its own
 * process group and killing the group also ends what it started (code-server's extension host, file
 * watcher and pty host; Chromium's renderer and GPU processes).
 */
const live = new Map<number, string>();
let handlersInstalled = false;

/** Records a process group to stop; returns the function that stops it. */
export function track(pid: number, name: string): () => Promise<void> {
  installHandlers();
  live.set(pid, name);
  return () => stopGroup(pid);
}

/** SIGTERM to the group, then SIGKILL if it is still there after `graceMs`. Never throws. */
export async function stopGroup(pid: number, graceMs = 5000): Promise<void> {
  if (!live.has(pid)) return;
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && alive(pid)) await sleep(100);
  if (alive(pid)) signal(pid, 'SIGKILL');
  live.delete(pid);
}

/** What is still running, for the runner's last line of defence and for tests of the harness. */
export function liveProcesses(): Array<{ pid: number; name: string }> {
  return [...live].map(([pid, name]) => ({ pid, name }));
}

function killAllNow(): void {
  for (const pid of live.keys()) signal(pid, 'SIGKILL');
  live.clear();
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL, no grace period.
  process.on('exit', killAllNow);
  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    process.once(sig, () => {
      const names = [...live.values()];
      if (names.length) console.error(`\n${sig}: stopping ${names.join(', ')}`);
      killAllNow();
      process.exit(code);
    });
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig); // the whole group
  } catch {
    try {
      process.kill(pid, sig); // not a group leader after all
    } catch {
      /* already gone */
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
