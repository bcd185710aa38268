# Sourced by test scripts: starts the real binaries (bmc-sim rack, aggregator-svc, frontend-svc)
# on loopback with free ports and state in a temporary directory, and stops them again.
#   stack_start DIR "dmtf idrac ilo"   # one BMC per profile word (https), ids s1..sN
#   -> exports STACK_URL (http://127.0.0.1:PORT), STACK_USER, STACK_PASSWORD, STACK_DIR
#   stack_stop
# Binaries come from target/debug (scripts/test builds them first).

STACK_PIDS=()

_wait_line() { # file pattern -> first matching line, waiting up to 30 s
  local file="$1" pattern="$2" line=""
  for _ in $(seq 1 300); do
    line="$(grep -m1 "$pattern" "$file" 2>/dev/null || true)"
    [ -n "$line" ] && { echo "$line"; return 0; }
    sleep 0.1
  done
  echo "timed out waiting for '$pattern' in $file" >&2
  return 1
}

stack_start() {
  local dir="$1" profiles="$2" bin="${CARGO_TARGET_DIR:-$PWD/target}/debug"
  for b in bmc-sim aggregator-svc frontend-svc; do
    [ -x "$bin/$b" ] || { echo "missing $bin/$b: run cargo build --bins first" >&2; return 1; }
  done
  mkdir -p "$dir"
  STACK_DIR="$dir"
  : > "$dir/bmc-sim.toml"
  local i=0
  for p in $profiles; do
    i=$((i + 1))
    printf '[[bmc]]\nid = "s%d"\nprofile = "%s"\ntls = true\nlisten = "127.0.0.1:0"\n' "$i" "$p" >> "$dir/bmc-sim.toml"
  done
  "$bin/bmc-sim" --config "$dir/bmc-sim.toml" > "$dir/bmc-sim.out" 2> "$dir/bmc-sim.log" & STACK_PIDS+=($!)
  for n in $(seq 1 "$i"); do _wait_line "$dir/bmc-sim.out" "^bmc s$n listening on" > /dev/null; done

  STACK_USER=admin
  STACK_PASSWORD="$(python3 -c 'import secrets; print(secrets.token_urlsafe(15))')"
  {
    printf '[aggregator]\ngrpc_listen = "127.0.0.1:0"\nstate_dir = "%s/aggregator"\nrequest_timeout_ms = 10000\n' "$dir"
    for n in $(seq 1 "$i"); do
      local url
      url="$(grep -m1 "^bmc s$n listening on" "$dir/bmc-sim.out" | awk '{print $NF}')"
      printf '[[aggregator.bmcs]]\nid = "s%d"\nurl = "%s"\nusername = "root"\npassword = "calvin"\nverify_tls = false\n' "$n" "$url"
    done
  } > "$dir/aggregator.toml"
  "$bin/aggregator-svc" --config "$dir/aggregator.toml" > "$dir/aggregator.out" 2> "$dir/aggregator.log" & STACK_PIDS+=($!)
  local grpc
  grpc="$(_wait_line "$dir/aggregator.out" "listening on" | awk '{print $NF}')"

  printf '[frontend]\nlisten = "127.0.0.1:0"\naggregator_endpoint = "http://%s"\nstate_dir = "%s/frontend"\n[frontend.bootstrap_admin]\nusername = "%s"\npassword = "%s"\n' \
    "$grpc" "$dir" "$STACK_USER" "$STACK_PASSWORD" > "$dir/frontend.toml"
  "$bin/frontend-svc" --config "$dir/frontend.toml" > "$dir/frontend.out" 2> "$dir/frontend.log" & STACK_PIDS+=($!)
  STACK_URL="http://$(_wait_line "$dir/frontend.out" "listening on" | awk '{print $NF}')"
  export STACK_URL STACK_USER STACK_PASSWORD STACK_DIR

  # Discovery runs in the background: wait until every BMC's system is listed.
  for _ in $(seq 1 200); do
    local count
    count="$(curl -s -u "$STACK_USER:$STACK_PASSWORD" "$STACK_URL/redfish/v1/Systems" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("Members@odata.count", 0))' 2>/dev/null || echo 0)"
    [ "$count" -ge "$i" ] && return 0
    sleep 0.1
  done
  echo "the aggregate never listed $i systems; see $dir/*.log" >&2
  return 1
}

stack_stop() {
  local pid
  for pid in "${STACK_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${STACK_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  STACK_PIDS=()
}
