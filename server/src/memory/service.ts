/**
 * Long-term memory for one exchange at a time (docs/decisions/0010-memory.md). No request
 * context: the glasses and the reply service hand over the user, their fenced client, the
 * model in use and the conversation, and get back a `MemoryTurn`:
 *
 *   recall()  before the model is asked: carries out an explicit "remember that …" /
 *             "forget that …" at once, and returns what to add to the system prompt
 *             (the memories relevant to the request, bounded in tokens; "" when memory
 *             is off or nothing is relevant). Never throws.
 *   learn()   after the answer is saved: queues extraction (extraction.ts) in the
 *             background and returns at once. Nothing when memory is off.
 *
 * Relevance: the database's full-text index (search.ts), plus cosine over stored
 * embeddings when the model's provider answers /v1/embeddings (embeddings.ts), fused by
 * rank. Memories are created, changed and deleted through the caller's fenced client.
 * The unfenced client serves what the fence cannot or need not see per request, each
 * statement naming the user: raw SQL (search, the per-user state query, last-used times)
 * and the background work on vectors (reading them, storing new ones).
 */
import type { SecretBox } from "../crypto/secret-box.ts";
import type { Db } from "../db/client.ts";
import type { AiModel } from "../db/generated/sqlite/client.ts";
import type { Config, DatabaseProvider } from "../env.ts";
import { askModel } from "../generation/index.ts";
import { type MemoryCommand, memoryCommandOf } from "./commands.ts";
import { bytesToVector, cosine, EMBEDDING_BATCH, Embedder, vectorToBytes } from "./embeddings.ts";
import { EXTRACTION_MAX_TOKENS, extractionMessages, parseOperations } from "./extraction.ts";
import { MEMORY_OFF_NOTE, memorySection, quote } from "./prompt.ts";
import { JobQueue } from "./queue.ts";
import { type FoundMemory, fullTextSearch } from "./search.ts";
import { MAX_MEMORY_CHARS } from "./store.ts";
import { contentWords, coverage, normalized, similarity } from "./words.ts";

/** At least this alike (words.ts: similarity), a new fact rewrites the old one instead of adding a second. */
export const SAME_FACT = 0.6;
/** Cosine below this is not related (OpenAI's text-embedding-3 puts unrelated sentences around 0.1–0.2). */
export const MIN_COSINE = 0.3;
/** Candidates taken from each ranking before fusing. */
const CANDIDATES = 8;
/** Reciprocal-rank fusion constant: small, so a first place counts clearly more than a fifth. */
const FUSION_K = 5;
/** Memories listed for "what do you remember about me?" before the token budget cuts. */
const RECALL_LIST = 100;
/** "forget that": a memory is what was just talked about when the exchange holds this share of its words. */
const TALKED_ABOUT = 0.75;
const MAX_FORGET = 5;
const QUEUE_LIMIT = 100;
const QUEUE_CONCURRENCY = 2;
/** Last-used times are written in batches, at most this often. */
const USAGE_FLUSH_MS = 2000;
/** Stored vectors kept in memory across requests, all users together. */
const VECTOR_CACHE_BYTES = 64 * 1024 * 1024;
const CLOSE_TIMEOUT_MS = 5000;

export interface ConversationEntry {
  /** "user" / "assistant" in any case ("USER" from chats); anything but assistant counts as the user. */
  role: string;
  content: string;
}

export interface MemoryTurnInput {
  /** The user's fenced client (rows are read and written through it). */
  db: Db;
  userId: string;
  /** The model answering: it extracts facts afterwards, and its provider gives embeddings. */
  model: AiModel;
  /** Oldest first, ending with the user's message being answered. */
  conversation: ConversationEntry[];
  /** The user's memory switch when the caller knows it (the remembered viewer): false reads nothing. */
  enabled?: boolean;
}

export interface MemoryTurn {
  recall(): Promise<string>;
  /** `replyId`: the saved answer; the memory's source is the user's message it answered. */
  learn(answer: string, replyId: string): void;
}

