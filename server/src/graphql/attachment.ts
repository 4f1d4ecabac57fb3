import { builder } from "./builder.ts";

builder.prismaObject("Attachment", {
  description: "A file saved with a message, e.g. the picture the glasses took. Its bytes are at `url`, for the owner only.",
  // Never load the bytes for the API; the route streams them.
  select: { id: true, mimeType: true, byteSize: true, createdAt: true },
  fields: (t) => ({
    id: t.exposeID("id"),
    mimeType: t.exposeString("mimeType"),
    byteSize: t.exposeInt("byteSize"),
    url: t.string({ resolve: (attachment) => `/attachments/${attachment.id}` }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

builder.prismaObjectField("Message", "attachments", (t) =>
  t.relation("attachments", { query: { orderBy: [{ createdAt: "asc" }, { id: "asc" }] } }),
);
