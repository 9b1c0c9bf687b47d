#!/usr/bin/env bash
# make bundle: one archive to install the whole system on machines with no network (docs/operations.md).
#
#   scripts/bundle.sh [--out FILE] [--runtime] [--no-debs] [--wheels-from DIR]
#
# It holds the committed code (git archive HEAD), every Python wheel of the lock for this machine's platform and
# Python (PySide6 included), and the .deb files of the Debian packages setup needs with all their dependencies.
# Build it on the same release as the targets (Debian 12 for Debian 12 machines). Then, on each target:
#   tar -xzf hospital-queue-bundle.tar.gz -C /opt && cd /opt/hospital-queue
#   sudo bash scripts/setup.sh --offline /path/to/hospital-queue-bundle.tar.gz
#
#   --runtime          only what the machines run (requirements-runtime.lock: no test tools); smaller
#   --no-debs          leave the .deb files out (targets that already have them)
#   --wheels-from DIR  take wheels from DIR instead of the package index (e.g. a previous bundle's wheels/)
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=out/hospital-queue-bundle.tar.gz
LOCK=requirements.lock
DEBS_TOO=1
WHEELS_FROM=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$2; shift 2 ;;
    --runtime) LOCK=requirements-runtime.lock; shift ;;
    --no-debs) DEBS_TOO=0; shift ;;
    --wheels-from) WHEELS_FROM=$2; shift 2 ;;
    *) echo "bundle: unknown option $1" >&2; exit 2 ;;
  esac
done
PY=.venv/bin/python
[ -x "$PY" ] || PY=python3
"$PY" scripts/lockcheck.py || exit 4
git rev-parse --verify -q HEAD >/dev/null || { echo "bundle: needs a git checkout with a commit" >&2; exit 2; }
[ -z "$(git status --porcelain -- . ':!out')" ] || echo "bundle: note: uncommitted changes are not in the bundle (git archive HEAD)" >&2

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/hospital-queue"
mkdir -p "$root/wheels" "$root/debs"
git archive --format=tar HEAD | tar -x -C "$root"

echo "bundle: Python wheels of $LOCK"
if [ -n "$WHEELS_FROM" ]; then
  "$PY" -m pip download -q --no-index --find-links "$WHEELS_FROM" --no-deps --require-hashes -r "$LOCK" -d "$root/wheels"
else
  "$PY" -m pip download -q --no-deps --require-hashes --only-binary=:all: -r "$LOCK" -d "$root/wheels"
fi

if [ "$DEBS_TOO" = 1 ]; then
  echo "bundle: Debian packages and their dependencies"
  debs=$(bash scripts/setup.sh --print-debs)
  closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
              --no-enhances $debs | grep -E '^[a-z0-9]' | sort -u)
  (cd "$root/debs" && apt-get download $closure >/dev/null)
fi

{
  echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ) from $(git describe --always --dirty)"
  echo "lock=$LOCK"
  echo "python=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  echo "platform=$(. /etc/os-release; echo "$ID $VERSION_ID") $(uname -m)"
  echo "wheels=$(ls "$root/wheels" | wc -l)"
  echo "debs=$(ls "$root/debs" | wc -l)"
} > "$root/BUNDLE.txt"
mkdir -p "$(dirname "$OUT")"
tar -C "$stage" -czf "$OUT" hospital-queue
echo "bundle: $OUT ($(du -h "$OUT" | cut -f1)): $(tr '\n' ' ' < "$root/BUNDLE.txt")"
