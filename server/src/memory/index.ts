/**
 * Memory: what the assistant remembers about its user across conversations
 * (docs/decisions/0010-memory.md). What other features may use.
 */
export { type MemoryCommand, memoryCommandOf } from "./commands.ts";
export { EXTRACTION_INSTRUCTION } from "./extraction.ts";
export { type ConversationEntry, createMemoryService, type MemoryService, type MemoryTurn, type MemoryTurnInput } from "./service.ts";
export {
  createMemory,
  deleteMemory,
  forgetAllMemories,
  MAX_MEMORY_CHARS,
  type MemorySettings,
  memorySettingsOf,
  updateMemory,
  updateMemorySettings,
} from "./store.ts";
