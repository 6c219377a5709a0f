#!/usr/bin/env python3
"""P13: a generated knowledge vault and the latency of its index.

  p13_knowledge.py gen VAULT_DIR N       writes N linked notes (seeded, reproducible)
  p13_knowledge.py measure PORT N        prints "search_p50 S backlinks_p50 B graph_p50 G nodes K failed F" (ms)
"""
import http.client
import json
import random
import statistics
import sys
import time
import urllib.parse

WORDS = ("garden plan river market ledger orbit canvas signal harbor meadow lantern copper "
         "forest quartz violet summit ember delta glacier pepper").split()


def note_path(i):
    return f"area{i % 40}/Note {i}.md"


def gen(vault, n):
    import os
    rng = random.Random(13)
    for i in range(n):
        path = os.path.join(vault, note_path(i))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        lines = [f"# Note {i}"]
        for _ in range(12):
            lines.append(" ".join(rng.choice(WORDS) for _ in range(10)))
        for k in range(5):
            j = rng.randrange(n)
            if k % 2:
                lines.append(f"see [[Note {j}]] for {rng.choice(WORDS)}")
            else:
                lines.append(f"and [link {j}]({urllib.parse.quote(note_path(j))}) too")
        lines.append("`[[Note 0]]` in code is no link")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")


def measure(port, n):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    rng = random.Random(7)
    failed = 0

    def timed(method, path, body=None):
        nonlocal failed
        start = time.perf_counter()
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
        r = conn.getresponse()
        data = r.read()
        elapsed = (time.perf_counter() - start) * 1000
        if r.status != 200:
            failed += 1
        return elapsed, data

    search, backlinks, graph = [], [], []
    for i in range(n):
        q = rng.choice(WORDS) if i % 2 else f"Note {rng.randrange(n * 10)}"
        search.append(timed("POST", "/api/knowledge/search", json.dumps({"query": q, "limit": 20}))[0])
        path = urllib.parse.quote(note_path(rng.randrange(10000)), safe="")
        backlinks.append(timed("GET", f"/api/knowledge/backlinks?path={path}")[0])
    nodes = 0
    for _ in range(max(5, n // 20)):
        ms, data = timed("GET", "/api/knowledge/graph")
        graph.append(ms)
        nodes = len(json.loads(data)["nodes"])
    print(f"search_p50 {statistics.median(search):.2f} backlinks_p50 {statistics.median(backlinks):.2f} "
          f"graph_p50 {statistics.median(graph):.1f} nodes {nodes} failed {failed}")


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2], int(sys.argv[3]))
    else:
        measure(int(sys.argv[2]), int(sys.argv[3]))
