#!/bin/sh
# tests/readme_check.sh - every ```c block of README.md, built as written, so
# that the docs cannot rot. Run from the repository root (make test runs it;
# CC, BUILD, CURL_CFLAGS and CURL_LIBS honoured):
#     sh tests/readme_check.sh [README.md]
# A block is one of three kinds, and one that is none of them fails:
#   - a program: it has `int main(`. It is built with -std=c99 -Wall -Wextra
#     -Wpedantic -Werror and run from the repository root; it must exit 0. A
#     line `<!-- expect: TEXT -->` before it: its output must be that line.
#   - `<!-- fragment -->` before it: statements, compiled as the body of a
#     function after tests/readme/harness.h (which gives c, cfg, r and the
#     application's own functions the fragments call).
#   - `<!-- unit -->` before it: a translation unit of its own, compiled (-c)
#     with the headers laid out as `make install` lays them (<wechatpay.h>,
#     <wechatpay/...>) as well as from this tree.
# Errors point at README.md's lines (#line). Then every call README writes
# with its arguments, `wxp_x(a, b)`, must take as many as the header's
# prototype (tools/call_shapes.awk). Prints one line per check and
# `N passed, M failed`; exits 1 if any failed.
set -u
README=${1:-README.md}
CC=${CC:-cc}
BUILD=${BUILD:-build}
CURL_CFLAGS=${CURL_CFLAGS-$(pkg-config --cflags libcurl 2>/dev/null)}
CURL_LIBS=${CURL_LIBS-$(pkg-config --libs libcurl 2>/dev/null || echo -lcurl)}
OUT=$BUILD/readme
WARN="-std=c99 -Wall -Wextra -Wpedantic -Werror"
rm -rf "$OUT"
mkdir -p "$OUT/inc/wechatpay"
cp wechatpay.h "$OUT/inc/"
cp transports/wechatpay_*.h crypto/wechatpay_*.h "$OUT/inc/wechatpay/"

# Split the README: $OUT/block_LINE.c for each ```c block (LINE: its first
# line of code), and $OUT/blocks: LINE KIND SLUG EXPECT, one per block.
awk -v out="$OUT" '
    function slug(s) { s = tolower(s); gsub(/[^a-z0-9]+/, "-", s); gsub(/^-|-$/, "", s); return s }
    /^#+ / { h = $0; sub(/^#+ /, "", h) }
    /^<!-- fragment -->$/ { kind = "fragment"; next }
    /^<!-- unit -->$/ { kind = "unit"; next }
    /^<!-- expect: .* -->$/ { expect = $0; sub(/^<!-- expect: /, "", expect); sub(/ -->$/, "", expect); next }
    !inb && /^```c[ \t]*$/ { inb = 1; first = NR + 1; f = out "/block_" first ".c"; printf "" > f; main = 0; next }
    inb && /^```/ {
        inb = 0; close(f)
        k = main ? "program" : (kind != "" ? kind : "none")
        print first, k, slug(h), (expect == "" ? "-" : expect) > (out "/blocks")
        kind = ""; expect = ""; next
    }
    inb { print > f; if ($0 ~ /int main\(/) main = 1; next }
    /^[ \t]*$/ { next }
    { kind = ""; expect = "" }   # a marker stands right before its block
' "$README"

pass=0
failed=0
LOG=$OUT/log
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { failed=$((failed + 1)); echo "FAIL - $1"; sed 's/^/       /' "$LOG" | tail -n 30; }

while read -r line kind slug expect; do
    src=$OUT/block_$line.c
    name="$README:$line ($kind, $slug)"
    libs=
    if grep -q 'wechatpay_curl\.h' "$src"; then libs="$CURL_LIBS"; fi
    case $kind in
    program)
        exe=$OUT/$slug
        { printf '#line %s "%s"\n' "$line" "$README"; cat "$src"; } > "$exe.c"
        # shellcheck disable=SC2086
        if ! $CC $WARN -I. $CURL_CFLAGS -o "$exe" "$exe.c" -lbearssl $libs > "$LOG" 2>&1; then
            bad "$name: does not build"; continue
        fi
        if ! "$exe" > "$LOG" 2>&1; then bad "$name: exits $?"; continue; fi
        if [ "$expect" != "-" ] && [ "$(cat "$LOG")" != "$expect" ]; then
            echo "       expected the output: $expect" >> "$LOG"; bad "$name: prints something else"; continue
        fi
        if [ "$expect" = "-" ]; then ok "$name: builds and runs"; else ok "$name: builds, runs, prints $expect"; fi ;;
    fragment)
        { echo '#include "tests/readme/harness.h"'
          echo 'void readme_fragment(void);'
          echo 'void readme_fragment(void)'
          echo '{'
          printf '#line %s "%s"\n' "$line" "$README"
          cat "$src"
          echo 'readme_harness_use();'
          echo '}'; } > "$OUT/fragment_$line.c"
        # shellcheck disable=SC2086
        if $CC $WARN -Wno-unused-variable -Wno-unused-but-set-variable -I. -c -o "$OUT/fragment_$line.o" \
               "$OUT/fragment_$line.c" > "$LOG" 2>&1; then
            ok "$name: compiles"
        else bad "$name: does not compile"; fi ;;
    unit)
        { printf '#line %s "%s"\n' "$line" "$README"; cat "$src"; } > "$OUT/unit_$line.c"
        # shellcheck disable=SC2086
        if $CC $WARN -I"$OUT/inc" -I. $CURL_CFLAGS -c -o "$OUT/unit_$line.o" "$OUT/unit_$line.c" > "$LOG" 2>&1; then
            ok "$name: compiles"
        else bad "$name: does not compile"; fi ;;
    *)
        : > "$LOG"
        bad "$name: neither a program (int main) nor marked <!-- fragment --> or <!-- unit -->" ;;
    esac
done < "$OUT/blocks"

awk -f tools/api_doc.awk wechatpay.h > "$OUT/API.md"
if awk -f tools/call_shapes.awk "$OUT/API.md" transports/*.h "$README" > "$LOG" 2>&1; then
    ok "$README: $(tail -n 1 "$LOG") (arguments as the header's prototypes)"
else bad "$README: calls whose arguments are not the header's"; fi

echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
