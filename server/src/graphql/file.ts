import { builder } from "./builder.ts";

/**
 * An uploaded file (GraphQL multipart request spec; graphql-yoga parses multipart requests
 * and hands the files over as File objects). Input only.
 */
export const FileScalar = builder.scalarType("File", {
  description: "A file sent in a multipart request (https://github.com/jaydenseric/graphql-multipart-request-spec).",
  serialize: () => {
    throw new Error("File is an input type only.");
  },
  parseValue: (value) => {
    if (!(value instanceof Blob)) throw new TypeError("File must be sent as a file in a multipart request.");
    return value as File;
  },
});
