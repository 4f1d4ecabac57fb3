import { fetchAccessTokensPage } from "#lib/access-tokens.ts";
import { ACCESS_TOKENS_PAGE } from "#lib/invalidation.ts";
import { orErrorPage } from "#lib/load-errors.ts";
import type { PageLoad } from "./$types";

export const load: PageLoad = ({ depends }) => {
  depends(ACCESS_TOKENS_PAGE);
  return orErrorPage(fetchAccessTokensPage);
};
