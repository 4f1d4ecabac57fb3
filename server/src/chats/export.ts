/**
 * A chat as a file to keep: JSON in the API's shape with every version of every message
 * (the tree, and which branch is shown), or Markdown of the conversation shown.
 * `db` is the caller's fenced client.
 */
import type { Db } from "../db/client.ts";
import { notFound } from "../errors.ts";
import { loadTree } from "./tree.ts";

export type ExportFormat = "markdown" | "json";

export interface ChatExport {
  fileName: string;
  contentType: string;
  body: string;
}

const ROLE_HEADING = { USER: "You", ASSISTANT: "Assistant", SYSTEM: "System" } as const;

/** A file name from the title: letters, digits and dashes, never empty. */
function fileNameOf(title: string): string {
  const base = title
    .normalize("NFKD")
    .replace(/[^\w\s-]/g, "")
    .trim()
    .replace(/\s+/g, "-")
    .slice(0, 60);
  return base || "chat";
}

export async function exportChat(db: Db, chatId: string, format: ExportFormat): Promise<ChatExport> {
  const chat = await db.chat.findUnique({ where: { id: chatId }, include: { model: { select: { id: true, name: true, providerModelId: true } } } });
  if (!chat) throw notFound("Chat");
  const [tree, messages] = await Promise.all([
    loadTree(db, chat.id),
    db.message.findMany({
      where: { chatId: chat.id },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      include: { attachments: { select: { id: true, mimeType: true, byteSize: true }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] } },
    }),
  ]);
  const branch = tree.branch(chat.currentLeafId).map((node) => node.id);
  const name = fileNameOf(chat.title);

  if (format === "json") {
    const body = {
      chat: {
        id: chat.id,
        title: chat.title,
        source: chat.source,
        model: chat.model,
        createdAt: chat.createdAt.toISOString(),
        updatedAt: chat.updatedAt.toISOString(),
      },
      branch,
      messages: messages.map((m) => ({
        id: m.id,
        parentId: m.parentId,
        versionIds: tree.versionsOf(m.id),
        role: m.role,
        content: m.content,
        status: m.status,
        error: m.error,
        promptTokens: m.promptTokens,
        completionTokens: m.completionTokens,
        cost: m.cost === null ? null : Number(m.cost),
        usageEstimated: m.usageEstimated,
        firstTokenMs: m.firstTokenMs,
        latencyMs: m.latencyMs,
        createdAt: m.createdAt.toISOString(),
        attachments: m.attachments.map((a) => ({ ...a, url: `/attachments/${a.id}` })),
      })),
    };
    return { fileName: `${name}.json`, contentType: "application/json; charset=utf-8", body: `${JSON.stringify(body, null, 2)}\n` };
  }

  const byId = new Map(messages.map((m) => [m.id, m]));
  const lines = [`# ${chat.title.replace(/\n/g, " ")}`, ""];
  lines.push(`_Exported from AIUI on ${new Date().toISOString().slice(0, 10)}${chat.model ? ` · model: ${chat.model.name}` : ""}_`, "");
  for (const id of branch) {
    const message = byId.get(id);
    if (!message) continue;
    lines.push(`## ${ROLE_HEADING[message.role]}`, "");
    if (message.content) lines.push(message.content, "");
    for (const attachment of message.attachments) lines.push(`_(picture: /attachments/${attachment.id}, ${attachment.mimeType})_`, "");
    if (message.status === "FAILED") lines.push(`_(failed: ${message.error ?? "no reply"})_`, "");
    if (message.status === "CANCELLED") lines.push("_(stopped)_", "");
  }
  return { fileName: `${name}.md`, contentType: "text/markdown; charset=utf-8", body: lines.join("\n") };
}
