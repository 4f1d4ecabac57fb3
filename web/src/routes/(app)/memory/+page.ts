import { orErrorPage } from "#lib/load-errors.ts";
import { fetchMemoryPage, MEMORY_PAGE } from "#lib/memory.ts";
import type { PageLoad } from "./$types";

export const load: PageLoad = ({ depends }) => {
  depends(MEMORY_PAGE);
  return orErrorPage(fetchMemoryPage);
};
