import { mkdirSync } from "node:fs";
import type { Config } from "../env.ts";

/** The data folder holds the SQLite file and the generated encryption key; owner-only. */
export function ensureDataDir(config: Config): void {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
}
