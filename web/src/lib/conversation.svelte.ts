/**
 * The conversation shown in one chat: a window onto the branch the chat shows (decision
 * 0012), oldest first, exactly as the server orders it. Every change keeps that order by
 * construction: pages are added at the ends they came from, a sent message and its reply
 * go after the last message, an edit or a regenerated reply replaces everything after the
 * point it branches from, and a version switch reloads from there. (A merge of "loaded"
 * and "sent this visit" by hand is what put long chats out of order before.)
 *
 * Messages are deeply reactive objects: a streaming reply changes its own `content`, so
 * only that message re-renders per token, never the history.
 *
 * Paging goes by the cursors the server sent with each page (signed for this chat and
 * viewer: no message id is a cursor). A message sent in this visit came without one; a
 * page next to it is then asked for around it.
 */
import {
  fetchMessages,
  type Message,
  type MessagePage,
  MESSAGES_PER_PAGE,
  SWITCH_VERSION,
} from "./chats.ts";
import { client, NO_PROBLEMS, type Problems, problemsOf } from "./graphql.ts";
import { CANCEL_REPLY, EDIT_MESSAGE, followReply, REGENERATE, SEND_MESSAGE } from "./replies.ts";

/** What a send, edit or regenerate answers the page with: the chat (new or changed), or the problems. */
export type Outcome = { ok: true; chat: { id: string; title: string } | null } | { ok: false; problems: Problems };

const EMPTY_ANSWER: Problems = { ...NO_PROBLEMS, general: "The server sent an empty answer." };

export class Conversation {
  chatId: string | null;
  messages = $state<Message[]>([]);
  /** The window does not start at the chat's first message / end at its newest. */
  hasOlder = $state(false);
  hasNewer = $state(false);
  loadingOlder = $state(false);
  loadingNewer = $state(false);
  /** Why a reply could not be followed, by id. */
  lost = $state<Record<string, string>>({});
  busy = $state(false);
  /** Said to screen readers when a reply ends (the text itself is not read out token by token). */
  announcement = $state("");

  private following = new Map<string, () => void>();
  /** Each paged message's cursor, by message id. */
  private cursors = new Map<string, string>();
  private pendingCount = 0;
  private destroyed = false;

  constructor(chatId: string | null, page: MessagePage | null) {
    this.chatId = chatId;
    if (page) this.reset(page);
  }

  get streamingReply(): Message | undefined {
    return this.messages.find((m) => m.role === "ASSISTANT" && m.status === "STREAMING");
  }

  get last(): Message | undefined {
    return this.messages.at(-1);
  }

  /** The page's messages, their cursors noted. */
  private nodesOf(page: MessagePage): Message[] {
    for (const edge of page.edges) this.cursors.set(edge.node.id, edge.cursor);
    return page.edges.map((edge) => edge.node);
  }

  /**
   * The messages of the branch shown just before or after message `id` (not included), and
   * whether there are more beyond them: by its cursor, or (a message sent in this visit) from
   * the page around it.
   */
  private async beside(chatId: string, id: string, side: "before" | "after"): Promise<{ nodes: Message[]; more: boolean }> {
    const cursor = this.cursors.get(id);
    if (cursor) {
      const page = await fetchMessages(chatId, side === "before" ? { before: cursor } : { after: cursor });
      return { nodes: this.nodesOf(page), more: side === "before" ? page.pageInfo.hasPreviousPage : page.pageInfo.hasNextPage };
    }
    const page = await fetchMessages(chatId, { around: id });
    const nodes = this.nodesOf(page);
    const at = nodes.findIndex((m) => m.id === id);
    if (at === -1) return { nodes: [], more: false };
    return side === "before" ? { nodes: nodes.slice(0, at), more: page.pageInfo.hasPreviousPage } : { nodes: nodes.slice(at + 1), more: page.pageInfo.hasNextPage };
  }

  private reset(page: MessagePage) {
    this.messages = this.nodesOf(page);
    this.hasOlder = page.pageInfo.hasPreviousPage;
    this.hasNewer = page.pageInfo.hasNextPage;
    this.followAll();
  }

  /** Every reply being written gets followed, whether it was loaded that way or just started here. */
  private followAll() {
    for (const message of this.messages) {
      if (message.role === "ASSISTANT" && message.status === "STREAMING" && !this.following.has(message.id)) this.follow(message.id);
    }
  }

