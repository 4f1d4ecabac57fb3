/**
 * Code highlighting, loaded only when a reply shows a code block (markdown.ts leaves the
 * blocks plain): highlight.js's core with the languages chats use most. Its output is
 * escaped text in spans with classes (styled in app.css), nothing else.
 */
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import csharp from "highlight.js/lib/languages/csharp";
import css from "highlight.js/lib/languages/css";
import diff from "highlight.js/lib/languages/diff";
import go from "highlight.js/lib/languages/go";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import kotlin from "highlight.js/lib/languages/kotlin";
import markdown from "highlight.js/lib/languages/markdown";
import php from "highlight.js/lib/languages/php";
import python from "highlight.js/lib/languages/python";
import ruby from "highlight.js/lib/languages/ruby";
import rust from "highlight.js/lib/languages/rust";
import sql from "highlight.js/lib/languages/sql";
import swift from "highlight.js/lib/languages/swift";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";

const LANGUAGES = { bash, c, cpp, csharp, css, diff, go, java, javascript, json, kotlin, markdown, php, python, ruby, rust, sql, swift, typescript, xml, yaml };
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);
hljs.configure({ ignoreUnescapedHTML: true });

/** Guessing the language of a long unlabelled block costs more than it is worth. */
const MAX_GUESS_LENGTH = 5000;

function highlight(code: HTMLElement): void {
  if (code.classList.contains("hljs")) return;
  const language = [...code.classList].find((c) => c.startsWith("language-"))?.slice("language-".length);
  const text = code.textContent ?? "";
  if (language && hljs.getLanguage(language)) {
    code.innerHTML = hljs.highlight(text, { language, ignoreIllegals: true }).value;
  } else if (!language && text.length <= MAX_GUESS_LENGTH) {
    code.innerHTML = hljs.highlightAuto(text).value;
  }
  code.classList.add("hljs");
}

/** Blocks come into view a few at a time; each is highlighted in its own small task. */
const observer =
  typeof IntersectionObserver === "undefined"
    ? null
    : new IntersectionObserver(
        (entries) => {
          for (const entry of entries) {
            if (!entry.isIntersecting) continue;
            observer!.unobserve(entry.target);
            setTimeout(() => highlight(entry.target as HTMLElement), 0);
          }
        },
        { rootMargin: "300px 0px" },
      );

/**
 * Highlights the code blocks under `root` as they come near the screen (a long reply's
 * dozens of blocks are not all highlighted at once, which would stall the page).
 */
export function highlightWithin(root: HTMLElement): void {
  for (const code of root.querySelectorAll<HTMLElement>("pre code:not(.hljs)")) {
    if (observer) observer.observe(code);
    else highlight(code);
  }
}
