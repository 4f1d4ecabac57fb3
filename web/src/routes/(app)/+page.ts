import { fetchChats } from "#lib/chats.ts";
import { HOME_LISTS } from "#lib/invalidation.ts";
import { orErrorPage } from "#lib/load-errors.ts";
import { fetchModels } from "#lib/models.ts";
import type { PageLoad } from "./$types";

export const load: PageLoad = ({ depends }) => {
  depends(HOME_LISTS);
  return orErrorPage(async () => {
    const [chats, models] = await Promise.all([fetchChats(), fetchModels()]);
    return { chats, models };
  });
};
