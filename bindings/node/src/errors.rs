//! The one place where failures cross into JS. Every error the addon throws
//! is built here: argument errors as `TypeError` (wrong JS type) or
//! `RangeError` (a value the API refuses), with the argument's JS name in the
//! message and in `.argument`; decode errors with `.errorClass` and `.field`;
//! and a panic (a bug in the core or here) as an `Error` with code
//! `ERR_KISSMON_PANIC`, because unwinding out of a napi callback aborts Node.
//! Every entry point runs its body through [`js`].

use napi::bindgen_prelude::{JsRangeError, JsTypeError, Object};
use napi::{Env, JsError, JsValue, Status};
use std::panic::AssertUnwindSafe;

/// Why a call was refused.
#[derive(Debug)]
pub enum Failure {
    /// A value of the wrong JS type, or a required one that is missing.
    /// `argument` is the core's snake_case name.
    Type { argument: &'static str, reason: String },
    /// A value of the right type that cannot be accepted.
    Range { argument: &'static str, reason: String },
    /// A line the decoder rejected.
    Decode(kissmon::DecodeError),
    /// The client's sender thread could not start.
    Spawn(std::io::Error),
    /// The call panicked; the message of the panic.
    Panic(String),
    /// napi itself failed (making a JS value); thrown as napi-rs throws it.
    Napi(napi::Error),
}

pub type Result<T, E = Failure> = std::result::Result<T, E>;

impl From<kissmon::Error> for Failure {
    fn from(err: kissmon::Error) -> Self {
        match err {
            kissmon::Error::InvalidArgument { argument, reason } => Failure::Range { argument, reason },
            kissmon::Error::Spawn(err) => Failure::Spawn(err),
        }
    }
}

impl From<napi::Error> for Failure {
    fn from(err: napi::Error) -> Self {
        Failure::Napi(err)
    }
}

impl From<kissmon::DecodeError> for Failure {
    fn from(err: kissmon::DecodeError) -> Self {
        Failure::Decode(err)
    }
}

/// The JS name of an argument the core names in snake_case. The durations
/// the core takes as `Duration` are milliseconds in JS, and say so.
pub fn js_name(argument: &str) -> String {
    match argument {
        "heartbeat_interval" => return "heartbeatIntervalMs".into(),
        "interval" => return "intervalMs".into(),
        _ => {}
    }
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

impl Failure {
    /// Throws this failure as a JS exception and returns the error that
    /// tells napi-rs one is pending.
    pub fn throw(self, env: &Env) -> napi::Error {
        if let Failure::Napi(err) = self {
            return err;
        }
        match self.into_js(env) {
            Ok(error) => match env.throw(error) {
                Ok(()) => napi::Error::from_status(Status::PendingException),
                Err(err) => err,
            },
            Err(err) => err,
        }
    }

    fn into_js<'env>(self, env: &'env Env) -> napi::Result<Object<'env>> {
        let (mut error, code) = match self {
            Failure::Type { argument, reason } => {
                let name = js_name(argument);
                let mut error = new_error(env, Constructor::TypeError, format!("invalid argument `{name}`: {reason}"))?;
                error.set("argument", name)?;
                (error, "ERR_INVALID_ARG_TYPE")
            }
            Failure::Range { argument, reason } => {
                let name = js_name(argument);
                let mut error =
                    new_error(env, Constructor::RangeError, format!("invalid argument `{name}`: {reason}"))?;
                error.set("argument", name)?;
                (error, "ERR_INVALID_ARG_VALUE")
            }
            Failure::Decode(err) => {
                let mut error = new_error(env, Constructor::Error, err.to_string())?;
                error.set("errorClass", err.class.as_str())?;
                error.set("field", err.field)?;
                (error, "ERR_KISSMON_DECODE")
            }
            Failure::Spawn(err) => {
                (new_error(env, Constructor::Error, format!("kissmon: {err}"))?, "ERR_KISSMON_SPAWN")
            }
            Failure::Panic(message) => (
                new_error(
                    env,
                    Constructor::Error,
                    format!("kissmon: internal error (a bug, please report it): {message}"),
                )?,
                "ERR_KISSMON_PANIC",
            ),
            Failure::Napi(err) => return Err(err),
        };
        error.set("code", code)?;
        Ok(error)
    }
}

enum Constructor {
    Error,
    TypeError,
    RangeError,
}

fn new_error<'env>(env: &'env Env, constructor: Constructor, message: String) -> napi::Result<Object<'env>> {
    let handle = Env::from_raw(env.raw());
    let reason = napi::Error::new(Status::GenericFailure, message);
    let error = match constructor {
        Constructor::Error => JsError::from(reason).into_unknown(handle),
        Constructor::TypeError => JsTypeError::from(reason).into_unknown(handle),
        Constructor::RangeError => JsRangeError::from(reason).into_unknown(handle),
    };
    error.coerce_to_object()
}

/// Runs `body` and throws its failure, if any, as a JS exception; a panic
/// in `body` becomes a JS exception too, instead of aborting the process.
pub fn js<T>(env: &Env, body: impl FnOnce() -> Result<T>) -> napi::Result<T> {
    caught(body).map_err(|failure| failure.throw(env))
}

/// Runs `body`, turning a panic into [`Failure::Panic`]. For code off the JS
/// thread, which reports through a promise rather than by throwing.
pub fn caught<T>(body: impl FnOnce() -> Result<T>) -> Result<T> {
    // The client's state is behind a mutex that recovers from poisoning, so
    // nothing a panic interrupts is left half-changed for the next call.
    std::panic::catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|text| (*text).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into());
        Err(Failure::Panic(message))
    })
}

/// Test only: panics inside [`js`], as a bug in the core would, so that a
/// test can check that a panic reaches JS as an error and Node lives on.
/// Always compiled (the tests run the release addon); not part of the API:
/// `index.js` does not export it.
#[napi_derive::napi(js_name = "__testOnlyPanic")]
pub fn test_only_panic(env: Env) -> napi::Result<()> {
    js(&env, || -> Result<()> { panic!("the test-only panic") })
}

#[cfg(test)]
mod tests {
    use super::js_name;

    #[test]
    fn argument_names_are_camel_case_with_units() {
        assert_eq!(js_name("tokens_in"), "tokensIn");
        assert_eq!(js_name("cache_read_tokens"), "cacheReadTokens");
        assert_eq!(js_name("channel"), "channel");
        assert_eq!(js_name("heartbeat_interval"), "heartbeatIntervalMs");
        assert_eq!(js_name("interval"), "intervalMs");
        assert_eq!(js_name("timeout_ms"), "timeoutMs");
    }
}
