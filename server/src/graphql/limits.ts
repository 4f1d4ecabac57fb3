/**
 * What one GraphQL request may ask for, enforced by GraphQL Armor before anything runs: a
 * request over a limit is refused with BAD_USER_INPUT and a sentence naming the limit, in
 * the parser (tokens: so a selection nested 100,000 deep never reaches the recursive parts)
 * or in validation (depth, aliases, directives, cost).
 *
 * The web UI's largest request (a chat with its messages, web/src/lib/chats.ts) has about
 * 80 tokens, depth 7, no aliases; tests/graphql/limits.test.ts runs every UI document
 * through these limits. Introspection (GraphiQL in development) is left to the token and
 * alias limits: its nested type references are deeper than any data query.
 */
import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { GraphQLError, type ValidationContext } from "graphql";

export const QUERY_LIMITS = {
  /** Names, punctuation and values in the query text. */
  tokens: 1000,
  /** Levels of nested selections (a fragment spread counts as a level). */
  depth: 12,
  aliases: 15,
  directives: 10,
  /** GraphQL Armor's cost: objects 2, scalars 1, each level ×1.5, `first`/`last` literals multiply. */
  cost: 5000,
} as const;

type Limit = keyof typeof QUERY_LIMITS;

const SENTENCES: Record<Limit, string> = {
  tokens: `The query is too long: at most ${QUERY_LIMITS.tokens} tokens (names, punctuation, values) are allowed.`,
  depth: `The query nests fields too deeply: at most ${QUERY_LIMITS.depth} levels are allowed.`,
  aliases: `The query uses too many aliases: at most ${QUERY_LIMITS.aliases} are allowed.`,
  directives: `The query uses too many directives: at most ${QUERY_LIMITS.directives} are allowed.`,
  cost: `The query asks for too much at once (cost limit ${QUERY_LIMITS.cost}): ask for fewer items or fields per request.`,
};

/** Armor's own report ("Syntax Error: Query depth limit of 12 exceeded, found 13.") becomes our sentence. */
function refuse(limit: Limit) {
  return (context: ValidationContext | null, armorError: GraphQLError) => {
    const found = /found (\d+)/.exec(armorError.message)?.[1];
    const refusal = new GraphQLError(`${SENTENCES[limit]}${found ? ` (This one: ${found}.)` : ""}`, {
      extensions: { code: "BAD_USER_INPUT", limit },
    });
    // Validation rules report; the parser has no context to report to, so it throws.
    if (context) context.reportError(refusal);
    else throw refusal;
  };
}

const limit = (name: Limit) => ({ exposeLimits: true, propagateOnRejection: false, onReject: [refuse(name)] });

/** `hideSuggestions`: no "Did you mean …?" in errors (they reveal the schema when introspection is off). */
export function queryLimits(options: { hideSuggestions: boolean }) {
  return EnvelopArmorPlugin({
    maxTokens: { n: QUERY_LIMITS.tokens, ...limit("tokens") },
    maxDepth: { n: QUERY_LIMITS.depth, ...limit("depth") },
    maxAliases: { n: QUERY_LIMITS.aliases, ...limit("aliases") },
    maxDirectives: { n: QUERY_LIMITS.directives, ...limit("directives") },
    costLimit: { maxCost: QUERY_LIMITS.cost, ...limit("cost") },
    blockFieldSuggestion: { enabled: options.hideSuggestions, mask: "" },
  });
}
