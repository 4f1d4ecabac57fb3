/** Who is signed in, as the server sees it (the session cookie is HttpOnly), and their settings. */
import { graphql } from "./gql/index.ts";
import type { ServerInfoQuery, ViewerQuery } from "./gql/graphql.ts";
import { client, dataOf } from "./graphql.ts";

export type Viewer = NonNullable<ViewerQuery["viewer"]>;

const VIEWER = graphql(`
  query Viewer {
    viewer { id email displayName role theme preferredModel { id } defaultModel { id } }
  }
`);

export async function fetchViewer(): Promise<Viewer | null> {
  return dataOf(await client.query(VIEWER, {})).viewer;
}

const SERVER_INFO = graphql(`
  query ServerInfo {
    serverInfo { needsFirstAccount signupOpen passwordResetByEmail }
  }
`);

export type ServerInfo = ServerInfoQuery["serverInfo"];

export async function fetchServerInfo(): Promise<ServerInfo> {
  return dataOf(await client.query(SERVER_INFO, {})).serverInfo;
}

export const UPDATE_SETTINGS = graphql(`
  mutation UpdateSettings($input: SettingsInput!) {
    updateSettings(input: $input) { id email displayName role theme preferredModel { id } defaultModel { id } }
  }
`);

const SIGN_OUT = graphql(`
  mutation SignOut {
    signOut
  }
`);

export async function signOut(): Promise<void> {
  dataOf(await client.mutation(SIGN_OUT, {}));
}
