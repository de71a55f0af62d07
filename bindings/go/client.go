// Package kissmon reports a Go bot to the kissmon monitor: register,
// heartbeats, LLM usage, unregister. It is cgo over libkissmon, the C
// library of the Rust core, which owns the protocol, the validation and the
// queue.
//
// No method waits on the monitor except Flush and Close, and those never
// past their context's deadline. An absent, slow, stuck or restarting
// monitor is never an error: calls queue in memory, one background thread
// owns the connection, and what cannot wait is folded or counted in Stats.
//
// A Client is safe for use by many goroutines at once.
package kissmon

/*
#include <stdlib.h>
#include "glue.h"
*/
import "C"

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// The library's defaults, read from it so that every language has the same.
var (
	// DefaultTimeout bounds Close when its context has no deadline (2 s).
	DefaultTimeout = time.Duration(C.kissmon_default_close_timeout_ms()) * time.Millisecond
	// DefaultFlushTimeout bounds Flush when its context has no deadline (1 s).
	DefaultFlushTimeout = time.Duration(C.kissmon_default_flush_timeout_ms()) * time.Millisecond
)

// waitSlice is how often a waiting Flush or Close looks at its context.
const waitSlice = 50 * time.Millisecond

// Client reports one bot to the monitor. Make it with New; call Close when
// the bot stops (a dropped Client is freed by the garbage collector without
// waiting, giving the library's background sender 2 s to deliver).
type Client struct {
	ptr *C.kissmon_client

	heartbeatMu   sync.Mutex
	heartbeatStop chan struct{}
	heartbeatDone chan struct{}
}

type options struct {
	socketPath        *string
	pid               *int
	queueCapacity     *int
	maxAggregates     *int
	heartbeatInterval *time.Duration
}

// Option sets up a Client in New.
type Option func(*options)

// WithSocketPath sets where the monitor listens. Default: $KISSBOT_MONITOR_SOCKET, else /tmp/kissbot_monitor.sock.
func WithSocketPath(path string) Option { return func(o *options) { o.socketPath = &path } }

// WithPID sets the pid to report (1..=2147483647). Default: this process.
func WithPID(pid int) Option { return func(o *options) { o.pid = &pid } }

// WithQueueCapacity sets how many LLM usage reports may wait before more
// fold into per-(model, feature, provider, ok) aggregates. Default 1024.
func WithQueueCapacity(n int) Option { return func(o *options) { o.queueCapacity = &n } }

// WithMaxAggregates bounds the distinct aggregates once the queue is full;
// past it, reports are dropped and counted in Stats.Dropped. Default 256.
func WithMaxAggregates(n int) Option { return func(o *options) { o.maxAggregates = &n } }

// WithHeartbeatInterval sets the heartbeat interval announced on Register
// (StartHeartbeat announces its own). Default 30 s.
func WithHeartbeatInterval(d time.Duration) Option {
	return func(o *options) { o.heartbeatInterval = &d }
}

// New makes a client for channel. No I/O happens here: an absent monitor is
// not an error. A bad argument gives an *ArgumentError naming it.
func New(channel string, opts ...Option) (*Client, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	// The options struct is Go memory holding C strings, as cgo requires.
	var copts C.kissmon_options
	if o.socketPath != nil {
		if strings.IndexByte(*o.socketPath, 0) >= 0 {
			// A C path cannot hold NUL (Go's os package refuses it the same way).
			return nil, &ArgumentError{Argument: "socket_path", Message: "invalid argument `socket_path`: contains a NUL byte"}
		}
		path := C.CString(*o.socketPath)
		defer C.free(unsafe.Pointer(path))
		copts.socket_path = path
	}
	if o.pid != nil {
		copts.has_pid, copts.pid = true, C.int64_t(*o.pid)
	}
	if o.queueCapacity != nil {
		copts.has_queue_capacity, copts.queue_capacity = true, C.int64_t(*o.queueCapacity)
	}
	if o.maxAggregates != nil {
		copts.has_max_aggregates, copts.max_aggregates = true, C.int64_t(*o.maxAggregates)
	}
	if o.heartbeatInterval != nil {
		copts.has_heartbeat_interval, copts.heartbeat_interval_s = true, C.double(o.heartbeatInterval.Seconds())
	}
	lang := C.CString("go")
	defer C.free(unsafe.Pointer(lang))
	copts.sdk_lang = lang // sdk.version: the library's version

	channelPtr, channelLen := cString(channel)
	var ptr *C.kissmon_client
	if result := C.kissmon_go_client_new(channelPtr, channelLen, &copts, &ptr); result.status != C.KISSMON_STATUS_OK {
		return nil, failure(result)
	}
	c := &Client{ptr: ptr}
	runtime.AddCleanup(c, func(ptr *C.kissmon_client) { C.kissmon_client_free(ptr) }, ptr)
	return c, nil
}

