#!/usr/bin/env python3
"""Mutation testing of the pure Raft library (src/raft).

Each mutant is one single-point change to one of the library's sources, made
in a scratch copy (the sources of the tree are never touched).  For every
mutant the library, the Raft unit tests and the simulator are rebuilt from
object files compiled once (only the mutated file is recompiled, at -O1);
then the unit tests run (stopping at the first failure) and then the
simulator on a fixed seed budget (stopping at its first failing seed).  A
mutant is "killed" when a test or a seed fails, "survived" when all pass,
"timeout" when a run exceeds its time limit (an infinite loop), and
"nobuild" when the compiler refuses it (-Werror counts).

Operators (see README, "Mutation testing of the Raft library"):
  ror     a comparison flipped or relaxed: < <=, > >=, == !=
  plus1   an operand replaced by its neighbour: x by (x + 1), x + 1 by x,
          x - 1 by x
  swap    an index/term field replaced by another of the same type
          (term/log_term, index/commit, match/next, committed/applied,
          r->term/m->term)
  tern    the arms of a conditional swapped (min by max)
  cond    one operand dropped from a top-level && or || chain
  stmt    a statement deleted: an update of a field (term, vote, commit,
          match, next, ...) or a call (a message send, a persist, a state
          change)

Usage: tools/mutants-raft.py [--files node.c,log.c] [--sample K[:OFF]]
       [--limit N] [--seeds N] [-j N] [--report FILE] [--only ID,...]
       [--list] [--keep]
"""
import argparse
import concurrent.futures
import difflib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zlib

FILES = ["node.c", "leader.c", "follower.c", "log.c", "progress.c", "readonly.c", "ready.c"]
LIB_SOURCES = ["mem.c", "log.c", "progress.c", "node.c", "leader.c", "follower.c",
               "readonly.c", "ready.c", "memstore.c"]
TESTS = ["test_raft_log", "test_raft_repl", "test_raft_elect", "test_raft_ops", "test_raft_read",
         "test_raft_node", "test_raft_leader", "test_raft_follower"]
# --sanitize: AddressSanitizer + UBSan, so that out-of-bounds accesses and
# leaks (which change no result a test can see) fail the run too.
SAN = []
CFLAGS = ["-std=gnu11", "-O1", "-g0", "-Wall", "-Wextra", "-Werror", "-Wshadow",
          "-Wno-unused-parameter", "-Wstrict-prototypes", "-Wmissing-prototypes",
          "-Wpointer-arith", "-Wvla", "-Wno-format-truncation"]


