/** Models (a user's AI model definitions): what other features may use. */
export { createModel, deleteModel, getModel, listModels, revealApiKey, updateModel } from "./service.ts";
export type { ModelInput } from "./validation.ts";
