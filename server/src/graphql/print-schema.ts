/** `bun run schema:print`: rewrites the committed schema.graphql from the Pothos schema. */
import { printedSchema } from "./schema.ts";

await Bun.write(new URL("../../../schema.graphql", import.meta.url), printedSchema());
console.log("schema.graphql written");
