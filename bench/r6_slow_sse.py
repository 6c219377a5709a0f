#!/usr/bin/env python3
"""R6's slow SSE reader against a running host: one /api/events client stops
reading (small receive buffer) while wrk drives POST /api/chat as fast as the
host answers for SECONDS, so far more events come than the host buffers for
one stream. Then it reads everything, one more chat follows, and the stream
must still be open, every jump in its ids announced by an `event: resync`
whose "missed" is exactly the size of the jump, and the last chat's events
delivered live.

usage: r6_slow_sse.py PORT SECONDS
prints: "kept K events N resyncs R unannounced U wrong_missed W live L chats C"
"""
import json
import re
import socket
import subprocess
import sys
import tempfile
import time

port, seconds = int(sys.argv[1]), int(sys.argv[2])


def read_available(sock, buf, quiet=2.0):
    """Reads until nothing came for `quiet` seconds; returns (buf, eof)."""
    sock.settimeout(quiet)
    while True:
        try:
            d = sock.recv(1 << 20)
        except socket.timeout:
            return buf, False
        if not d:
            return buf, True
        buf += d


def chat(content):
    subprocess.run(["curl", "-s", "-o", "/dev/null", "-X", "POST", "-H", "Content-Type: application/json",
                    "-d", json.dumps({"content": content}), f"http://127.0.0.1:{port}/api/chat"], check=False)


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", port))
s.sendall(f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n".encode())
time.sleep(0.3)

with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
    lua.write('wrk.method = "POST"\nwrk.body = \'{"content":"slow reader"}\'\n'
              'wrk.headers["Content-Type"] = "application/json"\n')
    lua.flush()
    out = subprocess.run(["wrk", "-t2", "-c8", f"-d{seconds}s", "-s", lua.name, f"http://127.0.0.1:{port}/api/chat"],
                         capture_output=True, text=True).stdout
m = re.search(r"(\d+) requests in", out)
chats = int(m.group(1)) if m else 0

buf, eof = read_available(s, b"")
before = len(buf)
chat("slow reader: after")
if not eof:
    buf, eof = read_available(s, buf)
s.close()

head, _, body = buf.decode(errors="replace").partition("\r\n\r\n")
last = None
events = resyncs = unannounced = wrong_missed = 0
pending_missed = None  # "missed" of the resync just before, if any
for block in body.split("\n\n"):
    if block.startswith("event: resync"):
        resyncs += 1
        pending_missed = json.loads(block.split("data: ", 1)[1])["missed"]
        continue
    m = re.match(r"id: (\d+)\n", block)
    if not m:
        continue
    seq = int(m.group(1))
    events += 1
    if last is not None and seq != last + 1:
        if pending_missed is None:
            unannounced += 1
        elif pending_missed != seq - last - 1:
            wrong_missed += 1
    pending_missed = None
    last = seq

# The last chat's events came after everything held back: the stream is live.
live = 1 if re.search(rb"id: \d+\n", buf[before:]) else 0
print(f"kept {0 if eof else 1} events {events} resyncs {resyncs} unannounced {unannounced} "
      f"wrong_missed {wrong_missed} live {live} chats {chats}")
