// Configuration of the Prisma 7 CLI, which prisma/scripts/generate.ts runs for `generate` only
// (the clients and the Pothos types; no database, no engine). Migrations are written by the
// Prisma 6.19 CLI (prisma/migrate-diff.config.ts) and applied by server/src/db/migrate.ts.
// See docs/decisions/0001-one-schema-three-databases.md and 0018-prisma-7.md.
import { defineConfig } from "prisma/config";

export default defineConfig({});
