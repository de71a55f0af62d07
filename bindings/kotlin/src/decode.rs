//! `decodeLine`: the core's decoder, for monitors on the JVM and for the
//! conformance corpus.

use crate::error::NativeError;

/// Decodes one protocol line (its bytes, without the `\n`) and returns the
/// message as canonical JSON text: known fields only, `null` fields absent.
#[uniffi::export]
pub fn decode_line(line: Vec<u8>) -> Result<String, NativeError> {
    let message = kissmon::decode_line(&line)?;
    let mut text = kissmon::encode_line(&message);
    text.pop();
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_the_canonical_line_without_its_newline() {
        let text = decode_line(br#"{"pid":7,"type":"heartbeat","channel":"x","extra":1}"#.to_vec()).unwrap();
        assert_eq!(text, r#"{"type":"heartbeat","channel":"x","pid":7}"#);
    }
}
