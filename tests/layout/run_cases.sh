#!/bin/sh
# run_cases.sh DNNF SRCDIR [--update] -- the layout pass's cases as data.
#
# For every tests/layout/NAME.graph, the canonical listing
#     dnnf layout NAME.graph --plan [ARGS] --check
# (ARGS from a first line `# args: ...`) must equal NAME.expect: the fate
# of every data-movement node (and why it survived), every composed read
# and write in the debug form of docs/index-maps.md with its div/mod
# count, the chosen layouts and the image2d/buffer decisions.  --check
# also runs every composed map against the reference operators on iota
# tensors.  To accept a deliberate change:  sh run_cases.sh DNNF SRCDIR --update
dnnf=$1
src=$2
update=$3
dir=$src/tests/layout
fail=0
n=0
for g in "$dir"/*.graph; do
    base=$(basename "$g" .graph)
    exp=$dir/$base.expect
    args=$(sed -n '1s/^# args: //p' "$g")
    # shellcheck disable=SC2086
    out=$("$dnnf" layout "$g" --plan $args --check 2>&1)
    n=$((n + 1))
    if [ "$update" = "--update" ]; then
        printf '%s\n' "$out" > "$exp"
    elif [ ! -f "$exp" ] || [ "$out" != "$(cat "$exp")" ]; then
        echo "FAIL $base: the listing differs from $exp"
        printf '%s\n' "$out" | diff "$exp" - | sed 's/^/  /'
        fail=$((fail + 1))
    else
        echo "ok   $base"
    fi
done
echo "$n cases, $fail failed"
[ "$fail" -eq 0 ]
