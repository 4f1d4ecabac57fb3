/** Search over a user's chats: what other features may use. */
export { createSearch, MAX_SEARCH_RESULTS, type Search, type SearchIds } from "./service.ts";
export { snippetOf } from "./terms.ts";
