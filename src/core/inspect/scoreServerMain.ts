// Entry point of the score server (bundled as dist/scoreServer.js): a child process forked with an IPC
// channel by ScoreClient. Requests are handled one at a time in arrival order; the server lowers its own
// CPU priority so the editor that started it stays first in line, and exits when its parent goes.
import { setPriority } from 'node:os';
import { ScoreService } from './scoreService';
import type { ServerReply, ServerRequest } from './protocol';

if (!process.send) {
  process.stderr.write('scoreServer: start me with an IPC channel (child_process.fork)\n');
  process.exit(2);
}

try {
  setPriority(10);
} catch {
  // Not permitted here: run at normal priority.
}

const threads = Number(process.env.REWARD_STUDIO_SCORE_THREADS) || undefined;
const service = new ScoreService({ threads });
let queue: Promise<void> = Promise.resolve();

async function handle(req: ServerRequest): Promise<unknown> {
  switch (req.kind) {
    case 'load':
      return service.load(req.dir, req.provider);
    case 'unload':
      await service.unload(req.key);
      return null;
    case 'scoreLines':
      return service.scoreLines(req.key, req.format, req.file, req.lines);
    case 'scoreResponse':
      return service.scoreResponse(req.key, req.prompt, req.response);
    case 'stats':
      return service.getStats();
  }
}

function reply(r: ServerReply): void {
  process.send?.(r);
}

process.on('message', (req: ServerRequest) => {
  queue = queue.then(async () => {
    try {
      reply({ kind: 'reply', id: req.id, ok: true, value: await handle(req) });
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      reply({ kind: 'reply', id: req.id, ok: false, error: { name: err.name, message: err.message } });
    }
  });
});

process.on('disconnect', () => {
  void service.dispose().finally(() => process.exit(0));
});
