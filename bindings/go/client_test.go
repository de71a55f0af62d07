package kissmon

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func newTestClient(t testing.TB, socket string, opts ...Option) *Client {
	t.Helper()
	client, err := New("el_serda", append([]Option{WithSocketPath(socket), WithPID(4242)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(context.Background()) })
	return client
}

func flush(t testing.TB, client *Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.Flush(ctx); err != nil {
		t.Fatalf("flush: %v; stats %+v", err, client.Stats())
	}
}

// tokensIn sums tokens_in over the llm_usage lines (folded lines carry sums).
func tokensIn(t testing.TB, lines []string) int64 {
	var total int64
	for _, line := range lines {
		var m struct {
			Type     string `json:"type"`
			TokensIn int64  `json:"tokens_in"`
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not JSON: %q: %v", line, err)
		}
		if m.Type == "llm_usage" {
			total += m.TokensIn
		}
	}
	return total
}

func TestArgumentErrorsNameTheArgument(t *testing.T) {
	m := startTestMonitor(t)
	expectArgument := func(err error, argument string) {
		t.Helper()
		var argErr *ArgumentError
		if !errors.As(err, &argErr) {
			t.Fatalf("got %v, want an *ArgumentError for %s", err, argument)
		}
		if argErr.Argument != argument || !strings.Contains(err.Error(), "`"+argument+"`") {
			t.Fatalf("got %q (argument %q), want argument %q", err, argErr.Argument, argument)
		}
	}
	_, err := New("")
	expectArgument(err, "channel")
	_, err = New("el\x00serda") // a NUL is reported, not a shorter channel
	expectArgument(err, "channel")
	_, err = New("el\xffserda")
	expectArgument(err, "channel")
	_, err = New("el_serda", WithSocketPath("/tmp/a\x00b"))
	expectArgument(err, "socket_path")
	_, err = New("el_serda", WithPID(-1))
	expectArgument(err, "pid")
	_, err = New("el_serda", WithQueueCapacity(0))
	expectArgument(err, "queue_capacity")
	_, err = New("el_serda", WithMaxAggregates(-1))
	expectArgument(err, "max_aggregates")
	_, err = New("el_serda", WithHeartbeatInterval(-time.Second))
	expectArgument(err, "heartbeat_interval")

	client := newTestClient(t, m.path)
	good := LLMUsage{Model: "gpt-4", Feature: "jokes", TokensIn: 1, TokensOut: 1}
	bad := good
	bad.TokensIn = -1
	expectArgument(client.LogLLMUsage(bad), "tokens_in")
	bad = good
	bad.Model = ""
	expectArgument(client.LogLLMUsage(bad), "model")
	bad = good
	bad.Provider = Ptr("") // present but empty: not the same as absent
	expectArgument(client.LogLLMUsage(bad), "provider")
	bad = good
	bad.CostUSD = Ptr(-0.5)
	expectArgument(client.LogLLMUsage(bad), "cost_usd")
	bad = good
	bad.ReasoningTokens = Ptr(int64(1) << 60)
	expectArgument(client.LogLLMUsage(bad), "reasoning_tokens")
	expectArgument(client.Register(map[string]bool{"llm": true, "": false}), "features")
	expectArgument(client.StartHeartbeat(0), "interval")

	// Nothing rejected reached the monitor; the good call did.
	if err := client.LogLLMUsage(good); err != nil {
		t.Fatal(err)
	}
	flush(t, client)
	if lines := m.take(1, time.Second); len(lines) != 1 || !strings.Contains(lines[0], `"tokens_in":1,`) {
		t.Fatalf("monitor got %q", lines)
	}
}

func TestDeliversEveryCallToARealMonitor(t *testing.T) {
	m := startTestMonitor(t)
	client := newTestClient(t, m.path, WithHeartbeatInterval(15*time.Second))
	if err := client.Register(map[string]bool{"llm": true, "translator": false}); err != nil {
		t.Fatal(err)
	}
	err := client.LogLLMUsage(LLMUsage{
		Model: "gpt-4", Feature: "jokes", TokensIn: 145, TokensOut: 87,
		LatencyMs: Ptr(1850.0), Provider: Ptr("openai"), CacheReadTokens: Ptr(int64(10)),
		ReasoningTokens: Ptr(int64(5)), CostUSD: Ptr(0.01), OK: Ptr(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	flush(t, client)
	lines := m.take(2, time.Second)
	if len(lines) != 2 {
		t.Fatalf("got %q", lines)
	}
	for _, want := range []string{`"type":"register"`, `"features":{"llm":true,"translator":false}`,
		`"heartbeat_interval_s":15.0`, `"sdk":{"lang":"go","version":"`, `"pid":4242`} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("register line %s lacks %s", lines[0], want)
		}
	}
	want := `"model":"gpt-4","feature":"jokes","tokens_in":145,"tokens_out":87,"latency_ms":1850.0,"pid":4242,` +
		`"provider":"openai","cache_read_tokens":10,"reasoning_tokens":5,"cost_usd":0.01,"ok":true`
	if !strings.Contains(lines[1], want) {
		t.Errorf("llm_usage line %s lacks %s", lines[1], want)
	}
	if err := client.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if lines := m.take(1, time.Second); len(lines) != 1 || !strings.Contains(lines[0], `"type":"unregister"`) {
		t.Fatalf("close should unregister, monitor got %q", lines)
	}
	stats := client.Stats()
	if stats.Sent != 3 || stats.Queued != 0 || stats.Dropped != 0 {
		t.Fatalf("stats %+v", stats)
	}
	client.Heartbeat() // after Close: ignored and counted
	if client.Stats().Dropped != 1 {
		t.Fatalf("stats %+v", client.Stats())
	}
}

func TestFlushAndCloseKeepTheirDeadline(t *testing.T) {
	m := newTestMonitor(t) // never up
	client := newTestClient(t, m.path)
	client.Heartbeat()

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	started := time.Now()
	err := client.Flush(ctx)
	if !errors.Is(err, ErrNotDelivered) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("flush returned %v", err)
	}
	if took := time.Since(started); took > time.Second {
		t.Fatalf("flush took %v past a 100 ms deadline", took)
	}

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	if err := client.Flush(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("flush returned %v after cancel", err)
	}

	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := client.Close(ctx); !errors.Is(err, ErrNotDelivered) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("close returned %v", err)
	}
	if stats := client.Stats(); stats.Dropped != 1 || stats.Queued != 0 {
		t.Fatalf("close counts what it could not write: %+v", stats)
	}
	if warnings := client.Warnings(); len(warnings) == 0 || !strings.Contains(warnings[0], "cannot connect") {
		t.Fatalf("warnings %q", warnings)
	}
}