export interface MemoryServiceDeps {
  rootDb: Db;
  secrets: SecretBox;
  config: Pick<Config, "database" | "memory" | "replies" | "providerNetwork">;
  log?: (line: string) => void;
}

interface UserState {
  enabled: boolean;
  count: number;
  /** Memories with a vector from the configured embedding model. */
  embedded: number;
  /** Changes whenever a memory is added, edited, deleted or embedded. */
  version: string;
}

interface CachedVectors {
  version: string;
  items: { id: string; text: string; vector: Float32Array }[];
  bytes: number;
}

const isAssistant = (entry: ConversationEntry) => entry.role.toLowerCase() === "assistant";

/** The request (last user message) and the exchange before it ("forget that" refers to it). */
function splitConversation(conversation: ConversationEntry[]): { request: string; previous: string } {
  const last = conversation.at(-1);
  const request = last && !isAssistant(last) ? last.content : "";
  const previous = conversation
    .slice(0, -1)
    .slice(-2)
    .map((entry) => entry.content)
    .join("\n");
  return { request, previous };
}

function statementsFor(provider: DatabaseProvider) {
  const q = (name: string) => (provider === "mysql" ? `\`${name}\`` : `"${name}"`);
  const p = (n: number) => (provider === "postgresql" ? `$${n}` : "?");
  return {
    /** Whether memory is on, and how many memories (embedded ones apart), in one statement: the hot path's only fixed cost. */
    state: `SELECT u.${q("memoryEnabled")} AS enabled, COUNT(m.${q("id")}) AS total,
      COUNT(CASE WHEN m.${q("embeddingModel")} = ${p(1)} THEN 1 END) AS embedded, MAX(m.${q("updatedAt")}) AS changed
      FROM ${q("User")} u LEFT JOIN ${q("Memory")} m ON m.${q("userId")} = u.${q("id")}
      WHERE u.${q("id")} = ${p(2)} GROUP BY u.${q("id")}, u.${q("memoryEnabled")}`,
    /** Plain SQL: Prisma's updateMany would also move updatedAt, which means "the text changed". */
    touch: (count: number) =>
      `UPDATE ${q("Memory")} SET ${q("lastUsedAt")} = ${p(1)} WHERE ${q("userId")} = ${p(2)} AND ${q("id")} IN (${Array.from({ length: count }, (_, i) => p(i + 3)).join(", ")})`,
  };
}

export type MemoryService = ReturnType<typeof createMemoryService>;

