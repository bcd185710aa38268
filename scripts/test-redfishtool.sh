#!/usr/bin/env bash
# DMTF's redfishtool (PyPI `redfishtool`) against the aggregator: session login, list the
# sessions, read the own session and an aggregated collection with the token, logout, and check
# the token is dead afterwards; then the tool's own `-A Session` mode (login, command, logout).
#
#   scripts/test-redfishtool.sh
#       builds the binaries (cargo build --bins), starts bmc-sim, aggregator-svc and frontend-svc
#       on free loopback ports with state in a temporary directory, runs the checks, stops them.
#   scripts/test-redfishtool.sh --rhost HOST:PORT --user USER --password PASSWORD
#       runs the checks against a frontend that is already running (plain HTTP).
#
# redfishtool is installed into .venv (python3 -m venv .venv; .venv/bin/pip install redfishtool)
# when missing. Exits 0 when every check passed; otherwise prints the failed check and exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

RHOST="" USER_NAME="" PASSWORD=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rhost) RHOST="$2"; shift 2 ;;
    --user) USER_NAME="$2"; shift 2 ;;
    --password) PASSWORD="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

fail() { echo "redfishtool check failed: $*" >&2; exit 1; }

command -v python3 >/dev/null || fail "python3 is required"
if [ ! -x "$ROOT/.venv/bin/redfishtool" ]; then
  echo "installing redfishtool into .venv" >&2
  python3 -m venv "$ROOT/.venv"
  "$ROOT/.venv/bin/pip" install --quiet --disable-pip-version-check redfishtool
fi
RFT="$ROOT/.venv/bin/redfishtool"
PY="$ROOT/.venv/bin/python"

pids=()
WORK=""
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$WORK" ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

# The value printed after "listening on" in FILE (a service's first stdout line), waiting for it.
listening_on() {
  local file="$1" line
  for _ in $(seq 1 300); do
    line="$(grep -m1 'listening on' "$file" 2>/dev/null || true)"
    if [ -n "$line" ]; then echo "${line##* listening on }"; return 0; fi
    sleep 0.1
  done
  return 1
}

if [ -z "$RHOST" ]; then
  echo "building the binaries" >&2
  cargo build --bins --quiet
  bin="${CARGO_TARGET_DIR:-$ROOT/target}/debug"
  WORK="$(mktemp -d)"
  USER_NAME="admin"
  PASSWORD="rft-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(18))')"

  "$bin/bmc-sim" --count 1 --base-port 0 > "$WORK/sim.out" 2> "$WORK/sim.log" & pids+=($!)
  sim_url="$(listening_on "$WORK/sim.out")" || fail "bmc-sim did not start: $(cat "$WORK/sim.log")"
  bmc_id="$(grep -m1 'listening on' "$WORK/sim.out" | awk '{print $2}')"
  cat > "$WORK/aggregator.toml" <<TOML
[aggregator]
grpc_listen = "127.0.0.1:0"
state_dir = "$WORK/aggregator"
[[aggregator.bmcs]]
id = "$bmc_id"
url = "$sim_url"
username = "root"
password = "calvin"
TOML
  "$bin/aggregator-svc" --config "$WORK/aggregator.toml" > "$WORK/agg.out" 2> "$WORK/agg.log" & pids+=($!)
  grpc="$(listening_on "$WORK/agg.out")" || fail "aggregator-svc did not start: $(cat "$WORK/agg.log")"
  cat > "$WORK/frontend.toml" <<TOML
[frontend]
listen = "127.0.0.1:0"
aggregator_endpoint = "http://$grpc"
state_dir = "$WORK/frontend"
[frontend.bootstrap_admin]
username = "$USER_NAME"
password = "$PASSWORD"
TOML
  "$bin/frontend-svc" --config "$WORK/frontend.toml" > "$WORK/fe.out" 2> "$WORK/fe.log" & pids+=($!)
  RHOST="$(listening_on "$WORK/fe.out")" || fail "frontend-svc did not start: $(cat "$WORK/fe.log")"
fi
[ -n "$USER_NAME" ] && [ -n "$PASSWORD" ] || fail "--rhost needs --user and --password"

rft() { "$RFT" -r "$RHOST" -S Never -T 30 "$@"; }
# A JSON field of stdin.
field() { "$PY" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
session_count() {
  rft -u "$USER_NAME" -p "$PASSWORD" -A Basic SessionService Sessions | field 'Members@odata.count'
}

echo "redfishtool against http://$RHOST" >&2
before="$(session_count)" || fail "listing sessions with Basic auth"

login="$(rft -u "$USER_NAME" -p "$PASSWORD" SessionService login)" || fail "session login"
token="$(echo "$login" | field 'X-Auth-Token')"
sid="$(echo "$login" | field 'SessionId')"
location="$(echo "$login" | field 'SessionLocation')"
[ "${#token}" -ge 32 ] || fail "login returned no usable token"
[ "$location" = "/redfish/v1/SessionService/Sessions/$sid" ] || fail "login Location was '$location'"
echo "login ok: session $sid" >&2

listed="$(rft -t "$token" -A Session SessionService Sessions list)" || fail "listing sessions with the token"
echo "$listed" | grep -q "\"$sid\"" || fail "the new session is not listed: $listed"
own="$(rft -t "$token" -A Session SessionService Sessions -i "$sid")" || fail "reading the own session"
[ "$(echo "$own" | field UserName)" = "$USER_NAME" ] || fail "the session names another user: $own"
[ "$(echo "$own" | field Password)" = "None" ] || fail "the session shows a password"
rft -t "$token" -A Session Systems list > /dev/null || fail "listing Systems with the token"
echo "list ok" >&2

rft -t "$token" -A Session SessionService logout -i "$sid" > /dev/null || fail "logout"
if rft -t "$token" -A Session SessionService Sessions list > /dev/null 2>&1; then
  fail "the token still works after logout"
fi
echo "logout ok" >&2

# The tool's own session mode logs in, runs the command and logs out again.
rft -u "$USER_NAME" -p "$PASSWORD" -A Session SessionService Sessions list > /dev/null \
  || fail "redfishtool -A Session"
after="$(session_count)" || fail "listing sessions with Basic auth"
[ "$after" = "$before" ] || fail "sessions left behind: $before before, $after after"

echo "redfishtool checks passed"
