/**
 * Usage and budgets. Every stored reply adds to one UsageDaily row (user, UTC day, model,
 * source): the usage pages and the budget checks read those rows, never the messages, so
 * they cost the same with a thousand messages or a million (bench:usage). Budgets are per
 * calendar month (UTC), in the currency of the model prices: a request is refused before the
 * provider is called once the month's spending has reached the user's budget or, for a shared
 * model, the model's (docs/decisions/0017-administration.md).
 */
import type { Db } from "../db/client.ts";
import { Prisma } from "../db/generated/sqlite/client.ts";
import type { ChatSource } from "../db/generated/sqlite/client.ts";
import { upsertRetried } from "../db/races.ts";
import { AppError, invalidInput } from "../errors.ts";

/** YYYY-MM-DD of `at`, in UTC. */
export const utcDay = (at: Date) => at.toISOString().slice(0, 10);
/** The first day of `at`'s month (UTC), and the first day of the next (when budgets start afresh). */
export function monthOf(at: Date): { from: string; resetsAt: Date } {
  const from = `${at.toISOString().slice(0, 7)}-01`;
  return { from, resetsAt: new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1)) };
}

export interface UsageEntry {
  userId: string;
  modelId: string;
  modelName: string;
  source: ChatSource;
  promptTokens: number;
  completionTokens: number;
  cost: Prisma.Decimal | number;
  at?: Date;
}

/** Adds one request to its day's row (created by the first request of the day; simultaneous first ones retry as an update). */
export async function recordUsage(db: Db, entry: UsageEntry): Promise<void> {
  const day = utcDay(entry.at ?? new Date());
  const cost = new Prisma.Decimal(entry.cost);
  const key = { userId: entry.userId, day, modelId: entry.modelId, source: entry.source };
  await upsertRetried(() =>
    db.usageDaily.upsert({
      where: { userId_day_modelId_source: key },
      create: { ...key, modelName: entry.modelName, requests: 1, promptTokens: entry.promptTokens, completionTokens: entry.completionTokens, cost },
      update: {
        modelName: entry.modelName,
        requests: { increment: 1 },
        promptTokens: { increment: entry.promptTokens },
        completionTokens: { increment: entry.completionTokens },
        cost: { increment: cost },
      },
    }),
  );
}

/** What a month's budget is and how much of it is spent; BUDGET_EXCEEDED carries it. */
export interface BudgetFigures {
  /** USER: the user's own monthly budget; MODEL: the shared model's, all its users together. */
  scope: "USER" | "MODEL";
  limit: number;
  spent: number;
  /** When the month ends (UTC) and the budget starts afresh. */
  resetsAt: string;
  modelName: string | null;
}

export class BudgetExceeded extends AppError {
  constructor(readonly budget: BudgetFigures) {
    const what = budget.scope === "USER" ? "your monthly budget" : `the monthly budget of the shared model "${budget.modelName}"`;
    super(
      "BUDGET_EXCEEDED",
      `This request would go over ${what}: ${formatAmount(budget.spent)} of ${formatAmount(budget.limit)} spent this month. It starts afresh on ${budget.resetsAt.slice(0, 10)}; an administrator can raise it.`,
      undefined,
      undefined,
      { budget },
    );
    this.name = "BudgetExceeded";
  }
}

const formatAmount = (amount: number) => amount.toFixed(amount < 1 ? 4 : 2);

async function monthSpend(db: Db, where: { userId: string } | { modelId: string }, now: Date): Promise<number> {
  const { _sum } = await db.usageDaily.aggregate({ where: { ...where, day: { gte: monthOf(now).from } }, _sum: { cost: true } });
  return Number(_sum.cost ?? 0);
}

/**
 * Refuses (BUDGET_EXCEEDED) a request by `userId` to `model` once the month's spending has
 * reached a budget that applies: the user's, and a shared model's. `db` is unfenced: a shared
 * model's spending is everyone's. `userBudget`: the user's monthly budget when the caller
 * holds the user's row (the remembered viewer, current: an administrator's change of it drops
 * it, accounts/identity.ts); undefined reads it. With no budget that applies, nothing is read.
 */
export async function checkBudget(
  db: Db,
  userId: string,
  model: { id: string; name: string; shared: boolean; monthlyBudget: Prisma.Decimal | null },
  now = new Date(),
  userBudget?: Prisma.Decimal | null,
): Promise<void> {
  const monthlyBudget =
    userBudget !== undefined ? userBudget : (await db.user.findUnique({ where: { id: userId }, select: { monthlyBudget: true } }))?.monthlyBudget;
  const resetsAt = monthOf(now).resetsAt.toISOString();
  if (monthlyBudget != null) {
    const limit = Number(monthlyBudget);
    const spent = await monthSpend(db, { userId }, now);
    if (spent >= limit) throw new BudgetExceeded({ scope: "USER", limit, spent, resetsAt, modelName: model.name });
  }
  if (model.shared && model.monthlyBudget != null) {
    const limit = Number(model.monthlyBudget);
    const spent = await monthSpend(db, { modelId: model.id }, now);
    if (spent >= limit) throw new BudgetExceeded({ scope: "MODEL", limit, spent, resetsAt, modelName: model.name });
  }
}

/** A budget as typed by an administrator: null (none) or an amount from 0 to 1,000,000. */
export function readBudget(field: string, amount: number | null | undefined): Prisma.Decimal | null {
  if (amount == null) return null;
  if (!Number.isFinite(amount) || amount < 0 || amount > 1_000_000) throw invalidInput(field, "A monthly budget is an amount from 0 to 1,000,000, or none.");
  return new Prisma.Decimal(amount.toFixed(6));
}

