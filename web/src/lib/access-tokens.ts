/** Personal access tokens (Settings → Access tokens): for scripts, OpenAI-compatible tools and the glasses. */
import { graphql } from "./gql/index.ts";
import type { AccessTokenFieldsFragment, AccessTokensPageQuery } from "./gql/graphql.ts";
import { client, dataOf } from "./graphql.ts";

graphql(`
  fragment AccessTokenFields on AccessToken {
    id name prefix scopes expiresAt revokedAt lastUsedAt lastUsedAddress createdAt
  }
`);

export type AccessToken = AccessTokenFieldsFragment;
export type AccessTokensPageData = AccessTokensPageQuery;
export type TokenScope = AccessToken["scopes"][number];

/** The scopes a user can choose, with what each one opens. */
export const SCOPE_CHOICES: { value: TokenScope; label: string; hint: string }[] = [
  { value: "OPENAI", label: "OpenAI-compatible API", hint: "Tools that speak the OpenAI API, at /v1 on this server." },
  { value: "GRAPHQL", label: "GraphQL", hint: "Scripts using the GraphQL API at /graphql." },
  { value: "GLASSES", label: "Glasses", hint: "The Noa app for Frame glasses." },
];

const ACCESS_TOKENS_PAGE_QUERY = graphql(`
  query AccessTokensPage {
    accessTokens { ...AccessTokenFields }
  }
`);

export async function fetchAccessTokensPage(): Promise<AccessTokensPageData> {
  return dataOf(await client.query(ACCESS_TOKENS_PAGE_QUERY, {}, { requestPolicy: "network-only" }));
}

export const CREATE_ACCESS_TOKEN = graphql(`
  mutation CreateAccessToken($input: CreateAccessTokenInput!) {
    createAccessToken(input: $input) {
      token { ...AccessTokenFields }
      secret
    }
  }
`);

export const REVOKE_ACCESS_TOKEN = graphql(`
  mutation RevokeAccessToken($id: ID!) {
    revokeAccessToken(id: $id) { ...AccessTokenFields }
  }
`);
