#!/bin/sh
# Prints the path of a usable Prometheus server on stdout (and nothing else there), installing Debian's `prometheus`
# package when it is missing and we are root. The metrics e2e test calls it from a `before` hook so a fresh clone
# works; it returns at once when Prometheus is already there. ETL_PROMETHEUS=/path/to/prometheus skips the lookup.
set -eu

find_prometheus() {
  if [ -n "${ETL_PROMETHEUS:-}" ] && [ -x "$ETL_PROMETHEUS" ]; then
    echo "$ETL_PROMETHEUS"
    return 0
  fi
  if path=$(command -v prometheus 2>/dev/null); then
    echo "$path"
    return 0
  fi
  return 1
}

if find_prometheus; then exit 0; fi
"$(dirname "$0")/apt-install.sh" prometheus "Prometheus" "point ETL_PROMETHEUS at an existing prometheus binary"
if ! find_prometheus; then
  echo "prometheus was installed but no prometheus binary is on PATH" >&2
  exit 1
fi
