/**
 * Cursor pagination over Prisma with signed cursors (crypto/cursors.ts): each cursor is
 * bound to the viewer and to the list it came from (one chat's messages, the viewer's
 * chats). A cursor from anywhere else, forged or malformed, is refused with the same
 * BAD_USER_INPUT before any query runs, so it tells nothing about other rows.
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

/**
 * One page of `load`'s rows, with cursors sealed for `scope` (e.g. `Chat.messages:<chatId>`,
 * which this function prefixes with the viewer's id).
 */
export function page<T extends { id: string }>(
  ctx: GraphQLContext,
  scope: string,
  args: PageArgs,
  load: (query: PageQuery) => Promise<T[]>,
) {
  const viewerScope = `${ctx.viewer?.id ?? "anonymous"}:${scope}`;
  if (args.after != null && args.before != null) throw new AppError("BAD_USER_INPUT", "Give after or before, not both.", "before");
  if (args.before != null && args.first != null) throw new AppError("BAD_USER_INPUT", "before pages backwards: use it with last, not first.", "first");
  if (args.after != null && args.last != null) throw new AppError("BAD_USER_INPUT", "after pages forwards: use it with first, not last.", "last");
  const open = (field: "after" | "before") => {
    const cursor = args[field];
    if (cursor == null) return null;
    const id = ctx.app.cursors.open(viewerScope, cursor);
    if (id === null) throw notHere(field);
    return id;
  };
  const cursorId = open("after") ?? open("before");
  return resolveCursorConnection<Promise<T[]>>(
    { args, toCursor: (row) => ctx.app.cursors.seal(viewerScope, row.id) },
    ({ limit, inverted }) => load({ cursorId, take: limit, inverted }),
  );
}

/** The Prisma arguments for a page: the cursor row is skipped, as in Relay's after/before. */
export function prismaPage(query: PageQuery): { cursor?: { id: string }; skip?: number; take: number } {
  return query.cursorId === null ? { take: query.take } : { cursor: { id: query.cursorId }, skip: 1, take: query.take };
}
