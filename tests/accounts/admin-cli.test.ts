/**
 * `bun run admin`, the locked-out administrator's way back in, run as a real process on the
 * app's database: list-users, reset-password (a link, or a password from standard input),
 * create-admin (new or promoted).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { startTestApp, type TestApp } from "../support/app.ts";

const CLI = join(import.meta.dir, "..", "..", "server", "src", "admin-cli.ts");
const SIGN_IN = `mutation($input: SignInInput!) { signIn(input: $input) { id role } }`;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

async function admin(args: string[], stdin?: string) {
  const child = Bun.spawn(["bun", CLI, ...args], {
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? "/tmp", DATABASE_URL: app.database.url, DATA_DIR: app.config.dataDir, PUBLIC_URL: "https://aiui.example.com" },
    stdin: stdin === undefined ? "ignore" : new Blob([stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { stdout, stderr, code };
}

const linkIn = (text: string) => /https:\/\/aiui\.example\.com\/reset-password#token=([A-Za-z0-9_-]+)/.exec(text)?.[1];

test("list-users shows every account with its role", async () => {
  await app.signedUp("boss@example.com");
  await app.signedUp("helper@example.com");
  const { stdout, code } = await admin(["list-users"]);
  expect(code).toBe(0);
  expect(stdout).toMatch(/^boss@example\.com\tADMIN\tboss\tsince \d{4}-\d\d-\d\d\t1 session\(s\)$/m);
  expect(stdout).toMatch(/^helper@example\.com\tMEMBER\t/m);
}, 30_000);

test("reset-password prints a one-time link that sets a new password and signs every session out", async () => {
  const boss = app.client();
  await boss.data(SIGN_IN, { input: { email: "boss@example.com", password: "correct horse battery" } });
  const { stdout, code } = await admin(["reset-password", "BOSS@example.com"]);
  expect(code).toBe(0);
  const token = linkIn(stdout)!;
  expect(token).toBeDefined();
  await app.client().data(`mutation($input: ResetPasswordInput!) { resetPassword(input: $input) }`, { input: { token, newPassword: "back in charge now" } });
  expect((await boss.data(`{ viewer { id } }`)).viewer).toBeNull();
  await app.client("198.51.100.1").data(SIGN_IN, { input: { email: "boss@example.com", password: "back in charge now" } });
}, 30_000);

test("reset-password --password-stdin sets the password at once, following the rules", async () => {
  const weak = await admin(["reset-password", "helper@example.com", "--password-stdin"], "password\n");
  expect(weak.code).toBe(1);
  expect(weak.stderr).toContain("list of common passwords");
  const { stdout, code } = await admin(["reset-password", "helper@example.com", "--password-stdin"], "typed on the server\n");
  expect(code).toBe(0);
  expect(stdout).toContain("Password of helper@example.com changed");
  await app.client("198.51.100.2").data(SIGN_IN, { input: { email: "helper@example.com", password: "typed on the server" } });
  const unknown = await admin(["reset-password", "ghost@example.com"]);
  expect(unknown).toMatchObject({ code: 1, stderr: "No account has the email ghost@example.com.\n" });
}, 30_000);

test("create-admin makes a new administrator (password by link) or promotes an existing account", async () => {
  const made = await admin(["create-admin", "rescuer@example.com", "--name", "Rescuer"]);
  expect(made.code).toBe(0);
  expect(made.stdout).toContain("Administrator rescuer@example.com created.");
  const refused = await app.client("198.51.100.3").request(SIGN_IN, { input: { email: "rescuer@example.com", password: "anything at all" } });
  expect(refused.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  await app.client().data(`mutation($input: ResetPasswordInput!) { resetPassword(input: $input) }`, { input: { token: linkIn(made.stdout), newPassword: "rescue mission go" } });
  const signedIn = await app.client("198.51.100.4").data(SIGN_IN, { input: { email: "rescuer@example.com", password: "rescue mission go" } });
  expect(signedIn.signIn.role).toBe("ADMIN");

  const promoted = await admin(["create-admin", "helper@example.com"]);
  expect(promoted.stdout).toContain("helper@example.com already had an account: it is now an administrator.");
  expect((await app.db.user.findUniqueOrThrow({ where: { email: "helper@example.com" } })).role).toBe("ADMIN");
  const usage = await admin(["delete-everything"]);
  expect(usage.code).toBe(2);
  expect(usage.stderr).toContain("Usage:");
}, 60_000);
