/**
 * The GraphQL benchmark's baseline (started by bench/graphql.ts): a bare graphql-yoga on
 * Bun answering the benchmark's query shape from memory, no database, no auth, no plugins.
 * Prints "listening on <port>".
 */
import { createSchema, createYoga } from "graphql-yoga";

const chats = Array.from({ length: 20 }, (_, i) => ({ id: `chat-${i}`, title: `Chat ${i}` }));
const yoga = createYoga({
  schema: createSchema({
    typeDefs: `
      type User { id: ID! }
      type Chat { id: ID! title: String! }
      type ChatEdge { node: Chat! }
      type ChatConnection { edges: [ChatEdge!]! }
      type Query { viewer: User chats(first: Int): ChatConnection! }`,
    resolvers: {
      Query: {
        viewer: () => ({ id: "user-1" }),
        chats: (_: unknown, { first }: { first?: number }) => ({ edges: chats.slice(0, first ?? 20).map((node) => ({ node })) }),
      },
    },
  }),
  logging: false,
  graphqlEndpoint: "/graphql",
});
const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: yoga.fetch });
console.log(`listening on ${server.port}`);
