#!/usr/bin/env python3
"""Writes the compile database scripts/lint gives clang-tidy.

usage: tidy_db.py BUILD_DIR OUT_DIR CLANGXX PATTERN...
Keeps the entries of BUILD_DIR/compile_commands.json whose source matches one
of the PATTERNs (paths relative to the source tree, a * stays within one
directory: plugin/*.cpp is not plugin/routes/x.cpp), and replaces GCC's
precompiled header (-include .../cmake_pch.hxx: clang cannot read a .gch) by
a clang PCH of the same header built here with CLANGXX, once per set of flags
(kept while newer than the header).
A unity batch (CMake's Unity/unity_N_cxx.cxx) stands for each source it
includes, with the batch's flags.
Prints the kept source files, one a line.
"""
import fnmatch
import hashlib
import json
import os
import shlex
import subprocess
import sys

build_dir, out_dir, clangxx, *patterns = sys.argv[1:]
out_dir = os.path.abspath(out_dir)
src_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def in_scope(source):
    parts = os.path.relpath(source, src_root).split(os.sep)
    return any(len(parts) == len(p.split("/")) and all(map(fnmatch.fnmatchcase, parts, p.split("/")))
               for p in patterns)


# GCC-only options clang would stop on (-g: no code is generated); the -W options
# it does not know are let through by -Wno-unknown-warning-option.
GCC_ONLY = {"-fno-gnu-unique", "-Winvalid-pch", "-g"}

def sources_of(entry):
    """The sources an entry compiles: its file, or a unity batch's includes."""
    path = entry["file"]
    if "/Unity/unity_" not in path:
        return [os.path.realpath(path)]
    included = []
    for line in open(path):
        if line.startswith('#include "'):
            included.append(os.path.realpath(line.split('"')[1]))
    return included


os.makedirs(out_dir, exist_ok=True)
pchs = {}
seen = set()
entries = []
for entry, source in ((e, s) for e in json.load(open(os.path.join(build_dir, "compile_commands.json")))
                      for s in sources_of(e)):
    if not in_scope(source) or source in seen:  # plugin_version.cpp is built twice
        continue
    args = shlex.split(entry["command"]) if "command" in entry else list(entry["arguments"])
    flags, header, i = [], None, 1
    while i < len(args):
        a = args[i]
        if a == "-include" and args[i + 1].endswith("cmake_pch.hxx"):
            # CMake's wrapper holds a GCC pragma and one #include of cmake/pch.hpp.
            wrapper = open(args[i + 1]).read()
            header, i = wrapper.split('#include "', 1)[1].split('"', 1)[0], i + 2
            continue
        if a in ("-o", "-c"):
            i += 2
            continue
        if a not in GCC_ONLY:
            flags.append(a)
        i += 1
    flags.append("-Wno-unknown-warning-option")
    # rapidjson 1.1's member iterators compare ambiguously under C++20's
    # reversed operators (a library header; GCC accepts it).
    flags.append("-Wno-ambiguous-reversed-operator")
    if header:
        key = hashlib.sha1(" ".join(flags).encode()).hexdigest()[:12]
        pch = os.path.join(out_dir, key + ".pch")
        fresh = os.path.exists(pch) and os.path.getmtime(pch) > os.path.getmtime(header)
        if key not in pchs and not fresh:
            subprocess.run([clangxx, *flags, "-x", "c++-header", header, "-o", pch], check=True,
                           cwd=entry["directory"])
        pchs[key] = pch
        flags += ["-include-pch", pch]
    entries.append({"directory": entry["directory"], "file": source,
                    "arguments": [clangxx, *flags, "-c", source, "-o", "/dev/null"]})
    seen.add(source)
    print(source)
json.dump(entries, open(os.path.join(out_dir, "compile_commands.json"), "w"), indent=1)
