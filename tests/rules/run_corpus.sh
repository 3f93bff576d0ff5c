#!/bin/sh
# run_corpus.sh DNNF SOURCE_DIR [ROUNDTRIP] -- the test corpus, as data:
#   tests/rules/pass/*.rules  must pass `dnnf rules check` (exit 0, no stderr);
#   tests/rules/fail/*.rules  must fail with exit 1 and print exactly the
#                             text of the .expect file next to them on stderr;
#   tests/graphs/fail/*.graph the same for the .graph reader (with ROUNDTRIP,
#                             the test_graph_roundtrip program).
# With UPDATE=1 the .expect files are rewritten from the current output
# (review the diff before committing).
dnnf=$1
roundtrip=$3
cd "$2" || exit 2
tmp=$(mktemp) || exit 2
trap 'rm -f "$tmp"' EXIT
bad=0
for f in tests/rules/pass/*.rules; do
    "$dnnf" rules check "$f" >/dev/null 2>"$tmp"
    rc=$?
    if [ $rc -ne 0 ] || [ -s "$tmp" ]; then
        echo "FAIL $f: expected to pass, exit $rc:"
        cat "$tmp"
        bad=1
    else
        echo "ok   $f"
    fi
done
for f in tests/rules/fail/*.rules; do
    exp=${f%.rules}.expect
    "$dnnf" rules check "$f" >/dev/null 2>"$tmp"
    rc=$?
    if [ "${UPDATE:-0}" = 1 ]; then cp "$tmp" "$exp"; fi
    if [ $rc -ne 1 ]; then
        echo "FAIL $f: expected exit 1, got $rc"
        bad=1
    elif [ ! -f "$exp" ]; then
        echo "FAIL $f: no $exp"
        bad=1
    elif ! diff -u "$exp" "$tmp"; then
        echo "FAIL $f: messages differ from $exp"
        bad=1
    else
        echo "ok   $f"
    fi
done
if [ -n "$roundtrip" ]; then
    for f in tests/graphs/fail/*.graph; do
        exp=${f%.graph}.expect
        "$roundtrip" "$f" >/dev/null 2>"$tmp"
        rc=$?
        if [ "${UPDATE:-0}" = 1 ]; then cp "$tmp" "$exp"; fi
        if [ $rc -ne 1 ]; then
            echo "FAIL $f: expected exit 1, got $rc"
            bad=1
        elif [ ! -f "$exp" ] || ! diff -u "$exp" "$tmp"; then
            echo "FAIL $f: messages differ from $exp"
            bad=1
        else
            echo "ok   $f"
        fi
    done
fi
exit $bad
