//! The one encoder: clients write lines with it, and the decoder's canonical
//! form is what it writes for a decoded message.

use crate::wire::Message;

/// Appends `message` as one line, `\n` included, to `out`.
pub fn encode_line_into(message: &Message, out: &mut Vec<u8>) {
    // Serializing these types cannot fail: every map key is a string and
    // every float is finite by validation.
    serde_json::to_writer(&mut *out, message).expect("protocol messages always serialize");
    out.push(b'\n');
}

/// `message` as one line, `\n` included.
pub fn encode_line(message: &Message) -> String {
    let mut out = Vec::with_capacity(160);
    encode_line_into(message, &mut out);
    String::from_utf8(out).expect("serde_json writes UTF-8")
}
