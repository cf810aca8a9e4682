#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The xaio-bench tests (label bench): run the tool on small files in a
temporary directory and check what it prints, writes and leaves behind.

usage: check.py XAIO_BENCH SCHEMA SHIM TEST
TEST is one of: args, report, corrupt, jobfail, skipped, nospace, interrupt,
copy, quick.
Exit 0 on success, 1 with a message on failure."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

BENCH, SCHEMA, SHIM, TEST = sys.argv[1:5]
SMALL = ["-s", "8M", "-t", "0.05", "-r", "2", "-n", "32", "-f", "4", "-P",
         "-N", "300", "-L", "2M"]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def run(args, env=None, timeout=300):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([BENCH] + args, capture_output=True, text=True,
                       env=e, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def listing():
    rc, out, _ = run(["--list"])
    names = {"workloads": [], "engines": []}
    part = None
    for line in out.splitlines():
        if line.endswith(":") and not line.startswith(" "):
            part = line[:-1]
        elif part and line.strip():
            names[part].append(line.split()[0])
    return rc, names


def validate(doc, schema, path="$"):
    """The subset of JSON Schema that schema.json uses."""
    t = schema.get("type")
    types = t if isinstance(t, list) else [t] if t else []
    pytypes = {"object": dict, "array": list, "string": str,
               "boolean": bool, "null": type(None)}
    if types:
        ok = False
        for ty in types:
            if ty in ("integer", "number"):
                ok |= (isinstance(doc, (int, float))
                       and not isinstance(doc, bool)
                       and (ty == "number" or float(doc).is_integer()))
            else:
                ok |= isinstance(doc, pytypes[ty])
        if not ok:
            return ["%s: %r is not %s" % (path, doc, types)]
    errs = []
    if "enum" in schema and doc not in schema["enum"]:
        errs.append("%s: %r not in %r" % (path, doc, schema["enum"]))
    if "const" in schema and doc != schema["const"]:
        errs.append("%s: %r is not %r" % (path, doc, schema["const"]))
    if isinstance(doc, (int, float)) and not isinstance(doc, bool):
        if "minimum" in schema and doc < schema["minimum"]:
            errs.append("%s: %r below %r" % (path, doc, schema["minimum"]))
    if isinstance(doc, dict):
        props = schema.get("properties", {})
        for k in schema.get("required", []):
            if k not in doc:
                errs.append("%s: missing %s" % (path, k))
        for k, v in doc.items():
            if k in props:
                errs += validate(v, props[k], path + "." + k)
            elif schema.get("additionalProperties") is False:
                errs.append("%s: unexpected key %s" % (path, k))
    if isinstance(doc, list):
        n = len(doc)
        if "minItems" in schema and n < schema["minItems"]:
            errs.append("%s: %d items, want >= %d" %
                        (path, n, schema["minItems"]))
        if "maxItems" in schema and n > schema["maxItems"]:
            errs.append("%s: %d items, want <= %d" %
                        (path, n, schema["maxItems"]))
        if "items" in schema:
            for i, v in enumerate(doc):
                errs += validate(v, schema["items"], "%s[%d]" % (path, i))
    return errs


def schema_errors(doc):
    with open(SCHEMA) as f:
        schema = json.load(f)
    errs = validate(doc, schema)
    try:
        import jsonschema  # the full validator, when it is installed
        v = jsonschema.Draft202012Validator(schema)
        errs += ["jsonschema: " + e.message for e in v.iter_errors(doc)]
    except ImportError:
        pass
    return errs


def cell(doc, wl, engine, depth=None):
    for w in doc["workloads"]:
        if w["name"] != wl:
            continue
        for c in w["cells"]:
            if c["engine"] == engine and (depth is None or
                                          c["depth"] == depth):
                return c
    return None


def absent(doc, engine):
    return any(e["name"] == engine and e["status"] == "absent"
               for e in doc["engines"])


def interrupt_when(p, d, prefix):
    """SIGINT to p a second after a file named prefix... appears in d;
    p's (stdout, stderr) once it has exited (killed 60 s later)."""
    t0 = time.time()
    while time.time() - t0 < 60 and not any(
            n.startswith(prefix) for n in os.listdir(d)):
        time.sleep(0.05)
    time.sleep(1.0)
    p.send_signal(signal.SIGINT)
    try:
        return p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        check(False, "still running 60 s after SIGINT")
        return out, err


def leftovers(d):
    """What a run leaves in its directory: only the reusable data file and
    trees (statx, and the sources of cp-small and cp-large)."""
    return [n for n in os.listdir(d)
            if not re.fullmatch(r"xaio-bench-(\d+\.dat|statx-\d+|tree-\d+|"
                                r"large-4x\d+)", n)]


def t_args(d):
    rc, out, err = run(["--help"])
    check(rc == 0 and "usage:" in out, "--help: rc %d" % rc)
    rc, out, _ = run(["--version"])
    check(rc == 0 and out.startswith("xaio-bench "), "--version: rc %d" % rc)
    bad = [["--bogus"], ["-x"], ["-w", "nosuch"], ["-e", "nosuch"],
           ["-e", "xaio,nosuch"], ["-d", "0"], ["-d", "1,x"],
           ["-d", "1,2,3,4,5,6,7,8,9"], ["-d", "2000"], ["--bs", "1000"],
           ["--bs", "2M"], ["--size", "0"], ["--size", "1500k"],
           ["-t", "-1"], ["-t", "abc"], ["-r", "0"], ["-r", "65"],
           ["-n", "0"], ["-f", "0"], ["extra"], ["--json"], ["-D"],
           ["-N", "0"], ["--tree-files", "x"], ["-L", "0"],
           ["--large-size", "1500k"], ["-w", "full,nosuch"], ["-X"]]
    for a in bad:
        rc, out, err = run(a + ["--dir", d])
        check(rc == 2, "%s: rc %d, want 2" % (a, rc))
        check("usage:" in err, "%s: no usage on stderr" % a)
        check(out == "", "%s: printed on stdout: %r" % (a, out[:80]))
    rc, names = listing()
    check(rc == 0, "--list: rc %d" % rc)
    for w in ["randread", "randread-direct", "seqread", "seqwrite",
              "randwrite-fsync", "small-read", "small-create", "statx",
              "cp-small", "cp-large"]:
        check(w in names["workloads"], "--list has no workload %s" % w)
    for e in ["xaio", "xaio-es", "glibc", "sync", "uring-plain",
              "uring-tuned", "libuv", "xaio-cp", "cp"]:
        check(e in names["engines"], "--list has no engine %s" % e)
    # the copies are in the full suite only
    rc, out, _ = run(["--list"])
    for w in ["cp-small", "cp-large"]:
        check(re.search(r"^  %s .*\(-w full only\)$" % w, out, re.M),
              "--list does not say %s is -w full only" % w)
    check(not re.search(r"^  statx .*full only", out, re.M),
          "statx is not in the default suite")
    check(os.listdir(d) == [], "argument errors left files: %s" %
          os.listdir(d))


def t_report(d):
    j = os.path.join(d, "out.json")
    s = os.path.join(d, "svg")
    wls = "randread,randread-direct,seqread,randwrite-fsync,small-read,statx"
    rc, out, err = run(["-w", wls, "-d", "1,4", "--dir", d, "--json", j,
                        "--svg", s] + SMALL)
    check(rc == 0, "report run: rc %d: %s" % (rc, err[-400:]))
    with open(j) as f:
        doc = json.load(f)
    for e in schema_errors(doc):
        check(False, "schema: " + e)
    _, names = listing()
    engines = [e["name"] for e in doc["engines"]]
    check(engines == names["engines"], "engines %s" % engines)
    check(doc["ok"] is True, "ok is not true")
    check([w["name"] for w in doc["workloads"]] == wls.split(","),
          "workloads %s" % [w["name"] for w in doc["workloads"]])
    for w in doc["workloads"]:
        depths = [1, 4] if w["name"].startswith("randread") else None
        if depths:
            check(w["depths"] == depths, "%s depths %s" % (w["name"],
                                                          w["depths"]))
            check(len(w["cells"]) == len(depths) * len(engines),
                  "%s: %d cells" % (w["name"], len(w["cells"])))
    for e in ["xaio", "glibc", "uring-plain", "uring-tuned"]:
        for dep in [1, 4]:
            c = cell(doc, "randread", e, dep)
            if check(c is not None, "no randread cell %s %d" % (e, dep)):
                check(c["status"] == "ok" and c["median"] > 0 and
                      len(c["reps"]) == 2 and c["min"] <= c["median"] <=
                      c["max"], "randread %s depth %d: %s" % (e, dep, c))
    c = cell(doc, "randread", "sync", 4)
    check(c and c["status"] == "n/a", "sync at depth 4: %s" % c)
    c = cell(doc, "statx", "xaio")
    check(c and c["status"] == "n/a", "xaio statx: %s" % c)
    c = cell(doc, "statx", "uring-plain")
    check(c and c["status"] == "ok", "uring-plain statx: %s" % c)
    # the statx storm: two depths, xaio-es, sync and libuv (when built)
    w = [w for w in doc["workloads"] if w["name"] == "statx"][0]
    check(w["depths"] == [64, 256], "statx depths %s" % w["depths"])
    for e in ["xaio-es", "uring-tuned", "libuv"]:
        for dep in [64, 256]:
            c = cell(doc, "statx", e, dep)
            want = "absent" if e == "libuv" and absent(doc, e) else "ok"
            check(c and c["status"] == want and
                  (want != "ok" or c["median"] > 0),
                  "statx %s depth %d: %s" % (e, dep, c))
    c = cell(doc, "statx", "cp")
    check(c and c["status"] == "n/a", "cp statx: %s" % c)
    ratios = [r for r in w["ratios"] if r["engine"] == "xaio-es"
              and r["vs"] == "sync" and r["value"]]
    check(len(ratios) == 2, "statx xaio-es/sync ratios %s" % ratios)
    t = {t["id"]: t for t in doc["targets"]}
    check("T9" in t and t["T9"]["value"] and t["T9"]["depth"] == 64,
          "target T9: %s" % t.get("T9"))
    check(doc["options"]["tree_files"] == 300, "options %s" % doc["options"])
    # the stat tree stays for the next run: 300 files, 1000 a directory
    st = os.path.join(d, "xaio-bench-statx-300")
    check(sorted(os.listdir(st)) == ["d0"] and
          len(os.listdir(os.path.join(st, "d0"))) == 300,
          "statx tree: %s" % os.listdir(st))
    # the small files run at two fixed depths; xaio-es does whole jobs
    w = [w for w in doc["workloads"] if w["name"] == "small-read"][0]
    check(w["depths"] == [8, 64], "small-read depths %s" % w["depths"])
    for dep in [8, 64]:
        c = cell(doc, "small-read", "xaio-es", dep)
        check(c and c["status"] == "ok" and c["median"] > 0 and
              c["cpu_us"] > 0, "small-read xaio-es depth %d: %s" % (dep, c))
    # sync runs at depth 1 in both columns
    cs = [c for c in w["cells"] if c["engine"] == "sync"]
    check(len(cs) == 2 and all(c["status"] == "ok" and c["depth"] == 1
                               for c in cs), "small-read sync: %s" % cs)
    c = cell(doc, "randread", "xaio-es", 4)
    check(c and c["status"] == "ok", "randread xaio-es depth 4: %s" % c)
    ratios = [r for r in w["ratios"] if r["engine"] == "xaio-es"
              and r["vs"] == "sync"]
    check(len(ratios) == 2 and all(r["value"] and r["value"] > 0
                                   for r in ratios),
          "xaio-es/sync ratios %s" % ratios)
    t = {t["id"]: t for t in doc["targets"]}
    check("T6" in t and t["T6"]["value"] and t["T6"]["depth"] == 64,
          "target T6: %s" % t.get("T6"))
    ratios = [r for w in doc["workloads"] if w["name"] == "randread"
              for r in w["ratios"] if r["vs"] == "glibc"]
    check(len(ratios) == 2 and all(r["value"] and r["value"] > 0
                                   for r in ratios), "ratios %s" % ratios)
    for line in ["xaio/glibc", "xaio/uring-plain", "xaio-es/sync",
                 "targets"]:
        check(line in out, "table has no %r" % line)
    # the charts: well-formed, a series for every engine with a result
    for name in ["randread.svg", "randread-direct.svg", "small-files.svg",
                 "statx.svg"]:
        path = os.path.join(s, name)
        if not check(os.path.exists(path), "no %s" % name):
            continue
        root = ET.parse(path).getroot()
        check(root.tag.endswith("svg"), "%s: root %s" % (name, root.tag))
        series = {g.get("data-engine") for g in root.iter()
                  if g.get("class") == "series"}
        wl = name[:-4] if name != "small-files.svg" else "small-read"
        want = {c["engine"] for w in doc["workloads"] if w["name"] == wl
                for c in w["cells"] if c["status"] == "ok"}
        check(want and series == want, "%s: series %s, want %s" %
              (name, sorted(series), sorted(want)))
        text = "".join(root.itertext())
        check("depth" in text or "files" in text or "/s" in text,
              "%s: no axis labels" % name)
    os.unlink(j)
    shutil.rmtree(s)
    check(leftovers(d) == [], "left behind: %s" % leftovers(d))


def t_corrupt(d):
    j = os.path.join(d, "out.json")
    rc, out, err = run(["-w", "randread", "-e", "xaio,sync", "-d", "1",
                        "--dir", d, "--json", j] + SMALL,
                       env={"XAIO_BENCH_CORRUPT": "1"})
    check(rc == 1, "corrupted read: rc %d, want 1" % rc)
    check("checksum mismatch" in out, "no checksum mismatch in the table")
    check("FAILED" in out, "no FAILED in the table")
    with open(j) as f:
        doc = json.load(f)
    check(doc["ok"] is False, "json ok is not false")
    st = [c["status"] for c in doc["workloads"][0]["cells"]]
    check(st.count("failed") == 1, "statuses %s: want one failed" % st)
    os.unlink(j)
    check(leftovers(d) == [], "left behind: %s" % leftovers(d))
    # whole small-file jobs are checked too (xaio-es runs first)
    rc, out, err = run(["-w", "small-read", "-e", "xaio-es,sync",
                        "--dir", d, "--json", j] + SMALL,
                       env={"XAIO_BENCH_CORRUPT": "1"})
    check(rc == 1, "corrupted small read: rc %d, want 1" % rc)
    check("read by xaio-es differs" in out,
          "no xaio-es checksum mismatch in the table")
    with open(j) as f:
        doc = json.load(f)
    st = {(c["engine"], c["depth"]): c["status"]
          for c in doc["workloads"][0]["cells"]}
    check(list(st.values()).count("failed") == 1 and
          st.get(("xaio-es", 8)) == "failed", "statuses %s" % st)
    os.unlink(j)
    check(leftovers(d) == [], "left behind: %s" % leftovers(d))


def t_jobfail(d):
    """A failed open, read or close fails the xaio-es cell with its name
    (XAIO_FAULT fails every 7th request of xaio's thread pool)."""
    j = os.path.join(d, "out.json")
    env = {"XAIO_BACKEND": "threads", "XAIO_FAULT": "EIO:7"}
    rc, out, err = run(["-w", "small-read,small-create", "-e",
                        "xaio-es,sync", "--dir", d, "--json", j] + SMALL,
                       env=env)
    check(rc == 1, "failed jobs: rc %d, want 1" % rc)
    check(re.search(r"FAILED \(xaio-es\): xaio_(open|pread|pwrite|close) "
                    r"by xaio-es: Input/output error", out),
          "no failed xaio-es job in the table: %r" % out[-600:])
    with open(j) as f:
        doc = json.load(f)
    for w in doc["workloads"]:
        for c in w["cells"]:
            want = "failed" if c["engine"] == "xaio-es" else "ok"
            check(c["status"] == want, "%s %s depth %d: %s, want %s" %
                  (w["name"], c["engine"], c["depth"], c["status"], want))
    check(doc["ok"] is False, "json ok is not false")
    os.unlink(j)
    check(leftovers(d) == [], "left behind: %s" % leftovers(d))


def t_skipped(d):
    j = os.path.join(d, "out.json")
    env = {"LD_PRELOAD": SHIM, "XAIO_SHIM": "nodirect"}
    rc, out, err = run(["-w", "randread,randread-direct", "-e", "xaio",
                        "-d", "1", "--dir", d, "--json", j] + SMALL, env=env)
    check(rc == 0, "skipped: rc %d: %s" % (rc, err[-400:]))
    check("skipped: O_DIRECT not supported on this file system" in out,
          "table does not say O_DIRECT was skipped")
    with open(j) as f:
        doc = json.load(f)
    c = cell(doc, "randread-direct", "xaio", 1)
    check(c and c["status"] == "skipped" and "O_DIRECT" in c["why"],
          "randread-direct cell: %s" % c)
    c = cell(doc, "randread", "xaio", 1)
    check(c and c["status"] == "ok", "randread cell: %s" % c)
    os.unlink(j)
    check(leftovers(d) == [], "left behind: %s" % leftovers(d))


def t_nospace(d):
    env = {"LD_PRELOAD": SHIM, "XAIO_SHIM": "full"}
    rc, out, err = run(["-w", "randread", "-e", "sync", "-d", "1",
                        "--dir", d] + SMALL, env=env)
    check(rc == 1, "no space: rc %d, want 1" % rc)
    check(re.search(r"no space left on .*need \d+ MiB, 1 MiB free", err),
          "no space message: %r" % err)
    check(os.listdir(d) == [], "left behind: %s" % os.listdir(d))


def t_interrupt(d):
    p = subprocess.Popen([BENCH, "-w", "seqwrite,randread", "-d", "1",
                          "-t", "20", "-s", "8M", "-n", "32", "-P",
                          "--dir", d], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    # once the files are there and the timed samples have begun
    out, err = interrupt_when(p, d, "xaio-bench-small")
    check(p.returncode == 128 + signal.SIGINT,
          "SIGINT: rc %d, want %d" % (p.returncode, 128 + signal.SIGINT))
    check("interrupted" in err, "no 'interrupted' on stderr: %r" % err)
    check(leftovers(d) == [], "left behind: %s" % leftovers(d))


def fake_cp(tools, name, body):
    """A stand-in for xaio-cp: a shell script around cp -a."""
    p = os.path.join(tools, name)
    with open(p, "w") as f:
        f.write("#!/bin/sh\n" + body + "\n")
    os.chmod(p, 0o755)
    return p


def copy_run(d, xcp, env=None, wls="cp-small,cp-large", svg=None):
    j = os.path.join(d, "out.json")
    rc, out, err = run(["-w", wls, "--dir", d, "--json", j,
                        "--xaio-cp", xcp] + (["--svg", svg] if svg else [])
                       + SMALL, env=env)
    doc = None
    if check(os.path.exists(j), "no json (rc %d: %s)" % (rc, err[-300:])):
        with open(j) as f:
            doc = json.load(f)
        os.unlink(j)
        for e in schema_errors(doc):
            check(False, "schema: " + e)
    check(leftovers(d) == [], "left behind: %s" % leftovers(d))
    return rc, out, doc


def t_copy(d):
    """cp-small and cp-large: xaio-cp (a stand-in here) against cp -a,
    every copy checked, n/a without xaio-cp, a wrong copy fails."""
    tools = tempfile.mkdtemp(prefix="xaio-bench-tools.")
    try:
        copy_cases(d, tools)
    finally:
        shutil.rmtree(tools, ignore_errors=True)


def copy_cases(d, tools):
    good = fake_cp(tools, "good", 'exec cp -a "$@"')
    svg = os.path.join(tools, "svg")
    rc, out, doc = copy_run(d, good, svg=svg)
    check(rc == 0, "good copies: rc %d: %s" % (rc, out[-400:]))
    for name in ["cp-small.svg", "cp-large.svg"]:
        path = os.path.join(svg, name)
        if check(os.path.exists(path), "no %s" % name):
            root = ET.parse(path).getroot()
            series = {g.get("data-engine") for g in root.iter()
                      if g.get("class") == "series"}
            check(series == {"xaio-cp", "cp"}, "%s: series %s" %
                  (name, sorted(series)))
            legend = "".join(root.itertext())
            check("xaio-es" not in legend, "%s: legend has xaio-es" % name)
    if doc:
        check(doc["options"]["xaio_cp"] == good, "xaio_cp %s" %
              doc["options"]["xaio_cp"])
        for wl, unit in [("cp-small", "files"), ("cp-large", "MiB")]:
            w = [w for w in doc["workloads"] if w["name"] == wl]
            if not check(w, "no workload %s" % wl):
                continue
            check(w[0]["unit"] == unit, "%s unit %s" % (wl, w[0]["unit"]))
            for e in ["xaio-cp", "cp"]:
                c = cell(doc, wl, e)
                check(c and c["status"] == "ok" and c["median"] > 0 and
                      len(c["reps"]) == 2 and c["cpu_us"] > 0,
                      "%s %s: %s" % (wl, e, c))
            c = cell(doc, wl, "xaio-es")
            check(c and c["status"] == "n/a" and "copy" in c["why"],
                  "%s xaio-es: %s" % (wl, c))
            r = [r for r in w[0]["ratios"] if r["engine"] == "xaio-cp"]
            check(len(r) == 1 and r[0]["vs"] == "cp" and r[0]["value"],
                  "%s ratios %s" % (wl, r))
        t = {t["id"]: t for t in doc["targets"]}
        check(t["T10"]["value"] and t["T11"]["value"],
              "targets T10, T11: %s %s" % (t["T10"], t["T11"]))
    check("xaio-cp/cp" in out, "table has no xaio-cp/cp")
    check(re.search(r"^  n/a \(xaio, xaio-es, .*\): not a copy command",
                    out, re.M), "no n/a line for the other engines")
    # no xaio-cp: n/a, the run is still right
    rc, out, doc = copy_run(d, os.path.join(tools, "nosuch"))
    check(rc == 0, "no xaio-cp: rc %d" % rc)
    check(re.search(r"n/a \(xaio-cp\): xaio-cp not built", out),
          "no 'n/a (xaio-cp): xaio-cp not built' in %r" % out[-600:])
    if doc:
        c = cell(doc, "cp-small", "xaio-cp")
        check(c and c["status"] == "n/a" and "not built" in c["why"],
              "cp-small xaio-cp: %s" % c)
        c = cell(doc, "cp-small", "cp")
        check(c and c["status"] == "ok", "cp-small cp: %s" % c)
    # fast wrong copies fail their cell and the run
    wrong = [
        ("content", 'cp -a "$@" && f=$(find "$2" -type f | sort | tail -1)'
         ' && t=$(stat -c %y "$f") && printf x | dd of="$f" bs=1 seek=100'
         ' conv=notrunc 2>/dev/null && touch -d "$t" "$f"',
         "content differs|block .* differs"),
        ("times", 'exec cp -r "$@"', "mtime|mode"),
        ("missing", 'cp -a "$@" && rm -f "$(find "$2" -type f | head -1)"',
         "entries, want"),
        ("status", 'echo "xaio-cp: cannot copy: Input/output error" >&2;'
         ' exit 3', "exit status 3: xaio-cp: cannot copy"),
    ]
    for name, body, msg in wrong:
        rc, out, doc = copy_run(d, fake_cp(tools, name, body))
        check(rc == 1, "%s: rc %d, want 1" % (name, rc))
        check(re.search(r"FAILED \(xaio-cp\): (wrong copy by xaio-cp: )?"
                        r".*(%s)" % msg, out),
              "%s: no failure in the table: %r" % (name, out[-700:]))
        if doc:
            for wl in ["cp-small", "cp-large"]:
                c = cell(doc, wl, "xaio-cp")
                check(c and c["status"] == "failed",
                      "%s %s: %s" % (name, wl, c))
                c = cell(doc, wl, "cp")
                check(c and c["status"] == "ok", "%s %s cp: %s" %
                      (name, wl, c))
            check(doc["ok"] is False, "%s: ok is not false" % name)
    # Ctrl-C during a copy: the copies are removed
    slow = fake_cp(tools, "slow", 'cp -a "$@"; sleep 30')
    p = subprocess.Popen([BENCH, "-w", "cp-small", "-e", "xaio-cp",
                          "--xaio-cp", slow, "--dir", d] + SMALL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    out, err = interrupt_when(p, d, "xaio-bench-cp.")
    check(p.returncode == 128 + signal.SIGINT,
          "SIGINT during a copy: rc %d" % p.returncode)
    check(leftovers(d) == [], "left behind: %s" % leftovers(d))


def t_quick(d):
    rc, out, err = run(["--quick", "--dir", d, "-P"], timeout=600)
    check(rc == 0, "--quick: rc %d: %s" % (rc, err[-400:]))
    _, names = listing()
    lines = out.splitlines()
    for e in names["engines"]:
        check(any(l.split()[:1] == [e] for l in lines),
              "--quick table has no row for %s" % e)
    check("targets" in out, "--quick table has no targets")
    check(leftovers(d) == [], "left behind: %s" % leftovers(d))


def main():
    base = os.environ.get("TMPDIR") or "/var/tmp"
    d = tempfile.mkdtemp(prefix="xaio-bench-test.", dir=base)
    try:
        globals()["t_" + TEST](d)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    for f in failures:
        print("FAIL:", f)
    print("%s: %s" % (TEST, "FAILED" if failures else "ok"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
