/** The glasses (Brilliant Labs Frame through the Noa app): access tokens and settings. */
import { graphql } from "./gql/index.ts";
import type { GlassesPageQuery, GlassesSettingsFieldsFragment, GlassesTokenFieldsFragment } from "./gql/graphql.ts";
import { client, dataOf } from "./graphql.ts";

/** Where the Noa app sends its requests, relative to this server's origin (server/src/glasses/route.ts). */
export const GLASSES_ENDPOINT_PATH = "/mm/mm/";

graphql(`
  fragment GlassesTokenFields on GlassesToken {
    id name prefix lastUsedAt createdAt
  }
`);

graphql(`
  fragment GlassesSettingsFields on GlassesSettings {
    model { id }
    imageModel { id }
    persona defaultPersona temperature maxTokens language spokenAnswers topicStrategy
  }
`);

export type GlassesToken = GlassesTokenFieldsFragment;
export type GlassesSettings = GlassesSettingsFieldsFragment;
export type GlassesPageData = GlassesPageQuery;

const GLASSES_PAGE_QUERY = graphql(`
  query GlassesPage {
    glassesTokens { ...GlassesTokenFields }
    glassesSettings { ...GlassesSettingsFields }
    models { id name active supportsImages shared }
  }
`);

export async function fetchGlassesPage(): Promise<GlassesPageData> {
  return dataOf(await client.query(GLASSES_PAGE_QUERY, {}));
}

export const CREATE_GLASSES_TOKEN = graphql(`
  mutation CreateGlassesToken($name: String!) {
    createGlassesToken(name: $name) {
      token { ...GlassesTokenFields }
      secret
    }
  }
`);

export const REVOKE_GLASSES_TOKEN = graphql(`
  mutation RevokeGlassesToken($id: ID!) {
    revokeGlassesToken(id: $id)
  }
`);

/** Null model ids clear the choice, null numbers mean the model's own. */
export const UPDATE_GLASSES_SETTINGS = graphql(`
  mutation UpdateGlassesSettings($input: GlassesSettingsInput!) {
    updateGlassesSettings(input: $input) { ...GlassesSettingsFields }
  }
`);
