/**
 * All configuration, parsed and validated once. `main.ts` is the only caller of
 * `parseConfig(process.env)`; everything else receives the resulting `Config`
 * (tests build their own with `parseConfig({...})`). Every variable is documented
 * in `.env.example`. A bad value throws a `ConfigError` naming the variable.
 */
import { resolve } from "node:path";
import ipaddr from "ipaddr.js";

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Configuration error: ${variable} ${problem}`);
    this.name = "ConfigError";
  }
}

export type DatabaseProvider = "sqlite" | "postgresql" | "mysql";

type Vars = Record<string, string | undefined>;

function read(vars: Vars, name: string): string | undefined {
  const value = vars[name]?.trim();
  return value === "" ? undefined : value;
}

function integer(vars: Vars, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = read(vars, name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function boolean(vars: Vars, name: string, fallback: boolean): boolean {
  const raw = read(vars, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (["1", "true", "yes", "on"].includes(raw)) return true;
  if (["0", "false", "no", "off"].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function oneOf<T extends string>(vars: Vars, name: string, allowed: readonly T[], fallback: T): T {
  const raw = read(vars, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(", ")}, got "${raw}"`);
  }
  return raw as T;
}

function httpUrl(vars: Vars, name: string): string | undefined {
  const raw = read(vars, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be a URL, got "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(name, `must be an http(s) URL, got "${raw}"`);
  }
  return raw.replace(/\/+$/, "");
}

function redisUrl(vars: Vars): string | undefined {
  const raw = read(vars, "REDIS_URL");
  if (raw === undefined) return undefined;
  if (!/^rediss?:\/\/[^/]/.test(raw)) {
    throw new ConfigError("REDIS_URL", `must start with redis:// or rediss://, got "${raw.replace(/\/\/[^@]*@/, "//***@")}"`);
  }
  return raw;
}

/**
 * PROVIDER_ALLOWED_HOSTS: `host`, `host:port`, an IP address or `[v6]:port`, comma-separated.
 * Parsed as URL hosts, so numeric IPv4 forms and IPv6 spellings come out in one canonical form.
 */
function allowedHosts(vars: Vars): { hostname: string; port: number | null }[] {
  const raw = read(vars, "PROVIDER_ALLOWED_HOSTS");
  if (raw === undefined) return [];
  return raw
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
    .map((entry) => {
      let url: URL | null = null;
      try {
        url = new URL(`http://${entry}`);
      } catch {}
      if (!url || url.username || url.password || url.pathname !== "/" || url.search || url.hash || url.hostname === "") {
        throw new ConfigError("PROVIDER_ALLOWED_HOSTS", `must list hosts like ollama.lan, 10.0.0.5 or 192.168.1.20:11434, got "${entry}"`);
      }
      return { hostname: url.hostname.toLowerCase(), port: url.port === "" ? null : Number(url.port) };
    });
}

/**
 * TRUSTED_PROXIES: addresses and CIDR ranges of our own reverse proxies, comma-separated;
 * returned in CIDR form (a plain address is a range of one). Default: loopback.
 */
function trustedProxies(vars: Vars): string[] {
  const raw = read(vars, "TRUSTED_PROXIES") ?? "127.0.0.0/8,::1/128";
  return raw
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
    .map((entry) => {
      try {
        if (entry.includes("/")) {
          const [address, bits] = ipaddr.parseCIDR(entry);
          return `${address.toString()}/${bits}`;
        }
        const address = ipaddr.parse(entry);
        return `${address.toString()}/${address.kind() === "ipv4" ? 32 : 128}`;
      } catch {
        throw new ConfigError("TRUSTED_PROXIES", `must list IP addresses or CIDR ranges like 10.0.0.0/8 or 192.168.1.5, got "${entry}"`);
      }
    });
}

/** SMTP_URL and MAIL_FROM: how password-reset e-mails are sent; null when SMTP_URL is unset (no e-mail). */
function mailConfig(vars: Vars, publicUrl: string | undefined): { smtpUrl: string; from: string } | null {
  const smtpUrl = read(vars, "SMTP_URL");
  if (smtpUrl === undefined) return null;
  if (!/^smtps?:\/\/[^/]/.test(smtpUrl)) {
    throw new ConfigError("SMTP_URL", `must start with smtp:// or smtps://, got "${smtpUrl.replace(/\/\/[^@]*@/, "//***@")}"`);
  }
  const from = read(vars, "MAIL_FROM");
  if (!from) throw new ConfigError("MAIL_FROM", 'is required with SMTP_URL: the sender of password-reset e-mails, e.g. "AIUI <aiui@example.com>"');
  // Links in e-mails must not be built from a request's Host header, which the requester chooses.
  if (!publicUrl) throw new ConfigError("PUBLIC_URL", "is required with SMTP_URL: password-reset e-mails link to it");
  return { smtpUrl, from };
}

