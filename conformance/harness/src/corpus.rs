//! Loads `conformance/cases/*.jsonl`, compares JSON the way every case is
//! compared, redacts the values that change from run to run, and states the
//! corpus's counts that the READMEs quote.

use serde_json::{json, Value};
use std::collections::HashSet;
use std::path::Path;

/// The kinds of case, in the order the READMEs list them.
pub const KINDS: [&str; 5] = ["decode_valid", "decode_invalid", "encode", "encode_invalid", "queue"];

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
        for (n, line) in text.split('\n').enumerate() {
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
/// (a string), `lag_ms` (a number >= 0) and `sdk` (`lang` and any version, nothing else).
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
        let only_lang_and_version = sdk.as_object().is_some_and(|sdk| sdk.len() == 2);
        if sdk["lang"] != lang || !sdk["version"].is_string() || !only_lang_and_version {
            return Err(format!("sdk is not {{\"lang\": {lang:?}, \"version\": <string>}}: {sdk}"));
        }
        *sdk = json!({"lang": "<lang>", "version": "<version>"});
    }
    Ok(line)
}

/// How many cases of each kind, in [`KINDS`] order, and the total.
pub fn counts(cases: &[Value]) -> (Vec<(&'static str, usize)>, usize) {
    let per_kind = KINDS.iter().map(|&kind| (kind, cases.iter().filter(|case| case["kind"] == kind).count())).collect();
    (per_kind, cases.len())
}

/// The counts table of `conformance/README.md`, between its markers.
pub fn counts_table(cases: &[Value]) -> String {
    let (per_kind, total) = counts(cases);
    let mut table = String::from("| Kind | Cases |\n|---|---|\n");
    for (kind, n) in per_kind {
        table.push_str(&format!("| {kind} | {n} |\n"));
    }
    table.push_str(&format!("| **total** | **{total}** |\n"));
    table
}

pub const COUNTS_BEGIN: &str = "<!-- counts: checked by the harness (bash conformance/run.sh) -->\n";
pub const COUNTS_END: &str = "<!-- end of counts -->";

/// What the READMEs state about the corpus, against the corpus: the counts
/// table of `conformance/README.md` and the total in the top `README.md`.
pub fn check_readmes(repo: &Path, cases: &[Value]) -> Vec<String> {
    let mut problems = Vec::new();
    let read = |path: &str| std::fs::read_to_string(repo.join(path)).unwrap_or_default();
    let readme = read("conformance/README.md");
    let table = counts_table(cases);
    match readme.split_once(COUNTS_BEGIN).and_then(|(_, rest)| rest.split_once(COUNTS_END)) {
        Some((stated, _)) if stated == table => {}
        Some((stated, _)) => problems.push(format!(
            "conformance/README.md states the counts\n{stated}but the corpus has\n{table}(update the table between the markers)"
        )),
        None => problems.push(format!("conformance/README.md has no counts table between {COUNTS_BEGIN:?} and {COUNTS_END:?}")),
    }
    let total = format!("the JSONL corpus ({} cases)", cases.len());
    if !read("README.md").contains(&total) {
        problems.push(format!("README.md does not say \"{total}\""));
    }
    problems
}

/// Rewrites what [`check_readmes`] checks, from the corpus.
pub fn write_readmes(repo: &Path, cases: &[Value]) -> std::io::Result<()> {
    let path = repo.join("conformance/README.md");
    let readme = std::fs::read_to_string(&path)?;
    let missing = || std::io::Error::other(format!("{} has no counts markers", path.display()));
    let (before, rest) = readme.split_once(COUNTS_BEGIN).ok_or_else(missing)?;
    let (_, after) = rest.split_once(COUNTS_END).ok_or_else(missing)?;
    std::fs::write(&path, format!("{before}{COUNTS_BEGIN}{}{COUNTS_END}{after}", counts_table(cases)))?;
    let path = repo.join("README.md");
    let readme = std::fs::read_to_string(&path)?;
    const LEAD: &str = "the JSONL corpus (";
    let start =
        readme.find(LEAD).ok_or_else(|| std::io::Error::other(format!("{} does not say {LEAD:?}", path.display())))?;
    let end = start + readme[start..].find(')').unwrap_or(LEAD.len());
    std::fs::write(&path, format!("{}{LEAD}{} cases{}", &readme[..start], cases.len(), &readme[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_by_value_and_members_in_any_order() {
        assert!(json_eq(&json!({"a": 1850, "b": [1, 2]}), &json!({"b": [1.0, 2], "a": 1850.0})));
        assert!(!json_eq(&json!([1, 2]), &json!([2, 1])));
        assert!(!json_eq(&json!({"a": 1}), &json!({"a": 1, "b": null})));
    }

    #[test]
    fn redaction_checks_types() {
        let line = json!({"ts": 1.5, "instance": "ab", "lag_ms": 0, "sdk": {"lang": "go", "version": "1"}});
        let redacted = redact(line, "go").unwrap();
        assert_eq!(redacted["sdk"], json!({"lang": "<lang>", "version": "<version>"}));
        assert!(redact(json!({"ts": "1"}), "go").is_err());
        assert!(redact(json!({"lag_ms": -1}), "go").is_err());
        assert!(redact(json!({"sdk": {"lang": "c", "version": "1"}}), "go").is_err());
        assert!(redact(json!({"sdk": {"lang": "go", "version": "1", "extra": 1}}), "go").is_err());
    }
}
