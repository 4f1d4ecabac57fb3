export { attachmentRoutes } from "./route.ts";
