#!/bin/sh
# tests/m4/run.sh - make m4: the library on a Cortex-M4, run under QEMU.
#   1. BearSSL from Debian's source package (apt-get source; a deb-src entry
#      is added with the Signed-By of the system's deb entry when there is
#      none), cross-built for Cortex-M4 (thumb, -Os, function/data sections)
#      into $B/libbearssl-m4.a. Both are kept in $B: a second run neither
#      downloads nor compiles it again.
#   2. The simulator's answers recorded on the host (record.c -> recorded.h).
#   3. Firmware images linked with newlib nano, run under qemu-system-arm -M
#      mps2-an386 (Cortex-M4) with semihosting and -icount shift=0:
#        refund.elf        the library image: refund + payment callback, replayed
#        refund-small.elf  the same with WXP_NO_V2 WXP_NO_ERROR_STRINGS WXP_NO_PRECONDITIONS
#        refund-one(-small).elf  the same two, library and app in one translation unit
#        pos.elf           a whole APIv2 POS sale, replayed: must end PAID
#        sim.elf           refund, callback and POS sale against the in-process simulator
#        sign-I31/-I15.elf one RSA-2048 signature with each BearSSL engine
#   4. $B/results.json and the same as a table; $B/sections.txt (where the
#      bytes of each image go, from the linker maps).
# Run from the repository root. BUILD (default build) holds $B = $BUILD/m4.
set -eu
B=${BUILD:-build}/m4
mkdir -p "$B"
have() { command -v "$1" > /dev/null 2>&1; }
for t in arm-none-eabi-gcc qemu-system-arm; do
    if ! have $t; then
        echo "m4: SKIPPED, no $t (gcc-arm-none-eabi, libnewlib-arm-none-eabi, qemu-system-arm)"
        exit 0
    fi
done
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# ---- 1. BearSSL for Cortex-M4 ------------------------------------------------
BSRC=$B/bearssl-src
BLIB=$B/libbearssl-m4.a
M4="-mcpu=cortex-m4 -mthumb -Os -ffunction-sections -fdata-sections"

# A deb-src twin of the system's Debian entry, same Signed-By (deb822 or one-line).
add_deb_src() {
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        sed -n '/^Types:/s/.*/Types: deb-src/p; /^\(URIs\|Suites\|Components\|Signed-By\):/p; /^$/p' \
            /etc/apt/sources.list.d/debian.sources > "$B/wechatpay-m4-src.sources"
        $SUDO cp "$B/wechatpay-m4-src.sources" /etc/apt/sources.list.d/wechatpay-m4-src.sources
    else
        sed -n 's/^deb \(.*debian.*\)/deb-src \1/p' /etc/apt/sources.list > "$B/wechatpay-m4-src.list"
        $SUDO cp "$B/wechatpay-m4-src.list" /etc/apt/sources.list.d/wechatpay-m4-src.list
    fi
    $SUDO apt-get update > "$B/apt-update.log" 2>&1 || { cat "$B/apt-update.log"; return 1; }
}

if [ ! -f "$BSRC/inc/bearssl.h" ]; then
    rm -rf "$B/dl" "$BSRC" && mkdir -p "$B/dl"
    if ! (cd "$B/dl" && apt-get source --download-only bearssl > ../apt-source.log 2>&1); then
        echo "m4: no deb-src entry: adding one with the system's Signed-By"
        add_deb_src
        (cd "$B/dl" && apt-get source --download-only bearssl > ../apt-source.log 2>&1) || {
            cat "$B/apt-source.log"; echo "m4: apt-get source bearssl failed"; exit 1; }
    fi
    dpkg-source -x "$B"/dl/bearssl_*.dsc "$BSRC" > "$B/dpkg-source.log" 2>&1 || { cat "$B/dpkg-source.log"; exit 1; }
    echo "m4: BearSSL source $(basename "$B"/dl/bearssl_*.dsc .dsc) in $BSRC"
