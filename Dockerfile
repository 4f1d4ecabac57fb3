# AIUI in one container: the Bun server, its GraphQL API and the built web UI.
#
#   docker build -t aiui .
#   docker run -p 3000:3000 -v aiui-data:/data aiui
#
# Base: the official Bun image, Debian variant (glibc: the prebuilt native packages we
# ship, libsql and onnxruntime-node, are built for it; Alpine's musl would not load them).
# The tag pins Bun's minor version, 1.4, the one the project is developed and tested on.
# The build needs only the npm registry: `bun prisma/scripts/generate.ts` runs Prisma's
# `generate`, which needs no engine download, so it works offline.
ARG BUN_IMAGE=oven/bun:1.4-slim

# --- Dependencies for the runtime: no build tools, no test tools ---------------------
FROM ${BUN_IMAGE} AS runtime-deps
WORKDIR /app
COPY package.json bun.lock bunfig.toml ./
# onnxruntime-node (speech) ships its native library for every OS, over 200 MB of it
# for macOS and Windows; this image only ever loads the Linux one. Bun installs the Prisma
# CLI (a devDependency) as @prisma/client's optional peer; the server never runs it, and with
# its Studio it is ~100 MB (docs/decisions/0018-prisma-7.md).
RUN bun install --frozen-lockfile --production \
    && rm -rf node_modules/onnxruntime-node/bin/napi-v*/darwin node_modules/onnxruntime-node/bin/napi-v*/win32 \
    && rm -rf node_modules/prisma node_modules/@prisma/studio-core node_modules/@prisma/dev

# --- Build: Prisma clients for each database, then the web UI -------------------------
FROM ${BUN_IMAGE} AS build
WORKDIR /app
# Manifests first, so source edits do not redo the install layer.
COPY package.json bun.lock bunfig.toml ./
RUN bun install --frozen-lockfile
COPY . .
RUN bun run build

# --- Runtime --------------------------------------------------------------------------
FROM ${BUN_IMAGE} AS runtime

# ffmpeg is optional: WAV uploads are decoded in-process, but speech recognition (the
# glasses route) needs ffmpeg for ogg/opus, mp3, m4a and webm, and answers 415 for them
# without it. --build-arg INSTALL_FFMPEG=false makes a smaller image without those formats.
ARG INSTALL_FFMPEG=true
RUN if [ "$INSTALL_FFMPEG" = "true" ]; then \
      apt-get update \
      && apt-get install -y --no-install-recommends ffmpeg \
      && rm -rf /var/lib/apt/lists/*; \
    fi

WORKDIR /app
# Owned by root and read-only to the server: only /data is the server's to write.
COPY --from=runtime-deps /app/node_modules ./node_modules
COPY --from=build /app/package.json /app/tsconfig.json ./
COPY --from=build /app/server ./server
COPY --from=build /app/prisma/migrations ./prisma/migrations
COPY --from=build /app/web/build ./web/build

# Database (SQLite by default), generated encryption key and speech models live here.
# Created before VOLUME so a fresh named volume starts out owned by the server's user.
RUN mkdir /data && chown bun:bun /data
VOLUME /data

ENV NODE_ENV=production \
    DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=3000

# The image's unprivileged user (uid 1000).
USER bun
EXPOSE 3000

# The image has no curl; Bun's fetch does the same. /healthz also checks the database.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["bun", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

CMD ["bun", "server/src/main.ts"]
