# The Weft runtime image that exported Kubernetes manifests and Compose files reference:
# the `weft` CLI (`weft executor`, `weft gateway`, `weft head`, `weft ping`) plus your executors in /app.
#
#   docker build -t weft:latest .                                      # Weft + the seed example in /app
#   docker build -t my-search:1.0 --build-arg APP=examples/my-search .  # Weft + another project of this repo
#
# For a project outside this repo, build on top of it:
#   FROM weft:latest
#   COPY . /app
# (/node_modules links to Weft's dependencies, so /app needs no npm install for Weft itself;
#  run `npm install --omit=dev` in /app for the project's own dependencies.)

FROM node:20-bookworm-slim AS build
WORKDIR /weft
COPY package.json package-lock.json nx.json tsconfig.base.json tsconfig.json biome.json ./
COPY packages ./packages
COPY examples ./examples
COPY benchmarks ./benchmarks
COPY tools ./tools
COPY proto ./proto
RUN npm ci --no-audit --no-fund \
 && npx nx run-many -t build --projects='@weft/*,weft' --output-style=static \
 && rm -rf .nx

FROM node:20-bookworm-slim
ENV NODE_ENV=production WEFT_LOG_LEVEL=info
COPY --from=build /weft /weft
# Node resolves bare imports by walking up from the importing file: /app/x.ts finds /node_modules.
RUN ln -s /weft/node_modules /node_modules \
 && ln -s /weft/packages/weft/dist/cli.js /usr/local/bin/weft \
 && chmod +x /weft/packages/weft/dist/cli.js
ARG APP=examples/seed
WORKDIR /app
COPY ${APP} /app/
# Executors run as an unprivileged user; ports 8080 (gateway, Kubernetes) and 8081 (Compose executors).
USER node
EXPOSE 8080 8081
ENTRYPOINT ["weft"]
CMD ["--help"]
