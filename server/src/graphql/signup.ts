/** Who may sign up: the sign-up mode and invite links (administrators only, through app.admin). */
import { INVITE_MAX_HOURS, type InviteState, type SIGNUP_MODES } from "../accounts/index.ts";
import type { Invite as InviteRow } from "../db/generated/sqlite/client.ts";
import { builder } from "./builder.ts";

export const SignupModeEnum = builder.enumType("SignupMode", {
  description: "Who may create an account (the first account, the administrator, always may).",
  values: {
    OPEN: { description: "Anyone who reaches the server." },
    INVITE_ONLY: { description: "Only with an invite link from an administrator." },
    CLOSED: { description: "Nobody: administrators create access by other means." },
  } satisfies Record<(typeof SIGNUP_MODES)[number], object>,
});

const InviteStateEnum = builder.enumType("InviteState", {
  values: { ACTIVE: { description: "Not used yet and not expired." }, USED: {}, EXPIRED: {} } satisfies Record<InviteState, object>,
});

type InviteView = InviteRow & { state: InviteState; usedByEmail: string | null; createdBy: { displayName: string } | null };

const Invite = builder.objectRef<InviteView>("Invite").implement({
  description: "A one-time sign-up link. Its token is shown only when it is created.",
  fields: (t) => ({
    id: t.exposeID("id"),
    note: t.exposeString("note"),
    state: t.field({ type: InviteStateEnum, resolve: (invite) => invite.state }),
    expiresAt: t.expose("expiresAt", { type: "DateTime" }),
    usedAt: t.expose("usedAt", { type: "DateTime", nullable: true }),
    usedByEmail: t.exposeString("usedByEmail", { nullable: true, description: "The account that signed up with it, while it exists." }),
    createdByName: t.string({ nullable: true, resolve: (invite) => invite.createdBy?.displayName ?? null }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const CreatedInvite = builder.objectRef<{ invite: InviteView; token: string }>("CreatedInvite").implement({
  fields: (t) => ({
    invite: t.field({ type: Invite, resolve: (created) => created.invite }),
    token: t.exposeString("token", { description: "The secret of the link; not shown again." }),
    path: t.string({ description: "The link to hand over, relative to the server's address.", resolve: (created) => `/signin?invite=${encodeURIComponent(created.token)}` }),
  }),
});

const CreateInviteInput = builder.inputType("CreateInviteInput", {
  fields: (t) => ({
    note: t.string({ required: false, description: "For the administrator: who it is for." }),
    expiresInHours: t.int({ required: false, description: `How long the link works; default 168 (a week), at most ${INVITE_MAX_HOURS}.` }),
  }),
});

builder.queryFields((t) => ({
  invites: t.field({
    type: [Invite],
    description: "Administrators: the newest invite links, with what became of them.",
    resolve: (_root, _args, ctx) => ctx.app.admin.forViewer(ctx.viewer).invites(),
  }),
}));

builder.mutationFields((t) => ({
  setSignupMode: t.field({
    type: SignupModeEnum,
    description: "Administrators: who may sign up from now on (stored; SIGNUP_OPEN was only its initial value).",
    args: { mode: t.arg({ type: SignupModeEnum }) },
    resolve: (_root, { mode }, ctx) => ctx.app.admin.forViewer(ctx.viewer).setSignupMode(mode),
  }),
  createInvite: t.field({
    type: CreatedInvite,
    description: "Administrators: a one-time sign-up link (it works while sign-up is open or invite-only).",
    args: { input: t.arg({ type: CreateInviteInput, required: false }) },
    resolve: async (_root, { input }, ctx) => {
      const { invite, token } = await ctx.app.admin.forViewer(ctx.viewer).createInvite({ note: input?.note, expiresInHours: input?.expiresInHours });
      return { invite: { ...invite, state: "ACTIVE" as const, usedByEmail: null, createdBy: { displayName: ctx.viewer!.displayName } }, token };
    },
  }),
  revokeInvite: t.boolean({
    description: "Administrators: withdraws an unused invite link.",
    args: { id: t.arg.id() },
    resolve: (_root, { id }, ctx) => ctx.app.admin.forViewer(ctx.viewer).revokeInvite(String(id)),
  }),
}));
