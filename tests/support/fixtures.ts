/** The recordings and the camera picture in tests/fixtures/ (README there says how each was made). */
export const FIXTURES_DIR = new URL("../fixtures/", import.meta.url);

export function fixtureUrl(name: string): URL {
  return new URL(name, FIXTURES_DIR);
}

export async function fixture(name: string): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await Bun.file(fixtureUrl(name)).arrayBuffer());
}

/**
 * One request as the Noa app sends it (docs/noa-app.md): the fixtures' recording and camera
 * picture, no history (`messages='[]'`), no location, the app's time format.
 */
export function noaAppForm(audio: Uint8Array<ArrayBuffer>, image: Uint8Array<ArrayBuffer>): FormData {
  const body = new FormData();
  body.append("audio", new File([audio], "audio.wav"));
  body.append("image", new File([image], "image.jpg"));
  body.append("messages", "[]");
  body.append("location", "");
  body.append("time", "2025-07-02 11:29:48.054846");
  return body;
}
