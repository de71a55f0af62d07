//! The monitor's line framing (`kissmon_server::ingest::LineBuffer`) on
//! arbitrary bytes split into arbitrary reads. The input is a script: a
//! control byte, then either that many bytes as one read, or (control byte
//! 0xF0 and up) one byte repeated in a burst of 8 to 128 KiB, so that lines
//! past the 64 KiB limit are reached.
//!
//! Checked against the bytes split at every `\n`: each line within the limit
//! comes out whole and in order; a longer one comes out whole or is counted
//! once as too long, never cut or merged; what is left at the end is the
//! unterminated tail; and the buffer never holds much more than one line.
#![no_main]

use kissmon_server::ingest::{LineBuffer, MAX_PARTIAL_LINE};
use libfuzzer_sys::fuzz_target;

/// The most memory a buffer may hold between reads: a line at the limit, with slack.
const MAX_HELD: usize = 2 * MAX_PARTIAL_LINE + 1024;

/// Bursts stop once the reads hold this much, so that one input stays fast.
const MAX_STREAM: usize = 512 * 1024;

fn reads(script: &[u8]) -> Vec<Vec<u8>> {
    let mut reads = Vec::new();
    let mut total = 0;
    let mut rest = script;
    while let Some((&control, tail)) = rest.split_first() {
        if control >= 0xF0 {
            let Some((&byte, tail)) = tail.split_first() else { break };
            let burst = (usize::from(control - 0xF0) + 1) * 8 * 1024;
            if total + burst <= MAX_STREAM {
                reads.push(vec![byte; burst]);
                total += burst;
            }
            rest = tail;
        } else {
            let n = (usize::from(control) % 64 + 1).min(tail.len());
            reads.push(tail[..n].to_vec());
            total += n;
            rest = &tail[n..];
        }
    }
    reads
}

fuzz_target!(|script: &[u8]| {
    let reads = reads(script);
    let mut buffer = LineBuffer::default();
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let mut too_long = 0usize;
    for read in &reads {
        if buffer.feed(read, |line| lines.push(line.to_vec())) {
            too_long += 1;
        }
        buffer.release_if_empty();
        assert!(buffer.held() <= MAX_HELD, "the buffer holds {} bytes", buffer.held());
    }
    let tail = buffer.unterminated();

    let stream: Vec<u8> = reads.concat();
    let mut segments: Vec<&[u8]> = stream.split(|&b| b == b'\n').collect();
    let last = segments.pop().expect("split gives at least one segment");
    let mut out = lines.iter();
    let mut skipped = 0;
    for segment in segments {
        if segment.len() <= MAX_PARTIAL_LINE {
            assert_eq!(out.next().map(Vec::as_slice), Some(segment), "a line within the limit comes out whole");
        } else if out.as_slice().first().is_some_and(|line| line.as_slice() == segment) {
            out.next();
        } else {
            skipped += 1;
        }
    }
    assert!(out.next().is_none(), "no line comes out that was not sent");
    // The unterminated tail is kept unless it already grew past the limit (then counted too).
    match tail {
        Some(tail) => {
            assert_eq!(tail, last, "the unterminated tail");
            assert_eq!(too_long, skipped);
        }
        None => {
            assert!(last.is_empty() || last.len() > MAX_PARTIAL_LINE, "a short tail is kept");
            assert!(too_long == skipped || (too_long == skipped + 1 && last.len() > MAX_PARTIAL_LINE));
        }
    }
});
