//! Where a run's report goes: stdout in the run's format, and any number
//! of files, each in a format of its own (`sarif=retry-check.sarif`,
//! `junit=junit.xml`, `markdown=$GITHUB_STEP_SUMMARY`), all rendered from
//! the one analysis. A CI job runs once and writes everything it needs.
//!
//! - `FORMAT=FILE` writes that format to FILE; a bare `FILE` writes the
//!   run's own format there *instead of* stdout (the summary line then goes
//!   to the terminal's stderr, so the run still says what happened).
//! - Files are replaced, except GitHub's job summary file (the path in
//!   `$GITHUB_STEP_SUMMARY`), which a step shares with others: it is
//!   appended to.
//! - A run in the `github` format appends a table of its findings to the
//!   job summary, unless an output already writes there (the summary is
//!   written once).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::report::Format;

/// One `--output` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// `None`: the run's own format.
    pub format: Option<Format>,
    pub path: PathBuf,
}

impl FromStr for Output {
    type Err = String;

    /// `FORMAT=FILE` when the text before the first `=` is a format name,
    /// else the whole text is a file name.
    fn from_str(s: &str) -> Result<Output, String> {
        if s.is_empty() {
            return Err("an empty output: write FILE or FORMAT=FILE".to_string());
        }
        let (format, path) = match s.split_once('=') {
            Some((name, path)) if Format::from_str(name).is_ok() => {
                (Format::from_str(name).ok(), path)
            }
            _ => (None, s),
        };
        if path.is_empty() {
            return Err(format!("`{s}` names no file: write {s}FILE"));
        }
        Ok(Output {
            format,
            path: PathBuf::from(path),
        })
    }
}

/// What is written to a destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendering {
    /// The report in a format.
    Report(Format),
    /// The job summary's table of findings (`github::markdown_summary`).
    StepSummary,
}

/// Where a rendering goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Stdout,
    File { path: PathBuf, append: bool },
}

/// One rendering to one destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub rendering: Rendering,
    pub destination: Destination,
}

impl Target {
    /// Whether this target may use colour (only a report on stdout may).
    pub fn on_stdout(&self) -> bool {
        self.destination == Destination::Stdout
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    let full = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    full(a) == full(b)
}

/// Every target of a run whose own format is `main`, with `outputs` and
/// GitHub's job summary file `step_summary` (when set).
pub fn plan(
    main: Format,
    outputs: &[Output],
    step_summary: Option<&Path>,
) -> Result<Vec<Target>, String> {
    let mut targets = Vec::new();
    if outputs.iter().all(|o| o.format.is_some()) {
        targets.push(Target {
            rendering: Rendering::Report(main),
            destination: Destination::Stdout,
        });
    }
    for (i, output) in outputs.iter().enumerate() {
        if outputs[..i]
            .iter()
            .any(|o| same_file(&o.path, &output.path))
        {
            return Err(format!(
                "`{}` is given as an output twice",
                output.path.display()
            ));
        }
        let append = step_summary.is_some_and(|s| same_file(s, &output.path));
        targets.push(Target {
            rendering: Rendering::Report(output.format.unwrap_or(main)),
            destination: Destination::File {
                path: output.path.clone(),
                append,
            },
        });
    }
    let github = targets
        .iter()
        .any(|t| t.rendering == Rendering::Report(Format::Github));
    let summary_written = targets
        .iter()
        .any(|t| matches!(t.destination, Destination::File { append: true, .. }));
    if let (true, false, Some(path)) = (github, summary_written, step_summary) {
        targets.push(Target {
            rendering: Rendering::StepSummary,
            destination: Destination::File {
                path: path.to_path_buf(),
                append: true,
            },
        });
    }
    Ok(targets)
}

/// What [`write`] did: the text for stdout (the caller prints it) and the
/// report files it wrote (the job summary is not listed).
#[derive(Debug, Default)]
pub struct Delivered {
    pub stdout: Option<String>,
    pub files: Vec<PathBuf>,
}

/// Render every target with `render` and write the files.
pub fn write(targets: &[Target], render: &dyn Fn(&Target) -> String) -> Result<Delivered, String> {
    let mut delivered = Delivered::default();
    for target in targets {
        let text = render(target);
        match &target.destination {
            Destination::Stdout => delivered.stdout = Some(text),
            Destination::File { path, append } => {
                write_file(path, &text, *append)?;
                if target.rendering != Rendering::StepSummary {
                    delivered.files.push(path.clone());
                }
            }
        }
    }
    Ok(delivered)
}

fn write_file(path: &Path, text: &str, append: bool) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("cannot write `{}`: {e}", path.display());
    if !append {
        return std::fs::write(path, text).map_err(fail);
    }
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(fail)?;
    file.write_all(format!("\n{text}").as_bytes()).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(s: &str) -> Output {
        s.parse().unwrap()
    }

