package kissmon

// Per-call cost of Heartbeat and LogLLMUsage against a stuck monitor (it
// accepts and never reads; the socket is full and the queue folds), next to
// a bare cgo call and to the peer: what a datadog-go user writes for one LLM
// call (two tagged Counts and a Distribution, without client-side
// aggregation), sent to a UDP socket on loopback that never reads. Run:
//
//	go test -run '^$' -bench . -benchmem
//
// BenchmarkLatency times every call and reports p50, p99 and p99.9; the run
// ends with a table of them side by side (target: p50 <= 300 ns), and the
// ratio of LogLLMUsage to the peer from the same run.
// LogLLMUsage_all sets every optional field of the call.

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"
)

const p50Target = 300 // ns

// The same call as the core's benchmark (core/benches/client.rs), so the
// figures compare.
var benchUsage = LLMUsage{Model: "gpt-4", Feature: "jokes", TokensIn: 145, TokensOut: 87, LatencyMs: Ptr(1850.0)}

// Every optional field set: three strings to pass and copy instead of two.
var fullUsage = LLMUsage{Model: "gpt-4", Feature: "jokes", TokensIn: 145, TokensOut: 87, LatencyMs: Ptr(1850.0),
	Provider: Ptr("openai"), CacheReadTokens: Ptr(int64(10)), ReasoningTokens: Ptr(int64(5)), CostUSD: Ptr(0.01), OK: Ptr(true)}

var (
	stuckOnce    sync.Once
	stuck        *Client
	stuckMonitor *testMonitor
	stuckErr     error
)

// stuckClient returns the one client whose monitor accepts and never reads,
// once its socket is full and its queue folds into aggregates. It is shared
// by every benchmark (filling a socket takes a while) and closed in TestMain.
func stuckClient(b *testing.B) *Client {
	stuckOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kmbench")
		if err != nil {
			stuckErr = err
			return
		}
		if stuckMonitor, stuckErr = monitorAt(dir + "/m.sock"); stuckErr != nil {
			return
		}
		stuckMonitor.stopReading()
		if stuck, stuckErr = New("el_serda", WithSocketPath(stuckMonitor.path)); stuckErr != nil {
			return
		}
		quiet, lastSent := 0, ^uint64(0)
		for deadline := time.Now().Add(10 * time.Second); quiet < 5; {
			if time.Now().After(deadline) {
				stuckErr = fmt.Errorf("the monitor's socket never filled: %+v", stuck.Stats())
				return
			}
			for range 5000 {
				stuck.LogLLMUsage(benchUsage)
				stuck.Heartbeat()
			}
			time.Sleep(10 * time.Millisecond)
			stats := stuck.Stats()
			if stats.Connected && stats.Coalesced > 0 && stats.Sent == lastSent {
				quiet++
			} else {
				quiet = 0
			}
			lastSent = stats.Sent
		}
	})
	if stuckErr != nil {
		b.Fatal(stuckErr)
	}
	return stuck
}

var (
	peerOnce     sync.Once
	peer         *statsd.Client
	peerListener *net.UDPConn
	peerErr      error
	peerTags     = []string{"model:gpt-4", "feature:jokes"}
)

// peerClient returns the datadog-go client, sending to a UDP socket that
// never reads (the kernel drops what does not fit, as for a stuck agent).
func peerClient(b *testing.B) *statsd.Client {
	peerOnce.Do(func() {
		if peerListener, peerErr = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); peerErr != nil {
			return
		}
		peer, peerErr = statsd.New(peerListener.LocalAddr().String(), statsd.WithoutClientSideAggregation(),
			statsd.WithoutTelemetry())
	})
	if peerErr != nil {
		b.Fatal(peerErr)
	}
	return peer
}

// peerLLMCall is what a datadog-go user writes for one LLM call.
func peerLLMCall(c *statsd.Client, u LLMUsage) {
	_ = c.Count("llm.tokens_in", u.TokensIn, peerTags, 1)
	_ = c.Count("llm.tokens_out", u.TokensOut, peerTags, 1)
	_ = c.Distribution("llm.latency_ms", *u.LatencyMs, peerTags, 1)
}

func BenchmarkCgoCall(b *testing.B) {
	for b.Loop() {
		abiV2()
	}
}

func BenchmarkHeartbeat(b *testing.B) {
	client := stuckClient(b)
	b.ReportAllocs()
	for b.Loop() {
		client.Heartbeat()
	}
}

