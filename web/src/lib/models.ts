/** The user's AI model definitions, as the web UI reads and creates them. */
import { graphql } from "./gql/index.ts";
import type { ModelFieldsFragment } from "./gql/graphql.ts";
import { client, dataOf } from "./graphql.ts";

graphql(`
  fragment ModelFields on Model {
    id name providerModelId baseUrl hasApiKey apiKeyLast4 temperature active supportsImages
  }
`);

export type Model = ModelFieldsFragment;

const MODELS = graphql(`
  query Models {
    models { ...ModelFields }
  }
`);

export async function fetchModels(): Promise<Model[]> {
  return dataOf(await client.query(MODELS, {})).models;
}

export const CREATE_MODEL = graphql(`
  mutation CreateModel($input: CreateModelInput!) {
    createModel(input: $input) { ...ModelFields }
  }
`);
