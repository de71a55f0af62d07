package kissmon

// Per-call cost of Heartbeat and LogLLMUsage against a stuck monitor (it
// accepts and never reads; the socket is full and the queue folds), next to
// a bare cgo call. Run:
//
//	go test -run '^$' -bench . -benchmem
//
// BenchmarkLatency times every call and reports p50, p99 and p99.9; the run
// ends with a table of them side by side (target: p50 <= 300 ns).

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const p50Target = 300 // ns

var benchUsage = LLMUsage{Model: "gpt-4o-mini", Feature: "jokes", TokensIn: 145, TokensOut: 87,
	LatencyMs: Ptr(1850.0), Provider: Ptr("openai")}

// stuckClient returns a client whose monitor accepts and never reads, once
// its socket is full and its queue folds into aggregates.
func stuckClient(b *testing.B) *Client {
	m := startTestMonitor(b)
	m.stopReading()
	client := newTestClient(b, m.path)
	quiet, lastSent := 0, ^uint64(0)
	for deadline := time.Now().Add(10 * time.Second); quiet < 5; {
		if time.Now().After(deadline) {
			b.Fatalf("the monitor's socket never filled: %+v", client.Stats())
		}
		for range 5000 {
			client.LogLLMUsage(benchUsage)
			client.Heartbeat()
		}
		time.Sleep(10 * time.Millisecond)
		stats := client.Stats()
		if stats.Connected && stats.Coalesced > 0 && stats.Sent == lastSent {
			quiet++
		} else {
			quiet = 0
		}
		lastSent = stats.Sent
	}
	return client
}

func BenchmarkCgoCall(b *testing.B) {
	for b.Loop() {
		abiV1()
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
		{"clock", func(*Client) {}},
		{"cgo_call", func(*Client) { abiV1() }},
		{"Heartbeat", (*Client).Heartbeat},
		{"LogLLMUsage", func(c *Client) { c.LogLLMUsage(benchUsage) }},
	}
	for _, bench := range calls {
		b.Run(bench.name, func(b *testing.B) {
			client := stuckClient(b)
			samples := make([]int32, 0, b.N)
			b.ResetTimer()
			for range b.N {
				started := time.Now()
				bench.call(client)
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
	os.Exit(code)
}

func printLatencyTable() {
	base := latencies["cgo_call"].p50
	fmt.Printf("\nper-call latency, stuck monitor (ns; target p50 <= %d)\n", p50Target)
	fmt.Printf("%-12s %8s %8s %8s %14s %12s\n", "call", "p50", "p99", "p99.9", "p50/cgo_call", "p50/target")
	for _, name := range []string{"clock", "cgo_call", "Heartbeat", "LogLLMUsage"} {
		r, ok := latencies[name]
		if !ok {
			continue
		}
		ratio := "-"
		if base > 0 {
			ratio = fmt.Sprintf("%.2f", r.p50/base)
		}
		fmt.Printf("%-12s %8.0f %8.0f %8.0f %14s %12.2f\n", name, r.p50, r.p99, r.p999, ratio, r.p50/p50Target)
	}
	fmt.Println(strings.Repeat("-", 68))
}
