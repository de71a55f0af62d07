package kissmon

/*
#include "glue.h"
*/
import "C"

import (
	"runtime"
	"time"
)

// StartHeartbeat announces interval as the bot's heartbeat interval, sends
// a heartbeat now, then one every interval. Each carries lag_ms, how late it
// fired against its schedule, so a wedged program shows as late beats.
// Replaces a running heartbeat. A non-positive interval gives an
// *ArgumentError ("interval"). Does nothing after Close.
//
// The schedule (when a beat is due, how late it is, what happens after a
// stall, Unregister or Close) is the library's; a goroutine only wakes it.
func (c *Client) StartHeartbeat(interval time.Duration) error {
	var schedule C.uint64_t
	result := C.kissmon_go_start_host_heartbeat(c.ptr, C.double(interval.Seconds()), &schedule)
	runtime.KeepAlive(c)
	if result.status != C.KISSMON_STATUS_OK {
		return failure(result)
	}
	c.heartbeatMu.Lock()
	defer c.heartbeatMu.Unlock()
	c.endTimerLocked()
	next, running := c.tick(schedule)
	if !running {
		return nil
	}
	stop, done := make(chan struct{}), make(chan struct{})
	c.heartbeatStop, c.heartbeatDone = stop, done
	go c.beat(schedule, next, stop, done)
	return nil
}

// StopHeartbeat stops the periodic heartbeat; no beat is sent after it returns.
func (c *Client) StopHeartbeat() {
	C.kissmon_client_stop_heartbeat(c.ptr)
	runtime.KeepAlive(c)
	c.endTimer()
}

func (c *Client) endTimer() {
	c.heartbeatMu.Lock()
	defer c.heartbeatMu.Unlock()
	c.endTimerLocked()
}

// endTimerLocked ends the goroutine of a schedule the library has ended
// (its next tick would end it too, but only when the interval is up).
func (c *Client) endTimerLocked() {
	if c.heartbeatStop != nil {
		close(c.heartbeatStop)
		<-c.heartbeatDone
		c.heartbeatStop, c.heartbeatDone = nil, nil
	}
}

// tick fires the library's schedule: it beats if one is due, and says how
// long until the next, or that the schedule ended.
func (c *Client) tick(schedule C.uint64_t) (time.Duration, bool) {
	var next C.int64_t
	C.kissmon_client_heartbeat_tick(c.ptr, schedule, &next)
	runtime.KeepAlive(c)
	return time.Duration(next), next >= 0
}

// beat wakes the library's schedule when each beat is due, until it ends.
func (c *Client) beat(schedule C.uint64_t, next time.Duration, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	timer := time.NewTimer(next)
	defer timer.Stop()
	for {
		select {
		case <-stop:
			return
		case <-timer.C:
			var running bool
			if next, running = c.tick(schedule); !running {
				return
			}
			timer.Reset(next)
		}
	}
}
