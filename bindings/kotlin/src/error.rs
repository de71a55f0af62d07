//! The one place where failures cross into the JVM. The generated Java
//! throws these as `io.kissmon.ffi.NativeException`; the Kotlin layer turns them into
//! `io.kissmon.KissmonException` and its subclasses.

use std::fmt;

/// Why a call was refused. Argument names are the JVM API's (camelCase).
#[derive(Debug, uniffi::Error)]
pub enum NativeError {
    /// An argument broke a protocol rule, or the JVM value does not fit the
    /// core's type (a negative count, a pid past 32 bits).
    InvalidArgument { argument: String, reason: String },
    /// A line the decoder rejected: its class (`invalid_field`, ...) and the
    /// top-level field at fault, if the class names one.
    Decode { error_class: String, field: Option<String>, detail: String },
    /// The client's sender thread could not be started.
    Spawn { detail: String },
}

impl NativeError {
    /// An invalid-argument error for `argument`, the core's snake_case name.
    pub(crate) fn invalid(argument: &str, reason: impl Into<String>) -> Self {
        NativeError::InvalidArgument { argument: jvm_name(argument), reason: reason.into() }
    }
}

impl From<kissmon::Error> for NativeError {
    fn from(err: kissmon::Error) -> Self {
        match err {
            kissmon::Error::InvalidArgument { argument, reason } => NativeError::invalid(argument, reason),
            kissmon::Error::Spawn(err) => NativeError::Spawn { detail: err.to_string() },
        }
    }
}

impl From<kissmon::DecodeError> for NativeError {
    fn from(err: kissmon::DecodeError) -> Self {
        NativeError::Decode { error_class: err.class.as_str().to_owned(), detail: err.to_string(), field: err.field }
    }
}

impl fmt::Display for NativeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NativeError::InvalidArgument { argument, reason } => write!(f, "invalid argument `{argument}`: {reason}"),
            NativeError::Decode { detail, .. } => f.write_str(detail),
            NativeError::Spawn { detail } => write!(f, "cannot start the kissmon sender thread: {detail}"),
        }
    }
}

impl std::error::Error for NativeError {}

/// The JVM name of an argument the core names in snake_case: `tokens_in`
/// is `tokensIn`.
pub(crate) fn jvm_name(argument: &str) -> String {
    let mut name = String::with_capacity(argument.len());
    let mut upper = false;
    for c in argument.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            name.extend(c.to_uppercase());
            upper = false;
        } else {
            name.push(c);
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_arguments_as_the_jvm_api_does() {
        assert_eq!(jvm_name("tokens_in"), "tokensIn");
        assert_eq!(jvm_name("heartbeat_interval"), "heartbeatInterval");
        assert_eq!(jvm_name("model"), "model");
    }

    #[test]
    fn a_core_argument_error_keeps_its_reason_under_the_jvm_name() {
        let Err(err) = kissmon::MonitorClient::builder("x").queue_capacity(0).build() else {
            panic!("capacity 0 is refused")
        };
        let NativeError::InvalidArgument { argument, reason } = NativeError::from(err) else {
            panic!("an argument error")
        };
        assert_eq!(argument, "queueCapacity");
        assert!(reason.contains("at least 1"), "{reason}");
    }

    #[test]
    fn a_decode_error_carries_class_and_field() {
        let err = kissmon::decode_line(br#"{"type":"heartbeat","channel":"x","pid":0}"#).unwrap_err();
        let NativeError::Decode { error_class, field, .. } = NativeError::from(err) else { panic!("a decode error") };
        assert_eq!(error_class, "invalid_field");
        assert_eq!(field.as_deref(), Some("pid"));
    }
}
