# shellcheck shell=bash
# The --sse part of scripts/bench-s3.sh (issue #9): sourced by it once coffer
# serve runs with the buckets bench (plain), benchs3 (SSE-S3) and benchkms
# (SSE-KMS). Uses LOAD, CURL_C, duration, reps, kes, work and bench-lib.sh.
#
# Each point is PUT or GET of one size into one bucket for `duration` seconds;
# the three buckets run back to back, `reps` times over, so load from other
# work on the machine hits all of them alike. Reported: the median MB/s (and
# median p50 latency) of each, and encrypted/plain ratios of the medians.

sse_buckets=(bench benchs3 benchkms)
declare -A SSE

sse_load() {  # sse_load BUCKET ARGS... -> coffer-load's JSON line ("" on failure)
  local bucket=$1; shift
  local limit=$((${duration%.*} * 3 + 180))
  timeout "$limit" "$LOAD" --endpoint "$CURL_C" --bucket "$bucket" --label "$bucket" \
    "$@" 2>>"$work/load-errors.log" || true
}

# median VALUES...: the middle value (the lower middle for an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END{if (NR) print v[int((NR+1)/2)]}'; }

# cpu_ticks: coffer serve's user + system CPU time so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$coffer_pid/stat"; }

sse_point() {  # sse_point NAME ARGS...
  local name=$1; shift
  local r b json cpu0 cpu1
  for ((r = 1; r <= reps; r++)); do
    for b in "${sse_buckets[@]}"; do
      echo "bench-sse: $name $b (run $r of $reps)" >&2
      cpu0=$(cpu_ticks)
      json=$(sse_load "$b" "$@")
      cpu1=$(cpu_ticks)
      record sse "$name" "$json"
      SSE[$name,$b,mb]+=" $(field "$json" mb_s)"
      # coffer's CPU time (user + system) per MB moved: what encryption costs,
      # whatever else competes for the machine.
      SSE[$name,$b,cpu]+=" $(awk -v t=$((cpu1 - cpu0)) -v hz="$(getconf CLK_TCK)" \
        -v mb="$(field "$json" mb_s)" -v s="$(field "$json" seconds)" \
        'BEGIN{if (mb * s > 0) printf "%.2f", t * 1000 / hz / (mb * s)}')"
      SSE[$name,$b,p50]+=" $(field "$json" p50_us)"
      SSE[$name,$b,err]+=" $(field "$json" errors)"
    done
  done
}

d=(--duration "$duration")
for b in "${sse_buckets[@]}"; do  # GET objects exist before the first GET run.
  sse_load "$b" --op get --prepare --size 1MiB --objects 64 --requests 1 --connections 16 >/dev/null
  sse_load "$b" --op get --prepare --size 64MiB --objects 8 --requests 1 --connections 4 >/dev/null
done
sse_point put1m --op put --size 1MiB --objects 64 --connections 16 "${d[@]}"
sse_point get1m --op get --size 1MiB --objects 64 --connections 16 "${d[@]}"
sse_point put64m --op put --size 64MiB --objects 8 --connections 4 "${d[@]}"
sse_point get64m --op get --size 64MiB --objects 8 --connections 4 "${d[@]}"

# With --kes: the key service client's round trip, new client per call (the
# reference: a TLS handshake per call) vs the pooled client, same run.
kes_bench_out=
KES_BENCH=$ROOT/$build_dir/appliance/coffer_kes_bench
if [[ $kes -eq 1 && -x $KES_BENCH ]]; then
  echo "bench-sse: KES client round trips" >&2
  kes_bench_out=$(KES_BENCH_ADDRESS="127.0.0.1:$kport" KES_BENCH_CERT="$work/app.crt" \
    KES_BENCH_KEY="$work/app.key" KES_BENCH_CA="$ca" KES_BENCH_KEY_NAME=bench-kms \
    timeout 600 "$KES_BENCH" --benchmark_repetitions="$reps" \
    --benchmark_report_aggregates_only=true 2>&1 | grep -E 'median|Benchmark' || true)
