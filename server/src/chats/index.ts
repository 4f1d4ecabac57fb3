/** Chats: what other features may use. */
export { type BranchReader, createBranchReader } from "./branch.ts";
export {
  type BranchPageArgs,
  type BranchWindow,
  branchWindow,
  checkMessageContent,
  createChat,
  DEFAULT_CHAT_TITLE,
  deleteChat,
  getChat,
  MAX_MESSAGE_LENGTH,
  MESSAGES_PER_PAGE,
  pageOfBranch,
  renameChat,
  switchVersion,
  titleFromMessage,
} from "./service.ts";
export { newChatId, newMessageId } from "./ids.ts";
export { loadTree, MessageTree, type TreeNode } from "./tree.ts";
export { chatRoutes } from "./route.ts";
