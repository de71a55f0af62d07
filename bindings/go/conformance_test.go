package kissmon

// Runs every case of conformance/cases/*.jsonl through the Go API, one
// subtest per case id, against a real Unix-socket monitor.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	corpusWait = 3 * time.Second
	// How long to watch for lines beyond the expected ones.
	corpusSettle = 50 * time.Millisecond
)

type object = map[string]any

// loadCorpus reads every case in file then line order; a malformed corpus fails loudly.
func loadCorpus(t *testing.T) []object {
	files, err := filepath.Glob(filepath.Join("..", "..", "conformance", "cases", "*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	var cases []object
	ids := map[string]bool{}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		scanner := bufio.NewScanner(bytes.NewReader(data))
		scanner.Buffer(nil, 1<<24)
		for n := 1; scanner.Scan(); n++ {
			line := strings.TrimSpace(scanner.Text())
			if line == "" {
				continue
			}
			c, err := parseJSON([]byte(line))
			if err != nil {
				t.Fatalf("%s:%d: not JSON: %v", file, n, err)
			}
			caseObject, ok := c.(object)
			id, _ := caseObject["id"].(string)
			if !ok || id == "" {
				t.Fatalf("%s:%d: no id", file, n)
			}
			if ids[id] {
				t.Fatalf("%s:%d: duplicate id %s", file, n, id)
			}
			ids[id] = true
			cases = append(cases, caseObject)
		}
	}
	if len(cases) == 0 {
		t.Fatal("no cases in conformance/cases")
	}
	return cases
}

func TestConformance(t *testing.T) {
	for _, c := range loadCorpus(t) {
		t.Run(c["id"].(string), func(t *testing.T) {
			if err := runCase(c); err != nil {
				t.Fatalf("%s\ncase: %s", err, showJSON(c))
			}
		})
	}
}

func runCase(c object) error {
	switch kind, _ := c["kind"].(string); kind {
	case "decode_valid":
		return decodeValid(c)
	case "decode_invalid":
		return decodeInvalid(c)
	case "encode":
		return encodeCase(c)
	case "encode_invalid":
		return encodeInvalid(c)
	case "queue":
		return queueCase(c)
	default:
		return fmt.Errorf("unknown case kind %q", kind)
	}
}

// parseJSON keeps numbers exact (json.Number) so that they compare by value.
func parseJSON(data []byte) (any, error) {
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.UseNumber()
	var v any
	if err := decoder.Decode(&v); err != nil {
		return nil, err
	}
	if decoder.More() {
		return nil, errors.New("trailing data")
	}
	return v, nil
}

func showJSON(v any) string {
	data, _ := json.Marshal(v)
	return string(data)
}

// jsonEqual compares JSON values where numbers compare by value (1850 equals 1850.0).
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		if xi, err := strconv.ParseUint(string(x), 10, 64); err == nil {
			if yi, err := strconv.ParseUint(string(y), 10, 64); err == nil {
				return xi == yi
			}
		}
		xf, err1 := x.Float64()
		yf, err2 := y.Float64()
		return err1 == nil && err2 == nil && xf == yf
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case object:
		y, ok := b.(object)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	default:
		return a == b
	}
}

