# syntax=docker/dockerfile:1
# Build with the full toolchain, run on a minimal Node.js 24 image as a non-root user
# with production dependencies only.

FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: this image already has Node 24, so the `node` dev dependency (which
# brings Node 24 to machines that lack it) and the prepare build are not wanted here.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json \
 && npm prune --omit=dev --ignore-scripts

FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY bin ./bin
# distroless :nonroot runs as 65532, the uid the chart's securityContext expects.
USER 65532:65532
EXPOSE 8443 8080
# Node is PID 1 and handles SIGTERM itself: it stops accepting, drains in-flight
# reviews and exits, so no init shim is needed.
ENTRYPOINT ["/nodejs/bin/node", "/app/bin/hostport-guard.js"]
CMD ["serve", "--config", "/config/config.yaml"]
