/**
 * The fast path for reading a chat's branch a page at a time (opening a chat at its newest
 * message, scrolling back): walk up from a message through `parentId` with one recursive
 * query, instead of reading the whole tree (chats/tree.ts). A page of a 5,000-message chat
 * costs 51 index lookups instead of 5,000 rows. See docs/decisions/0012-message-tree.md.
 *
 * Recursive SQL cannot pass the per-user fence, so this reader holds the unfenced client
 * (built once in app.ts createServices) and every step of the walk is held to one chat:
 * callers pass a chat they read through the viewer's fence, and load the messages it
 * names through that fence too.
 */
import type { Db } from "../db/client.ts";
import type { DatabaseProvider } from "../env.ts";

export interface BranchStep {
  id: string;
  parentId: string | null;
}

export type BranchReader = ReturnType<typeof createBranchReader>;

export function createBranchReader(rootDb: Db, provider: DatabaseProvider) {
  const q = (name: string) => (provider === "mysql" ? `\`${name}\`` : `"${name}"`);
  const p = (n: number) => (provider === "postgresql" ? `$${n}` : "?");
  const walkSql =
    `WITH RECURSIVE ${q("up")} (${q("id")}, ${q("parentId")}, ${q("depth")}) AS (` +
    `SELECT ${q("id")}, ${q("parentId")}, 0 FROM ${q("Message")} WHERE ${q("id")} = ${p(1)} AND ${q("chatId")} = ${p(2)} ` +
    `UNION ALL SELECT ${q("m")}.${q("id")}, ${q("m")}.${q("parentId")}, ${q("up")}.${q("depth")} + 1 FROM ${q("Message")} AS ${q("m")} ` +
    `JOIN ${q("up")} ON ${q("m")}.${q("id")} = ${q("up")}.${q("parentId")} WHERE ${q("m")}.${q("chatId")} = ${p(3)} AND ${q("up")}.${q("depth")} < ${p(4)}` +
    `) SELECT ${q("id")}, ${q("parentId")} FROM ${q("up")} ORDER BY ${q("depth")}`;

  return {
    /**
     * Up to `count` messages of chat `chatId` from `fromId` towards the first message:
     * `fromId` first, then its parent, and so on. Empty when `fromId` is not in the chat.
     */
    async walkUp(chatId: string, fromId: string, count: number): Promise<BranchStep[]> {
      if (count <= 0) return [];
      const rows = await rootDb.$queryRawUnsafe<{ id: string; parentId: string | null }[]>(walkSql, fromId, chatId, chatId, count - 1);
      return rows.map((row) => ({ id: String(row.id), parentId: row.parentId === null ? null : String(row.parentId) }));
    },

    /** The chat's newest message (the leaf to show when the chat has none, or a stale one). */
    async newest(chatId: string): Promise<string | null> {
      const row = await rootDb.message.findFirst({ where: { chatId }, orderBy: [{ createdAt: "desc" }, { id: "desc" }], select: { id: true } });
      return row?.id ?? null;
    },
  };
}
