//! Command-line interface definition (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use retry_check_diagnostics::outputs::Output;
use retry_check_harness::Partition;
use retry_check_workspace::init::scaffold::HarnessChoice;

const EXIT_CODES: &str = "\
Exit codes:
  0    no error-level finding (warnings allowed unless -D warnings)
  1    error-level findings, including invalid contract files
  2    usage, configuration or I/O error
  101  internal error (a bug: please report it)";

const REPLAY_EXIT_CODES: &str = "\
Exit codes:
  0    the scenario passes: no property is violated
  1    the violation reproduces, or the file records a violation of your
       own store, which replay cannot run (it prints the test command that does)
  2    usage error, or an unreadable or invalid replay file
  101  internal error (a bug: please report it)";

const STORM_EXIT_CODES: &str = "\
Exit codes:
  0    no storm rule fires (RC034-RC036)
  1    a storm rule fires, or a contract file is invalid
  2    usage error, unknown --server, or an I/O error
  101  internal error (a bug: please report it)";

const MODEL_HELP: &str = "\
Which tests:
  The `model-tests` list of [workspace.metadata.retry-check] in the workspace's
  Cargo.toml, each entry `package::test_target` (the integration test
  tests/test_target.rs of a workspace package):

    [workspace.metadata.retry-check]
    model-tests = [\"my-store::store_model\"]

  or the TESTS given on the command line. With neither, every integration test
  of the workspace whose file mentions `retry_check_harness` runs. (`check` runs
  the configured ones only.)

How they run:
  `cargo test --manifest-path M -p PKG --test TARGET`, built first (a compile
  error is reported, exit 2). The harness's `Sim::check` reads:
    RETRY_CHECK_SEED       --seed (else the test's own seed)
    RETRY_CHECK_CASES      --cases (else the test's own budget)
    RETRY_CHECK_PARTITION  --partition k/n
    RETRY_CHECK_CONTRACT   --contract (read it with retry_check_harness::contract_path())
    RETRY_CHECK_REPLAY_DIR where it writes each counterexample's replay file
                           (<replay-dir>/model/<package>--<target>/)
  Each counterexample is reported as RC900 simulated_violation at the test,
  with its timeline; a test failing otherwise as RC901 model_test_failed.

Exit codes:
  0    every model test passes
  1    a counterexample, or a model test failed
  2    usage or configuration error, a test target that does not exist or does
       not build, or an I/O error
  101  internal error (a bug: please report it)";

const INIT_EXIT_CODES: &str = "\
Exit codes:
  0    the files were created
  2    a file exists (pass --force), no Cargo.toml was found, a virtual
       workspace and no --package, or an I/O error
  101  internal error (a bug: please report it)";

const SCHEMA_EXIT_CODES: &str = "\
Exit codes:
  0    the schema was written
  2    the output file cannot be written
  101  internal error (a bug: please report it)";

/// Lint retry contracts: find the gaps between how clients retry and what
/// servers promise.
#[derive(Parser, Debug)]
#[command(
    name = "cargo-retry-check",
    bin_name = "cargo retry-check",
    version,
    about,
    long_about = "Lint retry contracts: find the gaps between how clients retry and what \
servers promise.\n\nContracts are TOML files, and the gRPC service configs, Envoy, Istio, \
Linkerd, AWS SDK and OpenAPI files they import or that sit beside them (default: \
contracts/**/*, configurable in [workspace.metadata.retry-check]). With no subcommand, \
`check` runs.",
    after_help = EXIT_CODES,
    max_term_width = 100,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// `check`'s arguments, for the default with no subcommand.
    #[command(flatten)]
    pub check: CheckArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Lint the contracts and simulate every client -> server pair: one
    /// report, one exit code (the default with no subcommand).
    #[command(after_help = EXIT_CODES)]
    Check(CheckArgs),
    /// Lint contract files and report every gap, within and across files.
    #[command(after_help = EXIT_CODES)]
    Lint(LintCommandArgs),
    /// Scan Rust sources for retry policies: lint them (RC101+), compare the
    /// ones bound to a contract client with it (drift, RC109), and flag
    /// unmaintained retry crates in Cargo.toml.
    #[command(after_help = EXIT_CODES)]
    Scan(ScanArgs),
    /// Simulate every client -> server pair against the built-in reference
    /// store its contract describes; a gap becomes a finding with a timeline.
    #[command(after_help = EXIT_CODES)]
    Simulate(SimulateArgs),
    /// Simulate a fleet of clients following the contracts through an
    /// outage of their dependency; report the load, the figures and a chart,
    /// beside the same fleet with the recommended fix.
    #[command(after_help = STORM_EXIT_CODES)]
    Storm(StormArgs),
    /// Run your harness tests through cargo (sim, or loom with --loom) and
    /// report each counterexample as a diagnostic with its timeline.
    #[command(after_help = MODEL_HELP)]
    Model(ModelArgs),
    /// Re-run a replay file step by step: print its timeline and verdict.
    #[command(after_help = REPLAY_EXIT_CODES)]
    Replay(ReplayArgs),
    /// Scaffold contracts/example.toml, the [workspace.metadata.retry-check]
    /// table, a harness test for your store (tests/retry_check_store.rs) and
    /// the retry-check-harness dependency where your store lives.
    #[command(after_help = INIT_EXIT_CODES)]
    Init(InitArgs),
    /// List every rule: code, name, group, default level, summary.
    Rules(RulesArgs),
    /// Print the JSON Schema of the contract format (draft-07) for editors:
    /// Even Better TOML / taplo complete and check a contract whose first
    /// line is `#:schema PATH` (relative to the contract, or a URL).
    #[command(after_help = SCHEMA_EXIT_CODES)]
    Schema(SchemaArgs),
    /// Explain a rule: what it does, why it matters, an example, the fix.
    Explain(ExplainArgs),
}

/// Which contracts a run reads.
#[derive(Args, Debug, Default, Clone)]
pub struct ContractArgs {
    /// Contract files or directories (searched recursively for contracts and the configuration formats they import).
    /// Default: the `contracts` globs of [workspace.metadata.retry-check],
    /// else contracts/**/* under the workspace root.
    #[arg(value_name = "PATHS")]
    pub paths: Vec<PathBuf>,

    /// Path to Cargo.toml, to find the workspace root and its configuration.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
}

/// `-A/-W/-D`: lint levels on the command line, applied in order after the
/// defaults and `[workspace.metadata.retry-check.lints]`.
#[derive(Args, Debug, Default, Clone)]
pub struct LevelArgs {
    /// Set a rule, a group or `warnings` to allow. Repeatable; later flags win.
    #[arg(short = 'A', long = "allow", value_name = "LINT", action = clap::ArgAction::Append)]
    pub allow: Vec<String>,

    /// Set a rule, a group or `warnings` to warn.
    #[arg(short = 'W', long = "warn", value_name = "LINT", action = clap::ArgAction::Append)]
    pub warn: Vec<String>,

    /// Set a rule, a group or `warnings` to deny (`-D warnings` fails on warnings).
    #[arg(short = 'D', long = "deny", value_name = "LINT", action = clap::ArgAction::Append)]
    pub deny: Vec<String>,
}

/// How a run's diagnostics are reported, at which levels, and where.
#[derive(Args, Debug, Default, Clone)]
pub struct ReportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// When to use colours (also CARGO_TERM_COLOR; NO_COLOR disables).
    #[arg(long, value_enum, value_name = "WHEN")]
    pub color: Option<ColorChoice>,

    #[command(flatten)]
    pub levels: LevelArgs,

    /// Also write the report in FORMAT to FILE (`sarif=retry-check.sarif`,
    /// `junit=junit.xml`, `markdown=$GITHUB_STEP_SUMMARY`); repeatable, so
    /// one run writes every format a CI job needs. A bare FILE gets the
    /// --format report instead of stdout (the summary line then goes to
    /// stderr). The file named by $GITHUB_STEP_SUMMARY is appended to.
    #[arg(short = 'o', long, value_name = "[FORMAT=]FILE", action = clap::ArgAction::Append)]
    pub output: Vec<Output>,

    #[command(flatten)]
    pub baseline: BaselineArgs,
}

/// A baseline: today's findings, recorded so that a run reports only new
/// ones.
#[derive(Args, Debug, Default, Clone)]
pub struct BaselineArgs {
    /// Report only findings that FILE (written by --write-baseline) does
    /// not record; the exit code counts only those.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Record every finding of this run in FILE (by fingerprint: code, file,
    /// TOML item and message, not line numbers) and exit 0 unless a contract
    /// does not parse.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// With --baseline: also list the recorded findings that are gone.
    #[arg(long, requires = "baseline")]
    pub show_fixed: bool,
}

/// `lint`.
#[derive(Args, Debug, Default, Clone)]
pub struct LintArgs {
    #[command(flatten)]
    pub contracts: ContractArgs,

    #[command(flatten)]
    pub report: ReportArgs,
}

/// `lint`: what it shares with `check`, and `--fix`.
#[derive(Args, Debug, Default, Clone)]
pub struct LintCommandArgs {
    #[command(flatten)]
    pub lint: LintArgs,

    #[command(flatten)]
    pub fix: FixArgs,
}

/// `lint --fix`.
#[derive(Args, Debug, Default, Clone)]
pub struct FixArgs {
    /// Apply the mechanical fixes (`rules` lists the fixable rules) to the
    /// contract files, keeping comments and layout, then report what is
    /// left.
    #[arg(long)]
    pub fix: bool,

    /// With --fix: change no file; print the diff the fixes would make
    /// (exit 1 when there is one).
    #[arg(long, requires = "fix")]
    pub dry_run: bool,
}

/// `scan`.
#[derive(Args, Debug, Default, Clone)]
pub struct ScanArgs {
    /// Rust files, Cargo.toml files or directories (searched for *.rs and
    /// Cargo.toml recursively, skipping target/ and hidden directories).
    /// Default: every workspace package's Cargo.toml, src/, tests/,
    /// examples/ and benches/, minus `scan-exclude` and test code.
    #[arg(value_name = "PATHS")]
    pub paths: Vec<PathBuf>,

    /// Path to Cargo.toml, to find the workspace, its packages and its
    /// configuration.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,

    /// Do not read the contracts: no drift check (RC109) and no RC001 from code.
    #[arg(long)]
    pub no_contracts: bool,

    /// Scan test code too: `#[cfg(test)]` items, `#[test]` functions and
    /// files under `tests/` (also `scan-tests = true` in
    /// [workspace.metadata.retry-check]). Skipped by default.
    #[arg(long)]
    pub include_tests: bool,

    /// Also report (at `info`, RC119) code that may hold retries but was
    /// not analysed, such as retry loops inside `macro_rules!` bodies.
    #[arg(short, long)]
    pub verbose: bool,

    #[command(flatten)]
    pub report: ReportArgs,
}

/// Default number of simulated cases per client -> server pair.
pub const DEFAULT_SIM_CASES: u32 = 256;

/// Default number of cases `check` simulates for a pair lint finds clean.
pub const DEFAULT_CLEAN_CASES: u32 = 32;

/// How the contract simulation runs.
#[derive(Args, Debug, Clone)]
pub struct SimArgs {
    /// Seed of the simulation: the same seed gives the same output.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,

    /// Cases to simulate per client -> server pair.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_SIM_CASES,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub cases: u32,

    /// Where to write replay files of counterexamples.
    /// Default: target/retry-check/ under the workspace root.
    #[arg(long, value_name = "DIR")]
    pub replay_dir: Option<PathBuf>,

    /// Run only partition K of N of the cases (1-based, e.g. `2/3`): N CI
    /// jobs with 1/N .. N/N together run exactly the cases of one job.
    #[arg(long, value_name = "K/N", value_parser = parse_partition)]
    pub partition: Option<Partition>,
}

/// `check`: the lint arguments and the simulation's.
#[derive(Args, Debug, Clone)]
pub struct CheckArgs {
    #[command(flatten)]
    pub lint: LintArgs,

    #[command(flatten)]
    pub sim: CheckSimArgs,
}

/// The simulation half of `check` (and of the default with no subcommand).
#[derive(Args, Debug, Clone)]
pub struct CheckSimArgs {
    #[command(flatten)]
    pub sim: SimArgs,

    /// Cases for a client -> server pair with no lint finding the
    /// simulation could prove (a pair with one, RC001, RC022 or RC027, gets
    /// `--cases`: the search for its trace). Pairs with the same
    /// configuration are simulated once.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CLEAN_CASES,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub clean_cases: u32,

    /// Lint only: do not simulate.
    #[arg(long)]
    pub no_simulate: bool,

    /// Do not scan the Rust sources. Without PATHS, `check` scans them
    /// unless [workspace.metadata.retry-check] says `scan = false`; with
    /// PATHS (contract files), only when it says `scan = true`.
    #[arg(long)]
    pub no_scan: bool,
    /// Do not run the configured `model-tests`.
    #[arg(long)]
    pub no_model: bool,
}

/// `simulate`.
#[derive(Args, Debug, Clone)]
pub struct SimulateArgs {
    #[command(flatten)]
    pub contracts: ContractArgs,

    #[command(flatten)]
    pub sim: SimArgs,

    #[command(flatten)]
    pub report: ReportArgs,
}

/// `model`: run the user's harness tests.
#[derive(Args, Debug, Clone)]
pub struct ModelArgs {
    /// Tests to run (`package::test_target`) instead of the configured
    /// `model-tests`.
    #[arg(value_name = "TESTS")]
    pub tests: Vec<String>,

    /// Path to the Cargo.toml of the workspace whose tests run.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,

    /// Seed (RETRY_CHECK_SEED); default: each test's own.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Cases per test (RETRY_CHECK_CASES); default: each test's own.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub cases: Option<u32>,

    /// Run only partition K of N of the cases (1-based, e.g. `2/3`): N CI
    /// jobs with 1/N .. N/N together run exactly the cases of one job.
    #[arg(long, value_name = "K/N", value_parser = parse_partition)]
    pub partition: Option<Partition>,

    /// A contract file or directory for the tests (RETRY_CHECK_CONTRACT).
    #[arg(long, value_name = "PATH")]
    pub contract: Option<PathBuf>,

    /// Where the tests write replay files (under model/<package>--<target>/).
    /// Default: target/retry-check/ under the workspace root.
    #[arg(long, value_name = "DIR")]
    pub replay_dir: Option<PathBuf>,

    /// Loom mode: build with RUSTFLAGS="--cfg loom" and --release, in its own
    /// target directory (<target>/retry-check-loom).
    #[arg(long)]
    pub loom: bool,

    /// Cargo's target directory for the tests (default: the workspace's).
    #[arg(long, value_name = "DIR")]
    pub target_dir: Option<PathBuf>,

    /// Pass --offline to cargo.
    #[arg(long)]
    pub offline: bool,

    /// Pass --locked to cargo.
    #[arg(long)]
    pub locked: bool,

    #[command(flatten)]
    pub report: ReportArgs,
}

fn parse_partition(s: &str) -> Result<Partition, String> {
    s.parse()
}

/// `storm`.
#[derive(Args, Debug, Clone)]
pub struct StormArgs {
    #[command(flatten)]
    pub contracts: ContractArgs,

    /// How long the incident lasts (a full outage unless --brownout or
    /// --slowdown).
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub outage: String,

    /// Instead of a full outage, fail this share of attempts (0 < R <= 1).
    #[arg(long, value_name = "RATIO", conflicts_with = "slowdown")]
    pub brownout: Option<f64>,

    /// Instead of a full outage, multiply capacity by F (0 < F < 1) and
    /// divide response time by it.
    #[arg(long, value_name = "F")]
    pub slowdown: Option<f64>,

    /// When the incident starts.
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub at: String,

    /// Simulated time in all.
    #[arg(long, value_name = "DURATION", default_value = "2m")]
    pub duration: String,

    /// The server the incident hits (default: every called server that
    /// calls nothing itself).
    #[arg(long, value_name = "NAME")]
    pub server: Option<String>,

    /// Seed of the simulation: the same seed gives the same output.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,

    /// Output format.
    #[arg(long, value_enum, default_value_t = StormFormat::Human)]
    pub format: StormFormat,

    /// When to use colours (also CARGO_TERM_COLOR; NO_COLOR disables).
    #[arg(long, value_enum, value_name = "WHEN")]
    pub color: Option<ColorChoice>,

    #[command(flatten)]
    pub levels: LevelArgs,

    /// Write the report to FILE instead of stdout, in the format its
    /// extension names: .txt human, .md markdown, .json/.jsonl JSON Lines
    /// (another extension needs --format; a --format that contradicts the
    /// extension is an error), and the SVG charts next to it (FILE's stem,
    /// then the server: `report-payments.svg`). `-o FILE.svg` writes the
    /// charts, one under the other, to FILE and the report to stdout.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Write the SVG charts to DIR (default: next to a report written with
    /// -o; none without -o).
    #[arg(long, value_name = "DIR")]
    pub svg_dir: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StormFormat {
    /// Sparklines, figures and rustc-style findings.
    #[default]
    Human,
    /// JSON Lines: one object per finding, then a summary with the figures
    /// and the per-second series.
    Json,
    /// Markdown: figure tables, the charts (linked, or inline without -o
    /// and --svg-dir), then the findings.
    Markdown,
}

#[derive(Args, Debug, Clone)]
pub struct InitArgs {
    /// Path to the Cargo.toml to configure (default: the workspace's, found
    /// from the current directory); the files are created next to it.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,

    /// The package whose store the harness test checks (its tests/ gets
    /// the test, its Cargo.toml the dependency). Default: the package the
    /// command runs in, else the root package, else the only member.
    #[arg(short = 'p', long, value_name = "NAME")]
    pub package: Option<String>,

    /// Where the store lives: `tests` (the harness is a dev-dependency) or
    /// `src` (a normal dependency). Default: `src` when src/ already
    /// implements the harness's `IdempotencyStore`, else `tests`.
    #[arg(long, value_enum, value_name = "WHERE")]
    pub store_in: Option<StoreInArg>,

    /// How the harness dependency is written: `auto` (a path to the
    /// checkout this tool was built from while it exists, else the
    /// crates.io version), `registry`, `git` (the repository, tagged with
    /// this version) or a path to a retry-check checkout.
    #[arg(long, value_name = "SOURCE", default_value = "auto", value_parser = str::parse::<HarnessChoice>)]
    pub harness: HarnessChoice,

    /// Overwrite contracts/example.toml and tests/retry_check_store.rs if
    /// they exist (an existing configuration table and dependency are
    /// always kept).
    #[arg(long)]
    pub force: bool,

    /// Scaffold the harness test of an async store (on SQLite, awaited
    /// statements) instead of a sync one.
    #[arg(long = "async", conflicts_with = "from")]
    pub async_store: bool,

    /// Write contracts/imported.toml from the configuration found at PATH
    /// (a file or a directory: gRPC service configs, Envoy, Istio, Linkerd,
    /// AWS SDK config, OpenAPI) instead of the example contract: a [source]
    /// table per file, and server stubs for what they call.
    #[arg(long, value_name = "PATH")]
    pub from: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreInArg {
    Tests,
    Src,
}

#[derive(Args, Debug, Clone)]
pub struct ReplayArgs {
    /// A replay file (JSON) written by `simulate` or by a harness test.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ReplayFormat::Human)]
    pub format: ReplayFormat,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ReplayFormat {
    /// The numbered timeline and the verdict.
    #[default]
    Human,
    /// Markdown with the timeline as a Mermaid sequence diagram.
    Markdown,
}

impl From<ReplayFormat> for retry_check_simulate::replay::Format {
    fn from(f: ReplayFormat) -> Self {
        match f {
            ReplayFormat::Human => Self::Human,
            ReplayFormat::Markdown => Self::Markdown,
        }
    }
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = RulesFormat::Human)]
    pub format: RulesFormat,
}

#[derive(Args, Debug)]
pub struct SchemaArgs {
    /// Write the schema to FILE instead of stdout.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// A rule code (RC001) or name (key_ttl_shorter_than_retry_window).
    pub rule: String,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    /// rustc-style diagnostics with source snippets.
    #[default]
    Human,
    /// One line per diagnostic: file:line:col: level[code]: message.
    Short,
    /// JSON Lines: one object per diagnostic, then a summary object.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions annotations (`::error file=..::`), then the human
    /// report; appends a summary to $GITHUB_STEP_SUMMARY when it is set.
    Github,
    /// JUnit XML: a test suite per contract file, a test case per rule.
    Junit,
    /// Markdown for a pull-request comment: a summary table by rule and
    /// level, then each finding with its snippet.
    Markdown,
}

impl From<Format> for retry_check_diagnostics::report::Format {
    fn from(f: Format) -> Self {
        match f {
            Format::Human => Self::Human,
            Format::Short => Self::Short,
            Format::Json => Self::Json,
            Format::Sarif => Self::Sarif,
            Format::Github => Self::Github,
            Format::Junit => Self::Junit,
            Format::Markdown => Self::Markdown,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RulesFormat {
    /// An aligned table.
    Human,
    /// JSON Lines, one object per rule.
    Json,
    /// A markdown table (the one in the README).
    Markdown,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// `cargo retry-check ...` runs us as `cargo-retry-check retry-check ...`;
/// drop that word so both spellings parse the same.
pub fn normalize_args(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    if args.get(1).is_some_and(|a| a == "retry-check") {
        args.remove(1);
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }
}
