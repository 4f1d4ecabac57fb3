/**
 * Tests that need a tool Bun does not bring (Chromium for the browser tests, ffmpeg for
 * audio conversion) run only where it is installed. Elsewhere they are reported as
 * skipped, with one line saying how to enable them. CI must never skip them quietly:
 * `TEST_REQUIRE_TOOLS=chromium,ffmpeg` (.ci/run sets it) makes them run anyway, so a
 * missing tool fails them.
 */
const required = new Set(
  (process.env.TEST_REQUIRE_TOOLS ?? "")
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean),
);
const announced = new Set<string>();

/** Whether the tests that need `tool` should run; says once per test process why not. */
export function shouldRunWith(tool: string, available: boolean, howToInstall: string): boolean {
  if (available || required.has(tool)) return true;
  if (!announced.has(tool)) {
    announced.add(tool);
    console.warn(`[skip] ${tool} is not installed: its tests are skipped. Enable them with \`${howToInstall}\`.`);
  }
  return false;
}
