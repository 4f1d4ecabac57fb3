import { Elysia } from "elysia";
import type { Db } from "../db/client.ts";

/** A health check must answer promptly even when the database hangs. */
const PROBE_TIMEOUT_MS = 2000;

/** GET /healthz: 200 when the database answers, 503 when it does not (or not in time). */
export function healthRoutes(db: Db) {
  return new Elysia().get("/healthz", async ({ set }) => {
    let timer: Timer | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("database probe timed out")), PROBE_TIMEOUT_MS);
    });
    try {
      await Promise.race([db.$queryRawUnsafe("SELECT 1"), timeout]);
      return { status: "ok", database: "reachable" };
    } catch {
      set.status = 503;
      return { status: "error", database: "unreachable" };
    } finally {
      clearTimeout(timer);
    }
  });
}
