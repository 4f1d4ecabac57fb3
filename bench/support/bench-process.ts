/**
 * A benchmark's server in its own process, as in production (bench/stream-server.ts,
 * bench/relay-server.ts): started with a clean environment plus `env`, it reports its port
 * over IPC once listening, then its counters whenever asked ("stats", which also resets
 * them), and exits on "stop". BENCH_SERVER_FLAGS passes flags to its bun (e.g.
 * "--cpu-prof-md --cpu-prof-dir=/tmp/prof"); BENCH_LOOP_LAG reaches it too.
 */
import { join } from "node:path";

const root = join(import.meta.dir, "../..");

export interface BenchProcess<Stats> {
  base: string;
  /** The process's counters since the last call (which resets them). */
  stats(): Promise<Stats>;
  stop(): Promise<void>;
}

export async function startBenchProcess<Stats>(script: string, env: Record<string, string>, options: { flags?: boolean } = {}): Promise<BenchProcess<Stats>> {
  let onPort: (port: number) => void = () => {};
  let onStats: (stats: Stats) => void = () => {};
  const portReady = new Promise<number>((resolve) => {
    onPort = resolve;
  });
  const flags = options.flags === false ? [] : (process.env.BENCH_SERVER_FLAGS?.split(" ").filter(Boolean) ?? []);
  const child = Bun.spawn(["bun", ...flags, join(root, script)], {
    cwd: root,
    env: {
      PATH: process.env.PATH!,
      HOME: process.env.HOME ?? "/tmp",
      NODE_ENV: "production",
      ...(process.env.BENCH_LOOP_LAG ? { BENCH_LOOP_LAG: "1" } : {}),
      ...env,
    },
    stdout: "inherit",
    stderr: "inherit",
    ipc(message: { port?: number; stats?: Stats }) {
      if (message.port) onPort(message.port);
      if (message.stats) onStats(message.stats);
    },
  });
  const port = await Promise.race([portReady, child.exited.then((code) => Promise.reject(new Error(`${script} exited (${code}) before listening`)))]);
  return {
    base: `http://127.0.0.1:${port}`,
    stats: () =>
      new Promise<Stats>((resolve) => {
        onStats = resolve;
        child.send("stats");
      }),
    async stop() {
      child.send("stop");
      await child.exited;
    },
  };
}
