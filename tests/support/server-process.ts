/**
 * A real `bun server/src/main.ts` process on a loopback port, for tests and tools that
 * are about the process itself (crashes, memory, what a client sees over the network).
 * Resolves once the server announces its address; keeps its output for diagnostics.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

const root = resolve(import.meta.dir, "../..");
const ANNOUNCED = /serving on http:\/\/127\.0\.0\.1:(\d+)/;

export interface ServerProcess {
  base: string;
  pid: number;
  /** Everything it printed so far (stdout and stderr). */
  log(): string;
  /** Resident memory in MiB, from /proc (Linux). */
  rssMiB(): number;
  /** Whether the process is still running. */
  alive(): boolean;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number>;
  /** SIGKILL (a crash) and wait. */
  kill(): Promise<number>;
}

/** `bunFlags`: for bun itself, before the script (benchmarks: --cpu-prof). */
export async function startServerProcess(env: Record<string, string>, startTimeoutMs = 30_000, bunFlags: string[] = []): Promise<ServerProcess> {
  const child = Bun.spawn(["bun", ...bunFlags, "server/src/main.ts"], {
    cwd: root,
    env: {
      PATH: process.env.PATH!,
      HOME: process.env.HOME ?? "/tmp",
      HOST: "127.0.0.1",
      PORT: "0",
      // The test provider listens on loopback, which the provider URL policy refuses by default (as startTestApp).
      PROVIDER_ALLOW_PRIVATE_NETWORKS: "true",
      ...env,
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  let output = "";
  const decoder = new TextDecoder();
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) output += decoder.decode(chunk);
  };
  void drain(child.stdout);
  void drain(child.stderr);
  const deadline = Date.now() + startTimeoutMs;
  while (!ANNOUNCED.test(output)) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server did not start within ${startTimeoutMs} ms:\n${output}`);
    }
    await Bun.sleep(20);
  }
  const port = Number(output.match(ANNOUNCED)![1]);
  return {
    base: `http://127.0.0.1:${port}`,
    pid: child.pid,
    log: () => output,
    rssMiB() {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      return Math.round(Number(status.match(/VmRSS:\s+(\d+) kB/)?.[1] ?? 0) / 1024);
    },
    alive: () => child.exitCode === null,
    async stop() {
      child.kill("SIGTERM");
      return child.exited;
    },
    async kill() {
      child.kill("SIGKILL");
      return child.exited;
    },
  };
}
