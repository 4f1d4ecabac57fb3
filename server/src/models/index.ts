/** Models (a user's AI model definitions): what other features may use. */
export {
  checkModelInput,
  createModel,
  defaultModelFor,
  deleteModel,
  getModel,
  getOwnModel,
  keyColumns,
  listModels,
  modelNameKey,
  nameTaken,
  revealApiKey,
  updateModel,
} from "./service.ts";
export { baseUrlProblem, MODEL_FIELD_LABELS, type ModelInput } from "./validation.ts";