func TestHeartbeatRunsOnAGoroutineWithLag(t *testing.T) {
	m := startTestMonitor(t)
	client := newTestClient(t, m.path)
	if err := client.Register(map[string]bool{"llm": true}); err != nil {
		t.Fatal(err)
	}
	flush(t, client)
	m.take(1, time.Second)
	if err := client.StartHeartbeat(20 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	// The new interval is announced (the registration goes again), then beats come.
	lines := m.take(5, 3*time.Second)
	if len(lines) < 5 || !strings.Contains(lines[0], `"heartbeat_interval_s":0.02`) {
		t.Fatalf("got %q", lines)
	}
	for _, line := range lines[1:] {
		if !strings.Contains(line, `"type":"heartbeat"`) || !strings.Contains(line, `"lag_ms":`) {
			t.Fatalf("not a heartbeat with lag_ms: %s", line)
		}
	}
	heartbeats := func(lines []string) (n int) {
		for _, line := range lines {
			if strings.Contains(line, `"type":"heartbeat"`) {
				n++
			}
		}
		return n
	}
	for _, stop := range []struct {
		name string
		call func()
	}{{"StopHeartbeat", client.StopHeartbeat}, {"Unregister", client.Unregister}} {
		if err := client.StartHeartbeat(20 * time.Millisecond); err != nil {
			t.Fatal(err)
		}
		stop.call()
		before := heartbeats(delivered(t, m, client))
		// Five intervals in which a running schedule would beat: the
		// schedule's time, not a wait for the monitor.
		time.Sleep(100 * time.Millisecond)
		if err := client.LogLLMUsage(LLMUsage{Model: "marker", Feature: "end", TokensIn: 1, TokensOut: 1}); err != nil {
			t.Fatal(err)
		}
		if after := heartbeats(delivered(t, m, client)); after != before {
			t.Fatalf("%d beats after %s", after-before, stop.name)
		}
	}
}

func TestStartHeartbeatAfterCloseDoesNothing(t *testing.T) {
	m := startTestMonitor(t)
	client := newTestClient(t, m.path)
	if err := client.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := client.Stats()
	if err := client.StartHeartbeat(10 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	// Five intervals in which a running schedule would beat (and count drops).
	time.Sleep(50 * time.Millisecond)
	if after := client.Stats(); after != before {
		t.Fatalf("stats changed after StartHeartbeat on a closed client: %+v -> %+v", before, after)
	}
}

func TestDefaultTimeoutsAreTheLibrarys(t *testing.T) {
	if DefaultFlushTimeout != time.Second || DefaultTimeout != 2*time.Second {
		t.Fatalf("flush %v, close %v", DefaultFlushTimeout, DefaultTimeout)
	}
}

func TestManyGoroutines(t *testing.T) {
	m := startTestMonitor(t)
	client := newTestClient(t, m.path)
	const goroutines, calls = 8, 2000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calls {
				if err := client.LogLLMUsage(LLMUsage{Model: "gpt-4", Feature: fmt.Sprint("f", g%2), TokensIn: 3, TokensOut: 1}); err != nil {
					t.Error(err)
					return
				}
				switch i % 100 {
				case 0:
					client.Heartbeat()
				case 50:
					client.Stats()
				}
			}
		}()
	}
	wg.Wait()
	flush(t, client)
	stats := client.Stats()
	if stats.Dropped != 0 {
		t.Fatalf("stats %+v", stats)
	}
	if err := waitFor(3*time.Second, func() bool { return uint64(len(m.allLines())) >= stats.Sent }); err != nil {
		t.Fatal(err)
	}
	if got, want := tokensIn(t, m.allLines()), int64(goroutines*calls*3); got != want {
		t.Fatalf("monitor got %d tokens_in, logged %d", got, want)
	}
}

