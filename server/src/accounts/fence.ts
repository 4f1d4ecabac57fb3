/**
 * The per-user fence, enforced in one place: every request of a signed-in user gets a
 * Prisma client that can only see and change that user's rows. Reads and writes of
 * owned models get the owner added to their `where`; creates get the owner forced;
 * references to other owned rows (a chat's model, a message's chat) are checked
 * before the write. Another user's row is indistinguishable from a missing one, so
 * the API answers NOT_FOUND either way (no existence leak).
 */
import type { Db } from "../db/client.ts";
import { notFound } from "../errors.ts";

type Args = Record<string, unknown> & { where?: object; data?: unknown };

const READ_OR_CHANGE = new Set([
  "findUnique", "findUniqueOrThrow", "findFirst", "findFirstOrThrow", "findMany", "count", "aggregate", "groupBy",
  "update", "updateMany", "updateManyAndReturn", "delete", "deleteMany", "upsert",
]);
const CREATE = new Set(["create", "createMany", "createManyAndReturn", "upsert"]);

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

export function fenceFor(db: Db, userId: string): Db {
  const ownModel = async (id: unknown) => {
    if (typeof id === "string" && (await db.aiModel.count({ where: { id, userId } })) === 0) throw notFound("Model");
  };
  const ownChat = async (id: unknown) => {
    if (typeof id === "string" && (await db.chat.count({ where: { id, userId } })) === 0) throw notFound("Chat");
  };
  const referenceOf = (row: Record<string, unknown>, scalar: string, relation: string) =>
    row[scalar] ?? (row[relation] as { connect?: { id?: unknown } } | undefined)?.connect?.id;

  return db.$extends({
    name: "per-user-fence",
    query: {
      user: {
        async $allOperations({ operation, args, query }) {
          if (!READ_OR_CHANGE.has(operation) || operation === "upsert") throw new Error(`user.${operation} is not allowed through the fence`);
          return query(withWhere(args as Args, { id: userId }) as never);
        },
      },
      aiModel: {
        async $allOperations({ operation, args, query }) {
          let fenced = args as Args;
          if (CREATE.has(operation)) {
            fenced = operation === "upsert" ? { ...fenced, create: { ...(fenced.create as object), userId } } : forceOwner(fenced, userId);
          }
          if (READ_OR_CHANGE.has(operation)) fenced = withWhere(fenced, { userId });
          return query(fenced as never);
        },
      },
      chat: {
        async $allOperations({ operation, args, query }) {
          let fenced = args as Args;
          for (const row of dataRows(fenced, operation)) await ownModel(referenceOf(row, "modelId", "model"));
          if (CREATE.has(operation)) {
            fenced = operation === "upsert" ? { ...fenced, create: { ...(fenced.create as object), userId } } : forceOwner(fenced, userId);
          }
          if (READ_OR_CHANGE.has(operation)) fenced = withWhere(fenced, { userId });
          return query(fenced as never);
        },
      },
      message: {
        async $allOperations({ operation, args, query }) {
          let fenced = args as Args;
          for (const row of dataRows(fenced, operation)) await ownChat(referenceOf(row, "chatId", "chat"));
          if (READ_OR_CHANGE.has(operation)) fenced = withWhere(fenced, { chat: { userId } });
          return query(fenced as never);
        },
      },
      session: {
        async $allOperations({ operation, args, query }) {
          if (CREATE.has(operation)) throw new Error(`session.${operation} is not allowed through the fence`);
          return query(withWhere(args as Args, { userId }) as never);
        },
      },
    },
  }) as unknown as Db;
}

function forceOwner(args: Args, userId: string): Args {
  const own = (row: object) => {
    const { user: _ignored, ...rest } = row as Record<string, unknown>;
    return { ...rest, userId };
  };
  return { ...args, data: Array.isArray(args.data) ? args.data.map(own) : own(args.data as object) };
}
