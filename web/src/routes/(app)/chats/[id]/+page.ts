import { fetchChat } from "#lib/chats.ts";
import { RequestFailed } from "#lib/graphql.ts";
import { OPEN_CHAT } from "#lib/invalidation.ts";
import { orErrorPage } from "#lib/load-errors.ts";
import type { PageLoad } from "./$types";

/** The chat with its newest page of messages, or the page around `?m=` (a search hit). */
export const load: PageLoad = ({ params, url, depends }) => {
  depends(OPEN_CHAT);
  const around = url.searchParams.get("m");
  return orErrorPage(async () => {
    if (around) {
      try {
        return { chat: await fetchChat(params.id, around), around };
      } catch (problem) {
        // The message is no longer in the version shown (or gone): open at the newest.
        if (!(problem instanceof RequestFailed) || problem.code !== "BAD_USER_INPUT") throw problem;
      }
    }
    return { chat: await fetchChat(params.id), around: null };
  });
};
