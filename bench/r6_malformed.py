#!/usr/bin/env python3
"""R6: malformed inputs against a running host. Each case is sent raw (the
path exactly as written, no client-side normalisation) and must get one of
its expected statuses; afterwards the host must still answer, nothing
outside the workspace may have been created or changed, and no secret from
outside may have leaked into a response.

usage: r6_malformed.py PORT WORKSPACE OUTSIDE_DIR HOST_PID
prints: "cases N wrong W crashed C outside_touched T leaked L" and, on
stderr, one line per wrong case.
"""
import http.client
import os
import socket
import sys
import time

port, workspace, outside, host_pid = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
SECRET = "R6-SECRET-OUTSIDE-THE-WORKSPACE"


def snapshot(root):
    out = {}
    for d, dirs, files in os.walk(root, followlinks=False):
        for n in dirs + files:
            p = os.path.join(d, n)
            st = os.lstat(p)
            out[p] = (st.st_size, st.st_mtime_ns)
    return out


def request(method, path, body=None, headers=None, timeout=10):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.putrequest(method, path, skip_accept_encoding=True)
        h = dict(headers or {})
        if body is not None:
            h.setdefault("Content-Type", "application/json")
            h["Content-Length"] = str(len(body))
        for k, v in h.items():
            c.putheader(k, v)
        c.endheaders()
        if body is not None:
            c.send(body)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


# An outside directory with a secret, a symlink to it from the workspace, and
# a symlink to an outside file.
os.makedirs(outside, exist_ok=True)
with open(os.path.join(outside, "secret.txt"), "w") as f:
    f.write(SECRET)
os.makedirs(workspace, exist_ok=True)
for name, target in (("link_out", outside), ("link_file", os.path.join(outside, "secret.txt"))):
    p = os.path.join(workspace, name)
    if not os.path.lexists(p):
        os.symlink(target, p)
with open(os.path.join(workspace, "inside.txt"), "w") as f:
    f.write("inside")
# The same two links inside the knowledge vault (R13).
os.makedirs(os.path.join(workspace, "knowledge"), exist_ok=True)
for name, target in (("link_out", outside), ("link_file", os.path.join(outside, "secret.txt"))):
    p = os.path.join(workspace, "knowledge", name)
    if not os.path.lexists(p):
        os.symlink(target, p)

parent = os.path.dirname(os.path.abspath(workspace))
watch_roots = [parent, "/tmp"]
before = {r: snapshot(r) if r != "/tmp" else set(os.listdir("/tmp")) for r in watch_roots}