// Register announces the bot with its features. The registration is
// replayed first on every new connection, so a restarted monitor learns of
// the bot without the bot doing anything.
func (c *Client) Register(features map[string]bool) error {
	// All names in one buffer, with their lengths: no C allocation, no Go
	// pointers inside the memory passed to C.
	size := 0
	for name := range features {
		size += len(name)
	}
	names := make([]byte, 0, size)
	lens := make([]C.size_t, 0, len(features))
	enabled := make([]C.bool, 0, len(features))
	for name, on := range features {
		names = append(names, name...)
		lens = append(lens, C.size_t(len(name)))
		enabled = append(enabled, C.bool(on))
	}
	var namesPtr *C.char
	if len(names) > 0 {
		namesPtr = (*C.char)(unsafe.Pointer(&names[0]))
	}
	var lensPtr *C.size_t
	var enabledPtr *C.bool
	if len(lens) > 0 {
		lensPtr, enabledPtr = &lens[0], &enabled[0]
	}
	result := C.kissmon_go_register(c.ptr, namesPtr, lensPtr, enabledPtr, C.size_t(len(lens)))
	runtime.KeepAlive(c)
	if result.status != C.KISSMON_STATUS_OK {
		return failure(result)
	}
	return nil
}

// Heartbeat reports that the bot is alive. It never blocks and never fails:
// at most one heartbeat waits, more are coalesced.
func (c *Client) Heartbeat() {
	C.kissmon_client_heartbeat(c.ptr)
	runtime.KeepAlive(c)
}

func (c *Client) heartbeatWithLag(lag time.Duration) {
	C.kissmon_client_heartbeat_with_lag(c.ptr, C.double(float64(lag)/float64(time.Millisecond)))
	runtime.KeepAlive(c)
}

// LogLLMUsage reports one LLM call. It never blocks: when the queue is full
// the call is folded into an aggregate, and past the aggregate bound dropped
// and counted. Only a bad field is an error (*ArgumentError).
func (c *Client) LogLLMUsage(u LLMUsage) error {
	var set C.unsigned
	var latency, cost C.double
	var cacheRead, reasoning C.int64_t
	var ok C.bool
	if u.LatencyMs != nil {
		set, latency = set|C.KISSMON_GO_LATENCY, C.double(*u.LatencyMs)
	}
	if u.CacheReadTokens != nil {
		set, cacheRead = set|C.KISSMON_GO_CACHE_READ, C.int64_t(*u.CacheReadTokens)
	}
	if u.ReasoningTokens != nil {
		set, reasoning = set|C.KISSMON_GO_REASONING, C.int64_t(*u.ReasoningTokens)
	}
	if u.CostUSD != nil {
		set, cost = set|C.KISSMON_GO_COST, C.double(*u.CostUSD)
	}
	if u.OK != nil {
		set, ok = set|C.KISSMON_GO_OK, C.bool(*u.OK)
	}
	model, modelLen := cString(u.Model)
	feature, featureLen := cString(u.Feature)
	var provider *C.char
	var providerLen C.size_t
	if u.Provider != nil {
		provider, providerLen = cString(*u.Provider)
	}
	result := C.kissmon_go_log_llm_usage(c.ptr, model, modelLen, feature, featureLen, provider, providerLen,
		C.int64_t(u.TokensIn), C.int64_t(u.TokensOut), set, latency, cacheRead, reasoning, cost, ok)
	runtime.KeepAlive(c)
	runtime.KeepAlive(u)
	if result.status != C.KISSMON_STATUS_OK {
		return failure(result)
	}
	return nil
}

// Unregister says the bot is leaving and stops the periodic heartbeat.
// Later reconnects replay nothing until the next Register.
func (c *Client) Unregister() {
	C.kissmon_client_unregister(c.ptr)
	runtime.KeepAlive(c)
	c.endTimer()
}

