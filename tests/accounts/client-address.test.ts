/**
 * Behind a reverse proxy (TRUST_PROXY) the client is the right-most X-Forwarded-For hop
 * that is not one of TRUSTED_PROXIES (default loopback), so a client that writes its own
 * X-Forwarded-For cannot give itself a new address per request (issue 10). Over real HTTP:
 * the app listens on loopback, so the socket's peer (127.0.0.1) plays our proxy.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseConfig } from "../../server/src/env.ts";
import { CSRF_HEADER } from "../../server/src/graphql/yoga.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

const SIGN_IN = `mutation($input: SignInInput!) { signIn(input: $input) { id } }`;
const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { id } }`;

async function post(baseUrl: string, query: string, variables: object, forwardedFor?: string) {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", [CSRF_HEADER]: "1", ...(forwardedFor ? { "x-forwarded-for": forwardedFor } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };
}

async function signInFailuresUntilLimited(baseUrl: string, forwardedFor: (i: number) => string, attempts = 20): Promise<number | null> {
  for (let i = 0; i < attempts; i++) {
    const result = await post(baseUrl, SIGN_IN, { input: { email: `nobody${i}@example.com`, password: "a wrong guess" } }, forwardedFor(i));
    if (result.errors?.[0]?.extensions?.code === "RATE_LIMITED") return i;
  }
  return null;
}

describe("TRUST_PROXY with the default TRUSTED_PROXIES (loopback)", () => {
  let app: TestApp;
  let baseUrl: string;
  beforeAll(async () => {
    app = await startTestApp({ SIGNIN_MAX_ATTEMPTS: "5" });
    baseUrl = await app.listen();
  });
  afterAll(() => app.close());

  test("a client that writes a new left-most X-Forwarded-For each time is still limited by the address our proxy appended", async () => {
    // What a proxy on loopback forwards: the client's own header, then the address it saw.
    const limitedAt = await signInFailuresUntilLimited(baseUrl, (i) => `10.${i}.0.1, 203.0.113.${i}, 198.51.100.9`);
    expect(limitedAt).toBe(5);
    const otherClient = await post(baseUrl, SIGN_IN, { input: { email: "nobody@example.com", password: "a wrong guess" } }, "198.51.100.10");
    expect(otherClient.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  test("hops of trusted proxies (loopback) are skipped: the client is the first address beyond them", async () => {
    const limitedAt = await signInFailuresUntilLimited(baseUrl, (i) => `192.0.2.${i}, 198.51.100.20, 127.0.0.1, ::1`);
    expect(limitedAt).toBe(5);
  });
});

describe("TRUST_PROXY with a proxy elsewhere (TRUSTED_PROXIES=192.0.2.0/24)", () => {
  test("a request that does not come from a trusted proxy is its socket's address, whatever it forwards", async () => {
    const app = await startTestApp({ SIGNIN_MAX_ATTEMPTS: "5", TRUSTED_PROXIES: "192.0.2.0/24" });
    try {
      const baseUrl = await app.listen();
      const limitedAt = await signInFailuresUntilLimited(baseUrl, (i) => `198.51.100.${i}`);
      expect(limitedAt).toBe(5);
    } finally {
      await app.close();
    }
  });
});

describe("sign-up and its answers about taken addresses", () => {
  test("are limited per address (ACCOUNT_REQUESTS_MAX): a prober is stopped, others are not", async () => {
    const app = await startTestApp({ ACCOUNT_REQUESTS_MAX: "4" });
    try {
      await app.client("198.51.100.1").data(SIGN_UP, { input: { email: "ada@example.com", password: "a fine passphrase" } });
      const prober = app.client("203.0.113.66");
      const codes: (string | undefined)[] = [];
      for (const email of ["ada@example.com", "bob@example.com", "ADA@example.com", "x", "ada@example.com"]) {
        codes.push((await prober.request(SIGN_UP, { input: { email, password: "a fine passphrase" } })).errors?.[0]?.extensions?.code);
      }
      // Every attempt counts, whatever it was answered (bob's account was made).
      expect(codes).toEqual(["CONFLICT", undefined, "CONFLICT", "BAD_USER_INPUT", "RATE_LIMITED"]);
      const limited = await prober.request(SIGN_UP, { input: { email: "frank@example.com", password: "a fine passphrase" } });
      expect(limited.errors?.[0]?.message).toMatch(/^Too many sign-up attempts from your address\. Try again in \d+ minutes?\.$/);
      expect(await app.db.user.count({ where: { email: "frank@example.com" } })).toBe(0);
      const someoneElse = await app.client("203.0.113.67").request(SIGN_UP, { input: { email: "ada@example.com", password: "a fine passphrase" } });
      expect(someoneElse.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    } finally {
      await app.close();
    }
  });
});

test("TRUSTED_PROXIES takes addresses and CIDR ranges, and names a bad entry", () => {
  expect(parseConfig({}).auth.trustedProxies).toEqual(["127.0.0.0/8", "::1/128"]);
  expect(parseConfig({ TRUSTED_PROXIES: "10.0.0.0/8, 192.168.1.5 ,fd00::/8" }).auth.trustedProxies).toEqual(["10.0.0.0/8", "192.168.1.5/32", "fd00::/8"]);
  expect(() => parseConfig({ TRUSTED_PROXIES: "10.0.0.0/8,proxy.lan" })).toThrow('TRUSTED_PROXIES must list IP addresses or CIDR ranges like 10.0.0.0/8 or 192.168.1.5, got "proxy.lan"');
});
