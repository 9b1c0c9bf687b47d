#!/usr/bin/env bash
# Set up everything the project needs on a Debian/Ubuntu machine:
#   - Debian packages (speech, CJK font, Qt runtime libraries) when run as root,
#     or a clear message saying what to install when not;
#   - a virtual environment in .venv with the Python packages of pyproject.toml.
# Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBS="espeak-ng libespeak-ng1 fonts-wqy-microhei sox alsa-utils libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libglib2.0-0
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxcb-xfixes0
  chromium cups cups-client printer-driver-cups-pdf poppler-utils"
missing=""
for p in $DEBS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "setup: these Debian packages are missing:$missing" >&2
    echo "setup: please run:  sudo apt-get install$missing" >&2
    echo "setup: (speech and some screens will not work until they are installed)" >&2
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating virtual environment .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing Python packages"
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -e '.[test]'
  touch "$stamp"
fi
