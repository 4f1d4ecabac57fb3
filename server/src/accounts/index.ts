/** Accounts: what other features may use. Everything else in this folder is its own business. */
export { type Accounts, createAccounts } from "./service.ts";
export { type Identity, presentedToken, readCookie, SESSION_COOKIE, type SessionCaller, type TokenCaller } from "./identity.ts";
export { type SettingsInput, THEMES, type Theme, updateSettings } from "./settings.ts";
export { clientAddress, type TrustedProxies } from "./client-address.ts";
