#!/bin/sh
# run_profile.sh DNNF SRCDIR -- the measured profile database.
#
# 1. `dnnf profile` of tests/fusion/profile.graph (one `profile` pair) on
#    the default OpenCL device writes a database that parses, has the
#    device's constants (@device) and measured blocks;
# 2. `dnnf fuse --profile-db` on it settles every profile verdict by a
#    measurement and says so;
# 3. every bad_profiles/NAME.profile is refused with the error its first
#    line gives (`# error: FILE:LINE: message`, FILE standing for its path).
dnnf=$1
src=$2
dir=$src/tests/fusion
db=${TMPDIR:-/tmp}/dnnf_profile_$$.profile
fail=0
trap 'rm -f "$db"' EXIT

if ! out=$("$dnnf" profile "$dir/profile.graph" -o "$db" --runs 3 2>&1); then
    echo "FAIL dnnf profile:"
    printf '%s\n' "$out" | sed 's/^/  /'
    exit 1
fi
printf '%s\n' "$out"
devices=$(grep -c '^@device	' "$db")
entries=$(grep -vc '^[#@]' "$db")
echo "database: $devices device line(s), $entries measured blocks"
if [ "$devices" -ne 1 ] || [ "$entries" -lt 3 ]; then
    echo "FAIL expected one @device line and 3 measured blocks (the fused block and the two apart)"
    fail=$((fail + 1))
fi

fuse=$("$dnnf" fuse "$dir/profile.graph" --profile-db "$db" --summary 2>&1)
line=$(printf '%s\n' "$fuse" | grep '^profile verdicts:')
echo "fuse: $line"
case $line in
"profile verdicts: 0 settled"* | *", "[1-9]*" by the static model") 
    echo "FAIL fuse --profile-db did not settle every verdict by a measurement"
    printf '%s\n' "$fuse" | sed 's/^/  /'
    fail=$((fail + 1)) ;;
"profile verdicts: "[1-9]*" settled by measurements"*) ;;
*)
    echo "FAIL fuse --profile-db printed no profile verdicts line"
    printf '%s\n' "$fuse" | sed 's/^/  /'
    fail=$((fail + 1)) ;;
esac

for bad in "$dir"/bad_profiles/*.profile; do
    want=$(sed -n '1s/^# error: //p' "$bad" | sed "s|FILE|$bad|")
    got=$("$dnnf" fuse "$dir/profile.graph" --profile-db "$bad" --summary 2>&1 >/dev/null)
    rc=$?
    if [ $rc -ne 1 ] || [ "$got" != "dnnf: $want" ]; then
        echo "FAIL $(basename "$bad"): exit $rc"
        echo "  want: dnnf: $want"
        echo "  got:  $got"
        fail=$((fail + 1))
    else
        echo "ok   $(basename "$bad"): $got"
    fi
done
echo "$fail failures"
[ "$fail" -eq 0 ]
