#!/usr/bin/env python3
"""`dnnf batch` end to end.

    check_batch.py DNNF MODELS_DIR models     all shared models and a corrupt one
    check_batch.py DNNF EXAMPLES_DIR run      --run on the hand-written examples
    check_batch.py DNNF MODELS_DIR interrupt  SIGINT in the middle

models: the models of MODELS_DIR are copied into a scratch folder with a
corrupt .onnx added (a truncated copy of a real model); `dnnf batch -j 2`
must finish every model, report the corrupt one with a message naming it,
exit with status 1, and write per model optimized.graph, trace.jsonl,
report.html, summary.json, log.txt, and a summary (JSON and Markdown)
whose numbers agree with `dnnf fuse --json` and `dnnf optimize --json`
run on each model alone.

run: with --run every optimized graph is checked against the model by the
reference interpreter: every check must be "ok", exit status 0.

interrupt: a batch with --run on slow models gets SIGINT while workers
run: exit status 130, no *.part file anywhere, no summary written.
"""
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

GUIDE_KEYS = ("model", "nodes", "compute_ops", "kernels", "fusion_rate", "layout_kernels",
              "irs_bytes", "irs_bytes_unfused", "flops", "optimize_ms", "unknown_dims", "status")
PER_MODEL = ("optimized.graph", "trace.jsonl", "report.html", "summary.json", "log.txt")


def parts(folder):
    return [p for p in glob.glob(os.path.join(folder, "**", "*"), recursive=True)
            if p.endswith(".part")]


def batch(dnnf, src, out, *extra):
    p = subprocess.run([dnnf, "batch", src, "-o", out, *extra], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=1200)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def check_models(dnnf, models, tmp):
    errors = []
    src, out = os.path.join(tmp, "models"), os.path.join(tmp, "out")
    os.mkdir(src)
    names = sorted(os.path.basename(m) for m in glob.glob(os.path.join(models, "*.onnx")))
    for n in names:
        os.symlink(os.path.join(models, n), os.path.join(src, n))
    real = open(os.path.join(models, names[0]), "rb").read()
    open(os.path.join(src, "corrupt.onnx"), "wb").write(real[:len(real) // 3])
    t0 = time.time()
    rc, stdout, stderr = batch(dnnf, src, out, "-j", "2")
    print(f"dnnf batch: {len(names) + 1} models in {time.time() - t0:.1f} s, exit status {rc}")
    print(stdout)
    if rc != 1:
        errors.append(f"exit status {rc}, expected 1 (one model failed)\n{stderr}")
    if "corrupt.onnx" not in stdout or "FAILED" not in stdout:
        errors.append("the corrupt model is not reported on stdout")
    if parts(out):
        errors.append(f"temporary files left: {parts(out)}")
    summary = json.load(open(os.path.join(out, "summary.json")))
    by = {s["model"]: s for s in summary}
    if sorted(by) != sorted(names + ["corrupt.onnx"]):
        errors.append(f"summary.json lists {sorted(by)}")
    bad = by.get("corrupt.onnx", {})
    if bad.get("status") != "error" or "corrupt.onnx" not in bad.get("error", ""):
        errors.append(f"corrupt.onnx: {bad}")
    md = open(os.path.join(out, "summary.md")).read()
    if f"{len(names) + 1} models, {len(names)} ok, 1 failed" not in md:
        errors.append("summary.md's title does not count the models")
    for n in names:
        s = by.get(n, {})
        stem = os.path.splitext(n)[0]
        if s.get("status") != "ok":
            errors.append(f"{n}: status {s.get('status')}: {s.get('error')}")
            continue
        missing = [k for k in GUIDE_KEYS if k not in s]
        if missing:
            errors.append(f"{n}: keys missing from the summary: {missing}")
        for f in PER_MODEL:
            if not os.path.getsize(os.path.join(out, stem, f)) and f != "log.txt":
                errors.append(f"{n}: {f} is empty")
        if f"| {n} | ok | {s['nodes']} | {s['compute_ops']} |" not in md:
            errors.append(f"{n}: no row in summary.md")
        # the same numbers as the single-model commands
        fz = json.loads(subprocess.run([dnnf, "fuse", os.path.join(models, n), "--json"],
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                       timeout=600).stdout)
        for k in ("nodes", "compute_ops", "kernels", "layout_kernels", "irs_bytes"):
            want = fz[k] if k != "nodes" else None
            if want is not None and s[k] != want:
                errors.append(f"{n}: {k} {s[k]}, dnnf fuse --json says {want}")
        if abs(s["fusion_rate"] - s["compute_ops"] / s["kernels"]) > 1e-3:
            errors.append(f"{n}: fusion_rate {s['fusion_rate']} is not compute_ops / kernels")
        op = json.loads(subprocess.run([dnnf, "optimize", os.path.join(models, n), "--json"],
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                       timeout=600).stdout)
        if s["compute_ops_after"] != op["compute_ops_after"]:
            errors.append(f"{n}: compute_ops_after {s['compute_ops_after']}, "
                          f"dnnf optimize --json says {op['compute_ops_after']}")
        trace = open(os.path.join(out, stem, "trace.jsonl")).read().splitlines()
        rewrites = sum(1 for t in trace if t.startswith('{"type":"rewrite"'))
        if rewrites != s["rewrites"]:
            errors.append(f"{n}: the trace holds {rewrites} rewrites, the summary says {s['rewrites']}")
    return errors


def check_run(dnnf, examples, tmp):
    errors = []
    out = os.path.join(tmp, "out")
    rc, stdout, stderr = batch(dnnf, examples, out, "-j", "2", "--run")
    print(stdout)
    if rc != 0:
        errors.append(f"exit status {rc}\n{stdout}\n{stderr}")
    for s in json.load(open(os.path.join(out, "summary.json"))):
        if s.get("status") != "ok" or s.get("check") != "ok":
            errors.append(f"{s['model']}: status {s.get('status')}, check {s.get('check')}")
    return errors


def check_interrupt(dnnf, models, tmp):
    errors = []
    src, out = os.path.join(tmp, "models"), os.path.join(tmp, "out")
    os.mkdir(src)
    for n in ("resnet50.onnx", "vgg16.onnx", "r3d_18.onnx"):
        os.symlink(os.path.join(models, n), os.path.join(src, n))
    p = subprocess.Popen([dnnf, "batch", src, "-o", out, "-j", "2", "--run"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    # wait until the workers are busy (their logs exist as .part files)
    while time.time() < deadline and len(parts(out)) < 2:
        time.sleep(0.05)
    time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    stdout, stderr = p.communicate(timeout=120)
    print(stderr.decode())
    if p.returncode != 128 + signal.SIGINT:
        errors.append(f"exit status {p.returncode}, expected {128 + signal.SIGINT}")
    if parts(out):
        errors.append(f"half-written files left: {parts(out)}")
    for f in ("summary.json", "summary.md"):
        if os.path.exists(os.path.join(out, f)):
            errors.append(f"{f} written although the batch was interrupted")
    left = subprocess.run(["pgrep", "-f", "batch --worker " + src], stdout=subprocess.PIPE).stdout
    if left.strip():
        errors.append(f"workers still running: {left.decode()}")
    return errors


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    dnnf, folder, mode = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), sys.argv[3]
    tmp = tempfile.mkdtemp(prefix="dnnf_batch_")
    try:
        check = {"models": check_models, "run": check_run, "interrupt": check_interrupt}[mode]
        errors = check(dnnf, folder, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for e in errors:
        print("FAIL " + e, file=sys.stderr)
    print(f"batch {mode}: {'FAILED' if errors else 'ok'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
