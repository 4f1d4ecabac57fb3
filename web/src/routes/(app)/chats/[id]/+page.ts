import { fetchChat } from "#lib/chats.ts";
import { OPEN_CHAT } from "#lib/invalidation.ts";
import { orErrorPage } from "#lib/load-errors.ts";
import type { PageLoad } from "./$types";

export const load: PageLoad = ({ params, depends }) => {
  depends(OPEN_CHAT);
  return orErrorPage(async () => ({ chat: await fetchChat(params.id) }));
};
