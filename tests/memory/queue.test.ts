/** Memory's background queue: bounded, never throws at its callers, says each failure once. */
import { expect, test } from "bun:test";
import { JobQueue } from "../../server/src/memory/queue.ts";

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

test("runs jobs up to its concurrency; a full queue drops new jobs and says so once per episode", async () => {
  const log: string[] = [];
  const queue = new JobQueue({ limit: 2, concurrency: 1, log: (line) => log.push(line) });
  const first = gate();
  const ran: number[] = [];
  const job = (n: number) => async () => {
    if (n === 1) await first.opened;
    ran.push(n);
  };
  expect(queue.push("job", job(1))).toBe(true);
  expect(queue.push("job", job(2))).toBe(true);
  expect(queue.push("job", job(3))).toBe(true);
  // 1 runs, 2 and 3 wait: the queue is full.
  expect(queue.push("job", job(4))).toBe(false);
  expect(queue.push("job", job(5))).toBe(false);
  expect(log.filter((line) => line.includes("queue is full"))).toHaveLength(1);
  first.open();
  await queue.idle();
  expect(ran).toEqual([1, 2, 3]);
  expect(queue.size).toBe(0);
});

test("a failing job is logged; the same failure again is only counted, another is logged", async () => {
  const log: string[] = [];
  const queue = new JobQueue({ limit: 10, concurrency: 2, log: (line) => log.push(line) });
  for (let i = 0; i < 5; i++) queue.push("learning", () => Promise.reject(new Error("provider down")));
  queue.push("learning", () => Promise.reject(new Error("bad JSON")));
  queue.push("learning", async () => {});
  await queue.idle();
  expect(log).toEqual(["Memory: learning: provider down", "Memory: learning: bad JSON"]);
});

test("closed, it takes no more work and waits for what runs, at most the timeout", async () => {
  const queue = new JobQueue({ limit: 10, concurrency: 1, log: () => {} });
  let finished = false;
  queue.push("slow", async () => {
    await Bun.sleep(30);
    finished = true;
  });
  await queue.close(5000);
  expect(finished).toBe(true);
  expect(queue.push("late", async () => {})).toBe(false);

  const stuck = new JobQueue({ limit: 10, concurrency: 1, log: () => {} });
  stuck.push("never", () => new Promise(() => {}));
  await stuck.close(20);
  expect(stuck.size).toBe(1);
});
