/**
 * replyStream events without a GraphQL execution per event (decision 0019).
 *
 * A subscription maps every event of its source through a full execution of its selection
 * (graphql-tools' executor: collect fields, a resolver and a completion per field, a
 * result object per level). For replyStream that is one execution per token per follower,
 * and it was most of the server's CPU while replies stream. The selection of a
 * replyStream subscription is known when it starts: when it asks only for fields that
 * read the event's property of the same name (the allowlist below: every field of
 * ReplyEvent and ReplyUsage today), with no fragments or directives, this plugin builds
 * each event's result directly from the event, in the executor's order and with its
 * serialisation, and hands yoga / graphql-ws the same `{ data }` object the execution
 * would have produced.
 *
 * Everything else takes the executor's own path, event by event, through the same
 * iterator the executor made for the subscription (the source is wrapped, so an event can
 * be handed to it):
 *  - a selection outside the allowlist, with fragments, directives or a repeated response
 *    name: the whole subscription, as before;
 *  - an event a fast check cannot prove plain (an Int out of range, a non-finite Float, a
 *    missing non-null value, an unknown status): that event, so its error is the executor's;
 *  - an error from the source: handed over, so it is wrapped as the executor wraps it;
 *  - the first event of every subscription is executed, and its result compared with the
 *    direct one: on any difference the subscription stays on full execution (and says so
 *    in the log), so a resolver that stops being a plain property read is caught at once.
 */
import {
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  getNamedType,
  getOperationAST,
  GraphQLEnumType,
  GraphQLObjectType,
  type GraphQLOutputType,
  GraphQLScalarType,
  type GraphQLSchema,
  isNonNullType,
  Kind,
  type SelectionSetNode,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import type { ReplyEvent } from "../generation/index.ts";

/** Fields whose resolver returns the parent's property of the same name (reply.ts). */
const PLAIN_FIELDS: Record<string, ReadonlySet<string>> = {
  ReplyEvent: new Set(["messageId", "offset", "delta", "status", "done", "error", "usage", "firstTokenMs", "latencyMs"]),
  ReplyUsage: new Set(["promptTokens", "completionTokens", "estimated", "cost"]),
};

/** Events served each way since start (tests and profiles read them). */
export const replyEventCounts = { direct: 0, executed: 0 };

/** Stands for "this value needs the executor" (a value the fast checks cannot vouch for). */
const EXECUTE = Symbol("execute");
type Build = (value: unknown) => unknown;

/** The replyStream event streams just made, by the operation's context (one subscription per context). */
const sources = new WeakMap<object, ReplySource>();

/** A follower's events, as the executor sees them; one event can be handed to it in between. */
class ReplySource implements AsyncIterableIterator<ReplyEvent> {
  private handedOver: Promise<IteratorResult<ReplyEvent>> | null = null;

  constructor(readonly events: AsyncIterator<ReplyEvent>) {}

  [Symbol.asyncIterator]() {
    return this;
  }

  next(): Promise<IteratorResult<ReplyEvent>> {
    const step = this.handedOver;
    if (step) {
      this.handedOver = null;
      return step;
    }
    return this.events.next();
  }

  return(): Promise<IteratorResult<ReplyEvent>> {
    return this.events.return?.() ?? Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<ReplyEvent>> {
    return this.events.throw?.(error) ?? Promise.reject(error);
  }

  /** The executor's next read gets this step instead of reading the events. */
  handOver(step: Promise<IteratorResult<ReplyEvent>>): void {
    this.handedOver = step;
  }
}

/** What replyStream's subscribe resolver returns: the follower's events, findable by this plugin through `context`. */
export function followedEvents(context: object, events: AsyncIterator<ReplyEvent>): AsyncIterableIterator<ReplyEvent> {
  const source = new ReplySource(events);
  sources.set(context, source);
  return source;
}

/** The selection's fields, or null when it has anything else (fragments, directives, a response name twice). */
function plainFields(selectionSet: SelectionSetNode): FieldNode[] | null {
  const keys = new Set<string>();
  const fields: FieldNode[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind !== Kind.FIELD || selection.directives?.length) return null;
    const key = selection.alias?.value ?? selection.name.value;
    if (keys.has(key)) return null;
    keys.add(key);
    fields.push(selection);
  }
  return fields;
}

/** The value's check and serialisation, as the executor would complete it, or EXECUTE. */
function leafBuild(type: GraphQLScalarType | GraphQLEnumType): Build | null {
  if (type instanceof GraphQLEnumType) {
    const names = new Map(type.getValues().map((value) => [value.value as unknown, value.name]));
    return (value) => names.get(value) ?? EXECUTE;
  }
  switch (type.name) {
    case "String":
    case "ID":
      return (value) => (typeof value === "string" ? value : EXECUTE);
    case "Boolean":
      return (value) => (typeof value === "boolean" ? value : EXECUTE);
    case "Int":
      return (value) => (typeof value === "number" && Number.isInteger(value) && value <= 2147483647 && value >= -2147483648 ? value : EXECUTE);
    case "Float":
      return (value) => (typeof value === "number" && Number.isFinite(value) ? value : EXECUTE);
    default:
      return null;
  }
}

function fieldBuild(type: GraphQLOutputType, field: FieldNode): Build | null {
  const named = getNamedType(type);
  // Lists and the like are not in the plan.
  if ((isNonNullType(type) ? type.ofType : type) !== named) return null;
  let build: Build | null;
  if (named instanceof GraphQLObjectType) build = field.selectionSet ? objectBuild(named, field.selectionSet) : null;
  else if (named instanceof GraphQLScalarType || named instanceof GraphQLEnumType) build = field.selectionSet ? null : leafBuild(named);
  else return null;
  if (!build) return null;
  const inner = build;
  return isNonNullType(type)
    ? (value) => (value === null || value === undefined ? EXECUTE : inner(value))
    : (value) => (value === null || value === undefined ? null : inner(value));
}

/** Builds the object the executor would, key by key in the selection's order, or EXECUTE. */
function objectBuild(type: GraphQLObjectType, selectionSet: SelectionSetNode): Build | null {
  const plain = PLAIN_FIELDS[type.name];
  const fields = plainFields(selectionSet);
  if (!plain || !fields) return null;
  const entries: { key: string; name: string; build: Build | null }[] = [];
  for (const field of fields) {
    const name = field.name.value;
    const key = field.alias?.value ?? name;
    if (field.arguments?.length) return null;
    if (name === "__typename") {
      entries.push({ key, name, build: null });
      continue;
    }
    const definition = type.getFields()[name];
    const build = plain.has(name) && definition ? fieldBuild(definition.type, field) : null;
    if (!build) return null;
    entries.push({ key, name, build });
  }
  const typename = type.name;
  return (value) => {
    const source = value as Record<string, unknown>;
    const result: Record<string, unknown> = {};
    for (const { key, name, build } of entries) {
      const item = build ? build(source[name]) : typename;
      if (item === EXECUTE) return EXECUTE;
      result[key] = item;
    }
    return result;
  };
}

type Plan = (event: ReplyEvent) => ExecutionResult | null;

function planFor(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): Plan | null {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== "subscription" || operation.directives?.length) return null;
  const root = plainFields(operation.selectionSet);
  const field = root?.length === 1 ? root[0] : undefined;
  const definition = schema.getSubscriptionType()?.getFields().replyStream;
  if (field?.name.value !== "replyStream" || !definition) return null;
  const build = fieldBuild(definition.type, field);
  if (!build) return null;
  const key = field.alias?.value ?? "replyStream";
  return (event) => {
    const value = build(event);
    return value === EXECUTE ? null : { data: { [key]: value } };
  };
}

