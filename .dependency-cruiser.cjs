/**
 * The server's structure as rules, checked by `bun run lint` (dependency-cruiser).
 * Features (server/src/<feature>/) meet at public entries; the per-user fence is the
 * accounts feature's own business; no cycles. See docs/decisions/0007-structural-fence.md.
 */
// Shared kernel every feature may use in depth: the database client and its generated
// types, and the crypto helpers.
const KERNEL = "^server/src/(db|crypto)/";
// A feature's public entry: its index.ts. GraphQL's index.ts is Pothos' import-only
// index of the schema files, so its entry is server.ts.
const ENTRIES = ["^server/src/[^/]+/index\\.ts$", "^server/src/graphql/server\\.ts$"];

module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      comment: "Import cycles make start-up order and refactoring fragile.",
      severity: "error",
      from: { path: "^server/" },
      to: { circular: true },
    },
    {
      name: "features-meet-at-public-entries",
      comment: "A feature may import another feature only through that feature's public entry (index.ts).",
      severity: "error",
      from: { path: "^server/src/([^/]+)/" },
      to: { path: "^server/src/[^/]+/", pathNot: ["^server/src/$1/", KERNEL, ...ENTRIES] },
    },
    {
      name: "composition-root-uses-public-entries",
      comment: "app.ts and main.ts wire features together through their public entries too.",
      severity: "error",
      from: { path: "^server/src/[^/]+\\.ts$" },
      to: { path: "^server/src/[^/]+/", pathNot: [KERNEL, ...ENTRIES] },
    },
    {
      name: "fence-stays-in-accounts",
      comment: "Request code gets fenced clients from accounts/identity.ts; nobody else builds them.",
      severity: "error",
      from: { path: "^server/", pathNot: "^server/src/accounts/" },
      to: { path: "^server/src/accounts/fence\\.ts$" },
    },
    {
      name: "only-the-app-serves-graphql",
      comment: "REST routes and services never import the GraphQL layer; it imports them.",
      severity: "error",
      from: { path: "^server/src/", pathNot: ["^server/src/graphql/", "^server/src/app\\.ts$"] },
      to: { path: "^server/src/graphql/" },
    },
    {
      name: "server-stands-alone",
      comment: "The server never imports tests, benchmarks or the web UI's sources.",
      severity: "error",
      from: { path: "^server/" },
      to: { path: "^(tests|bench|web)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^server/src/db/generated/" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
