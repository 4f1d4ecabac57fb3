/**
 * The colour theme: follow the device (SYSTEM), or LIGHT or DARK. Kept on the account (the
 * settings page) and in this browser, so it applies before the account is loaded. Applied as
 * `data-theme` on <html> (app.css), from the app's own code: no inline script is needed.
 */
export type ThemeChoice = "SYSTEM" | "LIGHT" | "DARK";
const STORAGE_KEY = "aiui-theme";

export function storedTheme(): ThemeChoice {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value === "LIGHT" || value === "DARK" ? value : "SYSTEM";
  } catch {
    return "SYSTEM";
  }
}

export function applyTheme(choice: ThemeChoice): void {
  const root = document.documentElement;
  if (choice === "SYSTEM") delete root.dataset.theme;
  else root.dataset.theme = choice.toLowerCase();
  try {
    localStorage.setItem(STORAGE_KEY, choice);
  } catch {
    // Private windows may refuse storage; the account still keeps the choice.
  }
}
