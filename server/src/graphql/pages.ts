/**
 * Cursor pagination over Prisma with signed cursors (crypto/cursors.ts): each cursor is
 * bound to the viewer and to the list it came from (one chat's messages, the viewer's
 * chats). A cursor from anywhere else, forged or malformed, is refused with the same
 * BAD_USER_INPUT before any query runs, so it tells nothing about other rows. A chat's
 * messages page over its branch (graphql/chat.ts) with openCursor and sealCursor.
 */
import { resolveCursorConnection } from "@pothos/plugin-relay";
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
 * One page of `load`'s rows, with cursors sealed for `scope` (e.g. `chats`), and for the viewer.
 */
export function page<T extends { id: string }>(
  ctx: GraphQLContext,
  scope: string,
  args: PageArgs,
  load: (query: PageQuery) => Promise<T[]>,
) {
  if (args.after != null && args.before != null) throw new AppError("BAD_USER_INPUT", "Give after or before, not both.", "before");
  if (args.before != null && args.first != null) throw new AppError("BAD_USER_INPUT", "before pages backwards: use it with last, not first.", "first");
  if (args.after != null && args.last != null) throw new AppError("BAD_USER_INPUT", "after pages forwards: use it with first, not last.", "last");
  const cursorId = openCursor(ctx, scope, args, "after") ?? openCursor(ctx, scope, args, "before");
  return resolveCursorConnection<Promise<T[]>>(
    { args, toCursor: (row) => sealCursor(ctx, scope, row.id) },
    ({ limit, inverted }) => load({ cursorId, take: limit, inverted }),
  );
}

/** The Prisma arguments for a page: the cursor row is skipped, as in Relay's after/before. */
export function prismaPage(query: PageQuery): { cursor?: { id: string }; skip?: number; take: number } {
  return query.cursorId === null ? { take: query.take } : { cursor: { id: query.cursorId }, skip: 1, take: query.take };
}
