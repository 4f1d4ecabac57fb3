import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { ConfigError, parseConfig } from "../../server/src/env.ts";

const root = new URL("../../", import.meta.url);

test(".env.example documents every variable env.ts reads, and nothing else", () => {
  const source = readFileSync(new URL("server/src/env.ts", root), "utf8");
  const read = new Set([...source.matchAll(/\(vars, "([A-Z0-9_]+)"/g)].map((m) => m[1]));
  const documented = new Set([...readFileSync(new URL(".env.example", root), "utf8").matchAll(/^#? ?([A-Z0-9_]+)=/gm)].map((m) => m[1]));
  expect([...documented].sort()).toEqual([...read].sort());
});

test("with nothing set: port 3000, SQLite in ./data, GraphiQL on in development", () => {
  const config = parseConfig({});
  expect(config.port).toBe(3000);
  expect(config.database.provider).toBe("sqlite");
  expect(config.database.url).toEndWith("/data/aiui.db");
  expect(config.graphiql).toBe(true);
  expect(config.auth.cookieSecure).toBe(false);
});

test("the provider follows DATABASE_URL; an https PUBLIC_URL makes cookies Secure", () => {
  expect(parseConfig({ DATABASE_URL: "postgresql://u@h/db" }).database.provider).toBe("postgresql");
  expect(parseConfig({ DATABASE_URL: "mysql://u@h/db" }).database.provider).toBe("mysql");
  expect(parseConfig({ PUBLIC_URL: "https://aiui.example.com" }).auth.cookieSecure).toBe(true);
  expect(parseConfig({ NODE_ENV: "production" }).graphiql).toBe(false);
});

test("a bad value names its variable and hides database passwords", () => {
  expect(() => parseConfig({ PORT: "70000" })).toThrow("PORT must be between 0 and 65535");
  expect(() => parseConfig({ PUBLIC_URL: "ftp://x" })).toThrow("PUBLIC_URL must be an http(s) URL");
  const error = (() => {
    try {
      parseConfig({ DATABASE_URL: "oracle://admin:hunter2@db/x" });
    } catch (e) {
      return e as ConfigError;
    }
  })();
  expect(error).toBeInstanceOf(ConfigError);
  expect(error!.variable).toBe("DATABASE_URL");
  expect(error!.message).not.toContain("hunter2");
});

test("SMTP_URL needs MAIL_FROM and PUBLIC_URL (reset e-mails link there, never to a requester's Host header)", () => {
  expect(parseConfig({}).mail).toBeNull();
  expect(() => parseConfig({ SMTP_URL: "http://mail" })).toThrow("SMTP_URL must start with smtp:// or smtps://");
  expect(() => parseConfig({ SMTP_URL: "smtp://mail:25" })).toThrow("MAIL_FROM is required with SMTP_URL");
  expect(() => parseConfig({ SMTP_URL: "smtp://mail:25", MAIL_FROM: "a@b.c" })).toThrow("PUBLIC_URL is required with SMTP_URL");
  expect(parseConfig({ SMTP_URL: "smtps://u:p@mail:465", MAIL_FROM: "AIUI <a@b.c>", PUBLIC_URL: "https://aiui.example.com" }).mail).toEqual({
    smtpUrl: "smtps://u:p@mail:465",
    from: "AIUI <a@b.c>",
  });
});
