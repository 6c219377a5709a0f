#!/usr/bin/env python3
"""P11: an event published on host A reaches the SSE clients of host B.
Chats on A publish the events; one SSE client on each host notes when each
seq arrives. The figure is B's arrival minus the event's own `timestamp`
(stamped by A when it published, microseconds, same machine clock); A's
own delivery is printed beside it, since on PostgreSQL it too comes back
through the log.

usage: p11_cross_host.py PORT_A PORT_B CHATS
prints: "events N p50_ms X p99_ms Y a_p99_ms Z missing_on_b M"
"""
import datetime
import http.client
import json
import sys
import threading
import time

port_a, port_b, chats = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
arrived = {port_a: {}, port_b: {}}
ready = threading.Barrier(3)
stop = threading.Event()


def listen(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/api/events", headers={"Accept": "text/event-stream"})
    r = conn.getresponse()
    ready.wait()
    seen = arrived[port]
    seq = None
    while not stop.is_set():
        line = r.readline()
        if not line:
            break
        if line.startswith(b"id:"):
            seq = int(line[3:])
        elif line.startswith(b"data:") and seq is not None:
            now = time.time()
            stamp = json.loads(line[5:])["timestamp"].replace("Z", "+00:00")
            seen[seq] = now - datetime.datetime.fromisoformat(stamp).timestamp()
            seq = None


listeners = [threading.Thread(target=listen, args=(p,), daemon=True) for p in (port_a, port_b)]
for t in listeners:
    t.start()
ready.wait()
time.sleep(0.2)
chat = http.client.HTTPConnection("127.0.0.1", port_a, timeout=30)
for n in range(chats):
    chat.request("POST", "/api/chat", json.dumps({"content": f"p11 {n}", "session_id": f"p11-{n % 16}"}),
                 {"Content-Type": "application/json"})
    chat.getresponse().read()
    time.sleep(0.01)  # light load: the figure is the path, not a queue
time.sleep(2)
stop.set()
a, b = dict(arrived[port_a]), dict(arrived[port_b])
missing = sum(1 for s in a if s not in b)
if not b or not a:
    print(f"events 0 p50_ms -1 p99_ms -1 a_p99_ms -1 missing_on_b {missing}")
    sys.exit(0)


def pick(delays, q):
    ms = sorted(d * 1000 for d in delays)
    return ms[min(len(ms) - 1, int(q * len(ms)))]


print(f"events {len(b)} p50_ms {pick(b.values(), 0.5):.2f} p99_ms {pick(b.values(), 0.99):.2f} "
      f"a_p99_ms {pick(a.values(), 0.99):.2f} missing_on_b {missing}")
