// Entry point of the runtime host, for both isolation modes: started as a worker_thread (workerData is
// HOST_MARKER) or as a child process (argv holds HOST_MARKER; messages over the IPC channel with
// 'advanced' serialization, so typed arrays — BigInt64Array included — arrive as typed arrays).
//
// It must be its own file at run time: from tsc output it is out/src/core/runtime/runtimeWorker.js, next
// to runtime.js; in the esbuild bundles it is dist/runtimeWorker.js, next to extension.js and cli.js
// (esbuild entry `runtimeWorker: 'src/core/runtime/runtimeWorker.ts'`). Runtime finds it as
// `${__dirname}/runtimeWorker.js` in both layouts.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { SessionHost } from './host';
import { HOST_MARKER, type HostMessage, type HostRequest } from './protocol';

function startThreadHost(): void {
  const port = parentPort;
  if (!port) return;
  const host = new SessionHost(
    (reply, transfer) => port.postMessage(reply, transfer),
    'thread',
    () => port.close(),
  );
  port.on('message', (m: HostRequest) => host.receive(m));
  port.postMessage({ kind: 'hello', pid: process.pid } satisfies HostMessage);
}

function startProcessHost(): void {
  let unsent = 0;
  let leaving = false;
  const leaveWhenFlushed = (): void => {
    if (leaving && unsent === 0 && process.connected) process.disconnect();
  };
  const send = (m: HostMessage): void => {
    if (!process.connected || !process.send) return;
    unsent++;
    process.send(m, undefined, {}, (err) => {
      unsent--;
      if (err) process.exit(1); // the parent is gone; nobody can read our replies
      leaveWhenFlushed();
    });
  };
  const host = new SessionHost(
    (reply) => send(reply),
    'process',
    () => {
      leaving = true;
      leaveWhenFlushed();
    },
  );
  process.on('message', (m: HostRequest) => host.receive(m));
  // The parent died or let go of us: nothing left to serve.
  process.on('disconnect', () => process.exit(0));
  send({ kind: 'hello', pid: process.pid });
}

if (!isMainThread && workerData === HOST_MARKER) {
  startThreadHost();
} else if (process.send && process.argv.includes(HOST_MARKER)) {
  startProcessHost();
} else {
  process.stderr.write(
    'runtimeWorker.js is the Reward Studio runtime host: a Runtime starts it as a worker thread or a child process.\n',
  );
  process.exitCode = 2;
}
