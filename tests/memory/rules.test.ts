/**
 * The small rules memory runs on, case by case: which messages are explicit requests
 * (remember / forget / what do you remember), how alike two facts are, what a model's
 * extraction answer may do, and the token bound of what goes into a prompt.
 */
import { describe, expect, test } from "bun:test";
import { estimateTokens } from "../../server/src/generation/index.ts";
import { parseOperations } from "../../server/src/memory/extraction.ts";
import { memoryCommandOf } from "../../server/src/memory/index.ts";
import { memorySection } from "../../server/src/memory/prompt.ts";
import { queryWords } from "../../server/src/memory/search.ts";
import { coverage, similarity } from "../../server/src/memory/words.ts";

describe("explicit requests", () => {
  test.each([
    ["remember that my car is parked on level 3", "My car is parked on level 3."],
    ["Remember: I'm vegetarian.", "I'm vegetarian."],
    ["Please remember my daughter is called Ada", "My daughter is called Ada."],
    ["Hey Noa, remember that the wifi password is on the fridge!", "The wifi password is on the fridge."],
    ["ok, can you remember that I take my coffee black", "I take my coffee black."],
    ["Don't forget that my mother's birthday is on 3 May", "My mother's birthday is on 3 May."],
    ["note that I'm allergic to peanuts", "I'm allergic to peanuts."],
    ["remember to buy milk", "Remember to buy milk."],
  ])("%p stores %p", (message, fact) => {
    expect(memoryCommandOf(message)).toEqual({ kind: "remember", fact });
  });

  test.each([
    ["forget that", null],
    ["Forget that.", null],
    ["please forget this", null],
    ["forget what I just said", null],
    ["forget that my car is parked on level 3", "my car is parked on level 3"],
    ["Forget about my car", "my car"],
    ["forget my daughter's name", "my daughter's name"],
  ])("%p forgets %p", (message, target) => {
    expect(memoryCommandOf(message)).toEqual({ kind: "forget", target });
  });

  test.each(["What do you remember about me?", "what do you know about me", "Tell me what you remember about me.", "What's in your memory?"])(
    "%p asks what is remembered",
    (message) => {
      expect(memoryCommandOf(message)).toEqual({ kind: "recall" });
    },
  );

  test.each([
    "Do you remember when we went to Paris?",
    "remember when we went to Paris",
    "Did you forget that I'm vegetarian?",
    "Remember what I said?",
    "forget it",
    "Forget it, I'll do it myself.",
    "I always forget where I parked",
    "What's the capital of France?",
    "I remember that my car was red",
    "",
  ])("%p is not a command", (message) => {
    expect(memoryCommandOf(message)).toBeNull();
  });
});

describe("words", () => {
  test("query words: content words only, each once, no query syntax", () => {
    expect(queryWords(`What's my daughter's "name"? (AND) OR -x* NEAR/2`)).toEqual(["daughter", "name", "near", "2"]);
    expect(queryWords("Café crème")).toEqual(["cafe", "creme"]);
    expect(queryWords("what is it")).toEqual([]);
  });

  test("similarity: the same fact changed is alike; another fact is not", () => {
    expect(similarity("My car is parked on level 3.", "My car is parked on level 5")).toBe(0.75);
    expect(similarity("The user's daughter is called Ada.", "My daughter is called Eve.")).toBeCloseTo(2 / 3, 5);
    expect(similarity("I'm vegetarian", "I am vegetarian.")).toBe(1);
    expect(similarity("My daughter is called Ada", "My son is called Tom")).toBeCloseTo(1 / 3, 5);
    expect(similarity("I like tennis", "I like football")).toBe(0.5);
  });

  test("coverage: all of the named words, prefixes of longer words included", () => {
    expect(coverage("my car", "My car is parked on level 3.")).toBe(1);
    expect(coverage("where I park", "My car is parked on level 3.")).toBe(1);
    expect(coverage("that I like football", "I like tennis")).toBe(0.5);
  });
});

describe("extraction answers", () => {
  const known = new Set(["m1", "m2"]);

  test("JSON in prose or a code fence; operations checked one by one", () => {
    const answer = `Sure! \`\`\`json
{"operations": [
  {"op": "add", "text": "  The user is   vegetarian. "},
  {"op": "update", "id": "m1", "text": "The user's car is on level 5."},
  {"op": "delete", "id": "m2"},
  {"op": "delete", "id": "someone-elses"},
  {"op": "update", "id": "not-shown", "text": "The user has a dog."},
  {"op": "add", "text": ""},
  {"op": "rename", "id": "m1"}
]}
\`\`\``;
    expect(parseOperations(answer, known)).toEqual([
      { op: "add", text: "The user is vegetarian." },
      { op: "update", id: "m1", text: "The user's car is on level 5." },
      { op: "delete", id: "m2" },
      { op: "add", text: "The user has a dog." },
    ]);
  });

  test("a bare array, nothing to remember, at most five operations, texts cut to 500 characters", () => {
    expect(parseOperations('[{"op":"add","text":"The user is left-handed."}]', known)).toEqual([{ op: "add", text: "The user is left-handed." }]);
    expect(parseOperations('{"operations": []}', known)).toEqual([]);
    const many = JSON.stringify({ operations: Array.from({ length: 9 }, (_, i) => ({ op: "add", text: `Fact ${i} ${"x".repeat(600)}` })) });
    const parsed = parseOperations(many, known);
    expect(parsed).toHaveLength(5);
    expect((parsed[0] as { text: string }).text).toHaveLength(500);
  });

  test.each(["I don't see any facts here.", '{"operations": [', '{"facts": []}'])("%p is an error, not an empty answer", (answer) => {
    expect(() => parseOperations(answer, known)).toThrow();
  });
});

describe("the prompt section", () => {
  const memories = Array.from({ length: 60 }, (_, i) => ({ id: `m${i}`, text: `Fact number ${i}: ${"the user said something long about this. ".repeat(3)}` }));

  test("stays within the token budget however many memories match, most relevant first", () => {
    const section = memorySection({ memories, budgetTokens: 300 });
    expect(estimateTokens(section.text)).toBeLessThanOrEqual(300);
    expect(section.usedIds.length).toBeGreaterThan(3);
    expect(section.usedIds).toEqual(memories.slice(0, section.usedIds.length).map((m) => m.id));
    expect(section.text).toContain("Fact number 0:");
  });

  test("the note of an explicit request comes first and is kept; nothing to add is an empty string", () => {
    const section = memorySection({ note: "At the user's request you have just saved …", memories, budgetTokens: 120 });
    expect(section.text).toStartWith("At the user's request");
    expect(estimateTokens(section.text)).toBeLessThanOrEqual(120);
    expect(memorySection({ memories: [], budgetTokens: 300 }).text).toBe("");
  });

  test("asked what is remembered with no memories: says there are none", () => {
    expect(memorySection({ memories: [], budgetTokens: 300, recallCount: 0 }).text).toContain("do not remember anything");
  });
});
