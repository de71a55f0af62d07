//! `kissmon::decode_line` on arbitrary bytes: it never panics, and whatever
//! it accepts is a message the encoder writes back as a line that decodes to
//! the same message (the canonical form is a fixed point).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|line: &[u8]| {
    match kissmon::decode_line(line) {
        Ok(message) => {
            let encoded = kissmon::encode_line(&message);
            let body = encoded.strip_suffix('\n').expect("an encoded line ends with a newline");
            assert!(!body.contains('\n'), "an encoded line holds one line: {encoded:?}");
            let again = kissmon::decode_line(body.as_bytes())
                .unwrap_or_else(|err| panic!("the encoding of an accepted line is refused ({err}): {encoded:?}"));
            assert_eq!(again, message, "{encoded:?}");
            assert_eq!(kissmon::encode_line(&again), encoded, "the canonical form is a fixed point");
        }
        Err(err) => {
            // Every refusal names its class and says something.
            assert!(kissmon::ErrorClass::ALL.contains(&err.class));
            assert!(!err.to_string().is_empty());
        }
    }
});
