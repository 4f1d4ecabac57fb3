/**
 * The codes errors carry in `extensions.code`, as an enum in the schema: no field returns
 * it, but it puts the set of codes in schema.graphql, so clients (the web UI) are typed
 * from it. Its values come from errors.ts, so the two cannot drift.
 */
import { ERROR_CODES, type ErrorCode, httpStatusOf, INTERNAL_ERROR_CODE } from "../errors.ts";
import { builder } from "./builder.ts";

const CODES = [...ERROR_CODES, INTERNAL_ERROR_CODE] as const;
type Code = ErrorCode | typeof INTERNAL_ERROR_CODE;

/** What each code means to a client; a new code fails the typecheck until described here. */
const MEANING: Record<Code, string> = {
  UNAUTHENTICATED: "Not signed in, or the session ended: sign in again.",
  FORBIDDEN: "Signed in, but not allowed to do this.",
  NOT_FOUND: "What the request names does not exist or is not the viewer's.",
  BAD_USER_INPUT: "The input was refused; `extensions.field` names the field when one is to blame.",
  RATE_LIMITED: "Too many attempts: wait and try again.",
  CONFLICT: "It clashes with what is there: an email already in use, a reply still being written.",
  BUDGET_EXCEEDED: "A monthly budget (the user's, or a shared model's) is spent; `extensions.budget` has the figures {scope, limit, spent, resetsAt, modelName}. Nothing was sent to the provider.",
  UNAVAILABLE: "The database is not answering (down, too slow, full or read-only): try again in a moment.",
  INTERNAL_SERVER_ERROR: "Something unexpected failed on the server; the message says no more.",
};

const statusOf = (code: Code) => (code === INTERNAL_ERROR_CODE ? 500 : httpStatusOf[code]);

builder.enumType("ErrorCode", {
  description: "The code of a GraphQL error (`extensions.code`). Each value says the HTTP status that stands for it (REST routes answer with it).",
  values: Object.fromEntries(CODES.map((code) => [code, { description: `HTTP ${statusOf(code)}. ${MEANING[code]}` }])),
});
