#!/usr/bin/env bash
# Installs and builds everything the demo and the tests need. Idempotent: each step is skipped when done.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
started=$SECONDS

# --- System packages (Debian) -----------------------------------------------------------------------
# Add packages here as the project needs them.
APT_PACKAGES=(redis-server chromium curl bubblewrap podman runc debootstrap slurm-wlm munge openmpi-bin
  clang lld wasi-libc libclang-rt-14-dev-wasm32 wabt)

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
mkdir -p "$RUN_DIR"
TSC="$ROOT/node_modules/.bin/tsc"

# Steps that do not depend on each other run side by side; each writes its own log in .run/.
# run_logged NAME CMD...: runs CMD with its output in .run/NAME.log; on failure shows the log's end.
run_logged() {
  local name="$1"; shift
  if ! "$@" >"$RUN_DIR/$name.log" 2>&1; then
    tail -c 3000 "$RUN_DIR/$name.log" | cut -c1-300 >&2
    echo "error: $name failed; full log: .run/$name.log" >&2
    return 1
  fi
}

# --- Python venv with JupyterLab (in the background while Node builds) ----------------------------------
venv_pid=""
if [[ ! -x "$VENV/bin/jupyter-lab" ]] || ! compgen -G "$VENV/lib/python3*/site-packages/matplotlib" >/dev/null; then
  say "creating the Python environment in .venv (JupyterLab, ipykernel, matplotlib), in the background"
  run_logged python-venv bash -c 'python3 -m venv "$1" &&
    PIP_RETRIES=0 "$1/bin/pip" install --retries 0 --quiet --disable-pip-version-check jupyterlab==4.6.4 ipykernel matplotlib' \
    venv "$VENV" &
  venv_pid=$!
fi

# --- Container images for the tests (in the background; cached in ~/.cache/funcx-jupyter) -------------------
images_pid=""
if [[ ${FUNCX_SKIP_IMAGES:-} != 1 && $EUID -eq 0 ]] && command -v podman >/dev/null && command -v debootstrap >/dev/null; then
  say "container images: scripts/build-image.sh (log in .run/build-image.log), in the background"
  run_logged build-image "$ROOT/scripts/build-image.sh" &
  images_pid=$!
fi

# --- Node packages ------------------------------------------------------------------------------------
if [[ ! -d node_modules ]]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error --prefer-offline
elif [[ ! node_modules/.package-lock.json -nt package-lock.json ]]; then
  # Not `npm ci`: it would delete node_modules while other tools may be using it.
  say "npm install (package-lock.json changed)"
  npm install --no-audit --no-fund --loglevel=error --prefer-offline
  touch node_modules/.package-lock.json
fi

# --- TypeScript and the extension --------------------------------------------------------------------------
# protocol and client first: both the packages and the extension build on them. Then the rest of the
# packages and the extension compile side by side (tsc is single-threaded).
say "compiling TypeScript (tsc -b)"
"$TSC" -b protocol client
"$TSC" -b &
tsc_pid=$!

LABEXT_DIR="$VENV/share/jupyter/labextensions/@funcx/jupyterlab"
ext_sources=(extension/src extension/schema extension/style extension/package.json protocol/src client/src)
ext_build_pid=""
ext_install=0
if [[ ${FUNCX_SKIP_EXTENSION:-} == 1 ]]; then
  say "extension: skipped"
  # Its unit tests (pure modules) still compile.
  "$TSC" -p extension/tsconfig.test.json
elif [[ -f "$LABEXT_DIR/package.json" ]] && [[ -z "$(find "${ext_sources[@]}" -newer "$LABEXT_DIR/package.json" -print -quit 2>/dev/null)" ]]; then
  say "extension: up to date"
  "$TSC" -p extension/tsconfig.test.json
else
  say "extension: building (log in .run/extension-build.log)"
  run_logged extension-build bash -c 'npm run --silent build:lib -w extension && npm run --silent build:test -w extension &&
    npm run --silent build:labextension -w extension' &
  ext_build_pid=$!
  ext_install=1
fi

wait "$tsc_pid" || die "TypeScript did not compile (the errors are above)"
if [[ -n $ext_build_pid ]]; then wait "$ext_build_pid" || die "the extension did not build"; fi
if [[ -n $venv_pid ]]; then wait "$venv_pid" || die "the Python environment could not be created"; fi
if [[ -n $images_pid ]]; then wait "$images_pid" || die "the container images could not be built"; fi
export PATH="$VENV/bin:$PATH"

if (( ext_install )); then
  run_logged extension-install extension/install.sh "$VENV" --no-build || die "the extension could not be installed"
  [[ -f "$LABEXT_DIR/package.json" ]] || die "the extension install did not write $LABEXT_DIR"
  touch "$LABEXT_DIR/package.json"
  say "extension: installed into .venv"
fi

# --- The Python SDK (sdk/python, editable) and the kernel loading its %%funcx magic ----------------------------
# cloudpickle and dill: the SDK sends functions and values that their source or JSON cannot carry pickled.
if ! "$VENV/bin/python" - "$ROOT/sdk/python/funcx" <<'EOF' 2>/dev/null; then
import os, sys, funcx, cloudpickle, dill
sys.exit(os.path.realpath(os.path.dirname(funcx.__file__)) != os.path.realpath(sys.argv[1]))
EOF
  say "installing the Python SDK (sdk/python) into .venv"
  run_logged python-sdk env PIP_RETRIES=0 "$VENV/bin/pip" install --retries 0 --quiet --disable-pip-version-check \
    cloudpickle dill -e "$ROOT/sdk/python" || die "the Python SDK could not be installed"
fi
# IPython reads kernel configuration from <prefix>/etc/ipython: every kernel of .venv loads the extension.
KERNEL_CONFIG="$VENV/etc/ipython/ipython_kernel_config.py"
if ! grep -qs "extensions.append('funcx')" "$KERNEL_CONFIG"; then
  mkdir -p "$(dirname "$KERNEL_CONFIG")"
  printf '%s\n' "# Written by scripts/setup.sh: %%funcx and %funcx in every kernel (a cell runs on an endpoint)." \
    "c.IPKernelApp.extensions.append('funcx')" >>"$KERNEL_CONFIG"
fi

# --- WebAssembly examples (examples/wasm, built from source; a module newer than its source is kept) ----------
run_logged build-wasm "$ROOT/scripts/build-wasm.sh" || die "the WebAssembly examples did not build"

node scripts/lab-settings.mjs "$VENV/share/jupyter/lab/settings/overrides.json"
say "setup done in $((SECONDS - started)) s"
