/**
 * Watching what a Prisma client sends to its database, at the driver adapter: every SQL
 * statement and every commit, as the database sees them. Used by the statement budgets'
 * tests (tests/support/statements.ts) and the benchmarks; nothing is observed unless asked.
 */
import type { SqlDriverAdapter, SqlDriverAdapterFactory, SqlQuery, Transaction } from "@prisma/driver-adapter-utils";

export interface StatementObserver {
  /** One SQL statement sent; `inTransaction`: inside an interactive or batch transaction. */
  statement(sql: string, inTransaction: boolean): void;
  /** A transaction committed (BEGIN … COMMIT counts once, however the driver spells it). */
  commit(): void;
}

/** The transaction control statements some drivers send as SQL: the commit is counted once, by commit(). */
const CONTROL = /^\s*(BEGIN|COMMIT|ROLLBACK|SET TRANSACTION|SAVEPOINT|RELEASE)/i;

/** Calls go to the real object with itself as `this` (drivers keep state in private fields). */
function forwarding<T extends object>(target: T, overrides: Partial<Record<keyof T, unknown>>): T {
  return new Proxy(target, {
    get(object, property) {
      if (property in overrides) return overrides[property as keyof T];
      const value = Reflect.get(object, property, object);
      return typeof value === "function" ? value.bind(object) : value;
    },
  });
}

function observedQueries<T extends Pick<SqlDriverAdapter, "queryRaw" | "executeRaw">>(queryable: T, observer: StatementObserver, inTransaction: boolean) {
  const seen = (query: SqlQuery) => {
    if (!CONTROL.test(query.sql)) observer.statement(query.sql, inTransaction);
  };
  return {
    queryRaw: (query: SqlQuery) => {
      seen(query);
      return queryable.queryRaw(query);
    },
    executeRaw: (query: SqlQuery) => {
      seen(query);
      return queryable.executeRaw(query);
    },
  };
}

export function observedAdapter<F extends SqlDriverAdapterFactory>(factory: F, observer: StatementObserver): F {
  const observedTransaction = (transaction: Transaction): Transaction =>
    forwarding(transaction, {
      ...observedQueries(transaction, observer, true),
      commit: async () => {
        await transaction.commit();
        observer.commit();
      },
    });
  const observedConnection = (adapter: SqlDriverAdapter): SqlDriverAdapter =>
    forwarding(adapter, {
      ...observedQueries(adapter, observer, false),
      startTransaction: async (...args: Parameters<SqlDriverAdapter["startTransaction"]>) => observedTransaction(await adapter.startTransaction(...args)),
    });
  return forwarding(factory, { connect: async () => observedConnection(await factory.connect()) } as Partial<Record<keyof F, unknown>>);
}
