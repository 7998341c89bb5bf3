//! `replay FILE`: re-run a replay file against its reference store
//! (`retry_check_simulate::replay`) and print the timeline and verdict; a
//! file of the user's own store is shown as recorded, with the command
//! that re-runs its test.
use retry_check_simulate::replay::Outcome;
use retry_check_workspace::display_path;

use crate::cli::ReplayArgs;
use crate::report::print_stdout;
use crate::Exit;

pub fn run(args: &ReplayArgs) -> Result<Exit, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let shown = display_path(&args.file, &cwd);
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| format!("cannot read replay file `{shown}`: {e}"))?;
    let replayed = retry_check_simulate::replay::replay_file(&shown, &text, args.format.into())?;
    print_stdout(&replayed.report);
    Ok(match replayed.outcome {
        // A recorded violation that was not re-run is not a pass.
        Outcome::Reproduced | Outcome::NotRerun => Exit::Findings,
        Outcome::Passed => Exit::Clean,
    })
}
