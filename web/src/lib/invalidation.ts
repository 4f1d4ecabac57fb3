/** Keys shared by load functions' `depends()` and the `invalidate()` calls that refresh them. */

/** The user's models (the app layout loads them for pickers and chat headers). */
export const MODELS = "app:models";

/** The open chat and its messages. */
export const OPEN_CHAT = "app:open-chat";

/** The glasses page: tokens, settings and the models to choose from. */
export const GLASSES_PAGE = "app:glasses";

/** Settings → Access tokens: the user's personal access tokens. */
export const ACCESS_TOKENS_PAGE = "app:access-tokens";

/** Settings → Account: the user's sessions. */
export const ACCOUNT_PAGE = "app:account";
/** Administration: users, invites, shared models. */
export const ADMIN_PAGE = "app:admin";
