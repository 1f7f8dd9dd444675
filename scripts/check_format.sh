#!/usr/bin/env bash
# Fails when a C++ file differs from clang-format-14's output with the
# checked-in .clang-format (CI pins the version: output differs between
# releases). `scripts/check_format.sh --fix` rewrites the files instead.
set -euo pipefail
cd "$(dirname "$0")/.."
fmt=clang-format-14
command -v "$fmt" >/dev/null || { echo "check_format: $fmt missing (scripts/install-deps.sh)"; exit 1; }
mapfile -t files < <(git ls-files -- '*.h' '*.cc' | grep -E '^(policy-dsl|state|appliance|sim|conformance)/')
if [[ "${1:-}" == "--fix" ]]; then
  "$fmt" -i "${files[@]}"
  exit 0
fi
if ! "$fmt" --dry-run --Werror "${files[@]}" 2>/tmp/check_format.$$; then
  grep -E '^[^ ].*(warning|error):' /tmp/check_format.$$ | head -40
  rm -f /tmp/check_format.$$
  echo "check_format: run scripts/check_format.sh --fix"
  exit 1
fi
rm -f /tmp/check_format.$$
echo "check_format: ok (${#files[@]} files)"
