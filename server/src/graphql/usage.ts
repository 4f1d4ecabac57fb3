/** Usage: the viewer's own (any signed-in user), and the report type administrators also get (graphql/admin.ts). */
import { reportRange, type UsageReport, type UsageTotals, usageReport } from "../usage/index.ts";
import type { ObjectFieldBuilder } from "@pothos/core";
import { builder } from "./builder.ts";
import { ChatSourceEnum } from "./chat.ts";
import { requireViewer } from "./context.ts";

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
/** The figures every usage row has, for any row type that carries them. */
const totalsFields = <Row extends UsageTotals>(t: ObjectFieldBuilder<Types, Row>) => ({
  requests: t.int({ resolve: (row) => row.requests }),
  promptTokens: t.int({ resolve: (row) => row.promptTokens }),
  completionTokens: t.int({ resolve: (row) => row.completionTokens }),
  cost: t.float({ description: "In the currency of the model prices.", resolve: (row) => row.cost }),
});

export const UsageTotalsRef = builder.objectRef<UsageTotals>("UsageTotals").implement({ fields: (t) => totalsFields(t) });

const UsageDay = builder.objectRef<UsageTotals & { day: string }>("UsageDay").implement({
  fields: (t) => ({ day: t.exposeString("day", { description: "YYYY-MM-DD, UTC." }), ...totalsFields(t) }),
});
const UsageByModel = builder.objectRef<UsageTotals & { modelId: string; modelName: string }>("UsageByModel").implement({
  fields: (t) => ({ modelId: t.exposeID("modelId"), modelName: t.exposeString("modelName"), ...totalsFields(t) }),
});
const UsageByUser = builder.objectRef<UsageTotals & { userId: string }>("UsageByUser").implement({
  fields: (t) => ({ userId: t.exposeID("userId"), ...totalsFields(t) }),
});
const UsageBySource = builder.objectRef<UsageReport["bySource"][number]>("UsageBySource").implement({
  fields: (t) => ({ source: t.field({ type: ChatSourceEnum, resolve: (row) => row.source }), ...totalsFields(t) }),
});
const UsageDayUser = builder.objectRef<UsageReport["byDayAndUser"][number]>("UsageDayUser").implement({
  fields: (t) => ({ day: t.exposeString("day"), userId: t.exposeID("userId"), ...totalsFields(t) }),
});
const UsageDayModel = builder.objectRef<UsageReport["byDayAndModel"][number]>("UsageDayModel").implement({
  fields: (t) => ({ day: t.exposeString("day"), modelId: t.exposeID("modelId"), modelName: t.exposeString("modelName"), ...totalsFields(t) }),
});

export const UsageReportRef = builder.objectRef<UsageReport>("UsageReport").implement({
  description: "Usage over some days: totals, and grouped by day, model, user, source (web, glasses, API).",
  fields: (t) => ({
    totals: t.field({ type: UsageTotalsRef, resolve: (r) => r.totals }),
    byDay: t.field({ type: [UsageDay], resolve: (r) => r.byDay }),
    byModel: t.field({ type: [UsageByModel], resolve: (r) => r.byModel }),
    byUser: t.field({ type: [UsageByUser], resolve: (r) => r.byUser }),
    bySource: t.field({ type: [UsageBySource], resolve: (r) => r.bySource }),
    byDayAndUser: t.field({ type: [UsageDayUser], resolve: (r) => r.byDayAndUser }),
    byDayAndModel: t.field({ type: [UsageDayModel], resolve: (r) => r.byDayAndModel }),
  }),
});

builder.queryField("myUsage", (t) =>
  t.field({
    type: UsageReportRef,
    description: "The viewer's usage from..to (YYYY-MM-DD, UTC; default the last 30 days).",
    args: { from: t.arg.string({ required: false }), to: t.arg.string({ required: false }) },
    resolve: (_root, { from, to }, ctx) => {
      const viewer = requireViewer(ctx);
      // Through the fence: UsageDaily rows are readable by their user only.
      return usageReport(ctx.db, reportRange(from, to), viewer.id);
    },
  }),
);