// redact replaces the values that differ from run to run with the corpus's placeholders.
func redact(line any) (any, error) {
	m, ok := line.(object)
	if !ok {
		return nil, errors.New("line is not an object")
	}
	if ts, ok := m["ts"]; ok {
		if _, isNumber := ts.(json.Number); !isNumber {
			return nil, fmt.Errorf("ts is not a number: %v", ts)
		}
		m["ts"] = "<ts>"
	}
	if instance, ok := m["instance"]; ok {
		if _, isString := instance.(string); !isString {
			return nil, fmt.Errorf("instance is not a string: %v", instance)
		}
		m["instance"] = "<instance>"
	}
	if lag, ok := m["lag_ms"]; ok {
		n, isNumber := lag.(json.Number)
		if f, err := n.Float64(); !isNumber || err != nil || f < 0 {
			return nil, fmt.Errorf("lag_ms is not a number >= 0: %v", lag)
		}
		m["lag_ms"] = "<lag_ms>"
	}
	if sdk, ok := m["sdk"]; ok {
		s, _ := sdk.(object)
		if _, isString := s["version"].(string); s == nil || s["lang"] != "go" || !isString {
			return nil, fmt.Errorf(`sdk is not {"lang": "go", "version": <string>}: %s`, showJSON(sdk))
		}
		m["sdk"] = object{"lang": "<lang>", "version": "<version>"}
	}
	return m, nil
}

func caseInput(c object) ([]byte, error) {
	if text, ok := c["input"].(string); ok {
		return []byte(text), nil
	}
	encoded, ok := c["input_base64"].(string)
	if !ok {
		return nil, errors.New("a case has input or input_base64")
	}
	return base64.StdEncoding.DecodeString(encoded)
}

func decodeValid(c object) error {
	input, err := caseInput(c)
	if err != nil {
		return err
	}
	raw, err := DecodeLine(input)
	if err != nil {
		return fmt.Errorf("rejected: %v", err)
	}
	got, err := parseJSON(raw)
	if err != nil {
		return err
	}
	if !jsonEqual(got, c["expect"]) {
		return fmt.Errorf("decoded to\n  %s\nexpected\n  %s", raw, showJSON(c["expect"]))
	}
	return nil
}

func decodeInvalid(c object) error {
	input, err := caseInput(c)
	if err != nil {
		return err
	}
	raw, err := DecodeLine(input)
	var decodeErr *DecodeError
	if !errors.As(err, &decodeErr) {
		return fmt.Errorf("accepted as %s (err %v)", raw, err)
	}
	if decodeErr.Class != c["error"] {
		return fmt.Errorf("error class %s (%v), expected %v", decodeErr.Class, err, c["error"])
	}
	if field, ok := c["field"]; ok && decodeErr.Field != field {
		return fmt.Errorf("error names field %q (%v), expected %v", decodeErr.Field, err, field)
	}
	return nil
}

// typeRejects stands for values Go's types cannot hold (a pid of 1e30, a
// fractional count): the corpus still counts them as invalid arguments.
func typeRejects(argument string) error {
	return &ArgumentError{Argument: argument, Message: "not representable in the Go type"}
}

// intArg reads an integer argument; absent or null is (0, false).
func intArg(args object, name string) (int64, bool, error) {
	v, ok := args[name]
	if !ok || v == nil {
		return 0, false, nil
	}
	n, isNumber := v.(json.Number)
	if !isNumber {
		return 0, false, typeRejects(name)
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		return 0, false, typeRejects(name)
	}
	return i, true, nil
}

func floatArg(args object, name string) (float64, bool, error) {
	v, ok := args[name]
	if !ok || v == nil {
		return 0, false, nil
	}
	n, isNumber := v.(json.Number)
	if !isNumber {
		return 0, false, typeRejects(name)
	}
	f, err := n.Float64()
	if err != nil {
		return 0, false, typeRejects(name)
	}
	return f, true, nil
}

func seconds(s float64) time.Duration {
	if s > math.MaxInt64/float64(time.Second) {
		return math.MaxInt64
	}
	return time.Duration(s * float64(time.Second))
}

