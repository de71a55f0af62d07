//! The native `logLlmUsage` that `index.js` calls for the caller's usage
//! object. It is a bare napi callback rather than a napi-rs closure: that
//! one allocates a vector for the arguments and asks napi for them twice,
//! which cost more than the conversion itself. The strings are read into
//! buffers on the stack and lent to the core, so a call that folds
//! allocates nothing.
//!
//! Every napi call costs, and more so after a sleep, when its code is cold:
//! a bot that logs one LLM call now and then pays for each. So the common
//! call passes no argument at all. The function and index.js share a few
//! numbers of memory, seen in JS as a `Float64Array` (the *slots*): index.js
//! writes `facts` there, and every numeric field that is a JS number; this
//! function reads them as plain memory. What JS cannot put in a slot (a
//! bigint, a value of the wrong type, a string that changed) comes as
//! positional arguments instead, every field of the object, and is read
//! through napi as before. Either way the values are checked here and by
//! the core, with the same errors: index.js only says where each one is.
//! A call without arguments takes a short path of its own
//! ([`log_from_slots`]), since after a sleep each line of code it runs is a
//! cache miss.
//!
//! `facts` carries what index.js has already found out about the fields,
//! where JS finds it far cheaper than napi: that `usage` is an object,
//! which optional fields are present (not `undefined` or `null`), which
//! numbers are in their slots, the value of a boolean `ok`, and which
//! strings are identical (`===`) to the ones of the previous call. This
//! function keeps its own copy of those previous strings and uses it
//! instead of converting them again. It is a pure conversion cache: both
//! sides update it by one rule (a string argument read on the fast path
//! replaces the copy), before anything can fail.

use crate::args::{self, StringBuffer};
use crate::errors::{js, Failure, Result};
use napi::bindgen_prelude::FromNapiValue;
use napi::{sys, Env, JsError, Unknown};
use std::cell::RefCell;
use std::ffi::c_void;
use std::panic::catch_unwind;
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};
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
const TOKENS_IN_IN_SLOT: u32 = 1 << 10;
const TOKENS_OUT_IN_SLOT: u32 = 1 << 11;
const LATENCY_IN_SLOT: u32 = 1 << 12;
const COST_IN_SLOT: u32 = 1 << 13;
const CACHE_READ_IN_SLOT: u32 = 1 << 14;
const REASONING_IN_SLOT: u32 = 1 << 15;
/// `ok` is a boolean, given by `OK_TRUE` rather than as an argument.
const OK_IN_FACTS: u32 = 1 << 16;
const OK_TRUE: u32 = 1 << 17;
/// The call has no argument: `usage` is an object, each number it gives
/// is in its slot, `ok` (if given) in `facts`, and each string is the same
/// as the previous call's.
const NO_ARGUMENTS: u32 = 1 << 18;

/// The slots, by index, as index.js writes them: `facts`, then one number per numeric field.
const FACTS: usize = 0;
const TOKENS_IN: usize = 1;
const TOKENS_OUT: usize = 2;
const LATENCY_MS: usize = 3;
const COST_USD: usize = 4;
const CACHE_READ_TOKENS: usize = 5;
const REASONING_TOKENS: usize = 6;
const SLOTS: usize = 7;

