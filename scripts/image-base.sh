#!/usr/bin/env bash
# Makes the two base images the Dockerfile builds on, locally, for machines
# that cannot pull docker.io/library/node or gcr.io/distroless (only Debian's
# mirror and the npm registry reachable). Daemonless: buildah, as root.
#
#   localhost/kubeherald/node-build:24    like node:24-bookworm-slim: a minimal
#       Debian 12 (debootstrap --variant=minbase) with Node and npm in /usr/local
#   localhost/kubeherald/node-runtime:24  like gcr.io/distroless/nodejs24-debian12:
#       /nodejs/bin/node, the shared libraries it loads and nothing else (no
#       shell, no package manager); users root and nonroot (65532)
#
# Node is the binary of the project's pinned `node` devDependency (npm ci
# installs it), npm the registry's `npm` package. Both images are tagged, so
# a second run is quick (the debootstrap tree is cached in $IMAGE_WORK).
#
#   scripts/image-base.sh            # both images, unless they exist
#   FORCE=1 scripts/image-base.sh    # rebuild them
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_BASE=${BUILD_BASE:-localhost/kubeherald/node-build:24}
RUNTIME_BASE=${RUNTIME_BASE:-localhost/kubeherald/node-runtime:24}
NPM_VERSION=${NPM_VERSION:-11}
DEBIAN_SUITE=${DEBIAN_SUITE:-bookworm}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
WORK=${IMAGE_WORK:-/var/tmp/kubeherald-image}
export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/scripts/image-containers.conf}

have() { [ -z "${FORCE:-}" ] && buildah inspect --type image "$1" >/dev/null 2>&1; }
if have "$BUILD_BASE" && have "$RUNTIME_BASE"; then
  echo "base images present: $BUILD_BASE, $RUNTIME_BASE (FORCE=1 rebuilds)"
  exit 0
fi

node_bin=$(node -p 'require("fs").realpathSync("node_modules/node/bin/node")' 2>/dev/null || true)
if [ ! -x "$node_bin" ]; then
  echo "node_modules/node/bin/node is missing: run npm ci first" >&2
  exit 1
fi
node_version=$("$node_bin" --version)
mkdir -p "$WORK"

# A minimal Debian, made once. minbase: apt, dpkg, bash, coreutils; no init.
rootfs="$WORK/rootfs-$DEBIAN_SUITE"
if [ ! -x "$rootfs/bin/sh" ]; then
  rm -rf "$rootfs.tmp"
  debootstrap --variant=minbase "$DEBIAN_SUITE" "$rootfs.tmp" "$DEBIAN_MIRROR"
  rm -rf "$rootfs.tmp"/var/cache/apt/archives/*.deb "$rootfs.tmp"/var/lib/apt/lists/*
  mv "$rootfs.tmp" "$rootfs"
fi

# Node without its debug information (about a quarter of the binary).
stripped="$WORK/node-$node_version"
if [ ! -x "$stripped" ]; then
  cp "$node_bin" "$stripped.tmp"
  strip --strip-debug "$stripped.tmp"
  mv "$stripped.tmp" "$stripped"
fi

# npm, from the registry through its ordinary client
npm_dir="$WORK/npm-$NPM_VERSION"
if [ ! -f "$npm_dir/package/bin/npm-cli.js" ]; then
  rm -rf "$npm_dir" && mkdir -p "$npm_dir"
  tarball=$(cd "$npm_dir" && npm pack --silent "npm@$NPM_VERSION")
  tar -xzf "$npm_dir/$tarball" -C "$npm_dir"
fi

echo "== $BUILD_BASE (Debian $DEBIAN_SUITE, Node $node_version, npm $(node -p "require('$npm_dir/package/package.json').version"))"
c=$(buildah from scratch)
trap 'buildah rm "$c" >/dev/null 2>&1 || true' EXIT
buildah copy --quiet "$c" "$rootfs" /
buildah copy --quiet --chmod 0755 "$c" "$stripped" /usr/local/bin/node
buildah copy --quiet "$c" "$npm_dir/package" /usr/local/lib/node_modules/npm
buildah run --isolation chroot "$c" -- /bin/sh -ec '
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
  groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  node --version && npm --version'
buildah config --env NODE_VERSION="${node_version#v}" --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --cmd node --label org.opencontainers.image.description="Debian $DEBIAN_SUITE minbase with Node $node_version (local stand-in for node:24-bookworm-slim)" "$c"
buildah commit --quiet --rm "$c" "$BUILD_BASE" >/dev/null

echo "== $RUNTIME_BASE (Node $node_version and its shared libraries only)"
c=$(buildah from scratch)
# the libraries the dynamic loader resolves for node, taken from the Debian tree (not the host)
cp "$stripped" "$rootfs/tmp/node"
libs=$(chroot "$rootfs" ldd /tmp/node | awk '/=>/ { print $3 } /^\t\/lib/ { print $1 }')
rm -f "$rootfs/tmp/node"
for lib in $libs; do
  real=$(chroot "$rootfs" readlink -f "$lib")
  buildah copy --quiet "$c" "$rootfs$real" "$lib"
done
buildah copy --quiet --chmod 0755 "$c" "$stripped" /nodejs/bin/node
etc="$WORK/runtime-etc"
rm -rf "$etc" && mkdir -p "$etc/etc/ssl/certs" "$etc/tmp" "$etc/home/nonroot"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$etc/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' >"$etc/etc/group"
# Node carries its own CA bundle; this one is for NODE_USE_SYSTEM_CA / --use-openssl-ca
[ -f /etc/ssl/certs/ca-certificates.crt ] && cp /etc/ssl/certs/ca-certificates.crt "$etc/etc/ssl/certs/"
chmod 1777 "$etc/tmp"
buildah copy --quiet "$c" "$etc" /
buildah run --isolation chroot "$c" -- /nodejs/bin/node -e 'require("fs").chownSync("/home/nonroot", 65532, 65532)'
buildah run --isolation chroot "$c" -- /nodejs/bin/node -e 'console.log("runtime base runs node", process.version)'
buildah config --env NODE_VERSION="${node_version#v}" --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --user 65532:65532 --workingdir /home/nonroot --entrypoint '["/nodejs/bin/node"]' --cmd '' \
  --label org.opencontainers.image.description="Node $node_version and its shared libraries (local stand-in for gcr.io/distroless/nodejs24-debian12)" "$c"
buildah commit --quiet --rm "$c" "$RUNTIME_BASE" >/dev/null
trap - EXIT
buildah images --filter reference=localhost/kubeherald/node-build --filter reference=localhost/kubeherald/node-runtime
