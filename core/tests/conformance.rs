//! Runs every case of `conformance/cases/*.jsonl` through the public API of
//! the `kissmon` crate, one named test per case id.

mod support;

use base64::Engine as _;
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;
use std::path::Path;
use support::corpus::{self, json_eq};

fn main() {
    let args = Arguments::from_args();
    let corpus_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../conformance/cases");
    let trials = corpus::load(&corpus_dir)
        .into_iter()
        .map(|case| {
            let id = case["id"].as_str().expect("validated by corpus::load").to_owned();
            Trial::test(id, move || run(&case))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

fn run(case: &Value) -> Result<(), Failed> {
    match case["kind"].as_str() {
        Some("decode_valid") => decode_valid(case),
        Some("decode_invalid") => decode_invalid(case),
        Some("encode") => support::scenario::encode(case),
        Some("encode_invalid") => support::scenario::encode_invalid(case),
        Some("queue") => support::scenario::queue(case),
        other => Err(format!("unknown case kind {other:?}").into()),
    }
}

fn input(case: &Value) -> Vec<u8> {
    if let Some(text) = case["input"].as_str() {
        return text.as_bytes().to_vec();
    }
    let encoded = case["input_base64"].as_str().expect("a case has input or input_base64");
    base64::engine::general_purpose::STANDARD.decode(encoded).expect("input_base64 is base64")
}

fn decode_valid(case: &Value) -> Result<(), Failed> {
    let message = kissmon::decode_line(&input(case)).map_err(|err| format!("rejected: {err}"))?;
    let got: Value = serde_json::from_str(&kissmon::encode_line(&message))?;
    if !json_eq(&got, &case["expect"]) {
        return Err(format!("decoded to\n  {got}\nexpected\n  {}", case["expect"]).into());
    }
    Ok(())
}

fn decode_invalid(case: &Value) -> Result<(), Failed> {
    let err = match kissmon::decode_line(&input(case)) {
        Ok(message) => return Err(format!("accepted as {message:?}").into()),
        Err(err) => err,
    };
    if err.class.as_str() != case["error"] {
        return Err(format!("error class {} ({err}), expected {}", err.class, case["error"]).into());
    }
    if let Some(field) = case.get("field") {
        if err.field.as_deref() != field.as_str() {
            return Err(format!("error names field {:?} ({err}), expected {field}", err.field).into());
        }
    }
    Ok(())
}
