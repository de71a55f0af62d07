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
// a heartbeat now, then one every interval from a goroutine. Each carries
// lag_ms, how late it fired against its schedule, so a wedged program shows
// as late beats. Replaces a running heartbeat. A non-positive interval gives
// an *ArgumentError ("interval").
func (c *Client) StartHeartbeat(interval time.Duration) error {
	result := C.kissmon_go_announce(c.ptr, C.double(interval.Seconds()))
	runtime.KeepAlive(c)
	if result.status != C.KISSMON_STATUS_OK {
		return failure(result)
	}
	c.heartbeatMu.Lock()
	defer c.heartbeatMu.Unlock()
	c.stopHeartbeatLocked()
	stop, done := make(chan struct{}), make(chan struct{})
	c.heartbeatStop, c.heartbeatDone = stop, done
	c.heartbeatWithLag(0)
	go c.beat(interval, stop, done)
	return nil
}

// StopHeartbeat stops the periodic heartbeat; no beat is sent after it returns.
func (c *Client) StopHeartbeat() {
	c.heartbeatMu.Lock()
	defer c.heartbeatMu.Unlock()
	c.stopHeartbeatLocked()
}

func (c *Client) stopHeartbeatLocked() {
	if c.heartbeatStop != nil {
		close(c.heartbeatStop)
		<-c.heartbeatDone
		c.heartbeatStop, c.heartbeatDone = nil, nil
	}
}

// beat sends a heartbeat at each scheduled time. A beat that fires late
// says by how much; beats missed while the program was wedged are skipped.
func (c *Client) beat(interval time.Duration, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	next := time.Now().Add(interval)
	timer := time.NewTimer(interval)
	defer timer.Stop()
	for {
		select {
		case <-stop:
			return
		case <-timer.C:
			now := time.Now()
			c.heartbeatWithLag(max(now.Sub(next), 0))
			next = next.Add(interval)
			if !next.After(now) {
				next = now.Add(interval)
			}
			timer.Reset(time.Until(next))
		}
	}
}
