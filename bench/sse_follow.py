#!/usr/bin/env python3
"""SSE clients that reconnect with Last-Event-ID (R11): CLIENTS streams of
GET /api/events at BASE for SECONDS; after any drop each reconnects at once
(through nginx: to another host) and must go on exactly where it stopped.

usage: sse_follow.py BASE SECONDS CLIENTS
prints: "clients C events E reconnects R gaps G repeats P resyncs S behind B"
  behind = clients whose last id is below the highest any client saw (the
  stream stops LINGER seconds after the load, time enough to catch up).
  a gap = an id that is not the previous + 1 (counted once per jump);
  a resync = the host announcing a gap it could not fill.
"""
import http.client
import sys
import threading
import time
import urllib.parse

base, seconds, clients = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
url = urllib.parse.urlparse(base)
lock = threading.Lock()
totals = {"events": 0, "reconnects": 0, "gaps": 0, "repeats": 0, "resyncs": 0}
lasts = []
deadline = time.time() + seconds


def follow():
    last = None
    first = True
    while time.time() < deadline:
        if not first:
            with lock:
                totals["reconnects"] += 1
            time.sleep(0.1)
        first = False
        try:
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=3)
            headers = {"Accept": "text/event-stream"}
            if last is not None:
                headers["Last-Event-ID"] = str(last)
            conn.request("GET", "/api/events", headers=headers)
            r = conn.getresponse()
            if r.status != 200:
                conn.close()
                continue
            while time.time() < deadline:
                line = r.readline()  # decodes nginx's chunked framing
                if not line:
                    break
                line = line.rstrip(b"\r\n")
                if line.startswith(b"event:"):
                    if line[6:].strip() == b"resync":
                        with lock:
                            totals["resyncs"] += 1
                elif line.startswith(b"id:"):
                    n = int(line[3:].strip())
                    with lock:
                        totals["events"] += 1
                        if last is not None and n <= last:
                            totals["repeats"] += 1
                        elif last is not None and n != last + 1:
                            totals["gaps"] += 1
                    if last is None or n > last:
                        last = n
            conn.close()
        except (OSError, http.client.HTTPException, ValueError):
            pass
    with lock:
        lasts.append(last if last is not None else 0)


workers = [threading.Thread(target=follow) for _ in range(clients)]
for w in workers:
    w.start()
for w in workers:
    w.join()
behind = sum(1 for n in lasts if n < max(lasts))
print(f"clients {clients} " + " ".join(f"{k} {v}" for k, v in totals.items()) + f" behind {behind}")
