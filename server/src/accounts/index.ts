/** Accounts: what other features may use. Everything else in this folder is its own business. */
export {
  ACCESS_TOKEN_PREFIX,
  createAccessToken,
  GLASSES_TOKEN_PREFIX,
  hasScope,
  listAccessTokens,
  type NewAccessToken,
  revokeAccessToken,
  scopesOf,
  TOKEN_SCOPES,
  type TokenScope,
} from "./access-tokens.ts";
export { type Accounts, createAccounts } from "./service.ts";
export {
  bearerToken,
  IDENTITY_TOPIC,
  type Identity,
  type InvalidationChannel,
  presentedToken,
  readCookie,
  SESSION_COOKIE,
  type SessionCaller,
  type TokenCaller,
  type TokenUserCaller,
} from "./identity.ts";
export { type SettingsInput, THEMES, type Theme, updateSettings } from "./settings.ts";
export { clientAddress, type TrustedProxies } from "./client-address.ts";
export type { SessionView } from "./own-account.ts";
export { type AccountRow, commandLineAccounts } from "./command-line.ts";
export {
  claimInvite,
  createInvite,
  INVITE_DEFAULT_HOURS,
  INVITE_MAX_HOURS,
  type InviteState,
  inviteState,
  readSignupMode,
  SIGNUP_MODES,
  type SignupMode,
  writeSignupMode,
} from "./signup-rules.ts";
