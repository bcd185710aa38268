#!/usr/bin/env bash
# The rack web page (/ui/) in a real browser: headless Chromium (Debian's chromium and
# chromium-driver, installed when missing) driven by selenium (PyPI, into .venv) against the
# stack as deployed (HTTPS through Apache) on a rack of simulated BMCs. scripts/ui-test/test_ui.py
# logs in, checks every server in the elevation with its power state, takes a BMC down at the
# simulator and back, powers a server off through the page and checks the simulated BMC itself,
# and checks that a ReadOnly account sees no action controls. Screenshots go to results/ui/.
# Prints `N passed, N failed`; exits non-zero on any failure.
#   STACK_BIN_DIR=DIR scripts/test.d/ui.sh   # prebuilt binaries instead of target/debug
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
VENV="${REDDRUM_VENV:-$ROOT/.venv}"
export PYTHONDONTWRITEBYTECODE=1
T0=$(date +%s)
say() { printf '[ui +%3ds] %s\n' "$(($(date +%s) - T0))" "$*"; }

SELENIUM=selenium==4.51.0   # pinned: bump deliberately, with a run of this layer

need=()
command -v chromium > /dev/null || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
command -v apache2 > /dev/null || need+=(apache2)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" > /dev/null
  if command -v service > /dev/null; then service apache2 stop > /dev/null 2>&1 || true; fi
fi
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
if [ "$("$VENV/bin/python" -c 'import selenium; print(selenium.__version__)' 2> /dev/null)" != "${SELENIUM#*==}" ]; then
  say "installing $SELENIUM into $VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "$SELENIUM"
fi

source scripts/lib/stack.sh
STACK_ROOT="$(mktemp -d "${TMPDIR:-/tmp}/reddrum-ui.XXXXXX")"
keep=0
cleanup() {
  stack_stop
  if [ "$keep" = 1 ]; then say "stack state and logs kept in $STACK_ROOT"; else rm -rf "$STACK_ROOT"; fi
}
trap cleanup EXIT
STACK_SIM_CONTROL="127.0.0.1:$(_free_port)"
# Readings every 2 s (the rack's totals and inlet temperatures are on the page at once); s1 on a
# PDU socket whose reseat command takes 2 s and leaves a line in a file (the page follows its
# Task to the end; the test checks the line).
export UI_RESEATS="$STACK_ROOT/reseats"
STACK_AGGREGATOR_EXTRA="$(printf '[aggregator.readings]\ninterval_secs = 2\n[aggregator.pdu]\nreseat_command = ["/bin/sh", "-c", "sleep 2; echo {bmc} {socket} >> %s"]\n' "$UI_RESEATS")"
STACK_BMC_TOML='s1: pdu_socket = "7"'
export STACK_SIM_CONTROL STACK_AGGREGATOR_EXTRA STACK_BMC_TOML
stack_start "$STACK_ROOT" "dmtf idrac ilo openbmc supermicro dmtf"
stack_apache
say "stack up: $STACK_HTTPS_URL (Apache) -> $STACK_URL; sim control $STACK_SIM_CONTROL"

mkdir -p results/ui
rc=0
UI_RESULTS="$ROOT/results/ui" UI_BROWSER_LOG="$STACK_ROOT/chromedriver.log" \
  "$VENV/bin/python" scripts/ui-test/test_ui.py 2>&1 | tee "$STACK_ROOT/test_ui.out" || rc=$?
result="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$STACK_ROOT/test_ui.out" | tail -n1 || true)"
if [ "$rc" != 0 ] || [ -z "$result" ]; then
  keep=1
  say "FAIL (exit $rc); last lines of the services' logs:"
  tail -n 15 "$STACK_DIR/aggregator.log" "$STACK_DIR/frontend.log" 2> /dev/null || true
  [ -n "$result" ] || echo "0 passed, 1 failed"
  exit 1
fi
say "done in $(($(date +%s) - T0)) s; screenshots in results/ui/"