def pkg(args):
    try:
        return subprocess.run(["pkg-config"] + args, capture_output=True, text=True,
                              check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return []


# --------------------------------------------------------------------------
# Finding mutation points

def mask_source(src):
    """The source with comments, string/char literals, preprocessor lines and
    TRACE(...)/raft_panic(...) calls blanked (same length, newlines kept), so
    that the operators only see code whose change can matter."""
    out = list(src)
    i, n = 0, len(src)
    at_line_start = True

    def blank(a, b):
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = src[i]
        if at_line_start and c == "#":
            j = i
            while j < n and (src[j] != "\n" or src[j - 1] == "\\"):
                j += 1
            blank(i, j)
            i = j
            continue
        if c == "\n":
            at_line_start = True
            i += 1
            continue
        if c not in " \t":
            at_line_start = False
        if src.startswith("/*", i):
            j = src.find("*/", i + 2) + 2
            blank(i, j)
            i = j
        elif src.startswith("//", i):
            j = src.find("\n", i)
            blank(i, j)
            i = j
        elif c in "\"'":
            j = i + 1
            while src[j] != c:
                j += 2 if src[j] == "\\" else 1
            blank(i, j + 1)
            i = j + 1
        else:
            i += 1
    masked = "".join(out)
    # Tracing has no effect on behaviour; panics are already failures.
    for m in re.finditer(r"\b(TRACE|raft_trace|raft_panic)\s*\(", masked):
        end = match_paren(masked, m.end() - 1)
        blank(m.start(), end + 1)
    return "".join(out)


def match_paren(s, i):
    """Index of the parenthesis closing the one at s[i]."""
    depth = 0
    for k in range(i, len(s)):
        if s[k] in "([{":
            depth += 1
        elif s[k] in ")]}":
            depth -= 1
            if depth == 0:
                return k
    return len(s) - 1


class Mutant:
    def __init__(self, file, pos, end, repl, op, src):
        self.file, self.pos, self.end, self.repl, self.op = file, pos, end, repl, op
        self.line = src.count("\n", 0, pos) + 1
        self.col = pos - (src.rfind("\n", 0, pos) + 1) + 1
        self.id = "%s:%d:%d:%s" % (file[:-2], self.line, self.col, op)
        self.orig = src[pos:end]

    def apply(self, src):
        return src[: self.pos] + self.repl + src[self.end:]


def split_top(expr, ops):
    """Split expr at the top-level occurrences of the operators in ops:
    [(start, end)] of the operands."""
    parts, depth, start, k = [], 0, 0, 0
    while k < len(expr):
        c = expr[k]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0 and expr[k:k + 2] in ops:
            parts.append((start, k))
            start = k + 2
            k += 2
            continue
        elif depth == 0 and c == "?":
            return [(0, len(expr))]  # a conditional: leave it alone
        k += 1
    parts.append((start, len(expr)))
    return parts


OPERAND = re.compile(r"\s*(\(?\s*[A-Za-z_]\w*(?:\s*(?:->|\.)\s*[A-Za-z_]\w*|\[[^\]]*\]|\([^()]*(?:\([^()]*\)[^()]*)*\))*)")
NOT_NEIGHBOUR = re.compile(r"^(NULL|true|false|[A-Z_0-9]+|sizeof.*)$")
SWAPS = [("term", "log_term"), ("index", "commit"), ("match", "next"),
         ("committed", "applied")]
STATE_FIELD = re.compile(
    r"(?:->|\.)\s*(\w+)(?:\[[^\]]*\])?\s*(?:=(?!=)|\+=|-=|\+\+|--)|^\s*(?:\+\+|--)")
SKIP_CALLS = {"free", "memcpy", "memset", "memmove", "raft_msg_free", "raft_message_destroy",
              "raft_entbuf_destroy", "raft_xfree", "va_start", "va_end", "vsnprintf",
              "snprintf", "abort", "raft_entbuf_reset"}
KEYWORDS = {"if", "else", "for", "while", "do", "return", "switch", "case", "default",
            "break", "continue", "goto", "struct", "enum", "union", "static", "const",
            "typedef", "sizeof"}


def find_mutants(file, src):
    m_src = mask_source(src)
    muts = []

    def add(pos, end, repl, op):
        muts.append(Mutant(file, pos, end, repl, op, src))

    # Function bodies only (no mutation in declarations at file scope).
    inside = [False] * len(src)
    depth = 0
    for k, c in enumerate(m_src):
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        inside[k] = depth > 0

    # ror + plus1 on the right operand of a comparison
    flip = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}
    for m in re.finditer(r"(?<![<>=!\-])(<=|>=|==|!=|<(?![<=])|>(?![>=]))", m_src):
        if not inside[m.start()] or m_src[m.start() - 1] in "<>-" and m.group(1) in "<>":
            continue
        add(m.start(), m.end(), flip[m.group(1)], "ror")
        o = OPERAND.match(m_src, m.end())
        if o and o.group(1).count("(") == o.group(1).count(")"):
            text = src[o.start(1):o.end(1)]
            if not NOT_NEIGHBOUR.match(text.strip()):
                add(o.start(1), o.end(1), "(%s + 1)" % text, "plus1")
    # plus1: x + 1 -> x, x - 1 -> x
    for m in re.finditer(r"\s[+-]\s1\b(?!\s*[*/])", m_src):
        if inside[m.start()] and not re.match(r"\s*[\w(]", m_src[m.end():m.end() + 2] or "x"):
            add(m.start(), m.end(), "", "plus1")
    # plus1 on the value stored in an index/term field
    for m in re.finditer(r"(?:->|\.)(\w*(?:index|term|commit|committed|match|next|applied|last)\w*)"
                         r"\s*=(?!=)\s*([^;,{}]+?)\s*[;,}]", m_src):
        g = m.group(2)
        if inside[m.start()] and "?" not in g and g.strip() not in ("0",) and \
                g.count("(") == g.count(")"):
            add(m.start(2), m.end(2), "(%s) + 1" % src[m.start(2):m.end(2)], "plus1")
    # swap fields of the same type
    for a, b in SWAPS:
        for x, y in ((a, b), (b, a)):
            if not re.search(r"(->|\.)%s\b" % y, m_src):
                continue
            for m in re.finditer(r"(?:(?<=->)|(?<=\.))%s\b" % x, m_src):
                if inside[m.start()]:
                    add(m.start(), m.end(), y, "swap")
    if re.search(r"struct raft_message \*m\b", m_src):
        for x, y in (("r->term", "m->term"), ("m->term", "r->term")):
            for m in re.finditer(r"\b%s\b" % re.escape(x), m_src):
                if inside[m.start()]:
                    add(m.start(), m.end(), y, "swap")
    # tern: a ? b : c -> a ? c : b (min <-> max)
    for m in re.finditer(r"\?\s*([^:;?]+?)\s*:\s*([^;,)]+?)(?=\s*[;,)])", m_src):
        if inside[m.start()] and m.group(1).count("(") == m.group(1).count(")") and \
                m.group(2).count("(") == m.group(2).count(")"):
            a, b = src[m.start(1):m.end(1)], src[m.start(2):m.end(2)]
            add(m.start(1), m.end(2), "%s : %s" % (b, a), "tern")
    # cond: drop one operand of a top-level && / || chain in if/while/return
    heads = [(m.end() - 1, "paren") for m in re.finditer(r"\b(?:if|while)\s*\(", m_src)]
    heads += [(m.end(), "return") for m in re.finditer(r"\breturn\b", m_src)]
    heads += [(m.end(), "assign") for m in re.finditer(r"\bbool\s+\w+\s*=(?!=)", m_src)]
    for start, kind in heads:
        if kind == "paren":
            a, b = start + 1, match_paren(m_src, start)
        else:
            a, b = start, m_src.find(";", start)
        expr = m_src[a:b]
        for ops in (("||",), ("&&",)):
            parts = split_top(expr, ops)
            if len(parts) > 1:
                break
        if len(parts) < 2:
            continue
        for k, (pa, pb) in enumerate(parts):
            if k == 0:
                cut = (a + pa, a + parts[1][0])
            else:
                cut = (a + parts[k - 1][1], a + pb)
            add(cut[0], cut[1], "", "cond")
    # stmt: delete a statement that updates a field or calls a function
    k = 0
    while True:
        m = re.compile(r"[;{}]|\belse\b|\)").search(m_src, k)
        if not m:
            break
        k = m.end()
        if m.group(0) == ")":
            # a statement after "if (...)"/"for (...)" without braces
            o = match_open(m_src, m.start())
            if o is None or not re.search(r"\b(if|while|for)\s*$", m_src[:o]):
                continue
        s = k
        while s < len(m_src) and m_src[s].isspace():
            s += 1
        if s >= len(m_src) or not inside[s]:
            continue
        w = re.match(r"(\+\+|--)?[A-Za-z_]\w*", m_src[s:])
        if not w or w.group(0) in KEYWORDS:
            continue
        e = s
        depth = 0
        while e < len(m_src):
            c = m_src[e]
            if c in "([{":
                depth += 1
            elif c in ")]}":
                depth -= 1
                if depth < 0:
                    break
            elif c == ";" and depth == 0:
                break
            e += 1
        if e >= len(m_src) or m_src[e] != ";" or not m_src[s:e].strip():
            continue
        stmt = m_src[s:e]
        call = re.match(r"([A-Za-z_]\w*)\s*\(", stmt)
        is_call = call and call.group(1) not in SKIP_CALLS and \
            not re.search(r"(_free|_destroy|_reset)$", call.group(1)) and \
            match_paren(stmt, call.end() - 1) == len(stmt.rstrip()) - 1
        is_update = re.match(r"\s*[A-Za-z_]\w*\s*(?:->|\.)", stmt) and STATE_FIELD.search(stmt) \
            or re.match(r"\s*(\+\+|--)\s*\w+\s*(->|\.)", stmt)
        if is_call or is_update:
            add(s, e + 1, "(void)0;", "stmt")
    # one mutant per (position, replacement)
    seen, uniq = set(), []
    for mu in sorted(muts, key=lambda x: (x.pos, x.end, x.op, x.repl)):
        key = (mu.pos, mu.end, mu.repl)
        if key not in seen and mu.apply(src) != src:
            seen.add(key)
            uniq.append(mu)
    return uniq