/// The positional arguments of the native `logLlmUsage`, in order, by the core's names.
const ARGUMENTS: [&str; 11] = [
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

/// The memory behind the slots' `Float64Array`: f64 bits, written by JS on
/// this function's thread, between calls. Shared by the function and the
/// array's buffer, whichever V8 collects last frees it, so neither can see
/// it freed (nor can detaching the buffer in JS).
#[derive(Default)]
struct Slots([AtomicU64; SLOTS]);

impl Slots {
    fn read(&self) -> [f64; SLOTS] {
        // JS wrote them before the call, on this thread: no ordering to ask for.
        self.0.each_ref().map(|slot| f64::from_bits(slot.load(Ordering::Relaxed)))
    }
}

/// What the function holds: its client, its slots, and the strings of the latest fast-path call.
struct Bound {
    client: Arc<kissmon::MonitorClient>,
    slots: Arc<Slots>,
    previous: RefCell<Previous>,
}

#[derive(Default)]
struct Previous {
    model: String,
    feature: String,
    provider: String,
}

/// `logLlmUsage(usage?, model?, feature?, tokensIn?, tokensOut?, latencyMs?,
/// provider?, costUsd?, cacheReadTokens?, reasoningTokens?, ok?)` as a JS
/// function bound to `client`, with its slots: the `Float64Array` that
/// index.js writes `facts` and the numbers into before each call. `usage`
/// is the caller's object, checked to be one; its fields come positionally
/// (`undefined` when absent) unless `facts` says where else they are. With
/// `facts` 0, every argument is checked here.
pub fn function(env: &Env, client: Arc<kissmon::MonitorClient>) -> napi::Result<(Unknown<'_>, Unknown<'_>)> {
    let slots = Arc::new(Slots::default());
    let array = slots_array(env, &slots)?;
    let data = Box::into_raw(Box::new(Bound { client, slots, previous: RefCell::default() }));
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
    Ok((unsafe { Unknown::from_napi_value(env.raw(), function) }?, array))
}

/// A `Float64Array` over `slots`' memory, which it keeps alive.
fn slots_array<'env>(env: &'env Env, slots: &Arc<Slots>) -> napi::Result<Unknown<'env>> {
    let failed =
        |status| napi::Error::new(napi::Status::from(status), "cannot create the slots of logLlmUsage".to_owned());
    let owner = Arc::into_raw(Arc::clone(slots));
    let mut buffer = ptr::null_mut();
    // SAFETY: the memory lives as long as `owner`, which only `release_slots` drops, once
    // V8 is done with the buffer. AtomicU64 lets JS write through this pointer.
    let status = unsafe {
        sys::napi_create_external_arraybuffer(
            env.raw(),
            slots.0.as_ptr().cast_mut().cast(),
            size_of::<[AtomicU64; SLOTS]>(),
            Some(release_slots),
            owner.cast_mut().cast(),
            &mut buffer,
        )
    };
    if status != sys::Status::napi_ok {
        // `owner` leaks (a few bytes, once): napi may or may not have called the finalizer.
        return Err(failed(status));
    }
    let mut array = ptr::null_mut();
    // SAFETY: `buffer` is the live buffer just made, SLOTS f64s long, 8-byte aligned.
    let status = unsafe {
        sys::napi_create_typedarray(env.raw(), sys::TypedarrayType::float64_array, SLOTS, buffer, 0, &mut array)
    };
    if status != sys::Status::napi_ok {
        return Err(failed(status));
    }
    // SAFETY: `array` is a live value of this env.
    unsafe { Unknown::from_napi_value(env.raw(), array) }
}

unsafe extern "C" fn release_slots(_env: sys::napi_env, _data: *mut c_void, owner: *mut c_void) {
    drop(Arc::from_raw(owner.cast_const().cast::<Slots>()));
}

unsafe extern "C" fn release(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // A panic must not unwind into Node; a leaked client is the lesser harm.
    let _ = catch_unwind(|| drop(Box::from_raw(data.cast::<Bound>())));
}

unsafe extern "C" fn call(raw_env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    // napi fills the arguments not given with `undefined`.
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
        log_llm_usage(bound, raw_env, &argv)
    });
    if let Err(err) = outcome {
        // A failure has been thrown already (the error says so, and this
        // does nothing); a napi error is thrown here.
        JsError::from(err).throw_into(raw_env);
    }
    ptr::null_mut()
}

fn log_llm_usage(bound: &Bound, env: sys::napi_env, argv: &[sys::napi_value; ARGUMENTS.len()]) -> Result<()> {
    let slots = bound.slots.read();
    // Only index.js writes it, always a u32; `as` maps anything else to some u32.
    let facts = slots[FACTS] as u32;
    if facts & NO_ARGUMENTS != 0 {
        return log_from_slots(bound, facts, &slots);
    }
    log_from_arguments(bound, facts, &slots, env, argv)
}

/// The common call, kept short and apart from the others: every value
/// from the slots and `facts`, the strings from the copies.
fn log_from_slots(bound: &Bound, facts: u32, slots: &[f64; SLOTS]) -> Result<()> {
    // What can fail first, before there is a usage to drop on the way out.
    let tokens_in = args::whole_number(slots[TOKENS_IN], "tokens_in")?;
    let tokens_out = args::whole_number(slots[TOKENS_OUT], "tokens_out")?;
    let cache_read_tokens = match facts & HAS_CACHE_READ {
        0 => None,
        _ => Some(args::whole_number(slots[CACHE_READ_TOKENS], "cache_read_tokens")?),
    };
    let reasoning_tokens = match facts & HAS_REASONING {
        0 => None,
        _ => Some(args::whole_number(slots[REASONING_TOKENS], "reasoning_tokens")?),
    };
    let previous = bound.previous.borrow();
    let mut usage = kissmon::LlmUsage::new(previous.model.as_str(), previous.feature.as_str(), tokens_in, tokens_out);
    if facts & HAS_LATENCY != 0 {
        usage = usage.latency_ms(slots[LATENCY_MS]);
    }
    if facts & HAS_PROVIDER != 0 {
        usage = usage.provider(previous.provider.as_str());
    }
    if facts & HAS_COST != 0 {
        usage = usage.cost_usd(slots[COST_USD]);
    }
    if let Some(tokens) = cache_read_tokens {
        usage = usage.cache_read_tokens(tokens);
    }
    if let Some(tokens) = reasoning_tokens {
        usage = usage.reasoning_tokens(tokens);
    }
    if facts & HAS_OK != 0 {
        usage = usage.ok(facts & OK_TRUE != 0);
    }
    Ok(bound.client.log_llm_usage(usage)?)
}