const plans = new WeakMap<DocumentNode, Map<string, { schema: GraphQLSchema; plan: Plan | null }>>();

/** Per document (yoga's parser cache hands out the same one for the same text) and operation. */
function cachedPlan(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): Plan | null {
  const byName = plans.get(document) ?? new Map();
  plans.set(document, byName);
  const name = operationName ?? "";
  let entry = byName.get(name);
  if (!entry || entry.schema !== schema) {
    entry = { schema, plan: planFor(schema, document, operationName) };
    byName.set(name, entry);
  }
  return entry.plan;
}

let mismatchLogged = false;

/** The subscription's results: built directly where the plan can, from the executor otherwise. */
class DirectResults implements AsyncIterableIterator<ExecutionResult> {
  private verified = false;
  private executeAll = false;

  constructor(
    private readonly plan: Plan,
    private readonly source: ReplySource,
    private readonly executed: AsyncIterator<ExecutionResult>,
  ) {}

  [Symbol.asyncIterator]() {
    return this;
  }

  async next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.executeAll) return this.execute();
    let step: IteratorResult<ReplyEvent>;
    try {
      step = await this.source.events.next();
    } catch (error) {
      // Wrapped and masked as the executor does it.
      this.source.handOver(Promise.reject(error));
      return this.executed.next();
    }
    if (step.done) return { value: undefined, done: true };
    const direct = this.plan(step.value);
    if (!direct) return this.execute(step);
    if (!this.verified) {
      this.verified = true;
      const result = await this.execute(step);
      if (result.done || JSON.stringify(result.value) !== JSON.stringify(direct)) {
        this.executeAll = true;
        if (!mismatchLogged) console.error("replyStream: an event built directly differs from its execution; this subscription is executed per event.");
        mismatchLogged = true;
      }
      return result;
    }
    replyEventCounts.direct++;
    return { value: direct, done: false };
  }

  /** The executor's result for `step` (or, with none, for the source's next event). */
  private execute(step?: IteratorResult<ReplyEvent>): Promise<IteratorResult<ExecutionResult>> {
    if (step) this.source.handOver(Promise.resolve(step));
    replyEventCounts.executed++;
    return this.executed.next();
  }

  return(): Promise<IteratorResult<ExecutionResult>> {
    return this.executed.return?.() ?? this.source.return().then(() => ({ value: undefined, done: true }));
  }

  throw(error?: unknown): Promise<IteratorResult<ExecutionResult>> {
    return this.executed.throw?.(error) ?? Promise.reject(error);
  }
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<ExecutionResult> =>
  typeof value === "object" && value !== null && Symbol.asyncIterator in value;

/** The envelop plugin: replyStream subscriptions whose selection allows it get DirectResults. */
export const directReplyEvents: Plugin = {
  onSubscribe({ args, subscribeFn, setSubscribeFn }) {
    const plan = cachedPlan(args.schema, args.document, args.operationName);
    if (!plan) return;
    setSubscribeFn(async (subscribeArgs) => {
      const context = subscribeArgs.contextValue as object;
      sources.delete(context);
      const result = await subscribeFn(subscribeArgs);
      const source = sources.get(context);
      sources.delete(context);
      if (!source || !isAsyncIterable(result)) return result;
      return new DirectResults(plan, source, result[Symbol.asyncIterator]());
    });
  },
};
