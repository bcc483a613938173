# otpgate: two-factor authentication in front of a web application.
#
#   docker build -t otpgate .
#   docker run -p 8080:8080 --env-file otpgate.env -v "$PWD/otpgate:/etc/otpgate:ro" otpgate
#
# The configuration is read from /etc/otpgate/config.yaml; mount a folder
# there holding config.yaml and users.yaml, readable by uid 1000 (`node`).
# See README.md, "With Docker".

# ---- build: compile the TypeScript -------------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts are skipped here: `prepare` would build before the sources are copied.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies, the compiled code, nothing else --------
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin

# The image's own `node` user (uid 1000): the gateway needs no privileges and writes no files.
USER node
EXPOSE 8080

# Liveness only (readiness, /readyz, also depends on Redis). Override the URL
# when server.listen or gateway.path differ from the defaults.
ENV OTPGATE_HEALTHCHECK_URL=http://127.0.0.1:8080/_otpgate/healthz
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "require('http').get(process.env.OTPGATE_HEALTHCHECK_URL, (res) => process.exit(res.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1)).setTimeout(4000, () => process.exit(1))"]

ENTRYPOINT ["node", "bin/otpgate.js"]
CMD ["serve", "--config", "/etc/otpgate/config.yaml"]