// Flush waits until every call made so far is written to the monitor, the
// context is done, or (without a deadline) DefaultFlushTimeout passed. It returns
// nil when everything was written, else an error wrapping ErrNotDelivered
// (and the context's error when the context ended). What was not written
// stays queued.
func (c *Client) Flush(ctx context.Context) error {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultFlushTimeout)
	}
	for {
		wait := min(max(time.Until(deadline), 0), waitSlice)
		status := C.kissmon_client_flush(c.ptr, millis(wait))
		runtime.KeepAlive(c)
		if status == C.KISSMON_STATUS_OK {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%w: %w", ErrNotDelivered, err)
		}
		if !time.Now().Before(deadline) {
			if ok {
				return fmt.Errorf("%w: %w", ErrNotDelivered, context.DeadlineExceeded)
			}
			return fmt.Errorf("%w within %v", ErrNotDelivered, DefaultFlushTimeout)
		}
	}
}

// Close stops the heartbeat, unregisters if registered, waits until
// everything is written or the context's deadline (DefaultTimeout without
// one), and stops the library's sender. It returns nil when everything was
// written, else an error wrapping ErrNotDelivered; what was left is then
// counted in Stats.Dropped. Close waits in one library call, so a context
// cancelled while it waits is noticed only at its deadline. Calls after
// Close are ignored and counted as dropped; closing again returns at once.
func (c *Client) Close(ctx context.Context) error {
	defer c.endTimer()
	deadline, hasDeadline := ctx.Deadline()
	timeout := DefaultTimeout
	if hasDeadline {
		timeout = max(time.Until(deadline), 0)
	}
	if ctx.Err() != nil {
		timeout = 0
	}
	status := C.kissmon_client_close(c.ptr, millis(timeout))
	runtime.KeepAlive(c)
	switch {
	case status == C.KISSMON_STATUS_OK:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("%w: %w", ErrNotDelivered, ctx.Err())
	case hasDeadline:
		return fmt.Errorf("%w: %w", ErrNotDelivered, context.DeadlineExceeded)
	default:
		return fmt.Errorf("%w within %v", ErrNotDelivered, DefaultTimeout)
	}
}

// millis rounds d up to whole milliseconds, so a wait never ends early.
func millis(d time.Duration) C.uint64_t {
	return C.uint64_t((d + time.Millisecond - 1) / time.Millisecond)
}

// Stats are the counters of a client.
type Stats struct {
	Queued     uint64 // lines waiting to be written now
	Sent       uint64 // lines written to the monitor, registration replays included
	Dropped    uint64 // calls that will never be written (past the aggregate bound, after Close, or left at Close's deadline)
	Coalesced  uint64 // calls merged into another line: heartbeats, and LLM usage folded into aggregates
	Reconnects uint64 // connections made after the first
	Acked      uint64 // LLM usage lines the monitor acknowledged as stored (protocol 1.1)
	Unacked    uint64 // LLM usage lines written and waiting for an ack, kept to be written again after a reconnect
	Resent     uint64 // lines written again after a reconnect because they were not acknowledged (not in Sent)
	Connected  bool   // whether the client holds a connection now
	AcksActive bool   // whether the monitor on this connection acknowledges; false against a v1 monitor
	LastError  string // the latest connection or write problem, "" if none
}

// Stats returns a snapshot of the client's counters.
func (c *Client) Stats() Stats {
	var s C.kissmon_stats
	C.kissmon_client_stats(c.ptr, &s)
	runtime.KeepAlive(c)
	return Stats{
		Queued:     uint64(s.queued),
		Sent:       uint64(s.sent),
		Dropped:    uint64(s.dropped),
		Coalesced:  uint64(s.coalesced),
		Reconnects: uint64(s.reconnects),
		Acked:      uint64(s.acked),
		Unacked:    uint64(s.unacked),
		Resent:     uint64(s.resent),
		Connected:  bool(s.connected),
		AcksActive: bool(s.acks_active),
		LastError:  C.GoString(&s.last_error[0]),
	}
}

// Warnings returns the connection events since the last call (connected,
// lost the connection and why, cannot connect...), oldest first, for bots
// that log them. At most 32 are kept.
func (c *Client) Warnings() []string {
	var text *C.char
	C.kissmon_client_take_warnings(c.ptr, &text)
	runtime.KeepAlive(c)
	if text == nil {
		return nil
	}
	defer C.kissmon_string_free(text)
	return strings.Split(C.GoString(text), "\n")
}
