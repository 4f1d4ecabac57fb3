/**
 * Event-loop stalls of the process it runs in (bench-only, BENCH_LOOP_LAG=1): a 1 ms
 * interval notes by how much each tick came late. A late tick is time the loop was busy
 * (or the process was not scheduled): whatever was due then, a token among it, waited.
 */
export interface LoopLag {
  /** Ticks seen since the last reset. */
  ticks: number;
  /** Late by more than 5 / 10 / 50 ms. */
  over5: number;
  over10: number;
  over50: number;
  /** Sum of lateness over 2 ms, in ms (time spent in stalls). */
  stalledMs: number;
  maxMs: number;
  /** CPU time the process used during the stalls over 10 ms (all threads): near stalledOver10Ms means busy, near 0 blocked or descheduled. */
  stalledOver10Ms: number;
  cpuInStallsOver10Ms: number;
}

export function watchLoopLag(): { read(): LoopLag; stop(): void } {
  const empty = (): LoopLag => ({ ticks: 0, over5: 0, over10: 0, over50: 0, stalledMs: 0, maxMs: 0, stalledOver10Ms: 0, cpuInStallsOver10Ms: 0 });
  let lag = empty();
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  const timer = setInterval(() => {
    const now = performance.now();
    const cpu = process.cpuUsage();
    const late = now - last - 1;
    if (late > 10) {
      lag.stalledOver10Ms += late;
      lag.cpuInStallsOver10Ms += (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000;
    }
    last = now;
    lastCpu = cpu;
    lag.ticks++;
    if (late > 2) lag.stalledMs += late;
    if (late > 5) lag.over5++;
    if (late > 10) lag.over10++;
    if (late > 50) lag.over50++;
    if (late > lag.maxMs) lag.maxMs = late;
  }, 1);
  return {
    read() {
      const result = { ...lag, stalledMs: Math.round(lag.stalledMs), maxMs: Math.round(lag.maxMs * 10) / 10, stalledOver10Ms: Math.round(lag.stalledOver10Ms), cpuInStallsOver10Ms: Math.round(lag.cpuInStallsOver10Ms) };
      lag = empty();
      return result;
    },
    stop: () => clearInterval(timer),
  };
}
