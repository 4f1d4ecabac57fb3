/**
 * The real server as a child process (`bun server/src/main.ts`) on a loopback port, for
 * tests about the process itself: start-up, signals, a crash (`kill -9`) and the restart.
 */
import { resolve } from "node:path";

const root = resolve(import.meta.dir, "../..");

export interface ServerProcess {
  base: string;
  /** Everything it wrote to stdout and stderr so far. */
  log(): string;
  /** SIGTERM: a clean stop; resolves with the exit code. */
  stop(): Promise<number>;
  /** SIGKILL: dies on the spot, like a crash or an OOM kill. */
  kill(): Promise<number>;
}

/** Starts the server with `env` (plus PATH and HOME) and resolves once it says where it serves. */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = Bun.spawn(["bun", "server/src/main.ts"], {
    cwd: root,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? "/tmp", HOST: "127.0.0.1", PORT: "0", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  let log = "";
  const decoder = new TextDecoder();
  void (async () => {
    for await (const chunk of child.stderr) log += decoder.decode(chunk);
  })();
  const reader = child.stdout.getReader();
  const serving = /serving on http:\/\/127\.0\.0\.1:(\d+)/;
  const deadline = Date.now() + 30_000;
  while (!serving.test(log)) {
    if (Date.now() > deadline) throw new Error(`server did not start:\n${log}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited:\n${log}`);
    log += decoder.decode(value);
  }
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      log += decoder.decode(value);
    }
  })();
  const port = Number(log.match(serving)![1]);
  return {
    base: `http://127.0.0.1:${port}`,
    log: () => log,
    stop() {
      child.kill("SIGTERM");
      return child.exited;
    },
    kill() {
      child.kill("SIGKILL");
      return child.exited;
    },
  };
}
