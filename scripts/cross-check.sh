#!/usr/bin/env bash
# Checks that every exercise's tests compile for the students' other
# platforms, Windows and macOS, for the skeletons and the reference
# solutions alike: `cargo clippy --tests --target <triple>` (a `cargo check`
# that also denies warnings in the code only those platforms compile). No
# test binary is linked, so no Windows or macOS linker is needed; running
# the tests there is the hosted runners' job (.github/workflows/ci.yml).
#
#   scripts/cross-check.sh [triple ...]   (default: the two below)
#
# Installs a missing target's standard library with `rustup target add`.
# Uses the workspace's target folder, so later runs check only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  targets=(x86_64-pc-windows-gnu aarch64-apple-darwin)
fi
packages=()
for dir in exercises/exercise-*/; do
  packages+=(-p "$(basename "$dir")")
done

installed=$(rustup target list --installed)
for target in "${targets[@]}"; do
  if ! grep -qx "$target" <<<"$installed"; then
    rustup target add "$target"
  fi
done

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}

check() {
  local what=$1 target
  for target in "${targets[@]}"; do
    echo "-- $what, $target"
    cargo clippy --quiet --locked --tests --target "$target" "${packages[@]}" -- -D warnings
  done
}

check "skeletons"

# The reference solutions: a scratch copy of the workspace with their src/
# in place of the skeletons' (the sources only, as scripts/measure-exercise.sh
# makes it).
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar --exclude=./target --exclude=./.git -cf - . | tar -xf - -C "$work"
for solution in solutions/exercises/exercise-*/; do
  exercise=$(basename "$solution")
  rm -rf "$work/exercises/$exercise/src"
  cp -r "$solution/src" "$work/exercises/$exercise/src"
done
(cd "$work" && check "reference solutions")
