/**
 * How much one GraphQL request may ask for (server/src/graphql/limits.ts): the requests seen
 * hogging the server (1,000 aliased __schema fields, 1,000 aliased chats × messages, a
 * selection nested 100,000 deep) are refused before anything runs, with BAD_USER_INPUT and a
 * sentence; every document the web UI sends passes; introspection and field suggestions are
 * off in production unless GRAPHQL_INTROSPECTION=true.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type DocumentNode, getIntrospectionQuery, Kind, print, type SelectionSetNode, visit } from "graphql";
import { QUERY_LIMITS } from "../../server/src/graphql/limits.ts";
import { createGraphQLServer } from "../../server/src/graphql/server.ts";
import * as webDocuments from "../../web/src/lib/gql/graphql.ts";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";

let app: TestApp;
let ada: TestClient;

beforeAll(async () => {
  app = await startTestApp();
  ada = await app.signedUp("ada@example.com");
  await ada.data(`mutation { createChat(input: { title: "One" }) { id } }`);
});
afterAll(() => app.close());

/** Every operation of the web UI, as GraphQL Code Generator compiled it from the UI's sources (with its fragments). */
function webUiDocuments(): { name: string; document: string }[] {
  return Object.entries(webDocuments)
    .filter(([name, value]) => name.endsWith("Document") && (value as DocumentNode | null)?.kind === Kind.DOCUMENT)
    .map(([name, value]) => ({ name, document: print(value as DocumentNode) }));
}

/** As urql sends them: __typename added to every selection below the operation's root. */
function withTypenames(document: DocumentNode): DocumentNode {
  return visit(document, {
    SelectionSet: (node, _key, parent) => {
      if ((parent as { kind?: string } | undefined)?.kind === Kind.OPERATION_DEFINITION) return undefined;
      const typename = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: "__typename" } } as const;
      return { ...node, selections: [...node.selections, typename] } satisfies SelectionSetNode;
    },
  });
}

async function post(body: unknown, client: TestClient = ada) {
  const response = await app.handle(
    new Request("http://aiui.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", "x-aiui-csrf": "1", cookie: client.cookie ?? "" },
      body: JSON.stringify(body),
    }),
  );
  const text = await response.text();
  return { status: response.status, bytes: text.length, result: JSON.parse(text) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] } };
}

function expectRefused(
  answer: Awaited<ReturnType<typeof post>>,
  limit: keyof typeof QUERY_LIMITS,
  sentence: RegExp,
) {
  expect(answer.status).toBeLessThan(500);
  expect(answer.result.data ?? null).toBeNull();
  expect(answer.result.errors).toHaveLength(1);
  expect(answer.result.errors?.[0]?.extensions).toEqual({ code: "BAD_USER_INPUT", limit });
  expect(answer.result.errors?.[0]?.message).toMatch(sentence);
  // A refusal is a sentence, not a copy of what was asked.
  expect(answer.bytes).toBeLessThan(1000);
}

test("every document the web UI sends passes the limits, with room to spare", () => {
  const yoga = createGraphQLServer(app.services);
  const { parse, validate, schema } = yoga.getEnveloped({ request: new Request("http://aiui.test/graphql", { method: "POST" }), params: {} });
  const documents = webUiDocuments();
  expect(documents.length).toBeGreaterThanOrEqual(15);
  for (const { name, document } of documents) {
    const errors = validate(schema, withTypenames(parse(document)));
    expect({ name, errors: errors.map((e: { message: string }) => e.message) }).toEqual({ name, errors: [] });
  }
});

test("the attack seen: 1,000 aliased __schema introspections in one request are refused before anything runs", async () => {
  const introspection = getIntrospectionQuery().replace(/^\s*query IntrospectionQuery\s*\{\s*__schema/, "__schema").replace(/\}\s*fragment[\s\S]*$/, "");
  const fragments = getIntrospectionQuery().slice(getIntrospectionQuery().indexOf("fragment"));
  const aliased = Array.from({ length: 1000 }, (_, i) => `s${i}: ${introspection}`).join("\n");
  const query = `{ ${aliased} }\n${fragments}`;
  expect(query.length).toBeGreaterThan(150_000);
  expectRefused(await post({ query }), "tokens", /too long: at most 1000 tokens/);
});

test("1,000 aliased chats(first: 100) with their messages(first: 100) are refused", async () => {
  const aliased = Array.from({ length: 1000 }, (_, i) => `c${i}: chats(first: 100) { edges { node { messages(first: 100) { edges { node { content } } } } } }`);
  expectRefused(await post({ query: `{ ${aliased.join(" ")} }` }), "tokens", /too long/);
});

test("aliases within the token limit are still limited", async () => {
  const aliased = Array.from({ length: QUERY_LIMITS.aliases + 1 }, (_, i) => `v${i}: viewer { id }`);
  expectRefused(await post({ query: `{ ${aliased.join(" ")} }` }), "aliases", /too many aliases: at most 15 are allowed. \(This one: 16.\)/);
  const allowed = await post({ query: `{ ${aliased.slice(0, QUERY_LIMITS.aliases).join(" ")} }` });
  expect(allowed.result.errors).toBeUndefined();
});

