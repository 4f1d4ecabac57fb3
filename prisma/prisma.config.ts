// Prisma CLI configuration for the offline, engine-free workflow (see
// docs/decisions/0001-one-schema-three-databases.md). The CLI is only used by
// prisma/scripts/generate.ts for `generate` and `migrate diff`; neither connects
// to a database, but `engine: "js"` requires an adapter factory, so a throwaway
// in-memory SQLite one is given.
import { PrismaLibSQL } from "@prisma/adapter-libsql";
import { defineConfig } from "prisma/config";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  async adapter() {
    return new PrismaLibSQL({ url: ":memory:" });
  },
});
