#!/usr/bin/env bash
# A new user's path, outside this repository, end to end:
#   1. install cargo-retry-check (from this checkout, as the README says);
#   2. `cargo new` a project and run `cargo retry-check init` in it;
#   3. the scaffolded harness test passes (green);
#   4. one line of the store broken: the test fails with a timeline (red);
#   5. `cargo retry-check` on its contracts: clean, and a broken contract
#      fails it;
#   6. the same in a virtual workspace: `init --package` puts the test and
#      the dependency in the member that owns the store.
# Run by .ci/run after the tests; locally: `bash .ci/fresh-project.sh`.
#
# It reuses the build: `cargo install --debug` with the shared target dir
# takes the binary the tests built, and the projects share a target dir of
# their own (`$CARGO_TARGET_DIR/fresh-project`) so the harness is built
# once. They resolve their dependencies from this repository's Cargo.lock
# (copied in, offline): the same versions CI tested, no network.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$repo/target}"
work="$(mktemp -d "${TMPDIR:-/tmp}/retry-check-fresh.XXXXXX")"
trap 'rm -rf "$work"' EXIT

step() { printf '\n--- %s\n' "$1"; }
fail() { echo "FAILED: $1"; exit 1; }

step "install cargo-retry-check (cargo install --path, reusing the build)"
CARGO_TARGET_DIR="$target" cargo install --locked --debug --quiet \
  --path "$repo/crates/cargo-retry-check" --root "$work/install"
export PATH="$work/install/bin:$PATH"
cargo retry-check --version

# The projects' own cargo settings: the shared target dir, the pinned
# versions.
project_env() {
  cp "$repo/Cargo.lock" "$1/Cargo.lock"
}
export CARGO_TARGET_DIR="$target/fresh-project"

step "a new project: cargo new, cargo retry-check init"
cd "$work"
cargo new --quiet --lib fresh-store
cd fresh-store
project_env .
cargo retry-check init | tee "$work/init.txt"
grep -q '^added retry-check-harness to \[dev-dependencies\] of Cargo.toml' "$work/init.txt" \
  || fail "init did not add the harness dependency"
grep -q 'retry-check-harness = { version = ' Cargo.toml || fail "no dependency line in Cargo.toml"

step "the scaffolded test passes"
cargo test --offline --quiet --test retry_check_store 2>&1 | tee "$work/green.txt"
grep -q 'test result: ok. 1 passed' "$work/green.txt" || fail "the scaffolded test did not pass"

step "one line of the store broken: the test fails with a timeline"
cp tests/retry_check_store.rs "$work/store.rs.orig"
sed -i 's|^        record\.outcome = Some(outcome\.0\.clone());$|        record.outcome = None; // broken: the outcome is forgotten|' \
  tests/retry_check_store.rs
changed="$(diff "$work/store.rs.orig" tests/retry_check_store.rs | grep -c '^>' || true)"
[ "$changed" = 1 ] || fail "expected to change exactly one line, changed $changed"
if cargo test --offline --quiet --test retry_check_store >"$work/red.txt" 2>&1; then
  cat "$work/red.txt"
  fail "the broken store passed"
fi
# A forgotten outcome breaks the key TTL (the duplicate finds no recorded
# outcome) or at-most-once (a later retry takes the key over): either is red.
grep -Eq '^property:  (at_most_once|ttl_honoured) ' "$work/red.txt" \
  || { cat "$work/red.txt"; fail "no at_most_once or ttl_honoured violation"; }
grep -Eq '^ +1  t=0\.000s ' "$work/red.txt" || { cat "$work/red.txt"; fail "no timeline"; }
# The counterexample, as the user sees it (up to the replay file).
sed -n '/^---- my_store_keeps_at_most_once/,/^replay:/p' "$work/red.txt"
cp "$work/store.rs.orig" tests/retry_check_store.rs

step "cargo retry-check on its contracts"
cargo retry-check --format short | tee "$work/check.txt"
grep -q '^checked .* files: no findings; simulated 1 pair' "$work/check.txt" || fail "the scaffold does not check clean"
sed -i 's|^key_ttl = "24h"|key_ttl = "1s"|' contracts/example.toml
set +e
cargo retry-check --format short >"$work/broken.txt"
status=$?
set -e
cat "$work/broken.txt"
[ "$status" = 1 ] || fail "a key TTL shorter than the retry window exits $status, not 1"
grep -q 'error\[RC001\]' "$work/broken.txt" || fail "no RC001 for the broken contract"

step "a virtual workspace: init --package puts the test where the store is"
mkdir -p "$work/ws" && cd "$work/ws"
cargo new --quiet --lib api
cargo new --quiet --lib store
printf '[workspace]\nmembers = ["api", "store"]\nresolver = "2"\n' >Cargo.toml
project_env .
set +e
cargo retry-check init >"$work/ws-none.txt" 2>&1
status=$?
set -e
[ "$status" = 2 ] || fail "init in a virtual workspace without --package exits $status, not 2"
grep -q 'pass --package NAME' "$work/ws-none.txt" || fail "no hint to pass --package"
cargo retry-check init --package store
[ -f store/tests/retry_check_store.rs ] || fail "no test in the store package"
grep -q 'retry-check-harness' store/Cargo.toml || fail "no dependency in store/Cargo.toml"
grep -q 'retry-check-harness' api/Cargo.toml && fail "the dependency went to api/Cargo.toml"
cargo test --offline --quiet -p store --test retry_check_store 2>&1 | tee "$work/ws-green.txt"
grep -q 'test result: ok. 1 passed' "$work/ws-green.txt" || fail "the member's scaffolded test did not pass"
cargo retry-check --format short

step "fresh project: every step passed"
