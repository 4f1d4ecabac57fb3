/**
 * The built web UI served by the real app on a loopback port, and headless Chromium
 * (Debian's, driven by playwright-core) to use it. Browser tests build nothing: they
 * need `bun run web:build` (tests/run.ts does it when the build is missing) and
 * `apt-get install -y chromium`. Without Chromium they are skipped, saying so
 * (optional-tools.ts); each file wraps its tests in `describe.if(BROWSER_TESTS_RUN)`.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium, type Page } from "playwright-core";
import { startTestApp, type TestApp } from "./app.ts";
import { shouldRunWith } from "./optional-tools.ts";

export const WEB_BUILD_DIR = join(import.meta.dir, "..", "..", "web", "build");
const CHROMIUM = "/usr/bin/chromium";
// Without the networking flags Chromium keeps calling home, which this machine refuses.
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
/** False where Chromium is missing (and TEST_REQUIRE_TOOLS does not name it): the browser tests are skipped. */
export const BROWSER_TESTS_RUN = shouldRunWith("chromium", existsSync(CHROMIUM), "apt-get install -y chromium");
/**
 * Per browser step; a step that hangs fails with Playwright's message about what it waited
 * for. Generous: the machines that run the suite are shared and often busy.
 */
export const STEP_TIMEOUT_MS = 15_000;
/** Per browser test: each is a whole walk through the UI, many steps long. */
export const BROWSER_TEST_TIMEOUT_MS = 120_000;

/** Where every browser test leaves a picture of what it ended on (git-ignored). */
export const SCREENSHOT_DIR = process.env.AIUI_SCREENSHOT_DIR ?? join(import.meta.dir, "..", "..", "test-results", "screenshots");

export interface WebUnderTest {
  app: TestApp;
  browser: Browser;
  baseUrl: string;
  close(): Promise<void>;
}

/** `env`: more configuration for the app (e.g. SMTP_URL for the password-reset test). */
export async function startWebUnderTest(env: Record<string, string> = {}): Promise<WebUnderTest> {
  if (!existsSync(join(WEB_BUILD_DIR, "index.html"))) {
    throw new Error(`The web UI is not built (${WEB_BUILD_DIR}/index.html is missing): run \`bun run web:build\` first.`);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with \`apt-get install -y chromium\`.`);
  const app = await startTestApp({ WEB_BUILD_DIR, ...env });
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (request) => app.handle(request) });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  return {
    app,
    browser,
    baseUrl: `http://127.0.0.1:${server.port}`,
    async close() {
      await browser.close();
      await server.stop(true);
      await app.close();
    },
  };
}

/** Saves the page as SCREENSHOT_DIR/NAME.png, to look at what a test saw. */
export async function saveScreenshot(page: Page, name: string, fullPage = false): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage });
}

/**
 * A browser profile signed in as a new account made through the API (faster than the form,
 * which shell.test.ts walks through), with its GraphQL client for setting things up.
 */
export async function signedInSession(web: WebUnderTest, email: string, options: BrowserContextOptions = {}) {
  const client = await web.app.signedUp(email);
  const session = await openBrowserSession(web.browser, options);
  const cookie = client.cookie!;
  const at = cookie.indexOf("=");
  await session.context.addCookies([{ name: cookie.slice(0, at), value: cookie.slice(at + 1), url: web.baseUrl }]);
  return { ...session, client };
}

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors in the page and Content-Security-Policy violations; tests expect none. */
  pageErrors: string[];
}

/**
 * A fresh browser profile (own cookies) with one page that records uncaught page errors and
 * every Content-Security-Policy violation (the server's policy must let the built UI run
 * untouched: server/src/web/security-headers.ts).
 */
export async function openBrowserSession(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserSession> {
  const context = await browser.newContext(options);
  const pageErrors: string[] = [];
  await context.exposeBinding("__reportCspViolation", (_source, report: string) => void pageErrors.push(`CSP violation: ${report}`));
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      const report = (globalThis as unknown as { __reportCspViolation(report: string): void }).__reportCspViolation;
      report(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} (${event.sourceFile}:${event.lineNumber})`);
    });
  });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.on("pageerror", (error) => pageErrors.push(error.message));
  // Violations the page's own listener cannot see (e.g. before it is installed) reach the console.
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy/i.test(message.text())) pageErrors.push(`CSP violation: ${message.text()}`);
  });
  return { context, page, pageErrors };
}
