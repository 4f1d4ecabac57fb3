/** The user's AI model definitions, as the web UI reads and changes them. */
import { graphql } from "./gql/index.ts";
import type { ModelFieldsFragment } from "./gql/graphql.ts";
import { client, dataOf } from "./graphql.ts";

graphql(`
  fragment ModelFields on Model {
    id name providerModelId baseUrl hasApiKey apiKeyLast4 description bestUseCases
    inputCostPerMTok outputCostPerMTok maxTokens contextWindow temperature systemPrompt
    supportsImages active chatCount shared
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

export const UPDATE_MODEL = graphql(`
  mutation UpdateModel($id: ID!, $input: UpdateModelInput!) {
    updateModel(id: $id, input: $input) { ...ModelFields }
  }
`);

export const DELETE_MODEL = graphql(`
  mutation DeleteModel($id: ID!) {
    deleteModel(id: $id)
  }
`);

export const TEST_CONNECTION = graphql(`
  mutation TestModelConnection($input: ModelConnectionInput!) {
    testModelConnection(input: $input) { ok message modelIds }
  }
`);

export const FETCH_PROVIDER_MODELS = graphql(`
  mutation FetchProviderModels($input: ModelConnectionInput!) {
    fetchProviderModels(input: $input) { ok message modelIds }
  }
`);

const priceFormat = new Intl.NumberFormat(undefined, { style: "currency", currency: "USD", maximumFractionDigits: 4 });

/** "$0.15 in · $0.60 out per 1M tokens", or null when the model has no prices (unknown, not free). */
export function pricesOf(model: Pick<Model, "inputCostPerMTok" | "outputCostPerMTok">): string | null {
  if (model.inputCostPerMTok === 0 && model.outputCostPerMTok === 0) return null;
  return `${priceFormat.format(model.inputCostPerMTok)} in · ${priceFormat.format(model.outputCostPerMTok)} out per 1M tokens`;
}
