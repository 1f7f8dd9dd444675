#!/usr/bin/env bash
# The cost of the audit trail (issue #11): 4 KiB PUT ops/s through coffer-load
# against `coffer serve` with no audit target and with one webhook target (a
# Python http.server receiver on 127.0.0.1, conformance/e2e/audit_receiver.py),
# in the same run, interleaved (none, webhook, none, webhook, ...) so drift on
# a shared machine hits both sides alike. Prints each round, the medians and
# the ratio; the issue's bar is a cost of at most 10%.
#
#   conformance/perf/bench-audit.sh [--build-dir DIR] [--no-build] [--duration S]
#                                   [--rounds N] [--connections C]
#                                   [--coffer BIN] [--load BIN]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
build_dir=build/release
build=1
duration=10
rounds=3
connections=16
coffer_bin=
load_bin=
while [[ $# -gt 0 ]]; do
  case $1 in
    --build-dir) build_dir=$2; shift ;;
    --no-build) build=0 ;;
    --duration) duration=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --connections) connections=$2; shift ;;
    --coffer) coffer_bin=$2; build=0; shift ;;
    --load) load_bin=$2; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "bench-audit: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
if [[ $build -eq 1 ]]; then
  [[ -f $build_dir/CMakeCache.txt ]] || cmake --preset release -B "$build_dir" >/dev/null
  cmake --build "$build_dir" -j2 --target coffer coffer-load
fi
COFFER=${coffer_bin:-$ROOT/$build_dir/appliance/coffer}
LOAD=${load_bin:-$ROOT/$build_dir/conformance/perf/coffer-load}
work=$(mktemp -d /tmp/coffer-bench-audit.XXXXXX)
pids=()
cleanup() {
  local rc=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export COFFER_ROOT_USER=bench-root COFFER_ROOT_PASSWORD=bench-root-secret-0123456789
export COFFER_VIEWER_SECRET=viewer-secret-0123456789 AUDIT_HOOK_TOKEN=bench-token-0123456789

rport=$(free_port)
/usr/bin/python3 conformance/e2e/audit_receiver.py "$rport" "$work/received.jsonl" >/dev/null &
pids+=($!)

make_repo() {  # make_repo DIR WITH_WEBHOOK
  cp -r fixtures/quickstart "$1"
  if [[ $2 == 1 ]]; then
    cat >"$1/audit.toml" <<EOF
[audit.webhook.bench]
endpoint = "http://127.0.0.1:$rport/audit"
auth_token = "env:AUDIT_HOOK_TOKEN"
batch_size = 200
queue_size = 1000000
EOF
  fi
}
make_repo "$work/repo-none" 0
make_repo "$work/repo-webhook" 1

run_round() {  # run_round none|webhook ROUND -> prints ops/s
  local kind=$1 port data pid
  port=$(free_port)
  data="$work/data-$kind-$2"
  mkdir -p "$work/certs-empty"
  "$COFFER" serve --data "$data" --config "$work/repo-$kind" --address "127.0.0.1:$port" \
    --certs-dir "$work/certs-empty" --log-level warn 2>>"$work/coffer-$kind.log" >/dev/null &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/minio/health/live" 2>/dev/null && break
    sleep 0.1
  done
  local out
  local cpu0 cpu1
  cpu0=$(cpu_ticks "$pid")
  out=$(timeout $((duration + 60)) "$LOAD" --endpoint "http://127.0.0.1:$port" --bucket bench \
    --create-bucket --op put --size 4KiB --connections "$connections" --duration "$duration")
  cpu1=$(cpu_ticks "$pid")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  # coffer's own CPU time per PUT (user + system; the receiver's is not
  # counted): steadier than ops/s on a machine shared with other work.
  python3 -c 'import json,os,sys; d=json.loads(sys.argv[1]); t=(int(sys.argv[3])-int(sys.argv[2]))/os.sysconf("SC_CLK_TCK"); n=max(d["ops_s"]*float(sys.argv[4]),1); print("%.1f %d %d %d %.0f" % (d["ops_s"], d["errors"], d["p50_us"], d["p99_us"], 1e6*t/n))' "$out" "$cpu0" "$cpu1" "$duration"
}
cpu_ticks() {  # utime + stime of a process, in clock ticks
  awk '{print $14 + $15}' "/proc/$1/stat"
}

none=()
hook=()
none_cpu=()
hook_cpu=()
echo "| round | target | 4 KiB PUT ops/s | errors | p50 us | p99 us | coffer CPU us/PUT |"
echo "|---|---|---|---|---|---|---|"
for r in $(seq 1 "$rounds"); do
  read -r ops err p50 p99 cpu < <(run_round none "$r")
  none+=("$ops")
  none_cpu+=("$cpu")
  echo "| $r | none | $ops | $err | $p50 | $p99 | $cpu |"
  read -r ops err p50 p99 cpu < <(run_round webhook "$r")
  hook+=("$ops")
  hook_cpu+=("$cpu")
  echo "| $r | webhook | $ops | $err | $p50 | $p99 | $cpu |"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
m_none=$(median "${none[@]}")
m_hook=$(median "${hook[@]}")
c_none=$(median "${none_cpu[@]}")
c_hook=$(median "${hook_cpu[@]}")
received=$(wc -l <"$work/received.jsonl" 2>/dev/null || echo 0)
python3 - "$m_none" "$m_hook" "$received" "$c_none" "$c_hook" <<'EOF'
import sys
none, hook, received = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
c_none, c_hook = float(sys.argv[4]), float(sys.argv[5])
print()
print("median 4 KiB PUT ops/s: no target %.1f, one webhook target %.1f" % (none, hook))
print("webhook/none = %.3f (audit cost %.1f%%; the bar is <= 10%%); entries received: %d"
      % (hook / none, 100 * (1 - hook / none), received))
print("median coffer CPU per PUT: no target %.0f us, one webhook target %.0f us (x%.3f)"
      % (c_none, c_hook, c_hook / c_none))
EOF
