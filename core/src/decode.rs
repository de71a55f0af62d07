//! The one decoder: the reference monitor reads lines with it and the
//! conformance corpus checks it from every language.

use crate::error::{DecodeError, ErrorClass};
use crate::validate::{self, Rule};
use crate::wire::*;
use serde::de::DeserializeOwned;
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

/// Decodes one line (without its trailing `\n`; a trailing `\r` is allowed).
///
/// The checks run in the order of the error classes: length, UTF-8, JSON,
/// object, `type`, then the fields of that type. Unknown fields are ignored;
/// `null` in an optional field means the field is absent.
pub fn decode_line(line: &[u8]) -> Result<Message, DecodeError> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.len() > MAX_LINE_BYTES {
        return Err(DecodeError::new(
            ErrorClass::LineTooLong,
            format!("line is {} bytes, the limit is {MAX_LINE_BYTES}", line.len()),
        ));
    }
    let text = std::str::from_utf8(line).map_err(|err| {
        DecodeError::new(ErrorClass::InvalidUtf8, format!("invalid UTF-8 at byte {}", err.valid_up_to()))
    })?;
    let object = parse_object(text)?;
    let kind: Cow<str> = object.opt("type", "a string")?.ok_or_else(|| object.absent_or_null("type"))?;
    // A monitor does not judge the fields of a type it does not know.
    if !matches!(kind.as_ref(), "register" | "heartbeat" | "unregister" | "llm_usage") {
        return Err(DecodeError::field(
            ErrorClass::UnknownType,
            "type",
            format!("{:?} is not a message type of protocol v{PROTOCOL_VERSION}", truncate(&kind)),
        ));
    }
    let envelope = Envelope {
        v: object.opt_u64("v", validate::version)?.map(|v| v as u32),
        ts: object.opt_f64("ts", validate::non_negative)?,
        instance: object.opt_str("instance", validate::instance)?,
    };
    let message = match kind.as_ref() {
        "register" => Message::Register(Register {
            channel: object.req_str("channel", validate::channel)?,
            pid: object.req_pid()?,
            features: object.features()?,
            heartbeat_interval_s: object.opt_f64("heartbeat_interval_s", validate::heartbeat_interval)?,
            sdk: object.sdk()?,
            acks: object.opt::<bool>("acks", "a boolean")?,
            envelope,
        }),
        "heartbeat" => Message::Heartbeat(Heartbeat {
            channel: object.req_str("channel", validate::channel)?,
            pid: object.req_pid()?,
            lag_ms: object.opt_f64("lag_ms", validate::non_negative)?,
            envelope,
        }),
        "unregister" => Message::Unregister(Unregister {
            channel: object.req_str("channel", validate::channel)?,
            pid: object.req_pid()?,
            reason: object.opt_str("reason", validate::free_text)?,
            envelope,
        }),
        "llm_usage" => Message::LlmUsage(LlmUsage {
            channel: object.req_str("channel", validate::channel)?,
            model: object.req_str("model", validate::model)?,
            feature: object.req_str("feature", validate::feature)?,
            tokens_in: object.req_u64("tokens_in", validate::tokens)?,
            tokens_out: object.req_u64("tokens_out", validate::tokens)?,
            latency_ms: object.opt_f64("latency_ms", validate::non_negative)?,
            pid: object.opt_u64("pid", validate::pid)?.map(|pid| pid as u32),
            provider: object.opt_str("provider", validate::provider)?,
            cache_read_tokens: object.opt_u64("cache_read_tokens", validate::tokens)?,
            reasoning_tokens: object.opt_u64("reasoning_tokens", validate::tokens)?,
            cost_usd: object.opt_f64("cost_usd", validate::non_negative)?,
            ok: object.opt::<bool>("ok", "a boolean")?,
            count: object.opt_u64("count", validate::count)?,
            seq: object.opt_u64("seq", validate::seq)?,
            envelope,
        }),
        _ => unreachable!("checked above"),
    };
    Ok(message)
}

