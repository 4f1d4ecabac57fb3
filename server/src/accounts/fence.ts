/**
 * The per-user fence, enforced in one place: every request of a signed-in user gets a
 * Prisma client that can only see and change that user's rows. Reads and writes of
 * owned models get the owner added to their `where`; creates get the owner forced;
 * references to other owned rows (a chat's model, a message's chat…) are checked
 * before the write. Another user's row is indistinguishable from a missing one, so
 * the API answers NOT_FOUND either way (no existence leak).
 * See docs/decisions/0002-per-user-fence.md.
 */
import type { Db } from "../db/client.ts";
import { notFound } from "../errors.ts";

type Args = Record<string, unknown> & { where?: object; data?: unknown };
type OwnedModel = "aiModel" | "chat" | "message";

/** Scalar foreign keys that point at other owned rows, and what they must point at. */
type References = Record<string, { model: OwnedModel; relation: string; label: string }>;

const READ_OR_CHANGE = new Set([
  "findUnique", "findUniqueOrThrow", "findFirst", "findFirstOrThrow", "findMany", "count", "aggregate", "groupBy",
  "update", "updateMany", "updateManyAndReturn", "delete", "deleteMany", "upsert",
]);
const CREATE = new Set(["create", "createMany", "createManyAndReturn", "upsert"]);

const modelRef = (relation: string) => ({ model: "aiModel" as const, relation, label: "Model" });
const chatRef = (relation: string) => ({ model: "chat" as const, relation, label: "Chat" });

/** Models with a userId column: the owner is filtered on and forced on create. */
const OWNED_DIRECTLY: Record<string, References> = {
  aiModel: {},
  chat: { modelId: modelRef("model") },
  glassesToken: {},
  glassesSettings: { modelId: modelRef("model"), imageModelId: modelRef("imageModel"), currentChatId: chatRef("currentChat") },
};

/** Models owned through a parent: filtered through the relation, and the parent checked on create. */
const OWNED_THROUGH: Record<string, { where: (userId: string) => object; references: References }> = {
  message: { where: (userId) => ({ chat: { userId } }), references: { chatId: chatRef("chat") } },
  attachment: {
    where: (userId) => ({ message: { chat: { userId } } }),
    references: { messageId: { model: "message", relation: "message", label: "Message" } },
  },
};

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

function withOwner(args: Args, operation: string, userId: string): Args {
  const own = (row: unknown) => {
    const { user: _ignored, ...rest } = row as Record<string, unknown>;
    return { ...rest, userId };
  };
  if (operation === "upsert") return { ...args, create: own(args.create) };
  return { ...args, data: Array.isArray(args.data) ? args.data.map(own) : own(args.data) };
}

export function fenceFor(db: Db, userId: string): Db {
  const ownerFilter: Record<OwnedModel, (id: string) => object> = {
    aiModel: (id) => ({ id, userId }),
    chat: (id) => ({ id, userId }),
    message: (id) => ({ id, chat: { userId } }),
  };
  // A fenced client lives for one request; a row found to be the user's stays so for it.
  const verified = new Set<string>();
  async function checkReferences(args: Args, operation: string, references: References) {
    for (const row of dataRows(args, operation)) {
      for (const [scalar, ref] of Object.entries(references)) {
        const id = row[scalar] ?? (row[ref.relation] as { connect?: { id?: unknown } } | undefined)?.connect?.id;
        if (typeof id !== "string" || verified.has(`${ref.model}:${id}`)) continue;
        const delegate = db[ref.model] as unknown as { count(args: object): Promise<number> };
        if ((await delegate.count({ where: ownerFilter[ref.model](id) })) === 0) throw notFound(ref.label);
        verified.add(`${ref.model}:${id}`);
      }
    }
  }

  const query: Record<string, { $allOperations: (p: { operation: string; args: unknown; query: (a: unknown) => unknown }) => unknown }> = {
    user: {
      $allOperations({ operation, args, query }) {
        if (!READ_OR_CHANGE.has(operation) || operation === "upsert") throw new Error(`user.${operation} is not allowed through the fence`);
        return query(withWhere(args as Args, { id: userId }));
      },
    },
    session: {
      $allOperations({ operation, args, query }) {
        if (CREATE.has(operation)) throw new Error(`session.${operation} is not allowed through the fence`);
        return query(withWhere(args as Args, { userId }));
      },
    },
  };
  /** Rows that came back through the fence are the user's: later references to them need no check. */
  const remember = (model: string, result: unknown) => {
    if (model in ownerFilter && result && typeof (result as { id?: unknown }).id === "string") {
      verified.add(`${model}:${(result as { id: string }).id}`);
    }
    return result;
  };
  for (const [model, references] of Object.entries(OWNED_DIRECTLY)) {
    query[model] = {
      async $allOperations({ operation, args, query }) {
        let fenced = args as Args;
        await checkReferences(fenced, operation, references);
        if (CREATE.has(operation)) fenced = withOwner(fenced, operation, userId);
        if (READ_OR_CHANGE.has(operation)) fenced = withWhere(fenced, { userId });
        return remember(model, await query(fenced));
      },
    };
  }
  for (const [model, { where, references }] of Object.entries(OWNED_THROUGH)) {
    query[model] = {
      async $allOperations({ operation, args, query }) {
        const fenced = args as Args;
        await checkReferences(fenced, operation, references);
        return query(READ_OR_CHANGE.has(operation) ? withWhere(fenced, where(userId)) : fenced);
      },
    };
  }
  return db.$extends({ name: "per-user-fence", query: query as never }) as unknown as Db;
}
