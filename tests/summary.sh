#!/bin/sh
# tests/summary.sh LOG: make test's last line, counted from what its steps
# printed (tests/step.sh): the programs that ran and passed, the cmocka tests
# they passed ("[  PASSED  ] N test(s)."), and the checks of the shell
# scripts ("N passed, 0 failed"). Fails if the log shows any failure at all.
log=$1
if [ ! -s "$log.programs" ]; then echo "make test: no test ran"; exit 1; fi
if grep -q '^\[  FAILED  \]' "$log" || grep -Eq '^[0-9]+ passed, [1-9][0-9]* failed$' "$log"; then
    echo "make test: a failure is in $log"; exit 1
fi
programs=$(wc -l < "$log.programs")
cmocka=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test(s)\.$/\1/p' "$log" | awk '{ s += $1 } END { print s + 0 }')
checks=$(sed -n 's/^\([0-9][0-9]*\) passed, 0 failed$/\1/p' "$log" | awk '{ s += $1 } END { print s + 0 }')
echo "make test: $((programs)) programs, $cmocka cmocka tests and $checks scripted checks passed"
