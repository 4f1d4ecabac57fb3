/**
 * The real application on a fresh database, driven in process through
 * `app.handle(new Request(...))`, with a small GraphQL client that keeps its own
 * session cookie like a browser would.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp, createServices } from "../../server/src/app.ts";
import type { AppServices } from "../../server/src/graphql/context.ts";
import { type Config, parseConfig } from "../../server/src/env.ts";
import { CSRF_HEADER } from "../../server/src/graphql/yoga.ts";
import { speechFromConfig } from "../../server/src/speech/from-config.ts";
import type { SpeechToText } from "../../server/src/speech/index.ts";
import { openDatabase } from "../../server/src/db/client.ts";
import { freshDatabase, type TestDatabase } from "./database.ts";
import type { StatementCounter } from "./statements.ts";

export interface GraphQLResult<T = Record<string, any>> {
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: { code?: string; field?: string; fields?: Record<string, string> } }[];
}

export class TestClient {
  cookie: string | null = null;
  lastResponse: Response | null = null;
  /** Sent with every request of request(), e.g. a browser's user-agent. */
  headers: Record<string, string> = {};

  constructor(
    private readonly app: Pick<TestApp, "handle">,
    readonly address = "203.0.113.1",
  ) {}

  async request<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResult<T>> {
    const response = await this.app.handle(
      new Request("http://aiui.test/graphql", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          [CSRF_HEADER]: "1",
          "x-forwarded-for": this.address,
          ...this.headers,
          ...(this.cookie ? { cookie: this.cookie } : {}),
        },
        body: JSON.stringify({ query, variables }),
      }),
    );
    this.lastResponse = response;
    for (const setCookie of response.headers.getSetCookie()) {
      const pair = setCookie.split(";")[0]!;
      this.cookie = /Expires=Thu, 01 Jan 1970/.test(setCookie) ? null : pair;
    }
    return (await response.json()) as GraphQLResult<T>;
  }

  /**
   * A request with files, as a browser's urql sends it (GraphQL multipart request spec):
   * `files` maps a variable path such as "variables.images.0" to the file put there.
   */
  async upload<T = Record<string, any>>(query: string, variables: Record<string, unknown>, files: Record<string, Blob>): Promise<GraphQLResult<T>> {
    const form = new FormData();
    form.append("operations", JSON.stringify({ query, variables }));
    const paths = Object.keys(files);
    form.append("map", JSON.stringify(Object.fromEntries(paths.map((path, i) => [String(i), [path]]))));
    for (const [i, path] of paths.entries()) form.append(String(i), files[path]!, (files[path] as File).name ?? `file${i}`);
    const response = await this.app.handle(
      new Request("http://aiui.test/graphql", {
        method: "POST",
        headers: { [CSRF_HEADER]: "1", "x-forwarded-for": this.address, ...(this.cookie ? { cookie: this.cookie } : {}) },
        body: form,
      }),
    );
    this.lastResponse = response;
    return (await response.json()) as GraphQLResult<T>;
  }

  /** Like request, but fails the test on any GraphQL error. */
  async data<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const result = await this.request<T>(query, variables);
    if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
    return result.data;
  }

  /**
   * A subscription over SSE (Accept: text/event-stream), read until the server completes
   * it: every event's result, in order. (tests/support/streams.ts reads a listening server.)
   */
  async stream<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResult<T>[]> {
    const response = await this.app.handle(
      new Request("http://aiui.test/graphql", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "text/event-stream",
          [CSRF_HEADER]: "1",
          "x-forwarded-for": this.address,
          ...(this.cookie ? { cookie: this.cookie } : {}),
        },
        body: JSON.stringify({ query, variables }),
      }),
    );
    this.lastResponse = response;
    if (!response.headers.get("content-type")?.startsWith("text/event-stream")) return [(await response.json()) as GraphQLResult<T>];
    const results: GraphQLResult<T>[] = [];
    for (const block of (await response.text()).split("\n\n")) {
      const lines = block.split("\n");
      const data = lines.find((line) => line.startsWith("data:"))?.slice(5).trim();
      if (lines.includes("event: next") && data) results.push(JSON.parse(data) as GraphQLResult<T>);
    }
    return results;
  }
}

