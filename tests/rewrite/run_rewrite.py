#!/usr/bin/env python3
"""Rewrite tests written as data (tests/rewrite/*.test).

A .test file holds a start graph and the graph expected after
`dnnf optimize`, in the .graph language, and says which rules must fire:

    # one line or more of comment: what the test shows
    rules: all                  # rules/all.rules (the default), or a path
                                # relative to the test file; several allowed
    fired: rule_a rule_b        # each must appear in the trace
    args: --max-iters 3         # extra arguments for dnnf optimize (optional)
    --- rules                   # optional: rules of this test only, added
    rule ...;                   # after `include "ops.rules"` and the
                                # composites; then `rules:` is ignored
    --- start
    graph t opset 17 { ... }
    --- expect
    graph t opset 17 { ... }

The two graphs are compared structurally: every output must be the same
term over the same inputs (value and node names, types and number
formatting do not matter; operators, attributes, constants and the
wiring do).

usage: run_rewrite.py DNNF TEST...
"""
import json
import os
import struct
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def parse_test(path):
    meta = {"rules": [], "fired": [], "args": []}
    sections = {}
    cur = None
    for line in open(path):
        m = re.match(r"^--- (\w+)\s*$", line)
        if m:
            cur = m.group(1)
            sections[cur] = ""
            continue
        if cur:
            sections[cur] += line
            continue
        s = line.split("#", 1)[0].strip()
        if not s:
            continue
        key, _, val = s.partition(":")
        val = val.strip()
        if key == "rules":
            meta["rules"].append(val)
        elif key == "fired":
            meta["fired"] += val.split()
        elif key == "args":
            meta["args"] += val.split()
        else:
            raise ValueError(f"{path}: unknown header '{key}'")
    for need in ("start", "expect"):
        if need not in sections:
            raise ValueError(f"{path}: no '--- {need}' section")
    return meta, sections


# ---------------------------------------------------------------- .graph reader
TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_.]*(?:::[A-Za-z_][A-Za-z0-9_]*)?|-?[0-9][0-9.eE+-]*|\S')


def unq(t):
    if t.startswith('"'):
        return re.sub(r'\\(.)', r'\1', t[1:-1])
    return t


def split_top(s, sep=","):
    out, depth, cur, q = [], 0, "", False
    i = 0
    while i < len(s):
        c = s[i]
        if q:
            cur += c
            if c == "\\":
                cur += s[i + 1]
                i += 1
            elif c == '"':
                q = False
        elif c == '"':
            q = True
            cur += c
        elif c in "([":
            depth += 1
            cur += c
        elif c in ")]":
            depth -= 1
            cur += c
        elif c == sep and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += c
        i += 1
    if cur.strip():
        out.append(cur.strip())
    return out


def read_graph(text):
    """The printed form of ir_print: {value: term}, outputs."""
    vals, outs = {}, []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("graph ") or line == "}" or line.startswith("#"):
            continue
        line = line.rstrip(";")
        if line.startswith("input "):
            name = unq(split_top(line[6:], ":")[0].strip())
            vals[name] = ("input", name)
        elif line.startswith("weight "):
            name, typ = [x.strip() for x in split_top(line[7:], ":")[:2]]
            vals[unq(name)] = ("weight", unq(name), typ)
        elif line.startswith("const "):
            head, _, values = line[6:].partition("=")
            name, typ = [x.strip() for x in split_top(head, ":")[:2]]
            vals[unq(name)] = ("const", typ, re.sub(r"\s+", "", values))
        elif line.startswith("output "):
            outs.append(unq(line[7:].strip()))
        else:
            # outs = Op(args) [attrs] @name
            lhs, _, rhs = line.partition(" = ")
            rhs = re.sub(r'\s*@("(?:[^"\\]|\\.)*"|\S+)\s*$', "", rhs)
            m = re.match(r'^([A-Za-z_][A-Za-z0-9_.]*(?:::[A-Za-z_][A-Za-z0-9_]*)?)\((.*)$', rhs)
            if not m:
                raise ValueError(f"cannot read node line: {raw}")
            op, rest = m.group(1), m.group(2)
            depth, i = 1, 0
            while depth:
                if rest[i] == "(":
                    depth += 1
                elif rest[i] == ")":
                    depth -= 1
                i += 1
            args = [unq(a) for a in split_top(rest[: i - 1])]
            attrs = rest[i:].strip()
            if attrs.startswith("["):
                attrs = attrs[1:-1]
                attrs = ",".join(sorted(re.sub(r"\s+", "", a) for a in split_top(attrs)))
            outs_l = [unq(split_top(o, ":")[0].strip()) for o in split_top(lhs)]
            for k, o in enumerate(outs_l):
                if o != "_":
                    vals[o] = ("node", op, attrs, tuple(args), k, len(outs_l))
    return vals, outs


