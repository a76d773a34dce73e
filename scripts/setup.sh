#!/usr/bin/env bash
# Installs and builds everything the demo and the tests need. Idempotent: each step is skipped when done.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
started=$SECONDS

# --- System packages (Debian) -----------------------------------------------------------------------
# Add packages here as the project needs them (the Slurm and container issues add:
# slurm-wlm munge podman runc debootstrap).
APT_PACKAGES=(redis-server chromium curl bubblewrap)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if (( ${#missing[@]} )); then
  say "installing system packages: ${missing[*]}"
  if [[ $EUID -eq 0 ]]; then SUDO=(); elif command -v sudo >/dev/null; then SUDO=(sudo); else
    die "install these Debian packages first (as root): apt-get install -y ${missing[*]}"
  fi
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Node packages ------------------------------------------------------------------------------------
command -v node >/dev/null || die "Node.js 20 or newer is required (apt-get install nodejs npm)"
if [[ ! -d node_modules ]]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
elif [[ ! node_modules/.package-lock.json -nt package-lock.json ]]; then
  # Not `npm ci`: it would delete node_modules while other tools may be using it.
  say "npm install (package-lock.json changed)"
  npm install --no-audit --no-fund --loglevel=error
  touch node_modules/.package-lock.json
fi

say "compiling TypeScript (tsc -b)"
"$ROOT/node_modules/.bin/tsc" -b
# The extension's unit tests (its pure modules) compile on their own, outside the labextension build.
"$ROOT/node_modules/.bin/tsc" -p extension/tsconfig.test.json
# tsc writes 644 files; the workspaces' bins (funcx, funcx-hub, funcx-endpoint) must be executable.
node -e '
  const fs = require("fs"), path = require("path");
  for (const ws of require("./package.json").workspaces) {
    const file = path.join(ws, "package.json");
    if (!fs.existsSync(file)) continue;
    for (const bin of Object.values(JSON.parse(fs.readFileSync(file, "utf8")).bin ?? {})) {
      const target = path.join(ws, bin);
      if (fs.existsSync(target)) fs.chmodSync(target, 0o755);
    }
  }'

# --- Python venv with JupyterLab ------------------------------------------------------------------------
if [[ ! -x "$VENV/bin/jupyter-lab" ]] || ! compgen -G "$VENV/lib/python3*/site-packages/matplotlib" >/dev/null; then
  say "creating the Python environment in .venv (JupyterLab, ipykernel, matplotlib)"
  python3 -m venv "$VENV"
  PIP_RETRIES=0 "$VENV/bin/pip" install --retries 0 --quiet jupyterlab==4.6.4 ipykernel matplotlib
fi
export PATH="$VENV/bin:$PATH"

# --- The JupyterLab extension ---------------------------------------------------------------------------
LABEXT_DIR="$VENV/share/jupyter/labextensions/@funcx/jupyterlab"
ext_sources=(extension/src extension/schema extension/package.json style protocol/src client/src)
if [[ ${FUNCX_SKIP_EXTENSION:-} == 1 ]] || ! compgen -G "extension/src/*" >/dev/null; then
  say "extension: skipped"
elif [[ -f "$LABEXT_DIR/package.json" ]] && [[ -z "$(find "${ext_sources[@]}" -newer "$LABEXT_DIR/package.json" -print -quit 2>/dev/null)" ]]; then
  say "extension: up to date"
else
  mkdir -p "$RUN_DIR"
  build_log="$RUN_DIR/extension-build.log"
  install_script=""
  for candidate in extension/install.sh extension/scripts/install.sh; do
    [[ -x $candidate ]] && { install_script=$candidate; break; }
  done
  if [[ -n $install_script ]]; then
    say "extension: building and installing into .venv ($install_script, log in .run/extension-build.log)"
    build=("$install_script" "$VENV")
  else
    say "extension: building and installing into .venv (log in .run/extension-build.log)"
    build=(bash -c 'npm run build -w extension && rm -rf "$1" && mkdir -p "$(dirname "$1")" &&
      cp -r extension/funcx_jupyterlab/labextension "$1"' build "$LABEXT_DIR")
  fi
  if ! "${build[@]}" >"$build_log" 2>&1; then
    tail -c 3000 "$build_log" | cut -c1-300 >&2
    die "the extension did not build; full log: $build_log"
  fi
  [[ -f "$LABEXT_DIR/package.json" ]] || die "the extension build did not install $LABEXT_DIR"
  touch "$LABEXT_DIR/package.json"
fi

node scripts/lab-settings.mjs "$VENV/share/jupyter/lab/settings/overrides.json"
say "setup done in $((SECONDS - started)) s"