func buildClient(spec object, socket string) (*Client, error) {
	channel, _ := spec["channel"].(string)
	opts := []Option{WithSocketPath(socket)}
	if pid, ok, err := intArg(spec, "pid"); err != nil {
		return nil, err
	} else if ok {
		opts = append(opts, WithPID(int(pid)))
	}
	if n, ok, err := intArg(spec, "queue_capacity"); err != nil {
		return nil, err
	} else if ok {
		opts = append(opts, WithQueueCapacity(int(n)))
	}
	if n, ok, err := intArg(spec, "max_aggregates"); err != nil {
		return nil, err
	} else if ok {
		opts = append(opts, WithMaxAggregates(int(n)))
	}
	if s, ok, err := floatArg(spec, "heartbeat_interval_s"); err != nil {
		return nil, typeRejects("heartbeat_interval")
	} else if ok {
		opts = append(opts, WithHeartbeatInterval(seconds(s)))
	}
	return New(channel, opts...)
}

func callMethod(client *Client, call object) error {
	args, _ := call["args"].(object)
	switch method, _ := call["method"].(string); method {
	case "register":
		raw, _ := args["features"].(object)
		features := map[string]bool{}
		for name, v := range raw {
			on, ok := v.(bool)
			if !ok {
				return typeRejects("features")
			}
			features[name] = on
		}
		return client.Register(features)
	case "heartbeat":
		client.Heartbeat()
		return nil
	case "unregister":
		client.Unregister()
		return nil
	case "log_llm_usage":
		usage := LLMUsage{}
		usage.Model, _ = args["model"].(string)
		usage.Feature, _ = args["feature"].(string)
		var err error
		var ok bool
		if usage.TokensIn, ok, err = intArg(args, "tokens_in"); err != nil || !ok {
			return typeRejects("tokens_in")
		}
		if usage.TokensOut, ok, err = intArg(args, "tokens_out"); err != nil || !ok {
			return typeRejects("tokens_out")
		}
		if v, ok, err := floatArg(args, "latency_ms"); err != nil {
			return err
		} else if ok {
			usage.LatencyMs = &v
		}
		if v, ok := args["provider"].(string); ok {
			usage.Provider = &v
		}
		if v, ok, err := intArg(args, "cache_read_tokens"); err != nil {
			return err
		} else if ok {
			usage.CacheReadTokens = &v
		}
		if v, ok, err := intArg(args, "reasoning_tokens"); err != nil {
			return err
		} else if ok {
			usage.ReasoningTokens = &v
		}
		if v, ok, err := floatArg(args, "cost_usd"); err != nil {
			return err
		} else if ok {
			usage.CostUSD = &v
		}
		if v, ok := args["ok"].(bool); ok {
			usage.OK = &v
		}
		return client.LogLLMUsage(usage)
	case "start_heartbeat":
		s, ok, err := floatArg(args, "interval_s")
		if err != nil || !ok {
			return typeRejects("interval")
		}
		return client.StartHeartbeat(seconds(s))
	case "stop_heartbeat":
		client.StopHeartbeat()
		return nil
	default:
		return fmt.Errorf("unknown method %q in the corpus", method)
	}
}

func expectLines(m *testMonitor, expected []any) error {
	got := m.take(len(expected), corpusWait)
	time.Sleep(corpusSettle)
	got = append(got, m.take(0, 0)...)
	values := make([]any, 0, len(got))
	for _, line := range got {
		v, err := parseJSON([]byte(line))
		if err != nil {
			return fmt.Errorf("monitor got non-JSON %q: %v", line, err)
		}
		if v, err = redact(v); err != nil {
			return err
		}
		values = append(values, v)
	}
	equal := len(values) == len(expected)
	for i := 0; equal && i < len(values); i++ {
		equal = jsonEqual(values[i], expected[i])
	}
	if !equal {
		show := func(lines []any) string {
			var b strings.Builder
			for _, l := range lines {
				b.WriteString("\n    " + showJSON(l))
			}
			return b.String()
		}
		return fmt.Errorf("monitor received:%s\nexpected:%s", show(values), show(expected))
	}
	return nil
}

