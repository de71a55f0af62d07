//! Loads `conformance/cases/*.jsonl` and compares JSON the way every runner does.

use serde_json::Value;
use std::collections::HashSet;
use std::path::Path;

/// Every case, in file then line order. Panics on a malformed corpus: a
/// case that cannot be read must fail loudly, not vanish.
pub fn load(dir: &Path) -> Vec<Value> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "jsonl"))
        .collect();
    files.sort();
    let mut ids = HashSet::new();
    let mut cases = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let case: Value = serde_json::from_str(line)
                .unwrap_or_else(|err| panic!("{}:{}: not JSON: {err}", file.display(), n + 1));
            let id = case["id"].as_str().unwrap_or_else(|| panic!("{}:{}: no id", file.display(), n + 1));
            assert!(ids.insert(id.to_owned()), "{}:{}: duplicate id {id}", file.display(), n + 1);
            cases.push(case);
        }
    }
    assert!(!cases.is_empty(), "no cases in {}", dir.display());
    cases
}

/// JSON equality where numbers compare by value (1850 equals 1850.0).
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_u64(), y.as_u64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_eq(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Replaces the values that differ from run to run with the corpus's
/// placeholders, after checking their types: `ts` (a number), `instance`
/// (a string), `lag_ms` (a number >= 0) and `sdk` (this runner's language, any version).
pub fn redact(mut line: Value, lang: &str) -> Result<Value, String> {
    let object = line.as_object_mut().ok_or("line is not an object")?;
    if let Some(ts) = object.get_mut("ts") {
        if !ts.is_number() {
            return Err(format!("ts is not a number: {ts}"));
        }
        *ts = "<ts>".into();
    }
    if let Some(instance) = object.get_mut("instance") {
        if !instance.is_string() {
            return Err(format!("instance is not a string: {instance}"));
        }
        *instance = "<instance>".into();
    }
    if let Some(lag) = object.get_mut("lag_ms") {
        if !lag.as_f64().is_some_and(|lag| lag >= 0.0) {
            return Err(format!("lag_ms is not a number >= 0: {lag}"));
        }
        *lag = "<lag_ms>".into();
    }
    if let Some(sdk) = object.get_mut("sdk") {
        if sdk["lang"] != lang || !sdk["version"].is_string() {
            return Err(format!("sdk is not {{\"lang\": {lang:?}, \"version\": <string>}}: {sdk}"));
        }
        *sdk = serde_json::json!({"lang": "<lang>", "version": "<version>"});
    }
    Ok(line)
}