// A monitor that accepts and never reads: calls stay quick and never fail;
// once it reads, every token logged arrives (queued or folded, none dropped).
func TestMonitorThatNeverReads(t *testing.T) {
	m := startTestMonitor(t)
	m.stopReading()
	client := newTestClient(t, m.path)
	usage := LLMUsage{Model: strings.Repeat("m", 200), Feature: "jokes", TokensIn: 5, TokensOut: 1}
	const calls = 20000
	var slowest time.Duration
	for range calls {
		started := time.Now()
		err := client.LogLLMUsage(usage)
		client.Heartbeat()
		slowest = max(slowest, time.Since(started))
		if err != nil {
			t.Fatal(err)
		}
	}
	// A call that blocked would wait on the socket for seconds, or forever.
	// The bound is loose because a loaded 2-core machine may deschedule this
	// goroutine for tens of milliseconds; the benchmark measures the real cost.
	if slowest > time.Second {
		t.Fatalf("slowest call took %v", slowest)
	}
	// The sender connects on its own thread, maybe only after the calls (a loaded machine).
	stats := client.Stats()
	if err := waitFor(30*time.Second, func() bool {
		stats = client.Stats()
		return stats.Connected && stats.Coalesced > 0 && stats.Queued > 0
	}); err != nil {
		t.Fatalf("expected a connected, stuck client folding calls: %+v", stats)
	}
	m.resumeReading()
	flush(t, client)
	stats = client.Stats()
	if stats.Dropped != 0 {
		t.Fatalf("stats %+v", stats)
	}
	if err := waitFor(3*time.Second, func() bool { return uint64(len(m.allLines())) >= stats.Sent }); err != nil {
		t.Fatal(err)
	}
	if got := tokensIn(t, m.allLines()); got != calls*5 {
		t.Fatalf("monitor got %d tokens_in, logged %d", got, calls*5)
	}
}

const sigpipeChildEnv = "KISSMON_TEST_SIGPIPE_SOCKET"

