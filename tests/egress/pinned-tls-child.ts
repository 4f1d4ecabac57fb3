/**
 * Child process of pinned-tls.test.ts (it needs NODE_EXTRA_CA_CERTS, which Bun reads at start):
 * a TLS provider on 127.0.0.1 whose certificate names only `localhost`, asked through the real
 * provider client for https://localhost:<port>/v1 under a policy that allows 127.0.0.1. Prints
 * what the provider saw and what the client got, as JSON.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { createSecretBox } from "../../server/src/crypto/secret-box.ts";
import type { AiModel } from "../../server/src/db/generated/sqlite/client.ts";
import { askModel } from "../../server/src/generation/index.ts";

const fixtures = join(import.meta.dir, "..", "fixtures");
const seen: { host: string | null }[] = [];
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  tls: { cert: Bun.file(join(fixtures, "provider-tls.cert.pem")), key: Bun.file(join(fixtures, "provider-tls.key.pem")) },
  fetch(request) {
    seen.push({ host: request.headers.get("host") });
    return Response.json({
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 0,
      model: "m",
      choices: [{ index: 0, message: { role: "assistant", content: "Over TLS." }, finish_reason: "stop" }],
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
    });
  },
});

const model = { baseUrl: `https://localhost:${server.port}/v1`, providerModelId: "m", apiKeyCiphertext: null } as AiModel;
let answer: string | null = null;
let failure: string | null = null;
try {
  const network = { allowPrivateNetworks: false, allowedHosts: [{ hostname: "127.0.0.1", port: null }] };
  answer = (await askModel(model, createSecretBox(randomBytes(32)), [{ role: "user", content: "Hi" }], { temperature: 0, maxTokens: null, timeoutMs: 5000, network })).text;
} catch (error) {
  failure = (error as Error).message;
}
// The same server by its address: the certificate does not name it, so TLS must fail.
let byAddress: string;
try {
  await fetch(`https://127.0.0.1:${server.port}/v1/models`);
  byAddress = "connected";
} catch (error) {
  byAddress = (error as { code?: string }).code ?? (error as Error).message;
}
server.stop(true);
console.log(JSON.stringify({ answer, failure, seen, byAddress }));