func encodeCase(c object) error {
	dir, err := os.MkdirTemp("", "kmgo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	m, err := monitorAt(filepath.Join(dir, "m.sock"))
	if err != nil {
		return err
	}
	defer m.down()
	client, err := buildClient(c["client"].(object), m.path)
	if err != nil {
		return fmt.Errorf("client rejected: %v", err)
	}
	defer client.Close(context.Background())
	call, _ := c["call"].(object)
	if err := callMethod(client, call); err != nil {
		return fmt.Errorf("call rejected: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), corpusWait)
	defer cancel()
	if err := client.Flush(ctx); err != nil {
		return fmt.Errorf("flush: %v; stats %+v", err, client.Stats())
	}
	return expectLines(m, []any{c["expect"]})
}

func encodeInvalid(c object) error {
	dir, err := os.MkdirTemp("", "kmgo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	client, err := buildClient(c["client"].(object), filepath.Join(dir, "m.sock"))
	if err == nil {
		defer client.Close(context.Background())
		if call, ok := c["call"].(object); ok {
			err = callMethod(client, call)
		}
	}
	var argErr *ArgumentError
	switch {
	case err == nil:
		return errors.New("accepted")
	case !errors.As(err, &argErr):
		return fmt.Errorf("error %v, expected an *ArgumentError", err)
	}
	if expected, ok := c["argument"].(string); ok && argErr.Argument != expected {
		return fmt.Errorf("error names argument %q (%v), expected %q", argErr.Argument, err, expected)
	}
	return nil
}

func queueCase(c object) error {
	dir, err := os.MkdirTemp("", "kmgo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	m := newMonitorAt(filepath.Join(dir, "m.sock"))
	defer m.down()
	client, err := buildClient(c["client"].(object), m.path)
	if err != nil {
		return fmt.Errorf("client rejected: %v", err)
	}
	defer client.Close(context.Background())
	steps, _ := c["steps"].([]any)
	if len(steps) == 0 {
		return errors.New("a queue case has steps")
	}
	for n, s := range steps {
		step, _ := s.(object)
		at := func(err error) error { return fmt.Errorf("step %d %s: %v", n, showJSON(step), err) }
		switch op, _ := step["op"].(string); op {
		case "call":
			if err := callMethod(client, step); err != nil {
				return at(err)
			}
		case "monitor_up":
			if err := m.listen(); err != nil {
				return at(err)
			}
		case "monitor_down":
			m.down()
		case "flush", "close":
			timeoutMs, ok, err := intArg(step, "timeout_ms")
			if err != nil {
				return at(err)
			}
			if !ok {
				timeoutMs = 2000
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(timeoutMs)*time.Millisecond)
			if op == "flush" {
				err = client.Flush(ctx)
			} else {
				err = client.Close(ctx)
			}
			cancel()
			if expected, ok := step["expect"].(bool); ok && (err == nil) != expected {
				return at(fmt.Errorf("returned %v; stats %+v", err, client.Stats()))
			}
		case "expect_lines":
			lines, ok := step["lines"].([]any)
			if !ok {
				return at(errors.New("no lines"))
			}
			if err := expectLines(m, lines); err != nil {
				return at(err)
			}
		case "expect_stats":
			want, ok := step["stats"].(object)
			if !ok {
				return at(errors.New("no stats"))
			}
			stats := client.Stats()
			actual := object{
				"queued": stats.Queued, "sent": stats.Sent, "dropped": stats.Dropped,
				"coalesced": stats.Coalesced, "reconnects": stats.Reconnects, "connected": stats.Connected,
			}
			for name, expected := range want {
				got, known := actual[name]
				if !known {
					return at(fmt.Errorf("unknown stat %q", name))
				}
				if n, isNumber := got.(uint64); isNumber {
					got = json.Number(strconv.FormatUint(n, 10))
				}
				if !jsonEqual(got, expected) {
					return at(fmt.Errorf("stats.%s is %v, expected %v; stats %+v", name, got, expected, stats))
				}
			}
		default:
			return at(fmt.Errorf("unknown op %q", op))
		}
	}
	return nil
}