fn parse_object(text: &str) -> Result<Fields<'_>, DecodeError> {
    serde_json::from_str::<Fields>(text).map_err(|err| {
        // serde stops at the first token that is not `{`, so make sure the
        // rest is JSON before calling the line "not an object".
        let err = match err.is_data() {
            true => match serde_json::from_str::<serde::de::IgnoredAny>(text) {
                Ok(_) => return DecodeError::new(ErrorClass::NotObject, "a line must be a JSON object"),
                Err(err) => err,
            },
            false => err,
        };
        DecodeError::new(ErrorClass::InvalidJson, format!("not valid JSON: {err}"))
    })
}

fn invalid(field: &str, detail: String) -> DecodeError {
    DecodeError::field(ErrorClass::InvalidField, field, detail)
}

/// A field's raw JSON, cut short so an error message stays readable.
fn shown(raw: &RawValue) -> String {
    truncate(raw.get()).to_owned()
}

fn truncate(text: &str) -> &str {
    match text.char_indices().nth(40) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// Every field some message type knows. The decoder keeps only these keys,
/// each in its own slot; all other keys are skipped unparsed.
const KNOWN: [&str; 24] = [
    "type",
    "v",
    "ts",
    "instance",
    "channel",
    "pid",
    "features",
    "heartbeat_interval_s",
    "sdk",
    "lag_ms",
    "reason",
    "model",
    "feature",
    "tokens_in",
    "tokens_out",
    "latency_ms",
    "provider",
    "cache_read_tokens",
    "reasoning_tokens",
    "cost_usd",
    "ok",
    "count",
    "acks",
    "seq",
];

fn slot_of(name: &str) -> Option<usize> {
    KNOWN.iter().position(|known| *known == name)
}

#[derive(Clone, Copy)]
enum Slot<'a> {
    Absent,
    Present(&'a RawValue),
    Repeated,
}

/// The known fields of a JSON object, as raw JSON: only the fields a
/// message type reads are ever parsed, and repeated keys stay visible.
struct Fields<'a>([Slot<'a>; KNOWN.len()]);

