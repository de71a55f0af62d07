//! Every error crosses into Python here, through one `From<Error> for PyErr`.

use pyo3::create_exception;
use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;

create_exception!(
    kissmon,
    InvalidArgumentError,
    PyValueError,
    "An argument broke a protocol rule. `.argument` names it (snake_case), `.reason` says why."
);

create_exception!(
    kissmon,
    ProtocolError,
    PyValueError,
    "`decode_line` rejected a line. `.error_class` is one of the spec's error classes, \
     `.field` the field at fault or None, `.detail` the reason."
);

/// What can go wrong in this module.
#[derive(Debug)]
pub(crate) enum Error {
    /// The core refused an argument, or could not start its sender thread.
    Core(kissmon::Error),
    /// A Python value of a type the argument cannot take.
    WrongType { argument: &'static str, expected: &'static str, got: String },
    /// A Python value the API type cannot hold (a negative count, a NaN duration).
    OutOfRange { argument: &'static str, reason: String },
    /// A line the core's decoder rejected.
    Decode(kissmon::DecodeError),
}

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

impl From<kissmon::Error> for Error {
    fn from(err: kissmon::Error) -> Self {
        Error::Core(err)
    }
}

impl From<kissmon::DecodeError> for Error {
    fn from(err: kissmon::DecodeError) -> Self {
        Error::Decode(err)
    }
}

impl From<Error> for PyErr {
    fn from(err: Error) -> PyErr {
        match err {
            Error::Core(kissmon::Error::InvalidArgument { argument, reason }) => invalid_argument(argument, reason),
            Error::Core(err @ kissmon::Error::Spawn(_)) => PyOSError::new_err(err.to_string()),
            Error::OutOfRange { argument, reason } => invalid_argument(argument, reason),
            Error::WrongType { argument, expected, got } => {
                let err = PyTypeError::new_err(format!("invalid argument `{argument}`: must be {expected}, got {got}"));
                Python::attach(|py| {
                    // Built-in exceptions take attributes; this one names the argument like ValueErrors do.
                    let _ = err.value(py).setattr("argument", argument);
                });
                err
            }
            Error::Decode(err) => {
                let message = err.to_string();
                let pyerr = ProtocolError::new_err(message);
                Python::attach(|py| {
                    let value = pyerr.value(py);
                    let _ = value.setattr("error_class", err.class.as_str());
                    let _ = value.setattr("field", err.field);
                    let _ = value.setattr("detail", err.detail);
                });
                pyerr
            }
        }
    }
}

fn invalid_argument(argument: &'static str, reason: String) -> PyErr {
    let err = InvalidArgumentError::new_err(format!("invalid argument `{argument}`: {reason}"));
    Python::attach(|py| {
        let value = err.value(py);
        let _ = value.setattr("argument", argument);
        let _ = value.setattr("reason", reason);
    });
    err
}
