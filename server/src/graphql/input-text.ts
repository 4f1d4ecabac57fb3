/**
 * Every string a GraphQL operation carries (String and ID arguments and input fields, as
 * literals in the document or as variables) is checked once, before anything runs: text
 * that no database can store (NUL, unpaired surrogates: text.ts) is refused with
 * BAD_USER_INPUT naming the field, for every resolver alike. The document's literals are
 * walked once per document (cached with it), the variables on every request.
 */
import { type DocumentNode, GraphQLError, Kind, type ValueNode, visit } from "graphql";
import type { Plugin } from "graphql-yoga";
import { unstorableText } from "../text.ts";

type Path = (string | number)[];

interface Problem {
  path: Path;
  reason: string;
}

function inValue(value: unknown, path: Path): Problem | null {
  if (typeof value === "string") {
    const reason = unstorableText(value);
    return reason ? { path, reason } : null;
  }
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const problem = inValue(item, [...path, index]);
      if (problem) return problem;
    }
  } else if (value && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      const problem = inValue(item, [...path, key]);
      if (problem) return problem;
    }
  }
  return null;
}

/** Literal strings in the document, and where each variable is used (to name it by its argument). */
function inDocument(document: DocumentNode, variablePaths: Map<string, Path>): Problem | null {
  let found: Problem | null = null;
  const walk = (node: ValueNode, path: Path) => {
    if (found) return;
    switch (node.kind) {
      case Kind.STRING: {
        const reason = unstorableText(node.value);
        if (reason) found = { path, reason };
        return;
      }
      case Kind.VARIABLE:
        variablePaths.set(node.name.value, path);
        return;
      case Kind.LIST:
        for (const [index, item] of node.values.entries()) walk(item, [...path, index]);
        return;
      case Kind.OBJECT:
        for (const field of node.fields) walk(field.value, [...path, field.name.value]);
        return;
    }
  };
  visit(document, { Argument: (argument) => walk(argument.value, [argument.name.value]) });
  return found;
}

/**
 * What a document's walk found, kept with the document: Yoga's parser cache hands every
 * request with the same query text the same DocumentNode, so the walk runs once per query.
 */
const documents = new WeakMap<DocumentNode, { literal: Problem | null; variablePaths: Map<string, Path> }>();

function problemIn(document: DocumentNode, variables: Record<string, unknown> | null | undefined): Problem | null {
  let walked = documents.get(document);
  if (!walked) {
    const variablePaths = new Map<string, Path>();
    walked = { literal: inDocument(document, variablePaths), variablePaths };
    documents.set(document, walked);
  }
  const { literal, variablePaths } = walked;
  if (literal) return literal;
  for (const [name, value] of Object.entries(variables ?? {})) {
    const problem = inValue(value, variablePaths.get(name) ?? [name]);
    if (problem) return problem;
  }
  return null;
}

function refusal({ path, reason }: Problem): GraphQLError {
  const text = path.map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? part : `.${part}`)).join("");
  const field = path.filter((part): part is string => typeof part === "string").at(-1);
  return new GraphQLError(`${text} ${reason}.`, { extensions: { code: "BAD_USER_INPUT", ...(field ? { field } : {}) } });
}

export const storableTextOnly: Plugin = {
  onExecute({ args, setResultAndStopExecution }) {
    const problem = problemIn(args.document, args.variableValues as Record<string, unknown> | undefined);
    if (problem) setResultAndStopExecution({ errors: [refusal(problem)] });
  },
  onSubscribe({ args, setResultAndStopExecution }) {
    const problem = problemIn(args.document, args.variableValues as Record<string, unknown> | undefined);
    if (problem) setResultAndStopExecution({ errors: [refusal(problem)] });
  },
};