// A Go program survives the monitor dying in the middle of a write: the
// library's sender thread gets EPIPE, and no SIGPIPE kills the process. The
// program runs as a child process so that a death by signal shows.
//
// A monitor that dies while a line is half written makes the next write fail
// with EPIPE; one that dies between two lines is noticed by a read first.
// Which happens is up to timing, so rounds repeat until a write got EPIPE.
func TestSurvivesMonitorDyingMidWrite(t *testing.T) {
	for round := 0; round < 10; round++ {
		if sigpipeRound(t) {
			return
		}
	}
	t.Fatal("no round made the child's write get EPIPE, so this test proved nothing")
}

// sigpipeRound runs one child through a monitor death and reports whether a
// write of the child got EPIPE. The child must survive either way.
func sigpipeRound(t *testing.T) bool {
	t.Helper()
	m := startTestMonitor(t)
	m.stopReading()
	child := exec.Command(os.Args[0], "-test.run=^TestSigpipeChild$", "-test.count=1", "-test.v")
	child.Env = append(os.Environ(), sigpipeChildEnv+"="+m.path)
	toChild, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	fromChild, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	output := bufio.NewScanner(fromChild)
	var seen []string
	waitLine := func(prefix string) string {
		for output.Scan() {
			seen = append(seen, output.Text())
			if strings.HasPrefix(output.Text(), prefix) {
				return output.Text()
			}
		}
		return ""
	}
	if waitLine("socket full") == "" {
		child.Process.Kill()
		t.Fatalf("the child never filled the socket: %q", seen)
	}
	m.down() // closes a connection with unread data
	fmt.Fprintln(toChild, "monitor killed")
	warnings := waitLine("warnings:")
	for output.Scan() {
		seen = append(seen, output.Text())
	}
	err = child.Wait()
	if err != nil {
		t.Fatalf("the child died: %v (%s); output %q", err, child.ProcessState, seen)
	}
	return strings.Contains(warnings, "write failed: Broken pipe")
}

func TestSigpipeChild(t *testing.T) {
	socket := os.Getenv(sigpipeChildEnv)
	if socket == "" {
		t.Skip("runs as the child of TestSurvivesMonitorDyingMidWrite")
	}
	client, err := New("el_serda", WithSocketPath(socket))
	if err != nil {
		t.Fatal(err)
	}
	usage := LLMUsage{Model: strings.Repeat("x", 250), Feature: "jokes", TokensIn: 1, TokensOut: 1}
	// Write until the socket is full: connected, lines sent, then no progress.
	quiet, lastSent := 0, ^uint64(0)
	for deadline := time.Now().Add(5 * time.Second); quiet < 5 && time.Now().Before(deadline); {
		for range 2000 {
			client.LogLLMUsage(usage)
		}
		time.Sleep(10 * time.Millisecond)
		stats := client.Stats()
		if stats.Connected && stats.Sent > 0 && stats.Sent == lastSent {
			quiet++
		} else {
			quiet = 0
		}
		lastSent = stats.Sent
	}
	fmt.Println("socket full")
	bufio.NewReader(os.Stdin).ReadString('\n')
	for deadline := time.Now().Add(5 * time.Second); client.Stats().Connected && time.Now().Before(deadline); {
		client.LogLLMUsage(usage)
		client.Heartbeat()
		time.Sleep(time.Millisecond)
	}
	fmt.Println("warnings:", strings.Join(client.Warnings(), " | "))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	client.Close(ctx)
}

// A Client nobody closes is freed once unreachable: freeing never blocks, and
// the library's sender still unregisters it in the background.
func TestAnUnreachableClientIsFreed(t *testing.T) {
	m := startTestMonitor(t)
	func() {
		client, err := New("el_serda", WithSocketPath(m.path), WithPID(4242))
		if err != nil {
			t.Fatal(err)
		}
		if err := client.Register(map[string]bool{"llm": true}); err != nil {
			t.Fatal(err)
		}
		flush(t, client)
	}()
	unregistered := func() bool {
		runtime.GC()
		for _, line := range m.allLines() {
			if strings.Contains(line, `"type":"unregister"`) && strings.Contains(line, `"reason":"drop"`) {
				return true
			}
		}
		return false
	}
	if err := waitFor(5*time.Second, unregistered); err != nil {
		t.Fatalf("no unregister from the dropped client: %q", m.allLines())
	}
}
