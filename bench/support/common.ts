/**
 * What the benchmarks share: percentiles, the database a run is on (SQLite file, or a fresh
 * database on the PostgreSQL server named by TEST_POSTGRES_URL / BENCH_POSTGRES_URL), and
 * writing bench/results/*.json.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const root = resolve(import.meta.dir, "../..");

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.round((p / 100) * (sorted.length - 1)))]!;
}
export const median = (values: number[]) => percentile(values, 50);
export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

export const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;

export type BenchDatabase = { provider: "sqlite" | "postgresql"; url: string; drop(): Promise<void> };

/** The PostgreSQL server to measure on too, if one is named. */
export const postgresServer = () => process.env.BENCH_POSTGRES_URL ?? process.env.TEST_POSTGRES_URL;

/** The providers a run measures: SQLite always, PostgreSQL when a server is named (--databases= narrows). */
export function benchProviders(): ("sqlite" | "postgresql")[] {
  const wanted = arg("databases", postgresServer() ? "sqlite,postgresql" : "sqlite").split(",");
  return wanted.filter((p): p is "sqlite" | "postgresql" => p === "sqlite" || (p === "postgresql" && !!postgresServer()));
}

export async function benchDatabase(provider: "sqlite" | "postgresql", dir: string): Promise<BenchDatabase> {
  if (provider === "sqlite") return { provider, url: `file:${join(dir, "bench.db")}`, drop: async () => {} };
  const { Client } = await import("pg");
  const server = postgresServer()!;
  const name = `aiui_bench_${randomBytes(5).toString("hex")}`;
  const admin = async (sql: string) => {
    const client = new Client({ connectionString: server });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return { provider, url: url.toString(), drop: () => admin(`DROP DATABASE ${name} WITH (FORCE)`) };
}

export function writeResults(name: string, output: Record<string, unknown>): void {
  mkdirSync(join(root, "bench/results"), { recursive: true });
  const file = join(root, "bench/results", `${name}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ when: new Date().toISOString(), commit: gitCommit(), machine: { cpus: navigator.hardwareConcurrency, bun: Bun.version }, ...output }, null, 2)}\n`,
  );
  console.log(`\nwritten to bench/results/${name}.json`);
}

function gitCommit(): string | null {
  const result = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: root });
  return result.exitCode === 0 ? result.stdout.toString().trim() : null;
}

/** A GraphQL client over real HTTP keeping one session cookie. */
export class HttpGraphQL {
  cookie = "";
  constructor(
    readonly base: string,
    private readonly csrfHeader: string,
  ) {}
  async data(query: string, variables: Record<string, unknown> = {}): Promise<any> {
    const response = await fetch(`${this.base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", [this.csrfHeader]: "1", cookie: this.cookie },
      body: JSON.stringify({ query, variables }),
    });
    const setCookie = response.headers.getSetCookie()[0];
    if (setCookie) this.cookie = setCookie.split(";")[0]!;
    const result = (await response.json()) as { data?: unknown; errors?: unknown[] };
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    return result.data;
  }
}
