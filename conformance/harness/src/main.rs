//! `kissmon-conformance`: the conformance harness. `conformance/run.sh` builds
//! the adapters and calls this once per language; conformance/README.md says
//! what it does.
//!
//! ```text
//! kissmon-conformance run --lang LANG [--case ID_PREFIX]... -- ADAPTER_COMMAND...
//! kissmon-conformance counts [--write]
//! ```

use kissmon_conformance::adapter::Adapter;
use kissmon_conformance::cases::{self, Outcome};
use kissmon_conformance::corpus;
use std::path::Path;
use std::process::ExitCode;

const USAGE: &str = "usage: kissmon-conformance run --lang LANG [--case ID_PREFIX]... -- ADAPTER_COMMAND...\n       kissmon-conformance counts [--write]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // Run from the repository's root, as conformance/run.sh does.
    let repo = Path::new(".");
    let cases = corpus::load(&repo.join("conformance/cases"));
    match args.first().map(String::as_str) {
        Some("counts") if args.get(1).is_some_and(|a| a == "--write") => match corpus::write_readmes(repo, &cases) {
            Ok(()) => counts(repo, &cases),
            Err(err) => {
                eprintln!("conformance counts: {err}");
                ExitCode::FAILURE
            }
        },
        Some("counts") => counts(repo, &cases),
        Some("run") => match parse_run(&args[1..]) {
            Some((lang, prefixes, command)) => run(&lang, &prefixes, command, &cases),
            None => usage(),
        },
        _ => usage(),
    }
}

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}

fn parse_run(args: &[String]) -> Option<(String, Vec<String>, Vec<String>)> {
    let (options, command) = args.split_at(args.iter().position(|a| a == "--")?);
    let (mut lang, mut prefixes) = (None, Vec::new());
    let mut options = options.iter();
    while let Some(option) = options.next() {
        match option.as_str() {
            "--lang" => lang = Some(options.next()?.clone()),
            "--case" => prefixes.push(options.next()?.clone()),
            _ => return None,
        }
    }
    let command = command[1..].to_vec();
    (!command.is_empty()).then_some((lang?, prefixes, command))
}

/// Checks what the READMEs say about the corpus.
fn counts(repo: &Path, cases: &[serde_json::Value]) -> ExitCode {
    let problems = corpus::check_readmes(repo, cases);
    for problem in &problems {
        eprintln!("conformance counts: {problem}");
    }
    if problems.is_empty() {
        println!("conformance corpus: {} cases, as the READMEs say", cases.len());
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn run(lang: &str, prefixes: &[String], command: Vec<String>, cases: &[serde_json::Value]) -> ExitCode {
    let mut adapter = Adapter::new(command);
    match adapter.hello() {
        Ok(said) if said == lang => {}
        Ok(said) => {
            eprintln!("conformance {lang}: the adapter says it is {said:?}");
            return ExitCode::FAILURE;
        }
        Err(err) => {
            eprintln!("conformance {lang}: {err}");
            return ExitCode::FAILURE;
        }
    }
    let (mut passed, mut failed, mut not_applicable) = (0, 0, 0);
    for case in cases {
        let id = case["id"].as_str().unwrap_or_default();
        if !prefixes.is_empty() && !prefixes.iter().any(|prefix| id.starts_with(prefix.as_str())) {
            continue;
        }
        match cases::run(&mut adapter, lang, case) {
            Outcome::Pass => passed += 1,
            Outcome::Fail(reason) => {
                failed += 1;
                println!("FAIL {lang} {id}: {}", reason.replace('\n', "\n    "));
            }
            Outcome::NotApplicable(reason) => {
                not_applicable += 1;
                println!("not applicable {lang} {id}: {reason}");
            }
        }
    }
    adapter.finish();
    println!("conformance {lang}: {passed} passed, {failed} failed, {not_applicable} not applicable");
    if failed == 0 && passed + not_applicable > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
