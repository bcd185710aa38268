#!/usr/bin/env bash
# The clients people drive Redfish with, against the aggregate as deployed (HTTPS through Apache,
# the stack's CA verified): DMTF's python-redfish-library and its Tacklebox helpers
# (redfish_utilities), OpenStack sushy, and Ansible's community.general Redfish modules. Each
# scenario (scripts/clients/) checks the EFFECT at the simulated BMC itself (its own Redfish tree,
# Basic root/calvin), or on the aggregate's own AccountService for its accounts, not only what the
# client said.
#
# The rack: one BMC of each bmc-sim profile, s1 dmtf, s2 idrac, s3 openbmc, s4 supermicro, s5 ilo.
# The clients are installed into .venv at the pinned versions below when missing (PyPI only: the
# full `ansible` package brings community.general; no galaxy).
#
# Prints one line per check, EXPECTED FAILURE lines for known product problems (they do not fail
# the layer), and closes with `N passed, N failed`; exits non-zero on any failure.
#   STACK_BIN_DIR=DIR scripts/test.d/clients.sh   # prebuilt binaries instead of target/debug
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
VENV="${REDDRUM_VENV:-$ROOT/.venv}"
export PYTHONDONTWRITEBYTECODE=1   # no __pycache__ left in scripts/clients
T0=$(date +%s)
say() { printf '[clients +%3ds] %s\n' "$(($(date +%s) - T0))" "$*"; }

# Pinned: bump deliberately, with a run of this layer.
PINS=(redfish==3.4.2 redfish_utilities==3.5.2 sushy==5.14.0 ansible==12.3.0)

command -v apache2 > /dev/null || { say "FAIL apache2 is not installed (scripts/test installs it)"; echo "0 passed, 1 failed"; exit 1; }
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
if ! "$VENV/bin/python" - "${PINS[@]}" <<'PY'
import sys
from importlib.metadata import PackageNotFoundError, version
for pin in sys.argv[1:]:
    name, want = pin.split("==")
    try:
        if version(name) != want:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
PY
then
  say "installing ${PINS[*]} into $VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PINS[@]}"
fi
[ -x "$VENV/bin/ansible-playbook" ] || { say "FAIL $VENV/bin/ansible-playbook is missing"; echo "0 passed, 1 failed"; exit 1; }

source scripts/lib/stack.sh
STACK_ROOT="$(mktemp -d "${TMPDIR:-/tmp}/reddrum-clients.XXXXXX")"
keep=0
cleanup() {
  stack_stop
  if [ "$keep" = 1 ]; then say "stack state and logs kept in $STACK_ROOT"; else rm -rf "$STACK_ROOT"; fi
}
trap cleanup EXIT
# The field's BMCs (bmc-sim quirks): an idrac writing absolute URLs with its own host name,
# BMCs without a SessionService or with one answering 500, power that changes seconds after the
# action, and three more servers with UUID ids, percent-encoded ids, and a listed member (and a
# linked collection) that is not there, beside which every client must still work.
stack_start "$STACK_ROOT" "dmtf idrac:advertised_host=bmc-s2.example.net openbmc:no_session_service \
  supermicro:session_service_500 ilo:async_power_secs=2 dmtf:uuid_ids idrac:encoded_ids dmtf:missing_member"
stack_apache
say "stack up: $STACK_HTTPS_URL (Apache) -> $STACK_URL; BMCs: $(awk '{printf "%s=%s ", $2, $NF}' "$STACK_DIR/bmc-sim.out")"

passed=0 failed=0 xfail=0
run() { # name command... : runs one scenario, adds up its RESULT line
  local name="$1" out="$STACK_ROOT/$1.out" rc=0 result
  shift
  say "=== $name"
  (cd scripts/clients && "$@") 2>&1 | tee "$out" || rc=$?
  result="$(grep -E '^RESULT passed=[0-9]+ failed=[0-9]+ expected_failures=[0-9]+$' "$out" | tail -n1 || true)"
  if [ -z "$result" ]; then
    say "FAIL $name ended without a RESULT line (exit $rc)"
    failed=$((failed + 1))
    return
  fi
  set -- $(echo "$result" | sed -E 's/[^0-9 ]+//g')
  passed=$((passed + $1)); failed=$((failed + $2)); xfail=$((xfail + $3))
  if [ "$rc" != 0 ] && [ "$2" = 0 ]; then
    say "FAIL $name exited $rc"
    failed=$((failed + 1))
  fi
}

run redfish-library "$VENV/bin/python" redfish_lib.py
run sushy "$VENV/bin/python" sushy_client.py
run ansible "$VENV/bin/python" ansible_run.py redfish.yml

if [ "$failed" != 0 ]; then
  keep=1
  say "--- last lines of the services' logs"
  tail -n 20 "$STACK_DIR/aggregator.log" "$STACK_DIR/frontend.log" 2>/dev/null || true
fi
[ "$xfail" = 0 ] || say "$xfail expected failures (known product problems, listed above as EXPECTED FAILURE)"
say "done in $(($(date +%s) - T0)) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
