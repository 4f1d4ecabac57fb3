/** Keys shared by load functions' `depends()` and the `invalidate()` calls that refresh them. */

/** The chat and model lists on the home page. */
export const HOME_LISTS = "app:home-lists";

/** The open chat and its messages. */
export const OPEN_CHAT = "app:open-chat";

/** The glasses page: tokens, settings and the models to choose from. */
export const GLASSES_PAGE = "app:glasses";
