#!/usr/bin/env python3
"""`dnnf report` in a real browser: for each model, writes the report and
opens it in headless Chromium.

    check_report.py DNNF MODEL...

For every model:
  - the page is self-contained: no script, stylesheet, image or font is
    loaded from anywhere (no src=/href= to another file, no url(...));
  - the page's own self-test (the fragment #selftest) passes: it clicks a
    block of the optimized graph and checks the block panel, clicks a
    trace step and checks its before/after pictures, filters the trace by
    a rule and steps through it, and writes PASS/FAIL lines into the DOM,
    which `chromium --dump-dom` returns;
  - a screenshot is taken and decoded (PNG, with zlib from the standard
    library): it must not be blank, and the graph region must hold
    drawing (many pixels of several colours).
Exit status 77 (ctest: skipped) when no Chromium is installed.
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib


def find_browser():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def browser(exe, profile, *args):
    cmd = [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--no-first-run", "--user-data-dir=" + profile, "--window-size=1280,1400",
           "--virtual-time-budget=5000", *args]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=180)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def png_pixels(path):
    """(width, height, rows of RGB tuples) of an 8-bit RGB/RGBA PNG."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            if depth != 8 or ctype not in (2, 6):
                raise ValueError(f"unsupported PNG (depth {depth}, colour type {ctype})")
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def region_stats(w, h, bpp, rows, y0, y1):
    """(fraction of pixels unlike the commonest colour, distinct colours) in rows y0..y1."""
    counts = {}
    for y in range(max(0, y0), min(h, y1), 2):
        line = rows[y]
        for x in range(0, w, 2):
            px = bytes(line[x * bpp:x * bpp + 3])
            counts[px] = counts.get(px, 0) + 1
    total = sum(counts.values()) or 1
    return 1 - max(counts.values()) / total, len(counts)


def check_model(dnnf, exe, model, tmp):
    name = os.path.splitext(os.path.basename(model))[0]
    html = os.path.join(tmp, name + ".html")
    p = subprocess.run([dnnf, "report", model, "-o", html], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=600)
    if p.returncode != 0:
        return [f"dnnf report failed ({p.returncode}): {p.stdout.decode()}"]
    errors = []
    page = open(html, encoding="utf-8").read()
    if os.path.exists(html + ".part"):
        errors.append("a .part file was left behind")
    # self-contained: nothing fetched from elsewhere
    for pat in (r"<(script|img|iframe)[^>]*\ssrc=", r"<link\b", r"url\(['\"]?(?!#)", r"@import",
                r"https?://(?!www\.w3\.org/)"):
        m = re.search(pat, page)
        if m:
            errors.append(f"the page refers to an external resource: {page[m.start():m.start() + 60]!r}")
    if page.count("<svg") < 2:
        errors.append("the page holds fewer than two inline SVG pictures")
    profile = os.path.join(tmp, "profile-" + name)
    url = "file://" + html
    rc, dom, err = browser(exe, profile, "--dump-dom", url + "#selftest")
    m = re.search(r'<pre id="selftest-result"[^>]*>(.*?)</pre>', dom, re.S)
    if rc != 0 or not m:
        errors.append(f"chromium --dump-dom: status {rc}, no self-test result\n{err[-2000:]}")
    else:
        result = m.group(1).replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&")
        print(f"{name}: self-test\n  " + result.strip().replace("\n", "\n  "))
        if "SELFTEST PASS" not in result or 'data-selftest="pass"' not in dom:
            errors.append("the page's self-test failed:\n" + result)
        for step in ("block click", "trace step click", "graphs drawn"):
            if "PASS " + step not in result:
                errors.append(f"self-test step '{step}' did not pass")
    png = os.path.join(tmp, name + ".png")
    rc, out, err = browser(exe, profile, "--screenshot=" + png, url + "#selftest")
    if rc != 0 or not os.path.exists(png):
        errors.append(f"chromium --screenshot: status {rc}\n{err[-2000:]}")
    else:
        w, h, bpp, rows = png_pixels(png)
        ink, colours = region_stats(w, h, bpp, rows, 0, h)
        # the graphs start below the header and the summary table
        gink, gcolours = region_stats(w, h, bpp, rows, h // 3, h)
        print(f"{name}: screenshot {w}x{h}: {ink:.1%} ink, {colours} colours; "
              f"graph region {gink:.1%} ink, {gcolours} colours")
        if ink < 0.03 or colours < 8:
            errors.append(f"the screenshot is blank ({ink:.1%} ink, {colours} colours)")
        if gink < 0.02 or gcolours < 6:
            errors.append(f"the graph region of the screenshot is empty ({gink:.1%} ink)")
    return errors


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    dnnf = os.path.abspath(sys.argv[1])
    exe = find_browser()
    if not exe:
        print("no chromium installed (scripts/setup.sh installs it): skipped")
        return 77
    tmp = tempfile.mkdtemp(prefix="dnnf_report_")
    failed = 0
    try:
        for model in sys.argv[2:]:
            errors = check_model(dnnf, exe, os.path.abspath(model), tmp)
            for e in errors:
                print(f"FAIL {model}: {e}", file=sys.stderr)
            failed += bool(errors)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"report: {len(sys.argv) - 2 - failed} of {len(sys.argv) - 2} models pass in {exe}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
