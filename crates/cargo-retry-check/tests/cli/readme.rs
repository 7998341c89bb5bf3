//! The README's first screen stays true: it opens with the two commands
//! (the main job on the bundled contracts, the tests), and every sample
//! output it shows (a ```console block: `$ cargo retry-check ARGS`, then
//! the output) is what the command prints now.

use super::*;

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

/// The ```console blocks: the arguments after `cargo retry-check`, and the
/// text shown as their output.
fn console_samples(text: &str) -> Vec<(Vec<String>, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("```console\n") {
        let block = &rest[start + "```console\n".len()..];
        let end = block.find("```\n").expect("a closed ```console block");
        let (command, output) = block[..end]
            .split_once('\n')
            .expect("a command and its output");
        let args = command
            .strip_prefix("$ cargo retry-check ")
            .unwrap_or_else(|| panic!("a console sample runs cargo retry-check: {command}"));
        out.push((
            args.split_whitespace().map(String::from).collect(),
            output.to_string(),
        ));
        rest = &block[end..];
    }
    out
}

#[test]
fn the_readme_opens_with_the_two_commands() {
    let text = readme();
    let first = text.find("```sh\n").expect("a first ```sh block");
    assert!(
        text[..first]
            .lines()
            .filter(|l| l.starts_with("## "))
            .count()
            == 0,
        "the commands come before any section"
    );
    let block = &text[first..];
    let block = &block[..block[6..].find("```").unwrap() + 6];
    let commands: Vec<&str> = block
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("```") && !l.trim().is_empty())
        .collect();
    assert_eq!(
        commands,
        [
            "cargo run -q -p cargo-retry-check -- retry-check check contracts/",
            "cargo test --workspace"
        ]
    );
}

#[test]
fn readme_samples_are_the_real_output() {
    let samples = console_samples(&readme());
    assert!(!samples.is_empty(), "the README shows what the tool prints");
    for (args, shown) in samples {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = cmd(&args).output().unwrap();
        let printed = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            printed,
            shown,
            "the README's sample of `cargo retry-check {}` is stale; the real output is:\n{printed}",
            args.join(" ")
        );
    }
}
