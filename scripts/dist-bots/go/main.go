// The dist test's Go bot: a module of its own, outside the repository, that
// gets github.com/kissmon/kissmon/bindings/go as a downloaded module and
// links the C tarball through pkg-config (build tag kissmon_pkgconfig). It
// reports until its stdin closes, then closes and exits 0 only if
// everything was delivered.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	kissmon "github.com/kissmon/kissmon/bindings/go"
)

func main() {
	client, err := kissmon.New("dist-go") // socket: $KISSBOT_MONITOR_SOCKET
	if err != nil {
		fmt.Fprintln(os.Stderr, "go bot:", err)
		os.Exit(1)
	}
	if err := client.Register(map[string]bool{"dist": true}); err != nil {
		fmt.Fprintln(os.Stderr, "go bot:", err)
		os.Exit(1)
	}
	if err := client.StartHeartbeat(time.Second); err != nil {
		fmt.Fprintln(os.Stderr, "go bot:", err)
		os.Exit(1)
	}
	if err := client.LogLLMUsage(kissmon.LLMUsage{Model: "gpt-4", Feature: "dist", TokensIn: 1, TokensOut: 2}); err != nil {
		fmt.Fprintln(os.Stderr, "go bot:", err)
		os.Exit(1)
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	closeErr := client.Close(ctx)
	stats := client.Stats()
	fmt.Printf("go bot: close error %v, sent %d, dropped %d\n", closeErr, stats.Sent, stats.Dropped)
	if closeErr != nil || stats.Dropped != 0 {
		os.Exit(1)
	}
}
