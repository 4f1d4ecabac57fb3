import type { Accounts } from "../accounts/index.ts";
import type { Administration } from "../admin/index.ts";
import type { BranchReader } from "../chats/index.ts";
import type { CursorSigner } from "../crypto/cursors.ts";
import type { SecretBox } from "../crypto/secret-box.ts";
import type { Db } from "../db/client.ts";
import type { User } from "../db/generated/sqlite/client.ts";
import type { Config } from "../env.ts";
import { AppError, unauthenticated } from "../errors.ts";
import type { ReplyService } from "../generation/index.ts";
import type { MemoryService } from "../memory/index.ts";
import type { UsageAfterAnswers } from "../glasses/index.ts";
import type { Search } from "../search/index.ts";

/**
 * What the server hands to every GraphQL operation; built once at start. No database
 * handle here: each request's only one is its fenced `GraphQLContext.db`.
 */
export interface AppServices {
  config: Config;
  /** Who is asking, sign-up, sign-in and sign-out (with replies, memory, search and branches, the only users of the unfenced client). */
  accounts: Accounts;
  /** Administration; its `forViewer` is the one gate to every admin action (admin/service.ts). */
  admin: Administration;
  secrets: SecretBox;
  /** Signs and checks pagination cursors (crypto/cursors.ts, graphql/pages.ts). */
  cursors: CursorSigner;
  /** Sending messages and streaming replies (generation/service.ts). */
  replies: ReplyService;
  /** Long-term memory: recall and learning for replies and the glasses, search for the Memory page. */
  memory: MemoryService;
  /** Full-text search over chats (search/service.ts); it hands back ids, which resolvers load through the fence. */
  search: Search;
  /** Pages of a chat's branch by a recursive query (chats/branch.ts); ids only, held to one chat. */
  branches: BranchReader;
  /** The glasses' usage rows, written after the answer went out; shutdown waits for them (glasses/service.ts). */
  glassesUsage: UsageAfterAnswers;
}

export interface GraphQLContext {
  app: AppServices;
  viewer: User | null;
  /** The viewer's fenced client (accounts/fence.ts); for anonymous requests it matches no rows. */
  db: Db;
  clientAddress: string;
  /** How the viewer was identified: a session cookie, or an access token (`Authorization: Bearer`). */
  authenticatedBy: "session" | "token" | null;
  /** The request's User-Agent, kept with a session it starts (the account page shows it as the device). */
  userAgent: string;
  /** The address the request was sent to (scheme and host), for links when PUBLIC_URL is not set. */
  origin: string;
  sessionToken: string | null;
  setSessionCookie(token: string, expiresAt: Date): void;
  clearSessionCookie(): void;
}

export function requireViewer(ctx: GraphQLContext): User {
  if (!ctx.viewer) throw unauthenticated();
  return ctx.viewer;
}

/** The viewer of a signed-in session: what a token may not do (sign-in/out, managing tokens) is refused through one. */
export function requireSession(ctx: GraphQLContext): User {
  refuseThroughToken(ctx);
  return requireViewer(ctx);
}

export function refuseThroughToken(ctx: GraphQLContext): void {
  if (ctx.authenticatedBy === "token") {
    throw new AppError("FORBIDDEN", "Not through an access token: signing in or out and managing access tokens need a signed-in session.");
  }
}
