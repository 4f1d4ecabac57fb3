/** The glasses (Brilliant Labs Frame through the Noa app): access tokens and settings. */
import { client, dataOf, gql } from "./graphql.ts";
import type { Model } from "./models.ts";

/** Where the Noa app sends its requests, relative to this server's origin (server/src/glasses/route.ts). */
export const GLASSES_ENDPOINT_PATH = "/mm/mm/";

export interface GlassesToken {
  id: string;
  name: string;
  /** The secret's first characters, to tell tokens apart. */
  prefix: string;
  lastUsedAt: string | null;
  createdAt: string;
}

export type TopicStrategy = "NEVER" | "MODEL";

export interface GlassesSettings {
  model: { id: string } | null;
  imageModel: { id: string } | null;
  persona: string;
  defaultPersona: string;
  temperature: number | null;
  maxTokens: number | null;
  language: string;
  spokenAnswers: boolean;
  topicStrategy: TopicStrategy;
}

/** What updateGlassesSettings takes: null model ids clear the choice, null numbers mean the model's own. */
export interface GlassesSettingsInput {
  modelId: string | null;
  imageModelId: string | null;
  persona: string;
  temperature: number | null;
  maxTokens: number | null;
  language: string;
  spokenAnswers: boolean;
  topicStrategy: TopicStrategy;
}

const TOKEN_FIELDS = gql`
  fragment GlassesTokenFields on GlassesToken {
    id name prefix lastUsedAt createdAt
  }
`;

const SETTINGS_FIELDS = gql`
  fragment GlassesSettingsFields on GlassesSettings {
    model { id }
    imageModel { id }
    persona defaultPersona temperature maxTokens language spokenAnswers topicStrategy
  }
`;

export interface GlassesPageData {
  glassesTokens: GlassesToken[];
  glassesSettings: GlassesSettings;
  models: Pick<Model, "id" | "name" | "active" | "supportsImages">[];
}

const GLASSES_PAGE_QUERY = gql<GlassesPageData>`
  query GlassesPage {
    glassesTokens { ...GlassesTokenFields }
    glassesSettings { ...GlassesSettingsFields }
    models { id name active supportsImages }
  }
  ${TOKEN_FIELDS}
  ${SETTINGS_FIELDS}
`;

export async function fetchGlassesPage(): Promise<GlassesPageData> {
  return dataOf(await client.query(GLASSES_PAGE_QUERY, {}));
}

export const CREATE_GLASSES_TOKEN = gql<{ createGlassesToken: { token: GlassesToken; secret: string } }, { name: string }>`
  mutation CreateGlassesToken($name: String!) {
    createGlassesToken(name: $name) {
      token { ...GlassesTokenFields }
      secret
    }
  }
  ${TOKEN_FIELDS}
`;

export const REVOKE_GLASSES_TOKEN = gql<{ revokeGlassesToken: string }, { id: string }>`
  mutation RevokeGlassesToken($id: ID!) {
    revokeGlassesToken(id: $id)
  }
`;

export const UPDATE_GLASSES_SETTINGS = gql<{ updateGlassesSettings: GlassesSettings }, { input: GlassesSettingsInput }>`
  mutation UpdateGlassesSettings($input: GlassesSettingsInput!) {
    updateGlassesSettings(input: $input) { ...GlassesSettingsFields }
  }
  ${SETTINGS_FIELDS}
`;