impl<'a> Fields<'a> {
    fn slot(&self, name: &str) -> Slot<'a> {
        self.0[slot_of(name).expect("the decoder asks only for known fields")]
    }

    /// The field's raw value; `None` when absent or `null`. A repeated key is invalid.
    fn get(&self, name: &str) -> Result<Option<&'a RawValue>, DecodeError> {
        match self.slot(name) {
            Slot::Absent => Ok(None),
            Slot::Present(raw) => Ok(Some(raw).filter(|raw| raw.get() != "null")),
            Slot::Repeated => Err(invalid(name, "appears more than once".into())),
        }
    }

    fn opt<T: DeserializeOwned>(&self, name: &str, expected: &str) -> Result<Option<T>, DecodeError> {
        let Some(raw) = self.get(name)? else { return Ok(None) };
        serde_json::from_str(raw.get())
            .map(Some)
            .map_err(|_| invalid(name, format!("must be {expected}, got {}", shown(raw))))
    }

    fn required<T>(&self, name: &str, value: Option<T>) -> Result<T, DecodeError> {
        value.ok_or_else(|| self.absent_or_null(name))
    }

    /// The error for a required field that `get` found absent or `null`.
    fn absent_or_null(&self, name: &str) -> DecodeError {
        match self.slot(name) {
            Slot::Absent => DecodeError::field(ErrorClass::MissingField, name, "is required"),
            _ => invalid(name, "must not be null".into()),
        }
    }

    fn opt_str(&self, name: &str, rule: fn(&str) -> Rule) -> Result<Option<String>, DecodeError> {
        let value: Option<String> = self.opt(name, "a string")?;
        if let Some(value) = &value {
            rule(value).map_err(|reason| invalid(name, reason))?;
        }
        Ok(value)
    }

    fn req_str(&self, name: &str, rule: fn(&str) -> Rule) -> Result<String, DecodeError> {
        let value = self.opt_str(name, rule)?;
        self.required(name, value)
    }

    fn opt_u64(&self, name: &str, rule: fn(u64) -> Rule) -> Result<Option<u64>, DecodeError> {
        let Some(raw) = self.get(name)? else { return Ok(None) };
        // The rule's own message names the range; reuse it for non-integers too.
        let value: u64 = serde_json::from_str(raw.get()).map_err(|_| {
            let range = rule(u64::MAX).err().unwrap_or_default();
            let range = range.split(", got").next().unwrap_or("must be an integer");
            invalid(name, format!("{range}, got {}", shown(raw)))
        })?;
        rule(value).map_err(|reason| invalid(name, reason))?;
        Ok(Some(value))
    }

    fn req_u64(&self, name: &str, rule: fn(u64) -> Rule) -> Result<u64, DecodeError> {
        let value = self.opt_u64(name, rule)?;
        self.required(name, value)
    }

    fn req_pid(&self) -> Result<u32, DecodeError> {
        self.req_u64("pid", validate::pid).map(|pid| pid as u32)
    }

    fn opt_f64(&self, name: &str, rule: fn(f64) -> Rule) -> Result<Option<f64>, DecodeError> {
        let value: Option<f64> = self.opt(name, "a number")?;
        if let Some(value) = value {
            rule(value).map_err(|reason| invalid(name, reason))?;
        }
        Ok(value)
    }

    /// `features` is required on register (legacy monitors index it) but may be `{}`;
    /// `null` or absence is read as no features, as the earlier monitor did.
    fn features(&self) -> Result<BTreeMap<String, bool>, DecodeError> {
        let Some(raw) = self.get("features")? else { return Ok(BTreeMap::new()) };
        let wrong = || invalid("features", format!("must be an object of booleans, got {}", shown(raw)));
        // Parsed as raw pairs, not a map, so that a repeated key is seen.
        let pairs: Pairs = serde_json::from_str(raw.get()).map_err(|_| wrong())?;
        let mut features = BTreeMap::new();
        for (name, value) in pairs.0 {
            let enabled: bool = serde_json::from_str(value.get()).map_err(|_| wrong())?;
            let name = name.into_owned();
            validate::feature(&name)
                .map_err(|reason| invalid("features", format!("key {:?} {reason}", truncate(&name))))?;
            if features.contains_key(&name) {
                return Err(invalid("features", format!("key {:?} appears more than once", truncate(&name))));
            }
            features.insert(name, enabled);
        }
        Ok(features)
    }

    fn sdk(&self) -> Result<Option<Sdk>, DecodeError> {
        #[derive(serde::Deserialize)]
        struct RawSdk {
            lang: String,
            version: String,
        }
        let raw: Option<RawSdk> = self.opt("sdk", "an object with string fields lang and version")?;
        let Some(RawSdk { lang, version }) = raw else { return Ok(None) };
        for (part, value) in [("lang", &lang), ("version", &version)] {
            validate::free_text(value).map_err(|reason| invalid("sdk", format!("{part} {reason}")))?;
        }
        Ok(Some(Sdk { lang, version }))
    }
}

impl<'de> Deserialize<'de> for Fields<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldsVisitor;
        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = Fields<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut slots = [Slot::Absent; KNOWN.len()];
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    let Some(i) = slot_of(&key.0) else {
                        map.next_value::<de::IgnoredAny>()?;
                        continue;
                    };
                    let raw = map.next_value::<&'de RawValue>()?;
                    slots[i] = match slots[i] {
                        Slot::Absent => Slot::Present(raw),
                        _ => Slot::Repeated,
                    };
                }
                Ok(Fields(slots))
            }
        }
        deserializer.deserialize_map(FieldsVisitor)
    }
}

/// A JSON object as (key, raw value) pairs, repeated keys included: the
/// shape of `features`, whose keys are the bot's own.
struct Pairs<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for Pairs<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor;
        impl<'de> Visitor<'de> for PairsVisitor {
            type Value = Pairs<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut pairs = Vec::with_capacity(4);
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    pairs.push((key.0, map.next_value::<&'de RawValue>()?));
                }
                Ok(Pairs(pairs))
            }
        }
        deserializer.deserialize_map(PairsVisitor)
    }
}

/// An object key, borrowed from the line unless it had escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}
