import { Elysia } from "elysia";
import type { Db } from "../db/client.ts";
import { DatabaseUnavailable } from "../errors.ts";

/** A health check must answer promptly even when the database hangs: both probes share this budget. */
const PROBE_TIMEOUT_MS = 2000;
/** The one heartbeat row (see the HealthHeartbeat model). */
const HEARTBEAT_ID = 1;

class ProbeTimeout extends Error {}

/** Why a probe failed, in a few words (the database layer has already logged unavailability). */
function reasonOf(error: unknown): string {
  if (error instanceof ProbeTimeout) return `no answer within ${PROBE_TIMEOUT_MS} ms`;
  if (error instanceof DatabaseUnavailable) return error.reason;
  console.error(`[aiui] /healthz: unexpected database error: ${(error as Error)?.message?.split("\n")[0]}`);
  return "unexpected database error (see the server log)";
}

/**
 * GET /healthz: 200 when the database answers a read and takes a write (the heartbeat row);
 * 503 with the reason when it is unreachable, too slow, full or read-only.
 */
export function healthRoutes(db: Db) {
  return new Elysia().get("/healthz", async ({ set }) => {
    let timer: Timer | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ProbeTimeout()), PROBE_TIMEOUT_MS);
    });
    const within = <T>(probe: Promise<T>) => {
      probe.catch(() => {});
      return Promise.race([probe, timeout]);
    };
    let reachable = false;
    try {
      await within(db.$queryRawUnsafe("SELECT 1"));
      reachable = true;
      const beatAt = new Date();
      await within(db.healthHeartbeat.upsert({ where: { id: HEARTBEAT_ID }, create: { id: HEARTBEAT_ID, beatAt }, update: { beatAt } }));
      return { status: "ok", database: "reachable", writable: true };
    } catch (error) {
      set.status = 503;
      return { status: "error", database: reachable ? "reachable" : "unreachable", writable: false, reason: reasonOf(error) };
    } finally {
      clearTimeout(timer);
    }
  });
}
