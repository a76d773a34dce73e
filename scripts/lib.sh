# Shared helpers for the scripts in this folder; source it, do not run it.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
# Logs and pids of what the scripts start (tests that run start.sh point it elsewhere).
RUN_DIR="${FUNCX_RUN_DIR:-$ROOT/.run}"

say() { printf '\033[1m==>\033[0m %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# wait_for_url URL SECONDS: true once URL answers with a 2xx.
wait_for_url() {
  local url="$1" deadline=$((SECONDS + $2))
  while (( SECONDS < deadline )); do
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
    sleep 0.3
  done
  return 1
}

# wait_for_line FILE PATTERN SECONDS PID: true once FILE has a line matching PATTERN; false if PID exits first.
wait_for_line() {
  local file="$1" pattern="$2" deadline=$((SECONDS + $3)) pid="$4"
  while (( SECONDS < deadline )); do
    grep -Eq "$pattern" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}

port_in_use() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# stop_pid PID [NAME]: SIGTERM, then SIGKILL after 10 s.
stop_pid() {
  local pid="$1" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  kill -KILL "$pid" 2>/dev/null || true
}
