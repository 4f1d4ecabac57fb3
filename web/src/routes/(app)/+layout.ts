import { redirect } from "@sveltejs/kit";
import { showErrorPage } from "#lib/load-errors.ts";
import type { LayoutLoad } from "./$types";

/** Everything in (app) needs a signed-in user; pages below get `viewer` non-null. */
export const load: LayoutLoad = async ({ parent }) => {
  const { viewer, viewerProblem } = await parent();
  if (viewerProblem) showErrorPage(viewerProblem);
  if (!viewer) redirect(307, "/signin");
  return { viewer };
};
