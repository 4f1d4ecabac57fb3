/**
 * What a user is told when the address behind a model is not (quite) an API: a web page
 * with 200 (a base URL without /v1), a redirect (not followed: the request would go where
 * nobody checked), an error whose body is not the provider's JSON (never repeated), a JSON
 * error message full of markup or control characters (a short, clean excerpt). For streaming
 * replies and for the glasses' one-shot answers alike.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { type Behaviour, type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { modelAndChat, send, settled } from "../support/replies.ts";

let app: TestApp;
let fake: FakeProvider;
let ada: TestClient;
let chatId: string;
let glassesToken: string;
let host: string;
/** A server that must never be reached (a redirect's target). */
let elsewhere: ReturnType<typeof Bun.serve>;
let elsewhereHits = 0;

beforeAll(async () => {
  fake = await startFakeProvider();
  host = new URL(fake.url).host;
  elsewhere = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () => {
      elsewhereHits++;
      return Response.json({ secret: "internal" });
    },
  });
  app = await startTestApp();
  ada = await app.signedUp("ada@example.com");
  ({ chatId } = await modelAndChat(ada, fake.url));
  glassesToken = (await ada.data(`mutation { createGlassesToken(name: "Frame") { secret } }`)).createGlassesToken.secret;
});

afterAll(async () => {
  await app.close();
  await fake.stop();
  await elsewhere.stop(true);
});

beforeEach(() => {
  fake.reset();
  elsewhereHits = 0;
});

/**
 * The error a streaming reply ends with, and the glasses' answer, when the provider behaves
 * like this. The glasses get a 200 whose debug.error says what failed (GlassesFailure).
 */
async function whatUsersAreTold(behaviour: Behaviour) {
  fake.script("echo", behaviour);
  const { reply } = await send(ada, chatId, "Hello");
  const ended = await settled(app, reply.id);
  const body = new FormData();
  body.append("prompt", "Hello");
  const glasses = await app.handle(new Request("http://aiui.test/mm/mm/", { method: "POST", headers: { authorization: `Bearer ${glassesToken}` }, body }));
  const answer = (await glasses.json()) as { debug?: { error?: { status: number; code: string; detail: string } } };
  return { reply: ended, glasses: { status: glasses.status, error: answer.debug?.error } };
}

describe("a web page instead of an API", () => {
  const page = "<!doctype html><html><head><title>Welcome to nginx!</title></head><body><h1>It works</h1></body></html>";

  test("200 with HTML: 'answered with a web page … check the base URL (it usually ends in /v1)'", async () => {
    const told = await whatUsersAreTold({ raw: { status: 200, contentType: "text/html; charset=utf-8", body: page } });
    const sentence = `The provider at ${host} answered with a web page instead of an API response: check the base URL (it usually ends in /v1).`;
    expect(told.reply).toMatchObject({ status: "FAILED", error: sentence, content: "" });
    expect(told.glasses).toEqual({ status: 200, error: { status: 502, code: "PROVIDER_FAILED", detail: sentence } });
  });

  test("200 with some other content type is named", async () => {
    const told = await whatUsersAreTold({ raw: { status: 200, contentType: "text/plain", body: "OK" } });
    expect(told.reply.error).toBe(`The provider at ${host} answered with text/plain instead of an API response: check the base URL (it usually ends in /v1).`);
  });
});

test("a redirect is not followed: a clear error, and its target is never contacted", async () => {
  const told = await whatUsersAreTold({ raw: { status: 302, headers: { location: `http://127.0.0.1:${elsewhere.port}/v1/chat/completions` } } });
  const sentence = `The provider at ${host} answered with a redirect (302) instead of an answer: set the model's base URL to the address it leads to.`;
  expect(told.reply.error).toBe(sentence);
  expect(told.glasses).toEqual({ status: 200, error: { status: 502, code: "PROVIDER_FAILED", detail: sentence } });
  expect(elsewhereHits).toBe(0);
});

describe("error bodies", () => {
  test("a 4xx whose body is not the provider's JSON is not repeated: just the status", async () => {
    const told = await whatUsersAreTold({ raw: { status: 400, contentType: "text/plain", body: "INTERNAL-SECRET-DATA: db=10.0.0.5 password=hunter2" } });
    expect(told.reply.error).toBe(`The provider at ${host} rejected the request (400).`);
    expect(told.glasses.error?.detail).toBe(`The provider at ${host} rejected the request (400).`);
    const html = await whatUsersAreTold({ raw: { status: 403, contentType: "text/html", body: "<html><body>Forbidden by proxy internal-gw-3</body></html>" } });
    expect(html.reply.error).toBe(`The provider at ${host} refused access (403).`);
  });

  test("the provider's JSON error message comes as a short excerpt of printable text, without markup", async () => {
    const told = await whatUsersAreTold({ error: { status: 400, message: `<b>Invalid</b>\u0007 value for\n\t'temperature'. ${"x".repeat(400)}` } });
    const error = told.reply.error!;
    expect(error).toStartWith(`The provider at ${host} rejected the request (400): Invalid value for 'temperature'. xxx`);
    expect(error).not.toContain("<b>");
    expect(error).not.toContain("\u0007");
    expect(error).not.toContain("\n");
    const excerpt = error.slice(error.indexOf("): ") + 3);
    expect(excerpt.length).toBe(200);
    expect(excerpt).toEndWith("…");
  });
});
