export { webRoutes } from "./route.ts";
export { securityHeaders } from "./security-headers.ts";