func BenchmarkLogLLMUsage(b *testing.B) {
	client := stuckClient(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := client.LogLLMUsage(benchUsage); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPeerDatadogLLMCall(b *testing.B) {
	client := peerClient(b)
	b.ReportAllocs()
	for b.Loop() {
		peerLLMCall(client, benchUsage)
	}
}

type percentiles struct{ p50, p99, p999 float64 }

var (
	latencyMu sync.Mutex
	latencies = map[string]percentiles{}
)

// BenchmarkLatency times each call on its own. The figures include one
// clock read (the "clock" row shows what that costs alone).
func BenchmarkLatency(b *testing.B) {
	calls := []struct {
		name string
		call func(*Client)
	}{
		{"clock", nil},
		{"cgo_call", func(*Client) { abiV2() }},
		{"Heartbeat", (*Client).Heartbeat},
		{"LogLLMUsage", func(c *Client) { c.LogLLMUsage(benchUsage) }},
		{"LogLLMUsage_all", func(c *Client) { c.LogLLMUsage(fullUsage) }},
	}
	for _, bench := range append(calls, struct {
		name string
		call func(*Client)
	}{"datadog-go_call", nil}) {
		b.Run(bench.name, func(b *testing.B) {
			var client *Client
			call := func(*Client) {}
			if bench.name == "datadog-go_call" {
				dd := peerClient(b)
				call = func(*Client) { peerLLMCall(dd, benchUsage) }
			} else if bench.call != nil {
				client, call = stuckClient(b), bench.call
			}
			samples := make([]int32, 0, b.N)
			b.ResetTimer()
			for range b.N {
				started := time.Now()
				call(client)
				samples = append(samples, int32(time.Since(started)))
			}
			b.StopTimer()
			slices.Sort(samples)
			at := func(q float64) float64 { return float64(samples[int(q*float64(len(samples)-1))]) }
			result := percentiles{at(0.50), at(0.99), at(0.999)}
			b.ReportMetric(result.p50, "p50-ns")
			b.ReportMetric(result.p99, "p99-ns")
			b.ReportMetric(result.p999, "p99.9-ns")
			latencyMu.Lock()
			latencies[bench.name] = result // the largest b.N runs last and stays
			latencyMu.Unlock()
		})
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if len(latencies) > 0 {
		printLatencyTable()
	}
	if len(paced) > 0 {
		printPacedTable()
	}
	if pacedClient != nil {
		pacedClient.Close(context.Background())
		pacedMonitor.down()
		os.RemoveAll(filepath.Dir(pacedMonitor.path))
		for _, peer := range pacedPeers {
			peer.Close()
		}
		pacedSink.Close()
	}
	if peer != nil {
		peer.Close()
		peerListener.Close()
	}
	if stuck != nil {
		fmt.Printf("stuck client after the benchmarks: %+v\n", stuck.Stats())
		stuck.Close(context.Background())
		stuckMonitor.down()
		os.RemoveAll(filepath.Dir(stuckMonitor.path))
	}
	os.Exit(code)
}

func printLatencyTable() {
	base := latencies["cgo_call"].p50
	fmt.Printf("\nper-call latency, stuck monitor (ns; target p50 <= %d)\n", p50Target)
	fmt.Printf("%-16s %8s %8s %8s %14s %12s\n", "call", "p50", "p99", "p99.9", "p50/cgo_call", "p50/target")
	for _, name := range []string{"clock", "cgo_call", "Heartbeat", "LogLLMUsage", "LogLLMUsage_all", "datadog-go_call"} {
		r, ok := latencies[name]
		if !ok {
			continue
		}
		ratio := "-"
		if base > 0 {
			ratio = fmt.Sprintf("%.2f", r.p50/base)
		}
		fmt.Printf("%-16s %8.0f %8.0f %8.0f %14s %12.2f\n", name, r.p50, r.p99, r.p999, ratio, r.p50/p50Target)
	}
	if ours, theirs := latencies["LogLLMUsage"].p50, latencies["datadog-go_call"].p50; ours > 0 && theirs > 0 {
		fmt.Printf("LogLLMUsage p50 / datadog-go (2 tagged Counts + a Distribution) p50: %.2f (%.2fx faster)\n",
			ours/theirs, theirs/ours)
	}
	fmt.Println(strings.Repeat("-", 72))
}

// The paced path, the one real bots take: one call every 200 µs, the monitor
// reading. Between two calls the sender has written everything; the core's
// sender lingers (spec/PROTOCOL.md 7.10), so a call does not wake it. The
// peer makes the same paced calls, datadog-go's Incr without client-side
// aggregation and with its defaults, to a UDP socket on loopback that reads.
// Each call is timed on its own (one clock read included). Run alone with:
//
//	go test -run '^$' -bench Paced

const pace = 200 * time.Microsecond

var (
	pacedOnce    sync.Once
	pacedClient  *Client
	pacedMonitor *testMonitor
	pacedPeers   map[string]*statsd.Client
	pacedSink    *net.UDPConn
	pacedErr     error
	paced        = map[string]pacedFigures{}
)

type pacedFigures struct{ p50, p99, p999, max float64 }

// pacedSetUp starts a reading monitor and a client connected to it, and the
// two datadog-go clients with a UDP sink that reads and discards.
func pacedSetUp(b *testing.B) {
	pacedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kmpaced")
		if err != nil {
			pacedErr = err
			return
		}
		if pacedMonitor, pacedErr = monitorAt(dir + "/m.sock"); pacedErr != nil {
			return
		}
		if pacedClient, pacedErr = New("el_serda", WithSocketPath(pacedMonitor.path)); pacedErr != nil {
			return
		}
		if pacedErr = pacedClient.Register(map[string]bool{"llm": true}); pacedErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := pacedClient.Flush(ctx); err != nil {
			pacedErr = fmt.Errorf("the reading monitor is not up: %w (%+v)", err, pacedClient.Stats())
			return
		}
		if pacedSink, pacedErr = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); pacedErr != nil {
			return
		}
		go func() {
			buf := make([]byte, 64*1024)
			for {
				if _, _, err := pacedSink.ReadFrom(buf); err != nil {
					return
				}
			}
		}()
		pacedPeers = map[string]*statsd.Client{}
		for name, options := range map[string][]statsd.Option{
			"datadog-go_Incr_no_aggregation": {statsd.WithoutClientSideAggregation(), statsd.WithoutTelemetry()},
			"datadog-go_Incr_default":        {statsd.WithoutTelemetry()},
		} {
			if pacedPeers[name], pacedErr = statsd.New(pacedSink.LocalAddr().String(), options...); pacedErr != nil {
				return
			}
		}
	})
	if pacedErr != nil {
		b.Fatal(pacedErr)
	}
}

