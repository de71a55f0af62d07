// Command conformance is the Go adapter of the kissmon conformance harness:
// it reads one command per line on stdin, makes the call on this module's
// public API, and answers on stdout (conformance/README.md, "Adapter
// protocol"). It only converts; a value Go's types cannot hold is answered
// as not applicable.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	kissmon "github.com/kissmon/kissmon/bindings/go"
)

type object = map[string]any

// notApplicable is a value the API's Go type cannot hold.
type notApplicable struct{ reason string }

func (n notApplicable) Error() string { return n.reason }

func cannotHold(argument string, value any, goType string) error {
	return notApplicable{fmt.Sprintf("`%s` = %v is not a %s", argument, value, goType)}
}

func integer(args object, name string) (int64, error) {
	n, ok := args[name].(json.Number)
	if !ok {
		return 0, cannotHold(name, args[name], "number")
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		return 0, cannotHold(name, n, "int64")
	}
	return i, nil
}

func number(args object, name string) (float64, error) {
	n, ok := args[name].(json.Number)
	if !ok {
		return 0, cannotHold(name, args[name], "number")
	}
	return n.Float64()
}

func seconds(args object, name, argument string) (time.Duration, error) {
	s, err := number(args, name)
	if err != nil {
		return 0, cannotHold(argument, args[name], "time.Duration")
	}
	return time.Duration(s * float64(time.Second)), nil
}

func newClient(spec object, socket string) (*kissmon.Client, error) {
	channel, ok := spec["channel"].(string)
	if !ok {
		return nil, cannotHold("channel", spec["channel"], "string")
	}
	opts := []kissmon.Option{kissmon.WithSocketPath(socket)}
	for name, option := range map[string]func(int) kissmon.Option{
		"pid": kissmon.WithPID, "queue_capacity": kissmon.WithQueueCapacity, "max_aggregates": kissmon.WithMaxAggregates,
	} {
		if _, given := spec[name]; given {
			n, err := integer(spec, name)
			if err != nil {
				return nil, err
			}
			opts = append(opts, option(int(n)))
		}
	}
	if _, given := spec["heartbeat_interval_s"]; given {
		d, err := seconds(spec, "heartbeat_interval_s", "heartbeat_interval")
		if err != nil {
			return nil, err
		}
		opts = append(opts, kissmon.WithHeartbeatInterval(d))
	}
	return kissmon.New(channel, opts...)
}

func logUsage(client *kissmon.Client, args object) (err error) {
	u := kissmon.LLMUsage{}
	u.Model, _ = args["model"].(string)
	u.Feature, _ = args["feature"].(string)
	if u.TokensIn, err = integer(args, "tokens_in"); err != nil {
		return err
	}
	if u.TokensOut, err = integer(args, "tokens_out"); err != nil {
		return err
	}
	for name, field := range map[string]**int64{"cache_read_tokens": &u.CacheReadTokens, "reasoning_tokens": &u.ReasoningTokens} {
		if args[name] != nil {
			n, err := integer(args, name)
			if err != nil {
				return err
			}
			*field = &n
		}
	}
	for name, field := range map[string]**float64{"latency_ms": &u.LatencyMs, "cost_usd": &u.CostUSD} {
		if args[name] != nil {
			f, err := number(args, name)
			if err != nil {
				return err
			}
			*field = &f
		}
	}
	if v, ok := args["provider"].(string); ok {
		u.Provider = &v
	}
	if v, ok := args["ok"].(bool); ok {
		u.OK = &v
	}
	return client.LogLLMUsage(u)
}

func call(client *kissmon.Client, method string, args object) error {
	switch method {
	case "register":
		features := map[string]bool{}
		for name, v := range args["features"].(object) {
			on, ok := v.(bool)
			if !ok {
				return cannotHold("features", v, "bool")
			}
			features[name] = on
		}
		return client.Register(features)
	case "heartbeat":
		client.Heartbeat()
	case "unregister":
		client.Unregister()
	case "log_llm_usage":
		return logUsage(client, args)
	case "start_heartbeat":
		d, err := seconds(args, "interval_s", "interval")
		if err != nil {
			return err
		}
		return client.StartHeartbeat(d)
	case "stop_heartbeat":
		client.StopHeartbeat()
	default:
		panic("unknown method " + method)
	}
	return nil
}

func withTimeout(command object, wait func(context.Context) error) bool {
	ms, _ := command["timeout_ms"].(json.Number).Int64()
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(ms)*time.Millisecond)
	defer cancel()
	return wait(ctx) == nil
}

func handle(client **kissmon.Client, command object) (any, error) {
	switch command["cmd"] {
	case "hello":
		return object{"lang": "go"}, nil
	case "decode":
		line := []byte(fmt.Sprint(command["text"]))
		if h, ok := command["hex"].(string); ok {
			line, _ = hex.DecodeString(h)
		}
		raw, err := kissmon.DecodeLine(line)
		return raw, err
	case "new_client":
		c, err := newClient(command["client"].(object), command["socket"].(string))
		*client = c
		return nil, err
	case "call":
		return nil, call(*client, command["method"].(string), command["args"].(object))
	case "flush":
		return withTimeout(command, (*client).Flush), nil
	case "close":
		return withTimeout(command, (*client).Close), nil
	case "stats":
		s := (*client).Stats()
		return object{"queued": s.Queued, "sent": s.Sent, "dropped": s.Dropped, "coalesced": s.Coalesced,
			"reconnects": s.Reconnects, "connected": s.Connected, "acked": s.Acked,
			"unacked": s.Unacked, "resent": s.Resent, "acks_active": s.AcksActive}, nil
	}
	panic(fmt.Sprint("unknown command ", command["cmd"]))
}

func answer(result any, err error) object {
	var argErr *kissmon.ArgumentError
	var decodeErr *kissmon.DecodeError
	var na notApplicable
	switch {
	case err == nil:
		return object{"ok": result}
	case errors.As(err, &na):
		return object{"not_applicable": na.reason}
	case errors.As(err, &argErr):
		return object{"error": "invalid_argument", "argument": argErr.Argument, "detail": argErr.Message}
	case errors.As(err, &decodeErr):
		return object{"error": decodeErr.Class, "field": decodeErr.Field, "detail": decodeErr.Detail}
	}
	return object{"error": "other", "detail": err.Error()}
}

func main() {
	var client *kissmon.Client
	in := bufio.NewReader(os.Stdin)
	out := json.NewEncoder(os.Stdout)
	for {
		line, err := in.ReadBytes('\n')
		if len(line) == 0 && err != nil {
			break
		}
		decoder := json.NewDecoder(bytes.NewReader(line))
		decoder.UseNumber()
		var command object
		if err := decoder.Decode(&command); err != nil {
			panic(err)
		}
		if err := out.Encode(answer(handle(&client, command))); err != nil {
			panic(err)
		}
	}
	if client != nil {
		_ = client.Close(context.Background())
	}
}
