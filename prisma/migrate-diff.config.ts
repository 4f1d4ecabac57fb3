// Configuration of the Prisma 6.19 CLI (package alias `prisma6`), which prisma/scripts/generate.ts
// runs for `migrate diff` only: Prisma 7's CLI has no engine-free mode for migrate commands
// (they need the native schema engine, a download), 6.19's has one (`engine: "js"`). See
// docs/decisions/0018-prisma-7.md. `migrate diff` between two schema files connects to no
// database, but `engine: "js"` requires an adapter factory, so a throwaway in-memory SQLite
// one is given.
import { PrismaLibSQL } from "@prisma/adapter-libsql";
import { defineConfig } from "prisma6/config";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  async adapter() {
    return new PrismaLibSQL({ url: ":memory:" });
  },
});
