/**
 * Memories as the user manages them (the Memory page, GraphQL): list, add, edit, delete,
 * forget everything, and the on/off setting. Always through the caller's fenced client
 * (accounts/fence.ts: Memory rows are owned), so another user's memory is NOT_FOUND.
 */
import type { Db } from "../db/client.ts";
import type { Memory } from "../db/generated/sqlite/client.ts";
import { invalidInput, notFound } from "../errors.ts";
import { normalized } from "./words.ts";

/** One fact in a sentence or two; longer texts are refused (typed) or cut (learned). */
export const MAX_MEMORY_CHARS = 500;

export function checkMemoryText(text: string): string {
  const clean = text.replace(/\s+/g, " ").trim();
  if (clean === "") throw invalidInput("text", "Write what to remember, e.g. “I'm vegetarian.”");
  if (clean.length > MAX_MEMORY_CHARS) throw invalidInput("text", `A memory holds at most ${MAX_MEMORY_CHARS} characters; split it into several.`);
  return clean;
}

/** The user's memory whose text says exactly this (case, accents and punctuation aside), if any. */
export async function sameMemory(db: Db, userId: string, text: string): Promise<Memory | null> {
  const wanted = normalized(text);
  const all = await db.memory.findMany({ where: { userId }, select: { id: true, text: true } });
  const match = all.find((m) => normalized(m.text) === wanted);
  return match ? db.memory.findUnique({ where: { id: match.id } }) : null;
}

/** A memory typed by the user; the same text twice is one memory. */
export async function createMemory(db: Db, userId: string, text: string): Promise<Memory> {
  const clean = checkMemoryText(text);
  return (await sameMemory(db, userId, clean)) ?? db.memory.create({ data: { userId, text: clean } });
}

/** New text; its embedding is dropped (it described the old text) and made again on next use. */
export async function updateMemory(db: Db, id: string, text: string): Promise<Memory> {
  const clean = checkMemoryText(text);
  const { count } = await db.memory.updateMany({ where: { id }, data: { text: clean, embedding: null, embeddingModel: null } });
  if (count === 0) throw notFound("Memory");
  return db.memory.findUniqueOrThrow({ where: { id } });
}

export async function deleteMemory(db: Db, id: string): Promise<void> {
  const { count } = await db.memory.deleteMany({ where: { id } });
  if (count === 0) throw notFound("Memory");
}

/** Deletes every memory of the user; returns how many there were. */
export async function forgetAllMemories(db: Db, userId: string): Promise<number> {
  return (await db.memory.deleteMany({ where: { userId } })).count;
}

export interface MemorySettings {
  enabled: boolean;
}

export async function memorySettingsOf(db: Db, userId: string): Promise<MemorySettings> {
  const user = await db.user.findUnique({ where: { id: userId }, select: { memoryEnabled: true } });
  if (!user) throw notFound("User");
  return { enabled: user.memoryEnabled };
}

export async function updateMemorySettings(db: Db, userId: string, input: { enabled?: boolean | null }): Promise<MemorySettings> {
  const user = await db.user.update({
    where: { id: userId },
    data: { ...(input.enabled != null ? { memoryEnabled: input.enabled } : {}) },
    select: { memoryEnabled: true },
  });
  return { enabled: user.memoryEnabled };
}
