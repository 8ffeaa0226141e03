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
"$(dirname "$0")/apt-install.sh" chromium "Chromium" "point ETL_CHROMIUM at an existing Chromium or Chrome binary"
if ! find_chromium; then
  echo "chromium was installed but no chromium binary is on PATH" >&2
  exit 1
fi
