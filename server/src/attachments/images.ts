/**
 * Pictures that come with a message: from the glasses' camera or pasted, dropped or picked
 * in the web UI. One rule for both: JPEG, PNG or WebP, recognised by their bytes (not by the
 * name or type the client claims), at most MAX_IMAGE_BYTES each.
 */
import { invalidInput } from "../errors.ts";

export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
/** Pictures one web message may carry. */
export const MAX_IMAGES_PER_MESSAGE = 4;

export interface ImageUpload {
  bytes: Uint8Array<ArrayBuffer>;
  mimeType: string;
}

/** The picture's type from its first bytes, or null when it is none of JPEG, PNG or WebP. */
export function imageMimeType(bytes: Uint8Array): string | null {
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "image/jpeg";
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return "image/png";
  if (String.fromCharCode(...bytes.subarray(0, 4)) === "RIFF" && String.fromCharCode(...bytes.subarray(8, 12)) === "WEBP") return "image/webp";
  return null;
}

const megabytes = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;

/** Uploaded files as checked pictures; the first one that fails names itself and what is allowed. */
export async function checkImages(files: readonly Blob[], field = "images"): Promise<ImageUpload[]> {
  if (files.length > MAX_IMAGES_PER_MESSAGE) {
    throw invalidInput(field, `Attach at most ${MAX_IMAGES_PER_MESSAGE} pictures to one message (there are ${files.length}).`);
  }
  const images: ImageUpload[] = [];
  for (const [index, file] of files.entries()) {
    const name = (file as { name?: string }).name || `Picture ${index + 1}`;
    if (file.size > MAX_IMAGE_BYTES) {
      throw invalidInput(field, `${name} is ${megabytes(file.size)}; a picture may be at most ${MAX_IMAGE_BYTES / 1048576} MB.`);
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    const mimeType = imageMimeType(bytes);
    if (!mimeType) throw invalidInput(field, `${name} is not a JPEG, PNG or WebP picture (or it is damaged).`);
    images.push({ bytes, mimeType });
  }
  return images;
}
