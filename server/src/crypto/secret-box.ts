/**
 * AES-256-GCM for secrets at rest (users' provider API keys). Sealed form:
 * "v1." + base64(iv[12] | tag[16] | ciphertext). The key comes from ENCRYPTION_KEY,
 * or is generated once into the data folder (mode 0600) so the quick start needs no setup.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface SecretBox {
  seal(plaintext: string): string;
  open(sealed: string): string;
}

const VERSION = "v1.";

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error("AES-256-GCM needs a 32-byte key");
  return {
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return VERSION + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
    },
    open(sealed) {
      if (!sealed.startsWith(VERSION)) throw new Error("Unknown secret format");
      const raw = Buffer.from(sealed.slice(VERSION.length), "base64");
      const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
    },
  };
}

export const GENERATED_KEY_FILE = "encryption.key";

/** The configured key, else the one generated earlier into dataDir, else a new one written there. */
export function resolveEncryptionKey(configured: Buffer | undefined, dataDir: string, log: (line: string) => void): Buffer {
  if (configured) return configured;
  const path = join(dataDir, GENERATED_KEY_FILE);
  if (existsSync(path)) return Buffer.from(readFileSync(path, "utf8").trim(), "base64");
  const key = randomBytes(32);
  writeFileSync(path, `${key.toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  log(`No ENCRYPTION_KEY set: generated one into ${path} (mode 0600). Back it up with the database; without it stored API keys cannot be read.`);
  return key;
}
