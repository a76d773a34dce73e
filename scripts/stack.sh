# Starts the demo's hub and endpoints; sourced by start.sh and binder/start (after lib.sh).
# Every process started is recorded in $RUN_DIR/pids ("NAME PID" lines) so it can be stopped by pid.

export FUNCX_HOME="${FUNCX_HOME:-$HOME/.funcx}"
HUB_HOST="${FUNCX_HUB_HOST:-127.0.0.1}"
HUB_PORT="${FUNCX_HUB_PORT:-8470}"
PIDS_FILE="$RUN_DIR/pids"

funcx_hub() { node "$ROOT/server/dist/src/main.js" "$@"; }
funcx_endpoint() { node "$ROOT/endpoint/dist/src/cli.js" "$@"; }

record_pid() { echo "$1 $2" >>"$PIDS_FILE"; }

# Stops what a previous run recorded and left running (a run killed without its clean-up).
stop_leftovers() {
  [[ -f $PIDS_FILE ]] || return 0
  local name pid
  while read -r name pid; do
    if kill -0 "$pid" 2>/dev/null; then
      say "stopping $name left over from a previous run (pid $pid)"
      stop_pid "$pid"
    fi
  done <"$PIDS_FILE"
  rm -f "$PIDS_FILE"
}

# start_hub: starts funcx-hub on $HUB_HOST:$HUB_PORT, sets HUB_URL and HUB_TOKEN; exits on failure.
start_hub() {
  port_in_use "$HUB_HOST" "$HUB_PORT" &&
    die "port $HUB_PORT is in use; stop what uses it or choose another with FUNCX_HUB_PORT=..."
  if ! launch_hub; then
    tail -20 "$RUN_DIR/hub.log" >&2
    die "the hub did not start (log: $RUN_DIR/hub.log)"
  fi
  say "hub listening on $HUB_URL (pid $HUB_PID, data in $FUNCX_HOME/hub, log .run/hub.log)"
}

# launch_hub: starts funcx-hub and waits until it listens; false when it did not (its log says why). The log
# of a hub that ran before is kept as hub.previous.log.
launch_hub() {
  local log="$RUN_DIR/hub.log"
  [[ -s $log ]] && mv -f "$log" "$RUN_DIR/hub.previous.log"
  : >"$log"
  setsid node "$ROOT/server/dist/src/main.js" --host "$HUB_HOST" --port "$HUB_PORT" >"$log" 2>&1 </dev/null &
  HUB_PID=$!
  record_pid hub "$HUB_PID"
  wait_for_line "$log" '^funcx hub listening on ' 30 "$HUB_PID" || return 1
  HUB_URL="$(sed -n 's/^funcx hub listening on //p' "$log" | head -1)"
  HUB_TOKEN="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).token)' \
    "$FUNCX_HOME/credentials.json")"
}

# start_endpoint NAME WORKERS LAT,LON SITE: (re)configures the endpoint and starts its daemon.
start_endpoint() {
  local name="$1" workers="$2" location="$3" site="$4" log="$RUN_DIR/endpoint-$1.log" out pid
  funcx_endpoint stop "$name" >/dev/null 2>&1 || true
  if ! funcx_endpoint configure "$name" --hub "$HUB_URL" --workers "$workers" --location "$location" \
      --site "$site" --python "$VENV/bin/python" >"$log" 2>&1; then
    cat "$log" >&2
    die "could not configure endpoint $name"
  fi
  launch_endpoint "$name" || die "endpoint $name did not start (log: $FUNCX_HOME/endpoints/$name/daemon.log)"
  endpoint_online "$name" 30 ||
    die "endpoint $name is not online at the hub (log: $FUNCX_HOME/endpoints/$name/daemon.log)"
  say "endpoint $name online (${workers} workers, $site, pid ${ENDPOINT_PIDS[$name]%% *})"
}

# The pids of each endpoint started, by name: its daemon, then the supervisor that restarts the daemon if it dies.
declare -A ENDPOINT_PIDS=()

# launch_endpoint NAME: starts the configured endpoint (daemon and supervisor) and records their pids; false when
# it did not start.
launch_endpoint() {
  local name="$1" log="$RUN_DIR/endpoint-$1.log" out pids
  if ! out="$(funcx_endpoint start "$name" 2>&1)"; then
    echo "$out" >&2
    return 1
  fi
  echo "$out" >>"$log"
  pids="$(sed -nE 's/.*\(pid ([0-9]+)\).*/\1/p' <<<"$out" | tr '\n' ' ')"
  [[ -n ${pids// /} ]] || return 1
  record_pid "endpoint-$name" "${pids%% *}"
  [[ -n ${pids#* } ]] && record_pid "endpoint-$name-supervisor" "${pids#* }"
  ENDPOINT_PIDS[$name]="$pids"
}

# endpoint_running NAME: true while its daemon or its supervisor runs (the supervisor restarts a daemon that
# dies by itself; only when both are gone is the endpoint started again).
endpoint_running() {
  local pid
  for pid in ${ENDPOINT_PIDS[$1]:-}; do
    kill -0 "$pid" 2>/dev/null && return 0
  done
  return 1
}

# supervise LAB_PID ENDPOINT...: while JupyterLab runs, starts again the hub or an endpoint daemon that exits
# (notebooks keep their kernels and outputs; the extension reconnects by itself). Returns when JupyterLab exits.
supervise() {
  local lab_pid="$1" name next_hub_try=0
  shift
  while kill -0 "$lab_pid" 2>/dev/null; do
    if ! kill -0 "$HUB_PID" 2>/dev/null && (( SECONDS >= next_hub_try )); then
      say "the hub exited (log: .run/hub.log); JupyterLab stays up; starting the hub again"
      if launch_hub; then
        say "hub back on $HUB_URL (pid $HUB_PID; the log of the one that exited: .run/hub.previous.log)"
      else
        say "the hub did not start again (log: .run/hub.log); trying again in 5 s"
        next_hub_try=$((SECONDS + 5))
      fi
    fi
    for name in "$@"; do
      endpoint_running "$name" && continue
      say "endpoint $name exited (log: $FUNCX_HOME/endpoints/$name/daemon.log); JupyterLab stays up; starting it again"
      if launch_endpoint "$name"; then
        say "endpoint $name started again (pid ${ENDPOINT_PIDS[$name]%% *})"
      else
        ENDPOINT_PIDS[$name]=""
      fi
    done
    sleep 1
  done
}

# endpoint_online NAME SECONDS: true once the hub shows the endpoint online.
endpoint_online() {
  local deadline=$((SECONDS + $2))
  while (( SECONDS < deadline )); do
    curl -fsS --max-time 2 -H "Authorization: Bearer $HUB_TOKEN" "$HUB_URL/v1/endpoints/$1" 2>/dev/null |
      node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () =>
        process.exit(JSON.parse(s || "{}").status?.online ? 0 : 1))' && return 0
    sleep 0.3
  done
  return 1
}

stop_endpoint() {
  funcx_endpoint stop "$1" >/dev/null 2>&1 || true
}

# write_lab_settings OVERRIDES_JSON: points the extension at the hub, with the local user's token.
write_lab_settings() {
  node "$ROOT/scripts/lab-settings.mjs" "$1" "$HUB_URL" "$HUB_TOKEN"
}
