#!/usr/bin/env bash
# Set up everything the project needs on Debian 12 or Ubuntu 24.04 (anything else stops at once):
#   - Debian packages (speech, CJK font, Qt runtime libraries) when run as root,
#     or a clear message saying what to install when not;
#   - a virtual environment in .venv with the Python packages of requirements.lock (exact versions, hashes).
# Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# ---- supported platforms: Debian 12, Ubuntu 24.04 (Python >= 3.11); anything else stops here, clearly ----
# OS_RELEASE (a file like /etc/os-release) and SETUP_ALLOW_UNSUPPORTED=1 exist for testing and for the brave.
check_platform() {
  local file=${OS_RELEASE:-/etc/os-release} id="" version="" name=""
  if [ -r "$file" ]; then
    id=$(. "$file"; echo "${ID:-}"); version=$(. "$file"; echo "${VERSION_ID:-}"); name=$(. "$file"; echo "${PRETTY_NAME:-}")
  fi
  case "$id:$version" in
    debian:12|ubuntu:24.04) ;;
    *)
      echo "setup: unsupported platform: ${name:-unknown} (${id:-?} ${version:-?})." >&2
      echo "setup: supported: Debian 12 (bookworm) and Ubuntu 24.04 LTS; install one of them on this machine." >&2
      echo "setup: (Ubuntu 22.04 ships Python 3.10, which this system cannot use.)" >&2
      if [ "${SETUP_ALLOW_UNSUPPORTED:-0}" != 1 ]; then
        echo "setup: stopping. Set SETUP_ALLOW_UNSUPPORTED=1 to try anyway at your own risk." >&2
        exit 3
      fi ;;
  esac
  local py=${PYTHON:-python3}
  if ! "$py" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
    echo "setup: $py is $("$py" --version 2>&1 || echo missing); Python 3.11 or newer is needed (Debian 12: 3.11, Ubuntu 24.04: 3.12)." >&2
    exit 3
  fi
}
check_platform
if [ "${1:-}" = "--check-platform" ]; then echo "setup: platform ok"; exit 0; fi

# --offline BUNDLE: everything comes from the archive `make bundle` built (a .tar.gz or its unpacked directory):
# .deb files from its debs/, Python wheels from its wheels/ (pip --no-index), checked against its lock's hashes.
OFFLINE=""
LOCK=requirements.lock
if [ "${1:-}" = "--offline" ]; then
  bundle=${2:?"setup: --offline needs the bundle: scripts/setup.sh --offline hospital-queue-bundle.tar.gz"}
  if [ -f "$bundle" ]; then
    OFFLINE=$(mktemp -d)
    trap 'rm -rf "$OFFLINE"' EXIT
    tar -xzf "$bundle" -C "$OFFLINE"
    OFFLINE="$OFFLINE/hospital-queue"
  elif [ -d "$bundle" ]; then
    OFFLINE=$(cd "$bundle" && pwd)
  else
    echo "setup: no bundle at $bundle" >&2; exit 5
  fi
  [ -f "$OFFLINE/BUNDLE.txt" ] || { echo "setup: $bundle is not a bundle made by \`make bundle\` (no BUNDLE.txt)" >&2; exit 5; }
  LOCK="$OFFLINE/$(sed -n 's/^lock=//p' "$OFFLINE/BUNDLE.txt")"
  echo "setup: installing offline from $bundle ($(sed -n 's/^built=//p' "$OFFLINE/BUNDLE.txt"))"
fi

DEBS="tzdata espeak-ng libespeak-ng1 fonts-wqy-microhei sox alsa-utils libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libglib2.0-0
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxcb-xfixes0
  chromium cups cups-client printer-driver-cups-pdf poppler-utils cage xwayland postgresql ffmpeg nodejs"
if [ "${1:-}" = "--print-debs" ]; then echo $DEBS; exit 0; fi
missing=""
for p in $DEBS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ -n "$OFFLINE" ] && [ "$(id -u)" = 0 ] && ls "$OFFLINE"/debs/*.deb >/dev/null 2>&1; then
    echo "setup: installing Debian packages from the bundle:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends --no-download "$OFFLINE"/debs/*.deb >/dev/null
  elif [ -z "$OFFLINE" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
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
# Python packages come from requirements.lock (exact versions, sha256 hashes), never from pyproject's ranges.
# A lock that does not match pyproject.toml stops setup here: run `make lock` and commit both files.
"$PY" scripts/lockcheck.py || exit 4
stamp=.venv/.installed
if [ -n "$OFFLINE" ]; then
  echo "setup: installing Python packages from the bundle's wheels ($(basename "$LOCK"), no network)"
  .venv/bin/pip install -q --no-index --find-links "$OFFLINE/wheels" --require-hashes --no-deps -r "$LOCK"
  .venv/bin/pip install -q --no-deps --no-build-isolation --no-index -e .
  touch "$stamp"
elif [ ! -f "$stamp" ] || [ requirements.lock -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing Python packages from requirements.lock"
  .venv/bin/pip install -q --require-hashes --no-deps -r requirements.lock
  .venv/bin/pip install -q --no-deps --no-build-isolation --no-index -e .
  touch "$stamp"
fi

# The FHIR server of the HIS driver's tests (Medplum's engine, Node.js): installed when this machine's node and npm
# fit, else skipped with the reason on stderr (scripts/fhir-peer.sh). Tests only; a hospital never runs it.
OFFLINE="$OFFLINE" bash scripts/fhir-peer.sh
