/**
 * Personal access tokens: created over GraphQL by a signed-in user (the secret shown once,
 * stored hashed), used by GraphQL clients nobody here wrote (graphql-request over HTTP,
 * graphql-sse, graphql-ws with connectionParams) without a cookie or CSRF header, refused
 * when expired, revoked, of another scope, or sent together with a session cookie, and
 * rate limited per address once too many wrong ones came from it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ClientError, GraphQLClient } from "graphql-request";
import { createClient as createSseClient } from "graphql-sse";
import { createClient as createWsClient } from "graphql-ws";
import { hashToken } from "../../server/src/crypto/tokens.ts";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { modelAndChat, settled } from "../support/replies.ts";

let app: TestApp;
let fake: FakeProvider;
let ada: TestClient;
let base: string;
let chatId: string;

const CREATE = `mutation($input: CreateAccessTokenInput!) { createAccessToken(input: $input) { secret token { id name prefix scopes expiresAt revokedAt lastUsedAt lastUsedAddress } } }`;

async function token(client: TestClient, scopes: string[], extra: Record<string, unknown> = {}) {
  const { createAccessToken } = await client.data(CREATE, { input: { name: `t-${scopes.join("-")}`, scopes, ...extra } });
  return createAccessToken as { secret: string; token: { id: string; prefix: string; scopes: string[]; lastUsedAt: string | null } };
}

const graphqlAt = (secret: string, headers: Record<string, string> = {}) =>
  new GraphQLClient(`${base}/graphql`, { headers: { authorization: `Bearer ${secret}`, ...headers } });

/** A GraphQL request as a script would send it: no CSRF header, no cookie unless given. */
async function raw(secret: string | null, query: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(secret ? { authorization: `Bearer ${secret}` } : {}), ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body: (await response.json()) as any };
}

beforeAll(async () => {
  fake = await startFakeProvider();
  app = await startTestApp({ TOKEN_MAX_FAILURES: "5", TOKEN_WINDOW_SECONDS: "60" });
  base = await app.listen();
  ada = await app.signedUp("ada@example.com");
  ({ chatId } = await modelAndChat(ada, fake.url));
});
afterAll(async () => {
  await app.close();
  await fake.stop();
});

