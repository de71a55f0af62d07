package io.kissmon.example;

import io.kissmon.LlmUsage;
import io.kissmon.MonitorClient;
import io.kissmon.Stats;
import java.time.Duration;
import java.util.Map;

/** The README's Java example: `java JavaExample [socket path]`. ExamplesTest runs it. */
public final class JavaExample {
    private JavaExample() {}

    public static void main(String[] args) {
        String socketPath = args.length > 0 ? args[0] : "/tmp/kissbot_monitor.sock";
        // README example begins
        try (MonitorClient client = MonitorClient.builder("el_serda").socketPath(socketPath).build()) {
            client.register(Map.of("llm", true, "translator", false));
            client.startHeartbeat(Duration.ofSeconds(30));
            client.logLlmUsage(new LlmUsage("gpt-4", "jokes", 145, 87).withLatencyMs(1850.0).withProvider("openai"));
            boolean delivered = client.flush(Duration.ofSeconds(1));
            Stats stats = client.stats();
            System.out.println("delivered: " + delivered + ", sent " + stats.getSent() + ", dropped " + stats.getDropped());
        } // close() unregisters and waits up to 2 s for the lines to go out
        // README example ends
    }
}