export interface TestApp {
  config: Config;
  database: TestDatabase;
  db: TestDatabase["db"];
  encryptionKey: Buffer;
  /** The app's services (replies: the generation service of this app). */
  services: AppServices;
  handle(request: Request): Promise<Response>;
  /** Serves the app on a loopback port (once); resolves with its base URL, e.g. http://127.0.0.1:PORT. */
  listen(): Promise<string>;
  client(address?: string): TestClient;
  /** A new client signed up (and so signed in) as `email`. */
  signedUp(email: string, password?: string): Promise<TestClient>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Speech-to-text for the glasses route; default: the configured backend (never loaded unless used). */
  speech?: SpeechToText;
  /**
   * Another instance of `app`: the same database (through a connection pool of its own)
   * and encryption key, services of its own. Closing it leaves the database to `app`.
   */
  instanceOf?: TestApp;
  /**
   * The app reaches its (fresh, migrated) database at this other address instead, e.g. through
   * a TCP proxy that a test pauses; opened with the app's DATABASE_TIMEOUT_MS.
   */
  databaseUrl?: (url: string) => string;
  /** Where the app's database layer logs "database unavailable" lines. */
  databaseLog?: (line: string) => void;
  /** Counts every statement the app sends (its own connection pool on the test database). */
  statements?: StatementCounter;
}

export async function startTestApp(env: Record<string, string> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const sibling = options.instanceOf;
  const database: TestDatabase = sibling ? await sharedDatabase(sibling.database) : await freshDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), "aiui-data-"));
  const config = parseConfig({
    NODE_ENV: "test",
    DATA_DIR: dataDir,
    DATABASE_URL: options.databaseUrl ? options.databaseUrl(database.url) : database.url,
    TRUST_PROXY: "true",
    // The fake provider listens on loopback, which the provider URL policy refuses by
    // default; tests of that policy start their app with this set to false.
    PROVIDER_ALLOW_PRIVATE_NETWORKS: "true",
    // Most tests sign up many accounts from one address; the tests of these limits set their own.
    ACCOUNT_REQUESTS_MAX: "100000",
    ...env,
  });
  const appDatabase =
    options.databaseUrl || options.statements
      ? await openDatabase(config.database.url, config.database.provider, {
          timeoutMs: config.database.timeoutMs,
          log: options.databaseLog,
          observer: options.statements,
        })
      : database;
  const encryptionKey = sibling?.encryptionKey ?? randomBytes(32);
  const speech = options.speech ?? speechFromConfig(config.speech, () => {});
  const services = createServices({ config, db: appDatabase.db, encryptionKey });
  const app = createApp({ config, db: appDatabase.db, encryptionKey, speech }, services);
  let baseUrl: string | null = null;
  const testApp: TestApp = {
    config,
    database,
    db: database.db,
    encryptionKey,
    services,
    handle: (request: Request) => app.handle(request),
    async listen() {
      if (!baseUrl) {
        app.listen({ hostname: "127.0.0.1", port: 0 });
        baseUrl = `http://127.0.0.1:${app.server!.port}`;
      }
      return baseUrl;
    },
    client: (address?: string) => new TestClient(testApp, address),
    async signedUp(email: string, password = "correct horse battery") {
      const client = new TestClient(testApp);
      await client.data(`mutation($input: SignUpInput!) { signUp(input: $input) { id } }`, {
        input: { email, password, displayName: email.split("@")[0] },
      });
      return client;
    },
    async close() {
      // Replies in progress write their final state while the database is still there.
      await services.replies.close();
      await services.glassesUsage.settled();
      await services.memory.close();
      await services.accounts.passwordReset.settled();
      services.accounts.passwordReset.close();
      if (baseUrl) await app.stop(true);
      await speech.close();
      if (appDatabase !== database) await appDatabase.close().catch(() => {});
      await database.drop();
    },
  };
  return testApp;
}

/** A second connection pool on `database`, as another server process would have; dropping it only disconnects. */
async function sharedDatabase(database: TestDatabase): Promise<TestDatabase> {
  const own = await openDatabase(database.url, database.provider);
  return { ...own, url: database.url, drop: () => own.close() };
}