describe("managing tokens", () => {
  test("the secret is shown once, stored only as its hash, and the list shows scopes, expiry and last use", async () => {
    const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const created = await token(ada, ["OPENAI", "GRAPHQL"], { expiresAt });
    expect(created.secret).toStartWith("aiui_pat_");
    expect(created.secret).toStartWith(created.token.prefix);
    expect(created.token.scopes).toEqual(["GRAPHQL", "OPENAI"]);
    const row = await app.db.accessToken.findUniqueOrThrow({ where: { id: created.token.id } });
    expect(row.tokenHash).toBe(hashToken(created.secret));
    expect(JSON.stringify(row)).not.toContain(created.secret);

    await graphqlAt(created.secret).request(`{ viewer { email } }`);
    const { accessTokens } = await ada.data(`{ accessTokens { id expiresAt lastUsedAt lastUsedAddress } }`);
    const listed = accessTokens.find((t: any) => t.id === created.token.id);
    expect(listed.expiresAt).toBe(expiresAt);
    expect(listed.lastUsedAt).not.toBeNull();
    expect(listed.lastUsedAddress).toBe("127.0.0.1");
    expect(JSON.stringify(accessTokens)).not.toContain(created.secret);
  });

  test("bad input names every wrong field at once", async () => {
    const result = await ada.request(CREATE, { input: { name: " ", scopes: [], expiresAt: "2001-01-01T00:00:00Z" } });
    expect(result.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(Object.keys(result.errors?.[0]?.extensions?.fields ?? {}).sort()).toEqual(["expiresAt", "name", "scopes"]);
  });

  test("a token cannot sign in, sign out, or create and revoke tokens", async () => {
    const { secret, token: own } = await token(ada, ["GRAPHQL"]);
    const tokensBefore = await app.db.accessToken.count();
    const client = graphqlAt(secret);
    const attempts: [string, Record<string, unknown>][] = [
      [`mutation { signIn(input: { email: "ada@example.com", password: "correct horse battery" }) { id } }`, {}],
      [`mutation { signOut }`, {}],
      [`mutation { createAccessToken(input: { name: "more", scopes: [GRAPHQL] }) { secret } }`, {}],
      [`mutation($id: ID!) { revokeAccessToken(id: $id) { id } }`, { id: own.id }],
      [`mutation { createGlassesToken(name: "more") { secret } }`, {}],
    ];
    for (const [query, variables] of attempts) {
      const error = await client.request(query, variables).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ClientError);
      expect((error as ClientError).response.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    }
    expect(await app.db.accessToken.count()).toBe(tokensBefore);
    expect((await app.db.accessToken.findUniqueOrThrow({ where: { id: own.id } })).revokedAt).toBeNull();
  });
});

describe("GraphQL with a token, through clients nobody here wrote", () => {
  test("graphql-request: a query and a mutation, without a cookie or CSRF header", async () => {
    const { secret } = await token(ada, ["GRAPHQL"]);
    const client = graphqlAt(secret);
    const viewer = await client.request<{ viewer: { email: string } }>(`{ viewer { email } }`);
    expect(viewer.viewer.email).toBe("ada@example.com");
    const renamed = await client.request<{ renameChat: { title: string } }>(`mutation($id: ID!) { renameChat(id: $id, title: "From a script") { title } }`, {
      id: chatId,
    });
    expect(renamed.renameChat.title).toBe("From a script");
    // A GET (the kind of request CSRF prevention exists for) works with a token and no CSRF header.
    const get = await fetch(`${base}/graphql?query=${encodeURIComponent("{ viewer { email } }")}`, { headers: { authorization: `Bearer ${secret}` } });
    expect(((await get.json()) as any).data.viewer.email).toBe("ada@example.com");
  });

  test("graphql-sse and graphql-ws (connectionParams): a streamed reply", async () => {
    const { secret } = await token(ada, ["GRAPHQL"]);
    const STREAM = `subscription($id: ID!) { replyStream(messageId: $id) { delta done status } }`;
    const sendOne = async (content: string) => {
      fake.scriptNext({ text: `Answer to ${content}`, delayMsPerToken: 5 });
      const sent = await graphqlAt(secret).request<{ sendMessage: { reply: { id: string } } }>(
        `mutation($chatId: ID!, $content: String!) { sendMessage(chatId: $chatId, content: $content) { reply { id } } }`,
        { chatId, content },
      );
      return sent.sendMessage.reply.id;
    };
    const collect = async (subscribe: (sink: { next: (v: any) => void; error: (e: unknown) => void; complete: () => void }) => () => void) => {
      const events: any[] = [];
      await new Promise<void>((resolve, reject) => subscribe({ next: (v) => events.push(v), error: reject, complete: resolve }));
      return events;
    };

    const sse = createSseClient({ url: `${base}/graphql`, headers: { authorization: `Bearer ${secret}` }, retryAttempts: 0 });
    const sseReply = await sendOne("sse");
    const overSse = await collect((sink) => sse.subscribe({ query: STREAM, variables: { id: sseReply } }, sink));
    expect(overSse.map((e) => e.data.replyStream.delta).join("")).toBe("Answer to sse");
    expect(overSse.at(-1).data.replyStream).toMatchObject({ done: true, status: "COMPLETE" });
    sse.dispose();

    const ws = createWsClient({ url: `${base.replace(/^http/, "ws")}/graphql`, connectionParams: { authorization: `Bearer ${secret}` }, retryAttempts: 0 });
    const wsReply = await sendOne("ws");
    const overWs = await collect((sink) => ws.subscribe({ query: STREAM, variables: { id: wsReply } }, sink));
    expect(overWs.map((e) => e.data.replyStream.delta).join("")).toBe("Answer to ws");
    expect(overWs.at(-1).data.replyStream).toMatchObject({ done: true, status: "COMPLETE" });
    await ws.dispose();
    expect((await settled(app, wsReply)).content).toBe("Answer to ws");
  });

  test("graphql-ws without a token or with a revoked one gets UNAUTHENTICATED for the operation", async () => {
    const { secret, token: t } = await token(ada, ["GRAPHQL"]);
    await ada.data(`mutation($id: ID!) { revokeAccessToken(id: $id) { revokedAt } }`, { id: t.id });
    const ws = createWsClient({ url: `${base.replace(/^http/, "ws")}/graphql`, connectionParams: { authorization: `Bearer ${secret}` }, retryAttempts: 0 });
    const error = await new Promise<unknown>((resolve) =>
      ws.subscribe({ query: `subscription { replyStream(messageId: "x") { done } }` }, { next: () => {}, error: resolve, complete: () => resolve(null) }),
    );
    expect((error as any[])[0].extensions.code).toBe("UNAUTHENTICATED");
    await ws.dispose();
  });
});

describe("refusals", () => {
  test("a request with both a session cookie and a token is refused as ambiguous", async () => {
    const { secret } = await token(ada, ["GRAPHQL"]);
    const both = await raw(secret, `{ viewer { email } }`, { cookie: ada.cookie! });
    expect(both.status).toBe(400);
    expect(both.body.errors[0].message).toContain("both a session cookie and an access token");
    expect(both.body.data ?? null).toBeNull();
  });

  test("a glasses or openai token cannot call GraphQL (403); an expired or revoked token gets 401", async () => {
    for (const scopes of [["GLASSES"], ["OPENAI"]]) {
      const { secret } = await token(ada, scopes);
      const refused = await raw(secret, `{ viewer { email } }`);
      expect(refused.status).toBe(403);
      expect(refused.body.errors[0].extensions.code).toBe("FORBIDDEN");
    }
    const expiring = await token(ada, ["GRAPHQL"], { expiresAt: new Date(Date.now() + 60_000).toISOString() });
    await app.db.accessToken.update({ where: { id: expiring.token.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const expired = await raw(expiring.secret, `{ viewer { email } }`);
    expect(expired.status).toBe(401);
    expect(expired.body.errors[0]).toMatchObject({ extensions: { code: "UNAUTHENTICATED" } });
    expect(expired.body.errors[0].message).toContain("expired");

    const revoking = await token(ada, ["GRAPHQL"]);
    expect((await raw(revoking.secret, `{ viewer { email } }`)).status).toBe(200);
    await ada.data(`mutation($id: ID!) { revokeAccessToken(id: $id) { revokedAt } }`, { id: revoking.token.id });
    const revoked = await raw(revoking.secret, `{ viewer { email } }`);
    expect(revoked.status).toBe(401);
    expect(revoked.body.errors[0].message).toContain("revoked");
    // Revoked tokens stay listed; the glasses page lists live glasses tokens only.
    const { accessTokens } = await ada.data(`{ accessTokens { id revokedAt } }`);
    expect(accessTokens.find((t: any) => t.id === revoking.token.id).revokedAt).not.toBeNull();
  });

  test("wrong tokens from one address are rate limited on every route: then even a good token waits; other addresses do not", async () => {
    const limited = await startTestApp({ TOKEN_MAX_FAILURES: "3", TOKEN_WINDOW_SECONDS: "60" });
    try {
      const owner = await limited.signedUp("bo@example.com");
      const { secret } = await token(owner, ["GRAPHQL", "GLASSES"]);
      const graphql = (bearer: string, address: string) =>
        limited.handle(
          new Request("http://aiui.test/graphql", {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${bearer}`, "x-forwarded-for": address },
            body: JSON.stringify({ query: "{ viewer { email } }" }),
          }),
        );
      const glasses = (bearer: string, address: string) =>
        limited.handle(new Request("http://aiui.test/mm/mm/", { method: "POST", headers: { authorization: `Bearer ${bearer}`, "x-forwarded-for": address } }));
      const openai = (bearer: string, address: string) =>
        limited.handle(new Request("http://aiui.test/v1/models", { headers: { authorization: `Bearer ${bearer}`, "x-forwarded-for": address } }));
      // Wrong tokens on three routes count together.
      expect((await graphql("aiui_pat_wrong", "198.51.100.7")).status).toBe(401);
      expect((await glasses("aiui_gl_wrong", "198.51.100.7")).status).toBe(401);
      expect((await openai("aiui_pat_wrong", "198.51.100.7")).status).toBe(401);
      const answers = await Promise.all(Array.from({ length: 50 }, () => glasses("aiui_gl_wrong", "198.51.100.7")));
      expect(answers.every((r) => r.status === 429)).toBe(true);
      expect(Number(answers[0]!.headers.get("retry-after"))).toBeGreaterThan(0);
      const good = await graphql(secret, "198.51.100.7");
      expect(good.status).toBe(429);
      expect(Number(good.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(((await good.json()) as any).errors[0].extensions.code).toBe("RATE_LIMITED");
      expect((await graphql(secret, "198.51.100.8")).status).toBe(200);
      const v1 = await openai("aiui_pat_wrong", "198.51.100.7");
      expect(v1.status).toBe(429);
      expect(((await v1.json()) as any).error.code).toBe("rate_limit_exceeded");
      expect(Number(v1.headers.get("retry-after"))).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});
