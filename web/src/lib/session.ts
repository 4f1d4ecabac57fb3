/** Who is signed in, as the server sees it (the session cookie is HttpOnly). */
import { graphql } from "./gql/index.ts";
import type { ViewerQuery } from "./gql/graphql.ts";
import { client, dataOf } from "./graphql.ts";

export type Viewer = NonNullable<ViewerQuery["viewer"]>;

const VIEWER = graphql(`
  query Viewer {
    viewer { id email displayName role }
  }
`);

export async function fetchViewer(): Promise<Viewer | null> {
  return dataOf(await client.query(VIEWER, {})).viewer;
}

const SIGN_OUT = graphql(`
  mutation SignOut {
    signOut
  }
`);

export async function signOut(): Promise<void> {
  dataOf(await client.mutation(SIGN_OUT, {}));
}
