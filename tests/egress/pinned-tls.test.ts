/**
 * Connecting to the checked address keeps TLS intact: the request goes to 127.0.0.1 (the
 * address the policy allowed), while the certificate is verified against the URL's name
 * (`localhost`; the certificate names no address) and the Host header stays the URL's.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";

test("https through the pinned address: certificate checked against the URL's host name, Host header kept", async () => {
  const child = Bun.spawn(["bun", join(import.meta.dir, "pinned-tls-child.ts")], {
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? "/tmp", NODE_EXTRA_CA_CERTS: join(import.meta.dir, "..", "fixtures", "provider-tls.cert.pem") },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  expect({ code, err }).toEqual({ code: 0, err: "" });
  const result = JSON.parse(out) as { answer: string | null; failure: string | null; seen: { host: string }[]; byAddress: string };
  expect(result.failure).toBeNull();
  expect(result.answer).toBe("Over TLS.");
  expect(result.seen.map((s) => s.host)).toEqual([expect.stringMatching(/^localhost:\d+$/)]);
  // Without the server name the same connection fails: the pinning really uses it.
  expect(result.byAddress).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
}, 30_000);
