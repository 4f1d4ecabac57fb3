/**
 * GET /attachments/:id — a file saved with a message (the glasses camera picture), for
 * the signed-in owner of its chat only. Anyone else, signed in or not, gets 404.
 */
import { Elysia } from "elysia";
import { fenceFor } from "../accounts/fence.ts";
import { userForSession } from "../accounts/service.ts";
import type { Db } from "../db/client.ts";
import { readCookie, SESSION_COOKIE } from "../graphql/yoga.ts";

export function attachmentRoutes(rootDb: Db) {
  return new Elysia().get("/attachments/:id", async ({ params, request, set }) => {
    const token = readCookie(request, SESSION_COOKIE);
    const viewer = token ? await userForSession(rootDb, token) : null;
    const attachment = viewer ? await fenceFor(rootDb, viewer.id).attachment.findUnique({ where: { id: params.id } }) : null;
    if (!attachment) {
      set.status = 404;
      return { detail: "Attachment not found." };
    }
    return new Response(attachment.data, {
      headers: {
        "content-type": attachment.mimeType,
        "cache-control": "private, max-age=86400",
        "x-content-type-options": "nosniff",
      },
    });
  });
}
