//! schemathesis (4.x, from PyPI) against a running monitor with bots in
//! every state, usage and transitions: every operation of the OpenAPI
//! document, a bounded number of examples each, positive and negative, with
//! the bearer token. No 5xx, and every status code, content type, header and
//! body as the document says.
//!
//! Plain `cargo test` skips it; `examples/server/test-http.sh` installs
//! schemathesis in a venv and runs it with `--ignored`, the `st` program in
//! `KISSMON_SCHEMATHESIS`. Without it the test fails.

mod fleet;
mod support;

use fleet::Fleet;
use std::process::Command;
use std::time::Instant;
use support::*;

const TOKEN: &str = "schemathesis-sends-this";

/// What every response is checked for: no 5xx; status, content type, headers
/// and body as documented; schema-invalid input refused with a 4xx; other
/// methods refused with 405 and an `Allow` header.
///
/// Not `positive_data_acceptance`: the server rightly refuses some input the
/// document cannot describe as invalid (an `until` before `since`, a channel
/// over 128 bytes but not 128 characters). Not `ignored_auth`: the document
/// makes the token optional (`security: [bearer, {}]`), so that check does
/// nothing; the run without the token covers what it would.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_headers_conformance,response_schema_conformance,negative_data_rejection,\
                      unsupported_method,allow_header_conformance";

/// The doomed bot of [`fleet`]: this test binary, run again.
#[test]
#[ignore = "a helper: the fleet runs it as a bot process of its own"]
fn bot_process() {
    fleet::bot_process_if_asked();
}

fn committed_document() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/http-api.openapi.json")
}

/// Runs `st run` on the monitor's document: (passed, the report).
fn schemathesis(st: &str, url: &str, token: Option<&str>, max_examples: u32, cwd: &std::path::Path) -> (bool, String) {
    let started = Instant::now();
    let mut command = Command::new(st);
    command.arg("run");
    match token {
        // The document as served, which needs the token too.
        Some(token) => command
            .arg(format!("{url}/api/v1/openapi.json"))
            .args(["--header", &format!("Authorization: Bearer {token}")]),
        // The committed document: tests/http.rs holds it equal to the served one.
        None => command.arg(committed_document()).args(["--url", url]),
    };
    let output = command
        .args(["--checks", CHECKS])
        .args(["--max-examples", &max_examples.to_string(), "--seed", "20261202"])
        .args(["--workers", "2", "--request-timeout", "10"])
        .args(["--generation-database", "none", "--no-color", "--output-sanitize", "false"])
        .current_dir(cwd)
        .output()
        .unwrap_or_else(|err| panic!("cannot run {st}: {err}"));
    let mut report = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    report += &format!(
        "\n(st run, token {}: {}, {:.1} s)\n",
        token.is_some(),
        output.status,
        started.elapsed().as_secs_f64()
    );
    (output.status.success(), report)
}

#[test]
#[ignore = "needs schemathesis from PyPI: run by examples/server/test-http.sh"]
fn schemathesis_finds_nothing_wrong_with_the_api() {
    let st = std::env::var("KISSMON_SCHEMATHESIS")
        .expect("KISSMON_SCHEMATHESIS names schemathesis's `st` program (examples/server/test-http.sh sets it)");
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &["--http-token", TOKEN]);
    let _fleet = Fleet::start(&monitor);
    let url = monitor.http_url();
    let (status, served) = http_get(&format!("{url}/api/v1/openapi.json"), Some(TOKEN));
    assert_eq!(status, 200, "{served}");
    let document: serde_json::Value = serde_json::from_str(&served).unwrap();
    let operations: usize =
        document["paths"].as_object().unwrap().values().map(|path| path.as_object().unwrap().len()).sum();

    // With the token: the whole API, 30 examples per operation. Without it:
    // what a client without the token sees (401s, and /healthz), 10 examples.
    let (with_token, report) = schemathesis(&st, &url, Some(TOKEN), 30, &dir.0);
    println!("{report}");
    let (without_token, report_without) = schemathesis(&st, &url, None, 10, &dir.0);
    println!("{report_without}");
    assert!(with_token && without_token, "schemathesis found failures: see the reports above");
    for report in [&report, &report_without] {
        assert!(report.contains(&format!("Selected: {operations}/{operations}")), "not every operation: {report}");
        assert!(report.contains(&format!("Tested: {operations}")), "not every operation tested: {report}");
    }
    assert_eq!(monitor.get("/healthz").0, 200, "the monitor still serves:\n{}", monitor.log_text());
}
