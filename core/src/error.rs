use std::fmt;

/// Why a line was rejected. The names are the error classes of
/// `spec/PROTOCOL.md` and of the conformance corpus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorClass {
    /// The line is longer than 64 KiB.
    LineTooLong,
    /// The line is not valid UTF-8.
    InvalidUtf8,
    /// The line is not JSON.
    InvalidJson,
    /// The line is JSON but not an object.
    NotObject,
    /// `type` names no message type this protocol version knows.
    UnknownType,
    /// A required field is absent.
    MissingField,
    /// A field is present but of the wrong type, out of range, or repeated.
    InvalidField,
}

impl ErrorClass {
    pub const ALL: [ErrorClass; 7] = [
        ErrorClass::LineTooLong,
        ErrorClass::InvalidUtf8,
        ErrorClass::InvalidJson,
        ErrorClass::NotObject,
        ErrorClass::UnknownType,
        ErrorClass::MissingField,
        ErrorClass::InvalidField,
    ];

    /// The snake_case name used by the spec, the corpus and every binding.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::LineTooLong => "line_too_long",
            ErrorClass::InvalidUtf8 => "invalid_utf8",
            ErrorClass::InvalidJson => "invalid_json",
            ErrorClass::NotObject => "not_object",
            ErrorClass::UnknownType => "unknown_type",
            ErrorClass::MissingField => "missing_field",
            ErrorClass::InvalidField => "invalid_field",
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A line the decoder rejected: its class, the field at fault if any, and a
/// message that names what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub class: ErrorClass,
    pub field: Option<String>,
    pub detail: String,
}

impl DecodeError {
    pub(crate) fn new(class: ErrorClass, detail: impl Into<String>) -> Self {
        DecodeError { class, field: None, detail: detail.into() }
    }

    pub(crate) fn field(class: ErrorClass, field: impl Into<String>, detail: impl Into<String>) -> Self {
        DecodeError { class, field: Some(field.into()), detail: detail.into() }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}: `{}` {}", self.class, field, self.detail),
            None => write!(f, "{}: {}", self.class, self.detail),
        }
    }
}

impl std::error::Error for DecodeError {}

/// An error from the client API. Only invalid arguments and a failure to
/// start the sender thread are errors; the monitor's state never is.
#[derive(Debug)]
pub enum Error {
    /// An argument broke a protocol rule. `argument` is its snake_case name.
    InvalidArgument { argument: &'static str, reason: String },
    /// The background sender thread could not be started.
    Spawn(std::io::Error),
}

impl Error {
    pub(crate) fn invalid(argument: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidArgument { argument, reason: reason.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidArgument { argument, reason } => write!(f, "invalid argument `{argument}`: {reason}"),
            Error::Spawn(err) => write!(f, "cannot start the kissmon sender thread: {err}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Spawn(err) => Some(err),
            Error::InvalidArgument { .. } => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
