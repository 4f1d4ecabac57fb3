/** The Administration page (users, sign-up, invites, shared models, budgets) and the Usage page. */
import { graphql } from "./gql/index.ts";

export const ADMIN_OVERVIEW = graphql(`
  query AdminOverview($search: String, $after: String) {
    serverInfo { signupMode }
    adminUserCount(search: $search)
    adminUsers(first: 50, search: $search, after: $after) {
      edges { node { id email displayName role active monthlyBudget monthUsage { requests cost } createdAt } }
      pageInfo { hasNextPage endCursor }
    }
    invites { id note state expiresAt usedByEmail createdAt }
    sharedModels {
      id name providerModelId baseUrl apiKeyLast4 active sharedWithAll monthlyBudget inputCostPerMTok outputCostPerMTok
      grantedTo { id email }
    }
  }
`);

export const SET_SIGNUP_MODE = graphql(`
  mutation SetSignupMode($mode: SignupMode!) { setSignupMode(mode: $mode) }
`);

export const CREATE_INVITE = graphql(`
  mutation CreateInvite($input: CreateInviteInput) { createInvite(input: $input) { path invite { id } } }
`);

export const REVOKE_INVITE = graphql(`
  mutation RevokeInvite($id: ID!) { revokeInvite(id: $id) }
`);

export const DEACTIVATE_USER = graphql(`
  mutation DeactivateUser($id: ID!) { deactivateUser(id: $id) { id active } }
`);

export const REACTIVATE_USER = graphql(`
  mutation ReactivateUser($id: ID!) { reactivateUser(id: $id) { id active } }
`);

export const SET_USER_ROLE = graphql(`
  mutation SetUserRole($id: ID!, $role: AccountRole!) { setUserRole(id: $id, role: $role) { id role } }
`);

export const SET_USER_BUDGET = graphql(`
  mutation SetUserBudget($id: ID!, $monthlyBudget: Float) { setUserBudget(id: $id, monthlyBudget: $monthlyBudget) { id monthlyBudget } }
`);

export const DELETE_USER = graphql(`
  mutation DeleteUser($id: ID!, $confirmEmail: String!) {
    deleteUser(id: $id, confirmEmail: $confirmEmail) { email chats messages models memories accessTokens sessions sharedModelsKept }
  }
`);

export const RESET_LINK = graphql(`
  mutation AdminResetLink($userId: ID!) { createPasswordResetLink(userId: $userId) { url expiresAt } }
`);

export const CREATE_SHARED_MODEL = graphql(`
  mutation CreateSharedModel($input: CreateSharedModelInput!) { createSharedModel(input: $input) { id } }
`);

export const UPDATE_SHARED_MODEL = graphql(`
  mutation UpdateSharedModel($id: ID!, $input: UpdateSharedModelInput!) { updateSharedModel(id: $id, input: $input) { id active monthlyBudget } }
`);

export const DELETE_SHARED_MODEL = graphql(`
  mutation DeleteSharedModel($id: ID!) { deleteSharedModel(id: $id) }
`);

export const MY_USAGE = graphql(`
  query MyUsage($from: String, $to: String) {
    myUsage(from: $from, to: $to) {
      totals { requests promptTokens completionTokens cost }
      byDayAndModel { day modelId modelName cost requests }
      byModel { modelId modelName requests promptTokens completionTokens cost }
      bySource { source requests cost }
    }
  }
`);

export const EVERYONE_USAGE = graphql(`
  query EveryoneUsage($from: String, $to: String) {
    usageReport(from: $from, to: $to) {
      totals { requests promptTokens completionTokens cost }
      byDayAndUser { day userId cost requests }
      byUser { userId requests cost }
    }
    adminUsers(first: 100) { edges { node { id email displayName } } }
  }
`);
