# falco-talon image: docker build -t falco-talon:0.1.0 .
# Base image: Node 24, a current LTS line (the one CI tests next to Node 20; see README, Node).
# Build stage: every dependency, then tsc into dist/ (src only, see tsconfig.build.json) and the
# operator console's bundle into dist/ui (npm's postbuild: ui/build.ts, esbuild, build time only).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY ui ./ui
RUN npm run build

# Runtime stage: production dependencies only (no install scripts: none is needed at run time).
FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# Without mounts the image runs the log-only example rules (examples/config.yaml points at
# examples/rules.yaml, relative to /app); the Helm chart mounts its own config.yaml over this
# one and its rules folder at /etc/falco-talon/rules.d.
COPY examples ./examples
COPY examples/config.yaml /etc/falco-talon/config.yaml
RUN mkdir -p /etc/falco-talon/rules.d
# The node image's unprivileged `node` user, by number so runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 2803
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["server", "-c", "/etc/falco-talon/config.yaml"]
