/** Settings → Account (email, password, sessions) and the password-reset page. */
import { graphql } from "./gql/index.ts";
import type { AccountSessionsQuery } from "./gql/graphql.ts";
import { client, dataOf } from "./graphql.ts";

export type AccountSession = AccountSessionsQuery["mySessions"][number];

const ACCOUNT_SESSIONS = graphql(`
  query AccountSessions {
    mySessions { id device clientAddress signedInAt lastSeenAt current }
  }
`);

export async function fetchAccountSessions(): Promise<AccountSession[]> {
  return dataOf(await client.query(ACCOUNT_SESSIONS, {}, { requestPolicy: "network-only" })).mySessions;
}

export const CHANGE_EMAIL = graphql(`
  mutation ChangeEmail($input: ChangeEmailInput!) {
    changeEmail(input: $input) { id email }
  }
`);

export const CHANGE_PASSWORD = graphql(`
  mutation ChangePassword($input: ChangePasswordInput!) {
    changePassword(input: $input) { id }
  }
`);

export const SIGN_OUT_SESSION = graphql(`
  mutation SignOutSession($id: ID!) {
    signOutSession(id: $id)
  }
`);

export const SIGN_OUT_OTHER_SESSIONS = graphql(`
  mutation SignOutOtherSessions {
    signOutOtherSessions
  }
`);

export const REQUEST_PASSWORD_RESET = graphql(`
  mutation RequestPasswordReset($email: String!) {
    requestPasswordReset(email: $email)
  }
`);

export const RESET_PASSWORD = graphql(`
  mutation ResetPassword($input: ResetPasswordInput!) {
    resetPassword(input: $input)
  }
`);
