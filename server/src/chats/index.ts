/** Chats: what other features may use. */
export {
  checkMessageContent,
  createChat,
  DEFAULT_CHAT_TITLE,
  deleteChat,
  getChat,
  MAX_MESSAGE_LENGTH,
  renameChat,
  titleFromMessage,
} from "./service.ts";
