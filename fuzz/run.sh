#!/usr/bin/env bash
# Time-boxed fuzzing of every target on the stable toolchain, without
# installing cargo-fuzz: builds the targets with the flags `cargo fuzz build
# -s none` uses (coverage instrumentation only, no sanitizer: `-Zsanitizer`
# would need nightly; Rust's own bounds and overflow checks catch what we
# look for), then runs each libFuzzer binary for SECONDS.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     (default 60, all six)
#
# A crash, a leak of the time limit per input, or an out-of-memory fails the
# script and leaves the input in fuzz/artifacts/TARGET/; copy it into
# fuzz/regressions/TARGET/ with the fix so `cargo test` replays it forever.
# A slow machine only means fewer executions: it does not fail.
# Locally, `cargo fuzz run -s none TARGET` does the same with cargo-fuzz.
set -euo pipefail
cd "$(dirname "$0")"

secs="${1:-60}"
shift || true
if [ "$#" -gt 0 ]; then targets=("$@"); else
  targets=(parse_contract lint_contracts scan_source replay_file import_source lint_sources)
fi
triple="$(rustc -vV | sed -n 's/^host: //p')"
target_dir="${FUZZ_TARGET_DIR:-target}"

RUSTFLAGS="-Cpasses=sancov-module \
 -Cllvm-args=-sanitizer-coverage-level=4 \
 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
 -Cllvm-args=-sanitizer-coverage-pc-table \
 -Cllvm-args=-sanitizer-coverage-trace-compares \
 --cfg fuzzing \
 -Cllvm-args=-simplifycfg-branch-fold-threshold=0 \
 -Cllvm-args=-sanitizer-coverage-stack-depth \
 -Cdebug-assertions" \
  cargo build --release --manifest-path Cargo.toml --target "$triple" \
    --target-dir "$target_dir" --config 'profile.release.debug="line-tables-only"' \
    $(printf -- '--bin %s ' "${targets[@]}")

failed=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  dirs=("corpus/$t")
  [ -d "regressions/$t" ] && dirs+=("regressions/$t")
  echo "--- fuzz $t for ${secs}s"
  set +e
  "$target_dir/$triple/release/$t" "${dirs[@]}" \
    -max_total_time="$secs" -timeout=30 -rss_limit_mb=2048 \
    -artifact_prefix="artifacts/$t/" -print_final_stats=1 2>&1 |
    grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::number_of_executed_units|stat::peak_rss|==[0-9]+== ERROR|SUMMARY|panicked|thread .* panicked|Test unit written)' 
  status="${PIPESTATUS[0]}"
  set -e
  if [ "$status" -ne 0 ]; then
    echo "fuzz target $t failed (exit $status); the input is in fuzz/artifacts/$t/"
    failed=1
  fi
done
exit "$failed"
