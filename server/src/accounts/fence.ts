/**
 * The per-user fence, enforced in one place: every request of a signed-in user gets a
 * Prisma client that can only see and change that user's rows. Every Prisma model is
 * classified in FENCE_RULES; an operation on a model the rules do not name throws, so
 * a new model is unusable through the fence until someone decides who owns its rows.
 *
 * - owned: rows carry the user's id. Reads and writes get the owner added to their
 *   `where`; creates get the owner forced.
 *   An owned model may also have global, admin-written rows (`shared`: shared models):
 *   the user reads and uses those offered to them, and writes only their own
 *   (docs/decisions/0017-administration.md).
 * - through: rows belong to a parent that is owned (a message through its chat). Reads
 *   and writes are filtered through the relation; creates check the parent.
 * - self: the user row itself (read and change one's own row only).
 * - global: rows only the server (or an administrator, through admin/) writes; every user may
 *   read them, or those that `where` selects for them (their own usage, the shared models
 *   granted to them).
 * - admin: rows only administrators read and write, through admin/ (invite links); the fence
 *   refuses every operation on them.
 *
 * References to other owned rows in a write (a chat's model, a message's chat…) are
 * checked before the write. Another user's row is indistinguishable from a missing
 * one, so the API answers NOT_FOUND either way (no existence leak). Raw SQL is refused
 * through the fence: it cannot be filtered.
 * See docs/decisions/0002-per-user-fence.md and 0007-structural-fence.md.
 */
import type { Db } from "../db/client.ts";
import { notFound } from "../errors.ts";

type Args = Record<string, unknown> & { where?: object; data?: unknown };
/** Prisma delegate names of the models other rows may point at. */
type Referable = "aiModel" | "chat" | "message";

/** Scalar foreign keys that point at other owned rows, and what they must point at. */
type References = Record<string, { model: Referable; relation: string; label: string }>;

export type FenceRule =
  | { kind: "self" }
  | {
      kind: "owned";
      references: References;
      createThroughFence: boolean;
      /**
       * Global, admin-written rows among them: those this selects (for the user) are readable
       * and usable too, but not writable (writes and the owner's own reads see `own` rows only).
       */
      shared?: { readable: (userId: string) => object; own: object; createdAs: Record<string, unknown> };
    }
  | { kind: "through"; where: (userId: string) => object; references: References }
  | { kind: "global"; where?: (userId: string) => object }
  | { kind: "admin" };

const READ = new Set(["findUnique", "findUniqueOrThrow", "findFirst", "findFirstOrThrow", "findMany", "count", "aggregate", "groupBy"]);
const READ_OR_CHANGE = new Set([...READ, "update", "updateMany", "updateManyAndReturn", "delete", "deleteMany", "upsert"]);
const CREATE = new Set(["create", "createMany", "createManyAndReturn", "upsert"]);

const modelRef = (relation: string) => ({ model: "aiModel" as const, relation, label: "Model" });
const chatRef = (relation: string) => ({ model: "chat" as const, relation, label: "Chat" });
const owned = (references: References = {}, createThroughFence = true): FenceRule => ({ kind: "owned", references, createThroughFence });

/**
 * Shared models (docs/decisions/0017-administration.md): an administrator's rows marked
 * shared, offered to everyone or to the users granted them. Through the fence a user reads
 * and uses them and never writes them; administrators manage them through admin/.
 */
const SHARED_MODELS = {
  readable: (userId: string) => ({ shared: true, OR: [{ sharedWithAll: true }, { grants: { some: { userId } } }] }),
  own: { shared: false },
  createdAs: { shared: false, sharedWithAll: false, monthlyBudget: null },
};

/** Every Prisma model, by its schema name. tests/accounts/fence-rules.test.ts checks none is missing. */
export const FENCE_RULES: Readonly<Record<string, FenceRule>> = {
  User: { kind: "self" },
  // Sessions are started by sign-in (unfenced); through the fence a user may only list or end their own.
  Session: owned({}, false),
  // Made and used by the accounts service (unfenced); through the fence a user sees only their own (hashes, never a secret).
  PasswordReset: owned({}, false),
  // A user's own models, and the shared ones offered to them (read and use only).
  AiModel: { ...(owned() as Extract<FenceRule, { kind: "owned" }>), shared: SHARED_MODELS },
  Chat: owned({ modelId: modelRef("model") }),
  // Personal access tokens: listed, created and revoked by their owner; looked up by hash unfenced (identity.ts).
  AccessToken: owned(),
  GlassesSettings: owned({ modelId: modelRef("model"), imageModelId: modelRef("imageModel"), currentChatId: chatRef("currentChat") }),
  // What the assistant remembers about the user; its source message must be the user's own too.
  Memory: owned({ sourceMessageId: { model: "message", relation: "sourceMessage", label: "Message" } }),
  Message: { kind: "through", where: (userId) => ({ chat: { userId } }), references: { chatId: chatRef("chat") } },
  Attachment: {
    kind: "through",
    where: (userId) => ({ message: { chat: { userId } } }),
    references: { messageId: { model: "message", relation: "message", label: "Message" } },
  },
  // Written by /healthz on the unfenced client; nothing a user owns.
  HealthHeartbeat: { kind: "global" },
  // The sign-up mode: administrators change it (admin/), everyone may know it.
  ServerSettings: { kind: "global" },
  // Invite links: administrators only.
  Invite: { kind: "admin" },
  // Which shared models were offered to whom: administrators write them; a user reads their own.
  SharedModelGrant: { kind: "global", where: (userId) => ({ userId }) },
  // Usage, added to by the server when a reply is stored; a user reads their own.
  UsageDaily: { kind: "global", where: (userId) => ({ userId }) },
};

