#!/bin/sh
# run_plans.sh DNNF SRCDIR -- fusion plans as data.
#
# For every tests/fusion/GRAPH.expect, the output of
#     dnnf fuse GRAPH.graph --plan --steps
# and for every GRAPH@RULES.expect the same with -r RULES.rules (a test
# table), must equal the file: the blocks, then the seeds and every growth
# decision in order.  GRAPH@NAME.profile, when present, is a profile
# database given with --profile-db (measurements that settle `profile`).  Every graph is also run block by block (--check).
# To accept a new plan after a deliberate change:  sh run_plans.sh DNNF SRCDIR --update
dnnf=$1
src=$2
update=$3
dir=$src/tests/fusion
fail=0
n=0
for exp in "$dir"/*.expect; do
    base=$(basename "$exp" .expect)
    graph=${base%%@*}
    set -- "$dir/$graph.graph"
    if [ "$graph" != "$base" ] && [ -f "$dir/${base#*@}.rules" ]; then
        set -- "$@" -r "$dir/${base#*@}.rules"
    fi
    if [ -f "$dir/$base.profile" ]; then
        db=${TMPDIR:-/tmp}/dnnf_fusion_$$.profile
        cp "$dir/$base.profile" "$db"
        set -- "$@" --profile-db "$db"
    fi
    out=$("$dnnf" fuse "$@" --plan --steps 2>&1)
    n=$((n + 1))
    if [ "$update" = "--update" ]; then
        printf '%s\n' "$out" > "$exp"
    elif [ "$out" != "$(cat "$exp")" ]; then
        echo "FAIL $base: the plan differs from $exp"
        printf '%s\n' "$out" | diff "$exp" - | sed 's/^/  /'
        fail=$((fail + 1))
    else
        echo "ok   $base"
    fi
    case $(head -c 5 "$exp") in dnnf:) continue ;; esac # an expected error
    if ! "$dnnf" fuse "$@" --check --summary --no-rewrite > /dev/null 2>&1; then
        echo "FAIL $base: block-by-block run"
        "$dnnf" fuse "$@" --check --summary --no-rewrite 2>&1 | sed 's/^/  /'
        fail=$((fail + 1))
    fi
done
rm -f "${TMPDIR:-/tmp}/dnnf_fusion_$$.profile"
echo "$n plans, $fail failures"
[ "$fail" -eq 0 ]