    #[test]
    fn outputs_parse_with_and_without_a_format() {
        assert_eq!(
            out("sarif=a/b.sarif"),
            Output {
                format: Some(Format::Sarif),
                path: "a/b.sarif".into()
            }
        );
        assert_eq!(out("report.txt").format, None);
        // `=` in a file name that does not start with a format.
        assert_eq!(out("x=y.txt").path, PathBuf::from("x=y.txt"));
        assert!("sarif=".parse::<Output>().is_err());
        assert!("".parse::<Output>().is_err());
    }

    #[test]
    fn a_bare_file_replaces_stdout() {
        let t = plan(Format::Human, &[out("r.txt")], None).unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].rendering, Rendering::Report(Format::Human));
        assert!(!t[0].on_stdout());
        let t = plan(Format::Short, &[out("junit=j.xml")], None).unwrap();
        assert_eq!(t.len(), 2);
        assert!(t[0].on_stdout());
        assert_eq!(t[1].rendering, Rendering::Report(Format::Junit));
    }

    #[test]
    fn the_job_summary_is_written_once_and_appended_to() {
        let summary = Path::new("summary.md");
        let t = plan(Format::Github, &[], Some(summary)).unwrap();
        assert_eq!(t.last().unwrap().rendering, Rendering::StepSummary);
        let t = plan(Format::Github, &[out("markdown=summary.md")], Some(summary)).unwrap();
        assert_eq!(t.len(), 2, "{t:?}");
        assert_eq!(
            t[1].destination,
            Destination::File {
                path: summary.into(),
                append: true
            }
        );
        // Not the github format: no summary of its own.
        assert_eq!(plan(Format::Human, &[], Some(summary)).unwrap().len(), 1);
    }

    #[test]
    fn a_file_given_twice_is_an_error() {
        let e = plan(Format::Human, &[out("sarif=x"), out("junit=x")], None).unwrap_err();
        assert!(e.contains("twice"), "{e}");
    }

    #[test]
    fn files_are_replaced_and_the_summary_appended() {
        let dir = std::env::temp_dir().join(format!("rc-outputs-{}", std::process::id()));
        let report = dir.join("report.sarif");
        let summary = dir.join("summary.md");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&summary, "before\n").unwrap();
        let outputs = [
            Output {
                format: Some(Format::Sarif),
                path: report.clone(),
            },
            Output {
                format: Some(Format::Markdown),
                path: summary.clone(),
            },
        ];
        let targets = plan(Format::Short, &outputs, Some(&summary)).unwrap();
        let render = |t: &Target| format!("{:?}", t.rendering);
        let done = write(&targets, &render).unwrap();
        assert_eq!(done.stdout.as_deref(), Some("Report(Short)"));
        assert_eq!(done.files, [report.clone(), summary.clone()]);
        write(&targets, &render).unwrap();
        assert_eq!(std::fs::read_to_string(&report).unwrap(), "Report(Sarif)");
        assert_eq!(
            std::fs::read_to_string(&summary).unwrap(),
            "before\n\nReport(Markdown)\nReport(Markdown)"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
