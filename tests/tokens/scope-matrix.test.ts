/**
 * The authorization matrix of access tokens: every kind of token against every route that
 * takes one. A token works only where its scopes allow (403 elsewhere: a glasses token
 * cannot call GraphQL); an expired, revoked or unknown token is 401 everywhere. "Past
 * authentication" answers are the route's own (an empty glasses form is 400, an empty
 * completion request 400), which shows the token was accepted.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestApp, type TestApp } from "../support/app.ts";

let app: TestApp;
const secrets: Record<string, string> = {};

type Route = "graphql" | "glasses" | "v1 models" | "v1 chat" | "v1 transcription";
const ROUTES: Record<Route, (headers: Record<string, string>) => Request> = {
  graphql: (headers) =>
    new Request("http://aiui.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ query: "{ viewer { email } }" }),
    }),
  glasses: (headers) => new Request("http://aiui.test/mm/mm/", { method: "POST", headers }),
  "v1 models": (headers) => new Request("http://aiui.test/v1/models", { headers }),
  "v1 chat": (headers) => new Request("http://aiui.test/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json", ...headers }, body: "{}" }),
  "v1 transcription": (headers) => new Request("http://aiui.test/v1/audio/transcriptions", { method: "POST", headers, body: new FormData() }),
};

// Expected status per token kind, in the order of ROUTES.
const MATRIX: Record<string, [number, number, number, number, number]> = {
  glasses: [403, 400, 403, 403, 403],
  graphql: [200, 403, 403, 403, 403],
  openai: [403, 403, 200, 400, 400],
  "all scopes": [200, 400, 200, 400, 400],
  expired: [401, 401, 401, 401, 401],
  revoked: [401, 401, 401, 401, 401],
  unknown: [401, 401, 401, 401, 401],
};

beforeAll(async () => {
  app = await startTestApp();
  const ada = await app.signedUp("ada@example.com");
  const create = async (name: string, scopes: string[]) => {
    const { createAccessToken } = await ada.data(`mutation($n: String!, $s: [TokenScope!]!) { createAccessToken(input: { name: $n, scopes: $s }) { secret token { id } } }`, {
      n: name,
      s: scopes,
    });
    secrets[name] = createAccessToken.secret;
    return createAccessToken.token.id as string;
  };
  await create("glasses", ["GLASSES"]);
  await create("graphql", ["GRAPHQL"]);
  await create("openai", ["OPENAI"]);
  await create("all scopes", ["GLASSES", "GRAPHQL", "OPENAI"]);
  const expired = await create("expired", ["GLASSES", "GRAPHQL", "OPENAI"]);
  await app.db.accessToken.update({ where: { id: expired }, data: { expiresAt: new Date(Date.now() - 1) } });
  const revoked = await create("revoked", ["GLASSES", "GRAPHQL", "OPENAI"]);
  await ada.data(`mutation($id: ID!) { revokeAccessToken(id: $id) { id } }`, { id: revoked });
  secrets.unknown = "aiui_pat_no-such-token";
});
afterAll(() => app.close());

let address = 1;
for (const [kind, statuses] of Object.entries(MATRIX)) {
  for (const [index, route] of (Object.keys(ROUTES) as Route[]).entries()) {
    test(`${kind} token → ${route}: ${statuses[index]}`, async () => {
      // Each case from its own address: the failures of one do not rate-limit the next.
      const headers = { authorization: `Bearer ${secrets[kind]}`, "x-forwarded-for": `198.51.100.${address++}` };
      const response = await app.handle(ROUTES[route](headers));
      expect(response.status).toBe(statuses[index]!);
      const body = (await response.json()) as any;
      if (route.startsWith("v1") && response.status !== 200) expect(typeof body.error.message).toBe("string");
      if (route === "graphql" && response.status === 200) expect(body.data.viewer.email).toBe("ada@example.com");
    });
  }
}

test("without any token: GraphQL answers as nobody, the glasses and /v1 answer 401", async () => {
  const statuses = await Promise.all((Object.keys(ROUTES) as Route[]).map(async (route) => (await app.handle(ROUTES[route]({}))).status));
  expect(statuses).toEqual([200, 401, 401, 401, 401]);
});
