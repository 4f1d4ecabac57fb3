/**
 * GraphQL Code Generator: types every GraphQL document in the web UI from the server's
 * printed schema (../schema.graphql), into src/lib/gql/ (generated, git-ignored).
 * Run with `bun run web:codegen`; `web:build` and `check` run it first. A document that
 * asks for a field the schema lacks fails generation, naming the field.
 *
 * AIUI_CODEGEN_SCHEMA and AIUI_CODEGEN_OUT point it elsewhere: tests/web/typed-documents.test.ts
 * generates from an altered schema into a temporary folder.
 */
import type { CodegenConfig } from "@graphql-codegen/cli";

const outDir = process.env.AIUI_CODEGEN_OUT ?? "src/lib/gql";
const out = outDir.endsWith("/") ? outDir : `${outDir}/`;

const config: CodegenConfig = {
  schema: process.env.AIUI_CODEGEN_SCHEMA ?? "../schema.graphql",
  documents: ["src/**/*.{ts,svelte}", "!src/lib/gql/**"],
  ignoreNoDocuments: false,
  generates: {
    [out]: {
      preset: "client",
      presetConfig: {
        // Components take the fields they show as plain data; no masked fragment references to unwrap.
        fragmentMasking: false,
      },
      config: {
        // The server sends DateTime as an ISO-8601 string (server/src/graphql/builder.ts).
        // File: what the web sends for pictures (urql turns a File in variables into a multipart request).
        scalars: { DateTime: "string", File: "File" },
        strictScalars: true,
        enumType: "string-literal",
        useTypeImports: true,
      },
    },
    // Every enum of the schema, used in a document or not: ErrorCode is returned by no field,
    // it types `extensions.code` (src/lib/graphql.ts).
    [`${out}enums.ts`]: {
      plugins: ["typescript"],
      config: { onlyEnums: true, enumsAsTypes: true },
    },
  },
};

export default config;
