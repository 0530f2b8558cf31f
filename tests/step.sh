#!/bin/sh
# tests/step.sh LOG CMD...: one step of make test. Runs CMD with its output
# shown and kept in LOG as well, and notes CMD in LOG.programs when it passed:
# tests/summary.sh LOG counts from both. Exits as CMD does.
log=$1
shift
{ "$@" 2>&1; echo $? > "$log.rc"; } | tee -a "$log"
rc=$(cat "$log.rc")
if [ "$rc" -eq 0 ]; then echo "$*" >> "$log.programs"; fi
exit "$rc"
