#!/usr/bin/env bash
# Builds the WebAssembly examples from their sources in examples/wasm (C with clang for wasm32-wasi, WAT with
# wabt's wat2wasm) into examples/wasm/build/. A module newer than its source is kept. Prints the build folder.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/examples/wasm"
OUT="${FUNCX_WASM_BUILD_DIR:-$SRC/build}"
mkdir -p "$OUT"

need() {
  if ! command -v "$1" >/dev/null; then
    echo "build-wasm: $1 is not installed: apt-get install -y $2" >&2
    exit 3
  fi
}

shopt -s nullglob
c_sources=("$SRC"/*.c)
wat_sources=("$SRC"/*.wat)
if (( ${#c_sources[@]} )); then
  need clang "clang lld wasi-libc libclang-rt-14-dev-wasm32"
  need wasm-ld "lld"
  if [[ ! -d /usr/include/wasm32-wasi && -z ${WASI_SYSROOT:-} ]]; then
    echo "build-wasm: wasi-libc is not installed (no /usr/include/wasm32-wasi): apt-get install -y wasi-libc libclang-rt-14-dev-wasm32" >&2
    exit 3
  fi
fi
if (( ${#wat_sources[@]} )); then need wat2wasm wabt; fi

for source in "${c_sources[@]}"; do
  module="$OUT/$(basename "${source%.c}").wasm"
  [[ -f $module && $module -nt $source ]] && continue
  sysroot=()
  [[ -n ${WASI_SYSROOT:-} ]] && sysroot=(--sysroot "$WASI_SYSROOT")
  clang --target=wasm32-wasi "${sysroot[@]}" -O2 -s -Wall -Werror -o "$module.tmp" "$source"
  mv "$module.tmp" "$module"
done
for source in "${wat_sources[@]}"; do
  module="$OUT/$(basename "${source%.wat}").wasm"
  [[ -f $module && $module -nt $source ]] && continue
  wat2wasm "$source" -o "$module.tmp"
  mv "$module.tmp" "$module"
done
echo "$OUT"
