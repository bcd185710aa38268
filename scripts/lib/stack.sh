# Sourced by test scripts: starts the real binaries (bmc-sim rack, aggregator-svc, frontend-svc)
# on loopback with free ports and state in a temporary directory, and stops them again.
#   stack_start DIR "dmtf idrac ilo"   # one BMC per profile word (https), ids s1..sN
#   stack_start DIR "dmtf idrac:advertised_host=bmc2.example.net ilo:no_session_service,async_power_secs=2"
#     (a word may add bmc-sim quirks after ':', comma-separated NAME or NAME=VALUE)
#   stack_start DIR "idrac http://127.0.0.1:8081"   # a word that is a URL is a BMC run elsewhere
#     (aggregated as s<N> like the others, with the same credentials; scripts/bench's static nginx)
#     (STACK_AGGREGATOR_EXTRA: TOML tables added to the aggregator's config, e.g. [aggregator.manager])
#     (STACK_BMC_TOML: lines "sN: KEY = VALUE" added to BMC sN's [[aggregator.bmcs]], e.g. 's1: pdu_socket = "7"')
#     (STACK_SIM_CONTROL=127.0.0.1:PORT: bmc-sim's fleet control server, to set and clear faults
#      such as Down, which a BMC's own port cannot clear)
#   -> exports STACK_URL (http://127.0.0.1:PORT), STACK_USER, STACK_PASSWORD, STACK_DIR
#   stack_stop
# Binaries come from target/debug (scripts/test builds them first), or from STACK_BIN_DIR if set
# (scripts/bench: target/release).

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
  local dir="$1" profiles="$2" bin="${STACK_BIN_DIR:-${CARGO_TARGET_DIR:-$PWD/target}/debug}"
  for b in bmc-sim aggregator-svc frontend-svc; do
    [ -x "$bin/$b" ] || { echo "missing $bin/$b: run cargo build --bins first" >&2; return 1; }
  done
  mkdir -p "$dir"
  STACK_DIR="$dir"
  : > "$dir/bmc-sim.toml"
  [ -z "${STACK_SIM_CONTROL:-}" ] || printf 'control_listen = "%s"\n' "$STACK_SIM_CONTROL" >> "$dir/bmc-sim.toml"
  local i=0 sims=()
  local word p quirks q
  local -A external=()
  for word in $profiles; do
    i=$((i + 1))
    case "$word" in
      http://* | https://*) external[$i]="$word"; continue ;;
    esac
    sims+=("$i")
    p="${word%%:*}"
    printf '[[bmc]]\nid = "s%d"\nprofile = "%s"\ntls = true\nlisten = "127.0.0.1:0"\n' "$i" "$p" >> "$dir/bmc-sim.toml"
    if [ "$word" != "$p" ]; then
      quirks=""
      IFS=, read -ra q <<< "${word#*:}"
      for item in "${q[@]}"; do
        case "$item" in
          *=true|*=false) quirks+="${quirks:+, }${item%%=*} = ${item#*=}" ;;
          *=*[!0-9]*|*=) quirks+="${quirks:+, }${item%%=*} = \"${item#*=}\"" ;;
          *=*) quirks+="${quirks:+, }${item%%=*} = ${item#*=}" ;;
          *) quirks+="${quirks:+, }$item = true" ;;
        esac
      done
      printf 'quirks = { %s }\n' "$quirks" >> "$dir/bmc-sim.toml"
    fi
  done
  "$bin/bmc-sim" --config "$dir/bmc-sim.toml" > "$dir/bmc-sim.out" 2> "$dir/bmc-sim.log" & STACK_PIDS+=($!)
  for n in "${sims[@]}"; do _wait_line "$dir/bmc-sim.out" "^bmc s$n listening on" > /dev/null; done

  STACK_USER=admin
  # Never starting with '-': the DMTF tools' argparse would read such a password as an option.
  STACK_PASSWORD="pw$(python3 -c 'import secrets; print(secrets.token_urlsafe(15))')"
  {
    printf '[aggregator]\ngrpc_listen = "127.0.0.1:0"\nstate_dir = "%s/aggregator"\nrequest_timeout_ms = 10000\n' "$dir"
    printf '%s\n' "${STACK_AGGREGATOR_EXTRA:-}"
    for n in $(seq 1 "$i"); do
      local url
      url="${external[$n]:-$(grep -m1 "^bmc s$n listening on" "$dir/bmc-sim.out" | awk '{print $NF}')}"
      printf '[[aggregator.bmcs]]\nid = "s%d"\nurl = "%s"\nusername = "root"\npassword = "calvin"\nverify_tls = false\n' "$n" "$url"
      [ -z "${STACK_BMC_TOML:-}" ] || printf '%s\n' "$STACK_BMC_TOML" | sed -n "s/^s$n: //p"
    done
  } > "$dir/aggregator.toml"
  "$bin/aggregator-svc" --config "$dir/aggregator.toml" > "$dir/aggregator.out" 2> "$dir/aggregator.log" & STACK_PIDS+=($!)
  local grpc
  grpc="$(_wait_line "$dir/aggregator.out" "listening on" | awk '{print $NF}')"

  printf '[frontend]\nlisten = "127.0.0.1:0"\naggregator_endpoint = "http://%s"\nstate_dir = "%s/frontend"\ntrusted_proxies = ["127.0.0.1"]\n[frontend.bootstrap_admin]\nusername = "%s"\npassword = "%s"\n' \
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

_free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Puts Apache (apache/httpd.conf, Debian's apache2) with a fresh self-signed certificate in front
# of the running stack: exports STACK_HTTPS_URL and STACK_CA (the certificate to trust).
stack_apache() {
  local root dir port status_port
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  command -v apache2 > /dev/null || { echo "apache2 is not installed (apt-get install apache2)" >&2; return 1; }
  dir="$STACK_DIR/apache"
  mkdir -p "$dir"
  # A certificate made before stack_start (so the rack manager can list it) is kept.
  [ -s "$dir/tls/tls.crt" ] || "$root/scripts/make-cert" "$dir/tls" localhost 127.0.0.1 > /dev/null
  port="$(_free_port)"; status_port="$(_free_port)"
  # The shipped config names the container's ServerRoot; on a host, point it at the repository.
  sed "s|^ServerRoot .*|ServerRoot \"$root/apache\"|; s|/etc/reddrum/apache|$root/apache|g" \
    "$root/apache/httpd.conf" > "$dir/httpd.conf"
  REDDRUM_HTTPS_PORT="$port" REDDRUM_PUBLIC_HTTPS_PORT="$port" REDDRUM_STATUS_PORT="$status_port" \
  REDDRUM_FRONTEND_URL="$STACK_URL" REDDRUM_SERVER_NAME=localhost \
  REDDRUM_TLS_CERT="$dir/tls/tls.crt" REDDRUM_TLS_KEY="$dir/tls/tls.key" \
    apache2 -f "$dir/httpd.conf" -d "$root/apache" -DFOREGROUND > "$dir/access.log" 2> "$dir/error.log" &
  STACK_PIDS+=($!)
  STACK_HTTPS_URL="https://127.0.0.1:$port"
  STACK_CA="$dir/tls/tls.crt"
  export STACK_HTTPS_URL STACK_CA
  for _ in $(seq 1 100); do
    curl -fsS --cacert "$STACK_CA" "$STACK_HTTPS_URL/redfish/v1" > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "Apache did not come up; see $dir/error.log" >&2
  return 1
}
