//! Channel, model, feature and rule-name globs: `*`, `?` and `[...]`
//! (`[^...]` negates), with the meaning SQLite's `GLOB` gives them, so a
//! glob matched here and one handed to SQLite select the same names.

/// A checked glob: [`Glob::new`] refuses an unclosed `[`. Its characters
/// are split once: the alert engine matches every bot against it each check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    text: String,
    chars: Vec<char>,
}

pub const GLOB: &str = "a glob like \"*\", \"worker-*\" or \"bot-[0-9]\" (an unclosed `[` is not one)";

impl Glob {
    pub fn new(text: &str) -> Result<Glob, &'static str> {
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '[' {
                // A `]` right after `[` or `[^` is a member, as in SQLite.
                if chars.peek() == Some(&'^') {
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    chars.next();
                }
                if !chars.by_ref().any(|c| c == ']') {
                    return Err(GLOB);
                }
            }
        }
        Ok(Glob { text: text.to_owned(), chars: text.chars().collect() })
    }

    pub fn any() -> Glob {
        Glob { text: "*".into(), chars: vec!['*'] }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn is_any(&self) -> bool {
        self.text == "*"
    }

    pub fn matches(&self, name: &str) -> bool {
        self.is_any() || matches(&self.chars, name)
    }
}

impl std::fmt::Display for Glob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// Iterative matching with one backtrack point for the last `*`: linear in
/// practice, and it walks `name` by byte offsets, so it allocates nothing.
fn matches(pattern: &[char], name: &str) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while let Some(c) = name[n..].chars().next() {
        let step = match pattern.get(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
                continue;
            }
            Some('?') => Some(p + 1),
            Some('[') => class(pattern, p, c),
            Some(&q) if q == c => Some(p + 1),
            _ => None,
        };
        match (step, star) {
            (Some(next), _) => {
                p = next;
                n += c.len_utf8();
            }
            (None, Some((star_p, star_n))) => {
                // The `*` takes one more character of the name.
                let taken = name[star_n..].chars().next().map_or(1, char::len_utf8);
                p = star_p + 1;
                n = star_n + taken;
                star = Some((star_p, n));
            }
            (None, None) => return false,
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// Matches `c` against the class that opens at `pattern[open]`; the index after it when it matches.
fn class(pattern: &[char], open: usize, c: char) -> Option<usize> {
    let mut i = open + 1;
    let negated = pattern.get(i) == Some(&'^');
    if negated {
        i += 1;
    }
    let mut found = false;
    let mut first = true;
    while let Some(&member) = pattern.get(i) {
        if member == ']' && !first {
            return (found != negated).then_some(i + 1);
        }
        first = false;
        if pattern.get(i + 1) == Some(&'-') && pattern.get(i + 2).is_some_and(|&end| end != ']') {
            found |= (member..=pattern[i + 2]).contains(&c);
            i += 3;
        } else {
            found |= member == c;
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(glob: &str, name: &str) -> bool {
        Glob::new(glob).unwrap().matches(name)
    }

    #[test]
    fn globs_match_as_sqlite_does() {
        assert!(m("*", ""));
        assert!(m("*", "anything"));
        assert!(m("worker-*", "worker-1"));
        assert!(!m("worker-*", "workers"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(m("bot-[0-9]", "bot-7"));
        assert!(!m("bot-[0-9]", "bot-x"));
        assert!(m("bot-[^0-9]", "bot-x"));
        assert!(m("[]]x", "]x"));
        assert!(m("*a*b*", "xxaxxbxx"));
        assert!(!m("*a*b", "xxaxxbxx"));
        assert!(m("Case", "Case") && !m("case", "Case"));
        // Characters, not bytes: `?` is one of them, whatever its length in UTF-8.
        assert!(m("b?t-*", "bät-1") && m("*é", "café") && !m("caf?", "cafée"));
        assert!(m("[à-ö]*", "élan") && !m("[^à-ö]*", "élan"));
    }

    #[test]
    fn an_unclosed_class_is_refused() {
        assert_eq!(Glob::new("bot-[0-9"), Err(GLOB));
        assert_eq!(Glob::new("["), Err(GLOB));
        assert_eq!(Glob::new("[]"), Err(GLOB));
        assert!(Glob::new("[]]").is_ok());
    }

    #[test]
    fn sqlite_agrees() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for (glob, name) in
            [("worker-*", "worker-1"), ("bot-[^0-9]", "bot-x"), ("a?c", "ac"), ("[]]x", "]x"), ("*a*b", "xab")]
        {
            let sqlite: bool = conn.query_row("SELECT ?2 GLOB ?1", [glob, name], |row| row.get(0)).unwrap();
            assert_eq!(m(glob, name), sqlite, "{glob} {name}");
        }
    }
}
