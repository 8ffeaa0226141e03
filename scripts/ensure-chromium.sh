#!/bin/sh
# Prints the path of a usable Chromium on stdout (and nothing else there), installing Debian's `chromium` package when
# it is missing and we are root. The browser tests call it from a `before` hook so a fresh clone works; it returns at
# once when Chromium is already there. ETL_CHROMIUM=/path/to/chrome skips the lookup (e.g. a Chrome you already have).
set -eu

find_chromium() {
  if [ -n "${ETL_CHROMIUM:-}" ] && [ -x "$ETL_CHROMIUM" ]; then
    echo "$ETL_CHROMIUM"
    return 0
  fi
  for name in chromium chromium-browser google-chrome-stable google-chrome; do
    if path=$(command -v "$name" 2>/dev/null); then
      echo "$path"
      return 0
    fi
  done
  return 1
}

if find_chromium; then exit 0; fi

if [ "$(id -u)" -ne 0 ]; then
  echo "Chromium is not installed. Install it, then run this again:" >&2
  echo "  sudo apt-get install --no-install-recommends chromium    (Debian/Ubuntu)" >&2
  echo "or point ETL_CHROMIUM at an existing Chromium or Chrome binary." >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Chromium is not installed and apt-get is not available: install Chromium with your package manager," >&2
  echo "or point ETL_CHROMIUM at an existing Chromium or Chrome binary." >&2
  exit 1
fi

# apt's progress output goes to a log so stdout stays just the path; the log is shown only when something fails.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
install_chromium() {
  apt-get install -y -q --no-install-recommends chromium >>"$log" 2>&1
}
echo "Chromium not found: installing the Debian package chromium with apt-get (a minute or two on a fresh machine)..." >&2
if ! install_chromium; then
  # The usual reason on a fresh container is empty package lists; refresh them only then, since update is slow.
  echo "apt-get install failed; refreshing the package lists and trying again..." >&2
  if ! { apt-get update -q >>"$log" 2>&1 && install_chromium; }; then
    cat "$log" >&2
    echo "could not install chromium with apt-get (output above)" >&2
    exit 1
  fi
fi

if ! find_chromium; then
  echo "chromium was installed but no chromium binary is on PATH" >&2
  exit 1
fi
echo "Chromium installed." >&2