export class FenceViolation extends Error {
  override name = "FenceViolation";
}

/** Adds a condition to `where`, keeping unique keys at its top level as findUnique/update/delete need. */
function withWhere(args: Args, condition: object): Args {
  const where = (args.where ?? {}) as { AND?: unknown };
  const existing = where.AND === undefined ? [] : Array.isArray(where.AND) ? where.AND : [where.AND];
  return { ...args, where: { ...where, AND: [...existing, condition] } };
}

function dataRows(args: Args, operation: string): Record<string, unknown>[] {
  const data = operation === "upsert" ? [args.create, args.update] : args.data;
  return (Array.isArray(data) ? data : [data]).filter(Boolean) as Record<string, unknown>[];
}

/** An update that would give a row to someone (userId or the user relation in its data). */
function changesOwner(args: Args, operation: string): boolean {
  if (operation !== "update" && operation !== "updateMany" && operation !== "updateManyAndReturn" && operation !== "upsert") return false;
  const changes = operation === "upsert" ? [args.update] : [args.data];
  return changes.some((data) => data !== null && typeof data === "object" && ("userId" in data || "user" in data));
}

function withOwner(args: Args, operation: string, userId: string, createdAs: Record<string, unknown> = {}): Args {
  const own = (row: unknown) => {
    const { user: _ignored, ...rest } = row as Record<string, unknown>;
    return { ...rest, ...createdAs, userId };
  };
  if (operation === "upsert") return { ...args, create: own(args.create) };
  return { ...args, data: Array.isArray(args.data) ? args.data.map(own) : own(args.data) };
}

/**
 * Models whose rows identity.ts remembers across requests: those that decide who a session
 * or access token is, and the glasses' setup (settings and models) remembered with the user.
 */
const IDENTITY_MODELS = new Set(["User", "Session", "AccessToken", "GlassesSettings", "AiModel"]);

export interface FenceHooks {
  /** After a write through the fence to the user's own row, sessions, access tokens, glasses settings or models: what is remembered of the user is stale. */
  ownRowsChanged?: () => void;
}

