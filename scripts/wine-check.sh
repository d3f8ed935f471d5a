#!/usr/bin/env bash
# Runs exercises' Windows test binaries (x86_64-pc-windows-gnu) under Wine,
# for one submission: a local stand-in for the windows-latest runner of
# .github/workflows/ci.yml while writing Windows-only test code. Wine is not
# Windows (its threads run on the Linux scheduler, its GetThreadTimes reads
# Linux's tick-based counters), so a pass here is a smoke test and the
# hosted runner has the last word.
#
#   scripts/wine-check.sh <submission-dir> [exercise-N ...]   (default: all)
#
# e.g. scripts/wine-check.sh solutions exercise-2 exercise-4
#      scripts/wine-check.sh fixtures/exercise-4-sequential exercise-4
#
# Needs Debian's wine64 and gcc-mingw-w64-x86-64-win32 (the linker):
#   apt-get install --no-install-recommends wine64 gcc-mingw-w64-x86-64-win32
# Wine 8 lacks bcryptprimitives.dll (ProcessPrng), which Rust's standard
# library links since 1.78; the script builds a stand-in from advapi32's
# RtlGenRandom into its own Wine prefix.
set -euo pipefail
if [[ $# -lt 1 ]]; then
  echo "usage: $0 <submission-dir> [exercise-N ...]" >&2
  exit 2
fi
submission=$(cd "$1" && pwd)
shift
root=$(cd "$(dirname "$0")/.." && pwd)
target=x86_64-pc-windows-gnu
work=${WINE_CHECK_WORK:-/tmp/wine-check}
wine=$(command -v wine64 || echo /usr/lib/wine/wine64)
[[ -x $wine ]] || { echo "wine64 not found: apt-get install wine64" >&2; exit 2; }
command -v x86_64-w64-mingw32-gcc >/dev/null ||
  { echo "no mingw linker: apt-get install gcc-mingw-w64-x86-64-win32" >&2; exit 2; }

exercises=("$@")
if [[ ${#exercises[@]} -eq 0 ]]; then
  for dir in "$root"/exercises/exercise-*/; do exercises+=("$(basename "$dir")"); done
fi
rustup target list --installed | grep -qx "$target" || rustup target add "$target"

# The Wine prefix, with the ProcessPrng stand-in.
export WINEPREFIX=$work/prefix WINEDEBUG=-all
if [[ ! -f $WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll ]]; then
  mkdir -p "$work"
  "$wine" cmd /c exit >/dev/null 2>&1 || true
  cat >"$work/bcryptprimitives.c" <<'EOF'
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  while (length > 0) {
    ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
    if (!SystemFunction036(data, chunk)) return FALSE;
    data += chunk;
    length -= chunk;
  }
  return TRUE;
}
EOF
  x86_64-w64-mingw32-gcc -shared -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
    "$work/bcryptprimitives.c" -ladvapi32
fi

# A scratch workspace with the submission's src/ (as scripts/measure-exercise.sh).
rm -rf "$work/ws"
mkdir -p "$work/ws"
(cd "$root" && tar --exclude=./target --exclude=./.git -cf - .) | tar -xf - -C "$work/ws"
for exercise in "${exercises[@]}"; do
  rm -rf "$work/ws/exercises/$exercise/src"
  cp -r "$submission/exercises/$exercise/src" "$work/ws/exercises/$exercise/src"
done

export CARGO_TARGET_DIR=$work/target
# What `cargo test` would add from .cargo/config.toml's [env].
export RAYON_NUM_THREADS=4
failed=0
for exercise in "${exercises[@]}"; do
  binaries=$(cd "$work/ws" && cargo test --locked --no-run --target "$target" -p "$exercise" --message-format=json 2>/dev/null |
    python3 -c '
import json, sys
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("reason") == "compiler-artifact" and msg["target"]["kind"] == ["test"] and msg.get("executable"):
        print(msg["executable"])
')
  for binary in $binaries; do
    echo "== $exercise $(basename "$binary")"
    (cd "$(dirname "$binary")" && timeout 300 "$wine" "$(basename "$binary")" --show-output) || failed=1
  done
done
exit "$failed"
