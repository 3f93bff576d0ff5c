#!/usr/bin/env python3
"""Runs every command of docs/tutorial.md and compares its output with the
output the document shows, so that the walkthrough stays true.

    check_tutorial.py DNNF REPO [--update]

Each ```console block holds commands (lines starting with "$ ") each
followed by its output (stdout and stderr together, as a terminal would
show them when the command runs in a pipe).  The commands run one after
the other through `sh -c` in a scratch folder holding copies of the
repository's examples/ and rules/ (the tutorial edits a copy of the rules;
it must never touch the real ones), with `dnnf` on PATH.  A command must
exit with status 0 unless it prints its own status (`; echo "exit status $?"`).

Timings differ from run to run: "12.3 ms", "(saturate 0.1, extract 0.0;
load 0.5)", "0.4 s" are compared as "N ms" and so on.  --update rewrites
the outputs in the document from a real run (after a deliberate change).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

BLOCK = re.compile(r"^```console\n(.*?)^```\n", re.S | re.M)


def normalise(text, scratch):
    text = text.replace(scratch, ".")
    text = re.sub(r"\d+(\.\d+)?(?= ?ms\b)", "N", text)
    text = re.sub(r"\b(saturate|extract|load|rewrite|fuse|search|apply|rebuild) \d+(\.\d+)?",
                  r"\1 N", text)
    text = re.sub(r"\b\d+\.\d+ s\b", "N s", text)
    text = re.sub(r"optimize_ms[\"]?: [0-9.]+", "optimize_ms: N", text)
    return "\n".join(line.rstrip() for line in text.strip("\n").split("\n"))


def parse(block):
    """[(command, expected output)] of one console block."""
    steps = []
    for line in block.split("\n"):
        if line.startswith("$ "):
            steps.append([line[2:], []])
        elif steps:
            steps[-1][1].append(line)
    return [(c, "\n".join(o).rstrip("\n")) for c, o in steps]


def run(cmd, cwd, env):
    p = subprocess.run(["sh", "-c", cmd], cwd=cwd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=600)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    dnnf, repo = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    update = "--update" in sys.argv[3:]
    doc_path = os.path.join(repo, "docs", "tutorial.md")
    doc = open(doc_path).read()
    scratch = tempfile.mkdtemp(prefix="dnnf_tutorial_")
    try:
        shutil.copytree(os.path.join(repo, "examples"), os.path.join(scratch, "examples"))
        shutil.copytree(os.path.join(repo, "rules"), os.path.join(scratch, "rules"))
        bindir = os.path.join(scratch, ".bin")
        os.mkdir(bindir)
        os.symlink(dnnf, os.path.join(bindir, "dnnf"))
        env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""),
                   LC_ALL="C")
        env.pop("DNNF_RULES", None)
        failures, count = [], 0
        out_doc, pos = [], 0
        for m in BLOCK.finditer(doc):
            out_doc.append(doc[pos:m.start(1)])
            new_block = []
            for cmd, expected in parse(m.group(1)):
                count += 1
                rc, got = run(cmd, scratch, env)
                new_block.append("$ " + cmd)
                if got.strip("\n"):
                    new_block.append(got.rstrip("\n"))
                if rc != 0 and "echo" not in cmd:
                    failures.append(f"$ {cmd}\n  exit status {rc}\n{got}")
                elif normalise(got, scratch) != normalise(expected, scratch):
                    failures.append(f"$ {cmd}\n--- the document shows:\n{expected}\n"
                                    f"--- the command printed:\n{got}")
            out_doc.append("\n".join(new_block) + "\n")
            pos = m.end(1)
        out_doc.append(doc[pos:])
        if update:
            open(doc_path, "w").write("".join(out_doc).replace(scratch, "."))
            print(f"updated {doc_path}: {count} commands")
            return 0
        if failures:
            for f in failures:
                print(f, file=sys.stderr)
            print(f"tutorial: {len(failures)} of {count} commands differ from docs/tutorial.md",
                  file=sys.stderr)
            return 1
        print(f"tutorial: all {count} commands print what docs/tutorial.md shows")
        return 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
