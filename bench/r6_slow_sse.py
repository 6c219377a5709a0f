#!/usr/bin/env python3
"""R6's slow SSE reader against a running host: one /api/events client stops
reading (small receive buffer) while wrk drives POST /api/chat as fast as the
host answers for SECONDS, so far more events come than the host buffers for
one stream. Then it reads everything, one more chat follows, and the stream
must still be open, every jump in its ids announced by an `event: resync`
whose "missed" is exactly the size of the jump, and the last chat's events
delivered live.

usage: r6_slow_sse.py PORT SECONDS
prints: "kept K events N resyncs R unannounced U wrong_missed W live L chats C",
or "failed <why>" (exit 1) when the measurement itself could not be made;
the traceback, if any, goes to stderr.
"""
import json
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

port, seconds = int(sys.argv[1]), int(sys.argv[2])
started = time.monotonic()
phase = "starting"


def enter(name):
    """Marks (and logs to stderr) the phase a failure or a timeout is reported in."""
    global phase
    phase = name
    print(f"r6_slow_sse: {time.monotonic() - started:6.1f} s: {name}", file=sys.stderr, flush=True)


def read_available(sock, buf, quiet=2.0):
    """Reads until nothing came for `quiet` seconds; returns (buf, eof)."""
    sock.settimeout(quiet)
    last_note = time.monotonic()
    while True:
        try:
            d = sock.recv(1 << 20)
        except socket.timeout:
            return buf, False
        if not d:
            return buf, True
        buf += d
        if time.monotonic() - last_note > 5:
            last_note = time.monotonic()
            print(f"r6_slow_sse: {last_note - started:6.1f} s: {len(buf)} bytes read", file=sys.stderr, flush=True)


def chat(content):
    subprocess.run(["curl", "-s", "-o", "/dev/null", "-X", "POST", "-H", "Content-Type: application/json",
                    "-d", json.dumps({"content": content}), f"http://127.0.0.1:{port}/api/chat"], check=False)


class Failed(Exception):
    """The measurement could not be made (not a finding about the host)."""


def stopped(signum, _frame):
    raise Failed(f"stopped by signal {signum} after {time.monotonic() - started:.0f} s while {phase}")


signal.signal(signal.SIGTERM, stopped)  # scripts/reliability's timeout: say where it stood


def measure():
    enter("opening the SSE stream")
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n".encode())
    time.sleep(0.3)

    enter(f"flooding the bus with chats for {seconds} s (the stream not read)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write('wrk.method = "POST"\nwrk.body = \'{"content":"slow reader"}\'\n'
                  'wrk.headers["Content-Type"] = "application/json"\n')
        lua.flush()
        wrk = subprocess.run(["wrk", "-t2", "-c8", f"-d{seconds}s", "-s", lua.name, f"http://127.0.0.1:{port}/api/chat"],
                             capture_output=True, text=True)
    m = re.search(r"(\d+) requests in", wrk.stdout)
    if wrk.returncode != 0 or not m:
        raise Failed(f"wrk exited {wrk.returncode}: {(wrk.stderr or wrk.stdout).strip()[-200:]}")
    chats = int(m.group(1))

    # Read back at full speed: held at 4 KiB, the receive window let through
    # about 4 KiB per delayed ACK (~100 KB/s on loopback), so reading what
    # a fast host answered in SECONDS took longer than the run's 120 s.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    enter("reading what the stream held back")
    buf, eof = read_available(s, b"")
    before = len(buf)
    enter(f"one more chat ({len(buf)} bytes read)")
    chat("slow reader: after")
    if not eof:
        enter("reading the last chat's events")
        buf, eof = read_available(s, buf)
    s.close()
    enter(f"checking {len(buf)} bytes")

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
    return (f"kept {0 if eof else 1} events {events} resyncs {resyncs} unannounced {unannounced} "
            f"wrong_missed {wrong_missed} live {live} chats {chats}")


try:
    print(measure())
except Exception as e:  # noqa: BLE001 - every failure must say why on the R6 line
    traceback.print_exc()
    why = str(e) if isinstance(e, Failed) else f"{type(e).__name__}: {e}"
    print("failed " + " ".join(why.split()))
    sys.exit(1)