  private find(id: string): Message | undefined {
    return this.messages.find((m) => m.id === id);
  }

  private follow(id: string) {
    const start = this.find(id);
    if (!start) return;
    this.following.set(
      id,
      followReply(
        id,
        { ...start },
        (reply) => {
          // The message may have been replaced (a version switch) or reloaded: update the one shown.
          const shown = this.find(id);
          if (shown) Object.assign(shown, reply);
          if (reply.status !== "STREAMING") this.announce(reply.status, reply.error);
        },
        (problem) => {
          this.lost[id] = problem;
        },
      ),
    );
  }

  private announce(status: Message["status"], error: string | null) {
    if (status === "COMPLETE") this.announcement = "The reply is complete.";
    else if (status === "CANCELLED") this.announcement = "The reply was stopped.";
    else this.announcement = `The reply failed. ${error ?? ""}`;
  }

  /** Loads the page before the first message shown; resolves with how many were added. */
  async loadOlder(): Promise<number> {
    const first = this.messages[0];
    if (!this.chatId || !first || !this.hasOlder || this.loadingOlder) return 0;
    this.loadingOlder = true;
    try {
      const page = await this.beside(this.chatId, first.id, "before");
      // Still the same window? (A switch or a reload may have replaced it meanwhile.)
      if (this.messages[0]?.id !== first.id) return 0;
      const known = new Set(this.messages.map((m) => m.id));
      const older = page.nodes.filter((m) => !known.has(m.id));
      this.messages = [...older, ...this.messages];
      this.hasOlder = page.more;
      return older.length;
    } finally {
      this.loadingOlder = false;
    }
  }

  /** Loads the page after the last message shown (a window opened around a search hit). */
  async loadNewer(): Promise<number> {
    const last = this.last;
    if (!this.chatId || !last || !this.hasNewer || this.loadingNewer) return 0;
    this.loadingNewer = true;
    try {
      const page = await this.beside(this.chatId, last.id, "after");
      if (this.last?.id !== last.id) return 0;
      const known = new Set(this.messages.map((m) => m.id));
      const newer = page.nodes.filter((m) => !known.has(m.id));
      this.messages = [...this.messages, ...newer];
      this.hasNewer = page.more;
      this.followAll();
      return newer.length;
    } finally {
      this.loadingNewer = false;
    }
  }

  /** Replaces the window with the newest page ("jump to latest" from a window in the middle). */
  async loadLatest(): Promise<void> {
    if (!this.chatId) return;
    this.reset(await fetchMessages(this.chatId, { newest: true }));
  }

  private placeholder(content: string, images: File[]): Message {
    return {
      id: `pending-${++this.pendingCount}`,
      role: "USER",
      content,
      status: "COMPLETE",
      error: null,
      createdAt: new Date().toISOString(),
      parentId: this.last?.id ?? null,
      versionIds: [],
      attachments: images.map((image, i) => ({
        id: `pending-image-${this.pendingCount}-${i}`,
        mimeType: image.type,
        byteSize: image.size,
        url: URL.createObjectURL(image),
      })),
      promptTokens: null,
      completionTokens: null,
      cost: null,
      usageEstimated: false,
      firstTokenMs: null,
      latencyMs: null,
    };
  }

  /**
   * Sends a message after the last one (in a new chat without `chatId`). It shows at once;
   * if the server refuses it, it is taken back and the problems say why.
   */
  async send(content: string, modelId: string | null, images: File[]): Promise<Outcome> {
    if (this.busy) return { ok: false, problems: NO_PROBLEMS };
    if (this.hasNewer) await this.loadLatest();
    this.busy = true;
    const placeholder = this.placeholder(content, images);
    this.messages = [...this.messages, placeholder];
    try {
      const result = await client.mutation(SEND_MESSAGE, { chatId: this.chatId, content, modelId, images: images.length ? images : null });
      const payload = result.data?.sendMessage;
      if (result.error || !payload) {
        this.messages = this.messages.filter((m) => m.id !== placeholder.id);
        return { ok: false, problems: result.error ? problemsOf(result.error) : EMPTY_ANSWER };
      }
      this.chatId = payload.chat.id;
      this.messages = [...this.messages.filter((m) => m.id !== placeholder.id), payload.message, payload.reply];
      this.followAll();
      return { ok: true, chat: payload.chat };
    } finally {
      for (const attachment of placeholder.attachments) URL.revokeObjectURL(attachment.url);
      this.busy = false;
    }
  }

