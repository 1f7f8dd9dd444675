#!/usr/bin/env bash
# Installs the Debian 12 packages Coffer builds and tests with. Idempotent and
# non-interactive: when every package is present it only runs dpkg-query (a few
# seconds). Usage: scripts/install-deps.sh [build|test|bench|all]   (default: all)
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost-dev libboost-program-options-dev libssl-dev libtomlplusplus-dev
  libsqlite3-dev libisal-dev nlohmann-json3-dev libpugixml-dev libldap-dev
)
test_pkgs=(
  librapidcheck-dev libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 libclang-rt-14-dev clang-format-14
  curl openssl python3 python3-boto3 awscli s3cmd nginx-light
  slapd ldap-utils nodejs rclone
  # The web console's browser tests drive Debian's Chromium (never a downloaded browser).
  chromium
)
# The benchmark report (conformance/perf/run): nginx as the reference server,
# jq for coffer-load's JSON lines, gnuplot for the scaling curves.
bench_pkgs=(curl openssl python3 jq nginx-light gnuplot-nox)

# npm packages of e2e tests (OIDC provider, the JS clients of the client matrix, the console's
# playwright-core): each folder's package.json pins exact versions.
npm_test_folders=(conformance/e2e/oidc conformance/matrix conformance/e2e/console)
npm_test_packages() {
  [[ "${1:-all}" == build || "${1:-all}" == bench ]] && return 0
  local root dir
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  for dir in "${npm_test_folders[@]}"; do
    if [[ ! -d "$root/$dir/node_modules" || "$root/$dir/package.json" -nt "$root/$dir/node_modules" ]]; then
      echo "install-deps: npm install in $dir" >&2
      (cd "$root/$dir" && npm install --no-audit --no-fund --loglevel=error) && touch "$root/$dir/node_modules"
    fi
  done
}

want=("${build_pkgs[@]}")
case "${1:-all}" in
  build) ;;
  bench) want+=("${bench_pkgs[@]}") ;;
  test|all) want+=("${test_pkgs[@]}" jq) ;;
  *) echo "usage: $0 [build|test|bench|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  npm_test_packages "${1:-all}"
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
$sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
npm_test_packages "${1:-all}"
