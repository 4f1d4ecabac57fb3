/**
 * The structure rules (.dependency-cruiser.cjs, run by `bun run lint`) hold for the real
 * server, and each one catches the violation it is for: checked on small trees written
 * to a temp folder, never by touching server/.
 */
import { afterAll, expect, test } from "bun:test";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

const root = resolve(import.meta.dir, "../..");
const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function cruise(cwd: string): { exitCode: number; output: string } {
  const result = Bun.spawnSync(
    ["bun", "--bun", join(root, "node_modules/.bin/depcruise"), "server", "--config", join(root, ".dependency-cruiser.cjs"), "--output-type", "err"],
    { cwd, stdout: "pipe", stderr: "pipe" },
  );
  return { exitCode: result.exitCode, output: result.stdout.toString() + result.stderr.toString() };
}

/** A tree with these files (path → source) and the project's tsconfig, to cruise. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "aiui-structure-"));
  temps.push(dir);
  cpSync(join(root, "tsconfig.json"), join(dir, "tsconfig.json"));
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), source);
  }
  return dir;
}

test("the server as it is keeps every rule", () => {
  const { exitCode, output } = cruise(root);
  expect(output).toContain("no dependency violations found");
  expect(exitCode).toBe(0);
});

test.each([
  [
    "features-meet-at-public-entries",
    {
      "server/src/generation/generator.ts": "export const costOf = 1;\n",
      "server/src/generation/index.ts": 'export { costOf } from "./generator.ts";\n',
      "server/src/glasses/service.ts": 'import { costOf } from "../generation/generator.ts";\nexport const x = costOf;\n',
    },
  ],
  [
    "composition-root-uses-public-entries",
    {
      "server/src/glasses/route.ts": "export const route = 1;\n",
      "server/src/app.ts": 'import { route } from "./glasses/route.ts";\nexport const app = route;\n',
    },
  ],
  [
    "fence-stays-in-accounts",
    {
      "server/src/accounts/fence.ts": "export const fenceFor = 1;\n",
      "server/src/generation/service.ts": 'import { fenceFor } from "../accounts/fence.ts";\nexport const x = fenceFor;\n',
    },
  ],
  [
    "only-the-app-serves-graphql",
    {
      "server/src/graphql/server.ts": "export const readCookie = 1;\n",
      "server/src/attachments/route.ts": 'import { readCookie } from "../graphql/server.ts";\nexport const x = readCookie;\n',
    },
  ],
  [
    "no-cycles",
    {
      "server/src/chats/a.ts": 'import { b } from "./b.ts";\nexport const a = () => b;\n',
      "server/src/chats/b.ts": 'import { a } from "./a.ts";\nexport const b = () => a;\n',
    },
  ],
])("a tree breaking %s fails the check", (rule, files) => {
  const { exitCode, output } = cruise(tree(files));
  expect(output).toContain(rule);
  expect(exitCode).not.toBe(0);
});
