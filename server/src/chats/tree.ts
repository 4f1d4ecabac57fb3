/**
 * A chat's messages as a tree (docs/decisions/0012-message-tree.md). Every message points
 * at the one it follows (`parentId`); messages with the same parent are versions of each
 * other: an edited question next to the original, a regenerated reply next to the earlier
 * ones. What the user sees, and what the model is sent, is one branch: the path from the
 * chat's current leaf up to its first message.
 *
 * The tree is read as a skeleton (ids, parents, roles, statuses, times; no text) in one query,
 * through the caller's fenced client; the text of the messages shown is read afterwards,
 * a page at a time.
 */
import type { Db } from "../db/client.ts";
import type { MessageRole, MessageStatus } from "../db/generated/sqlite/client.ts";

export interface TreeNode {
  id: string;
  parentId: string | null;
  role: MessageRole;
  status: MessageStatus;
  createdAt: Date;
}

export class MessageTree {
  readonly nodes = new Map<string, TreeNode>();
  /** Children by parent id (null: the chat's first messages), oldest first. */
  readonly children = new Map<string | null, TreeNode[]>();
  /** The newest message of the chat, whatever its branch. */
  readonly newest: TreeNode | null;

  /** `rows`: the chat's messages, oldest first. */
  constructor(
    readonly chatId: string,
    rows: TreeNode[],
  ) {
    for (const row of rows) this.nodes.set(row.id, row);
    for (const row of rows) {
      // A parent that is not in this chat (it cannot happen through the API) makes a first message.
      const parent = row.parentId !== null && this.nodes.has(row.parentId) ? row.parentId : null;
      const siblings = this.children.get(parent);
      if (siblings) siblings.push(row);
      else this.children.set(parent, [row]);
    }
    this.newest = rows.at(-1) ?? null;
  }

  get streaming(): boolean {
    for (const node of this.nodes.values()) if (node.status === "STREAMING") return true;
    return false;
  }

  hasUserMessage(): boolean {
    for (const node of this.nodes.values()) if (node.role === "USER") return true;
    return false;
  }

  parentOf(node: TreeNode): TreeNode | null {
    return node.parentId === null ? null : (this.nodes.get(node.parentId) ?? null);
  }

  /** The leaf the chat shows: its current leaf when that is one of its messages, else its newest message. */
  leaf(currentLeafId: string | null): TreeNode | null {
    return (currentLeafId === null ? undefined : this.nodes.get(currentLeafId)) ?? this.newest;
  }

  /** The messages from the chat's first one down to `id`, in order; empty when `id` is not in the chat. */
  pathTo(id: string | null): TreeNode[] {
    const path: TreeNode[] = [];
    const seen = new Set<string>();
    let node = id === null ? undefined : this.nodes.get(id);
    while (node && !seen.has(node.id)) {
      seen.add(node.id);
      path.push(node);
      node = node.parentId === null ? undefined : this.nodes.get(node.parentId);
    }
    return path.reverse();
  }

  /** The branch the chat shows. */
  branch(currentLeafId: string | null): TreeNode[] {
    return this.pathTo(this.leaf(currentLeafId)?.id ?? null);
  }

  /** The leaf reached from `id` by always taking the newest reply or follow-up. */
  newestLeafUnder(id: string): TreeNode | null {
    let node = this.nodes.get(id);
    const seen = new Set<string>();
    while (node && !seen.has(node.id)) {
      seen.add(node.id);
      const next = this.children.get(node.id)?.at(-1);
      if (!next) return node;
      node = next;
    }
    return node ?? null;
  }

  /** The ids of `id`'s versions (itself included), oldest first. */
  versionsOf(id: string): string[] {
    const node = this.nodes.get(id);
    if (!node) return [];
    const parent = node.parentId !== null && this.nodes.has(node.parentId) ? node.parentId : null;
    return (this.children.get(parent) ?? [node]).map((sibling) => sibling.id);
  }
}

/** The chat's message tree, in one query. `db` is the caller's fenced client. */
export async function loadTree(db: Db, chatId: string): Promise<MessageTree> {
  const rows = await db.message.findMany({
    where: { chatId },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: { id: true, parentId: true, role: true, status: true, createdAt: true },
  });
  return new MessageTree(chatId, rows);
}
