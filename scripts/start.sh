#!/usr/bin/env bash
# Sets everything up, then starts the demo: a hub, endpoints `local` and `cloud`, and JupyterLab on
# examples/demo.ipynb. Stays in the foreground, starting again the hub or an endpoint that exits (JupyterLab
# stays up); Ctrl-C stops everything it started.
#   FUNCX_HOME (~/.funcx)  FUNCX_HUB_HOST/FUNCX_HUB_PORT (127.0.0.1:8470)  FUNCX_LAB_HOST/FUNCX_LAB_PORT (127.0.0.1:8888)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ROOT/scripts/setup.sh"
cd "$ROOT"
mkdir -p "$RUN_DIR"
source "$ROOT/scripts/stack.sh"
LAB_HOST="${FUNCX_LAB_HOST:-127.0.0.1}"
LAB_PORT="${FUNCX_LAB_PORT:-8888}"

stop_leftovers
port_in_use "$LAB_HOST" "$LAB_PORT" &&
  die "port $LAB_PORT is in use; stop what uses it or choose another with FUNCX_LAB_PORT=..."

ENDPOINTS=()
LAB_PID=""
HUB_PID=""
stopping=0
stop_all() {
  (( stopping )) && return
  stopping=1
  trap - INT TERM HUP
  echo
  say "stopping"
  [[ -n $LAB_PID ]] && stop_pid "$LAB_PID"
  for name in "${ENDPOINTS[@]}"; do stop_endpoint "$name"; done
  # The endpoint daemons' pids, in case `stop` could not reach them.
  if [[ -f $PIDS_FILE ]]; then
    while read -r name pid; do stop_pid "$pid"; done <"$PIDS_FILE"
    rm -f "$PIDS_FILE"
  fi
  say "stopped hub, endpoints and JupyterLab"
}
trap 'stop_all; exit 130' INT TERM HUP
trap stop_all EXIT

start_hub
ENDPOINTS+=(local)
start_endpoint local 2 41.71,-87.98 "Argonne (laptop)"
ENDPOINTS+=(cloud)
start_endpoint cloud 2 37.87,-122.27 "Berkeley (cloud VM)"
write_lab_settings "$VENV/share/jupyter/lab/settings/overrides.json"

lab_log="$RUN_DIR/jupyterlab.log"
setsid "$VENV/bin/jupyter" lab --no-browser --ip="$LAB_HOST" --port="$LAB_PORT" --allow-root \
  --ServerApp.token='' --ServerApp.password='' --ServerApp.root_dir="$ROOT/examples" \
  >"$lab_log" 2>&1 </dev/null &
LAB_PID=$!
record_pid jupyterlab "$LAB_PID"
if ! wait_for_url "http://$LAB_HOST:$LAB_PORT/api/status" 60; then
  tail -20 "$lab_log" >&2
  die "JupyterLab did not start (log: $lab_log)"
fi

cat <<INFO

  JupyterLab   http://$LAB_HOST:$LAB_PORT/lab/tree/demo.ipynb
  Hub          $HUB_URL   (API docs: $HUB_URL/docs)
  Endpoints    local, cloud   (FUNCX_HOME=$FUNCX_HOME)
  CLI          export PATH="$ROOT/node_modules/.bin:\$PATH"; funcx endpoints
  Logs         .run/

  The hub or an endpoint that exits is started again; JupyterLab stays up.
  Press Ctrl-C to stop everything.

INFO

supervise "$LAB_PID" "${ENDPOINTS[@]}"
say "JupyterLab exited (see .run/jupyterlab.log)"
exit 1
