/**
 * "Firefox on Windows", "Safari on iPhone": enough of a User-Agent for a person to tell their
 * sessions apart on the account page. Deliberately small (no parser library): browsers and
 * systems people use, in the order their User-Agents must be tested (Edge and Chrome say
 * "Safari", Chrome on iOS says "CriOS").
 */
const BROWSERS: [RegExp, string][] = [
  [/Edg(e|A|iOS)?\//, "Edge"],
  [/OPR\/|Opera/, "Opera"],
  [/SamsungBrowser\//, "Samsung Internet"],
  [/Firefox\/|FxiOS\//, "Firefox"],
  [/Chrome\/|CriOS\/|Chromium\//, "Chrome"],
  [/Safari\//, "Safari"],
  [/^curl\//, "curl"],
  [/Dart\//, "Noa app"],
];
const SYSTEMS: [RegExp, string][] = [
  [/iPhone/, "iPhone"],
  [/iPad/, "iPad"],
  [/Android/, "Android"],
  [/Windows/, "Windows"],
  [/Mac OS X|Macintosh/, "macOS"],
  [/CrOS/, "ChromeOS"],
  [/Linux/, "Linux"],
];

export function describeUserAgent(userAgent: string): { browser: string | null; system: string | null; label: string } {
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1] ?? null;
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1] ?? null;
  const label = browser && system ? `${browser} on ${system}` : (browser ?? system ?? (userAgent.trim() ? "Unknown browser" : "Unknown device"));
  return { browser, system, label };
}
