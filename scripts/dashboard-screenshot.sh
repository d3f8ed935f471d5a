#!/usr/bin/env bash
# The README's screenshot of the class dashboard: grades the fixture class
# (scripts/fixture-batch.sh) and photographs OUT/index.html with headless
# Chromium (Debian: apt-get install chromium; or set CHROMIUM).
#   scripts/dashboard-screenshot.sh [PNG]   (default docs/dashboard.png)
set -euo pipefail
cd "$(dirname "$0")/.."
png=${1:-docs/dashboard.png}
out=$(scripts/fixture-batch.sh | tail -n 1)
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome)}
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
mkdir -p "$(dirname "$png")"
"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
  --user-data-dir="$profile" --window-size=1100,1250 --screenshot="$PWD/$png" \
  "file://$out/index.html" 2>/dev/null
ls -l "$png"
