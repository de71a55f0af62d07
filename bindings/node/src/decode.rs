//! `decodeLine`: the core's decoder, for monitors written in JS and for the
//! conformance corpus.

use crate::args;
use crate::errors::js;
use napi::{Env, Unknown};
use napi_derive::napi;

/// Decodes one protocol line and returns its canonical JSON text (index.js
/// parses it). A rejected line throws an Error with `.errorClass` and `.field`.
#[napi(ts_args_type = "line: string | Uint8Array")]
pub fn decode_line(env: Env, line: Unknown) -> napi::Result<String> {
    js(&env, || {
        let message = kissmon::decode_line(&args::line_bytes(line, "line")?)?;
        let mut text = kissmon::encode_line(&message);
        text.pop();
        Ok(text)
    })
}
