/**
 * The chat list in the sidebar, shared by every page of the app: the conversation moves a
 * chat to the top when a message is sent, renames it when it gets its title, and adds a
 * chat started from "New chat". Pages of CHATS_PER_PAGE load as the list is scrolled.
 */
import { type ChatSummary, fetchChats } from "./chats.ts";
import type { ChatSource } from "./gql/enums.ts";
import { RequestFailed } from "./graphql.ts";

class ChatList {
  items = $state<ChatSummary[]>([]);
  /** Only chats from here; null: all. */
  source = $state<ChatSource | null>(null);
  hasMore = $state(false);
  loading = $state(false);
  problem = $state<string | null>(null);
  loaded = $state(false);
  private endCursor: string | null = null;
  /** Answers to an older filter or reload are dropped. */
  private generation = 0;

  async reload(): Promise<void> {
    const generation = ++this.generation;
    this.loading = true;
    this.problem = null;
    try {
      const page = await fetchChats(null, this.source);
      if (generation !== this.generation) return;
      this.items = page.edges.map((edge) => edge.node);
      this.hasMore = page.pageInfo.hasNextPage;
      this.endCursor = page.pageInfo.endCursor ?? null;
      this.loaded = true;
    } catch (problem) {
      if (!(problem instanceof RequestFailed)) throw problem;
      if (generation === this.generation) this.problem = problem.message;
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  async loadMore(): Promise<void> {
    if (!this.hasMore || this.loading) return;
    const generation = this.generation;
    this.loading = true;
    try {
      const page = await fetchChats(this.endCursor, this.source);
      if (generation !== this.generation) return;
      const known = new Set(this.items.map((chat) => chat.id));
      this.items = [...this.items, ...page.edges.map((edge) => edge.node).filter((chat) => !known.has(chat.id))];
      this.hasMore = page.pageInfo.hasNextPage;
      this.endCursor = page.pageInfo.endCursor ?? null;
    } catch (problem) {
      if (!(problem instanceof RequestFailed)) throw problem;
      this.problem = problem.message;
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  setSource(source: ChatSource | null): Promise<void> {
    this.source = source;
    return this.reload();
  }

  /** A chat that was just active: first in the list (if it passes the filter), with its current title. */
  touch(chat: Pick<ChatSummary, "id" | "title" | "source"> & { updatedAt?: string }): void {
    const existing = this.items.find((item) => item.id === chat.id);
    const updated: ChatSummary = { ...(existing ?? { __typename: "Chat" }), ...chat, updatedAt: chat.updatedAt ?? new Date().toISOString() } as ChatSummary;
    if (this.source && updated.source !== this.source) return;
    this.items = [updated, ...this.items.filter((item) => item.id !== chat.id)];
  }

  rename(id: string, title: string): void {
    const item = this.items.find((chat) => chat.id === id);
    if (item) item.title = title;
  }

  remove(id: string): void {
    this.items = this.items.filter((chat) => chat.id !== id);
  }

  /** After signing out: nothing of the last user's stays. */
  clear(): void {
    this.generation++;
    this.items = [];
    this.loaded = false;
    this.hasMore = false;
    this.endCursor = null;
  }
}

export const chatList = new ChatList();
