#!/usr/bin/env bash
# Rebuild the seed corpora from the repository's own inputs. Seed files are
# named `seed-*` (committed); files the fuzzer adds are named by their hash
# and ignored by git. Run from anywhere; needs a built workspace for the
# replay seeds (`cargo retry-check simulate` writes them).
set -euo pipefail
cd "$(dirname "$0")"
root=..

mkdir -p corpus/parse_contract corpus/lint_contracts corpus/scan_source corpus/replay_file
rm -f corpus/*/seed-*

for f in "$root"/contracts/*.toml "$root"/contracts/broken/*.toml \
         "$root"/crates/retry-check-rules/tests/fixtures/*/*/*.toml; do
  [ -f "$f" ] || continue
  rel="${f#"$root"/}"
  cp "$f" "corpus/parse_contract/seed-${rel//\//_}"
done

# Multi-file inputs: every broken contract with the clean one, joined by the
# separator of retry_check_tests::fuzz_targets::lint_contracts.
for f in "$root"/contracts/broken/*.toml; do
  name="$(basename "$f" .toml)"
  { cat "$root/contracts/payments.toml"; printf '\n%%%%%%\n'; cat "$f"; } \
    > "corpus/lint_contracts/seed-$name.toml"
done
# ... and every rule fixture (a directory of files) as one input.
for d in "$root"/crates/retry-check-rules/tests/fixtures/*/*/; do
  name="$(basename "$(dirname "$d")")-$(basename "$d")"
  first=1
  for f in "$d"*.toml; do
    [ "$first" = 1 ] || printf '\n%%%%%%\n'
    first=0
    cat "$f"
  done > "corpus/lint_contracts/seed-fixture-$name.toml"
done

for f in "$root"/crates/retry-check-scan/tests/corpus/*.rs \
         "$root"/crates/retry-check-scan/tests/fixtures/*/*.rs; do
  rel="${f#"$root"/crates/retry-check-scan/tests/}"
  cp "$f" "corpus/scan_source/seed-${rel//\//_}"
done

# Replay files: the counterexamples `simulate` finds in contracts/broken/.
tmp="$(mktemp -d)"
cargo run -q --manifest-path "$root/Cargo.toml" -p cargo-retry-check -- \
  retry-check simulate "$root/contracts/broken" --replay-dir "$tmp" --format short >/dev/null || true
for f in "$tmp"/*.json; do
  [ -f "$f" ] && cp "$f" "corpus/replay_file/seed-$(basename "$f")"
done
rm -rf "$tmp"
for d in corpus/*; do echo "$d: $(ls "$d" | grep -c '^seed-') seed files"; done
