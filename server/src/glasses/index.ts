/** Glasses (the Noa app's custom server): what other features may use. */
export { glassesRoutes } from "./route.ts";
export { createUsageAfterAnswers, type UsageAfterAnswers } from "./service.ts";
export { DEFAULT_GLASSES_PERSONA, type GlassesSetup, glassesSettingsOf, type TopicStrategy, TOPIC_STRATEGIES, updateGlassesSettings } from "./settings.ts";
