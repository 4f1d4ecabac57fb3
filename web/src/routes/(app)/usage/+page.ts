import { EVERYONE_USAGE, MY_USAGE } from "#lib/admin.ts";
import { client, dataOf } from "#lib/graphql.ts";
import { orErrorPage } from "#lib/load-errors.ts";
import type { PageLoad } from "./$types";

/** The last 30 days (UTC), mine; and everyone's for administrators. */
export const load: PageLoad = async ({ parent }) => {
  const { viewer } = await parent();
  const to = new Date().toISOString().slice(0, 10);
  const from = new Date(Date.now() - 29 * 86_400_000).toISOString().slice(0, 10);
  const days = Array.from({ length: 30 }, (_, i) => new Date(Date.parse(`${from}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10));
  return orErrorPage(async () => {
    const mine = dataOf(await client.query(MY_USAGE, { from, to }, { requestPolicy: "network-only" })).myUsage;
    const everyone = viewer.role === "ADMIN" ? dataOf(await client.query(EVERYONE_USAGE, { from, to }, { requestPolicy: "network-only" })) : null;
    return { days, mine, everyone };
  });
};