func BenchmarkPaced(b *testing.B) {
	pacedSetUp(b)
	tags := []string{"channel:el_serda"}
	for _, bench := range []struct {
		name string
		call func()
	}{
		{"Heartbeat", func() { pacedClient.Heartbeat() }},
		{"LogLLMUsage", func() { pacedClient.LogLLMUsage(benchUsage) }},
		{"datadog-go_Incr_no_aggregation", func() { _ = pacedPeers["datadog-go_Incr_no_aggregation"].Incr("heartbeat", tags, 1) }},
		{"datadog-go_Incr_default", func() { _ = pacedPeers["datadog-go_Incr_default"].Incr("heartbeat", tags, 1) }},
	} {
		b.Run(bench.name, func(b *testing.B) {
			samples := make([]int64, 0, b.N)
			next := time.Now()
			for range b.N {
				next = next.Add(pace)
				time.Sleep(time.Until(next))
				started := time.Now()
				bench.call()
				samples = append(samples, int64(time.Since(started)))
			}
			slices.Sort(samples)
			at := func(q float64) float64 { return float64(samples[int(q*float64(len(samples)-1))]) }
			result := pacedFigures{at(0.50), at(0.99), at(0.999), float64(samples[len(samples)-1])}
			b.ReportMetric(result.p50, "p50-ns")
			b.ReportMetric(result.p999, "p99.9-ns")
			latencyMu.Lock()
			paced[bench.name] = result // the largest b.N runs last and stays
			latencyMu.Unlock()
		})
	}
}

func printPacedTable() {
	fmt.Printf("\nper-call latency, paced (one call every %v, monitor reads; ns)\n", pace)
	fmt.Printf("%-32s %8s %8s %8s %10s\n", "call", "p50", "p99", "p99.9", "max")
	for _, name := range []string{"Heartbeat", "LogLLMUsage", "datadog-go_Incr_no_aggregation", "datadog-go_Incr_default"} {
		if r, ok := paced[name]; ok {
			fmt.Printf("%-32s %8.0f %8.0f %8.0f %10.0f\n", name, r.p50, r.p99, r.p999, r.max)
		}
	}
	if ours, theirs := paced["Heartbeat"].p50, paced["datadog-go_Incr_no_aggregation"].p50; ours > 0 && theirs > 0 {
		fmt.Printf("Heartbeat p50 / datadog-go Incr (no aggregation) p50: %.2f (target <= 1)\n", ours/theirs)
	}
	if ours, theirs := paced["Heartbeat"].p50, paced["datadog-go_Incr_default"].p50; ours > 0 && theirs > 0 {
		fmt.Printf("Heartbeat p50 / datadog-go Incr (default) p50: %.2f\n", ours/theirs)
	}
	if pacedClient != nil {
		fmt.Printf("paced client after the benchmarks: %+v\n", pacedClient.Stats())
	}
	fmt.Println(strings.Repeat("-", 72))
}
