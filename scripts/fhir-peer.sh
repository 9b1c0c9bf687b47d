#!/usr/bin/env bash
# Installs the FHIR test peer (tools/fhir-peer) when this machine's Node.js and npm fit; run by scripts/setup.sh.
# With OFFLINE set (an install from a bundle) nothing is fetched. Never fails: without the peer, the tests that need
# it are skipped, and this says so and why on stderr.
set -u
cd "$(dirname "$0")/.."
OFFLINE=${OFFLINE:-}

# The FHIR server that the HIS driver's tests and `bench/run his_link` talk to: Medplum's engine with its in-memory
# repository (tools/fhir-peer, versions pinned in its package-lock.json). Tests only; a hospital never runs it.
# Medplum 4.5.2 needs Node.js ^20.19 or >= 22.12 and npm: Debian 13's `nodejs` (20.19) + `npm`, or NodeSource's
# `nodejs` 20/22 (npm included). Debian 12's own nodejs is 18 and has no npm: then the peer is not installed, and
# setup says so and which tests are skipped rather than failing (nothing a hospital runs needs it).
fhir_peer_skipped() {
  echo "setup: the FHIR test peer (tools/fhir-peer) is not installed: $1" >&2
  echo "setup: so tests/his/test_fhir_driver.py, the 'fhir' case of tests/his/test_journey_drivers.py and the FHIR" \
       "part of \`bench/run his_link\` are skipped (the service itself does not need Node.js)" >&2
}
node_fits() {  # $1 = a version like 20.19.2: ^20.19 || >= 22.12
  major=${1%%.*}; rest=${1#*.}; minor=${rest%%.*}
  case "$major.$minor" in *[!0-9.]*|.*|*.) return 1 ;; esac
  [ "$major" -ge 23 ] || { [ "$major" -eq 22 ] && [ "$minor" -ge 12 ]; } || { [ "$major" -eq 20 ] && [ "$minor" -ge 19 ]; }
}
# the packages in node_modules are exactly those package-lock.json pins (compared by version, not by file time)
installed_as_locked='
const fs = require("fs");
const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8"));
for (const [path, pkg] of Object.entries(lock.packages || {})) {
  if (!path || pkg.dev || pkg.optional) continue;
  const got = JSON.parse(fs.readFileSync(path + "/package.json", "utf8")).version;
  if (got !== pkg.version) process.exit(1);
}'
if [ -f tools/fhir-peer/package-lock.json ]; then
  node_version=$(node --version 2>/dev/null | sed 's/^v//')
  if [ -n "$OFFLINE" ]; then
    [ -d tools/fhir-peer/node_modules/@medplum/fhir-router ] \
      || fhir_peer_skipped "an offline install does not fetch its npm packages (run setup with internet on a test machine)"
  elif [ -z "$node_version" ]; then
    fhir_peer_skipped "node is not installed (it needs Node.js ^20.19 or >= 22.12: Debian 13's nodejs, or NodeSource's)"
  elif ! node_fits "$node_version"; then
    fhir_peer_skipped "node $node_version is too old (Medplum 4.5.2 needs Node.js ^20.19 or >= 22.12; Debian 12's nodejs is 18: use Debian 13's or NodeSource's nodejs)"
  elif ! command -v npm >/dev/null; then
    fhir_peer_skipped "npm is not installed (sudo apt-get install npm; NodeSource's nodejs includes it)"
  elif (cd tools/fhir-peer && node -e "$installed_as_locked" 2>/dev/null); then
    :  # every package at its locked version already (a fresh checkout's newer lock file changes nothing)
  elif [ -L tools/fhir-peer/node_modules ]; then
    fhir_peer_skipped "tools/fhir-peer/node_modules is a link to packages that differ from package-lock.json; npm ci would empty the directory it points to, so it is left alone (update it there, or remove the link)"
  else
    echo "setup: installing the FHIR test peer (npm ci in tools/fhir-peer, node $node_version)"
    (cd tools/fhir-peer && npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
      || fhir_peer_skipped "npm ci in tools/fhir-peer failed (see npm's message above; it needs the npm registry)"
  fi
fi
exit 0
