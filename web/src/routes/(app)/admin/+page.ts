import { error } from "@sveltejs/kit";
import { ADMIN_OVERVIEW } from "#lib/admin.ts";
import { client, dataOf } from "#lib/graphql.ts";
import { ADMIN_PAGE } from "#lib/invalidation.ts";
import { orErrorPage } from "#lib/load-errors.ts";
import type { PageLoad } from "./$types";

/** Administrators only (the server refuses everyone else too). */
export const load: PageLoad = async ({ parent, depends, url }) => {
  depends(ADMIN_PAGE);
  const { viewer } = await parent();
  if (viewer.role !== "ADMIN") error(403, "Only an administrator of this server may open the Administration page.");
  const search = url.searchParams.get("search") ?? "";
  return orErrorPage(async () => ({
    search,
    overview: dataOf(await client.query(ADMIN_OVERVIEW, { search: search || null }, { requestPolicy: "network-only" })),
  }));
};
