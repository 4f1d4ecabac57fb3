import { fetchGlassesPage } from "#lib/glasses.ts";
import { GLASSES_PAGE } from "#lib/invalidation.ts";
import { orErrorPage } from "#lib/load-errors.ts";
import type { PageLoad } from "./$types";

export const load: PageLoad = ({ depends }) => {
  depends(GLASSES_PAGE);
  return orErrorPage(fetchGlassesPage);
};
