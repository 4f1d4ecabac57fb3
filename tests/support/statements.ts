/**
 * Counts what the server sends to its database (server/src/db/observe.ts, at the driver
 * adapter): the statement budgets of issue 13 are asserted with it. A commit is a
 * transaction committed or a write sent outside one (it commits by itself).
 */
import type { StatementObserver } from "../../server/src/db/observe.ts";

export interface Counted {
  statements: number;
  commits: number;
  /** The SQL sent, in order (for the failure message). */
  sql: string[];
}

const WRITE = /^\s*(INSERT|UPDATE|DELETE|REPLACE)\b/i;

export class StatementCounter implements StatementObserver {
  private current: Counted | null = null;

  statement(sql: string, inTransaction: boolean): void {
    if (!this.current) return;
    this.current.statements++;
    this.current.sql.push(sql);
    if (!inTransaction && WRITE.test(sql)) this.current.commits++;
  }

  commit(): void {
    if (this.current) this.current.commits++;
  }

  /** What `work` sent (nothing else may run against this client meanwhile). */
  async during(work: () => Promise<unknown>): Promise<Counted> {
    const counted: Counted = { statements: 0, commits: 0, sql: [] };
    this.current = counted;
    try {
      await work();
    } finally {
      this.current = null;
    }
    return counted;
  }
}

/** For expect(): the count, with the statements in the message when it fails. */
export const listing = (counted: Counted) => `${counted.statements} statements, ${counted.commits} commits:\n  ${counted.sql.join("\n  ")}`;
