import type { AttemptLimiter } from "../accounts/rate-limit.ts";
import type { SecretBox } from "../crypto/secret-box.ts";
import type { Db } from "../db/client.ts";
import type { User } from "../db/generated/sqlite/client.ts";
import type { Config } from "../env.ts";
import { unauthenticated } from "../errors.ts";
import type { ReplyService } from "../generation/service.ts";

/** What the server hands to every GraphQL operation; built once at start. */
export interface AppServices {
  config: Config;
  /** Unfenced: only for work that precedes a viewer (sign-up, sign-in, session lookup). */
  rootDb: Db;
  secrets: SecretBox;
  signinLimiter: AttemptLimiter;
  /** Sending messages and streaming replies (generation/service.ts). */
  replies: ReplyService;
}

export interface GraphQLContext {
  app: AppServices;
  viewer: User | null;
  /** The viewer's fenced client (accounts/fence.ts); for anonymous requests it matches no rows. */
  db: Db;
  clientAddress: string;
  sessionToken: string | null;
  setSessionCookie(token: string, expiresAt: Date): void;
  clearSessionCookie(): void;
}

export function requireViewer(ctx: GraphQLContext): User {
  if (!ctx.viewer) throw unauthenticated();
  return ctx.viewer;
}
