//! The repository README shows the crate README's Rust example, which the
//! crate compiles as a doctest (`src/lib.rs`); the crate README is the one
//! that ships in the published crate, so the two must not drift apart.

use std::path::Path;

fn rust_examples(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut examples = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match &mut current {
            None if line.starts_with("```rust") => current = Some(String::new()),
            Some(block) if line == "```" => {
                examples.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    examples
}

#[test]
fn repository_readme_shows_the_crate_readme_example() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let crate_examples = rust_examples(&crate_dir.join("README.md"));
    assert_eq!(crate_examples.len(), 1, "core/README.md should hold exactly one Rust example");
    let repo_examples = rust_examples(&crate_dir.join("../README.md"));
    assert!(
        repo_examples.contains(&crate_examples[0]),
        "README.md does not show core/README.md's Rust example (the one compiled as a doctest); copy it over"
    );
}
