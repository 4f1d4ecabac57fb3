/**
 * Writes that may lose a race to another request or instance, made safe: the database
 * settles the race (a unique index), and the loser reads or retries instead of failing.
 */

/** Prisma's "unique constraint failed": a concurrent writer created the row first. */
export const isUniqueViolation = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === "P2002";

/** Prisma's "write conflict or deadlock": the database aborted this transaction in favour of another. */
export const isWriteConflict = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === "P2034";

/**
 * Get-or-create: `read` first (most calls find the row and write nothing), else `create`;
 * a create that loses to a concurrent one (unique violation) reads the winner's row.
 */
export async function readOrCreate<T>(read: () => Promise<T | null>, create: () => Promise<T>): Promise<T> {
  const existing = await read();
  if (existing) return existing;
  try {
    return await create();
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const winner = await read();
    if (!winner) throw error;
    return winner;
  }
}

/** An upsert (Prisma does not make it atomic everywhere) tried once more when it lost to a concurrent create. */
export async function upsertRetried<T>(upsert: () => Promise<T>): Promise<T> {
  try {
    return await upsert();
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return upsert();
  }
}
