#!/usr/bin/env bash
# Builds the funcX JupyterLab extension and installs it (prebuilt) into a Python environment.
# Usage: extension/install.sh [VENV] [--no-build]     VENV defaults to <repo>/.venv
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
venv="$repo/.venv"
build=1
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    -h|--help) sed -n 2,3p "$0" | sed 's/^# //'; exit 0 ;;
    *) venv="$arg" ;;
  esac
done

if [ ! -x "$venv/bin/python" ]; then
  echo "install.sh: no Python environment at $venv (expected $venv/bin/python); create it with python3 -m venv $venv" >&2
  exit 1
fi

if [ "$build" = 1 ]; then
  (cd "$repo" && npm run --silent build -w extension)
fi

src="$here/funcx_jupyterlab/labextension"
if [ ! -f "$src/package.json" ]; then
  echo "install.sh: $src is missing; build first (npm run build -w extension)" >&2
  exit 1
fi
dest="$venv/share/jupyter/labextensions/@funcx/jupyterlab"
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
cp -R "$src" "$dest"
echo "funcX JupyterLab extension installed in $dest"
