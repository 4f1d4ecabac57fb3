/**
 * The final write of a reply is the one that makes what the user was shown durable, so
 * a refusal (database restarting, disk full, a lock timeout) is retried, with backoff,
 * a bounded number of times before the reply is declared not saved.
 */

/** Waits between attempts: four attempts over about three seconds. */
export const FINAL_WRITE_RETRY_DELAYS_MS: readonly number[] = [200, 800, 2000];

/** Runs `write` until it succeeds or the attempts are used up; the last error is thrown. */
export async function withRetries<T>(write: () => Promise<T>, delays: readonly number[] = FINAL_WRITE_RETRY_DELAYS_MS): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      const delay = delays[attempt];
      if (delay === undefined) throw error;
      await Bun.sleep(delay);
    }
  }
}
