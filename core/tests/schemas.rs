//! Checks the corpus against the two JSON Schemas, and the schemas against
//! the corpus: every case has the format of `conformance/case.schema.json`,
//! every message a decode_valid case reads or an encode/queue case expects is
//! a message of `spec/message.schema.json`, and every decode_invalid case
//! whose fault JSON Schema can express is rejected by it.
//!
//! What the message schema cannot express (spec/PROTOCOL.md, "What the schema
//! does not check"): faults found before a JSON value exists (line_too_long,
//! invalid_utf8, invalid_json), repeated keys, integers written with a
//! fraction or exponent (`12345.0`, `1e4`), byte-length limits broken only by
//! multi-byte characters (maxLength counts code points), and values a JSON
//! parser cannot hold (lone surrogate escapes, numbers beyond the doubles).

use base64::Engine as _;
use jsonschema::Validator;
use kissmon_conformance::corpus::json_eq;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{json, Map, Value};
use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

const MIN_CASES: usize = 120;
use kissmon_conformance::corpus::KINDS;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The corpus the runners load (`cases/*.jsonl`).
fn cases() -> Vec<Value> {
    kissmon_conformance::corpus::load(&repo().join("conformance/cases"))
}

fn validator(path: &str) -> Validator {
    let path = repo().join(path);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let schema: Value = serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    if let Err(err) = jsonschema::meta::validate(&schema) {
        panic!("{} is not a valid JSON Schema: {err}", path.display());
    }
    jsonschema::draft202012::new(&schema).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn message_schema() -> Validator {
    validator("spec/message.schema.json")
}

fn id(case: &Value) -> &str {
    case["id"].as_str().unwrap_or("<no id>")
}

/// The schema's complaints about `instance`, one line each.
fn complaints(schema: &Validator, instance: &Value) -> Vec<String> {
    schema.iter_errors(instance).map(|err| format!("{}: {err}", err.instance_path)).collect()
}

fn input_bytes(case: &Value) -> Vec<u8> {
    match (case["input"].as_str(), case["input_base64"].as_str()) {
        (Some(text), None) => text.as_bytes().to_vec(),
        (None, Some(encoded)) => base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap_or_else(|err| panic!("{}: input_base64: {err}", id(case))),
        _ => panic!("{}: needs exactly one of input and input_base64", id(case)),
    }
}

/// Fails the test with every problem found, not just the first.
fn assert_no_problems(what: &str, problems: Vec<String>) {
    assert!(problems.is_empty(), "{what}: {} problem(s):\n  {}", problems.len(), problems.join("\n  "));
}

#[test]
fn every_case_matches_the_case_schema() {
    let schema = validator("conformance/case.schema.json");
    let problems = cases()
        .iter()
        .flat_map(|case| complaints(&schema, case).into_iter().map(move |c| format!("{}: {c}", id(case))))
        .collect();
    assert_no_problems("cases against conformance/case.schema.json", problems);
}

#[test]
fn case_schema_rejects_malformed_cases() {
    // The schema is only worth running if it can fail.
    let schema = validator("conformance/case.schema.json");
    let malformed = [
        json!({"id": "decode-valid/x", "kind": "decode_valid", "description": "no input", "expect": {"type": "heartbeat"}}),
        json!({"id": "decode-valid/x", "kind": "decode_valid", "description": "d", "input": "{}", "input_base64": "e30=", "expect": {"type": "heartbeat"}}),
        json!({"id": "decode-invalid/x", "kind": "decode_invalid", "description": "d", "input": "{}", "error": "bad_json"}),
        json!({"id": "encode/Upper-Case", "kind": "encode", "description": "d", "client": {"channel": "c", "pid": 1}, "call": {"method": "heartbeat"}, "expect": {"type": "heartbeat", "channel": "c", "v": 1, "ts": "<ts>", "instance": "<instance>"}}),
        json!({"id": "queue/x", "kind": "encode", "description": "id prefix and kind differ", "client": {"channel": "c", "pid": 1}, "call": {"method": "heartbeat"}, "expect": {"type": "heartbeat", "channel": "c", "v": 1, "ts": "<ts>", "instance": "<instance>"}}),
        json!({"id": "queue/x", "kind": "queue", "description": "d", "client": {"channel": "c", "pid": 1}, "steps": [{"op": "monitor_sideways"}]}),
        json!({"id": "queue/x", "kind": "queue", "description": "d", "client": {"channel": "c", "pid": 1}, "steps": [{"op": "call", "method": "log_llm_usage", "args": {"model": "m"}}]}),
        json!({"id": "queue/x", "kind": "queue", "description": "d", "client": {"channel": "c", "pid": 1}, "steps": [{"op": "expect_stats", "stats": {"delivered": 1}}]}),
        json!({"id": "x/y", "kind": "benchmark", "description": "unknown kind"}),
    ];
    for case in &malformed {
        assert!(!schema.is_valid(case), "the case schema accepted a malformed case: {case}");
    }
}

#[test]
fn case_ids_are_unique_and_named_after_their_kind() {
    let mut seen = HashSet::new();
    let mut problems = Vec::new();
    for case in cases().iter() {
        let (id, kind) = (id(case), case["kind"].as_str().unwrap_or_default());
        if !seen.insert(id.to_owned()) {
            problems.push(format!("{id}: repeated id"));
        }
        let prefix = format!("{}/", kind.replace('_', "-"));
        let slug_ok = |slug: &str| {
            !slug.is_empty()
                && slug
                    .split('-')
                    .all(|word| !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
        };
        match id.strip_prefix(&prefix) {
            Some(slug) if slug_ok(slug) => {}
            _ => problems.push(format!("{id}: an id is \"{prefix}<slug>\", the slug lowercase words joined by '-'")),
        }
    }
    assert_no_problems("case ids", problems);
}

#[test]
fn corpus_is_large_enough_and_covers_every_kind() {
    let cases = cases();
    assert!(cases.len() >= MIN_CASES, "the corpus has {} cases, fewer than {MIN_CASES}", cases.len());
    for kind in KINDS {
        let n = cases.iter().filter(|case| case["kind"] == kind).count();
        assert!(n > 0, "no {kind} case");
    }
    let classes: HashSet<&str> = cases.iter().filter_map(|case| case["error"].as_str()).collect();
    for class in kissmon::ErrorClass::ALL {
        assert!(classes.contains(class.as_str()), "no decode_invalid case of class {class}");
    }
}

#[test]
fn decode_valid_inputs_and_expectations_are_schema_messages() {
    let schema = message_schema();
    let mut problems = Vec::new();
    for case in cases().iter().filter(|case| case["kind"] == "decode_valid") {
        let bytes = input_bytes(case);
        // A trailing \r is JSON whitespace, so every valid line is also a JSON document.
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(input) => {
                problems.extend(complaints(&schema, &input).into_iter().map(|c| format!("{} input: {c}", id(case))))
            }
            Err(err) => problems.push(format!("{}: input is not JSON: {err}", id(case))),
        }
        let expect = &case["expect"];
        problems.extend(complaints(&schema, expect).into_iter().map(|c| format!("{} expect: {c}", id(case))));
        // The canonical form is a fixed point: decoding it gives it back.
        match kissmon::decode_line(expect.to_string().as_bytes()) {
            Ok(message) => {
                let again: Value = serde_json::from_str(&kissmon::encode_line(&message)).unwrap();
                if !json_eq(&again, expect) {
                    problems.push(format!("{}: expect is not canonical; it decodes to {again}", id(case)));
                }
            }
            Err(err) => problems.push(format!("{}: expect does not decode: {err}", id(case))),
        }
    }
    assert_no_problems("decode_valid cases against spec/message.schema.json", problems);
}

/// An expected line with its placeholders replaced by values of the right type.
fn unredact(line: &Value) -> Value {
    let mut line = line.clone();
    let object = line.as_object_mut().expect("the case schema makes lines objects");
    for (name, value) in object.iter_mut() {
        *value = match (name.as_str(), value.as_str()) {
            ("ts", Some("<ts>")) => json!(1700000000.5),
            ("instance", Some("<instance>")) => json!("0123456789abcdef"),
            ("lag_ms", Some("<lag_ms>")) => json!(0.25),
            _ => continue,
        };
    }
    if object.get("sdk") == Some(&json!({"lang": "<lang>", "version": "<version>"})) {
        object.insert("sdk".into(), json!({"lang": "rust", "version": "0.1.0"}));
    }
    line
}

#[test]
fn expected_lines_are_schema_messages() {
    let schema = message_schema();
    let mut problems = Vec::new();
    let mut checked = 0;
    for case in cases().iter() {
        let expected: Vec<&Value> = match case["kind"].as_str() {
            Some("encode") => vec![&case["expect"]],
            Some("queue") => case["steps"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|step| match step["op"].as_str() {
                    Some("expect_lines") => step["lines"].as_array().into_iter().flatten().collect(),
                    Some("expect_beats") => vec![&step["line"]],
                    _ => Vec::new(),
                })
                .collect(),
            _ => continue,
        };
        for line in expected {
            checked += 1;
            let line = unredact(line);
            problems.extend(complaints(&schema, &line).into_iter().map(|c| format!("{}: {line}: {c}", id(case))));
            match kissmon::decode_line(line.to_string().as_bytes()) {
                Ok(message) => {
                    let again: Value = serde_json::from_str(&kissmon::encode_line(&message)).unwrap();
                    if !json_eq(&again, &line) {
                        problems.push(format!("{}: {line} is not canonical; it decodes to {again}", id(case)));
                    }
                }
                Err(err) => problems.push(format!("{}: {line} does not decode: {err}", id(case))),
            }
        }
    }
    assert!(checked > 0, "no expected line found");
    assert_no_problems("expected lines against spec/message.schema.json", problems);
}

/// The case's input as a JSON value, or why there is none the schema could judge.
fn json_value(case: &Value, bytes: &[u8]) -> Result<Value, String> {
    let class = case["error"].as_str().unwrap_or_default();
    if matches!(class, "line_too_long" | "invalid_utf8" | "invalid_json") {
        return Err(format!("{class}: there is no JSON value"));
    }
    serde_json::from_slice(bytes).map_err(|err| format!("a JSON parser cannot hold the value ({err})"))
}

/// Why the message schema may accept a line the decoder rejects, if it may.
fn beyond_the_schema(case: &Value, bytes: &[u8], value: &Value) -> Option<&'static str> {
    if let Err(err) = serde_json::from_slice::<NoRepeatedKeys>(bytes) {
        if err.to_string().starts_with(REPEATED) {
            return Some("a repeated key (a JSON value keeps one of them)");
        }
    }
    let field = &value[case["field"].as_str().unwrap_or_default()];
    if field.as_f64().is_some_and(|n| !field.is_i64() && !field.is_u64() && n.fract() == 0.0) {
        return Some("an integer written with a fraction or exponent (JSON Schema's integer is a value)");
    }
    if has_multibyte_string(field) {
        return Some("a byte-length limit broken by multi-byte characters (maxLength counts code points)");
    }
    None
}

