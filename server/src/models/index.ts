/** Models (a user's AI model definitions): what other features may use. */
export { createModel, defaultModelFor, deleteModel, getModel, listModels, revealApiKey, updateModel } from "./service.ts";
export { baseUrlProblem, MODEL_FIELD_LABELS, type ModelInput } from "./validation.ts";
