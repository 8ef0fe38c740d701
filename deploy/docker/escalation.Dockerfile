# syntax=docker/dockerfile:1
# The escalation service: compiled JavaScript, production dependencies only, running as a non-root user.
# Build from the repository root: docker build -f deploy/docker/escalation.Dockerfile -t handoff/escalation .
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Manifests first: the dependency layer is rebuilt only when a manifest or the lockfile changes.
COPY package.json package-lock.json ./
COPY contracts/package.json contracts/
COPY libs/event-store/package.json libs/event-store/
COPY libs/messaging/package.json libs/messaging/
COPY libs/platform/package.json libs/platform/
COPY libs/testing/package.json libs/testing/
COPY services/conversations/package.json services/conversations/
COPY services/summarization/package.json services/summarization/
COPY services/escalation/package.json services/escalation/
COPY services/ownership/package.json services/ownership/
COPY services/insights/package.json services/insights/
COPY tests/package.json tests/
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json ./
COPY scripts/build.cjs scripts/swc-options.cjs scripts/
COPY contracts/src contracts/src
COPY libs libs
COPY services/escalation/src services/escalation/src
RUN node scripts/build.cjs escalation && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3003
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
USER node
EXPOSE 3003
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/services/escalation/src/main.js"]