fi
if [ ! -f "$BLIB" ]; then
    rm -rf "$B/bearssl-obj" && mkdir -p "$B/bearssl-obj"
    # One object per source file (their base names are unique), two compilers at a time.
    find "$BSRC/src" -name '*.c' | sort | xargs -P 2 -I{} sh -c \
        'arm-none-eabi-gcc '"$M4"' -I"$1/inc" -I"$1/src" -c "$2" -o "$3/$(basename "$2" .c).o"' \
        sh "$BSRC" {} "$B/bearssl-obj"
    arm-none-eabi-ar rcs "$BLIB" "$B"/bearssl-obj/*.o
    echo "m4: built $BLIB ($(ls "$B"/bearssl-obj/*.o | wc -l) objects)"
fi

# ---- 2. the simulator's answers -----------------------------------------------
W="-std=c99 -Wall -Wextra -Wpedantic -Werror"
${CC:-cc} $W -O1 -I. -o "$B/record" tests/m4/record.c -lbearssl
"$B/record" "$B/recorded.h"

# ---- 3. images ---------------------------------------------------------------
# No OS: no time(), no OS entropy (the images set config.clock and config.random).
CFL="$W $M4 -DWXP_NO_TIME -DWXP_NO_SYSTEM_RANDOM -I. -Itests/m4 -I$B -isystem $BSRC/inc"
SMALL="-DWXP_NO_V2 -DWXP_NO_ERROR_STRINGS -DWXP_NO_PRECONDITIONS"
LINK="-mcpu=cortex-m4 -mthumb -nostartfiles --specs=nano.specs --specs=nosys.specs -T tests/m4/m4.ld -Wl,--gc-sections"
cc_m4() { out=$1; shift; arm-none-eabi-gcc $CFL "$@" -c -o "$B/$out"; }
link() { elf=$1; shift; arm-none-eabi-gcc $LINK -Wl,-Map="$B/$elf.map" -o "$B/$elf.elf" "$@" "$BLIB"; }

cc_m4 board.o tests/m4/board.c
cc_m4 lib.o tests/m4/lib.c
cc_m4 lib-small.o $SMALL tests/m4/lib.c
cc_m4 refund.o tests/m4/refund.c
cc_m4 refund-small.o $SMALL tests/m4/refund.c
cc_m4 refund-one.o tests/m4/refund_one.c
cc_m4 refund-one-small.o $SMALL tests/m4/refund_one.c
cc_m4 pos.o tests/m4/pos.c
cc_m4 sim.o tests/m4/sim.c
cc_m4 sign-I31.o -DWXP_RSA_I31 tests/m4/sign.c
cc_m4 sign-I15.o -DWXP_RSA_I15 tests/m4/sign.c
link refund "$B/board.o" "$B/refund.o" "$B/lib.o"
link refund-small "$B/board.o" "$B/refund-small.o" "$B/lib-small.o"
link refund-one "$B/board.o" "$B/refund-one.o"
link refund-one-small "$B/board.o" "$B/refund-one-small.o"
link pos "$B/board.o" "$B/pos.o" "$B/lib.o"
link sim "$B/board.o" "$B/sim.o"
link sign-I31 "$B/board.o" "$B/sign-I31.o"
link sign-I15 "$B/board.o" "$B/sign-I15.o"

fail=0
run() { # image: its "M4 key value" lines land in $B/image.out
    if timeout 120 qemu-system-arm -M mps2-an386 -cpu cortex-m4 -nographic -monitor none \
           -semihosting-config enable=on,target=native -icount shift=0 -kernel "$B/$1.elf" \
           > "$B/$1.out" 2>&1 < /dev/null; then
        echo "m4: $1.elf ran, exit 0"
    else
        echo "m4: FAIL: $1.elf"; cat "$B/$1.out"; fail=1
    fi
}
for i in refund refund-small refund-one refund-one-small pos sim sign-I31 sign-I15; do run $i; done
grep -h '^sim:\|^refund\|^callback' "$B/sim.out" "$B/refund.out" | sed 's/^/  /'

# ---- 4. figures --------------------------------------------------------------
get() { awk -v k="$2" '$1 == "M4" && $2 == k { print $3; exit }' "$B/$1.out"; }
insns() { # image key: ticks converted with the image's own calibration loop
    awk -v k="$2" '$1 != "M4" { next } $2 == "calib_insns" { ci = $3 } $2 == "calib_ticks" { ct = $3 }
                   $2 == k { t = $3 } END { if (ct) printf "%.0f\n", t * ci / ct; else print 0 }' "$B/$1.out"
}
part() { # image part column(text 2, data 3, bss 4)
    awk -f tests/m4/sections.awk "$B/$1.map" | awk -v p="$2" -v c="$3" '$1 == p { print $c }'
}
total() { # image: its flash bytes (text column of every part)
    awk -f tests/m4/sections.awk "$B/$1.map" | awk '{ s += $2 } END { print s }'
}
one_tu() { # two-object image, its one-unit twin: the library's bytes in the latter
    echo $(( $(part "$1" library 2) + $(total "$2") - $(total "$1") ))
}
code() { # image: the library's .text alone (no strings, no tables)
    awk -f tests/m4/library.awk "$B/$1.map" | sed -n 's/^library by kind: code \([0-9]*\),.*/\1/p'
}
syms() { # image regex: the matching symbols, as a JSON list
    arm-none-eabi-nm "$B/$1.elf" | awk -v re="$2" '$3 ~ re { printf "%s\"%s\"", n++ ? ", " : "", $3 }
                                                 END { printf "\n" }'
}
for i in refund refund-small pos sim; do
    echo "== $i.elf: bytes by part (text: code, rodata; data; bss)"
    awk -f tests/m4/sections.awk "$B/$i.map"
    case $i in refund*|pos) awk -f tests/m4/library.awk "$B/$i.map";; esac
