#!/usr/bin/env bash
# Builds the container images the tests and the demo run in, with no registry: a Debian minbase root file
# system with python3, made by debootstrap, and a tiny one without python3. Each is kept unpacked (for
# container_runtime: bwrap) and, where podman is installed, imported into a podman image store of its own (for
# podman, through the endpoint's container_image_stores). Everything is cached outside the repository, keyed by
# what goes into it: a second run on the same machine finds it and does nothing.
#
#   scripts/build-image.sh            build what is missing; the last lines say where it is (KEY=VALUE)
#
# Images: localhost/funcx-python:bookworm, localhost/funcx-nopython:latest
# Cache:  $FUNCX_IMAGE_CACHE, default ${XDG_CACHE_HOME:-~/.cache}/funcx-jupyter
# Needs:  root (debootstrap), debootstrap, and a reachable Debian mirror (the one apt uses here)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SUITE=bookworm
PACKAGES=python3
PYTHON_IMAGE=localhost/funcx-python:$SUITE
NOPYTHON_IMAGE=localhost/funcx-nopython:latest
# Change this when the recipe below changes: it is part of every cache key.
RECIPE=1

CACHE="${FUNCX_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/funcx-jupyter}"
IMAGE_DIR="$CACHE/images"
PODMAN_DIR="$CACHE/podman"
STORE="$PODMAN_DIR/storage"

# The Debian mirror apt uses on this machine (deb822 .sources first, then sources.list), else Debian's own.
debian_mirror() {
  local uri
  uri=$(awk -v suite="$SUITE" '
    /^URIs:/ { uris = $2 }
    /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) found = 1 }
    /^$/ { if (found && uris) { print uris; exit } found = 0; uris = "" }
    END { if (found && uris) print uris }' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
  if [[ -z $uri && -f /etc/apt/sources.list ]]; then
    uri=$(awk -v suite="$SUITE" '$1 == "deb" && $3 == suite { print $2; exit }' /etc/apt/sources.list)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

MIRROR="$(debian_mirror)"
ARCH="$(dpkg --print-architecture 2>/dev/null || uname -m)"
KEY="$(printf '%s\n' "$RECIPE" "$SUITE" minbase "$PACKAGES" "$MIRROR" "$ARCH" | sha256sum | cut -c1-16)"
ROOTFS="$CACHE/rootfs/$SUITE-$PACKAGES-$KEY"
NOPYTHON_ROOTFS="$CACHE/rootfs/nopython-$RECIPE"

mkdir -p "$CACHE/rootfs" "$IMAGE_DIR/localhost"
# One build at a time on this machine (test files run side by side).
exec 9>"$CACHE/.lock"
flock 9

if [[ ! -f $ROOTFS/.complete ]]; then
  [[ $EUID -eq 0 ]] || die "building $PYTHON_IMAGE needs root (debootstrap); run: sudo $0"
  command -v debootstrap >/dev/null || die "debootstrap is not installed: apt-get install debootstrap"
  say "building $PYTHON_IMAGE: debootstrap --variant=minbase --include=$PACKAGES $SUITE from $MIRROR (about 50 s)"
  rm -rf "$ROOTFS.tmp"
  started=$SECONDS
  if ! debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$ROOTFS.tmp" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1; then
    tail -5 "$CACHE/debootstrap.log" >&2
    rm -rf "$ROOTFS.tmp"
    die "debootstrap failed; full log: $CACHE/debootstrap.log"
  fi
  rm -rf "$ROOTFS.tmp/var/cache/apt/archives/"*.deb "$ROOTFS.tmp/var/lib/apt/lists/"*
  touch "$ROOTFS.tmp/.complete"
  mv "$ROOTFS.tmp" "$ROOTFS"
  say "root file system ready in $((SECONDS - started)) s: $ROOTFS"
fi

# The image without python3: an empty Linux tree, so the runtime starts it and finds no interpreter.
if [[ ! -f $NOPYTHON_ROOTFS/etc/os-release ]]; then
  rm -rf "$NOPYTHON_ROOTFS"
  mkdir -p "$NOPYTHON_ROOTFS"/{etc,usr/bin,tmp}
  printf 'NAME="funcX test image without python3"\nID=funcx-nopython\n' >"$NOPYTHON_ROOTFS/etc/os-release"
fi

# container_image_dir for bwrap: DIR/REFERENCE is the unpacked root file system.
ln -sfn "$ROOTFS" "$IMAGE_DIR/$PYTHON_IMAGE"
ln -sfn "$NOPYTHON_ROOTFS" "$IMAGE_DIR/$NOPYTHON_IMAGE"

if command -v podman >/dev/null; then
  mkdir -p "$PODMAN_DIR"
  run_dir="/tmp/funcx-image-store-$(id -u)"
  printf '[engine]\nruntime = "runc"\ntmp_dir = "%s/tmp"\nevents_logger = "none"\n' "$run_dir" >"$PODMAN_DIR/containers.conf"
  printf '[storage]\ndriver = "overlay"\ngraphroot = "%s"\nrunroot = "%s/run"\n' "$STORE" "$run_dir" >"$PODMAN_DIR/storage.conf"
  export CONTAINERS_CONF="$PODMAN_DIR/containers.conf" CONTAINERS_STORAGE_CONF="$PODMAN_DIR/storage.conf"
  # import IMAGE ROOTFS LABEL: unless the store holds IMAGE made from that very root file system.
  import() {
    local have
    have=$(podman image inspect --format '{{ index .Labels "funcx.rootfs" }}' "$1" 2>/dev/null || true)
    [[ $have == "$3" ]] && return 0
    say "importing $1 into $STORE"
    tar -C "$2" --exclude=./.complete -c . | podman import --quiet --change "LABEL funcx.rootfs=$3" - "$1" >/dev/null
  }
  import "$PYTHON_IMAGE" "$ROOTFS" "$KEY"
  import "$NOPYTHON_IMAGE" "$NOPYTHON_ROOTFS" "nopython-$RECIPE"
  rm -rf "$run_dir"
  echo "FUNCX_IMAGE_STORE=$STORE"
fi
echo "FUNCX_IMAGE_DIR=$IMAGE_DIR"
echo "FUNCX_PYTHON_IMAGE=$PYTHON_IMAGE"
echo "FUNCX_NOPYTHON_IMAGE=$NOPYTHON_IMAGE"
