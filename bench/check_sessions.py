#!/usr/bin/env python3
"""Checks a workspace's session files after crashes (R1) or concurrent chats (R2).

usage: check_sessions.py SESSIONS_DIR [ACK_LOG]
  Every <id>.json must parse as a JSON object with user_messages and
  agent_responses arrays of equal length. Every "session_id<TAB>content" line
  of ACK_LOG (exchanges acknowledged with 200) must be on disk: in <id>.json
  or in its journal <id>.journal (host/kernel/session_store.hpp: a large
  session's file may lag by a few exchanges; each complete journal line whose
  "n" is the next user message index adds one; a torn last line is ignored).
  A line "session_id<TAB>content<TAB>reply" (a streamed reply, R10s) also
  needs the stored reply to that content to be exactly that text.
prints: "files N corrupted C acknowledged A missing M duplicated D exchanges E
         reply_mismatch R"
"""
import collections
import json
import os
import sys

sessions_dir = sys.argv[1]
ack_log = sys.argv[2] if len(sys.argv) > 2 else None

files = corrupted = exchanges = 0
contents = {}  # session id -> Counter of user message contents
replies = {}  # session id -> {user message content: stored reply content}
for name in sorted(os.listdir(sessions_dir)):
    if not name.endswith(".json") or name.startswith("."):
        continue
    files += 1
    sid = name[:-5]
    try:
        with open(os.path.join(sessions_dir, name), "rb") as f:
            doc = json.loads(f.read().decode("utf-8"))
        users, agents = doc["user_messages"], doc["agent_responses"]
        if not isinstance(users, list) or not isinstance(agents, list) or len(users) != len(agents):
            raise ValueError("user_messages / agent_responses mismatch")
        if doc.get("id") != sid:
            raise ValueError("id does not match the file name")
        count = len(users)
        journal = os.path.join(sessions_dir, sid + ".journal")
        if os.path.exists(journal):
            with open(journal, "rb") as f:
                lines = f.read().split(b"\n")[:-1]  # the part after the last newline is torn
            for line in lines:
                rec = json.loads(line.decode("utf-8"))  # a bad complete line counts as corruption
                if rec["n"] < count:
                    continue  # already in the file
                if rec["n"] > count:
                    raise ValueError(f"journal skips from message {count} to {rec['n']}")
                users.append(rec["user"])
                agents.append(rec["agent"])
                count += 1
        contents[sid] = collections.Counter(u["content"] for u in users)
        replies[sid] = {u["content"]: a.get("content") for u, a in zip(users, agents)}
        exchanges += len(users)
    except Exception as e:  # noqa: BLE001
        corrupted += 1
        print(f"corrupted: {name}: {e}", file=sys.stderr)

acknowledged = missing = duplicated = reply_mismatch = 0
if ack_log:
    with open(ack_log) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            sid, content, *reply = line.split("\t", 2)
            acknowledged += 1
            n = contents.get(sid, {}).get(content, 0)
            if n == 0:
                missing += 1
                if missing <= 5:
                    print(f"missing: session {sid} content {content}", file=sys.stderr)
            elif n > 1:
                duplicated += 1
            if n >= 1 and reply and replies[sid].get(content) != reply[0]:
                reply_mismatch += 1
                if reply_mismatch <= 5:
                    print(f"reply differs: session {sid} content {content}: stored "
                          f"{replies[sid].get(content)!r}, received {reply[0]!r}", file=sys.stderr)

print(f"files {files} corrupted {corrupted} acknowledged {acknowledged} missing {missing} "
      f"duplicated {duplicated} exchanges {exchanges} reply_mismatch {reply_mismatch}")
