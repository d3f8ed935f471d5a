#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image
# from the uploaded zip (unpacked in /autograder/source): install Rust, build
# the grader, and build everything a grading compiles except a student's own
# code, so that each submission later compiles only its exercise crates.
set -euo pipefail

source_dir=/autograder/source

# Rust goes to /usr/local rather than root's home, so run_autograder finds it
# by the same fixed paths whatever user and home it runs with.
export RUSTUP_HOME=/usr/local/rustup
export CARGO_HOME=/usr/local/cargo
export PATH="$CARGO_HOME/bin:$PATH"

# Gradescope's image is a plain Ubuntu: rustup needs curl, rustc needs a C
# linker.
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends build-essential ca-certificates curl

curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs \
  | sh -s -- -y --no-modify-path --profile minimal --default-toolchain stable

cd "$source_dir"
cargo fetch --locked
cargo build --release --locked -p grader

# Grading the skeleton once builds the dependencies exactly as gradings do
# and leaves them in the grader's build cache. The skeleton's tests fail, and
# that is expected; only a grader that cannot work at all stops the setup.
status=0
./target/release/grader grade --repeat 1 --quiet || status=$?
if [[ $status -eq 2 ]]; then
  echo "setup.sh: the grader could not grade the skeleton (exit status 2); see the messages above" >&2
  exit 2
fi
echo "setup.sh: Rust $(rustc --version), the grader and the dependency build are ready"
