#!/usr/bin/env python3
"""Chat load for the store-fault figures (R11, R12): THREADS clients POST
/api/chat to BASE for SECONDS, each on its own keep-alive connection, and
classify every answer.

usage: chat_load.py BASE SECONDS THREADS PREFIX ACK_LOG [MARK_FILE]
  BASE       http://127.0.0.1:PORT (a host, or nginx in front of several)
  ACK_LOG    gets "session_id<TAB>content" per 200 (bench/check_sessions.py)
  MARK_FILE  once it holds a Unix time (PostgreSQL is back), the first 200
             after it gives recovered_after_s
prints: "acknowledged A failed F json_503 J not_json_503 N recovered_after_s R"
"""
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

base, seconds, threads, prefix, ack_path = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
mark_file = sys.argv[6] if len(sys.argv) > 6 else None
url = urllib.parse.urlparse(base)
lock = threading.Lock()
counts = {"acknowledged": 0, "failed": 0, "json_503": 0, "not_json_503": 0}
first_ok_after_mark = [None]
examples = []
ack = open(ack_path, "a", encoding="utf-8")
deadline = time.time() + seconds


def mark():
    if not mark_file:
        return None
    try:
        with open(mark_file, encoding="utf-8") as f:
            return float(f.read().strip())
    except (OSError, ValueError):
        return None


def client(t):
    conn = None
    n = 0
    while time.time() < deadline:
        n += 1
        sid, content = f"{prefix}{t}", f"{prefix}-{t}-{n}"
        body = json.dumps({"content": content, "session_id": sid})
        try:
            if conn is None:
                conn = http.client.HTTPConnection(url.hostname, url.port, timeout=15)
            conn.request("POST", "/api/chat", body, {"Content-Type": "application/json"})
            r = conn.getresponse()
            status, data = r.status, r.read()
        except (OSError, http.client.HTTPException) as e:
            status, data = -1, str(e).encode()
            if conn is not None:
                conn.close()
            conn = None
        done = time.time()
        with lock:
            if status == 200:
                counts["acknowledged"] += 1
                ack.write(f"{sid}\t{content}\n")
                ack.flush()
                m = mark()
                if m is not None and first_ok_after_mark[0] is None and done >= m:
                    first_ok_after_mark[0] = done - m
                continue
            counts["failed"] += 1
            try:
                is_json = isinstance(json.loads(data), dict) and "error" in json.loads(data)
            except ValueError:
                is_json = False
            if status == 503 and is_json:
                counts["json_503"] += 1
            elif status != -1:  # a refused or reset connection is not an answer
                counts["not_json_503"] += 1
                if len(examples) < 3:
                    examples.append(f"{status} {data[:100]!r}")
        if status != 200:
            time.sleep(0.05)


workers = [threading.Thread(target=client, args=(t,)) for t in range(threads)]
for w in workers:
    w.start()
for w in workers:
    w.join()
for e in examples:
    print(f"chat_load: answer that is not a JSON 503: {e}", file=sys.stderr)
rec = first_ok_after_mark[0]
print(" ".join(f"{k} {v}" for k, v in counts.items()) + f" recovered_after_s {rec if rec is not None else -1:.2f}")
