/**
 * GET /attachments/:id — a file saved with a message (the glasses camera picture), for
 * the signed-in owner of its chat only. Anyone else, signed in or not, gets 404.
 */
import { Elysia } from "elysia";
import type { Identity } from "../accounts/index.ts";
import { PICTURE_POLICY } from "../web/index.ts";

export function attachmentRoutes(identity: Identity) {
  return new Elysia().get("/attachments/:id", async ({ params, request, set }) => {
    // Nobody's fenced client finds nothing: no separate "signed in?" branch to forget.
    const { db } = await identity.fromSession(request);
    const attachment = await db.attachment.findUnique({ where: { id: params.id } });
    if (!attachment) {
      set.status = 404;
      return { detail: "Attachment not found." };
    }
    return new Response(attachment.data, {
      headers: {
        "content-type": attachment.mimeType,
        "cache-control": "private, max-age=86400",
        "x-content-type-options": "nosniff",
        // Opened full size in a tab, the browser's own page around the picture needs style attributes.
        "content-security-policy": PICTURE_POLICY,
      },
    });
  });
}
