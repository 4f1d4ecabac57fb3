/** Attachments (pictures with messages): the route that serves them and the rule for pictures. */
export { checkImages, type ImageUpload, imageMimeType, MAX_IMAGE_BYTES, MAX_IMAGES_PER_MESSAGE } from "./images.ts";
export { attachmentRoutes } from "./route.ts";
