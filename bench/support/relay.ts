/**
 * The streaming benchmarks' floor arm: starts bench/relay-server.ts in its own process
 * (as the AIUI server runs in its own), relaying `providerUrl`.
 */
import { join } from "node:path";
import type { LoopLag } from "./loop-lag.ts";

const root = join(import.meta.dir, "../..");

export type RelayStats = { cpuMs: number; peakRss: number; deltasRelayed: number; loopLag?: LoopLag };

export interface Relay {
  base: string;
  /** The relay's counters since the last call (which resets them). */
  stats(): Promise<RelayStats>;
  stop(): Promise<void>;
}

export async function startRelay(providerUrl: string): Promise<Relay> {
  let onPort: (port: number) => void = () => {};
  let onStats: (stats: RelayStats) => void = () => {};
  const portReady = new Promise<number>((r) => {
    onPort = r;
  });
  const child = Bun.spawn(["bun", join(root, "bench/relay-server.ts")], {
    cwd: root,
    env: {
      PATH: process.env.PATH!,
      HOME: process.env.HOME ?? "/tmp",
      NODE_ENV: "production",
      PROVIDER_URL: providerUrl,
      ...(process.env.BENCH_LOOP_LAG ? { BENCH_LOOP_LAG: "1" } : {}),
      ...(process.env.RELAY_READER ? { RELAY_READER: process.env.RELAY_READER } : {}),
    },
    stdout: "inherit",
    stderr: "inherit",
    ipc(message: { port?: number; stats?: RelayStats }) {
      if (message.port) onPort(message.port);
      if (message.stats) onStats(message.stats);
    },
  });
  const port = await Promise.race([portReady, child.exited.then((code) => Promise.reject(new Error(`the relay exited (${code}) before listening`)))]);
  return {
    base: `http://127.0.0.1:${port}`,
    stats: () =>
      new Promise<RelayStats>((r) => {
        onStats = r;
        child.send("stats");
      }),
    async stop() {
      child.send("stop");
      await child.exited;
    },
  };
}