  /** Drops `id` and everything after it from the window (a new version starts there). */
  private cutFrom(id: string) {
    const at = this.messages.findIndex((m) => m.id === id);
    if (at !== -1) this.messages = this.messages.slice(0, at);
    this.hasNewer = false;
  }

  /** Sends a new version of one of the user's messages; it and a new reply replace what followed. */
  async edit(message: Message, content: string, modelId: string | null): Promise<Outcome> {
    if (this.busy) return { ok: false, problems: NO_PROBLEMS };
    this.busy = true;
    try {
      const result = await client.mutation(EDIT_MESSAGE, { messageId: message.id, content, modelId });
      const payload = result.data?.editMessage;
      if (result.error || !payload) return { ok: false, problems: result.error ? problemsOf(result.error) : EMPTY_ANSWER };
      this.cutFrom(message.id);
      this.messages = [...this.messages, payload.message, payload.reply];
      this.followAll();
      return { ok: true, chat: payload.chat };
    } finally {
      this.busy = false;
    }
  }

  /**
   * A new reply in place of `reply` (the earlier one stays as a version), or to a last
   * question left unanswered. `asVersion` false: the chat's last reply is replaced instead
   * (chats from the glasses stay linear), so the reply is not named.
   */
  async regenerate(reply: Message | null, modelId: string | null, asVersion = true): Promise<Outcome> {
    if (this.busy || !this.chatId) return { ok: false, problems: NO_PROBLEMS };
    this.busy = true;
    try {
      const result = await client.mutation(REGENERATE, { chatId: this.chatId, messageId: asVersion ? (reply?.id ?? null) : null, modelId });
      const fresh = result.data?.regenerate;
      if (result.error || !fresh) return { ok: false, problems: result.error ? problemsOf(result.error) : EMPTY_ANSWER };
      if (reply) this.cutFrom(reply.id);
      else if (this.hasNewer) await this.loadLatest();
      this.messages = [...this.messages.filter((m) => m.id !== fresh.id), fresh];
      this.followAll();
      return { ok: true, chat: null };
    } finally {
      this.busy = false;
    }
  }

  /**
   * Shows another version of `message` (one of its versionIds): the chat switches, and the
   * window is reloaded from that point on, so what comes before stays where the reader is.
   */
  async showVersion(message: Message, versionId: string): Promise<Problems | null> {
    if (!this.chatId || this.busy) return null;
    this.busy = true;
    try {
      const result = await client.mutation(SWITCH_VERSION, { messageId: versionId });
      if (result.error) return problemsOf(result.error);
      // The branch from the version on: after its parent (the message before it), or from the chat's first message.
      let page: { nodes: Message[]; more: boolean };
      if (message.parentId === null) {
        const first = await fetchMessages(this.chatId, { after: null, first: MESSAGES_PER_PAGE });
        page = { nodes: this.nodesOf(first), more: first.pageInfo.hasNextPage };
      } else {
        page = await this.beside(this.chatId, message.parentId, "after");
      }
      this.cutFrom(message.id);
      const known = new Set(this.messages.map((m) => m.id));
      this.messages = [...this.messages, ...page.nodes.filter((m) => !known.has(m.id))];
      this.hasNewer = page.more;
      this.followAll();
      return null;
    } finally {
      this.busy = false;
    }
  }

  /** Stops the reply being written; it keeps its text as CANCELLED. */
  async stop(): Promise<Problems | null> {
    const reply = this.streamingReply;
    if (!reply) return null;
    const result = await client.mutation(CANCEL_REPLY, { messageId: reply.id });
    const stored = result.data?.cancelReply;
    // The stream's last event says the same; this covers a stream that was lost.
    const shown = this.find(reply.id);
    if (stored && stored.status !== "STREAMING" && shown?.status === "STREAMING") {
      Object.assign(shown, { ...stored, content: stored.content.length >= shown.content.length ? stored.content : shown.content });
      this.announce(stored.status, stored.error);
    }
    return result.error ? problemsOf(result.error) : null;
  }

  destroy() {
    this.destroyed = true;
    for (const stop of this.following.values()) stop();
    this.following.clear();
  }

  get isDestroyed() {
    return this.destroyed;
  }
}
