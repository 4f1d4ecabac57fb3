/**
 * Password reset by e-mail, through a real SMTP server on loopback (tests/support/mail-sink.ts):
 * one-time link, stored hashed, an hour long, single use, every session ended on use, the same
 * answer whether or not the address has an account, requests limited per address. And by an
 * administrator: a link to hand over, made by admins only.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { hashToken } from "../../server/src/crypto/tokens.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { type MailSink, resetLinkIn, startMailSink } from "../support/mail-sink.ts";

const REQUEST = `mutation($email: String!) { requestPasswordReset(email: $email) }`;
const RESET = `mutation($input: ResetPasswordInput!) { resetPassword(input: $input) }`;
const SIGN_IN = `mutation($input: SignInInput!) { signIn(input: $input) { id } }`;
const VIEWER = `{ viewer { email } }`;

let sink: MailSink;
let app: TestApp;
beforeAll(async () => {
  sink = await startMailSink();
  app = await startTestApp({
    SMTP_URL: sink.url,
    MAIL_FROM: "AIUI <aiui@aiui.test>",
    PUBLIC_URL: "https://aiui.test",
    ACCOUNT_REQUESTS_MAX: "6",
  });
});
afterAll(async () => {
  await app.close();
  await sink.close();
});

const tokenOf = (link: string) => link.split("#token=")[1]!;

describe("by e-mail", () => {
  test("the link arrives by SMTP, works once, sets the new password and signs out every session", async () => {
    const phone = await app.signedUp("forgetful@example.com");
    const laptop = app.client("198.51.100.2");
    await laptop.data(SIGN_IN, { input: { email: "forgetful@example.com", password: "correct horse battery" } });

    const asked = await app.client("198.51.100.3").request(REQUEST, { email: "Forgetful@Example.com" });
    expect(asked).toEqual({ data: { requestPasswordReset: true } });
    const mail = await sink.next("forgetful@example.com");
    expect(mail.from).toBe("aiui@aiui.test");
    expect(mail.raw).toContain("Subject: Reset your AIUI password");
    const link = resetLinkIn(mail);
    expect(link).toStartWith("https://aiui.test/reset-password#token=");
    // Only the secret's hash is stored, with an expiry an hour away.
    const stored = await app.db.passwordReset.findFirstOrThrow({ where: { user: { email: "forgetful@example.com" } } });
    expect(stored.tokenHash).toBe(hashToken(tokenOf(link)));
    expect(stored.expiresAt.getTime() - stored.createdAt.getTime()).toBeWithin(3_590_000, 3_600_001);

    expect((await app.client().request(RESET, { input: { token: tokenOf(link), newPassword: "remembered at last" } })).data).toEqual({ resetPassword: true });
    for (const client of [phone, laptop]) expect((await client.data(VIEWER)).viewer).toBeNull();
    await app.client("198.51.100.4").data(SIGN_IN, { input: { email: "forgetful@example.com", password: "remembered at last" } });
    const old = await app.client("198.51.100.5").request(SIGN_IN, { input: { email: "forgetful@example.com", password: "correct horse battery" } });
    expect(old.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");

    const again = await app.client().request(RESET, { input: { token: tokenOf(link), newPassword: "someone else's choice" } });
    expect(again.errors?.[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT", field: "token" } });
    expect(again.errors?.[0]?.message).toContain("This reset link is not valid");
  });

  test("an address without an account gets the same answer, and no e-mail", async () => {
    await app.signedUp("known@example.com");
    const unknown = await app.client("198.51.100.10").request(REQUEST, { email: "nobody-here@example.com" });
    const known = await app.client("198.51.100.11").request(REQUEST, { email: "known@example.com" });
    expect(unknown).toEqual(known);
    await sink.next("known@example.com");
    await app.services.accounts.passwordReset.settled();
    expect(sink.messages.filter((m) => m.to.includes("nobody-here@example.com"))).toEqual([]);
  });

  test("a link older than an hour is refused, and so is a made-up one; a refused new password leaves the link usable", async () => {
    await app.signedUp("late@example.com");
    await app.client("198.51.100.20").data(REQUEST, { email: "late@example.com" });
    const link = resetLinkIn(await sink.next("late@example.com"));
    const weak = await app.client().request(RESET, { input: { token: tokenOf(link), newPassword: "password1" } });
    expect(weak.errors?.[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT", field: "newPassword" } });
    expect(weak.errors?.[0]?.message).toContain("list of common passwords");

    await app.db.passwordReset.updateMany({ where: { tokenHash: hashToken(tokenOf(link)) }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const expired = await app.client().request(RESET, { input: { token: tokenOf(link), newPassword: "too late for this" } });
    expect(expired.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "token" });
    const madeUp = await app.client().request(RESET, { input: { token: "x".repeat(43), newPassword: "too late for this" } });
    expect(madeUp.errors?.[0]?.message).toBe(expired.errors?.[0]?.message);
    await app.client("198.51.100.21").data(SIGN_IN, { input: { email: "late@example.com", password: "correct horse battery" } });
  });

  test("requests are limited per address (ACCOUNT_REQUESTS_MAX=6 here), and mails per account", async () => {
    await app.signedUp("flooded@example.com");
    const asker = app.client("203.0.113.99");
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < 7; i++) codes.push((await asker.request(REQUEST, { email: "flooded@example.com" })).errors?.[0]?.extensions?.code);
    expect(codes).toEqual([undefined, undefined, undefined, undefined, undefined, undefined, "RATE_LIMITED"]);
    await app.services.accounts.passwordReset.settled();
    // However many ask, one address gets at most 3 reset mails per window.
    expect(sink.messages.filter((m) => m.to.includes("flooded@example.com"))).toHaveLength(3);
  });
});

describe("by an administrator", () => {
  const CREATE_LINK = `mutation($id: ID!) { createPasswordResetLink(userId: $id) { url expiresAt } }`;

  test("an admin gets a one-time link for a user; a member is refused; the link resets that user's password", async () => {
    const fresh = await startTestApp();
    try {
      const admin = await fresh.signedUp("admin@example.com");
      const member = await fresh.signedUp("member@example.com");
      const memberId = (await member.data(`{ viewer { id } }`)).viewer.id;
      const adminId = (await admin.data(`{ viewer { id } }`)).viewer.id;
      const refused = await member.request(CREATE_LINK, { id: adminId });
      expect(refused.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      expect(await fresh.db.passwordReset.count()).toBe(0);
      const missing = await admin.request(CREATE_LINK, { id: "no-such-user" });
      expect(missing.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");

      const { createPasswordResetLink } = await admin.data(CREATE_LINK, { id: memberId });
      // Without PUBLIC_URL the link points where the admin's request went.
      expect(createPasswordResetLink.url).toStartWith("http://aiui.test/reset-password#token=");
      expect(Date.parse(createPasswordResetLink.expiresAt) - Date.now()).toBeWithin(3_500_000, 3_600_001);
      await fresh.client().data(RESET, { input: { token: tokenOf(createPasswordResetLink.url), newPassword: "handed over safely" } });
      expect((await member.data(VIEWER)).viewer).toBeNull();
      await fresh.client("198.51.100.30").data(SIGN_IN, { input: { email: "member@example.com", password: "handed over safely" } });
      expect((await fresh.db.passwordReset.findFirstOrThrow()).createdById).toBe(adminId);
    } finally {
      await fresh.close();
    }
  });

  test("without SMTP, asking for an e-mail says resets go through the administrator, and the server says so", async () => {
    const fresh = await startTestApp();
    try {
      expect((await fresh.client().data(`{ serverInfo { passwordResetByEmail } }`)).serverInfo.passwordResetByEmail).toBe(false);
      const result = await fresh.client().request(REQUEST, { email: "anyone@example.com" });
      expect(result.errors?.[0]).toMatchObject({ extensions: { code: "FORBIDDEN" } });
      expect(result.errors?.[0]?.message).toContain("Ask its administrator for a reset link");
    } finally {
      await fresh.close();
    }
    expect((await app.client().data(`{ serverInfo { passwordResetByEmail } }`)).serverInfo.passwordResetByEmail).toBe(true);
  });
});
