import { redirect } from "@sveltejs/kit";
import { showErrorPage } from "#lib/load-errors.ts";
import type { PageLoad } from "./$types";

export const load: PageLoad = async ({ parent }) => {
  const { viewer, viewerProblem } = await parent();
  if (viewerProblem) showErrorPage(viewerProblem);
  if (viewer) redirect(307, "/");
};
