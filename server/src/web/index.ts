export { webRoutes } from "./route.ts";
export { PICTURE_POLICY, securityHeaders } from "./security-headers.ts";
