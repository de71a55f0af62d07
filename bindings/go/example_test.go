package kissmon_test

import (
	"context"
	"fmt"
	"log"
	"time"

	kissmon "github.com/kissmon/kissmon/bindings/go"
)

// The README's example: test.sh checks that the two are identical, and go vet
// and go test compile it.
func Example() {
	// README example begins
	client, err := kissmon.New("el_serda",
		kissmon.WithSocketPath("/tmp/kissbot_monitor.sock"), // default: $KISSBOT_MONITOR_SOCKET, else this path
		kissmon.WithQueueCapacity(1024))
	if err != nil {
		log.Fatal(err) // *kissmon.ArgumentError naming the bad argument
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		client.Close(ctx) // unregisters, delivers what is queued, stops
	}()
	client.Register(map[string]bool{"llm": true, "translator": false})
	client.StartHeartbeat(30 * time.Second)
	err = client.LogLLMUsage(kissmon.LLMUsage{
		Model: "gpt-4", Feature: "jokes", TokensIn: 145, TokensOut: 87,
		LatencyMs: kissmon.Ptr(1850.0), Provider: kissmon.Ptr("openai"),
	})
	if err != nil {
		log.Print(err)
	}
	fmt.Printf("%+v\n", client.Stats())
	// README example ends
}