fi

sse_ratio() {  # sse_ratio A B -> A/B or —
  if [[ -n $1 && -n $2 ]] && awk -v b="$2" 'BEGIN{exit !(b>0)}'; then
    awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'
  else
    printf '—'
  fi
}

report=$ROOT/build/bench-sse.md
mkdir -p "$ROOT/build"
{
  echo "## SSE benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, ${duration}s per run, $reps runs)"
  echo
  echo "coffer-load against one coffer serve, keep-alive, SigV4 UNSIGNED-PAYLOAD; buckets by"
  echo "default encryption (none, SSE-S3, SSE-KMS); key service: $([[ $kes -eq 1 ]] &&
    echo 'coffer kms serve over mTLS' || echo 'in-process')."
  echo "Medians of MB/s, of coffer's CPU time (user + system) per MB moved, and of p50 latency."
  echo "Ratios: MB/s encrypted / plain; in brackets CPU per MB plain / encrypted (1.00 = free)."
  echo "MB = 10^6 bytes."
  echo "Load average before: $load_start, after: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| test | plain | SSE-S3 | SSE-KMS | SSE-S3/plain | SSE-KMS/plain |"
  echo "|---|---|---|---|---|---|"
  for name in put1m get1m put64m get64m; do
    declare -A m p e c
    for b in "${sse_buckets[@]}"; do
      # shellcheck disable=SC2086
      m[$b]=$(median ${SSE[$name,$b,mb]})
      # shellcheck disable=SC2086
      p[$b]=$(median ${SSE[$name,$b,p50]})
      # shellcheck disable=SC2086
      c[$b]=$(median ${SSE[$name,$b,cpu]})
      e[$b]=$(awk '{s=0; for (i=1;i<=NF;i++) s+=$i; print s}' <<<"${SSE[$name,$b,err]}")
    done
    cell() { printf '%s MB/s, %s CPU-ms/MB (p50 %s ms)%s' "${m[$1]:-?}" "${c[$1]:-?}" \
      "$(awk -v u="${p[$1]:-0}" 'BEGIN{printf "%.0f", u / 1000}')" \
      "$([[ ${e[$1]:-0} != 0 ]] && printf ', %s errors' "${e[$1]}")"; }
    label=${name^^}; label=${label/1M/ 1 MiB}; label=${label/64M/ 64 MiB}
    # Ratios: throughput encrypted/plain, then CPU efficiency plain/encrypted.
    echo "| $label | $(cell bench) | $(cell benchs3) | $(cell benchkms) |" \
      "$(sse_ratio "${m[benchs3]}" "${m[bench]}") (CPU $(sse_ratio "${c[bench]}" "${c[benchs3]}")) |" \
      "$(sse_ratio "${m[benchkms]}" "${m[bench]}") (CPU $(sse_ratio "${c[bench]}" "${c[benchkms]}")) |"
    echo "<!-- $name MB/s runs: plain${SSE[$name,bench,mb]}; s3${SSE[$name,benchs3,mb]};" \
      "kms${SSE[$name,benchkms,mb]}; CPU-ms/MB: plain${SSE[$name,bench,cpu]};" \
      "s3${SSE[$name,benchs3,cpu]}; kms${SSE[$name,benchkms,cpu]} -->"
  done
  if [[ -n $kes_bench_out ]]; then
    echo
    echo "KES generate-data-key round trip (coffer_kes_bench, medians of $reps; mode 0 = new"
    echo "client per call, the pre-pool behaviour; 1 = no keep-alive, TLS session resumed;"
    echo "2 = pooled keep-alive):"
    echo
    echo '```'
    echo "$kes_bench_out"
    echo '```'
  fi
} >"$report"
cat "$report"
if grep -qv ': prepare: ' "$work/load-errors.log" 2>/dev/null; then
  echo >&2
  echo "bench-sse: first client errors:" >&2
  grep -v ': prepare: ' "$work/load-errors.log" | head -20 >&2
fi
