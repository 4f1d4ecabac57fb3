/**
 * The web UI's GraphQL documents are checked against the server's schema: GraphQL Code
 * Generator (web/codegen.ts, run by `bun run typecheck` and `web:build`) refuses a
 * document that asks for a field schema.graphql lacks. Here it runs on a copy of the
 * schema with Chat.title renamed, into a temporary folder; the real generated folder
 * (web/src/lib/gql) is left alone.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FieldDefinitionNode, Kind, parse, print, visit } from "graphql";

const ROOT = join(import.meta.dir, "../..");
const WEB = join(ROOT, "web");
const SCHEMA = join(ROOT, "schema.graphql");
const CODEGEN = join(ROOT, "node_modules/.bin/graphql-codegen");
const REAL_OUTPUT = join(WEB, "src/lib/gql");

const scratch = mkdtempSync(join(tmpdir(), "aiui-codegen-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// Without NODE_ENV: bun test sets it to "test", and then codegen prints no errors at all.
const { NODE_ENV: _, ...environment } = process.env;

/** Runs the web's codegen config against `schema`, writing into `out`. */
function codegen(schema: string, out: string) {
  const result = Bun.spawnSync(["bun", "--bun", CODEGEN, "--config", "codegen.ts"], {
    cwd: WEB,
    env: { ...environment, AIUI_CODEGEN_SCHEMA: schema, AIUI_CODEGEN_OUT: out },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { exitCode: result.exitCode, output: `${result.stdout.toString()}${result.stderr.toString()}` };
}

/** schema.graphql with the field `type.field` renamed to `to`; throws if there is no such field. */
function schemaWithRenamedField(type: string, field: string, to: string): string {
  let renamed = 0;
  const document = visit(parse(readFileSync(SCHEMA, "utf8")), {
    ObjectTypeDefinition(node) {
      if (node.name.value !== type) return undefined;
      const fields = node.fields?.map((definition): FieldDefinitionNode => {
        if (definition.name.value !== field) return definition;
        renamed++;
        return { ...definition, name: { kind: Kind.NAME, value: to } };
      });
      return { ...node, fields };
    },
  });
  if (renamed !== 1) throw new Error(`schema.graphql has no field ${type}.${field} to rename`);
  return print(document);
}

/** The generated folder's files and contents, to show the test did not touch it. */
function snapshot(folder: string): Record<string, string> {
  if (!existsSync(folder)) return {};
  return Object.fromEntries(readdirSync(folder).map((name) => [name, readFileSync(join(folder, name), "utf8")]));
}

describe("web GraphQL documents against schema.graphql", () => {
  test("a renamed field the web still asks for fails generation, naming the field", () => {
    const before = snapshot(REAL_OUTPUT);
    const schema = join(scratch, "renamed.graphql");
    writeFileSync(schema, schemaWithRenamedField("Chat", "title", "name"));
    const out = join(scratch, "renamed-out");

    const { exitCode, output } = codegen(schema, out);

    expect(exitCode).not.toBe(0);
    expect(output).toContain('Cannot query field "title" on type "Chat"');
    // Nothing half-generated, and the real output untouched.
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    expect(snapshot(REAL_OUTPUT)).toEqual(before);
  });

  test("the committed schema generates typed documents and the ErrorCode type", () => {
    const out = join(scratch, "committed-out");

    const { exitCode, output } = codegen(SCHEMA, out);

    expect({ exitCode, output }).toMatchObject({ exitCode: 0 });
    const operations = readFileSync(join(out, "graphql.ts"), "utf8");
    expect(operations).toContain("export type ChatsQuery = { chats: { edges: Array<{ node: { id: string, title: string");
    const enums = readFileSync(join(out, "enums.ts"), "utf8");
    expect(enums).toContain("export type ErrorCode =");
    expect(enums).toContain("'INTERNAL_SERVER_ERROR'");
  });
});
