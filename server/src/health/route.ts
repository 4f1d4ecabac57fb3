import { Elysia } from "elysia";
import type { Db } from "../db/client.ts";

/** GET /healthz: 200 when the database answers, 503 when it does not. */
export function healthRoutes(db: Db) {
  return new Elysia().get("/healthz", async ({ set }) => {
    try {
      await db.$queryRawUnsafe("SELECT 1");
      return { status: "ok", database: "reachable" };
    } catch {
      set.status = 503;
      return { status: "error", database: "unreachable" };
    }
  });
}
