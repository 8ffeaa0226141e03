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

if [ "$(id -u)" -ne 0 ]; then
  echo "Prometheus is not installed. Install it, then run this again:" >&2
  echo "  sudo apt-get install --no-install-recommends prometheus    (Debian/Ubuntu)" >&2
  echo "or point ETL_PROMETHEUS at an existing prometheus binary." >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Prometheus is not installed and apt-get is not available: install it with your package manager," >&2
  echo "or point ETL_PROMETHEUS at an existing prometheus binary." >&2
  exit 1
fi

# apt's progress output goes to a log so stdout stays just the path; the log is shown only when something fails.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
install_prometheus() {
  apt-get install -y -q --no-install-recommends prometheus >>"$log" 2>&1
}
echo "Prometheus not found: installing the Debian package prometheus with apt-get..." >&2
if ! install_prometheus; then
  # The usual reason on a fresh container is empty package lists; refresh them only then, since update is slow.
  echo "apt-get install failed; refreshing the package lists and trying again..." >&2
  if ! { apt-get update -q >>"$log" 2>&1 && install_prometheus; }; then
    cat "$log" >&2
    echo "could not install prometheus with apt-get (output above)" >&2
    exit 1
  fi
fi

if ! find_prometheus; then
  echo "prometheus was installed but no prometheus binary is on PATH" >&2
  exit 1
fi
echo "Prometheus installed." >&2
