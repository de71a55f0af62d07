//! Acks on one connection (protocol 1.1): once its client asked on a
//! register line, the reader follows the instance's stored mark (published by
//! the writer after each commit, see `store::acks`) and writes
//! `{"type":"ack","seq":N}` lines back. Only for clients that asked; never a
//! wait: a client that does not read its acks gets the latest mark when its
//! socket takes bytes again (acks are cumulative, so older ones are skipped).

use crate::counters::{Counter, Counters};
use kissmon::Ack;
use tokio::net::UnixStream;
use tokio::sync::watch;

pub(super) struct AckWriter {
    updates: watch::Receiver<u64>,
    /// The ack line being written, and how much of it is.
    line: Vec<u8>,
    pos: usize,
    /// A newer mark to write once `line` is out.
    next: Option<u64>,
    written: u64,
    /// The socket took nothing last time: wait until it is writable.
    pub(super) blocked: bool,
}

impl AckWriter {
    /// Starts with what is stored now: the answer to the register line.
    pub(super) fn new(mut updates: watch::Receiver<u64>) -> AckWriter {
        let now = *updates.borrow_and_update();
        AckWriter { updates, line: Vec::new(), pos: 0, next: Some(now), written: 0, blocked: false }
    }

    /// Waits for the writer to publish a new mark; `false` when it never will.
    pub(super) async fn changed(writer: &mut Option<AckWriter>) -> bool {
        match writer {
            Some(writer) => writer.updates.changed().await.is_ok(),
            None => std::future::pending().await,
        }
    }

    pub(super) fn take_update(&mut self) {
        let mark = *self.updates.borrow_and_update();
        if mark > self.written {
            self.next = Some(mark);
        }
    }

    /// Writes what the socket takes now, without waiting.
    pub(super) fn write(&mut self, stream: &UnixStream, counters: &Counters) {
        self.blocked = false;
        loop {
            if self.pos == self.line.len() {
                let Some(mark) = self.next.take() else { return };
                self.line = Ack { seq: mark }.line().into_bytes();
                self.pos = 0;
                self.written = mark;
            }
            match stream.try_write(&self.line[self.pos..]) {
                Ok(0) => return,
                Ok(n) => {
                    self.pos += n;
                    if self.pos == self.line.len() {
                        counters.add(Counter::acks_written, 1);
                    }
                }
                Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {
                    self.blocked = true;
                    return;
                }
                // The reader sees the broken connection on its next read.
                Err(_) => return,
            }
        }
    }
}
