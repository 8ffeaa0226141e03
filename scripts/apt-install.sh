#!/bin/sh
# Installs one Debian package for the test suite when we are root and apt-get exists:
#   scripts/apt-install.sh <package> <what it is, for messages> <how else to provide it>
# It is what the ensure-*.sh scripts share: they look for a program, call this when it is missing, and look again.
# Nothing goes to stdout (the callers print a path there); apt's output goes to a log shown only when it fails. Exits 1
# with instructions when it cannot install.
set -eu
package=$1
what=$2
otherwise=$3

if [ "$(id -u)" -ne 0 ]; then
  echo "$what is not installed. Install it, then run this again:" >&2
  echo "  sudo apt-get install --no-install-recommends $package    (Debian/Ubuntu)" >&2
  echo "or $otherwise." >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "$what is not installed and apt-get is not available: install it with your package manager," >&2
  echo "or $otherwise." >&2
  exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
install() {
  apt-get install -y -q --no-install-recommends "$package" >>"$log" 2>&1
}
echo "$what not found: installing the Debian package $package with apt-get (a minute or two on a fresh machine)..." >&2
if ! install; then
  # The usual reason on a fresh container is empty package lists; refresh them only then, since update is slow.
  echo "apt-get install failed; refreshing the package lists and trying again..." >&2
  if ! { apt-get update -q >>"$log" 2>&1 && install; }; then
    cat "$log" >&2
    echo "could not install $package with apt-get (output above)" >&2
    exit 1
  fi
fi
echo "$what installed." >&2
