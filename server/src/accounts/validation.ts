import { invalidInput } from "../errors.ts";

// Deliberately loose: one @, something on both sides, a dot in the domain. The real
// check is whether mail arrives.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/**
 * Characters nobody types into an address on purpose and that render as nothing (or
 * reorder what is shown): controls such as NUL, format characters (zero-width space and
 * joiners, bidi overrides, soft hyphen, BOM), other default-ignorables (variation
 * selectors, Hangul fillers), private use, lone surrogates, line separators. Left in,
 * they make addresses that look like another user's (docs/decisions/0016-accounts.md).
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;
export const MAX_EMAIL_LENGTH = 191;

/**
 * The one spelling of an address that is stored and compared: Unicode NFKC (fullwidth
 * and other compatibility forms become plain letters), trimmed, lower case. Refuses
 * invisible and control characters. Does not judge the shape (sign-in must not say
 * which addresses could exist); `normalizeEmail` does.
 */
export function canonicalEmail(raw: string): string {
  const email = raw.normalize("NFKC").trim().toLowerCase().normalize("NFKC");
  if (INVISIBLE.test(email)) {
    throw invalidInput("email", "An email address cannot contain invisible or control characters (such as a zero-width space or NUL). Type it again.");
  }
  return email;
}

/** The canonical address (canonicalEmail), which must look like an address. */
export function normalizeEmail(raw: string): string {
  const email = canonicalEmail(raw);
  if (email.length > MAX_EMAIL_LENGTH || !EMAIL.test(email)) throw invalidInput("email", "Enter a valid email address, like ada@example.com.");
  return email;
}

export function checkDisplayName(raw: string | null | undefined, email: string): string {
  const name = (raw ?? "").trim() || email.split("@")[0]!;
  if (name.length > 100) throw invalidInput("displayName", "Choose a display name of at most 100 characters.");
  return name;
}