export interface UsageTotals {
  requests: number;
  promptTokens: number;
  completionTokens: number;
  cost: number;
}
export interface UsageReport {
  totals: UsageTotals;
  byDay: (UsageTotals & { day: string })[];
  byModel: (UsageTotals & { modelId: string; modelName: string })[];
  byUser: (UsageTotals & { userId: string })[];
  bySource: (UsageTotals & { source: ChatSource })[];
  /** Per day and user: the admin chart's series (one per user). */
  byDayAndUser: (UsageTotals & { day: string; userId: string })[];
  /** Per day and model: "my usage" chart's series (one per model). */
  byDayAndModel: (UsageTotals & { day: string; modelId: string; modelName: string })[];
}

const MAX_REPORT_DAYS = 366;

/** The days `from`..`to` (YYYY-MM-DD, inclusive), checked; default: the last 30 days. */
export function reportRange(from: string | null | undefined, to: string | null | undefined, now = new Date()): { from: string; to: string } {
  const day = /^\d{4}-\d{2}-\d{2}$/;
  const end = to ?? utcDay(now);
  const start = from ?? utcDay(new Date(Date.parse(`${end}T00:00:00Z`) - 29 * 86_400_000));
  for (const [field, value] of [["from", start], ["to", end]] as const) {
    if (!day.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) throw invalidInput(field, `${field} must be a day written YYYY-MM-DD.`);
  }
  const days = (Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / 86_400_000;
  if (days < 0) throw invalidInput("from", "from must not be after to.");
  if (days >= MAX_REPORT_DAYS) throw invalidInput("from", `A report covers at most ${MAX_REPORT_DAYS} days.`);
  return { from: start, to: end };
}

const sums = { _sum: { requests: true, promptTokens: true, completionTokens: true, cost: true } } as const;
type Summed = { _sum: { requests: number | null; promptTokens: number | null; completionTokens: number | null; cost: Prisma.Decimal | null } };
const totalsOf = ({ _sum }: Summed): UsageTotals => ({
  requests: _sum.requests ?? 0,
  promptTokens: _sum.promptTokens ?? 0,
  completionTokens: _sum.completionTokens ?? 0,
  cost: Number(_sum.cost ?? 0),
});

/**
 * Usage from..to, grouped every way the pages show it. `db` is the viewer's fenced client for
 * "my usage" (UsageDaily rows are readable only by their user), or the unfenced one for an
 * administrator's report of everyone (`userId` narrows it to one user).
 */
export async function usageReport(db: Db, range: { from: string; to: string }, userId?: string): Promise<UsageReport> {
  const where = { day: { gte: range.from, lte: range.to }, ...(userId ? { userId } : {}) };
  const [all, byDay, byModel, byUser, bySource, byDayAndUser, byDayAndModel] = await Promise.all([
    db.usageDaily.aggregate({ where, ...sums }),
    db.usageDaily.groupBy({ by: ["day"], where, ...sums, orderBy: { day: "asc" } }),
    db.usageDaily.groupBy({ by: ["modelId"], where, ...sums }),
    db.usageDaily.groupBy({ by: ["userId"], where, ...sums }),
    db.usageDaily.groupBy({ by: ["source"], where, ...sums }),
    db.usageDaily.groupBy({ by: ["day", "userId"], where, ...sums, orderBy: { day: "asc" } }),
    db.usageDaily.groupBy({ by: ["day", "modelId"], where, ...sums, orderBy: { day: "asc" } }),
  ]);
  // A model's latest name (a renamed or deleted model keeps the name it was used under).
  const names = new Map<string, string>();
  if (byModel.length > 0) {
    const rows = await db.usageDaily.findMany({
      where: { ...where, modelId: { in: byModel.map((row) => row.modelId) } },
      select: { modelId: true, modelName: true },
      orderBy: { day: "asc" },
    });
    for (const row of rows) names.set(row.modelId, row.modelName);
  }
  return {
    totals: totalsOf(all as Summed),
    byDay: byDay.map((row) => ({ day: row.day, ...totalsOf(row as Summed) })),
    byModel: byModel.map((row) => ({ modelId: row.modelId, modelName: names.get(row.modelId) ?? "", ...totalsOf(row as Summed) })),
    byUser: byUser.map((row) => ({ userId: row.userId, ...totalsOf(row as Summed) })),
    bySource: bySource.map((row) => ({ source: row.source, ...totalsOf(row as Summed) })),
    byDayAndUser: byDayAndUser.map((row) => ({ day: row.day, userId: row.userId, ...totalsOf(row as Summed) })),
    byDayAndModel: byDayAndModel.map((row) => ({ day: row.day, modelId: row.modelId, modelName: names.get(row.modelId) ?? "", ...totalsOf(row as Summed) })),
  };
}

/** This month's spending per user (the administration's users list). */
export async function monthSpendByUser(db: Db, userIds: string[], now = new Date()): Promise<Map<string, UsageTotals>> {
  if (userIds.length === 0) return new Map();
  const rows = await db.usageDaily.groupBy({ by: ["userId"], where: { userId: { in: userIds }, day: { gte: monthOf(now).from } }, ...sums });
  return new Map(rows.map((row) => [row.userId, totalsOf(row as Summed)]));
}
