import { RequestFailed } from "#lib/graphql.ts";
import type { LoadProblem } from "#lib/load-errors.ts";
import { fetchViewer, type Viewer } from "#lib/session.ts";
import { applyTheme, storedTheme } from "#lib/theme.ts";
import type { LayoutLoad } from "./$types";

// A single-page app: the API server answers every page path with the built index.html
// and all data comes from /graphql in the browser, so nothing renders on the server.
export const ssr = false;
export const prerender = false;

// The theme this browser remembers, before anything is drawn (no inline script needed).
applyTheme(storedTheme());

/**
 * Who is signed in. Runs once per app start, and again after signing in or out
 * (`goto(..., { refreshAll: true })`). A failure is handed to the pages below to
 * show: an error thrown from the root layout would skip the app's own error page.
 */
export const load: LayoutLoad = async (): Promise<{ viewer: Viewer | null; viewerProblem: LoadProblem | null }> => {
  try {
    return { viewer: await fetchViewer(), viewerProblem: null };
  } catch (problem) {
    if (!(problem instanceof RequestFailed)) throw problem;
    return { viewer: null, viewerProblem: { message: problem.message, code: problem.code } };
  }
};
