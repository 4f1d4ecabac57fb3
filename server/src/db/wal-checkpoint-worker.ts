/**
 * The SQLite WAL checkpointer's thread (db/wal-checkpointer.ts starts it): every
 * INTERVAL_MS it copies the write-ahead log of each registered database file back into the
 * file, PASSIVE (never waits for, nor blocks, the server's connection), on a connection of
 * its own. The copy and its fsyncs are what stalled the event loop when SQLite ran them on
 * the committing connection (automatic checkpoints every 1000 pages).
 */
import { Database } from "bun:sqlite";

declare const self: Worker;

const INTERVAL_MS = 1000;
const connections = new Map<string, Database | null>();

function checkpoint(path: string): void {
  try {
    let database = connections.get(path) ?? null;
    if (!database) {
      // Never creates a file: one removed meanwhile is simply skipped.
      database = new Database(path, { readwrite: true, create: false });
      database.exec("PRAGMA synchronous = NORMAL");
      connections.set(path, database);
    }
    database.query("PRAGMA wal_checkpoint(PASSIVE)").all();
  } catch {
    // Busy (another checkpoint), gone or not yet created: the next tick tries again.
  }
}

setInterval(() => {
  for (const path of connections.keys()) checkpoint(path);
}, INTERVAL_MS);

self.onmessage = (event: MessageEvent<{ add?: string; remove?: string }>) => {
  const { add, remove } = event.data;
  if (add !== undefined && !connections.has(add)) connections.set(add, null);
  if (remove !== undefined) {
    connections.get(remove)?.close();
    connections.delete(remove);
  }
};
