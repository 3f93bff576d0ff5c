"""Every tests/bad/NAME.onnx must make `dnnf run NAME.onnx --reference`
exit with status 1 and one error line on stderr that names the file and
contains the text of NAME.expect.  A signal (crash) or any other status
fails.

    python tests/bad/check_bad.py DNNF
"""
import glob
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    dnnf = sys.argv[1]
    passed = failed = 0
    for m in sorted(glob.glob(os.path.join(HERE, "*.onnx"))):
        with open(m[:-5] + ".expect") as f:
            expect = f.read().strip()
        r = subprocess.run([dnnf, "run", m, "--reference"], capture_output=True, text=True)
        err = r.stderr.strip()
        problems = []
        if r.returncode != 1:
            problems.append("exit status %d, want 1" % r.returncode)
        if expect not in err:
            problems.append("stderr lacks %r" % expect)
        if os.path.basename(m) not in err:
            problems.append("stderr does not name the file")
        if len(err.splitlines()) != 1 or not err.startswith("dnnf: "):
            problems.append("want one line 'dnnf: ...'")
        if problems:
            failed += 1
            print("FAIL %s: %s\n    got: %s" % (os.path.basename(m), "; ".join(problems), err))
        else:
            passed += 1
            print("ok   %s: %s" % (os.path.basename(m), err))
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed or not passed else 0)


if __name__ == "__main__":
    main()
