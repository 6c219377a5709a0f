#!/usr/bin/env python3
"""P14: cron start precision on a real host (docs/quality.md).

Usage: p14_cron.py PORT RUNS
Creates four jobs firing every 2 s (two on even seconds, two on odd ones,
6-field schedules, cron.timezone UTC), reads the SSE stream until RUNS
cron_job_started events have come, deletes the jobs and prints
  runs N p50_ms X p99_ms Y max_ms Z failed F
The lag of a run is its cron_job_started timestamp (the host's clock when the
scheduler starts the run) minus its scheduled fire time: the last second of
the job's parity at or before that timestamp. A lag of 2 s or more would be
read modulo 2 s; the target (1 s) is well inside that window.
"""
import http.client
import json
import sys
from datetime import datetime

port, runs = int(sys.argv[1]), int(sys.argv[2])


def call(method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, path, body=json.dumps(body) if body is not None else None,
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    if r.status != 200:
        raise SystemExit(f"p14: {method} {path} -> {r.status} {data[:200]!r}")
    return json.loads(data)


def unix(ts):
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


stream = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
stream.request("GET", "/api/events")
events = stream.getresponse()
if events.status != 200:
    raise SystemExit(f"p14: GET /api/events -> {events.status}")

parity = {}
for i, sched in enumerate(["*/2 * * * * *", "*/2 * * * * *", "1/2 * * * * *", "1/2 * * * * *"]):
    job = call("POST", "/api/cron-jobs", {"name": f"p14-{i}", "schedule": sched, "command": "p14"})
    parity[job["id"]] = 0 if sched.startswith("*/2") else 1

lags, failed = [], 0
try:
    while len(lags) < runs:
        line = events.readline()
        if not line:
            raise SystemExit("p14: the event stream ended")
        if not line.startswith(b"data: "):
            continue
        ev = json.loads(line[6:])
        if ev.get("type") == "cron_job_completed" and ev.get("job_id") in parity and not ev.get("success"):
            failed += 1
        if ev.get("type") != "cron_job_started" or ev.get("job_id") not in parity:
            continue
        t = unix(ev["timestamp"])
        fire = int(t)
        if fire % 2 != parity[ev["job_id"]]:
            fire -= 1
        lags.append((t - fire) * 1000.0)
finally:
    for job_id in parity:
        call("DELETE", f"/api/cron-jobs/{job_id}")

lags.sort()
pick = lambda q: lags[min(len(lags) - 1, int(q * len(lags)))]  # noqa: E731
print(f"runs {len(lags)} p50_ms {pick(0.50):.2f} p99_ms {pick(0.99):.2f} max_ms {lags[-1]:.2f} failed {failed}")
