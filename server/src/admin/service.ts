/**
 * Administration, fenced to administrators in this one place: every action is reached
 * through `forViewer`, which refuses anyone who is not a signed-in, active ADMIN (checked
 * against the user row read for this request). The actions hold the unfenced client: they
 * act on other users' rows by design (docs/decisions/0017-administration.md).
 */
import { createInvite, type Identity, inviteState, readSignupMode, type SignupMode, writeSignupMode } from "../accounts/index.ts";
import type { Db } from "../db/client.ts";
import type { User } from "../db/generated/sqlite/client.ts";
import { AppError, notFound, unauthenticated } from "../errors.ts";
import { reportRange, usageReport } from "../usage/index.ts";
import { createSharedModel, deleteSharedModel, listSharedModels, type SharedModelDeps, type SharedModelInput, updateSharedModel } from "./shared-models.ts";
import { countUsers, deactivateUser, deleteUser, listUsers, reactivateUser, setRole, setUserBudget, type UsersQuery, userView } from "./users.ts";

export interface AdministrationDeps {
  /** SIGNUP_OPEN: the sign-up mode until an administrator chooses one. */
  signupInitiallyOpen: boolean;
  /** Who is asking: its remembered sessions and users are dropped when an administrator changes a user. */
  identity: Pick<Identity, "invalidateUser">;
  /** Shared models: their keys are sealed like users' keys; their base URLs follow the provider URL policy. */
  models: SharedModelDeps;
}

const INVITE_LIST_LIMIT = 200;

function actionsFor(db: Db, deps: AdministrationDeps, admin: User) {
  /** A change to a user reaches every instance's remembered sessions and users at once. */
  const changed = async <T>(userId: string, change: Promise<T>): Promise<T> => {
    try {
      return await change;
    } finally {
      deps.identity.invalidateUser(userId);
    }
  };
  return {
    admin,
    users: (query: UsersQuery) => listUsers(db, query),
    countUsers: (search?: string | null) => countUsers(db, search),
    user: (id: string) => userView(db, id),
    deactivateUser: async (id: string) => {
      await changed(id, deactivateUser(db, admin, id));
      return userView(db, id);
    },
    reactivateUser: async (id: string) => {
      await changed(id, reactivateUser(db, id));
      return userView(db, id);
    },
    setRole: async (id: string, role: "ADMIN" | "MEMBER") => {
      await changed(id, setRole(db, id, role));
      return userView(db, id);
    },
    setUserBudget: async (id: string, amount: number | null | undefined) => {
      // Sends check the budget against the remembered user row: every instance drops it.
      await changed(id, setUserBudget(db, id, amount));
      return userView(db, id);
    },
    deleteUser: (id: string, confirmEmail: string) => changed(id, deleteUser(db, admin, id, confirmEmail)),
    sharedModels: () => listSharedModels(db),
    createSharedModel: (input: SharedModelInput) => createSharedModel(db, deps.models, admin, input),
    updateSharedModel: (id: string, input: SharedModelInput) => updateSharedModel(db, deps.models, id, input),
    deleteSharedModel: async (id: string) => {
      await deleteSharedModel(db, id);
      return true;
    },
    /** Everyone's usage (or one user's). */
    usage: (range: { from?: string | null; to?: string | null }, userId?: string | null) =>
      usageReport(db, reportRange(range.from, range.to), userId ?? undefined),
    signupMode: () => readSignupMode(db, deps.signupInitiallyOpen),
    setSignupMode: (mode: SignupMode) => writeSignupMode(db, mode),

    createInvite: (input: { note?: string | null; expiresInHours?: number | null }) => createInvite(db, admin.id, input),
    /** The newest invites first (used and expired ones too, so the administrator sees what became of them). */
    invites: async () => {
      const rows = await db.invite.findMany({
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: INVITE_LIST_LIMIT,
        include: { createdBy: { select: { displayName: true } } },
      });
      const usedBy = await db.user.findMany({
        where: { id: { in: rows.flatMap((row) => (row.usedById ? [row.usedById] : [])) } },
        select: { id: true, email: true },
      });
      const emailOf = new Map(usedBy.map((user) => [user.id, user.email]));
      return rows.map((row) => ({ ...row, state: inviteState(row), usedByEmail: row.usedById ? (emailOf.get(row.usedById) ?? null) : null }));
    },
    /** Withdraws an unused invite (a used one stays as the record of who came in with it). */
    revokeInvite: async (id: string) => {
      const { count } = await db.invite.deleteMany({ where: { id, usedAt: null } });
      if (count === 0) throw notFound("Unused invite");
      return true;
    },
  };
}

export type AdminActions = ReturnType<typeof actionsFor>;

export function createAdministration(rootDb: Db, deps: AdministrationDeps) {
  return {
    /** The administrator's actions, or UNAUTHENTICATED / FORBIDDEN: the one gate to all of them. */
    forViewer(viewer: User | null): AdminActions {
      if (!viewer) throw unauthenticated();
      if (viewer.role !== "ADMIN" || viewer.deactivatedAt) throw new AppError("FORBIDDEN", "Only an administrator of this server may do this.");
      return actionsFor(rootDb, deps, viewer);
    },
  };
}

export type Administration = ReturnType<typeof createAdministration>;
