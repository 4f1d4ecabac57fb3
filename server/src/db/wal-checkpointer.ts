/**
 * SQLite's WAL checkpoints off the event loop. bun:sqlite runs every statement on the
 * calling thread, and by default the commit that takes the write-ahead log past 1000 pages
 * also copies it into the database file and fsyncs both, there and then: 5–20 ms during
 * which no token, SSE event or /v1 chunk moves (measured: 4,000 checkpoint-sized updates,
 * p99.9 7.9 ms and max 19 ms with automatic checkpoints, 1.5 / 1.8 ms without). The server's
 * connection turns automatic checkpoints off (`PRAGMA wal_autocheckpoint = 0`) and registers
 * its file here; one worker thread for the process checkpoints every registered file each
 * second (PASSIVE: it neither waits for nor blocks the server's writes). Durability is as
 * before (docs/decisions/0011): synchronous = NORMAL syncs the log at checkpoints, now at
 * least once a second instead of every 1000 pages.
 */
type RefWorker = Worker & { ref(): void; unref(): void };

const WORKER_URL = new URL("./wal-checkpoint-worker.ts", import.meta.url);
let worker: RefWorker | null = null;
const registered = new Map<string, number>();
/** A thread that keeps failing is not restarted for ever (its error is logged each time). */
let restartsLeft = 3;

function thread(): RefWorker {
  if (worker) return worker;
  // Not ref'd: a process with nothing else to do exits with the checkpointer running.
  worker = new Worker(WORKER_URL.href, { ref: false }) as RefWorker;
  const started = worker;
  started.onerror = (event: ErrorEvent) => {
    event.preventDefault();
    console.error(`[aiui] SQLite checkpointer failed, restarting it: ${event.message}`);
    started.terminate();
    if (worker !== started) return;
    // Without it the log would only grow: a fresh thread takes over every file.
    worker = null;
    if (registered.size > 0 && restartsLeft-- > 0) thread();
  };
  for (const path of registered.keys()) started.postMessage({ add: path });
  return started;
}

/** Checkpoints `path` from the worker until `release()`; a file registered twice is released twice. */
export function checkpointInBackground(path: string): () => void {
  const count = registered.get(path) ?? 0;
  registered.set(path, count + 1);
  if (count === 0) {
    if (worker) worker.postMessage({ add: path });
    else thread();
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (registered.get(path) ?? 1) - 1;
    if (left > 0) registered.set(path, left);
    else {
      registered.delete(path);
      worker?.postMessage({ remove: path });
    }
  };
}
