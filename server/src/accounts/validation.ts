import { invalidInput } from "../errors.ts";

// Deliberately loose: one @, something on both sides, a dot in the domain. The real
// check is whether mail arrives, which this app does not send.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const MIN_PASSWORD_LENGTH = 8;

export function normalizeEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (email.length > 191 || !EMAIL.test(email)) throw invalidInput("email", "Enter a valid email address, like ada@example.com.");
  return email;
}

export function checkNewPassword(password: string): string {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw invalidInput("password", `Choose a password of at least ${MIN_PASSWORD_LENGTH} characters.`);
  }
  if (password.length > 1024) throw invalidInput("password", "Choose a password of at most 1024 characters.");
  return password;
}

export function checkDisplayName(raw: string | null | undefined, email: string): string {
  const name = (raw ?? "").trim() || email.split("@")[0]!;
  if (name.length > 100) throw invalidInput("displayName", "Choose a display name of at most 100 characters.");
  return name;
}
