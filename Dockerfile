# kubeherald's container image. Two stages: the build stage compiles the
# package (`npm run build`: TypeScript to dist/) and keeps the production
# dependencies; the runtime stage holds Node and that package only: no shell,
# no package manager, a non-root user, nothing written outside /tmp and the
# state volume (runs with a read-only root file system).
#
#   podman build -t kubeherald:dev .            # or: docker build -t kubeherald:dev .
#   podman run --rm --read-only kubeherald:dev demo --once
#
# The bases are arguments, so a registry mirror or a locally made base works
# (scripts/image-base.sh makes both where docker.io and gcr.io are out of
# reach; scripts/image-test.sh builds and runs the image with them). The
# runtime base must have Node at /nodejs/bin/node, as Google's distroless
# Node images do.
ARG BUILD_IMAGE=docker.io/library/node:24-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot

FROM ${BUILD_IMAGE} AS build
WORKDIR /src
# dependencies first, so a source change reuses this layer; no install
# scripts: the `node` and `buf` devDependencies would only download binaries
# the build does not use
COPY package.json package-lock.json ./
# Optional build secrets, never stored in a layer: `npmrc` (a registry mirror
# or its token) and `ca` (a CA bundle for a TLS-inspecting proxy), e.g.
#   podman build --secret id=ca,src=/etc/ssl/certs/ca-certificates.crt .
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc \
    --mount=type=secret,id=ca,target=/run/secrets/ca.pem \
    if [ -s /run/secrets/ca.pem ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca.pem; fi \
 && npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.ts scripts/
COPY src/ src/
# KUBEHERALD_COMMIT: the commit `kubeherald version` reports (no .git in here)
ARG KUBEHERALD_COMMIT=
RUN node scripts/build.ts \
 && if [ -n "$KUBEHERALD_COMMIT" ]; then node -e 'const f="dist/build-info.json",fs=require("fs");fs.writeFileSync(f,JSON.stringify({commit:process.argv[1],...JSON.parse(fs.readFileSync(f))},null,2)+"\n")' "$KUBEHERALD_COMMIT"; fi \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && mkdir -p /out/app /out/state \
 && cp -r package.json node_modules dist /out/app/

FROM ${RUNTIME_IMAGE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="kubeherald" \
      org.opencontainers.image.description="Watches Kubernetes clusters, tells people what matters where they talk, and lets them act back safely." \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/kubeherald/kubeherald" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /out/app /app
COPY bin/kubeherald.js /app/bin/kubeherald.js
COPY examples/kubeherald.yaml /etc/kubeherald/kubeherald.yaml
# the state database's directory, owned by the runtime user (the manifests mount a volume here)
COPY --from=build --chown=10001:10001 /out/state /var/lib/kubeherald
# the one place kubeherald writes (besides /tmp): a volume, so the root file
# system can be read-only and the state outlives the container
VOLUME ["/var/lib/kubeherald"]
ENV NODE_ENV=production
# the same numeric user as deploy/ (runAsUser 10001); no name needed
USER 10001:10001
WORKDIR /var/lib/kubeherald
# kubeherald drains deliveries in flight on SIGTERM (run --grace-period)
STOPSIGNAL SIGTERM
# /healthz on health.listen (deploy/kubeherald.yaml: 0.0.0.0:8081); no curl or
# shell in the image, so Node asks. Kubernetes ignores this and uses the
# manifests' probes; docker and podman (docker format) use it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/nodejs/bin/node", "-e", "fetch(process.env.KUBEHERALD_HEALTHCHECK_URL||'http://127.0.0.1:8081/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# V8 flags as bin/kubeherald.js's first line gives them (why: see there)
ENTRYPOINT ["/nodejs/bin/node", "--optimize-for-size", "/app/bin/kubeherald.js"]
CMD ["run", "--config", "/etc/kubeherald/kubeherald.yaml"]
