# tests/m4/sections.awk - where an image's bytes go, from its GNU ld map
# (-Wl,-Map): every input section kept, by the part of the build it came
# from and the output section it went to. Prints "part text data bss" rows.
# text counts .text, .rodata and .ARM.exidx (flash); data .data (flash and
# RAM); bss .bss and COMMON (RAM); the stack reservation is not counted.
function part(f) {
    if (f ~ /\/lib\.o$|\/lib-small\.o$/) return "library"
    if (f ~ /libbearssl/) return "bearssl"
    if (f ~ /libc(_nano)?\.a|libnosys\.a|libg(_nano)?\.a/) return "libc"
    if (f ~ /libgcc\.a/) return "libgcc"
    if (f ~ /\/board\.o$/) return "board"
    return "app"
}
function hex(s,  i, v) {
    v = 0; s = tolower(substr(s, 3))
    for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
    return v
}
function add(f, size) {
    if (out == "") return
    p = part(f)
    seen[p] = 1
    sum[p, out] += hex(size)
}
/^Linker script and memory map/ { m = 1; next }
!m { next }
/^\.(text|ARM\.exidx)/ { out = "text"; next }
/^\.data/ { out = "data"; next }
/^\.bss/ { out = "bss"; next }
/^[^ ]/ { out = ""; next }
# " .text.name 0xaddr 0xsize file", or the name alone and the rest on the next line
/^ [^ *]/ && NF == 1 { pending = 1; next }
/^ [^ *]/ && NF >= 4 && $2 ~ /^0x/ && $3 ~ /^0x/ { add($4, $3); pending = 0; next }
/^  +0x/ && pending && NF >= 3 && $2 ~ /^0x/ { add($3, $2); pending = 0; next }
{ pending = 0 }
END {
    n = split("library bearssl libc libgcc board app", order, " ")
    for (i = 1; i <= n; i++) {
        p = order[i]
        printf "%s %d %d %d\n", p, sum[p, "text"], sum[p, "data"], sum[p, "bss"]
    }
}
