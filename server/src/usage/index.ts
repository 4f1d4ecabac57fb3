/** Usage and budgets: what other features may use. */
export {
  BudgetExceeded,
  type BudgetFigures,
  checkBudget,
  monthOf,
  monthSpendByUser,
  readBudget,
  recordUsage,
  reportRange,
  type UsageEntry,
  type UsageReport,
  type UsageTotals,
  usageReport,
  utcDay,
} from "./service.ts";
