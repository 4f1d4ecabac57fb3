/**
 * Making the real database refuse writes, the way a full disk, a read-only file or a
 * stopped server would, at exactly the moment that matters: a trigger that aborts every
 * UPDATE of a Message that moves it out of STREAMING (a reply's end), while checkpoints,
 * which keep it STREAMING, still pass. SQLite, PostgreSQL and MariaDB all have triggers.
 */
import type { TestDatabase } from "./database.ts";

const NAME = "aiui_test_refuse_reply_end";

/**
 * Refuses the end of every reply until the returned function drops the trigger, or (with
 * `untilMs`, a Date.now() value) only until then: a refusal that passes on its own.
 */
export async function refuseReplyEnds(database: TestDatabase, untilMs?: number): Promise<() => Promise<void>> {
  const run = (sql: string) => database.db.$executeRawUnsafe(sql);
  switch (database.provider) {
    case "sqlite": {
      const until = untilMs === undefined ? "" : ` AND (julianday('now') - 2440587.5) * 86400000.0 < ${untilMs}`;
      await run(`CREATE TRIGGER ${NAME} BEFORE UPDATE OF status ON "Message"
        WHEN NEW.status <> 'STREAMING'${until}
        BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`);
      return async () => void (await run(`DROP TRIGGER ${NAME}`));
    }
    case "postgresql": {
      const until = untilMs === undefined ? "" : ` AND clock_timestamp() < to_timestamp(${untilMs} / 1000.0)`;
      await run(`CREATE FUNCTION ${NAME}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.status <> 'STREAMING'${until} THEN RAISE EXCEPTION 'refused by the test'; END IF;
          RETURN NEW;
        END $$`);
      await run(`CREATE TRIGGER ${NAME} BEFORE UPDATE ON "Message" FOR EACH ROW EXECUTE FUNCTION ${NAME}()`);
      return async () => {
        await run(`DROP TRIGGER ${NAME} ON "Message"`);
        await run(`DROP FUNCTION ${NAME}()`);
      };
    }
    case "mysql": {
      const until = untilMs === undefined ? "" : ` AND UNIX_TIMESTAMP(NOW(3)) * 1000 < ${untilMs}`;
      await run(`CREATE TRIGGER ${NAME} BEFORE UPDATE ON \`Message\` FOR EACH ROW
        BEGIN
          IF NEW.status <> 'STREAMING'${until} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by the test'; END IF;
        END`);
      return async () => void (await run(`DROP TRIGGER ${NAME}`));
    }
  }
}

/**
 * Makes every insert into Message take `ms` longer (PostgreSQL and MariaDB: a sleep in a
 * trigger), widening the moment between a request's reads and its writes so that another
 * request reliably lands inside it. SQLite has no sleep; there the requests of one process
 * interleave at their awaits anyway. Returns the function that removes it.
 */
export async function slowMessageInserts(database: TestDatabase, ms: number): Promise<() => Promise<void>> {
  const run = (sql: string) => database.db.$executeRawUnsafe(sql);
  const name = "aiui_test_slow_insert";
  switch (database.provider) {
    case "sqlite":
      return async () => {};
    case "postgresql":
      await run(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(${ms / 1000}); RETURN NEW; END $$`);
      await run(`CREATE TRIGGER ${name} BEFORE INSERT ON "Message" FOR EACH ROW EXECUTE FUNCTION ${name}()`);
      return async () => {
        await run(`DROP TRIGGER ${name} ON "Message"`);
        await run(`DROP FUNCTION ${name}()`);
      };
    case "mysql":
      await run(`CREATE TRIGGER ${name} BEFORE INSERT ON \`Message\` FOR EACH ROW BEGIN DO SLEEP(${ms / 1000}); END`);
      return async () => void (await run(`DROP TRIGGER ${name}`));
  }
}
