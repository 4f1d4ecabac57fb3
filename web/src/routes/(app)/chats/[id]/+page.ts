import { fetchChat } from "#lib/chats.ts";
import { OPEN_CHAT } from "#lib/invalidation.ts";
import { orErrorPage } from "#lib/load-errors.ts";
import { fetchModels } from "#lib/models.ts";
import type { PageLoad } from "./$types";

export const load: PageLoad = ({ params, depends }) => {
  depends(OPEN_CHAT);
  return orErrorPage(async () => {
    const [chat, models] = await Promise.all([fetchChat(params.id), fetchModels()]);
    return { chat, models };
  });
};
