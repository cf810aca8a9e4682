#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""xaio-cp against cp -a (label tools, on both backends).

Builds a tree with regular files of several sizes (0 bytes, small, chunk
boundaries, a few MiB), a sparse file larger than 2 GiB (a few written
blocks), names with spaces and newlines, 40 levels of nesting, symbolic
links (relative, absolute, dangling), hard links within the tree, empty
directories, a FIFO, extended attributes (user.*; that part is skipped,
saying so, where the file system refuses them), odd modes (0600, 0755, 04755, a 01777 and a 0555 directory with
contents), owners (as root) and set times; copies it with xaio-cp and with
cp -a, then compares entry by entry (type, mode, owner, size, mtime and,
but for directories and links, atime in ns, symlink targets, link counts and the
hard-link grouping, xattrs, the sparse file's allocated blocks) and the
content (diff -r --no-dereference).  Then: where copies go (into an
existing directory), usage errors (exit 2), a failure that the copy goes
past (exit 1, the path named), an unreadable file (as nobody when run as
root), a directory blocked by a file, a file
onto itself, a directory into itself, and a copy of 300 files under an
RLIMIT_NOFILE of 200 (the descriptor bound); -v and --progress.

Usage: check-xaio-cp.py XAIO_CP
"""
import errno
import os
import resource
import shutil
import stat
import subprocess
import sys
import tempfile

passed = failed = 0


def ok(what):
    global passed
    passed += 1
    print("ok " + what)


def bad(what, detail=""):
    global failed
    failed += 1
    print("not ok " + what)
    for line in str(detail).splitlines()[:40]:
        print("    " + line)


def check(cond, what, detail=""):
    if cond:
        ok(what)
    else:
        bad(what, detail)


def write(path, data, mode=None):
    with open(path, "wb") as f:
        f.write(data)
    if mode is not None:
        os.chmod(path, mode)


def set_times(path, i, follow=True):
    # Distinct times in ns, far from now: atime != mtime.
    a = 981173106_000000000 + i * 1_000_003_007
    m = 1000000000_123456789 + i * 7_000_000_011
    os.utime(path, ns=(a, m), follow_symlinks=follow)


def build(src, want_xattrs):
    """The tree; returns whether xattrs could be set."""
    root = os.geteuid() == 0
    os.mkdir(src)
    write(os.path.join(src, "empty-file"), b"")
    write(os.path.join(src, "small"), b"hello\n")
    write(os.path.join(src, "chunk"), os.urandom(256 << 10))
    write(os.path.join(src, "chunk+1"), os.urandom((256 << 10) + 1))
    write(os.path.join(src, "big"), os.urandom(3 << 20 | 12345), 0o755)
    write(os.path.join(src, "private"), b"secret", 0o600)
    write(os.path.join(src, "setuid"), b"#!/bin/sh\n", 0o4755)
    sparse = os.path.join(src, "sparse")
    with open(sparse, "wb") as f:
        f.truncate((2 << 30) + (512 << 20))  # 2.5 GiB
        for off in (0, 1 << 30, (2 << 30) + (100 << 20)):
            f.seek(off)
            f.write(os.urandom(8192))
    # A hole at the end too: the size is past the last block written.
    names = os.path.join(src, "names")
    os.mkdir(names)
    for n in ("with space", "new\nline", " lead", "trail ", "tab\tx",
              "quote'\"", "-dash", "*star?", "utf8-é"):
        write(os.path.join(names, n), n.encode() + b"\n")
    deep = src
    for i in range(40):
        deep = os.path.join(deep, "d%02d" % i)
    os.makedirs(deep)
    write(os.path.join(deep, "bottom"), b"deep\n")
    os.mkdir(os.path.join(src, "empty-dir"))
    os.mkdir(os.path.join(src, "sticky"))
    write(os.path.join(src, "sticky", "in"), b"x")
    os.chmod(os.path.join(src, "sticky"), 0o1777)
    links = os.path.join(src, "links")
    os.mkdir(links)
    os.symlink("../small", os.path.join(links, "relative"))
    os.symlink(os.path.join(src, "big"), os.path.join(links, "absolute"))
    os.symlink("nowhere/at/all", os.path.join(links, "dangling"))
    os.symlink("d00", os.path.join(links, "to-dir"))
    os.link(os.path.join(src, "small"), os.path.join(links, "hard-small"))
    os.link(os.path.join(src, "big"), os.path.join(deep, "hard-big"))
    os.link(os.path.join(src, "big"), os.path.join(names, "hard big"))
    os.mkfifo(os.path.join(src, "fifo"), 0o640)
    xattrs = False
    if want_xattrs:
        try:
            os.setxattr(os.path.join(src, "small"), "user.one", b"1")
            os.setxattr(os.path.join(src, "small"), "user.two", b"\0bin\xff")
            os.setxattr(os.path.join(src, "big"), "user.big", b"v" * 3000)
            os.setxattr(names, "user.dir", b"on a directory")
            os.setxattr(os.path.join(src, "empty-file"), "user.e", b"")
            xattrs = True
        except OSError as e:
            if e.errno not in (errno.ENOTSUP, errno.EPERM):
                raise
    if root:
        os.chown(os.path.join(src, "private"), 1234, 5678)
        os.chown(os.path.join(src, "empty-dir"), 4321, 8765)
        os.lchown(os.path.join(links, "dangling"), 111, 222)
        os.chmod(os.path.join(src, "setuid"), 0o4755)  # chown cleared it
    # Times last, children before parents; a read-only directory last.
    ro = os.path.join(src, "readonly")
    os.mkdir(ro)
    write(os.path.join(ro, "inside"), b"ro")
    os.mkdir(os.path.join(ro, "sub"))
    os.chmod(ro, 0o555)
    i = 0
    for d, dirs, files in os.walk(src, topdown=False):
        for n in files + dirs:
            p = os.path.join(d, n)
            set_times(p, i, follow=not os.path.islink(p))
            i += 1
    set_times(src, i)
    return xattrs


def snapshot(top):
    """Every entry under top: relative path -> (lstat, target, xattrs)."""
    out = {}
    for d, dirs, files in os.walk(top):
        for n in dirs + files + [""]:
            p = os.path.join(d, n) if n else d
            if not n and d != top:
                continue
            rel = os.path.relpath(p, top)
            st = os.lstat(p)
            tgt = os.readlink(p) if stat.S_ISLNK(st.st_mode) else None
            xa = {}
            if not stat.S_ISLNK(st.st_mode):
                try:
                    for a in os.listxattr(p, follow_symlinks=False):
                        xa[a] = os.getxattr(p, a, follow_symlinks=False)
                except OSError:
                    pass
            out[rel] = (st, tgt, xa)
        # os.walk does not descend into links to directories: right.
    return out


def describe(st, tgt, xattrs, with_atime, with_xattrs):
    d = {
        "type": stat.S_IFMT(st.st_mode),
        "mode": oct(stat.S_IMODE(st.st_mode)),
        "uid": st.st_uid,
        "gid": st.st_gid,
        "mtime_ns": st.st_mtime_ns,
        "nlink": st.st_nlink,
    }
    if not stat.S_ISDIR(st.st_mode):
        d["size"] = st.st_size
    # Reading a directory or a link (the snapshot does) moves its atime.
    if with_atime and not stat.S_ISDIR(st.st_mode) and \
            not stat.S_ISLNK(st.st_mode):
        d["atime_ns"] = st.st_atime_ns
    if tgt is not None:
        d["target"] = tgt
    if with_xattrs:
        d["xattrs"] = xattrs
    return d


def groups(snap):
    """The hard-link grouping: sets of relative paths sharing an inode."""
    by = {}
    for rel, (st, _, _) in snap.items():
        if stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
            by.setdefault((st.st_dev, st.st_ino), set()).add(rel)
    return sorted(sorted(g) for g in by.values())


def compare(ref, got, name, with_atime, with_xattrs):
    diffs = []
    for rel in sorted(set(ref) | set(got)):
        if rel not in got:
            diffs.append("%r: missing" % rel)
            continue
        if rel not in ref:
            diffs.append("%r: extra" % rel)
            continue
        a = describe(*ref[rel], with_atime, with_xattrs)
        b = describe(*got[rel], with_atime, with_xattrs)
        for k in a:
            if a[k] != b.get(k):
                diffs.append("%r: %s %.100r, want %.100r"
                             % (rel, k, b.get(k), a[k]))
    check(not diffs, "%s: type, mode, owner, size, times, links%s of %d "
          "entries" % (name, ", xattrs" if with_xattrs else "", len(ref)),
          "\n".join(diffs))
    check(groups(ref) == groups(got), "%s: hard-link groups" % name,
          "%r\nwant %r" % (groups(got), groups(ref)))


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, **kw)


def blocks(path):
    return os.lstat(path).st_blocks


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    cp = os.path.abspath(sys.argv[1])
    backend = os.environ.get("XAIO_BACKEND", "")
    try:
        with open("/proc/sys/kernel/io_uring_disabled") as f:
            if backend == "uring" and f.read().strip() == "2":
                print("SKIP: io_uring is disabled here")
                return 77
    except OSError:
        pass
    base = tempfile.mkdtemp(prefix="xaio-cp-test.",
                            dir=os.environ.get("TMPDIR", "/tmp"))
    try:
        return body(cp, base, backend)
    finally:
        for d, dirs, _ in os.walk(base):
            for n in dirs:
                p = os.path.join(d, n)
                if not os.path.islink(p):
                    os.chmod(p, 0o755)
        shutil.rmtree(base, ignore_errors=True)


def body(cp, base, backend):
    src = os.path.join(base, "src")
    fs_xattrs = build(src, True)
    before = snapshot(src)

    mine = os.path.join(base, "by-xaio-cp")
    r = run([cp, src, mine])
    check(r.returncode == 0 and not r.stderr,
          "xaio-cp SRC DST: exit 0, nothing on stderr",
          "exit %d\n%s" % (r.returncode, r.stderr))
    got = snapshot(mine)
    ref_dir = os.path.join(base, "by-cp-a")
    rc = run(["cp", "-a", src, ref_dir])
    check(rc.returncode == 0, "cp -a SRC DST", rc.stderr)
    ref = snapshot(ref_dir)

    with_x = fs_xattrs
    if not fs_xattrs:
        print("# skipped: extended attributes (the file system refuses "
              "user.* here)")
    # Against the source as it was before either copy read it (atimes),
    # and against cp -a (which saw the atimes xaio-cp's reads left).
    compare(before, got, "xaio-cp vs the source", True, with_x)
    compare(ref, got, "xaio-cp vs cp -a", False, with_x)

    sb, mb, cb = (blocks(os.path.join(d, "sparse"))
                  for d in (src, mine, ref_dir))
    check(mb <= max(sb, cb) * 2 + 64 and mb < 8192,
          "the 2.5 GiB sparse file stays sparse (blocks: source %d, "
          "xaio-cp %d, cp -a %d)" % (sb, mb, cb))

    # (diff cannot compare FIFOs: the entry comparison did.)
    d = run(["diff", "-r", "--no-dereference", "-x", "fifo", ref_dir, mine])
    check(d.returncode == 0, "diff -r --no-dereference (cp -a vs xaio-cp)",
          d.stdout + d.stderr)

    # Into an existing directory: DIR/basename, several sources.
    into = os.path.join(base, "into")
    os.mkdir(into)
    r = run([cp, os.path.join(src, "small"), os.path.join(src, "names") + "/",
             os.path.join(src, "links", "relative"), into])
    check(r.returncode == 0 and os.path.isfile(os.path.join(into, "small"))
          and os.path.isfile(os.path.join(into, "names", "new\nline"))
          and os.readlink(os.path.join(into, "relative")) == "../small",
          "xaio-cp SRC... DIR: each into DIR/basename", r.stderr)
    # One file onto a new name, and onto an existing file (replaced).
    r = run([cp, os.path.join(src, "chunk"), os.path.join(into, "c2")])
    r2 = run([cp, os.path.join(src, "small"), os.path.join(into, "c2")])
    with open(os.path.join(into, "c2"), "rb") as f:
        c2 = f.read()
    check(r.returncode == 0 and r2.returncode == 0 and c2 == b"hello\n",
          "xaio-cp FILE NEW, then FILE EXISTING: the copy replaces it",
          r.stderr + r2.stderr)

    # Usage errors: 2.
    for args, what in (([], "no operands"), ([src], "one operand"),
                       ([src, src, os.path.join(src, "small")],
                        "several sources, a target that is no directory"),
                       (["--bogus", src, into], "an unknown option")):
        r = run([cp] + args)
        check(r.returncode == 2 and r.stderr,
              "usage error (%s): exit 2, a message" % what,
              "exit %d: %s" % (r.returncode, r.stderr))
    # A failure is reported with its path; the rest is copied; exit 1.
    part = os.path.join(base, "partial")
    os.mkdir(part)
    missing = os.path.join(base, "no-such-file")
    r = run([cp, missing, os.path.join(src, "small"), part])
    check(r.returncode == 1 and missing in r.stderr and
          os.path.isfile(os.path.join(part, "small")),
          "a missing source: exit 1, its path named, the rest copied",
          "exit %d: %s" % (r.returncode, r.stderr))
    # Inside the tree: a file where a directory's copy must go.  That
    # directory fails (named, with the operation); its siblings are copied.
    blocked = os.path.join(base, "blocked")
    os.mkdir(blocked)
    write(os.path.join(blocked, "names"), b"in the way")
    r = run([cp, os.path.join(src, "names"), os.path.join(src, "links"),
             os.path.join(src, "small"), blocked])
    check(r.returncode == 1 and
          os.path.join(blocked, "names") + ": mkdir: File exists" in r.stderr
          and os.readlink(os.path.join(blocked, "links", "relative")) ==
          "../small" and os.path.isfile(os.path.join(blocked, "small")),
          "a directory blocked by a file: 'PATH: mkdir: File exists', exit "
          "1, the rest copied", "exit %d: %s" % (r.returncode, r.stderr))
    # A source that cannot be read: reported, no empty copy left; as a
    # user without privilege (root reads everything: nobody, then).
    noperm = os.path.join(base, "noperm")
    os.mkdir(noperm, 0o777)
    os.chmod(base, 0o755)
    os.chmod(noperm, 0o1777)
    os.mkdir(os.path.join(noperm, "s"), 0o755)
    write(os.path.join(noperm, "s", "ok"), b"ok\n", 0o644)
    write(os.path.join(noperm, "s", "secret"), b"no\n", 0o000)

    def nobody():
        if os.geteuid() == 0:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
    try:
        runs = run([cp, "--help"], preexec_fn=nobody).returncode == 0
    except OSError:
        runs = False
    if not runs:
        # (A build tree under a directory that only root may enter.)
        print("# skipped: an unreadable source (nobody cannot run xaio-cp "
              "from this build tree)")
    else:
        r = run([cp, os.path.join(noperm, "s"), os.path.join(noperm, "d")],
                preexec_fn=nobody)
        check(r.returncode == 1 and "secret: open: Permission denied" in
              r.stderr and os.path.isfile(os.path.join(noperm, "d", "ok"))
              and not os.path.lexists(os.path.join(noperm, "d", "secret")),
              "an unreadable source: 'PATH: open: Permission denied', no "
              "empty copy, the rest copied",
              "exit %d: %s" % (r.returncode, r.stderr))
    r = run([cp, os.path.join(into, "small"), into])
    with open(os.path.join(into, "small"), "rb") as f:
        kept = f.read()
    check(r.returncode == 1 and "is the same file as" in r.stderr and
          kept == b"hello\n", "a file onto itself: refused, kept whole",
          r.stderr)
    r = run([cp, src, os.path.join(src, "names", "inside")])
    check(r.returncode == 1 and "cannot be copied into itself" in r.stderr and
          not os.path.exists(os.path.join(src, "names", "inside")),
          "a directory into itself: refused", r.stderr)

    # 300 files under RLIMIT_NOFILE 200: at most 64 open at once.
    many = os.path.join(base, "many")
    os.mkdir(many)
    for i in range(300):
        write(os.path.join(many, "f%03d" % i), b"%d\n" % i * 50)

    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (200, 200))
    r = run([cp, many, os.path.join(base, "many-copy")], preexec_fn=limit)
    d = run(["diff", "-r", many, os.path.join(base, "many-copy")])
    check(r.returncode == 0 and d.returncode == 0,
          "300 files under RLIMIT_NOFILE 200: copied", r.stderr + d.stdout)

    # --progress: a final line with files, MiB and MiB/s; -v: one line each.
    r = run([cp, "-v", "--progress", many, os.path.join(base, "many-p")])
    check(r.returncode == 0 and "files," in r.stderr and "MiB/s" in r.stderr
          and r.stdout.count("\n") == 301,
          "-v --progress: a line per entry, a progress line",
          r.stdout[-300:] + r.stderr[-300:])

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
