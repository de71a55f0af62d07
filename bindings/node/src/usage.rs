//! The native `logLlmUsage` that `index.js` calls with every field of the
//! caller's object as a positional argument. It is a bare napi callback
//! rather than a napi-rs closure: that one allocates a vector for the
//! arguments and asks napi for them twice, which cost more than the
//! conversion itself. The strings are read into buffers on the stack and
//! lent to the core, so a call that folds allocates nothing.
//!
//! The first argument, `facts`, carries what index.js has already found out
//! about the other arguments, where JS finds it far cheaper than napi: that
//! `usage` is an object, which optional fields are present (not `undefined`
//! or `null`), and which strings are identical (`===`) to the ones of the
//! previous call. This function keeps its own copy of those previous strings
//! and uses it instead of converting them again. It is a pure conversion
//! cache: both sides update it by one rule (a string argument read on the
//! fast path replaces the copy), before anything can fail.

use crate::args::{self, StringBuffer};
use crate::errors::{js, Failure, Result};
use napi::bindgen_prelude::FromNapiValue;
use napi::{sys, Env, JsError, Unknown};
use std::cell::RefCell;
use std::ffi::c_void;
use std::panic::catch_unwind;
use std::ptr;
use std::sync::Arc;

/// The bits of `facts`, as index.js sets them.
const USAGE_IS_OBJECT: u32 = 1;
const HAS_LATENCY: u32 = 1 << 1;
const HAS_PROVIDER: u32 = 1 << 2;
const HAS_COST: u32 = 1 << 3;
const HAS_CACHE_READ: u32 = 1 << 4;
const HAS_REASONING: u32 = 1 << 5;
const HAS_OK: u32 = 1 << 6;
const SAME_MODEL: u32 = 1 << 7;
const SAME_FEATURE: u32 = 1 << 8;
const SAME_PROVIDER: u32 = 1 << 9;

/// The arguments of the native `logLlmUsage`, in order, by the core's names.
const ARGUMENTS: [&str; 12] = [
    "facts",
    "usage",
    "model",
    "feature",
    "tokens_in",
    "tokens_out",
    "latency_ms",
    "provider",
    "cost_usd",
    "cache_read_tokens",
    "reasoning_tokens",
    "ok",
];

/// What the function holds: its client, and the strings of the latest fast-path call.
struct Bound {
    client: Arc<kissmon::MonitorClient>,
    previous: RefCell<Previous>,
}

#[derive(Default)]
struct Previous {
    model: String,
    feature: String,
    provider: String,
}

/// `logLlmUsage(facts, usage, model, feature, tokensIn, tokensOut,
/// latencyMs, provider, costUsd, cacheReadTokens, reasoningTokens, ok)` as a
/// JS function bound to `client`: `usage` is the caller's object, checked to
/// be one; its fields come positionally, every one of them (`undefined` when
/// absent), because index.js reads them far faster than napi can. With
/// `facts` 0, every argument is checked here.
pub fn function(env: &Env, client: Arc<kissmon::MonitorClient>) -> napi::Result<Unknown<'_>> {
    let data = Box::into_raw(Box::new(Bound { client, previous: RefCell::default() }));
    let name = "logLlmUsage";
    let mut function = ptr::null_mut();
    // SAFETY: `data` stays valid until the finalizer below frees it with the function.
    let created = unsafe {
        sys::napi_create_function(
            env.raw(),
            name.as_ptr().cast(),
            name.len() as isize,
            Some(call),
            data.cast(),
            &mut function,
        )
    };
    let finalizer = if created == sys::Status::napi_ok {
        // SAFETY: `function` is the live function just created; `data` is freed once, by `release`.
        unsafe {
            sys::napi_add_finalizer(env.raw(), function, data.cast(), Some(release), ptr::null_mut(), ptr::null_mut())
        }
    } else {
        created
    };
    if finalizer != sys::Status::napi_ok {
        // SAFETY: no function owns `data`.
        drop(unsafe { Box::from_raw(data) });
        return Err(napi::Error::new(napi::Status::from(finalizer), "cannot create logLlmUsage".to_owned()));
    }
    // SAFETY: `function` is a live value of this env.
    unsafe { Unknown::from_napi_value(env.raw(), function) }
}

unsafe extern "C" fn release(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // A panic must not unwind into Node; a leaked client is the lesser harm.
    let _ = catch_unwind(|| drop(Box::from_raw(data.cast::<Bound>())));
}

unsafe extern "C" fn call(raw_env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    let mut argc = ARGUMENTS.len();
    let mut argv = [ptr::null_mut(); ARGUMENTS.len()];
    let mut data = ptr::null_mut();
    let status = sys::napi_get_cb_info(raw_env, info, &mut argc, argv.as_mut_ptr(), ptr::null_mut(), &mut data);
    let env = Env::from_raw(raw_env);
    // Through `errors::js` like every other entry point: a failure is thrown
    // as its JS error, and a panic as the `ERR_KISSMON_PANIC` one.
    let outcome = js(&env, || {
        if status != sys::Status::napi_ok {
            return Err(Failure::Napi(napi::Error::new(
                napi::Status::from(status),
                "napi_get_cb_info failed".to_owned(),
            )));
        }
        // SAFETY: `data` is what `function` boxed, alive as long as this function is.
        let bound = &*data.cast::<Bound>();
        log_llm_usage(bound, raw_env, &argv[..argc.min(ARGUMENTS.len())])
    });
    if let Err(err) = outcome {
        // A failure has been thrown already (the error says so, and this
        // does nothing); a napi error is thrown here.
        JsError::from(err).throw_into(raw_env);
    }
    ptr::null_mut()
}

