/**
 * Cursor pagination over Prisma with signed cursors (crypto/cursors.ts): each cursor is
 * bound to the viewer and to the list it came from (one chat's messages, the viewer's
 * chats). A cursor from anywhere else, forged or malformed, is refused with the same
 * BAD_USER_INPUT before any query runs, so it tells nothing about other rows. A chat's
 * messages page over its branch (graphql/chat.ts) with openCursor and sealCursor.
 */
import { parseCursorConnectionArgs } from "@pothos/plugin-relay";
import { AppError } from "../errors.ts";
import type { GraphQLContext } from "./context.ts";

export interface PageArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

/** What one page asks the database for: rows after (or before) `cursorId`, `take` of them, in `inverted` order. */
export interface PageQuery {
  cursorId: string | null;
  take: number;
  /** Newest-first walk (last/before): order the query the other way round; the page is turned back. */
  inverted: boolean;
}

const notHere = (field: "after" | "before") => new AppError("BAD_USER_INPUT", "This cursor is not valid here.", field);

/** The scope a cursor is sealed for: the viewer, then the list (e.g. `Chat.messages:<chatId>`). */
const viewerScope = (ctx: GraphQLContext, scope: string) => `${ctx.viewer?.id ?? "anonymous"}:${scope}`;

/** A cursor for row `id` of the list `scope`, valid for this viewer only. */
export function sealCursor(ctx: GraphQLContext, scope: string, id: string): string {
  return ctx.app.cursors.seal(viewerScope(ctx, scope), id);
}

/** The row id in `args[field]`, null when there is none; a cursor not issued for this viewer and list is refused. */
export function openCursor(ctx: GraphQLContext, scope: string, args: PageArgs, field: "after" | "before"): string | null {
  const cursor = args[field];
  if (cursor == null) return null;
  const id = ctx.app.cursors.open(viewerScope(ctx, scope), cursor);
  if (id === null) throw notHere(field);
  return id;
}

/**
 * An edge whose cursor is sealed when the query asks for it: sealing is an HMAC per row,
 * and lists are mostly read without their edges' cursors (`pageInfo.endCursor` suffices).
 */
class Edge<T extends { id: string }> {
  #cursor: string | undefined;
  constructor(
    readonly node: T,
    private readonly seal: (id: string) => string,
  ) {}
  get cursor(): string {
    this.#cursor ??= this.seal(this.node.id);
    return this.#cursor;
  }
}

/**
 * One page of `load`'s rows, with cursors sealed for `scope` (e.g. `chats`), and for the
 * viewer. Pothos' resolveCursorConnection, except that cursors are sealed only when read.
 */
export async function page<T extends { id: string }>(
  ctx: GraphQLContext,
  scope: string,
  args: PageArgs,
  load: (query: PageQuery) => Promise<T[]>,
) {
  if (args.after != null && args.before != null) throw new AppError("BAD_USER_INPUT", "Give after or before, not both.", "before");
  if (args.before != null && args.first != null) throw new AppError("BAD_USER_INPUT", "before pages backwards: use it with last, not first.", "first");
  if (args.after != null && args.last != null) throw new AppError("BAD_USER_INPUT", "after pages forwards: use it with first, not last.", "last");
  const cursorId = openCursor(ctx, scope, args, "after") ?? openCursor(ctx, scope, args, "before");
  const { limit, inverted, expectedSize, hasPreviousPage, hasNextPage } = parseCursorConnectionArgs({ args });
  const rows = await load({ cursorId, take: limit, inverted });
  const shown = rows.slice(0, expectedSize);
  if (inverted) shown.reverse();
  const seal = (id: string) => sealCursor(ctx, scope, id);
  const edges = shown.map((row) => new Edge(row, seal));
  // An empty page keeps the cursor it was asked from (as Pothos does).
  const given = args.after ?? args.before ?? "";
  return {
    edges,
    pageInfo: {
      get startCursor() {
        return edges[0]?.cursor ?? given;
      },
      get endCursor() {
        return edges.at(-1)?.cursor ?? given;
      },
      hasPreviousPage: hasPreviousPage(rows.length),
      hasNextPage: hasNextPage(rows.length),
    },
  };
}

/** The Prisma arguments for a page: the cursor row is skipped, as in Relay's after/before. */
export function prismaPage(query: PageQuery): { cursor?: { id: string }; skip?: number; take: number } {
  return query.cursorId === null ? { take: query.take } : { cursor: { id: query.cursorId }, skip: 1, take: query.take };
}