T403 = {403}
T403_404 = {403, 404}
BIG_CHAT = b'{"content":"' + b"a" * 65537 + b'"}'
cases = [
    # --- traversal on the workspace file routes ---
    ("GET", "/api/workspace/file/../../../etc/passwd", None, T403_404),
    ("GET", "/api/workspace/file/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd", None, T403),
    ("GET", "/api/workspace/file/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", None, T403),
    ("GET", "/api/workspace/file/..%2f..%2f..%2fetc%2fpasswd", None, T403),
    ("GET", "/api/workspace/file/%2e%2e/%2e%2e/etc/passwd", None, T403),
    ("GET", "/api/workspace/file/sub/../../x", None, T403_404),
    ("GET", "/api/workspace/file/%252e%252e%252fetc%252fpasswd", None, {400, 403, 404}),  # double-encoded: a literal name
    ("GET", "/api/workspace/file//etc/passwd", None, T403_404),
    ("GET", "/api/workspace/file/%2fetc%2fpasswd", None, T403_404),
    ("GET", "/api/workspace/file/inside.txt%00.md", None, {400, 403, 404}),
    ("GET", "/api/workspace/file/link_out/secret.txt", None, T403_404),
    ("GET", "/api/workspace/file/link_file", None, T403_404),
    ("GET", "/api/workspace/tree?dir=..", None, T403),
    ("GET", "/api/workspace/tree?dir=%2e%2e%2f%2e%2e", None, T403),
    ("GET", "/api/workspace/tree?dir=link_out", None, T403_404),
    ("PUT", "/api/workspace/file/../r6_escape_a.txt", b"x", T403),
    ("PUT", "/api/workspace/file/%2e%2e%2fr6_escape_b.txt", b"x", T403),
    ("PUT", "/api/workspace/file/..%2f..%2fr6_escape_c.txt", b"x", T403),
    ("PUT", "/api/workspace/file/link_out/r6_escape_d.txt", b"x", T403),
    ("PUT", "/api/workspace/file/link_out/newdir/r6_escape_e.txt", b"x", T403),
    ("PUT", "/api/workspace/file/link_file", b"overwritten", T403),
    ("PUT", "/api/workspace/file/%2ftmp%2fr6_escape_f.txt", b"x", T403_404 | {400}),
    # --- bad ids ---
    ("GET", "/api/sessions/..%2f..%2fetc%2fpasswd", None, {400}),
    ("GET", "/api/sessions/a.b", None, {400}),
    ("GET", "/api/sessions/" + "a" * 129, None, {400}),
    ("GET", "/api/sessions/%2e%2e", None, {400}),
    ("DELETE", "/api/sessions/..%2fconfig", None, {400}),
    ("DELETE", "/api/sessions/a%20b", None, {400}),
    ("GET", "/api/spaces/..%2f..", None, {400}),
    ("POST", "/api/chat", b'{"content":"hi","session_id":"../../etc"}', {400}),
    ("POST", "/api/chat", b'{"content":"hi","space_id":"a/b"}', {400}),
    ("POST", "/api/approvals/..%2fx/approve", None, {400, 404}),
    # --- bad JSON / wrong types / missing fields ---
    ("POST", "/api/chat", b"{", {400}),
    ("POST", "/api/chat", b'{"content": "x",}', {400}),
    ("POST", "/api/chat", b"", {400, 422}),
    ("POST", "/api/chat", b"[1,2]", {400, 422}),
    ("POST", "/api/chat", b"{}", {422}),
    ("POST", "/api/chat", b'{"content":5}', {422}),
    ("POST", "/api/chat", b'{"content":null}', {422}),
    ("POST", "/api/chat", b'{"content":"x","session_id":5}', {422}),
    ("POST", "/api/memory", b'{"content":"x","memory_type":"bogus"}', {400}),
    ("POST", "/api/memory", b'{"content":7}', {422}),
    ("POST", "/api/skills", b'{"name":"x"', {400}),
    ("PUT", "/api/config", b'{"gateway":{"port":"eighty"}}', {400}),
    ("PUT", "/api/config", b'{"gateway":{"port":70000}}', {400}),
    ("PUT", "/api/config", b'{"session":{"max_sessions":-1}}', {400}),
    # --- over-size ---
    ("POST", "/api/chat", BIG_CHAT, {413}),
    ("POST", "/api/memory", b'{"content":"' + b"m" * 32769 + b'"}', {413}),
    ("POST", "/api/skills", b'{"name":"big","description":"d","content":"' + b"s" * 65537 + b'"}', {413}),
    ("PUT", "/api/workspace/file/big.txt", b"w" * (1048576 + 1), {413}),
    ("POST", "/api/chat", b" " * (10 * 1024 * 1024 + 1), {413}),
    # --- invalid UTF-8 ---
    ("POST", "/api/chat", b'{"content":"\xff\xfe\xc3"}', {400}),
    ("POST", "/api/chat", b'{"content":"ok","session_id":"\xc0\xaf"}', {400}),
    ("PUT", "/api/workspace/file/bad_utf8.txt", b"\xff\xfe\xfd", {400, 415, 422}),
    # --- operator pages (R13): resources, scheduler ---
    ("GET", "/api/resources/history?last_n=abc", None, {400}),
    ("GET", "/api/resources/history?last_n=%ff%fe", None, {400}),
    ("GET", "/api/resources/history?last_n=1%00", None, {400}),
    ("GET", "/api/resources/history?last_n=99999999999999999999999", None, {200}),
    ("GET", "/api/resources/history?last_n=-5", None, {200}),
    ("GET", "/api/resources/..%2f..%2fetc%2fpasswd", None, {404}),
    ("POST", "/api/resources", b"{", {405}),
    ("PUT", "/api/config", b'{"resources":{"sample_interval_secs":0}}', {400}),
    ("PUT", "/api/config", b'{"resources":{"overload_cpu_percent":"high"}}', {400}),
    ("GET", "/api/scheduler/tasks/%2e%2e", None, {404}),
    ("DELETE", "/api/scheduler/tasks", None, {405}),
    # cron jobs: bad expressions, bad ids, over-size fields, invalid UTF-8
    ("POST", "/api/cron-jobs", b'{"name":"n","schedule":"@reboot","command":"c"}', {400}),
    ("POST", "/api/cron-jobs", b'{"name":"n","schedule":"0 0 30 2 *","command":"c"}', {400}),
    ("POST", "/api/cron-jobs", b'{"name":"n","schedule":"0 0 0 1 1 * 2030","command":"c"}', {400}),
    ("POST", "/api/cron-jobs", b'{"name":"n","schedule":"0 0 L * ?","command":"c"}', {400}),
    ("POST", "/api/cron-jobs", b'{"name":"n","schedule":"99 * * * *","command":"c"}', {400}),
    ("POST", "/api/cron-jobs", b'{"name":"n","schedule":"*/0 * * * *","command":"c"}', {400}),
    ("POST", "/api/cron-jobs", b'{"name":"n","schedule":"5-1 * * * *","command":"c"}', {400}),
    ("POST", "/api/cron-jobs", b'{"name":"n","schedule":"* * * * 99999999999999999999","command":"c"}', {400}),
    ("POST", "/api/cron-jobs", b'{"name":"n","schedule":"","command":"c"}', {422}),
    ("POST", "/api/cron-jobs", b'{"name":"n","schedule":"* * * * *"}', {422}),
    ("POST", "/api/cron-jobs", b'{"name":5,"schedule":"* * * * *","command":"c"}', {422}),
    ("POST", "/api/cron-jobs", b'{"name":"' + b"n" * 129 + b'","schedule":"* * * * *","command":"c"}', {413}),
    ("POST", "/api/cron-jobs", b'{"name":"n","schedule":"' + b"*" * 257 + b'","command":"c"}', {413}),
    ("POST", "/api/cron-jobs", b'{"name":"n","schedule":"* * * * *","command":"' + b"c" * 65537 + b'"}', {413}),
    ("POST", "/api/cron-jobs", b'{"name":"\xff\xfe","schedule":"* * * * *","command":"c"}', {400}),
    ("POST", "/api/cron-jobs", b'{"name":"n","schedule":"* * * * *","command":"c"', {400}),
    ("POST", "/api/cron-jobs", b"[]", {400}),
    ("GET", "/api/cron-jobs/..%2f..%2fetc%2fpasswd", None, {404}),
    ("GET", "/api/cron-jobs/not-a-job", None, {404}),
    ("PUT", "/api/cron-jobs/not-a-job", b'{"enabled":false}', {404}),
    ("PUT", "/api/cron-jobs/not-a-job", b'{"enabled":"yes"}', {422}),
    ("POST", "/api/cron-jobs/%00/edit", b'{"name":"n"}', {400, 404}),
    ("DELETE", "/api/cron-jobs/%2e%2e", None, {404}),
    ("POST", "/api/cron-jobs/not-a-job/trigger?wait=true", None, {404}),
    ("PUT", "/api/config", b'{"cron":{"timezone":"Mars/Olympus"}}', {400}),
    ("PUT", "/api/config", b'{"cron":{"max_concurrent":0}}', {400}),
    # --- operator pages (R13): personas, budget ---
    ("GET", "/api/budget/a%2Fb", None, {400, 404}),
    ("GET", "/api/budget/a%01b", None, {400}),
    ("GET", "/api/budget/" + "x" * 129, None, {400}),
    ("GET", "/api/budget/%ff%fe", None, {400}),
    ("POST", "/api/budget/a%0a", b'{"tokens_limit":5}', {400, 404}),
    ("POST", "/api/budget/agent", b'{"tokens_limit":-1}', {400}),
    ("POST", "/api/budget/agent", b'{"tokens_limit":"5"}', {422}),
    ("POST", "/api/budget/agent", b'{"token_budget":0}', {400}),
    ("POST", "/api/budget/agent", b'{"cost_limit":-0.5}', {400}),
    ("POST", "/api/budget/agent", b'{"cost_limit":"cheap"}', {422}),
    ("POST", "/api/budget/agent", b'{"window_secs":-1}', {400}),
    ("POST", "/api/budget/agent", b'{"window_secs":1.5}', {422}),
    ("POST", "/api/budget/agent", b'[1,2]', {400}),
    ("POST", "/api/budget/..%2f..%2fetc%2fpasswd/reset", None, {400, 404}),
    ("DELETE", "/api/budget/nobody", None, {404}),
    ("PUT", "/api/config", b'{"budget":{"default_tokens_limit":0}}', {400}),
    ("PUT", "/api/config", b'{"budget":{"prices":"free"}}', {400}),
    ("POST", "/api/personas", b'{"name":"x","system_prompt":"' + b"p" * 32769 + b'"}', {413}),
    ("POST", "/api/personas", b'{"name":"' + b"n" * 129 + b'"}', {413}),
    ("POST", "/api/personas", b'{"name":"\xff\xfe"}', {400}),
    ("POST", "/api/personas", b'{"name":""}', {422}),
    ("POST", "/api/personas", b'{"name":"x","personality_traits":[1]}', {422}),
    ("GET", "/api/personas/..%2f..%2fetc%2fpasswd", None, {404}),
    ("GET", "/api/personas/%00", None, {400, 404}),
    ("PUT", "/api/personas/not-a-persona", b'{"name":"x"}', {404}),
    ("DELETE", "/api/personas/not-a-persona", None, {404}),
    ("POST", "/api/personas/not-a-persona/activate", None, {404}),
    ("PUT", "/api/personas/active", b'{"id":42}', {422}),
    # --- knowledge vault (R13) ---
    ("GET", "/api/knowledge/file/../../etc/passwd", None, T403_404),
    ("GET", "/api/knowledge/file/..%2F..%2Fetc%2Fpasswd", None, T403),
    ("GET", "/api/knowledge/file/%2e%2e/%2e%2e/etc/passwd", None, T403),
    ("GET", "/api/knowledge/file/link_file", None, T403),
    ("GET", "/api/knowledge/file/link_out/secret.txt", None, T403),
    ("PUT", "/api/knowledge/file/link_out/new.md", b"x", T403),
    ("PUT", "/api/knowledge/file/..%2F..%2Fescape.md", b"x", T403),
    ("PUT", "/api/knowledge/file/a%5C..%5C..%5Cescape.md", b"x", T403),
    ("PUT", "/api/knowledge/file/a%00b.md", b"x", T403),
    ("DELETE", "/api/knowledge/file/..%2Finside.txt", None, T403),
    ("PUT", "/api/knowledge/file/.hidden/x.md", b"x", {400}),
    ("PUT", "/api/knowledge/file/notes/.git/config", b"x", {400}),
    ("PUT", "/api/knowledge/file/bad.md", b"\xff\xfe\x00bad", {400}),
    ("PUT", "/api/knowledge/file/big.md", b"a" * 1048577, {413}),
    ("PUT", "/api/knowledge/file/" + "n" * 256 + ".md", b"x", {400}),
    ("GET", "/api/knowledge/tree?dir=..%2F..", None, T403),
    ("GET", "/api/knowledge/tree?dir=link_out", None, T403),
    ("GET", "/api/knowledge/backlinks?path=..%2F..%2Fx.md", None, T403),
    ("GET", "/api/knowledge/backlinks", None, {400}),
    ("POST", "/api/knowledge/file/a.md/restore", b'{"hash":"zz"}', {400, 404}),
    ("POST", "/api/knowledge/file/..%2F..%2Fx.md/restore", b'{"hash":"abcd"}', T403),
    ("POST", "/api/knowledge/search", b'{"query":"' + b"q" * 1025 + b'"}', {413}),
    ("POST", "/api/knowledge/search", b'{"query":5}', {422}),
    ("POST", "/api/knowledge/chat/delete", b'{"msg_hash":"not-a-hash"}', {400}),
    ("POST", "/api/knowledge/chat/delete", b'{"msg_hash":"519984d180c0"}', {400}),
    ("POST", "/api/knowledge/chat/append", b'{"message":"   "}', {422}),
    ("POST", "/api/knowledge/chat/append", b'{"message":"' + b"a" * 65537 + b'"}', {413}),
    ("POST", "/api/knowledge/checklist/add", b'{"path":"../../Shop.md","item":"x"}', T403),
    ("POST", "/api/knowledge/checklist/add", b'{"path":"Shop.txt","item":"x"}', {400}),
    ("GET", "/api/knowledge/habits?year=1969", None, {400}),
    ("GET", "/api/knowledge/habits?year=10000", None, {400}),
    ("GET", "/api/knowledge/habits?year=abc", None, {400}),
    ("PUT", "/api/knowledge/config", b'{"mode":"zen"}', {400}),
    ("PUT", "/api/knowledge/config", b'{"timezone":"../../etc"}', {400}),
    ("POST", "/api/knowledge/copilot", b'{"question":"' + b"q" * 10241 + b'"}', {413}),
    ("GET", "/api/knowledge/stats/today", None, {404}),
    # --- operator pages (R13): security / audit ---
    ("GET", "/api/audit/entries?from_seq=abc", None, {400}),
    ("GET", "/api/audit/entries?from_seq=0", None, {400}),
    ("GET", "/api/audit/entries?from_seq=-7", None, {400}),
    ("GET", "/api/audit/entries?from_seq=10&to_seq=1", None, {400}),
    ("GET", "/api/audit/entries?from_seq=1&to_seq=1001", None, {400}),
    ("GET", "/api/audit/entries?from_seq=99999999999999999999999", None, {200}),
    ("GET", "/api/audit/entries?from_seq=1&to_seq=99999999999999999999999", None, {400}),
    ("GET", "/api/audit/entries?from_seq=%ff%fe", None, {400}),
    ("GET", "/api/audit/entries?to_seq=1%c3%28", None, {400}),
    ("GET", "/api/audit?page=abc", None, {400}),
    ("GET", "/api/audit/..%2f..%2f.oxios%2faudit%2faudit.jsonl", None, {404}),
    ("POST", "/api/audit/verify", b"{", {405}),
    ("PUT", "/api/config", b'{"audit":{"max_file_bytes":1}}', {400}),
    ("PUT", "/api/config", b'{"audit":{"enabled":"yes"}}', {400}),
    ("PUT", "/api/config", b'{"audit":{"memory_entries":"\xff\xfe"}}', {400}),
    # --- operator pages (R13): marketplace ---
    ("POST", "/api/marketplace/skills/..%2f..%2fetc/install", b"{}", {400, 404}),
    ("POST", "/api/marketplace/skills/%2e%2e/install", b"{}", {400, 404}),
    ("POST", "/api/marketplace/skills/..%5c..%5cx/install", b"{}", {400}),
    ("POST", "/api/marketplace/skills/a%00b/install", b"{}", {400}),
    ("POST", "/api/marketplace/skills/not-there/install", b"{}", {404}),
    ("POST", "/api/marketplace/skills/x/install", b'{"version":"\xff\xfe"}', {400}),
    ("POST", "/api/marketplace/skills/x/install", BIG_CHAT, {413}),
    ("GET", "/api/marketplace/search", None, {400}),
    ("GET", "/api/marketplace/search?q=" + "a" * 300, None, {400}),
    ("GET", "/api/marketplace/search?q=%ff%fe", None, {200, 400}),
    ("GET", "/api/marketplace/search?q=x&limit=abc", None, {400}),
    ("PUT", "/api/config", b'{"marketplace":{"max_files":0}}', {400}),
    # an index registry: http:// only to loopback, no credentials, never a request sent
    ("PUT", "/api/config", b'{"marketplace":{"registry":"http://169.254.169.254/latest/index.json"}}', {400}),
    ("PUT", "/api/config", b'{"marketplace":{"registry":"http://example.com@127.0.0.1/i.json"}}', {400}),
    ("PUT", "/api/config", b'{"marketplace":{"registry":"https://"}}', {400}),
    ("PUT", "/api/config", b'{"marketplace":{"registry":"https://host:99999/i.json"}}', {400}),
    ("PUT", "/api/config", b'{"marketplace":{"registry":"https://a b/i.json"}}', {400}),
]

