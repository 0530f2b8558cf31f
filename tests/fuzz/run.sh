#!/bin/sh
# tests/fuzz/run.sh TARGET SECONDS OUTDIR [SEED] - one libFuzzer run of
# OUTDIR/fuzz_TARGET (make fuzz runs it for every target); SEED 0 or none is
# libFuzzer's random one. The regression inputs are replayed
# first, then the target fuzzes for SECONDS on a copy of its seed corpus in
# OUTDIR/work/TARGET, so a run never writes into the repository. A crash, a
# leak or a timeout fails the run; the input lands in OUTDIR/artifacts/.
set -eu
t=$1
secs=$2
out=$3
seed=${4:-0}
bin=$out/fuzz_$t
work=$out/work/$t
log=$out/logs/$t.log
mkdir -p "$out/artifacts" "$out/logs"
rm -rf "$work"
mkdir -p "$work"
cp tests/fuzz/corpus/"$t"/* "$work"/
replayed=0
if [ -d tests/fuzz/regressions/"$t" ]; then
    for f in tests/fuzz/regressions/"$t"/*; do
        [ -f "$f" ] || continue
        if ! "$bin" "$f" > "$log" 2>&1; then
            echo "fuzz_$t: regression input $f fails:"
            tail -n 40 "$log"
            exit 1
        fi
        replayed=$((replayed + 1))
    done
fi
[ "$replayed" = 0 ] || echo "fuzz_$t: $replayed regression input(s) replayed, no crash"
if ! "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -seed="$seed" \
        -artifact_prefix="$out/artifacts/$t-" "$work" > "$log" 2>&1; then
    echo "fuzz_$t: FAILED (log: $log)"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)' "$log" || true
    tail -n 40 "$log"
    exit 1
fi
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
cov=$(grep -E '^#[0-9]+.*cov:' "$log" | tail -n 1 | sed -n 's/.*cov: \([0-9]*\).*corp: \([0-9]*\).*/\1 \2/p')
printf 'fuzz_%-9s %10s executions in %4s s  (%s edges, %s corpus inputs)\n' "$t" "$execs" "$secs" \
    "${cov% *}" "${cov#* }" | tee "$out/logs/$t.summary"
