//! The periodic heartbeat's schedule, the one every binding uses: the
//! interval, when the next beat is due, how late a beat fired, and the
//! catch-up rule after a stall. It runs under the client's mutex and does no
//! I/O.
//!
//! A schedule is driven either by the core's sender thread or by the host:
//! a binding whose heartbeat must show its event loop's lag (Python's
//! asyncio, Node's timers, a Go goroutine) runs a timer on that loop and
//! calls [`MonitorClient::heartbeat_tick`](super::MonitorClient::heartbeat_tick)
//! when it fires. Either way the schedule lives here, so unregister, close,
//! stop, a replacing start and fork end it the same way in every language.

use std::time::{Duration, Instant};

/// Host timers are coarse (Node's fire on whole milliseconds): a tick this
/// close before the due time is the beat, on time, not an early wake-up.
pub(super) const HOST_TIMER_SLACK: Duration = Duration::from_millis(1);

/// Who fires a schedule's beats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Driver {
    /// The core's sender thread.
    Sender,
    /// The host's event loop, through `heartbeat_tick` with this schedule's id.
    Host(u64),
}

/// A running periodic heartbeat.
#[derive(Debug)]
pub(super) struct Schedule {
    pub(super) driver: Driver,
    every: Duration,
    /// When the next beat is due.
    pub(super) due: Instant,
}

impl Schedule {
    /// A schedule whose first beat is due now.
    pub(super) fn new(driver: Driver, every: Duration, now: Instant) -> Schedule {
        Schedule { driver, every, due: now }
    }

    /// How long until the next beat is due, zero when it is.
    pub(super) fn due_in(&self, now: Instant) -> Duration {
        self.due.saturating_duration_since(now)
    }

    /// When a beat is due at `now`: returns how late it fired and moves the
    /// schedule on by one interval. A beat that fell a whole interval or more
    /// behind restarts the schedule from now: beats missed while the host
    /// was stalled are missing, not replayed in a burst.
    pub(super) fn fire(&mut self, now: Instant) -> Option<Duration> {
        let slack = match self.driver {
            Driver::Sender => Duration::ZERO,
            Driver::Host(_) => HOST_TIMER_SLACK,
        };
        if now + slack < self.due {
            return None;
        }
        let lag = now.saturating_duration_since(self.due);
        self.due = match self.due.checked_add(self.every) {
            Some(next) if next > now => next,
            // A whole interval behind (or an interval past the clock's range).
            _ => now.checked_add(self.every).unwrap_or(now + super::FAR_AWAY),
        };
        Some(lag)
    }
}

/// The heartbeat side of a client's state: the interval it announces and the
/// schedule, if one runs.
#[derive(Debug)]
pub(super) struct Heartbeat {
    /// The interval announced on register (`heartbeat_interval_s`).
    pub(super) announced: Duration,
    pub(super) schedule: Option<Schedule>,
    /// The id the next host-driven schedule gets; ids are never reused, so a
    /// stale timer of a replaced schedule can never beat.
    next_host_id: u64,
}

impl Heartbeat {
    pub(super) fn new(announced: Duration) -> Heartbeat {
        Heartbeat { announced, schedule: None, next_host_id: 1 }
    }

    pub(super) fn start(&mut self, host: bool, every: Duration, now: Instant) -> Driver {
        let driver = if host {
            let id = self.next_host_id;
            self.next_host_id += 1;
            Driver::Host(id)
        } else {
            Driver::Sender
        };
        self.schedule = Some(Schedule::new(driver, every, now));
        driver
    }

    pub(super) fn stop(&mut self) {
        self.schedule = None;
    }

    /// The schedule the sender thread drives, if it drives one.
    pub(super) fn sender_driven(&mut self) -> Option<&mut Schedule> {
        self.schedule.as_mut().filter(|s| s.driver == Driver::Sender)
    }

    /// The host-driven schedule `id`, if it still runs.
    pub(super) fn host_driven(&mut self, id: u64) -> Option<&mut Schedule> {
        self.schedule.as_mut().filter(|s| s.driver == Driver::Host(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVERY: Duration = Duration::from_millis(100);

    #[test]
    fn beats_on_its_phase_when_less_than_an_interval_late() {
        let start = Instant::now();
        let mut schedule = Schedule::new(Driver::Sender, EVERY, start);
        assert_eq!(schedule.fire(start), Some(Duration::ZERO));
        assert_eq!(schedule.fire(start + Duration::from_millis(99)), None);
        let late = start + Duration::from_millis(130);
        assert_eq!(schedule.fire(late), Some(Duration::from_millis(30)));
        assert_eq!(schedule.due, start + 2 * EVERY, "the phase is kept");
    }

    #[test]
    fn restarts_from_now_after_a_stall_of_a_whole_interval() {
        let start = Instant::now();
        let mut schedule = Schedule::new(Driver::Host(1), EVERY, start);
        schedule.fire(start);
        let stalled = start + Duration::from_millis(450);
        assert_eq!(schedule.fire(stalled), Some(Duration::from_millis(350)));
        assert_eq!(schedule.due, stalled + EVERY, "one beat for the stall, then a fresh schedule");
        assert_eq!(schedule.fire(stalled + Duration::from_millis(50)), None, "no catch-up burst");
    }

    #[test]
    fn a_host_tick_within_the_timer_slack_is_on_time() {
        let start = Instant::now();
        let mut schedule = Schedule::new(Driver::Host(1), EVERY, start);
        schedule.fire(start);
        let early = start + EVERY - HOST_TIMER_SLACK / 2;
        assert_eq!(schedule.fire(early), Some(Duration::ZERO));
        assert_eq!(schedule.due, start + 2 * EVERY);
    }

    #[test]
    fn a_replaced_host_schedule_is_gone() {
        let now = Instant::now();
        let mut heartbeat = Heartbeat::new(EVERY);
        let Driver::Host(first) = heartbeat.start(true, EVERY, now) else { panic!("host-driven") };
        let Driver::Host(second) = heartbeat.start(true, EVERY, now) else { panic!("host-driven") };
        assert_ne!(first, second);
        assert!(heartbeat.host_driven(first).is_none());
        assert!(heartbeat.host_driven(second).is_some());
        assert!(heartbeat.sender_driven().is_none());
    }
}
