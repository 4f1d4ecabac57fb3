/** The OpenAI-compatible API (/v1): what other features may use. */
export { CHAT_ID_HEADER, openaiRoutes } from "./route.ts";
export type { OpenAIApiDependencies } from "./service.ts";
