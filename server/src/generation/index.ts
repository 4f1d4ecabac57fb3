/**
 * Generation: what other features may use. Streaming replies for chats (the reply
 * service), one-shot answers and speech for callers that wait for the whole answer
 * (the glasses), the pricing rule, and the rule that fits a conversation into a
 * model's context window (docs/decisions/0003-context-trimming.md).
 */
export { buildConversation, estimateTokens, type HistoryMessage } from "./conversation.ts";
export { costOf, type ReplyOptions } from "./generator.ts";
export type { ReplyEvent, ReplyUsage } from "./hub.ts";
export { type Answer, askModel, ProviderFailure, speak } from "./one-shot.ts";
export { type ConnectionCheck, type ConnectionTarget, checkConnection } from "./provider-check.ts";
export { providerClient } from "./provider-client.ts";
export { replyTooLong } from "./reply-errors.ts";
export { createReplyService, type HeldReplyEnd, type ReplyMemory, type ReplyService } from "./service.ts";
