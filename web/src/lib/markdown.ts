/**
 * Replies as Markdown (GitHub-flavoured: headings, lists, tables, links, quotes, inline and
 * fenced code), made safe to put in the page:
 *
 * - HTML written in a reply is shown as text, never interpreted (a chat about HTML shows it).
 * - The HTML marked produces goes through DOMPurify (a maintained sanitiser) all the same:
 *   no scripts, event handlers, `javascript:` URLs, forms, frames or inline styles (the CSP
 *   allows none).
 * - Links open in a new tab with rel="noopener noreferrer". Pictures are not loaded from
 *   other sites (that would tell them who reads the chat): they become links.
 * - A fenced code block gets a bar with its language and a Copy button; highlighting is
 *   added later, and only when a code block is on screen (highlight.ts, loaded on demand).
 */
import DOMPurify from "dompurify";
import { Marked, type Tokens } from "marked";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** A language name as a class token: letters, digits and a few marks; anything else is dropped. */
const languageOf = (lang: string | undefined) => (lang ?? "").trim().split(/\s+/)[0]!.replace(/[^\w#+.-]/g, "").slice(0, 30);

const marked = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    code({ text, lang }: Tokens.Code) {
      const language = languageOf(lang);
      const label = language || "text";
      const cls = language ? ` class="language-${escapeHtml(language)}"` : "";
      return (
        `<div class="code-block"><div class="code-bar"><span class="code-lang">${escapeHtml(label)}</span>` +
        `<button type="button" class="copy-code">Copy</button></div><pre><code${cls}>${escapeHtml(text)}</code></pre></div>\n`
      );
    },
    html({ text }: Tokens.HTML | Tokens.Tag) {
      return escapeHtml(text);
    },
    image({ href, text }: Tokens.Image) {
      return `<a href="${escapeHtml(href)}">${escapeHtml(text || href)}</a>`;
    },
  },
});

let hooked = false;
function purifier() {
  if (!hooked) {
    hooked = true;
    DOMPurify.addHook("afterSanitizeAttributes", (node) => {
      if (node.tagName === "A" && node.hasAttribute("href")) {
        node.setAttribute("target", "_blank");
        node.setAttribute("rel", "noopener noreferrer");
      }
    });
  }
  return DOMPurify;
}

const SANITIZE = {
  FORBID_TAGS: ["style", "form", "input", "textarea", "select", "iframe", "object", "embed", "img", "svg", "math"],
  FORBID_ATTR: ["style", "srcset"],
  ALLOW_DATA_ATTR: false,
};

export interface MarkdownBlock {
  /** Stable while the block's text is: the page keeps its elements. */
  key: string;
  html: string;
}

/**
 * A reply's Markdown as its top-level blocks (paragraphs, lists, tables, code blocks…),
 * each rendered and sanitised on its own. While a reply streams only its last block
 * changes: `cache` (by the block's source) keeps the others' HTML, and their keys stay,
 * so neither they nor their elements are redone per token.
 */
export function renderMarkdownBlocks(source: string, cache: Map<string, string>): MarkdownBlock[] {
  const tokens = marked.lexer(source);
  const blocks: MarkdownBlock[] = [];
  const used = new Set<string>();
  for (const [index, token] of tokens.entries()) {
    if (token.type === "space") continue;
    let html = cache.get(token.raw);
    if (html === undefined) {
      const one = Object.assign([token], { links: tokens.links });
      html = purifier().sanitize(marked.parser(one), SANITIZE) as string;
      cache.set(token.raw, html);
    }
    used.add(token.raw);
    blocks.push({ key: `${index}:${token.raw.length}`, html });
  }
  for (const raw of cache.keys()) if (!used.has(raw)) cache.delete(raw);
  return blocks;
}