wrong = 0
crashed = 0
leaked = 0
for method, path, body, expect in cases:
    try:
        status, data = request(method, path, body)
    except Exception as e:  # noqa: BLE001 - any transport failure is a failure
        status, data = -1, str(e).encode()
    if SECRET.encode() in data or b"root:x:0:0" in data:
        leaked += 1
        print(f"R6 leaked: {method} {path[:80]} -> {status}", file=sys.stderr)
    if status not in expect:
        wrong += 1
        print(f"R6 wrong status: {method} {path[:80]} body={len(body or b'')}B -> {status} "
              f"(want {sorted(expect)}): {data[:120]!r}", file=sys.stderr)
    try:
        os.kill(host_pid, 0)
    except OSError:
        crashed += 1
        print(f"R6 host died after {method} {path[:80]}", file=sys.stderr)
        break

# Slow client: a request head dribbled over ~3 s while others are served.
slow_ok = True
try:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /health HTTP/1.1\r\n")
    for _ in range(6):
        time.sleep(0.5)
        st, _ = request("GET", "/health", timeout=5)
        slow_ok = slow_ok and st == 200
        try:
            s.sendall(b"X-Slow: 1\r\n")
        except OSError:
            break  # the host closed the slow client: fine
    s.close()
except OSError:
    pass