done > "$B/sections.txt"
HEAP='^(malloc|free|realloc|calloc|_sbrk|_sbrk_r|_malloc_r|_free_r|_realloc_r|_calloc_r)$'
STDIO='^(printf|fprintf|fiprintf|iprintf|sprintf|snprintf|puts|fputs|fwrite|_vfprintf_r|_vfiprintf_r|__assert_func|_printf_i)$'
GCM='^br_(gcm|ghash|aes)_'
V2='^wxp_(v2|_v2|_xml|xml|pos)|^br_md5'
ram=$(( $(part refund library 3) + $(part refund library 4) + $(part refund app 3) + $(part refund app 4) +
        $(part refund board 3) + $(part refund board 4) + $(part refund libc 3) + $(part refund libc 4) ))
cat > "$B/results.json" <<JSON
{
  "library_text_default": $(part refund library 2),
  "library_text_small": $(part refund-small library 2),
  "library_text_pos_sale": $(part pos library 2),
  "library_text_one_unit": $(one_tu refund refund-one),
  "library_text_one_unit_small": $(one_tu refund-small refund-one-small),
  "library_code_default": $(code refund),
  "library_code_small": $(code refund-small),
  "bearssl_text": $(part refund bearssl 2),
  "libc_text": $(part refund libc 2),
  "libgcc_text": $(part refund libgcc 2),
  "ram_static": $ram,
  "peak_stack_v3_call": $(get refund v3_call_stack),
  "peak_stack_callback": $(get refund callback_stack),
  "peak_stack_pos_sale": $(get pos pos_sale_stack),
  "sign_instructions_i31": $(insns sign-I31 sign_ticks),
  "sign_instructions_i15": $(insns sign-I15 sign_ticks),
  "v3_call_instructions": $(insns refund v3_call_ticks),
  "callback_instructions": $(insns refund callback_ticks),
  "pos_sale_instructions": $(insns pos pos_sale_ticks),
  "heap_symbols": [$(syms refund "$HEAP")],
  "heap_symbols_pos_sale": [$(syms pos "$HEAP")],
  "stdio_symbols": [$(syms refund "$STDIO")],
  "stdio_symbols_pos_sale": [$(syms pos "$STDIO")],
  "gcm_symbols_pos_sale": [$(syms pos "$GCM")],
  "v2_symbols": [$(syms refund "$V2")],
  "pos_sale_outcome": "$(get pos pos_sale_outcome)",
  "sim_pos_sale_outcome": "$(get sim sim_pos_sale_outcome)"
}
JSON
# README's table (make m4-readme puts it between the m4 markers of README.md).
val() { sed -n "s/^  \"$1\": \(.*\)$/\1/p" "$B/results.json" | sed 's/,$//'; }
row() { printf '| %s | %s | `%s` |\n' "$2" "$(val "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')" "$1"; }
{
    echo "| figure (Cortex-M4, arm-none-eabi-gcc 12.2 -Os, newlib nano, qemu 7.2 mps2-an386) | value | results.json key |"
    echo "| --- | ---: | --- |"
    row library_text_default "library's own code + rodata, refund + callback image (bytes)"
    row library_text_small "the same, WXP_NO_V2 WXP_NO_ERROR_STRINGS WXP_NO_PRECONDITIONS"
    row library_text_one_unit "the default, library compiled in the app's unit (WECHATPAY_STATIC)"
    row library_text_one_unit_small "the same, with the size options"
    row library_text_pos_sale "library's own code + rodata, APIv2 POS sale image"
    row library_code_default "library's .text alone (no strings or tables), refund + callback image"
    row library_code_small "the same, with the size options"
    row bearssl_text "BearSSL linked into the refund + callback image"
    row libc_text "newlib nano linked into it (memcpy, strlen...)"
    row ram_static "its static RAM: client, key store, I/O buffer, callback buffers"
    row peak_stack_v3_call "peak stack of wxp_refund_create (bytes)"
    row peak_stack_callback "peak stack of wxp_notify_parse + wxp_transaction_notify_decode"
    row peak_stack_pos_sale "peak stack of wxp_pos_sale (micropay, one query)"
    row v3_call_instructions "instructions of wxp_refund_create (sign, verify, JSON)"
    row callback_instructions "instructions of the callback (verify, AES-GCM, decode)"
    row pos_sale_instructions "instructions of the POS sale (HMAC-SHA256, XML)"
    row sign_instructions_i31 "instructions of one RSA-2048 signature, BearSSL i31"
    row sign_instructions_i15 "the same, BearSSL i15"
    row heap_symbols "malloc/free/realloc/calloc/_sbrk in the refund image"
    row stdio_symbols "printf-family and assert symbols in it"
    row pos_sale_outcome "the POS sale's outcome"
} > "$B/footprint.md"

echo "== m4 results ($B/results.json; bytes, instructions under qemu -icount)"
sed -n 's/^  "\([a-z0-9_]*\)": \(.*\),\{0,1\}$/\1 \2/p' "$B/results.json" | sed 's/,$//' |
    awk '{ k = $1; $1 = ""; printf "  %-26s %s\n", k, substr($0, 2) }'
echo "== where the bytes go ($B/sections.txt)"
sed 's/^/  /' "$B/sections.txt"

# Issue 16's targets: those the library meets fail the run when broken, the
# size and stack ones are reported.
for k in heap_symbols heap_symbols_pos_sale stdio_symbols stdio_symbols_pos_sale gcm_symbols_pos_sale v2_symbols; do
    grep -q "^  \"$k\": \[\]" "$B/results.json" || { echo "m4: FAIL: $k is not empty"; fail=1; }
done
target() { # key limit what
    v=$(sed -n "s/^  \"$1\": \([0-9]*\),*$/\1/p" "$B/results.json")
    if [ "$v" -le "$2" ]; then echo "m4: target met: $1 $v <= $2 ($3)"
    else echo "m4: target NOT met: $1 $v > $2 ($3)"; fi
}
target library_text_default 20480 "issue 16: 20 KB"
target library_text_small 16384 "issue 16: 16 KB"
target peak_stack_v3_call 6144 "issue 16: 6 KB"
target peak_stack_callback 6144 "issue 16: 6 KB"
[ "$(get pos pos_sale_outcome)" = PAID ] || { echo "m4: FAIL: the replayed POS sale did not end PAID"; fail=1; }
[ "$(get sim sim_pos_sale_outcome)" = PAID ] || { echo "m4: FAIL: the simulator's POS sale did not end PAID"; fail=1; }
exit $fail
