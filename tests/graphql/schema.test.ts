import { expect, test } from "bun:test";
import { printedSchema } from "../../server/src/graphql/schema.ts";

test("the committed schema.graphql matches the code (run `bun run schema:print` after changing the API)", async () => {
  const committed = await Bun.file(new URL("../../schema.graphql", import.meta.url)).text();
  expect(committed).toBe(printedSchema());
});
