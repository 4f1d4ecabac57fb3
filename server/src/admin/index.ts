/** Administration: what other features may use. */
export { type AdminActions, type Administration, createAdministration } from "./service.ts";
