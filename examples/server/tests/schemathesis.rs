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
/// and body as documented; schema-invalid input refused with a 4xx and
/// schema-valid input accepted (the document describes what the server takes);
/// the token enforced; other methods refused with 405 and an `Allow` header.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_headers_conformance,response_schema_conformance,negative_data_rejection,\
                      positive_data_acceptance,ignored_auth,unsupported_method,allow_header_conformance";

/// The doomed bot of [`fleet`]: this test binary, run again.
#[test]
#[ignore = "a helper: the fleet runs it as a bot process of its own"]
fn bot_process() {
    fleet::bot_process_if_asked();
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
    let started = Instant::now();
    let output = Command::new(&st)
        .arg("run")
        .arg(format!("{url}/api/v1/openapi.json"))
        .args(["--header", &format!("Authorization: Bearer {TOKEN}")])
        .args(["--checks", CHECKS])
        .args(["--max-examples", "30", "--seed", "20261202"])
        .args(["--workers", "2", "--request-timeout", "10"])
        .args(["--generation-database", "none", "--no-color", "--output-sanitize", "false"])
        .current_dir(&dir.0)
        .output()
        .unwrap_or_else(|err| panic!("cannot run {st}: {err}"));
    let report = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    let took = started.elapsed().as_secs_f64();
    assert!(output.status.success(), "schemathesis found failures ({}, {took:.1} s):\n{report}", output.status);
    println!("{report}\n(schemathesis ran {took:.1} s)");
    for operation in
        ["/api/v1/bots", "/api/v1/bots/{channel}", "/api/v1/usage", "/api/v1/transitions", "/api/v1/counters"]
    {
        assert!(report.contains(operation), "schemathesis did not test {operation}:\n{report}");
    }
    assert_eq!(monitor.get("/healthz").0, 200, "the monitor still serves:\n{}", monitor.log_text());
}
