/** Chats and their messages. `db` is the caller's fenced client (accounts/fence.ts). */
import type { Db } from "../db/client.ts";
import type { Chat, ChatSource } from "../db/generated/sqlite/client.ts";
import { invalidInput, notFound } from "../errors.ts";
import type { BranchReader } from "./branch.ts";
import { loadTree } from "./tree.ts";

export const MAX_TITLE_LENGTH = 120;
/** The title of a chat created without one; the first user message replaces it. */
export const DEFAULT_CHAT_TITLE = "New chat";
/** How long an automatic title may be (a cut of the first user message). */
export const AUTO_TITLE_LENGTH = 60;
/** The longest message a user may send, in characters. */
export const MAX_MESSAGE_LENGTH = 100_000;

/** A message's text as stored: trimmed, non-empty, at most MAX_MESSAGE_LENGTH characters. */
export function checkMessageContent(raw: string): string {
  const content = raw.trim();
  if (content === "") throw invalidInput("content", "content must not be empty.");
  if (content.length > MAX_MESSAGE_LENGTH) {
    throw invalidInput("content", `content must be at most ${MAX_MESSAGE_LENGTH} characters (it has ${content.length}).`);
  }
  return content;
}

/**
 * A chat title cut from its first user message: whitespace and Markdown markers
 * collapsed, at most AUTO_TITLE_LENGTH characters, cut at a word boundary when one is
 * near, with "…" when something was cut.
 */
export function titleFromMessage(content: string): string {
  // Code blocks say little about the topic, unless there is nothing else.
  const prose = content.replace(/```[\s\S]*?(```|$)/g, " ");
  const text = (prose.trim() === "" ? content : prose)
    .replace(/[#>*_`~|]+/g, " ")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1") // [text](link) -> text
    .replace(/\s+/g, " ")
    .trim();
  if (text === "") return DEFAULT_CHAT_TITLE;
  if (text.length <= AUTO_TITLE_LENGTH) return text;
  const cut = text.slice(0, AUTO_TITLE_LENGTH - 1);
  // Cut at the last word boundary (the cut may end exactly on one), unless that loses too much.
  const space = text[cut.length] === " " ? cut.length : cut.lastIndexOf(" ");
  const words = space >= AUTO_TITLE_LENGTH / 2 ? cut.slice(0, space) : cut;
  return `${words.replace(/[\s.,;:!?\-–—]+$/, "")}…`;
}

export function checkTitle(raw: string): string {
  const title = raw.replace(/\s+/g, " ").trim();
  if (title === "") throw invalidInput("title", "title must not be empty.");
  if (title.length > MAX_TITLE_LENGTH) throw invalidInput("title", `title must be at most ${MAX_TITLE_LENGTH} characters.`);
  return title;
}

export async function getChat(db: Db, id: string): Promise<Chat> {
  const chat = await db.chat.findUnique({ where: { id } });
  if (!chat) throw notFound("Chat");
  return chat;
}

export function createChat(
  db: Db,
  ownerId: string,
  input: { title?: string | null; modelId?: string | null; source?: ChatSource; firstMessage?: string },
): Promise<Chat> {
  return db.chat.create({
    data: {
      userId: ownerId,
      // `firstMessage`: a chat started with its first message is named after it at once, as a title nobody chose.
      title: input.title != null ? checkTitle(input.title) : input.firstMessage ? titleFromMessage(input.firstMessage) : DEFAULT_CHAT_TITLE,
      titleSetByUser: input.title != null,
      modelId: input.modelId ?? null,
      source: input.source ?? "WEB",
    },
  });
}

/** The user's title: the automatic one (from the first message) never replaces it, even if it was on its way. */
export async function renameChat(db: Db, id: string, title: string): Promise<Chat> {
  const checked = checkTitle(title);
  await getChat(db, id);
  return db.chat.update({ where: { id }, data: { title: checked, titleSetByUser: true } });
}

export async function deleteChat(db: Db, id: string): Promise<void> {
  const { count } = await db.chat.deleteMany({ where: { id } });
  if (count === 0) throw notFound("Chat");
}

/**
 * Shows the version of the conversation that contains `messageId`: the chat's current
 * leaf becomes the newest leaf below that message. A message already on the branch shown
 * changes nothing. The chat keeps its place in the chat list (updatedAt is kept).
 */
export async function switchVersion(db: Db, messageId: string): Promise<Chat> {
  const message = await db.message.findUnique({ where: { id: messageId }, select: { chatId: true } });
  if (!message) throw notFound("Message");
  const chat = await getChat(db, message.chatId);
  const tree = await loadTree(db, chat.id);
  if (tree.branch(chat.currentLeafId).some((node) => node.id === messageId)) return chat;
  const leaf = tree.newestLeafUnder(messageId);
  if (!leaf) throw notFound("Message");
  return db.chat.update({ where: { id: chat.id }, data: { currentLeafId: leaf.id, updatedAt: chat.updatedAt } });
}

export const MESSAGES_PER_PAGE = 50;
export const MAX_MESSAGES_PER_PAGE = 500;

export interface BranchPageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
  /** A message to show in the middle of the page (e.g. a search hit). */
  around?: string | null;
}

