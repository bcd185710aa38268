#!/usr/bin/env bash
# A bounded soak of the real stack (about two minutes): bmc-sim (48 HTTPS BMCs), aggregator-svc
# and frontend-svc as processes from the debug build, 256 keep-alive clients sending GETs, PATCHes
# and resets while BMC faults are switched on and off. Fails on any error no active fault explains,
# on file descriptors, RSS or BMC connections not back near the start after a settle, or on a
# service that does not stop cleanly (testkit/src/bin/soak/). SOAK_ARGS adds flags (soak --help).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${CARGO_TARGET_DIR:-$PWD/target}/debug"
for b in soak bmc-sim aggregator-svc frontend-svc; do
  [ -x "$bin/$b" ] || { echo "[soak] missing $bin/$b: run cargo build --workspace --all-targets first" >&2; exit 1; }
done
# 256 clients plus the services' own sockets.
ulimit -n 4096 2>/dev/null || true
# shellcheck disable=SC2086
"$bin/soak" ${SOAK_ARGS:-}
