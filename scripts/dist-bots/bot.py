"""The dist test's Python bot, from the installed wheel: reports until its
stdin closes, then closes and exits 0 only if everything was delivered."""

import sys

import kissmon

client = kissmon.MonitorClient("dist-python")  # socket: $KISSBOT_MONITOR_SOCKET
client.register({"dist": True})
client.start_heartbeat(1.0)
client.log_llm_usage("gpt-4", "dist", 1, 2)
sys.stdin.read()
clean = client.close(15.0)
stats = client.stats()
print(f"python bot: close clean={clean}, sent {stats.sent}, dropped {stats.dropped}")
sys.exit(0 if clean and stats.dropped == 0 else 1)
