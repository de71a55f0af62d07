// A chaos-test bot (scripts/chaos.sh): logs llm_usage with known token values
// through the Go binding, then flushes until every call is acknowledged and
// prints its totals and stats as one JSON line.
//
//	chaosbot SOCKET CHANNEL CALLS RATE
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"strconv"
	"time"

	kissmon "github.com/kissmon/kissmon/bindings/go"
)

func main() {
	if len(os.Args) != 5 {
		log.Fatal("usage: chaosbot SOCKET CHANNEL CALLS RATE")
	}
	socket, channel := os.Args[1], os.Args[2]
	calls, err := strconv.Atoi(os.Args[3])
	if err != nil {
		log.Fatal(err)
	}
	rate, err := strconv.ParseFloat(os.Args[4], 64)
	if err != nil {
		log.Fatal(err)
	}
	client, err := kissmon.New(channel, kissmon.WithSocketPath(socket))
	if err != nil {
		log.Fatal(err)
	}
	if err := client.Register(map[string]bool{"llm": true}); err != nil {
		log.Fatal(err)
	}
	var tokensIn, tokensOut uint64
	start := time.Now()
	lastBeat := time.Time{}
	for i := 0; i < calls; i++ {
		in, out := uint64(i%97+1), uint64(i%13+1)
		if err := client.LogLLMUsage(kissmon.LLMUsage{Model: fmt.Sprintf("m%d", i%3), Feature: "chaos", TokensIn: int64(in), TokensOut: int64(out)}); err != nil {
			log.Fatal(err)
		}
		tokensIn += in
		tokensOut += out
		now := time.Now()
		if now.Sub(lastBeat) >= time.Second {
			client.Heartbeat()
			lastBeat = now
		}
		if ahead := time.Until(start.Add(time.Duration(float64(i+1) / rate * float64(time.Second)))); ahead > 0 {
			time.Sleep(ahead)
		}
	}
	deadline := time.Now().Add(180 * time.Second)
	flushed := false
	for !flushed && time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		flushed = client.Flush(ctx) == nil && client.Stats().Unacked == 0
		cancel()
		client.Heartbeat()
	}
	s := client.Stats()
	line, _ := json.Marshal(map[string]any{
		"lang": "go", "channel": channel, "calls": calls, "tokens_in": tokensIn,
		"tokens_out": tokensOut, "flushed": flushed,
		"stats": map[string]any{"queued": s.Queued, "sent": s.Sent, "dropped": s.Dropped, "coalesced": s.Coalesced,
			"reconnects": s.Reconnects, "acked": s.Acked, "unacked": s.Unacked, "resent": s.Resent,
			"acks_active": s.AcksActive, "connected": s.Connected},
	})
	fmt.Println(string(line))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	client.Close(ctx)
}
