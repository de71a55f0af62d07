//! A client's table of interned names (models, features, providers), so that
//! the hot `log_llm_usage_ids` call passes numbers instead of a record of
//! strings, which UniFFI would serialise into a freshly allocated buffer on
//! every call. The JVM side interns a name once, keeps its id, and sends the
//! id from then on.
//!
//! The table belongs to one client, and is freed with it: ids mean nothing to
//! another client. It is bounded ([`MAX_NAMES`] names of at most
//! [`MAX_NAME_BYTES`] bytes); a name that does not fit gets no id, and the
//! caller passes the record instead. Interning checks nothing: the core checks
//! the names on every call, whichever way they came, so a bad name is refused
//! with the same error either way.
//!
//! Reading is lock-free: a name's slot is written once, before its id is
//! returned, and never changes. Only interning takes a lock.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// How many names one client's table holds.
pub const MAX_NAMES: usize = 4096;
/// The longest name kept: the longest name the core accepts anywhere (a model).
pub const MAX_NAME_BYTES: usize = kissmon::wire::MAX_MODEL_BYTES;

/// What [`Names::intern`] returns for a name longer than [`MAX_NAME_BYTES`].
pub const TOO_LONG: i32 = 0;
/// What [`Names::intern`] returns for a new name once the table is full
/// (negative, as the JVM side checks): every later new name gets it too.
pub const FULL: i32 = -1;

const CHUNK: usize = 64;
const CHUNKS: usize = MAX_NAMES / CHUNK;

type Slot = OnceLock<Arc<str>>;

/// Ids start at 1: 0 and -1 say why a name has none, and a provider id of 0
/// means no provider.
pub struct Names {
    ids: Mutex<HashMap<Arc<str>, i32>>,
    /// Slot `id - 1`, in chunks allocated as they fill: an idle table is small.
    chunks: [OnceLock<Box<[Slot]>>; CHUNKS],
}

impl Default for Names {
    fn default() -> Self {
        Names { ids: Mutex::new(HashMap::new()), chunks: [const { OnceLock::new() }; CHUNKS] }
    }
}

impl Names {
    /// The id of `name` (at least 1), interning it if new; [`TOO_LONG`] when
    /// it is longer than [`MAX_NAME_BYTES`], [`FULL`] when it is new and the
    /// table is full.
    pub fn intern(&self, name: &str) -> i32 {
        if name.len() > MAX_NAME_BYTES {
            return TOO_LONG;
        }
        let mut ids = self.ids.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(&id) = ids.get(name) {
            return id;
        }
        let index = ids.len();
        if index >= MAX_NAMES {
            return FULL;
        }
        let name: Arc<str> = Arc::from(name);
        let chunk = self.chunks[index / CHUNK].get_or_init(|| (0..CHUNK).map(|_| Slot::new()).collect());
        // Under the lock, `index` is the first slot never set.
        let _ = chunk[index % CHUNK].set(Arc::clone(&name));
        let id = i32::try_from(index + 1).expect("MAX_NAMES fits an i32");
        ids.insert(name, id);
        id
    }

    /// The name interned as `id`, if any.
    pub fn get(&self, id: i32) -> Option<&str> {
        let index = usize::try_from(id).ok()?.checked_sub(1)?;
        let chunk = self.chunks.get(index / CHUNK)?.get()?;
        chunk[index % CHUNK].get().map(|name| &**name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_resolve_to_their_names() {
        let names = Names::default();
        let gpt = names.intern("gpt-4");
        let jokes = names.intern("jokes");
        assert_eq!(gpt, 1);
        assert_eq!(jokes, 2);
        assert_eq!(names.intern("gpt-4"), gpt);
        assert_eq!(names.get(gpt), Some("gpt-4"));
        assert_eq!(names.get(jokes), Some("jokes"));
        for id in [0, -1, 3, i32::MAX, i32::MIN] {
            assert_eq!(names.get(id), None, "id {id}");
        }
    }

    #[test]
    fn names_the_core_refuses_are_kept_as_they_are() {
        // The core checks names on every call; the table does not.
        let names = Names::default();
        let empty = names.intern("");
        let control = names.intern("a\nb");
        assert_eq!(names.get(empty), Some(""));
        assert_eq!(names.get(control), Some("a\nb"));
    }

    #[test]
    fn bounded_in_names_and_bytes() {
        let names = Names::default();
        assert_eq!(names.intern(&"m".repeat(MAX_NAME_BYTES + 1)), TOO_LONG);
        let longest = "m".repeat(MAX_NAME_BYTES);
        assert_eq!(names.get(names.intern(&longest)), Some(longest.as_str()));
        for i in 1..MAX_NAMES {
            let id = names.intern(&format!("model-{i}"));
            assert_eq!(id, i32::try_from(i + 1).unwrap());
        }
        assert_eq!(names.intern("one too many"), FULL);
        assert_eq!(names.intern(&"m".repeat(MAX_NAME_BYTES + 1)), TOO_LONG);
        assert_eq!(names.intern("model-4095"), 4096, "a known name keeps its id when full");
        assert_eq!(names.get(4096), Some("model-4095"));
        assert_eq!(names.get(4097), None);
    }

    #[test]
    fn threads_interning_at_once_agree_on_ids() {
        let names = Arc::new(Names::default());
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let names = Arc::clone(&names);
                std::thread::spawn(move || (0..500).map(|i| names.intern(&format!("n{i}"))).collect::<Vec<_>>())
            })
            .collect();
        let seen: Vec<Vec<i32>> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert!(seen.windows(2).all(|w| w[0] == w[1]));
        for (i, &id) in seen[0].iter().enumerate() {
            assert_eq!(names.get(id), Some(format!("n{i}").as_str()));
        }
    }
}
