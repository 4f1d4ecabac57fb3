/** Who is signed in, as the server sees it (the session cookie is HttpOnly). */
import { client, dataOf, gql } from "./graphql.ts";

export interface Viewer {
  id: string;
  email: string;
  displayName: string;
  role: "ADMIN" | "MEMBER";
}

const VIEWER = gql<{ viewer: Viewer | null }>`
  query Viewer {
    viewer { id email displayName role }
  }
`;

export async function fetchViewer(): Promise<Viewer | null> {
  return dataOf(await client.query(VIEWER, {})).viewer;
}

const SIGN_OUT = gql<{ signOut: boolean }>`
  mutation SignOut {
    signOut
  }
`;

export async function signOut(): Promise<void> {
  dataOf(await client.mutation(SIGN_OUT, {}));
}
