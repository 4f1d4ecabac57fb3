/**
 * A user's own settings: display name, the model new chats start with, the colour theme.
 * `db` is the user's fenced client (the user row is the fence's "self" rule).
 */
import type { Db } from "../db/client.ts";
import type { User } from "../db/generated/sqlite/client.ts";
import { invalidFields } from "../errors.ts";
import { getModel } from "../models/index.ts";

export const THEMES = ["SYSTEM", "LIGHT", "DARK"] as const;
export type Theme = (typeof THEMES)[number];

export interface SettingsInput {
  displayName?: string | null;
  /** null clears the choice (new chats then start with the last model used). */
  defaultModelId?: string | null;
  theme?: Theme | null;
}

export async function updateSettings(db: Db, userId: string, input: SettingsInput): Promise<User> {
  const data: { displayName?: string; defaultModelId?: string | null; theme?: Theme } = {};
  const problems: Record<string, string> = {};
  if (input.displayName != null) {
    const name = input.displayName.replace(/\s+/g, " ").trim();
    if (name === "") problems.displayName = "Display name must not be empty.";
    else if (name.length > 100) problems.displayName = "Display name must be at most 100 characters.";
    else data.displayName = name;
  }
  if (input.defaultModelId !== undefined) {
    if (input.defaultModelId === null) data.defaultModelId = null;
    else {
      // Through the fence: only one's own model can be the default.
      const model = await getModel(db, input.defaultModelId).catch(() => null);
      if (!model) problems.defaultModelId = "Default model must be one of your models.";
      else data.defaultModelId = model.id;
    }
  }
  if (input.theme != null) data.theme = input.theme;
  if (Object.keys(problems).length > 0) throw invalidFields(problems);
  return db.user.update({ where: { id: userId }, data });
}
