/**
 * GET /chats/:id/export?format=markdown|json — a chat as a download, for the signed-in
 * owner only; anyone else, signed in or not, gets 404.
 */
import { Elysia } from "elysia";
import type { Identity } from "../accounts/index.ts";
import { AppError, httpStatusOf } from "../errors.ts";
import { type ExportFormat, exportChat } from "./export.ts";

const FORMATS: readonly ExportFormat[] = ["markdown", "json"];

export function chatRoutes(identity: Identity) {
  return new Elysia().get(
    "/chats/:id/export",
    async ({ params, query, request, set }) => {
      const format = (query.format ?? "markdown") as ExportFormat;
      if (!FORMATS.includes(format)) {
        set.status = 400;
        return { detail: "format must be markdown or json." };
      }
      const { db } = await identity.fromSession(request);
      try {
        const file = await exportChat(db, params.id, format);
        return new Response(file.body, {
          headers: {
            "content-type": file.contentType,
            "content-disposition": `attachment; filename="${file.fileName}"`,
            "cache-control": "private, no-store",
            "x-content-type-options": "nosniff",
          },
        });
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        set.status = httpStatusOf[error.code];
        return { detail: error.message };
      }
    },
    { detail: { summary: "A chat as Markdown (the conversation shown) or JSON (every version), for its owner." } },
  );
}