/**
 * Which slice of `branch` (start inclusive, end exclusive) a page asks for. Cursors are
 * message ids. Without arguments: the newest MESSAGES_PER_PAGE. `last`/`before` page back
 * towards the first message, `first`/`after` forward, `around` centres on one message.
 */
export function pageOfBranch(branch: readonly { id: string }[], args: BranchPageArgs): { start: number; end: number } {
  for (const name of ["first", "last"] as const) {
    const value = args[name];
    if (value != null && (!Number.isInteger(value) || value < 0 || value > MAX_MESSAGES_PER_PAGE)) {
      throw invalidInput(name, `${name} must be a whole number from 0 to ${MAX_MESSAGES_PER_PAGE}.`);
    }
  }
  const indexOf = (field: "after" | "before" | "around", id: string) => {
    const index = branch.findIndex((node) => node.id === id);
    if (index === -1) throw invalidInput(field, `${field} names a message that is not in the conversation shown (switch to its version first).`);
    return index;
  };
  const size = args.first ?? args.last ?? MESSAGES_PER_PAGE;
  if (args.around != null) {
    const index = indexOf("around", args.around);
    const end = Math.min(branch.length, Math.max(0, index - Math.floor(size / 2)) + size);
    return { start: Math.max(0, end - size), end };
  }
  if (args.first != null || args.after != null) {
    const start = args.after != null ? indexOf("after", args.after) + 1 : 0;
    const limit = args.before != null ? indexOf("before", args.before) : branch.length;
    return { start: Math.min(start, limit), end: Math.max(start, Math.min(limit, start + size)) };
  }
  const end = args.before != null ? indexOf("before", args.before) : branch.length;
  return { start: Math.max(0, end - size), end };
}

/** A page of the branch shown: message ids in order, and each one's versions. */
export interface BranchWindow {
  ids: string[];
  hasPreviousPage: boolean;
  hasNextPage: boolean;
  versions: Map<string, string[]>;
}

/**
 * The page of `chat`'s branch that `args` ask for. `chat` was read through the viewer's
 * fence (`db`). The common pages, the newest and the one before a message, walk up from
 * the leaf (or the cursor) with one recursive query (branch.ts); the others read the tree.
 */
export async function branchWindow(
  db: Db,
  branches: BranchReader,
  chat: Pick<Chat, "id" | "currentLeafId">,
  args: BranchPageArgs,
): Promise<BranchWindow> {
  if (args.around == null && args.first == null && args.after == null) {
    pageOfBranch([], { last: args.last });
    const size = args.last ?? MESSAGES_PER_PAGE;
    // Before a cursor: the walk starts at the cursor itself, which is not part of the page.
    const skip = args.before != null ? 1 : 0;
    let steps = await (async () => {
      const from = args.before ?? chat.currentLeafId;
      return from ? branches.walkUp(chat.id, from, skip + size + 1) : [];
    })();
    if (steps.length === 0) {
      if (args.before != null) throw invalidInput("before", "before names a message that is not in this chat.");
      // No leaf yet (or one that is not the chat's): the newest message.
      const newest = await branches.newest(chat.id);
      steps = newest ? await branches.walkUp(chat.id, newest, size + 1) : [];
    }
    const page = steps.slice(skip, skip + size).reverse();
    const parents = [...new Set(page.map((step) => step.parentId))];
    const named = parents.filter((parent): parent is string => parent !== null);
    const siblings = page.length
      ? await db.message.findMany({
          where: { chatId: chat.id, OR: [...(named.length ? [{ parentId: { in: named } }] : []), ...(parents.includes(null) ? [{ parentId: null }] : [])] },
          orderBy: [{ createdAt: "asc" }, { id: "asc" }],
          select: { id: true, parentId: true },
        })
      : [];
    const byParent = new Map<string | null, string[]>();
    for (const sibling of siblings) byParent.set(sibling.parentId, [...(byParent.get(sibling.parentId) ?? []), sibling.id]);
    return {
      ids: page.map((step) => step.id),
      hasPreviousPage: steps.length > skip + size,
      hasNextPage: args.before != null,
      versions: new Map(page.map((step) => [step.id, byParent.get(step.parentId) ?? [step.id]])),
    };
  }
  const tree = await loadTree(db, chat.id);
  const branch = tree.branch(chat.currentLeafId);
  const { start, end } = pageOfBranch(branch, args);
  const ids = branch.slice(start, end).map((node) => node.id);
  return { ids, hasPreviousPage: start > 0, hasNextPage: end < branch.length, versions: new Map(ids.map((id) => [id, tree.versionsOf(id)])) };
}