def match_open(s, i):
    depth = 0
    for k in range(i, -1, -1):
        if s[k] == ")":
            depth += 1
        elif s[k] == "(":
            depth -= 1
            if depth == 0:
                return k
    return None


# --------------------------------------------------------------------------
# Building and running

class Env:
    def __init__(self, args, top):
        self.args, self.top = args, top
        self.work = args.work or tempfile.mkdtemp(prefix="mutants-raft.")
        self.src = os.path.join(self.work, "src")
        self.obj = os.path.join(self.work, "obj")
        os.makedirs(self.obj, exist_ok=True)
        if os.path.exists(self.src):
            shutil.rmtree(self.src)
        # A snapshot of the sources: edits in the tree during a run change nothing.
        shutil.copytree(os.path.join(top, "src", "raft"), os.path.join(self.src, "raft"))
        self.inc = ["-I" + self.src, "-I" + os.path.join(top, "src"), "-I" + os.path.join(top, "src", "util")]
        self.check_cflags = pkg(["--cflags", "check"]) or ["-pthread"]
        self.check_libs = pkg(["--libs", "check"]) or ["-lcheck", "-lrt", "-lm", "-lsubunit"]

    def cc(self, src, obj, extra=()):
        cmd = ["gcc"] + CFLAGS + SAN + list(extra) + self.inc + ["-c", src, "-o", obj]
        return subprocess.run(cmd, capture_output=True, text=True)

    def prepare(self):
        units = [(f, []) for f in LIB_SOURCES] + [("sim.c", []), ("testnet.c", self.check_cflags)]
        units += [(t + ".c", self.check_cflags) for t in TESTS]
        for f, extra in units:
            r = self.cc(os.path.join(self.src, "raft", f), os.path.join(self.obj, f[:-2] + ".o"),
                        extra)
            if r.returncode:
                sys.exit("mutants-raft: %s does not build:\n%s" % (f, r.stderr))