export function createMemoryService(deps: MemoryServiceDeps) {
  const { rootDb, secrets, config } = deps;
  const log = deps.log ?? ((line: string) => console.error(`[aiui] ${line}`));
  const search = fullTextSearch(rootDb, config.database.provider);
  const statements = statementsFor(config.database.provider);
  const embedder = new Embedder(secrets, config.memory.embeddingModel, log, config.providerNetwork);
  const queue = new JobQueue({ limit: QUEUE_LIMIT, concurrency: QUEUE_CONCURRENCY, log });
  const budgetTokens = config.memory.promptTokens;

  async function stateOf(userId: string): Promise<UserState> {
    const rows = await rootDb.$queryRawUnsafe<{ enabled: unknown; total: unknown; embedded: unknown; changed: unknown }[]>(
      statements.state,
      config.memory.embeddingModel ?? "",
      userId,
    );
    const row = rows[0];
    if (!row) return { enabled: false, count: 0, embedded: 0, version: "" };
    const count = Number(row.total);
    const embedded = Number(row.embedded);
    const changed = row.changed instanceof Date ? row.changed.getTime() : String(row.changed);
    return { enabled: Boolean(Number(row.enabled)), count, embedded, version: `${count}|${embedded}|${changed}` };
  }

  // --- Vectors -------------------------------------------------------------------------

  const vectorCache = new Map<string, CachedVectors>();
  let vectorCacheBytes = 0;

  async function vectorsOf(userId: string, version: string): Promise<CachedVectors["items"]> {
    const cached = vectorCache.get(userId);
    if (cached) {
      vectorCache.delete(userId);
      vectorCacheBytes -= cached.bytes;
    }
    if (cached?.version === version) {
      vectorCache.set(userId, cached);
      vectorCacheBytes += cached.bytes;
      return cached.items;
    }
    const rows = await rootDb.memory.findMany({
      where: { userId, embeddingModel: config.memory.embeddingModel, embedding: { not: null } },
      select: { id: true, text: true, embedding: true },
    });
    const items = rows.map((row) => ({ id: row.id, text: row.text, vector: bytesToVector(row.embedding!) }));
    const entry = { version, items, bytes: items.reduce((sum, item) => sum + item.vector.byteLength + item.text.length * 2, 0) };
    vectorCache.set(userId, entry);
    vectorCacheBytes += entry.bytes;
    // Least recently used first: Map keeps insertion order, and use re-inserts.
    for (const [key, value] of vectorCache) {
      if (vectorCacheBytes <= VECTOR_CACHE_BYTES || key === userId) break;
      vectorCache.delete(key);
      vectorCacheBytes -= value.bytes;
    }
    return items;
  }

  async function nearest(userId: string, state: UserState, queryVector: Promise<Float32Array | null>): Promise<FoundMemory[]> {
    const query = await queryVector;
    if (!query) return [];
    const items = await vectorsOf(userId, state.version);
    return items
      .map((item) => ({ item, score: cosine(query, item.vector) }))
      .filter(({ score }) => score >= MIN_COSINE)
      .sort((a, b) => b.score - a.score)
      .slice(0, CANDIDATES)
      .map(({ item }) => ({ id: item.id, text: item.text }));
  }

  const embedding = new Set<string>();
  /** Memories without a vector from the current embedding model get one, in the background. */
  function embedMissingLater(userId: string, model: AiModel): void {
    if (embedding.has(userId)) return;
    embedding.add(userId);
    const queued = queue.push("embedding memories", async () => {
      try {
        const missing = await rootDb.memory.findMany({
          where: { userId, OR: [{ embeddingModel: null }, { embeddingModel: { not: config.memory.embeddingModel } }] },
          select: { id: true, text: true, updatedAt: true },
          take: EMBEDDING_BATCH,
        });
        await storeVectors(userId, model, missing);
      } finally {
        embedding.delete(userId);
      }
    });
    if (!queued) embedding.delete(userId);
  }

  async function storeVectors(userId: string, model: AiModel, memories: { id: string; text: string; updatedAt: Date }[]): Promise<void> {
    if (memories.length === 0) return;
    const vectors = await embedder.embed(
      model,
      memories.map((m) => m.text),
      config.replies.firstTokenTimeoutMs,
    );
    if (!vectors) return;
    for (const [i, memory] of memories.entries()) {
      // Only if the text is still the one embedded; updatedAt kept: it means "the text changed".
      await rootDb.memory.updateMany({
        where: { id: memory.id, userId, text: memory.text },
        data: { embedding: vectorToBytes(vectors[i]!), embeddingModel: config.memory.embeddingModel, updatedAt: memory.updatedAt },
      });
    }
  }

  // --- Relevance -----------------------------------------------------------------------

  /** Full-text and vector rankings fused by reciprocal rank: a memory both find comes first. */
  function fuse(...rankings: FoundMemory[][]): FoundMemory[] {
    const scores = new Map<string, { memory: FoundMemory; score: number }>();
    for (const ranking of rankings) {
      ranking.forEach((memory, rank) => {
        const entry = scores.get(memory.id) ?? { memory, score: 0 };
        entry.score += 1 / (FUSION_K + rank + 1);
        scores.set(memory.id, entry);
      });
    }
    return [...scores.values()].sort((a, b) => b.score - a.score).map((entry) => entry.memory);
  }

  /**
   * The memories relevant to `text`: full-text search and, when the user has vectors from
   * the configured embedding model and the provider answers, the nearest by cosine to the
   * text's embedding (one provider round trip), fused by rank.
   */
  async function relevant(userId: string, model: AiModel, text: string, state: UserState): Promise<FoundMemory[]> {
    if (state.count === 0 || text.trim() === "") return [];
    const vectors = embedder.usable(model);
    if (vectors && state.embedded < state.count) embedMissingLater(userId, model);
    const queryVector =
      vectors && state.embedded > 0 ? embedder.embed(model, [text]).then((embedded) => embedded?.[0] ?? null) : Promise.resolve(null);
    const [found, similar] = await Promise.all([search(userId, text, CANDIDATES), nearest(userId, state, queryVector)]);
    return fuse(found, similar);
  }

  /**
   * What recall reads, begun as soon as the turn is: the user's state, then (memory on, no
   * explicit request) the relevant memories. Only reads, so it may overlap the caller's own
   * work (on the glasses, saving the user's words), the provider round trip above all.
   */
  async function prepare(userId: string, model: AiModel, request: string, command: MemoryCommand | null, known?: boolean) {
    const state: UserState = known === false ? { enabled: false, count: 0, embedded: 0, version: "" } : await stateOf(userId);
    const memories = state.enabled && !command ? relevant(userId, model, request, state) : Promise.resolve([]);
    // Awaited by recall(); a turn whose recall never runs must not leave a rejection unhandled.
    memories.catch(() => {});
    return { state, memories };
  }

  // --- Last used -----------------------------------------------------------------------

  const usedSince = new Map<string, Set<string>>();
  let usageTimer: ReturnType<typeof setTimeout> | undefined;

  function markUsed(userId: string, ids: string[]): void {
    if (ids.length === 0) return;
    const set = usedSince.get(userId) ?? new Set<string>();
    for (const id of ids) set.add(id);
    usedSince.set(userId, set);
    if (!usageTimer) {
      usageTimer = setTimeout(() => void flushUsage(), USAGE_FLUSH_MS);
      usageTimer.unref?.();
    }
  }

  async function flushUsage(): Promise<void> {
    clearTimeout(usageTimer);
    usageTimer = undefined;
    const batches = [...usedSince.entries()];
    usedSince.clear();
    const now = new Date();
    for (const [userId, ids] of batches) {
      await rootDb.$executeRawUnsafe(statements.touch(ids.size), now, userId, ...ids).catch((error: Error) => {
        log(`Memory: noting when memories were used failed: ${error.message}`);
      });
    }
  }

  // --- Explicit requests -----------------------------------------------------------------

  interface Carried {
    note: string;
    /** Memories the command wrote (their source is set once the exchange is saved). */
    written: string[];
    /** Memories not to list again under "relevant" (the note names them already). */
    named: string[];
  }

  async function remember(db: Db, userId: string, fact: string): Promise<Carried> {
    const text = fact.slice(0, MAX_MEMORY_CHARS);
    const candidates = await search(userId, text, CANDIDATES);
    let closest: FoundMemory | null = null;
    let closestScore = 0;
    for (const candidate of candidates) {
      const score = similarity(candidate.text, text);
      if (score >= SAME_FACT && score > closestScore) [closest, closestScore] = [candidate, score];
    }
    if (closest && normalized(closest.text) === normalized(text)) {
      return { note: `You already remember this: ${quote(closest.text)}. Tell the user so in a few words.`, written: [], named: [closest.id] };
    }
    if (closest) {
      // The same fact, changed ("level 3" → "level 5"): one memory, rewritten.
      await db.memory.updateMany({ where: { id: closest.id }, data: { text, embedding: null, embeddingModel: null } });
      return {
        note: `At the user's request you have just changed a memory from ${quote(closest.text)} to ${quote(text)}. Confirm it in a few words.`,
        written: [closest.id],
        named: [closest.id],
      };
    }
    const created = await db.memory.create({ data: { userId, text } });
    return {
      note: `At the user's request you have just saved to your memory: ${quote(text)}. Confirm it in a few words.`,
      written: [created.id],
      named: [created.id],
    };
  }

  async function forget(db: Db, userId: string, target: string | null, previous: string): Promise<Carried> {
    let chosen: FoundMemory[] = [];
    let closest: FoundMemory[] = [];
    if (target === null) {
      // "forget that": the memory the last exchange was about.
      const candidates = previous.trim() ? await search(userId, previous, CANDIDATES) : [];
      chosen = candidates.filter((c) => coverage(c.text, previous) >= TALKED_ABOUT).slice(0, 1);
    } else if (contentWords(target).length > 0) {
      // "forget (that) my car …": every memory that says all the words named; anything less is only suggested.
      const candidates = await search(userId, target, CANDIDATES);
      chosen = candidates.filter((c) => coverage(target, c.text) === 1).slice(0, MAX_FORGET);
      closest = candidates.slice(0, 3);
    }
    if (chosen.length > 0) {
      await db.memory.deleteMany({ where: { id: { in: chosen.map((c) => c.id) } } });
      return {
        note: `At the user's request you have just deleted from your memory: ${chosen.map((c) => quote(c.text)).join("; ")}. Confirm it in a few words.`,
        written: [],
        named: chosen.map((c) => c.id),
      };
    }
    const what = target === null ? "what was just said" : quote(target);
    const suggestion = closest.length
      ? ` The closest memories are ${closest.map((c) => quote(c.text)).join("; ")}: ask which one to forget.`
      : " The Memory page of AIUI lists everything you remember and can delete any of it.";
    return {
      note: `The user asked you to forget ${what}, but no memory says exactly that, so nothing was deleted.${suggestion}`,
      written: [],
      named: closest.map((c) => c.id),
    };
  }

  // --- Learning ------------------------------------------------------------------------

  async function sourceOf(db: Db, replyId: string): Promise<string | null> {
    const reply = await db.message.findUnique({ where: { id: replyId }, select: { chatId: true, createdAt: true } });
    if (!reply) return null;
    const question = await db.message.findFirst({
      where: { chatId: reply.chatId, role: "USER", createdAt: { lte: reply.createdAt } },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      select: { id: true },
    });
    return question?.id ?? null;
  }

  /** `candidates`: the memories recall found relevant to the request, the closest there are to the exchange. */
  async function learnFrom(
    input: MemoryTurnInput,
    exchange: { user: string; assistant: string },
    candidates: FoundMemory[],
    /** The user's message of the exchange; looked up only when a memory is added (most exchanges add none). */
    sourceMessageId: () => Promise<string | null>,
  ) {
    const { db, userId, model } = input;
    // Turned off since the exchange: no extraction call.
    if (!(await stateOf(userId)).enabled) return;
    const answer = await askModel(model, secrets, extractionMessages(candidates, exchange), {
      temperature: 0,
      maxTokens: EXTRACTION_MAX_TOKENS,
      timeoutMs: config.replies.firstTokenTimeoutMs,
      network: config.providerNetwork,
    });
    const operations = parseOperations(answer.text, new Set(candidates.map((c) => c.id)));
    const known = new Map(candidates.map((c) => [c.id, c.text]));
    const changed: string[] = [];
    for (const operation of operations) {
      if (operation.op === "delete") {
        await db.memory.deleteMany({ where: { id: operation.id } });
        known.delete(operation.id);
        continue;
      }
      let id = operation.op === "update" ? operation.id : null;
      if (id === null) {
        // An "add" that repeats or corrects a memory it was shown rewrites that one.
        let best = 0;
        for (const [knownId, text] of known) {
          const score = similarity(text, operation.text);
          if (score >= SAME_FACT && score > best) [id, best] = [knownId, score];
        }
      }
      if (id !== null) {
        if (normalized(known.get(id) ?? "") === normalized(operation.text)) continue;
        await db.memory.updateMany({ where: { id }, data: { text: operation.text, embedding: null, embeddingModel: null } });
      } else {
        id = (await db.memory.create({ data: { userId, text: operation.text, sourceMessageId: await sourceMessageId() } })).id;
      }
      known.set(id, operation.text);
      changed.push(id);
    }
    if (changed.length > 0 && embedder.usable(model)) {
      const rows = await db.memory.findMany({ where: { id: { in: changed } }, select: { id: true, text: true, updatedAt: true } });
      await storeVectors(userId, model, rows);
    }
  }

  return {
    /** One exchange's memory work: see the file comment. */
    turn(input: MemoryTurnInput): MemoryTurn {
      const { db, userId, model } = input;
      const { request, previous } = splitConversation(input.conversation);
      const command = memoryCommandOf(request);
      const prepared = prepare(userId, model, request, command, input.enabled);
      // Awaited by recall(); a turn whose recall never runs must not leave a rejection unhandled.
      prepared.catch(() => {});
      let enabled = false;
      let written: string[] = [];
      let candidates: FoundMemory[] = [];

      async function recall(): Promise<string> {
        const { state, memories } = await prepared;
        enabled = state.enabled;
        if (!enabled) return command ? MEMORY_OFF_NOTE : "";
        let carried: Carried | null = null;
        if (command?.kind === "remember") carried = await remember(db, userId, command.fact);
        if (command?.kind === "forget") carried = await forget(db, userId, command.target, previous);
        written = carried?.written ?? [];
        if (command?.kind === "recall") {
          const listed = await db.memory.findMany({
            where: { userId },
            orderBy: [{ updatedAt: "desc" }, { id: "desc" }],
            take: RECALL_LIST,
            select: { id: true, text: true },
          });
          const section = memorySection({ memories: listed, budgetTokens, recallCount: state.count });
          markUsed(userId, section.usedIds);
          return section.text;
        }
        // After a command, what it changed is named in its note, and the rest of the request is the command itself.
        if (!carried) candidates = (await memories).slice(0, CANDIDATES);
        const section = memorySection({ note: carried?.note, memories: candidates, budgetTokens });
        markUsed(userId, section.usedIds);
        return section.text;
      }

      return {
        async recall() {
          try {
            return await recall();
          } catch (error) {
            log(`Memory: recalling for an answer failed, answering without memories: ${(error as Error).message}`);
            return "";
          }
        },
        learn(answer, replyId) {
          if (!enabled || answer.trim() === "" || request.trim() === "") return;
          queue.push("learning from an exchange", async () => {
            let source: Promise<string | null> | undefined;
            const sourceMessageId = () => (source ??= sourceOf(db, replyId));
            if (written.length > 0) {
              const id = await sourceMessageId();
              if (id) await db.memory.updateMany({ where: { id: { in: written }, sourceMessageId: null }, data: { sourceMessageId: id } });
            }
            // An explicit request was carried out already; learning from it could undo it ("forget that …" re-added).
            if (command) return;
            await learnFrom(input, { user: request, assistant: answer }, candidates, sourceMessageId);
          });
        },
      };
    },

    /** The user's memories whose words match `text` (the Memory page's search), best first. */
    search(userId: string, text: string, limit: number): Promise<FoundMemory[]> {
      return search(userId, text, limit);
    },

    /** The configured embedding model, or null when memories are matched by words alone. */
    embeddingModel: config.memory.embeddingModel,

    /** Resolves when background work is done and last-used times are written (tests, shutdown). */
    async idle(): Promise<void> {
      await queue.idle();
      await flushUsage();
    },

    async close(): Promise<void> {
      await queue.close(CLOSE_TIMEOUT_MS);
      await flushUsage();
    },
  };
}