fn has_multibyte_string(value: &Value) -> bool {
    match value {
        Value::String(s) => !s.is_ascii(),
        Value::Array(items) => items.iter().any(has_multibyte_string),
        Value::Object(map) => map.iter().any(|(k, v)| !k.is_ascii() || has_multibyte_string(v)),
        _ => false,
    }
}

#[test]
fn decode_invalid_faults_the_schema_can_express_are_rejected_by_it() {
    let schema = message_schema();
    let mut problems = Vec::new();
    let mut rejected = 0;
    for case in cases().iter().filter(|case| case["kind"] == "decode_invalid") {
        let bytes = input_bytes(case);
        // Cross-check the classes found before any JSON value exists.
        let line = bytes.strip_suffix(b"\r").unwrap_or(&bytes);
        let consistent = match case["error"].as_str() {
            Some("line_too_long") => line.len() > kissmon::MAX_LINE_BYTES,
            Some("invalid_utf8") => std::str::from_utf8(line).is_err(),
            Some("invalid_json") => serde_json::from_slice::<Value>(line).is_err(),
            _ => true,
        };
        if !consistent {
            problems.push(format!("{}: the input does not have the fault its class names", id(case)));
        }
        let value = match json_value(case, &bytes) {
            Ok(value) => value,
            Err(reason) => {
                eprintln!("{}: not for the schema: {reason}", id(case));
                continue;
            }
        };
        if !schema.is_valid(&value) {
            rejected += 1;
            continue;
        }
        match beyond_the_schema(case, &bytes, &value) {
            Some(reason) => eprintln!("{}: accepted by the schema: {reason}", id(case)),
            None => problems.push(format!("{}: the message schema accepts it", id(case))),
        }
    }
    assert_no_problems("decode_invalid cases against spec/message.schema.json", problems);
    // Most field faults are schema faults; a schema that checked nothing would pass vacuously.
    assert!(rejected >= 100, "only {rejected} decode_invalid cases were rejected by the schema");
}

const REPEATED: &str = "repeated key";

/// A JSON value parsed with repeated object keys refused at every depth
/// (serde_json's `Value` keeps the last one silently).
struct NoRepeatedKeys(Value);

impl<'de> Deserialize<'de> for NoRepeatedKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(NoRepeatedKeys)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(NoRepeatedKeys(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let NoRepeatedKeys(value) = map.next_value()?;
            if object.insert(key.clone(), value).is_some() {
                return Err(de::Error::custom(format!("{REPEATED} {key:?}")));
            }
        }
        Ok(Value::Object(object))
    }
}
