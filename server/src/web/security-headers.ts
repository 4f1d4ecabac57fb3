/**
 * Security headers on every response (API, GraphQL, the web UI's files, attachments,
 * errors): no MIME sniffing, no framing by anyone (the signed-in UI cannot be put in a
 * frame, same-site or not), the page's address not sent to other sites, HSTS when AIUI is
 * served over https, and a Content-Security-Policy per kind of response:
 *
 * - the web UI's page: its own scripts and style sheets only, plus the one inline bootstrap
 *   script SvelteKit's static build writes, allowed by its hash (computed from the built
 *   file, uiPolicy()), and style attributes (SvelteKit's runtime sets some);
 * - the developer tools' pages (GraphiQL, the OpenAPI reference), which load their code
 *   from a CDN and run inline scripts: those, and nothing else beyond 'self';
 * - a picture opened on its own (attachments/route.ts): style attributes for the page the
 *   browser draws around it, nothing else;
 * - everything else (JSON, files): nothing may load except images.
 */
import { createHash } from "node:crypto";
import { Elysia } from "elysia";

const NOT_FRAMED = "frame-ancestors 'none'";

/** JSON, attachments, errors, the UI's scripts and styles: documents of their own that need nothing. */
export const API_POLICY = ["default-src 'none'", "img-src 'self'", NOT_FRAMED, "base-uri 'none'", "form-action 'none'"].join("; ");

/**
 * A picture a user opens on its own (an attachment, full size in a tab): the browser shows
 * it in a page it writes itself, with style attributes on the image and the page; nothing else.
 */
export const PICTURE_POLICY = [...API_POLICY.split("; "), "style-src-attr 'unsafe-inline'"].join("; ");

/** GraphiQL (development) and the OpenAPI reference: CDN code, inline scripts and styles, workers from blobs. */
export const TOOL_PAGE_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline' https://unpkg.com https://cdn.jsdelivr.net",
  "style-src 'self' 'unsafe-inline' https://unpkg.com https://cdn.jsdelivr.net https://fonts.googleapis.com",
  "font-src 'self' data: https:",
  "img-src 'self' data: blob: https:",
  "connect-src 'self' https://unpkg.com https://cdn.jsdelivr.net",
  "worker-src 'self' blob:",
  NOT_FRAMED,
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

/** The hashes of the inline scripts of a built page (SvelteKit's static adapter writes one, its bootstrap). */
export function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/gi)].map(
    (match) => `'sha256-${createHash("sha256").update(match[1]!).digest("base64")}'`,
  );
}

/** The web UI page's policy: its own origin for everything, and its inline scripts by hash. */
export function uiPolicy(html: string): string {
  return [
    "default-src 'self'",
    `script-src 'self' ${inlineScriptHashes(html).join(" ")}`.trim(),
    "style-src 'self'",
    // SvelteKit's runtime writes style attributes (its route announcer, for one); style
    // elements and sheets stay limited to the UI's own files.
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "object-src 'none'",
    NOT_FRAMED,
    "base-uri 'none'",
    "form-action 'self'",
  ].join("; ");
}

/** GraphiQL (a browser's GET of /graphql, which asks for HTML) and the OpenAPI reference (/openapi). */
function isToolPage(request: Request): boolean {
  if (request.method !== "GET") return false;
  const { pathname } = new URL(request.url);
  return pathname === "/openapi" || (pathname === "/graphql" && (request.headers.get("accept") ?? "").includes("text/html"));
}

export function securityHeaders(options: { publicUrl?: string }) {
  const always: Record<string, string> = {
    "content-security-policy": API_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    ...(options.publicUrl?.startsWith("https:") ? { "strict-transport-security": "max-age=31536000" } : {}),
  };
  return (
    new Elysia({ name: "security-headers" })
      // Set before routing, so that every response carries them, errors, 404s and static
      // responses (the OpenAPI page) included. The web UI's route sets its page's policy.
      .onRequest(({ request, set }) => {
        Object.assign(set.headers, always);
        if (isToolPage(request)) set.headers["content-security-policy"] = TOOL_PAGE_POLICY;
      })
  );
}
