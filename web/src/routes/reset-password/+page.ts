import { orErrorPage } from "#lib/load-errors.ts";
import { fetchServerInfo } from "#lib/session.ts";
import type { PageLoad } from "./$types";

/** Whether this server can mail reset links (otherwise the page says to ask the administrator). */
export const load: PageLoad = async () => ({ serverInfo: await orErrorPage(fetchServerInfo) });
