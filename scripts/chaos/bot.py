"""A chaos-test bot (scripts/chaos.sh): logs llm_usage with known token values
through the Python binding, then flushes until every call is acknowledged and
prints its totals and stats as one JSON line.
    python bot.py SOCKET CHANNEL CALLS RATE"""
import json
import sys
import time

import kissmon

socket_path, channel, calls, rate = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
client = kissmon.MonitorClient(channel, socket_path=socket_path)
client.register({"llm": True})
tokens_in = tokens_out = 0
start = time.monotonic()
last_beat = 0.0
for i in range(calls):
    client.log_llm_usage("m%d" % (i % 3), "chaos", i % 97 + 1, i % 13 + 1)
    tokens_in += i % 97 + 1
    tokens_out += i % 13 + 1
    now = time.monotonic()
    if now - last_beat >= 1.0:
        client.heartbeat()
        last_beat = now
    ahead = start + (i + 1) / rate - now
    if ahead > 0:
        time.sleep(ahead)
deadline = time.monotonic() + 180
flushed = False
while not flushed and time.monotonic() < deadline:
    flushed = client.flush(5.0) and client.stats().unacked == 0
    client.heartbeat()
stats = client.stats().as_dict()
print(json.dumps({"lang": "python", "channel": channel, "instance": client.instance, "calls": calls,
                  "tokens_in": tokens_in, "tokens_out": tokens_out, "flushed": flushed, "stats": stats}), flush=True)
client.close(5.0)
