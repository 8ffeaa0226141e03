#!/bin/sh
# Prints the path of tmux on stdout (and nothing else there), installing Debian's `tmux` package when it is missing and
# we are root. The terminal tests (`etl top`, the status line of `etl run`) run programs in tmux, a real
# pseudo-terminal; they call this from a `before` hook so a fresh clone works.
set -eu

find_tmux() {
  command -v tmux 2>/dev/null
}

if find_tmux; then exit 0; fi
"$(dirname "$0")/apt-install.sh" tmux "tmux" "install tmux with your package manager"
if ! find_tmux; then
  echo "tmux was installed but is not on PATH" >&2
  exit 1
fi