/// Any other call: each value from its slot or its argument, as `facts` says.
#[inline(never)]
fn log_from_arguments(
    bound: &Bound,
    facts: u32,
    slots: &[f64; SLOTS],
    env: sys::napi_env,
    argv: &[sys::napi_value; ARGUMENTS.len()],
) -> Result<()> {
    // SAFETY: each value is a live argument of the current call, or `undefined`.
    let arg = |index: usize| unsafe { Unknown::from_raw_unchecked(env, argv[index]) };
    if facts & USAGE_IS_OBJECT == 0 {
        return log_checking_everything(&bound.client, arg);
    }
    // A whole number from its slot or its argument, as `facts` says.
    let whole = |in_slot: u32, slot: usize, index: usize, argument: &'static str| {
        if facts & in_slot != 0 {
            args::whole_number(slots[slot], argument)
        } else {
            args::whole(arg(index), argument)
        }
    };
    let number = |in_slot: u32, slot: usize, index: usize, argument: &'static str| {
        if facts & in_slot != 0 {
            Ok(slots[slot])
        } else {
            args::number(arg(index), argument)
        }
    };
    let mut previous = bound.previous.borrow_mut();
    let previous = &mut *previous;
    // The copies are refreshed before anything can fail, as index.js does.
    let model = if facts & SAME_MODEL == 0 { refresh(arg(1), "model", &mut previous.model) } else { Ok(()) };
    let feature = if facts & SAME_FEATURE == 0 { refresh(arg(2), "feature", &mut previous.feature) } else { Ok(()) };
    let provider = match facts & (HAS_PROVIDER | SAME_PROVIDER) {
        HAS_PROVIDER => refresh(arg(6), "provider", &mut previous.provider),
        _ => Ok(()),
    };
    model?;
    feature?;
    let mut usage = kissmon::LlmUsage::new(
        previous.model.as_str(),
        previous.feature.as_str(),
        whole(TOKENS_IN_IN_SLOT, TOKENS_IN, 3, "tokens_in")?,
        whole(TOKENS_OUT_IN_SLOT, TOKENS_OUT, 4, "tokens_out")?,
    );
    if facts & HAS_LATENCY != 0 {
        usage = usage.latency_ms(number(LATENCY_IN_SLOT, LATENCY_MS, 5, "latency_ms")?);
    }
    if facts & HAS_PROVIDER != 0 {
        provider?;
        usage = usage.provider(previous.provider.as_str());
    }
    if facts & HAS_COST != 0 {
        usage = usage.cost_usd(number(COST_IN_SLOT, COST_USD, 7, "cost_usd")?);
    }
    if facts & HAS_CACHE_READ != 0 {
        usage = usage.cache_read_tokens(whole(CACHE_READ_IN_SLOT, CACHE_READ_TOKENS, 8, "cache_read_tokens")?);
    }
    if facts & HAS_REASONING != 0 {
        usage = usage.reasoning_tokens(whole(REASONING_IN_SLOT, REASONING_TOKENS, 9, "reasoning_tokens")?);
    }
    if facts & HAS_OK != 0 {
        let ok = if facts & OK_IN_FACTS != 0 { facts & OK_TRUE != 0 } else { args::boolean(arg(10), "ok")? };
        usage = usage.ok(ok);
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
#[inline(never)]
fn log_checking_everything<'env>(client: &kissmon::MonitorClient, arg: impl Fn(usize) -> Unknown<'env>) -> Result<()> {
    let (mut model, mut feature, mut provider) = (StringBuffer::new(), StringBuffer::new(), StringBuffer::new());
    args::object(arg(0), "usage")?;
    let mut usage = kissmon::LlmUsage::new(
        args::string_in(arg(1), "model", &mut model)?,
        args::string_in(arg(2), "feature", &mut feature)?,
        args::whole(arg(3), "tokens_in")?,
        args::whole(arg(4), "tokens_out")?,
    );
    if let Some(value) = args::opt_number(arg(5), "latency_ms")? {
        usage = usage.latency_ms(value);
    }
    if let Some(value) = args::opt_string_in(arg(6), "provider", &mut provider)? {
        usage = usage.provider(value);
    }
    if let Some(value) = args::opt_number(arg(7), "cost_usd")? {
        usage = usage.cost_usd(value);
    }
    if let Some(value) = args::opt_whole(arg(8), "cache_read_tokens")? {
        usage = usage.cache_read_tokens(value);
    }
    if let Some(value) = args::opt_whole(arg(9), "reasoning_tokens")? {
        usage = usage.reasoning_tokens(value);
    }
    if let Some(value) = args::opt_boolean(arg(10), "ok")? {
        usage = usage.ok(value);
    }
    Ok(client.log_llm_usage(usage)?)
}
