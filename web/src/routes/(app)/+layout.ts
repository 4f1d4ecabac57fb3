import { redirect } from "@sveltejs/kit";
import { MODELS } from "#lib/invalidation.ts";
import { orErrorPage, showErrorPage } from "#lib/load-errors.ts";
import { fetchModels } from "#lib/models.ts";
import type { LayoutLoad } from "./$types";

/** Everything in (app) needs a signed-in user; pages below get `viewer` non-null, and the user's models. */
export const load: LayoutLoad = async ({ parent, depends }) => {
  const { viewer, viewerProblem } = await parent();
  if (viewerProblem) showErrorPage(viewerProblem);
  if (!viewer) redirect(307, "/signin");
  depends(MODELS);
  const models = await orErrorPage(fetchModels);
  return { viewer, models };
};
