#!/usr/bin/env bash
# Runs every test: the Node test suites of each package, then the Playwright ui-tests.
# Prints `N passed, N failed` at the end and exits non-zero if anything failed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
started=$SECONDS

"$ROOT/scripts/setup.sh"
export PATH="$VENV/bin:$PATH"
mkdir -p "$RUN_DIR"

passed=0
failed=0
status=0

# --- Node test suites: every package's compiled dist/test/*.test.js ----------------------------------------
mapfile -t node_tests < <(find . \( -name node_modules -o -name .venv -o -name .git -o -name ui-tests \) -prune \
  -o -path '*/dist/test/*' -name '*.test.js' -print | sort)
if (( ${#node_tests[@]} )); then
  say "node tests: ${#node_tests[@]} files in $(printf '%s\n' "${node_tests[@]}" | cut -d/ -f2 | sort -u | tr '\n' ' ')"
  tap="$RUN_DIR/node-tests.tap"
  node_status=0
  node --test --test-timeout=300000 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" \
    "${node_tests[@]}" || node_status=$?
  node_pass=$(grep -E '^# pass [0-9]+' "$tap" | tail -1 | awk '{print $3}')
  node_fail=$(grep -E '^# fail [0-9]+' "$tap" | tail -1 | awk '{print $3}')
  node_cancelled=$(grep -E '^# cancelled [0-9]+' "$tap" | tail -1 | awk '{print $3}')
  node_pass=${node_pass:-0}
  node_fail=$(( ${node_fail:-0} + ${node_cancelled:-0} ))
  if (( node_status != 0 && node_fail == 0 )); then node_fail=1; fi
  say "node tests: $node_pass passed, $node_fail failed"
  passed=$((passed + node_pass)); failed=$((failed + node_fail))
  (( node_status == 0 )) || status=1
else
  say "node tests: none found (no */dist/test/*.test.js)"
fi

# --- Playwright ui-tests --------------------------------------------------------------------------------------
if [[ ${FUNCX_SKIP_UI_TESTS:-} == 1 ]]; then
  say "ui-tests: skipped (FUNCX_SKIP_UI_TESTS=1)"
elif compgen -G "ui-tests/tests/*.spec.ts" >/dev/null; then
  say "ui-tests: type check"
  if ! "$ROOT/node_modules/.bin/tsc" -p ui-tests/tsconfig.json; then
    say "ui-tests: type errors (above)"
    failed=$((failed + 1)); status=1
  fi
  say "ui-tests (Playwright, Chromium)"
  report="$RUN_DIR/ui-tests.json"
  rm -f "$report"
  ui_status=0
  (cd ui-tests && PLAYWRIGHT_JSON_OUTPUT_NAME="$report" "$ROOT/node_modules/.bin/playwright" test --reporter=list,json) || ui_status=$?
  if [[ -f $report ]]; then
    read -r ui_pass ui_fail < <(node -e '
      const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).stats ?? {};
      const errors = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).errors ?? [];
      console.log((s.expected ?? 0) + (s.flaky ?? 0), (s.unexpected ?? 0) + errors.length);' "$report")
  else
    ui_pass=0; ui_fail=0
  fi
  if (( ui_status != 0 && ui_fail == 0 )); then ui_fail=1; fi
  say "ui-tests: $ui_pass passed, $ui_fail failed (screenshots in ${FUNCX_UI_RESULTS:-ui-tests/test-results}/screenshots)"
  passed=$((passed + ui_pass)); failed=$((failed + ui_fail))
  (( ui_status == 0 )) || status=1
else
  say "ui-tests: none found"
fi

# The node tests' failures again, where a long run's last lines show them.
if (( ${node_fail:-0} > 0 )) && [[ -f ${tap:-} ]]; then
  say "node tests that failed:"
  node "$ROOT/scripts/tap-failures.mjs" "$tap" || true
fi

say "all tests finished in $((SECONDS - started)) s"
echo "$passed passed, $failed failed"
(( status == 0 && failed == 0 ))
