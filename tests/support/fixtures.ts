/** The recordings and the camera picture in tests/fixtures/ (README there says how each was made). */
export const FIXTURES_DIR = new URL("../fixtures/", import.meta.url);

export function fixtureUrl(name: string): URL {
  return new URL(name, FIXTURES_DIR);
}

export async function fixture(name: string): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await Bun.file(fixtureUrl(name)).arrayBuffer());
}
