import { redirect } from "@sveltejs/kit";
import { RequestFailed } from "#lib/graphql.ts";
import { MODELS } from "#lib/invalidation.ts";
import { orErrorPage, showErrorPage } from "#lib/load-errors.ts";
import { fetchModels } from "#lib/models.ts";
import type { LayoutLoad } from "./$types";

/** Everything in (app) needs a signed-in user; pages below get `viewer` non-null, and the user's models. */
export const load: LayoutLoad = async ({ parent, depends }) => {
  depends(MODELS);
  // Asked for alongside "who is signed in", not after it: one round trip less before a page shows.
  const models = fetchModels().catch((problem: unknown) => problem);
  const { viewer, viewerProblem } = await parent();
  if (viewerProblem) showErrorPage(viewerProblem);
  if (!viewer) redirect(307, "/signin");
  return {
    viewer,
    models: await orErrorPage(async () => {
      const result = await models;
      if (result instanceof RequestFailed || result instanceof Error) throw result;
      return result as Awaited<ReturnType<typeof fetchModels>>;
    }),
  };
};
