#!/usr/bin/env bash
# Rebuild the seed corpora from the repository's own inputs. Seed files are
# named `seed-*` (committed); files the fuzzer adds are named by their hash
# and ignored by git. Run from anywhere; needs a built workspace for the
# replay seeds (`cargo retry-check simulate` writes them).
set -euo pipefail
cd "$(dirname "$0")"
root=..

mkdir -p corpus/parse_contract corpus/lint_contracts corpus/scan_source corpus/replay_file \
         corpus/import_source corpus/lint_sources
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

# Imported formats: every fixture file, with the selector byte of
# retry_check_tests::fuzz_targets::import_source (0 YAML, 1 JSON, 2 AWS config).
for f in "$root"/crates/retry-check-sources/tests/fixtures/*/*/* "$root"/contracts/mesh/* \
         "$root"/contracts/grpc/* "$root"/contracts/broken/imported/*; do
  [ -f "$f" ] || continue
  case "$f" in
    *.toml) continue ;;
    *.yaml | *.yml) sel='\000' ;;
    *.json) sel='\001' ;;
    *) sel='\002' ;;
  esac
  rel="${f#"$root"/}"
  { printf "$sel"; cat "$f"; } > "corpus/import_source/seed-${rel//\//_}"
done
# Mixed sets: each fixture directory's contract with its imported files, in
# the order lint_sources names them (f1.yaml, f2.json, d3/config, ...): a
# file is put in the first slot of its kind, blank slots fill the rest.
first() { for f in "$@"; do [ -f "$f" ] && { echo "$f"; return 0; }; done; return 0; }
for d in "$root"/crates/retry-check-sources/tests/fixtures/*/*/; do
  name="$(basename "$(dirname "$d")")-$(basename "$d")"
  toml="$(first "$d"*.toml)"
  yaml="$(first "$d"*.yaml)"
  json="$(first "$d"*.json)"
  ini="$(first "$d"config "$d"*.ini)"
  {
    [ -z "$toml" ] || sed -e 's|path = "[^"]*\.yaml"|path = "f1.yaml"|' \
      -e 's|path = "[^"]*\.json"|path = "f2.json"|' \
      -e 's|path = "config"|path = "d3/config"|' -e 's|path = "[^"]*\.ini"|path = "d3/config"|' "$toml"
    printf '\n%%%%%%\n'; [ -z "$yaml" ] || cat "$yaml"
    printf '\n%%%%%%\n'; [ -z "$json" ] || cat "$json"
    printf '\n%%%%%%\n'; [ -z "$ini" ] || cat "$ini"
  } > "corpus/lint_sources/seed-$name.txt"
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
