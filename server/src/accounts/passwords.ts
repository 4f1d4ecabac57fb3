/**
 * What a new password must be (sign-up, change, reset): at least 8 characters, not one of the
 * common passwords that guessers try first, not the account's own email or name. Each refusal
 * says which rule failed, on the `password` field.
 *
 * The common passwords: the list `@zxcvbn-ts/language-common` ships (MIT; ~49,000 entries,
 * the most used first, drawn from public password leaks), read from node_modules, not copied
 * (docs/decisions/0016-accounts.md).
 */
import { dictionary } from "@zxcvbn-ts/language-common";
import { invalidInput } from "../errors.ts";

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;

let common: Set<string> | null = null;
/** Built on first use (a few milliseconds), not at start. */
function commonPasswords(): Set<string> {
  common ??= new Set(dictionary["passwords-common"]);
  return common;
}

export function isCommonPassword(password: string): boolean {
  return commonPasswords().has(password.toLowerCase());
}

/** The password as given, or BAD_USER_INPUT on `password` naming the rule it breaks. */
export function checkNewPassword(password: string, account: { email: string; displayName?: string | null }): string {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw invalidInput("password", `Choose a password of at least ${MIN_PASSWORD_LENGTH} characters.`);
  }
  if (password.length > MAX_PASSWORD_LENGTH) throw invalidInput("password", `Choose a password of at most ${MAX_PASSWORD_LENGTH} characters.`);
  if (isCommonPassword(password)) {
    throw invalidInput("password", "That password is on the list of common passwords that are tried first when guessing. Choose a less common one.");
  }
  const typed = password.trim().toLowerCase();
  const email = account.email.toLowerCase();
  const name = (account.displayName ?? "").trim().toLowerCase();
  if (typed === email || typed === email.split("@")[0] || (name !== "" && typed === name)) {
    throw invalidInput("password", "Choose a password that is not your email address or your name.");
  }
  return password;
}
