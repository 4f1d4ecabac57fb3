/**
 * The streaming benchmarks' floor arm: starts bench/relay-server.ts in its own process
 * (as the AIUI server runs in its own), relaying `providerUrl`.
 */
import { type BenchProcess, startBenchProcess } from "./bench-process.ts";
import type { LoopLag } from "./loop-lag.ts";

export type RelayStats = { cpuMs: number; peakRss: number; deltasRelayed: number; loopLag?: LoopLag };

export type Relay = BenchProcess<RelayStats>;

export function startRelay(providerUrl: string): Promise<Relay> {
  return startBenchProcess<RelayStats>(
    "bench/relay-server.ts",
    { PROVIDER_URL: providerUrl, ...(process.env.RELAY_READER ? { RELAY_READER: process.env.RELAY_READER } : {}) },
    // BENCH_SERVER_FLAGS profile AIUI's server, not the floor.
    { flags: false },
  );
}
