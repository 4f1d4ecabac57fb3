/** Per-user glasses settings: which model answers, persona, speech language, spoken answers. */
import type { Db } from "../db/client.ts";
import { readOrCreate, upsertRetried } from "../db/races.ts";
import type { GlassesSettings } from "../db/generated/sqlite/client.ts";
import { invalidInput } from "../errors.ts";

/**
 * Written for the Frame's small monochrome display: a few short lines of plain text.
 * Used whenever the user has not written a persona of their own.
 */
export const DEFAULT_GLASSES_PERSONA = [
  "You are Noa, a helpful assistant the user talks to through smart glasses.",
  "Your answer is shown on a tiny display: answer in one to three short sentences of plain text.",
  "No markdown, no lists, no headings, no emoji, no links. Lead with the answer itself.",
  "If the user's question is unclear, ask one short question back.",
].join(" ");

export const TOPIC_STRATEGIES = ["NEVER", "MODEL"] as const;
export type TopicStrategy = (typeof TOPIC_STRATEGIES)[number];

export interface GlassesSettingsInput {
  modelId?: string | null;
  imageModelId?: string | null;
  persona?: string | null;
  temperature?: number | null;
  maxTokens?: number | null;
  language?: string | null;
  spokenAnswers?: boolean | null;
  topicStrategy?: TopicStrategy | null;
}

/**
 * The user's settings row, created with defaults on first use. Read first: every glasses
 * request asks, and only the first one writes; simultaneous first requests race to create
 * it, and the losers read the winner's row (the unique userId settles it).
 */
export function glassesSettingsOf(db: Db, ownerId: string): Promise<GlassesSettings> {
  return readOrCreate(
    () => db.glassesSettings.findUnique({ where: { userId: ownerId } }),
    () => db.glassesSettings.create({ data: { userId: ownerId } }),
  );
}

/**
 * Settings with the model that answers (the glasses route's hot path). The picture model
 * and the current chat are read only when a request needs them: most requests carry no
 * picture for a model that cannot see, and a new conversation continues no chat.
 */
export function glassesSetupOf(db: Db, ownerId: string) {
  const include = { model: true } as const;
  return readOrCreate(
    () => db.glassesSettings.findUnique({ where: { userId: ownerId }, include }),
    () => db.glassesSettings.create({ data: { userId: ownerId }, include }),
  );
}

export type GlassesSetup = Awaited<ReturnType<typeof glassesSetupOf>>;

export function checkGlassesSettings(input: GlassesSettingsInput): GlassesSettingsInput {
  const out: GlassesSettingsInput = {};
  // null clears a model choice; undefined leaves it.
  if (input.modelId !== undefined) out.modelId = input.modelId;
  if (input.imageModelId !== undefined) out.imageModelId = input.imageModelId;
  if (input.persona != null) {
    if (input.persona.length > 20_000) throw invalidInput("persona", "persona must be at most 20000 characters.");
    out.persona = input.persona.trim();
  }
  if (input.temperature !== undefined) {
    if (input.temperature !== null && (!Number.isFinite(input.temperature) || input.temperature < 0 || input.temperature > 2)) {
      throw invalidInput("temperature", "temperature must be between 0 and 2.");
    }
    out.temperature = input.temperature;
  }
  if (input.maxTokens !== undefined) {
    if (input.maxTokens !== null && (!Number.isInteger(input.maxTokens) || input.maxTokens <= 0)) {
      throw invalidInput("maxTokens", "maxTokens must be a positive whole number.");
    }
    out.maxTokens = input.maxTokens;
  }
  if (input.language != null) {
    const language = input.language.trim().toLowerCase();
    if (language !== "" && !/^[a-z]{2,3}$|^[a-z]+$/.test(language)) {
      throw invalidInput("language", "language must be a language code such as en or de, or empty to detect it.");
    }
    out.language = language;
  }
  if (input.spokenAnswers != null) out.spokenAnswers = input.spokenAnswers;
  if (input.topicStrategy != null) out.topicStrategy = input.topicStrategy;
  return out;
}

export async function updateGlassesSettings(db: Db, ownerId: string, input: GlassesSettingsInput): Promise<GlassesSettings> {
  const { modelId, imageModelId, persona, temperature, maxTokens, language, spokenAnswers, topicStrategy } = checkGlassesSettings(input);
  const data = {
    modelId,
    imageModelId,
    temperature,
    maxTokens,
    persona: persona ?? undefined,
    language: language ?? undefined,
    spokenAnswers: spokenAnswers ?? undefined,
    topicStrategy: topicStrategy ?? undefined,
  };
  // The fence checks that modelId / imageModelId are the user's own models.
  return upsertRetried(() => db.glassesSettings.upsert({ where: { userId: ownerId }, create: { userId: ownerId, ...data }, update: data }));
}
