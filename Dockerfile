# gitlab-bridge: the bridge service (not the webapp plugin, which is uploaded to Mattermost).
#
#   docker build -t gitlab-bridge .
#   docker run -d --name gitlab-bridge -p 127.0.0.1:3500:3500 -p 127.0.0.1:3501:3501 \
#     -v gitlab-bridge-data:/data --env-file bridge.env gitlab-bridge
#
# Both stages use Debian (glibc): the embedded PostgreSQL that runs when DATABASE_URL is unset comes
# as prebuilt glibc binaries (@embedded-postgres/*) and does not run on musl (alpine). With
# DATABASE_URL set, the same image uses that server instead and never starts the embedded one.
# docs/operations.md explains the settings.

# ---- build: compile the server, then drop the dev dependencies ----
FROM node:20-bookworm-slim AS build
WORKDIR /app
# `npm ci` runs the package's prepare script (build/prepare.mjs), which compiles server/, so the
# sources must be here first. It also runs the @embedded-postgres/* install script that restores
# the PostgreSQL binaries' symbolic links. TypeScript survives the prune as an optional peer of
# @mattermost/client; nothing needs it at run time.
COPY package.json package-lock.json tsconfig.base.json ./
COPY build/ build/
COPY server/ server/
RUN npm ci --no-audit --no-fund \
 && npm run build:server \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/typescript \
 && npm cache clean --force

# ---- runtime: Node, production dependencies, the compiled server ----
FROM node:20-bookworm-slim
ENV NODE_ENV=production DATA_DIR=/data
# V8 lets its heap grow to about four times what is live before collecting it when the machine has
# memory to spare: 250-270 MiB at 10,000 polled users, where 30-40 MiB are live. A cap below 512 MiB
# makes it collect sooner (about 150 MiB there; docs/benchmarks.md), and keeps the bridge inside the
# Kubernetes recipe's 512Mi limit. Raise it with the limit for a larger installation.
ENV NODE_OPTIONS=--max-old-space-size=384
# tini, from Debian, runs as PID 1: it forwards signals to the bridge and reaps what it adopts, so
# the bridge is an ordinary process and `docker exec … gitlab-bridge backup` sits beside it. The
# embedded database's owner is found by a flock on DATA_DIR/postgres.lock, taken with util-linux's
# `flock`, which Debian always installs (util-linux is Essential).
RUN apt-get update \
 && apt-get install --yes --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
# The internal listener (INTERNAL_PORT: /mattermost/command, /healthz, /readyz, /metrics) binds to
# loopback when INTERNAL_URL names a loopback host, which is the default (http://127.0.0.1:3501).
# Inside a container loopback is the container's own, so Mattermost could never reach it, not even
# through a published port. Any other host name makes the bridge listen on every interface
# (0.0.0.0). This default names the host the compose file gives the bridge; set INTERNAL_URL to the
# address Mattermost really uses to reach this container: `gitlab-bridge setup` registers /gitlab
# at INTERNAL_URL/mattermost/command.
ENV INTERNAL_URL=http://gitlab-bridge:3501
WORKDIR /app
# Only what `node server/bin/gitlab-bridge.js` reads at run time: package.json (the version), the
# compiled server, the SQL migrations, the bot's icon (setup) and the production node_modules.
# Owned by root and read-only for the bridge's user.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules/ node_modules/
COPY --from=build /app/server/bin/ server/bin/
COPY --from=build /app/server/dist/ server/dist/
COPY --from=build /app/server/migrations/ server/migrations/
COPY assets/icon.svg assets/icon.svg
# DATA_DIR holds the embedded database (postgres/, postgres.password) and, when ENCRYPTION_KEY is
# unset, the generated encryption.key. A new named volume takes this directory's owner.
RUN mkdir -p /data && chown 1000:1000 /data && chmod 0700 /data
VOLUME ["/data"]
# The image's `node` user, by number so that Kubernetes' runAsNonRoot can check it. PostgreSQL
# refuses to run as root; as this user the embedded server runs directly.
USER 1000:1000
EXPOSE 3500 3501
# /healthz is served by the internal listener (INTERNAL_PORT), which always answers on loopback
# inside the container. Node's fetch: slim images have no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.INTERNAL_PORT || 3501) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# tini without -g: a SIGTERM reaches the bridge only, which drains and then stops its PostgreSQL.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "server/bin/gitlab-bridge.js"]
CMD ["start"]
