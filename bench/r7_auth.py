#!/usr/bin/env python3
"""R7: with auth on, every protected route of the plugin (every /api/ route
in the route list that `oxios-harness PLUGIN.so` prints) must answer 401
without a token and with a wrong token. Public routes (/health, /health/ready,
/metrics, the UI) are listed but not counted. A valid token must get past
auth (sanity check that the figure is not vacuous).

usage: r7_auth.py PORT TOKEN ROUTES_FILE
prints: "routes N protected P open_without_token X open_with_bad_token Y valid_token_rejected Z"
"""
import http.client
import re
import sys

port, token, routes_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]


def request(method, path, headers):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        body = b"{}" if method in ("POST", "PUT", "PATCH") else None
        h = dict(headers)
        if body is not None:
            h["Content-Type"] = "application/json"
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        r.read()
        return r.status
    except Exception:  # noqa: BLE001
        return -1
    finally:
        c.close()


def concrete(pattern):
    # {id} / {name} -> a valid id; {*path} -> a file name.
    p = re.sub(r"\{\*[^}]*\}", "r7.txt", pattern)
    return re.sub(r"\{[^}]*\}", "r7id", p)


routes = []
with open(routes_file) as f:
    for line in f:
        parts = line.split()
        if len(parts) >= 2 and (parts[0].isupper() or parts[0] == "*") and parts[1].startswith("/"):
            kind = parts[2] if len(parts) > 2 else ""
            # A method wildcard is probed with the usual methods.
            for m in (("GET", "POST", "PUT", "DELETE") if parts[0] == "*" else (parts[0],)):
                routes.append((m, parts[1], kind))

protected = [(m, p, k) for (m, p, k) in routes if p.startswith("/api/") or p == "/api"]
open_no, open_bad, valid_rejected = 0, 0, 0
for method, pattern, kind in protected:
    path = concrete(pattern)
    # WebSocket / SSE routes: a plain GET is the upgrade / subscribe request.
    extra = {}
    if "websocket" in kind.lower() or kind.lower() == "ws":
        extra = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                 "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    s_none = request(method, path, extra)
    s_bad = request(method, path, {**extra, "Authorization": "Bearer wrong-" + token})
    if s_none != 401:
        open_no += 1
        print(f"R7 without token: {method} {path} ({kind}) -> {s_none}", file=sys.stderr)
    if s_bad != 401:
        open_bad += 1
        print(f"R7 with a wrong token: {method} {path} ({kind}) -> {s_bad}", file=sys.stderr)
    if "sse" in kind.lower() or "websocket" in kind.lower() or kind.lower() == "ws":
        continue  # a valid token would open a long-lived stream: skip the sanity check
    s_ok = request(method, path, {"Authorization": "Bearer " + token})
    if s_ok == 401:
        valid_rejected += 1
        print(f"R7 valid token refused: {method} {path} -> 401", file=sys.stderr)

print(f"routes {len(routes)} protected {len(protected)} open_without_token {open_no} "
      f"open_with_bad_token {open_bad} valid_token_rejected {valid_rejected}")
