/**
 * A benchmark server's peak RSS from the kernel's high-water mark (VmHWM), reset per phase
 * through clear_refs: exact, and free, where sampling process.memoryUsage() costs
 * milliseconds a call in Bun.
 */
import { readFileSync, writeFileSync } from "node:fs";

export const readPeakRss = (): number => {
  try {
    const kib = readFileSync("/proc/self/status", "utf8").match(/^VmHWM:\s+(\d+) kB/m)?.[1];
    if (kib) return Number(kib) * 1024;
  } catch {}
  return process.memoryUsage().rss;
};

export const resetPeakRss = (): void => {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
  } catch {}
};
