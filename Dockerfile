# Gatehouse app image, in two stages: the build stage installs every dependency (dev ones
# included: TypeScript) and compiles to dist/; the runtime stage holds only the production
# dependencies, the compiled JavaScript and the files the server reads (views, public CSS).

FROM node:20-bookworm-slim AS build
WORKDIR /app
# In case argon2 has no prebuilt binary for this platform and must compile from source.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
# npm ci runs the prepare script, which compiles src/ and migrations/ into dist/.
RUN npm ci --no-audit --no-fund \
  && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY views ./views
COPY public ./public
# HOST=0.0.0.0: the container's port is published by Docker; production never has demo mode.
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0
EXPOSE 3000
USER node
# node itself, not npm: it receives docker stop's SIGTERM and shuts down cleanly.
# The same Node.js flags as `npm start` (docs/build-and-run.md: why the young generation is capped).
CMD ["node", "--max-semi-space-size=8", "dist/src/main.js"]
