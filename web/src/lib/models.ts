/** The user's AI model definitions, as the web UI reads and creates them. */
import { client, dataOf, gql } from "./graphql.ts";

export interface Model {
  id: string;
  name: string;
  providerModelId: string;
  baseUrl: string;
  hasApiKey: boolean;
  apiKeyLast4: string | null;
  temperature: number;
  active: boolean;
  /** Whether it is sent pictures (e.g. from the glasses camera). */
  supportsImages: boolean;
}

const MODEL_FIELDS = gql`
  fragment ModelFields on Model {
    id name providerModelId baseUrl hasApiKey apiKeyLast4 temperature active supportsImages
  }
`;

const MODELS = gql<{ models: Model[] }>`
  query Models {
    models { ...ModelFields }
  }
  ${MODEL_FIELDS}
`;

export async function fetchModels(): Promise<Model[]> {
  return dataOf(await client.query(MODELS, {})).models;
}

export interface NewModel {
  name: string;
  providerModelId: string;
  baseUrl: string;
  /** Null stores no key (e.g. a local server that needs none). */
  apiKey: string | null;
}

export const CREATE_MODEL = gql<{ createModel: Model }, { input: NewModel }>`
  mutation CreateModel($input: CreateModelInput!) {
    createModel(input: $input) { ...ModelFields }
  }
  ${MODEL_FIELDS}
`;