def term(vals, name, memo, depth=0):
    if name == "_":
        return "_"
    if name in memo:
        return memo[name]
    v = vals.get(name)
    if v is None:
        raise ValueError(f"value '{name}' is not defined")
    if v[0] == "input":
        t = "in:" + v[1]
    elif v[0] == "weight":
        t = "w:" + v[1]
    elif v[0] == "const":
        t = "c:" + "".join(v[1].split()) + "=" + num_norm(v[2])
    else:
        _, op, attrs, args, k, n = v
        # Identity is not a computation: look through it
        if op == "Identity":
            t = term(vals, args[0], memo, depth + 1)
        else:
            kids = ",".join(term(vals, a, memo, depth + 1) for a in args)
            t = f"{op}[{num_norm(attrs)}]({kids})" + (f"#{k}/{n}" if n > 1 else "")
    memo[name] = t
    return t


NUM = re.compile(r'(?<![A-Za-z_0-9.])-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?(?![A-Za-z_0-9])')


def num_norm(s):
    """Numbers as float32 values, so that 1e-5 and 9.99999975e-06 agree."""
    def f(m):
        x = float(m.group(0))
        return "%.6g" % struct.unpack("f", struct.pack("f", x))[0]
    return NUM.sub(f, s)


def canon(text):
    vals, outs = read_graph(text)
    memo = {}
    return [term(vals, o, memo) for o in outs]


# ---------------------------------------------------------------- running
def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)


def check(dnnf, path, tmp):
    meta, sec = parse_test(path)
    name = os.path.splitext(os.path.basename(path))[0]
    start = os.path.join(tmp, name + ".start.graph")
    got = os.path.join(tmp, name + ".got.graph")
    trace = os.path.join(tmp, name + ".jsonl")
    open(start, "w").write(sec["start"])
    rules = []
    if "rules" in sec:
        rf = os.path.join(tmp, name + ".rules")
        open(rf, "w").write(f'include "{ROOT}/rules/ops.rules";\ninclude "{ROOT}/rules/composites.rules";\n'
                            + sec["rules"])
        rules = ["-r", rf]
    else:
        for r in meta["rules"] or ["all"]:
            rules += ["-r", os.path.join(ROOT, "rules", "all.rules") if r == "all"
                      else os.path.join(os.path.dirname(path), r)]
    p = run([dnnf, "optimize", start, *rules, "-o", got, "--trace", trace, *meta["args"]])
    if p.returncode != 0:
        return f"dnnf optimize failed ({p.returncode}):\n{p.stdout}{p.stderr}"
    g, w = canon(open(got).read()), canon(sec["expect"])
    if g != w:
        return ("the optimized graph differs from the expected one\n--- got\n" + open(got).read()
                + "--- expected\n" + sec["expect"] + p.stdout)
    fired = set()
    for line in open(trace):
        r = json.loads(line)
        if r["type"] == "rewrite":
            fired.add(r["rule"])
    missing = [r for r in meta["fired"] if r not in fired]
    if missing:
        return f"rules did not fire: {' '.join(missing)} (fired: {' '.join(sorted(fired))})"
    return None


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    dnnf, tests = sys.argv[1], sys.argv[2:]
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for t in tests:
            try:
                err = check(dnnf, t, tmp)
            except (ValueError, OSError, json.JSONDecodeError) as e:
                err = str(e)
            if err:
                failed += 1
                print(f"FAIL {os.path.basename(t)}: {err}")
            else:
                print(f"ok   {os.path.basename(t)}")
    print(f"{len(tests) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