if not slow_ok:
    wrong += 1
    print("R6 slow client: other requests were not served", file=sys.stderr)

# Host alive and answering.
try:
    st, _ = request("GET", "/health")
    if st != 200:
        crashed += 1
except Exception:  # noqa: BLE001
    crashed += 1

# Nothing created or changed outside the workspace.
touched = 0
after_parent = snapshot(parent)
for p, meta in after_parent.items():
    if p.startswith(os.path.abspath(workspace) + os.sep) or p == os.path.abspath(workspace):
        continue
    if os.path.basename(p) in ("err.log", "out.log", "config.json") and os.path.dirname(p) == parent:
        continue  # the host's own log files and config (a refused PUT /api/config must not change it either)
    if p not in before[parent] or before[parent][p] != meta:
        touched += 1
        print(f"R6 touched outside the workspace: {p}", file=sys.stderr)
for n in set(os.listdir("/tmp")) - before["/tmp"]:
    if n.startswith("r6_escape"):
        touched += 1
        print(f"R6 created /tmp/{n}", file=sys.stderr)
with open(os.path.join(outside, "secret.txt")) as f:
    if f.read() != SECRET:
        touched += 1
        print("R6 the outside secret was overwritten", file=sys.stderr)

print(f"cases {len(cases) + 1} wrong {wrong} crashed {crashed} outside_touched {touched} leaked {leaked}")
