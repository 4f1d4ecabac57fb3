/** Chats grouped by when they were last active, as chat apps list them. */

export type DayGroup = "Today" | "Yesterday" | "Previous 7 days" | "Older";
export const DAY_GROUPS: DayGroup[] = ["Today", "Yesterday", "Previous 7 days", "Older"];

const DAY_MS = 86_400_000;

/** The group of an ISO time, by the reader's calendar days. */
export function dayGroupOf(iso: string, now: Date = new Date()): DayGroup {
  const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  const time = new Date(iso).getTime();
  if (time >= startOfToday) return "Today";
  if (time >= startOfToday - DAY_MS) return "Yesterday";
  if (time >= startOfToday - 7 * DAY_MS) return "Previous 7 days";
  return "Older";
}

/** `items` (newest first) in their groups, in DAY_GROUPS order, empty groups left out. */
export function groupByDay<T extends { updatedAt: string }>(items: readonly T[], now: Date = new Date()): { group: DayGroup; items: T[] }[] {
  const groups = new Map<DayGroup, T[]>();
  for (const item of items) {
    const group = dayGroupOf(item.updatedAt, now);
    groups.set(group, [...(groups.get(group) ?? []), item]);
  }
  return DAY_GROUPS.filter((group) => groups.has(group)).map((group) => ({ group, items: groups.get(group)! }));
}
