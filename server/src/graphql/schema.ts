import "./index.ts";
import { lexicographicSortSchema, printSchema } from "graphql";
import { builder } from "./builder.ts";

export const schema = builder.toSchema();

/** The committed `schema.graphql`; tests fail when it is stale (`bun run schema:print` rewrites it). */
export function printedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