test("a selection nested 100,000 deep gets a clear 4xx refusal (not INTERNAL), and the server carries on", async () => {
  const depth = 100_000;
  const query = `{ ${"viewer { ".repeat(depth)}id${" }".repeat(depth)} }`;
  expectRefused(await post({ query }), "tokens", /too long/);
  // GraphQL over HTTP: 400 for clients that accept its media type (plain application/json gets 200 with the error).
  const modern = await app.handle(
    new Request("http://aiui.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json", "x-aiui-csrf": "1" },
      body: JSON.stringify({ query }),
    }),
  );
  expect(modern.status).toBe(400);
  expect((await post({ query: "{ viewer { email } }" })).result).toEqual({ data: { viewer: { email: "ada@example.com" } } });
});

test("nesting deeper than the depth limit (within the token limit) is refused", async () => {
  // The deepest data the schema has (it has no cycles), so deeper selections need fragments.
  const deepest = `{ chats { edges { node { model { id } messages { edges { node { attachments { id } } } } } } } }`;
  expect((await post({ query: deepest })).result.errors).toBeUndefined();
  const nested = (levels: number) => `{ ${"... on Query { ".repeat(levels)}viewer { id }${" }".repeat(levels)} }`;
  expect((await post({ query: nested(QUERY_LIMITS.depth - 2) })).result.errors).toBeUndefined();
  expectRefused(await post({ query: nested(QUERY_LIMITS.depth) }), "depth", /nests fields too deeply: at most 12 levels are allowed. \(This one: 14.\)/);
});

test("a page of 100 chats each with 100 messages costs too much; the web UI's page sizes do not", async () => {
  expectRefused(
    await post({ query: `{ chats(first: 100) { edges { node { messages(first: 100) { edges { node { id content } } } } } } }` }),
    "cost",
    /asks for too much at once/,
  );
  expect((await post({ query: `{ chats(first: 50) { edges { node { id title } } } }` })).result.errors).toBeUndefined();
});

describe("introspection and field suggestions", () => {
  const introspect = `{ __schema { queryType { name } } }`;
  const typo = `{ viewr { id } }`;

  test("in development (and test) the schema can be explored, and typos get suggestions", async () => {
    expect((await post({ query: introspect })).result).toEqual({ data: { __schema: { queryType: { name: "Query" } } } });
    expect((await post({ query: typo })).result.errors?.[0]?.message).toContain('Did you mean "viewer"?');
    // GraphiQL's own introspection query passes the limits.
    expect((await post({ query: getIntrospectionQuery() })).result.errors).toBeUndefined();
  });

  test("in production both are off: introspection is refused as invalid, typos get no suggestion", async () => {
    const production = await startTestApp({ NODE_ENV: "production" });
    try {
      const client = production.client();
      const refused = await client.request(introspect);
      expect(refused.data ?? null).toBeNull();
      // Like every query that does not fit the schema.
      expect(refused.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
      expect(refused.errors?.[0]?.message).toMatch(/introspection has been disabled/);
      expect((await client.request(`{ __type(name: "Query") { name } }`)).errors?.[0]?.message).toMatch(/introspection has been disabled/);
      const misspelt = await client.request(typo);
      expect(misspelt.errors?.[0]?.message).toBe('Cannot query field "viewr" on type "Query".');
      // Plain queries are unaffected (__typename is not introspection).
      expect(await client.request(`{ __typename viewer { id } }`)).toEqual({ data: { __typename: "Query", viewer: null } });
    } finally {
      await production.close();
    }
  });

  test("GRAPHQL_INTROSPECTION=true opens it in production", async () => {
    const production = await startTestApp({ NODE_ENV: "production", GRAPHQL_INTROSPECTION: "true" });
    try {
      expect(await production.client().request(introspect)).toEqual({ data: { __schema: { queryType: { name: "Query" } } } });
    } finally {
      await production.close();
    }
  });
});

describe("the request body (25 MB, over real HTTP)", () => {
  const over = 25_000_000 + 1;
  /** A JSON body of `bytes` bytes: a query and a long variable. */
  const bodyOf = (bytes: number) => {
    const head = `{"query":"{ viewer { id } }","variables":{"pad":"`;
    return `${head}${"x".repeat(bytes - head.length - 3)}"}}`;
  };

  test("a body whose Content-Length is over the limit is refused with 413 before it is read", async () => {
    const base = await app.listen();
    const response = await fetch(`${base}/graphql`, { method: "POST", headers: { "content-type": "application/json", "x-aiui-csrf": "1" }, body: bodyOf(over) });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe("REQUEST_ENTITY_TOO_LARGE");
  });

  test("a chunked body (no Content-Length) that grows over the limit is refused with 413", async () => {
    const base = await app.listen();
    const bytes = new TextEncoder().encode(bodyOf(over));
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < bytes.length; at += 1 << 20) controller.enqueue(bytes.subarray(at, at + (1 << 20)));
        controller.close();
      },
    });
    const response = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-aiui-csrf": "1" },
      body: chunked,
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(413);
  });

  test("bodies under the limit, with or without Content-Length, are answered", async () => {
    const base = await app.listen();
    const small = bodyOf(1000);
    const sized = await fetch(`${base}/graphql`, { method: "POST", headers: { "content-type": "application/json", "x-aiui-csrf": "1" }, body: small });
    expect(((await sized.json()) as { data: unknown }).data).toEqual({ viewer: null });
    const chunked = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-aiui-csrf": "1" },
      body: new Blob([small]).stream(),
      duplex: "half",
    } as RequestInit);
    expect(((await chunked.json()) as { data: unknown }).data).toEqual({ viewer: null });
  });
});