def session_pids(sid):
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[3]) == sid and fields[0] != "Z":
                pids.append(int(pid))
        except (OSError, IndexError, ValueError):
            pass
    return pids


def kill_session(sid):
    """SIGKILL every process of session sid (Check puts each test in its own
    process group, but they all stay in the session).  Stop them all first:
    a Check parent that sees its child die would fork the next test."""
    for _ in range(50):
        pids = session_pids(sid)
        if not pids:
            return
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass
        time.sleep(0.05)


def run_limited(cmd, timeout, cwd=None, env=None):
    """Run cmd in its own session; kill the whole session on timeout, and
    whatever it left behind in any case."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=cwd,
                         env=env, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        kill_session(p.pid)
        try:
            out, _ = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            out = b""
        rc = None
    kill_session(p.pid)
    return rc, out.decode(errors="replace")


def link(env, d, mfile, prog):
    objs = [os.path.join(d, f[:-2] + ".o") if f == mfile else os.path.join(env.obj, f[:-2] + ".o")
            for f in LIB_SOURCES]
    main = os.path.join(env.obj, prog + ".o")
    extra = [os.path.join(env.obj, "testnet.o")] if prog not in ("sim", "test_raft_log") else []
    libs = env.check_libs if prog != "sim" else []
    out = os.path.join(d, prog)
    r = subprocess.run(["gcc"] + SAN + ["-o", out, main] + extra + objs + libs, capture_output=True,
                       text=True)
    return out if r.returncode == 0 else None


def test_mutant(env, mu, src, slot):
    """(status, detail, seconds)"""
    t0 = time.monotonic()
    d = os.path.join(env.work, "m%d" % slot)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, mu.file)
    with open(path, "w") as f:
        f.write(mu.apply(src))
    # compile as if it lived in src/raft (same include lookup)
    r = env.cc(path, os.path.join(d, mu.file[:-2] + ".o"))
    if r.returncode:
        return "nobuild", r.stderr.strip().splitlines()[0] if r.stderr else "", time.monotonic() - t0
    tenv = dict(os.environ, CK_DEFAULT_TIMEOUT="8", CK_VERBOSITY="silent")
    for t in TESTS:
        exe = link(env, d, mu.file, t)
        if not exe:
            return "nobuild", "link " + t, time.monotonic() - t0
        rc, out = run_limited([exe], env.args.test_timeout, cwd=d, env=tenv)
        if rc is None:
            return "timeout", t, time.monotonic() - t0
        if rc != 0:
            return "killed", t, time.monotonic() - t0
    exe = link(env, d, mu.file, "sim")
    if not exe:
        return "nobuild", "link sim", time.monotonic() - t0
    rc, out = run_limited([exe, "--seeds", str(env.args.seeds), "--fail-fast"],
                          env.args.sim_timeout, cwd=d)
    if rc is None:
        return "timeout", "sim", time.monotonic() - t0
    if rc != 0:
        seed = re.search(r"seed (\d+) FAILED: (.*)", out)
        return "killed", ("sim seed %s: %s" % (seed.group(1), seed.group(2)[:120])) if seed \
            else "sim rc=%d" % rc, time.monotonic() - t0
    return "survived", "", time.monotonic() - t0


def diff_of(mu, src):
    a = src.splitlines(keepends=True)
    b = mu.apply(src).splitlines(keepends=True)
    return "".join(difflib.unified_diff(a, b, "a/src/raft/" + mu.file, "b/src/raft/" + mu.file,
                                        n=1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", default=",".join(FILES),
                    help="comma-separated sources to mutate (default: all seven)")
    ap.add_argument("--sample", default="", help="K[:OFF]: the mutants whose id hashes to OFF mod K")
    ap.add_argument("--limit", type=int, default=0, help="at most N mutants")
    ap.add_argument("--only", default="", help="comma-separated mutant ids")
    ap.add_argument("--seeds", type=int, default=1000, help="simulator seeds (<= 3000)")
    ap.add_argument("-j", type=int, default=1, help="mutants tested in parallel")
    ap.add_argument("--test-timeout", type=float, default=30)
    ap.add_argument("--sim-timeout", type=float, default=0, help="default: from a baseline run")
    ap.add_argument("--report", default="", help="markdown report (default: WORK/report.md)")
    ap.add_argument("--work", default="", help="scratch directory (default: a new temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument("--sanitize", action="store_true",
                    help="build with -fsanitize=address,undefined (a memory error or a leak "
                    "kills the mutant; slower)")
    ap.add_argument("--resume", action="store_true",
                    help="skip the mutants already recorded in REPORT.tsv (each result is "
                    "appended there as soon as it is known) and count them in the report")
    args = ap.parse_args()
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if args.sanitize:
        SAN[:] = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                  "-fno-omit-frame-pointer"]

    srcs, muts = {}, []
    for f in args.files.split(","):
        if f not in FILES:
            sys.exit("mutants-raft: %s is not one of %s" % (f, " ".join(FILES)))
        with open(os.path.join(top, "src", "raft", f)) as fh:
            srcs[f] = fh.read()
        muts += find_mutants(f, srcs[f])
    total = len(muts)
    if args.only:
        want = set(args.only.split(","))
        muts = [m for m in muts if m.id in want]
    if args.sample:
        # by a hash of the id, so that a mutant's selection does not depend
        # on the others (runs before and after a change stay comparable)
        k, _, off = args.sample.partition(":")
        muts = [m for m in muts if zlib.crc32(m.id.encode()) % int(k) == int(off or 0)]
    if args.limit:
        muts = muts[: args.limit]
    if args.list:
        for m in muts:
            print("%s\t%r -> %r" % (m.id, m.orig, m.repl))
        print("%d of %d mutants" % (len(muts), total), file=sys.stderr)
        return 0

    t_start = time.monotonic()
    env = Env(args, top)
    env.prepare()
    # Baseline: the unmutated library must pass, and it times the simulator.
    class Nop(Mutant):
        def __init__(self):
            self.file, self.id, self.op = "log.c", "baseline", "none"
    base = Nop()
    base.apply = lambda s: s
    if not args.sim_timeout:
        args.sim_timeout = 1e6
    t0 = time.monotonic()
    st, detail, secs = test_mutant(env, base, srcs.get("log.c") or open(
        os.path.join(top, "src", "raft", "log.c")).read(), 0)
    if st != "survived":
        sys.exit("mutants-raft: the unmutated library fails (%s %s)" % (st, detail))
    base_secs = time.monotonic() - t0
    if args.sim_timeout == 1e6:
        args.sim_timeout = 4 * base_secs + 20
    print("mutants-raft: %d mutants selected of %d; baseline %.1f s, timeout %.0f s; work %s"
          % (len(muts), total, base_secs, args.sim_timeout, env.work), flush=True)

    report = args.report or os.path.join(env.work, "report.md")
    tsv = report + ".tsv"
    results = [None] * len(muts)
    if args.resume and os.path.exists(tsv):
        # An interrupted run: keep what it found (the tsv is appended to as
        # each mutant ends, so a killed run loses at most the mutants in flight).
        known = {}
        with open(tsv) as fh:
            for line in fh:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 4 and parts[1] in ("killed", "timeout", "survived", "nobuild"):
                    known[parts[0]] = (parts[1], parts[3], float(parts[2]))
        for i, m in enumerate(muts):
            if m.id in known:
                results[i] = known[m.id]
        print("mutants-raft: resuming, %d of %d mutants already done" % (
            sum(1 for r in results if r), len(muts)), flush=True)
    todo = [i for i in range(len(muts)) if results[i] is None]
    progress = open(tsv, "a" if args.resume else "w")
    slots = list(range(1, args.j + 1))

    def job(i):
        slot = slots.pop()
        try:
            return i, test_mutant(env, muts[i], srcs[muts[i].file], slot)
        finally:
            slots.append(slot)

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.j) as ex:
        for done, fut in enumerate(concurrent.futures.as_completed(
                [ex.submit(job, i) for i in todo]), len(muts) - len(todo) + 1):
            i, res = fut.result()
            res = (res[0], res[1].replace("\t", " ").replace("\n", " "), res[2])
            results[i] = res
            progress.write("%s\t%s\t%.2f\t%s\n" % (muts[i].id, res[0], res[2], res[1]))
            progress.flush()
            print("[%d/%d] %-8s %5.1fs %s %s" % (done, len(muts), res[0], res[2], muts[i].id,
                                                res[1]), flush=True)
    progress.close()
    wall = time.monotonic() - t_start

    counts = {}
    for r in results:
        counts[r[0]] = counts.get(r[0], 0) + 1
    with open(report, "w") as f:
        write_report(f, args, muts, results, srcs, counts, total, wall, base_secs)
    with open(tsv, "w") as f:  # in mutant order
        for m, r in zip(muts, results):
            f.write("%s\t%s\t%.2f\t%s\n" % (m.id, r[0], r[2], r[1]))
    print("mutants-raft: %s in %.0f s; report %s" % (
        ", ".join("%d %s" % (v, k) for k, v in sorted(counts.items())), wall, report))
    if not args.keep and not args.work:
        shutil.rmtree(env.work, ignore_errors=True)
    return 0


def write_report(f, args, muts, results, srcs, counts, total, wall, base_secs):
    killed, surv = counts.get("killed", 0), counts.get("survived", 0)
    tout = counts.get("timeout", 0)
    built = killed + surv + tout
    f.write("# Mutation run of src/raft\n\n")
    f.write("Command: `tools/mutants-raft.py --files %s%s%s --seeds %d -j %d`\n\n" % (
        args.files, " --sample " + args.sample if args.sample else "",
        " --limit %d" % args.limit if args.limit else "", args.seeds, args.j))
    f.write("| | count |\n|---|---|\n")
    f.write("| mutants generated (all selected files) | %d |\n" % total)
    f.write("| mutants run | %d |\n" % len(muts))
    for k in ("killed", "timeout", "survived", "nobuild"):
        f.write("| %s | %d |\n" % (k, counts.get(k, 0)))
    if built:
        f.write("| killed or timed out / built | %.1f%% |\n" % (100.0 * (killed + tout) / built))
    f.write("\nWall time %.0f s (baseline run of tests + %d seeds: %.1f s).\n\n" % (
        wall, args.seeds, base_secs))
    f.write("## Per file\n\n| file | run | killed | timeout | survived | nobuild | s |\n"
            "|---|---|---|---|---|---|---|\n")
    for fn in args.files.split(","):
        rs = [r for m, r in zip(muts, results) if m.file == fn]
        c = lambda s: sum(1 for r in rs if r[0] == s)
        f.write("| %s | %d | %d | %d | %d | %d | %.0f |\n" % (
            fn, len(rs), c("killed"), c("timeout"), c("survived"), c("nobuild"),
            sum(r[2] for r in rs)))
    f.write("\n## Per operator\n\n| op | run | killed | timeout | survived | nobuild |\n"
            "|---|---|---|---|---|---|\n")
    for op in ("ror", "plus1", "swap", "tern", "cond", "stmt"):
        rs = [r for m, r in zip(muts, results) if m.op == op]
        c = lambda s: sum(1 for r in rs if r[0] == s)
        f.write("| %s | %d | %d | %d | %d | %d |\n" % (op, len(rs), c("killed"), c("timeout"),
                                                      c("survived"), c("nobuild")))
    f.write("\n## Survivors\n\n")
    for m, r in zip(muts, results):
        if r[0] == "survived":
            f.write("### %s\n\n```diff\n%s```\n\n" % (m.id, diff_of(m, srcs[m.file])))
    f.write("## Killers\n\nWhat killed each mutant (first failing test or seed), and the "
            "time it took.\n\n| mutant | status | s | by |\n|---|---|---|---|\n")
    for m, r in zip(muts, results):
        if r[0] != "survived":
            f.write("| %s | %s | %.1f | %s |\n" % (m.id, r[0], r[2], r[1].replace("|", "/")))


if __name__ == "__main__":
    sys.exit(main())
