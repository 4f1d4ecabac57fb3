import { fetchAccountSessions } from "#lib/account.ts";
import { ACCOUNT_PAGE } from "#lib/invalidation.ts";
import { orErrorPage } from "#lib/load-errors.ts";
import type { PageLoad } from "./$types";

export const load: PageLoad = ({ depends }) => {
  depends(ACCOUNT_PAGE);
  return orErrorPage(async () => ({ sessions: await fetchAccountSessions() }));
};
