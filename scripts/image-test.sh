#!/usr/bin/env bash
# Builds kubeherald's image from the Dockerfile with buildah (no Docker
# daemon) on locally made bases (scripts/image-base.sh), then runs it with
# podman the way a cluster would (read-only root file system, every
# capability dropped, no privilege escalation, no network) and checks:
# `kubeherald demo --once` passes inside it, `version` answers, there is no
# shell, the user is not root, and STOPSIGNAL/HEALTHCHECK are set. Prints
# the image's size. Needs root and Debian's podman, buildah, runc and
# debootstrap (.ci/run installs them); takes a few minutes.
#
#   scripts/image-test.sh                  # image localhost/kubeherald:test
#   IMAGE=localhost/kubeherald:dev scripts/image-test.sh
#   BUILD_IMAGE=node:24-bookworm-slim RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot \
#     scripts/image-test.sh                # the public bases, where they can be pulled
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-localhost/kubeherald:test}
export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/scripts/image-containers.conf}
# Node 24 for the scripts (npm ci puts the pinned one in node_modules/.bin)
export PATH="$PWD/node_modules/.bin:$PATH"

for tool in buildah podman runc; do
  command -v "$tool" >/dev/null || { echo "image-test: $tool is missing (apt-get install -y podman buildah runc debootstrap)" >&2; exit 1; }
done

if [ -z "${BUILD_IMAGE:-}${RUNTIME_IMAGE:-}" ]; then
  scripts/image-base.sh
  BUILD_IMAGE=localhost/kubeherald/node-build:24
  RUNTIME_IMAGE=localhost/kubeherald/node-runtime:24
fi

# A TLS-inspecting proxy's CA, when this machine trusts one, goes to the
# build as a secret (never into a layer).
secrets=()
ca=${NODE_EXTRA_CA_CERTS:-${SSL_CERT_FILE:-}}
[ -n "$ca" ] && [ -s "$ca" ] && secrets+=(--secret "id=ca,src=$ca")

version=$(node -p 'require("./package.json").version')
commit=$(git rev-parse HEAD 2>/dev/null || true)
echo "== building $IMAGE on $BUILD_IMAGE → $RUNTIME_IMAGE"
start=$SECONDS
buildah bud --format docker --layers --network host "${secrets[@]}" \
  --build-arg "BUILD_IMAGE=$BUILD_IMAGE" --build-arg "RUNTIME_IMAGE=$RUNTIME_IMAGE" \
  --build-arg "VERSION=$version" --build-arg "KUBEHERALD_COMMIT=$commit" \
  -t "$IMAGE" .
echo "built in $((SECONDS - start)) s"

fail() { echo "image-test: FAIL: $*" >&2; exit 1; }
# as a restricted pod runs it; --no-healthcheck: podman would hand the
# healthcheck to systemd, which CI machines do not run
run() { podman run --rm --read-only --cap-drop=ALL --security-opt no-new-privileges --network none --no-healthcheck "$@"; }

echo "== checks"
inspect() { podman image inspect "$IMAGE" --format "$1"; }
user=$(inspect '{{.Config.User}}')
[ "$user" = "10001:10001" ] || fail "image user is '$user', expected 10001:10001"
[ "$(inspect '{{.Config.StopSignal}}')" = "SIGTERM" ] || fail "STOPSIGNAL is not SIGTERM"
inspect '{{json .Config.Healthcheck}}' | grep -q '/healthz' || fail "no HEALTHCHECK on /healthz"
if run --entrypoint /bin/sh "$IMAGE" -c true >/dev/null 2>&1; then fail "the image has a shell"; fi
# printed through the open descriptor: `tee /dev/stderr` would reopen a redirected log file and truncate it
shown=$(run "$IMAGE" version) || fail "kubeherald version"
printf '%s\n' "$shown" >&2
grep -q "^kubeherald $version" <<<"$shown" || fail "kubeherald version"

echo "== kubeherald demo --once in the image"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
run "$IMAGE" demo --once 2>&1 | tee "$out" | tail -n 20
grep -q -- '— PASS$' "$out" || fail "the demo did not pass"

size=$(inspect '{{.Size}}')
echo "image-test: PASS: $IMAGE, $((size / 1000000)) MB ($size bytes)"
