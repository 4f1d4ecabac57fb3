/**
 * The web UI: a SvelteKit single-page app, built to web/build and served by the API
 * server (server/src/web/route.ts), which answers unknown paths with index.html.
 * Build with `bun run web:build` (Vite runs under Bun: kit 3 needs a newer Node than
 * the one on our machines).
 */
import adapter from "@sveltejs/adapter-static";
import { sveltekit } from "@sveltejs/kit/vite";
import { defineConfig } from "vite";

/** Where `vite dev` forwards API calls: a server started separately (`bun run serve`). */
const devApiUrl = process.env.AIUI_API_URL ?? "http://localhost:3000";

export default defineConfig({
  plugins: [
    sveltekit({
      adapter: adapter({ pages: "build", assets: "build", fallback: "index.html" }),
    }),
  ],
  server: {
    // /attachments: pictures in chats (session cookie); /mm: the glasses endpoint, so the
    // Glasses page's endpoint works against the dev server too.
    proxy: { "/graphql": devApiUrl, "/healthz": devApiUrl, "/attachments/": devApiUrl, "/mm/": devApiUrl },
  },
});