/** `db` fenced to `userId`. `rules` is for tests of the fence itself; everything else uses FENCE_RULES. */
export function fenceFor(db: Db, userId: string, rules: Readonly<Record<string, FenceRule>> = FENCE_RULES, hooks: FenceHooks = {}): Db {
  const ownerFilter: Record<Referable, (id: string) => object> = {
    aiModel: (id) => ({ id, userId, ...SHARED_MODELS.own }),
    chat: (id) => ({ id, userId }),
    message: (id) => ({ id, chat: { userId } }),
  };
  // Rows found to be the user's. A row never changes owner (owner columns are not writable
  // through the fence, below) and ids are never reused, so this holds across requests, for
  // as long as identity.ts keeps this client; a delete through the fence empties it, so a
  // reference to a deleted row is answered NOT_FOUND as before, not by a foreign key error.
  const verified = new Set<string>();
  const MAX_VERIFIED = 10_000;
  async function checkReferences(args: Args, operation: string, references: References) {
    for (const row of dataRows(args, operation)) {
      for (const [scalar, ref] of Object.entries(references)) {
        const id = row[scalar] ?? (row[ref.relation] as { connect?: { id?: unknown } } | undefined)?.connect?.id;
        if (typeof id !== "string" || verified.has(`${ref.model}:${id}`)) continue;
        const delegate = db[ref.model] as unknown as { count(args: object): Promise<number> };
        if ((await delegate.count({ where: ownerFilter[ref.model](id) })) === 0) {
          // A shared model offered to the user may be pointed at; not remembered, as the offer can be withdrawn.
          const rule = rules[`${ref.model[0]!.toUpperCase()}${ref.model.slice(1)}`];
          const shared = rule?.kind === "owned" ? rule.shared : undefined;
          if (shared && (await delegate.count({ where: { id, ...shared.readable(userId) } })) > 0) continue;
          throw notFound(ref.label);
        }
        if (verified.size >= MAX_VERIFIED) verified.clear();
        verified.add(`${ref.model}:${id}`);
      }
    }
  }
  /** Rows that came back through the fence are the user's: later references to them need no check. */
  const remember = (model: string, operation: string, result: unknown) => {
    if (operation === "delete") return result;
    const delegate = `${model[0]!.toLowerCase()}${model.slice(1)}`;
    if (delegate in ownerFilter && result && typeof (result as { id?: unknown }).id === "string") {
      if (verified.size >= MAX_VERIFIED) verified.clear();
      verified.add(`${delegate}:${(result as { id: string }).id}`);
    }
    return result;
  };

  /**
   * A deleted row is no longer the user's to reference. Deleting one message or model by id
   * forgets that row alone (nothing referable goes with it); anything else (a chat takes its
   * messages along, deleteMany) forgets everything. Forgetting everything inside a transaction
   * would send the next reference check to the database outside it, which on SQLite's one
   * connection waits for the transaction itself (a glasses regenerate deletes a reply, then
   * writes the new one).
   */
  function forgetDeleted(model: string, operation: string, args: Args): void {
    const id = (args.where as { id?: unknown } | undefined)?.id;
    const delegate = `${model[0]!.toLowerCase()}${model.slice(1)}`;
    if (operation === "delete" && typeof id === "string" && (delegate === "message" || delegate === "aiModel")) verified.delete(`${delegate}:${id}`);
    else verified.clear();
  }

  async function fenced({ model, operation, args, query }: { model?: string; operation: string; args: unknown; query: (a: unknown) => Promise<unknown> }) {
    if (model === undefined) throw new FenceViolation(`${operation} (raw SQL) is not allowed through the per-user fence.`);
    const rule = rules[model];
    if (!rule) {
      throw new FenceViolation(`The per-user fence does not know the model ${model}: classify it in FENCE_RULES (server/src/accounts/fence.ts).`);
    }
    if (hooks.ownRowsChanged && IDENTITY_MODELS.has(model) && !READ.has(operation)) {
      try {
        return await applyRule(rule, model, operation, args as Args, query);
      } finally {
        hooks.ownRowsChanged();
      }
    }
    return applyRule(rule, model, operation, args as Args, query);
  }

  async function applyRule(rule: FenceRule, model: string, operation: string, args: Args, query: (a: unknown) => Promise<unknown>) {
    let fencedArgs = args;
    if (operation === "delete" || operation === "deleteMany") forgetDeleted(model, operation, args);
    switch (rule.kind) {
      case "self":
        if (!READ_OR_CHANGE.has(operation) || operation === "upsert") throw new FenceViolation(`${model}.${operation} is not allowed through the fence.`);
        return query(withWhere(fencedArgs, { id: userId }));
      case "global":
        if (!READ.has(operation)) throw new FenceViolation(`${model} rows are written by the server only, not through the fence.`);
        return query(rule.where ? withWhere(fencedArgs, rule.where(userId)) : fencedArgs);
      case "admin":
        throw new FenceViolation(`${model} rows are for administrators, through admin/, not through the fence.`);
      case "owned":
        if (CREATE.has(operation) && !rule.createThroughFence) throw new FenceViolation(`${model}.${operation} is not allowed through the fence.`);
        if (changesOwner(fencedArgs, operation)) throw new FenceViolation(`${model} rows keep their owner: userId is not writable through the fence.`);
        await checkReferences(fencedArgs, operation, rule.references);
        if (CREATE.has(operation)) fencedArgs = withOwner(fencedArgs, operation, userId, rule.shared?.createdAs);
        if (rule.shared && READ.has(operation)) {
          // Own rows, or shared ones offered to the user; only own rows are remembered as the user's.
          const result = await query(withWhere(fencedArgs, { OR: [{ userId, ...rule.shared.own }, rule.shared.readable(userId)] }));
          const own = (row: unknown) => (row as { userId?: unknown; shared?: unknown } | null)?.userId === userId && (row as { shared?: unknown }).shared === false;
          return own(result) ? remember(model, operation, result) : result;
        }
        if (READ_OR_CHANGE.has(operation)) fencedArgs = withWhere(fencedArgs, { userId, ...rule.shared?.own });
        return remember(model, operation, await query(fencedArgs));
      case "through":
        await checkReferences(fencedArgs, operation, rule.references);
        return remember(model, operation, await query(READ_OR_CHANGE.has(operation) ? withWhere(fencedArgs, rule.where(userId)) : fencedArgs));
    }
  }
  return db.$extends({ name: "per-user-fence", query: { $allOperations: fenced } as never }) as unknown as Db;
}