fn log_llm_usage(bound: &Bound, env: sys::napi_env, argv: &[sys::napi_value]) -> Result<()> {
    if argv.len() < ARGUMENTS.len() {
        let argument = ARGUMENTS[argv.len()];
        return Err(Failure::Type { argument, reason: "is missing from the native call".into() });
    }
    // SAFETY: each value is a live argument of the current call.
    let arg = |index: usize| unsafe { Unknown::from_raw_unchecked(env, argv[index]) };
    // SAFETY: napi_get_value_uint32 refuses a value that is not a number.
    let facts = unsafe { arg(0).cast::<u32>() }
        .map_err(|_| Failure::Type { argument: "facts", reason: "must be a number".into() })?;
    if facts & USAGE_IS_OBJECT == 0 {
        return log_checking_everything(&bound.client, arg);
    }
    let mut previous = bound.previous.borrow_mut();
    let previous = &mut *previous;
    // The copies are refreshed before anything can fail, as index.js does.
    let model = if facts & SAME_MODEL == 0 { refresh(arg(2), "model", &mut previous.model) } else { Ok(()) };
    let feature = if facts & SAME_FEATURE == 0 { refresh(arg(3), "feature", &mut previous.feature) } else { Ok(()) };
    let provider = match facts & (HAS_PROVIDER | SAME_PROVIDER) {
        HAS_PROVIDER => refresh(arg(7), "provider", &mut previous.provider),
        _ => Ok(()),
    };
    model?;
    feature?;
    let mut usage = kissmon::LlmUsage::new(
        previous.model.as_str(),
        previous.feature.as_str(),
        args::whole(arg(4), "tokens_in")?,
        args::whole(arg(5), "tokens_out")?,
    );
    if facts & HAS_LATENCY != 0 {
        usage = usage.latency_ms(args::number(arg(6), "latency_ms")?);
    }
    if facts & HAS_PROVIDER != 0 {
        provider?;
        usage = usage.provider(previous.provider.as_str());
    }
    if facts & HAS_COST != 0 {
        usage = usage.cost_usd(args::number(arg(8), "cost_usd")?);
    }
    if facts & HAS_CACHE_READ != 0 {
        usage = usage.cache_read_tokens(args::whole(arg(9), "cache_read_tokens")?);
    }
    if facts & HAS_REASONING != 0 {
        usage = usage.reasoning_tokens(args::whole(arg(10), "reasoning_tokens")?);
    }
    if facts & HAS_OK != 0 {
        usage = usage.ok(args::boolean(arg(11), "ok")?);
    }
    Ok(bound.client.log_llm_usage(usage)?)
}

/// Replaces `copy` with the string `value`, reusing its allocation.
fn refresh(value: Unknown, argument: &'static str, copy: &mut String) -> Result<()> {
    let mut buffer = StringBuffer::new();
    let text = args::string_in(value, argument, &mut buffer)?;
    copy.clear();
    copy.push_str(&text);
    Ok(())
}

/// The call when index.js could not tell that `usage` is an object: nothing
/// is taken for granted, and the copies of the previous strings stay as they are.
fn log_checking_everything<'env>(client: &kissmon::MonitorClient, arg: impl Fn(usize) -> Unknown<'env>) -> Result<()> {
    let (mut model, mut feature, mut provider) = (StringBuffer::new(), StringBuffer::new(), StringBuffer::new());
    args::object(arg(1), "usage")?;
    let mut usage = kissmon::LlmUsage::new(
        args::string_in(arg(2), "model", &mut model)?,
        args::string_in(arg(3), "feature", &mut feature)?,
        args::whole(arg(4), "tokens_in")?,
        args::whole(arg(5), "tokens_out")?,
    );
    if let Some(value) = args::opt_number(arg(6), "latency_ms")? {
        usage = usage.latency_ms(value);
    }
    if let Some(value) = args::opt_string_in(arg(7), "provider", &mut provider)? {
        usage = usage.provider(value);
    }
    if let Some(value) = args::opt_number(arg(8), "cost_usd")? {
        usage = usage.cost_usd(value);
    }
    if let Some(value) = args::opt_whole(arg(9), "cache_read_tokens")? {
        usage = usage.cache_read_tokens(value);
    }
    if let Some(value) = args::opt_whole(arg(10), "reasoning_tokens")? {
        usage = usage.reasoning_tokens(value);
    }
    if let Some(value) = args::opt_boolean(arg(11), "ok")? {
        usage = usage.ok(value);
    }
    Ok(client.log_llm_usage(usage)?)
}
