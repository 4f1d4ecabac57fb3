import { redirect } from "@sveltejs/kit";
import { orErrorPage, showErrorPage } from "#lib/load-errors.ts";
import { fetchServerInfo } from "#lib/session.ts";
import type { PageLoad } from "./$types";

/** Whether the server still needs its first account (then this page offers to create the administrator). */
export const load: PageLoad = async ({ parent }) => {
  const { viewer, viewerProblem } = await parent();
  if (viewerProblem) showErrorPage(viewerProblem);
  if (viewer) redirect(307, "/");
  return { serverInfo: await orErrorPage(fetchServerInfo) };
};
