/**
 * Text every database can store and read back unchanged. PostgreSQL refuses the NUL
 * character outright, SQLite stores it and hands the text back cut off there, and an
 * unpaired UTF-16 surrogate (broken Unicode: half of an emoji, say) cannot be encoded as
 * UTF-8 for any of them. Such text is refused where it enters, naming the field.
 */

/** Why `value` cannot be stored as text, or null when it can. */
export function unstorableText(value: string): string | null {
  if (value.includes("\u0000")) return "contains the NUL character (U+0000), which cannot be stored as text";
  if (!value.isWellFormed()) return "contains an unpaired UTF-16 surrogate (broken Unicode), which cannot be stored as text";
  return null;
}
