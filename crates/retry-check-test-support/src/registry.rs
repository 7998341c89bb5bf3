//! The rule registry of a crate (`src/rules/mod.rs`) lists every
//! `rcNNN_<name>.rs` file of its directory, as `pub mod` and in `ALL`. The
//! list is generated: [`check`] compares it with the directory and, outside
//! CI, rewrites it (then fails once, so the new list is compiled and
//! committed). Adding a rule is writing its file.

use std::path::Path;

const BEGIN: &str = "// @generated registry: begin\n";
const END: &str = "// @generated registry: end\n";

/// The generated block for these rule modules (sorted by file name, which
/// is code order).
pub fn generate(modules: &[String], rule_type: &str) -> String {
    let mut out = String::from(BEGIN);
    for m in modules {
        out.push_str(&format!("pub mod {m};\n"));
    }
    out.push_str(&format!(
        "\n/// Every rule, in code order.\npub static ALL: &[&{rule_type}] = &[\n"
    ));
    for m in modules {
        out.push_str(&format!("    &{m}::RULE,\n"));
    }
    out.push_str("];\n");
    out.push_str(END);
    out
}

/// The rule modules of `dir`: files named `rc` + three digits + `_`.
pub fn rule_modules(dir: &Path) -> Vec<String> {
    let mut modules: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|name| {
            let stem = name.strip_suffix(".rs")?;
            let digits = stem.strip_prefix("rc")?.get(..3)?;
            let rest = stem.get(5..)?;
            (digits.chars().all(|c| c.is_ascii_digit()) && rest.starts_with('_'))
                .then(|| stem.to_string())
        })
        .collect();
    modules.sort();
    modules
}

/// Check (outside CI: rewrite) the registry of `crate_dir/src/rules`.
pub fn check(crate_dir: &Path, rule_type: &str) {
    let dir = crate_dir.join("src/rules");
    let mod_rs = dir.join("mod.rs");
    let text = std::fs::read_to_string(&mod_rs).unwrap_or_else(|e| panic!("{e}"));
    let (Some(start), Some(end)) = (text.find(BEGIN), text.find(END)) else {
        panic!("{} has no `{}` block", mod_rs.display(), BEGIN.trim());
    };
    let current = &text[start..end + END.len()];
    let wanted = generate(&rule_modules(&dir), rule_type);
    if current == wanted {
        return;
    }
    if crate::in_ci() {
        panic!(
            "{} does not list the rule files of its directory; run `cargo test` \
             locally to regenerate it:\n{wanted}",
            mod_rs.display()
        );
    }
    let updated = format!("{}{wanted}{}", &text[..start], &text[end + END.len()..]);
    std::fs::write(&mod_rs, updated).unwrap_or_else(|e| panic!("{e}"));
    panic!(
        "{} was out of date and has been regenerated; build and test again",
        mod_rs.display()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rule_files_are_modules() {
        let dir = std::env::temp_dir().join(format!("rc-registry-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for f in [
            "rc002_b.rs",
            "rc001_a.rs",
            "mod.rs",
            "window_rc001.rs",
            "rc1_x.rs",
        ] {
            std::fs::write(dir.join(f), "").unwrap();
        }
        assert_eq!(rule_modules(&dir), ["rc001_a", "rc002_b"]);
        std::fs::remove_dir_all(&dir).unwrap();
        let block = generate(&["rc001_a".into()], "Rule");
        assert!(block.contains("pub mod rc001_a;\n"));
        assert!(block.contains("pub static ALL: &[&Rule] = &[\n    &rc001_a::RULE,\n];\n"));
    }
}
