// Import-only: each file adds its types, queries and mutations to the builder.
import "./signup.ts";
import "./user.ts";
import "./account.ts";
import "./model.ts";
import "./chat.ts";
import "./glasses.ts";
import "./access-token.ts";
import "./memory.ts";
import "./attachment.ts";
import "./reply.ts";
import "./search.ts";
import "./usage.ts";
import "./admin.ts";
import "./shared-model.ts";
import "./error-code.ts";
