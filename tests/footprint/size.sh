#!/bin/sh
# tests/footprint/size.sh - make size: the library's footprint.
#   1. .text/.data/.bss of the library's own object at -Os: x86-64, i386 and
#      Cortex-M4 (arm-none-eabi-gcc against BearSSL's headers only, compile
#      only, WXP_NO_TIME and WXP_NO_SYSTEM_RANDOM: a board has no time() and
#      no OS entropy). There is no WXP_NO_STDIO: the library never uses stdio.
#   2. sizeof the structs a POS keeps (tests/footprint/sizes.c, read with nm -S).
#   3. stack: the worst library-only call chain from -fstack-usage and
#      -fcallgraph-info, and the measured high-water mark of whole calls
#      (tests/footprint/stack.c, x86-64).
# Run from the repository root. CC (default gcc) and BUILD (default build/size).
set -eu
CC=${CC:-gcc}
B=${BUILD:-build/size}
mkdir -p "$B"
printf '#define WECHATPAY_IMPLEMENTATION\n#include "wechatpay.h"\n' > "$B/impl.c"
W="-std=c99 -Wall -Wextra -Wpedantic -Werror"
ARM="-mcpu=cortex-m4 -mthumb -Os -ffunction-sections -fdata-sections -DWXP_NO_TIME -DWXP_NO_SYSTEM_RANDOM"
# BearSSL's headers only: bearssl.h pulls stddef.h, stdint.h and string.h (newlib's).
ARM_INC="-I. -isystem /usr/include/bearssl"
have() { command -v "$1" > /dev/null 2>&1; }
m32_ok() { printf 'int x;\n' | $CC -m32 -x c -c -o /dev/null - 2> /dev/null; }

# name object size-tool: one row. text counts .rodata (as size(1) does); data
# splits into .data.rel.ro (pointer tables, relocated at load, read-only after)
# and the rest (writable).
row() {
    relro=$($3 -A "$2" | awk '$1 ~ /^\.data\.rel\.ro/ { s += $2 } END { print s + 0 }')
    $3 "$2" | awk -v n="$1" -v r="$relro" 'NR == 2 { printf "  %-46s %8d %8d %6d %6d\n", n, $1, r, $2 - r, $3 }'
}
echo "== library object, bytes (text includes .rodata; rel.ro: .data.rel.ro, pointer tables read-only after load)"
printf '  %-46s %8s %8s %6s %6s\n' "build" "text" "rel.ro" "data" "bss"
# One compile per target: -fstack-usage and -fcallgraph-info (read in section 3)
# leave the object's code and data unchanged, so the su-*.o objects are measured.
SU="-fstack-usage -fcallgraph-info=su"
$CC $W -Os -I. $SU -c "$B/impl.c" -o "$B/su-x86_64.o"
row "x86-64, $CC -Os" "$B/su-x86_64.o" size
if m32_ok; then
    $CC $W -m32 -Os -I. -c "$B/impl.c" -o "$B/i386.o"
    row "i386, $CC -m32 -Os" "$B/i386.o" size
else
    echo "  i386: skipped (no $CC -m32: gcc-multilib)"
fi
if have arm-none-eabi-gcc; then
    arm-none-eabi-gcc $W $ARM $ARM_INC $SU -c "$B/impl.c" -o "$B/su-m4.o"
    row "Cortex-M4, -Os, thumb" "$B/su-m4.o" arm-none-eabi-size
    arm-none-eabi-gcc $W $ARM $ARM_INC -DWXP_NO_V2 -DWXP_NO_ERROR_STRINGS -DWXP_NO_PRECONDITIONS \
        -c "$B/impl.c" -o "$B/m4-min.o"
    row "Cortex-M4, + NO_V2 NO_ERROR_STRINGS NO_PRECOND." "$B/m4-min.o" arm-none-eabi-size
else
    echo "  Cortex-M4: skipped (no arm-none-eabi-gcc: gcc-arm-none-eabi, libnewlib-arm-none-eabi)"
fi

echo "== struct sizes (bytes)"
sizes() { # label compiler flags...
    label=$1; cc=$2; shift 2
    $cc $W "$@" -I. -c tests/footprint/sizes.c -o "$B/sizes-$label.o"
    nm -S "$B/sizes-$label.o" | awk -v l="$label" '$4 ~ /^wxp_footprint_/ {
        n = $4; sub(/^wxp_footprint_/, "", n); print n, l, $2 }'
}
{
    sizes x86-64 "$CC"
    if m32_ok; then sizes i386 "$CC" -m32; fi
    if have arm-none-eabi-gcc; then
        sizes cortex-m4 arm-none-eabi-gcc $ARM $ARM_INC
        sizes m4-rsa2048 arm-none-eabi-gcc $ARM $ARM_INC -DWXP_MAX_RSA_BITS=2048
    fi
} > "$B/sizes.txt"
awk 'function hex(s,  i, v) { v = 0; s = tolower(s)
         for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
         return v }
     { if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 }
       if (!($2 in col)) { col[$2] = 1; cols[++m] = $2 }
       v[$1, $2] = hex($3) }
     END { printf "  %-24s", "struct"; for (j = 1; j <= m; j++) printf " %10s", cols[j]; print ""
           for (i = 1; i <= n; i++) { printf "  %-24s", order[i]
               for (j = 1; j <= m; j++) printf " %10s", ((order[i], cols[j]) in v) ? v[order[i], cols[j]] : "-"
               print "" } }' "$B/sizes.txt"
echo "  (pubkey_slot: one key store slot; io_buf_*: one call's buffer, caller-owned;"
echo "   m4-rsa2048: -DWXP_MAX_RSA_BITS=2048, enough for WeChat Pay's 2048-bit keys)"

ROOTS="wxp_refund_create wxp_refund_query wxp_v2_refund wxp_v2_refundquery wxp_notify_parse"
echo "== stack, static: worst library-only chain (-fstack-usage call graph; BearSSL and callbacks excluded)"
echo " x86-64, $CC -Os:"
awk -v roots="$ROOTS" -f tests/footprint/callgraph.awk "$B/su-x86_64.ci"
if have arm-none-eabi-gcc; then
    echo " Cortex-M4, -Os:"
    awk -v roots="$ROOTS" -f tests/footprint/callgraph.awk "$B/su-m4.ci"
    echo " largest Cortex-M4 frames:"
    sort -t "$(printf '\t')" -k2 -n -r "$B/su-m4.su" | \
        awk -F '\t' 'NR <= 6 { n = $1; sub(/.*:/, "", n); printf "    %-30s %6d bytes (%s)\n", n, $2, $3 }'
fi
echo "== stack, measured: whole calls on a painted stack (x86-64, $CC -Os, BearSSL included)"
$CC $W -Os -I. tests/footprint/stack.c -o "$B/stack" -lbearssl
"$B/stack"