export function databaseProviderOf(url: string, variable = "DATABASE_URL"): DatabaseProvider {
  if (url.startsWith("file:")) return "sqlite";
  if (/^postgres(ql)?:\/\//.test(url)) return "postgresql";
  if (/^(mysql|mariadb):\/\//.test(url)) return "mysql";
  throw new ConfigError(
    variable,
    `must start with file: (SQLite), postgresql:// (PostgreSQL) or mysql:// (MySQL/MariaDB), got "${url.replace(/\/\/[^@]*@/, "//***@")}"`,
  );
}

function encryptionKey(vars: Vars): Buffer | undefined {
  const raw = read(vars, "ENCRYPTION_KEY");
  if (raw === undefined) return undefined;
  const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, "hex") : Buffer.from(raw, "base64");
  if (key.length !== 32) {
    throw new ConfigError("ENCRYPTION_KEY", "must be 32 bytes, as 64 hex characters or base64 (try: openssl rand -base64 32)");
  }
  return key;
}

const WHISPER_DTYPES = ["fp32", "fp16", "q8", "int8", "uint8", "q4", "q4f16", "bnb4"] as const;

function speechConfig(vars: Vars, dataDir: string) {
  const backend = oneOf(vars, "STT_BACKEND", ["whisper", "openai"] as const, "whisper");
  const openaiBaseUrl = httpUrl(vars, "STT_OPENAI_BASE_URL");
  if (backend === "openai" && !openaiBaseUrl) {
    throw new ConfigError("STT_OPENAI_BASE_URL", "is required when STT_BACKEND=openai (e.g. https://api.openai.com/v1)");
  }
  return {
    backend,
    whisper: {
      /** Hub id (downloaded once into cacheDir when allowed) or a local folder with the ONNX files. */
      model: read(vars, "WHISPER_MODEL") ?? "onnx-community/whisper-base",
      // q8: 8-bit weights, about half the end-to-end time of fp32 on CPU (bench:stt); see decision 0005.
      dtype: oneOf(vars, "WHISPER_DTYPE", WHISPER_DTYPES, "q8"),
      cacheDir: resolve(read(vars, "WHISPER_CACHE_DIR") ?? resolve(dataDir, "models")),
      allowRemote: boolean(vars, "WHISPER_ALLOW_REMOTE", true),
      /** Load the model in the background at start instead of on the first request. */
      preload: boolean(vars, "WHISPER_PRELOAD", false),
    },
    openai: {
      baseUrl: openaiBaseUrl,
      apiKey: read(vars, "STT_OPENAI_API_KEY"),
      model: read(vars, "STT_OPENAI_MODEL") ?? "whisper-1",
    },
    /** ffmpeg decodes non-WAV uploads (ogg/opus, mp3, m4a, webm); without it those get 415. */
    ffmpegPath: read(vars, "FFMPEG_PATH") ?? "ffmpeg",
  };
}

function memoryConfig(vars: Vars) {
  const embeddingModel = read(vars, "MEMORY_EMBEDDING_MODEL") ?? "text-embedding-3-small";
  return {
    /**
     * Asked of the provider of the model in use (its /v1/embeddings) to rank memories by
     * meaning as well as by words; null ("none"): full-text search alone.
     */
    embeddingModel: embeddingModel.toLowerCase() === "none" ? null : embeddingModel,
    /** The most a system prompt grows by memories (estimated tokens, as in context trimming). */
    promptTokens: integer(vars, "MEMORY_PROMPT_TOKENS", 300, 50, 8000),
  };
}

export function parseConfig(vars: Vars) {
  const mode = oneOf(vars, "NODE_ENV", ["development", "production", "test"] as const, "development");
  const dataDir = resolve(read(vars, "DATA_DIR") ?? "data");
  const databaseUrl = read(vars, "DATABASE_URL") ?? `file:${resolve(dataDir, "aiui.db")}`;
  const publicUrl = httpUrl(vars, "PUBLIC_URL");
  return {
    mode,
    host: read(vars, "HOST") ?? "0.0.0.0",
    port: integer(vars, "PORT", 3000, 0, 65535),
    publicUrl,
    dataDir,
    database: {
      url: databaseUrl,
      provider: databaseProviderOf(databaseUrl),
      /**
       * Longest a statement, a connection or a wait for a pooled connection may take before the
       * request is answered UNAVAILABLE (503) instead of hanging with the database.
       */
      timeoutMs: integer(vars, "DATABASE_TIMEOUT_MS", 5000, 100, 600_000),
    },
    /** 32-byte AES-256-GCM key for API keys at rest; when absent one is generated into dataDir. */
    encryptionKey: encryptionKey(vars),
    graphiql: boolean(vars, "GRAPHIQL", mode === "development"),
    /** Schema introspection and "did you mean" suggestions; off in production unless asked for. */
    graphqlIntrospection: boolean(vars, "GRAPHQL_INTROSPECTION", mode !== "production"),
    webBuildDir: resolve(read(vars, "WEB_BUILD_DIR") ?? "web/build"),
    auth: {
      sessionTtlDays: integer(vars, "SESSION_TTL_DAYS", 30, 1, 3650),
      cookieSecure: boolean(vars, "COOKIE_SECURE", publicUrl?.startsWith("https:") ?? false),
      signupOpen: boolean(vars, "SIGNUP_OPEN", true),
      signinMaxAttempts: integer(vars, "SIGNIN_MAX_ATTEMPTS", 5, 1, 1000),
      signinWindowSeconds: integer(vars, "SIGNIN_WINDOW_SECONDS", 900, 1, 86400),
      trustProxy: boolean(vars, "TRUST_PROXY", false),
      /** With TRUST_PROXY: the client is the right-most X-Forwarded-For hop outside these ranges. */
      trustedProxies: trustedProxies(vars),
      /** Sign-ups and password-reset requests allowed per client address (each kind counted apart) per window. */
      accountRequestsMax: integer(vars, "ACCOUNT_REQUESTS_MAX", 10, 1, 100_000),
      accountRequestsWindowSeconds: integer(vars, "ACCOUNT_REQUESTS_WINDOW_SECONDS", 3600, 1, 86400),
      /** Failed access-token authentications one client address may make per window (every route) before it gets 429. */
      tokenMaxFailures: integer(vars, "TOKEN_MAX_FAILURES", 20, 1, 1_000_000),
      tokenWindowSeconds: integer(vars, "TOKEN_WINDOW_SECONDS", 300, 1, 86400),
    },
    /** Password-reset e-mails (nodemailer over SMTP); null: no e-mail, resets by an administrator or `bun run admin`. */
    mail: mailConfig(vars, publicUrl),
    /** Several instances share stream events and cancel requests through Redis; unset: one instance, in-process. */
    redisUrl: redisUrl(vars),
    replies: {
      /** Partial text of a streaming reply is written at most this often (the final text once at the end). */
      checkpointMs: integer(vars, "STREAM_CHECKPOINT_MS", 1000, 50, 600_000),
      /** A reply fails when the provider sends no first token within this time. */
      firstTokenTimeoutMs: integer(vars, "PROVIDER_FIRST_TOKEN_TIMEOUT_MS", 60_000, 100, 3_600_000),
      /** A reply fails when the provider goes silent this long in the middle of it. */
      idleTimeoutMs: integer(vars, "PROVIDER_IDLE_TIMEOUT_MS", 30_000, 100, 3_600_000),
      /** Context window (tokens) assumed for models that do not set their own. */
      defaultContextWindow: integer(vars, "CONTEXT_WINDOW_TOKENS", 16_384, 256, 10_000_000),
      /** A reply is stopped (and ends FAILED, its text kept) when it reaches this many characters. */
      maxReplyChars: integer(vars, "REPLY_MAX_CHARS", 1_000_000, 1, 16_000_000),
      /**
       * A reply whose writer has shown no sign of life (checkpoint or heartbeat) for this long
       * is ended by the sweep of any instance; writers renew it every third of it.
       */
      leaseMs: integer(vars, "REPLY_LEASE_MS", 30_000, 300, 3_600_000),
    },
    /** Where users' models may send requests (docs/decisions/0009-provider-url-policy.md). */
    providerNetwork: {
      /** Let models point at loopback, private and link-local addresses (Ollama beside AIUI). */
      allowPrivateNetworks: boolean(vars, "PROVIDER_ALLOW_PRIVATE_NETWORKS", false),
      /** Hosts (and host:port) allowed even though they are private. */
      allowedHosts: allowedHosts(vars),
    },
    speech: speechConfig(vars, dataDir),
    memory: memoryConfig(vars),
    glasses: {
      /** Besides Authorization, the header the Noa app may carry the token in. */
      tokenHeader: (read(vars, "GLASSES_TOKEN_HEADER") ?? "x-api-key").toLowerCase(),
      /** Opt-in: requests without a token act as this account (email). For a server behind a VPN only. */
      anonymousUserEmail: read(vars, "GLASSES_ANONYMOUS_USER")?.toLowerCase(),
      /**
       * The Noa app shows only the reason phrase of a non-200 answer, so failures the wearer
       * can act on are answered 200 with a sentence; API clients that prefer real statuses set this.
       */
      strictHttpErrors: boolean(vars, "GLASSES_STRICT_HTTP_ERRORS", false),
      ttsModel: read(vars, "GLASSES_TTS_MODEL") ?? "tts-1",
      ttsVoice: read(vars, "GLASSES_TTS_VOICE") ?? "alloy",
    },
  };
}

export type Config = ReturnType<typeof parseConfig>;
