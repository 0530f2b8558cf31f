# tests/m4/library.awk - the library's bytes in an image, from its GNU ld map:
# by kind (code, strings, tables) and its largest input sections.
function hex(s,  i, v) {
    v = 0; s = tolower(substr(s, 3))
    for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
    return v
}
function add(name, size) {
    kind = name ~ /^\.text/ ? "code" : name ~ /\.str1\./ ? "strings" : "tables"
    bytes[kind] += size
    top[name] = size
}
/^Linker script and memory map/ { m = 1; next }
!m { next }
/^ [^ *]/ && NF == 1 { name = $1; next }
/^ [^ *]/ && NF >= 4 && $4 ~ /\/lib(-small)?\.o$/ { add($1, hex($3)); next }
/^  +0x/ && NF >= 3 && $3 ~ /\/lib(-small)?\.o$/ && name != "" { add(name, hex($2)) }
{ name = "" }
END {
    printf "library by kind: code %d, strings %d, tables (rodata) %d\n", bytes["code"], bytes["strings"], bytes["tables"]
    print "largest library sections:"
    for (i = 0; i < 15; i++) {
        best = ""
        for (n in top) if (best == "" || top[n] > top[best]) best = n
        if (best == "") break
        printf "  %6d %s\n", top[best], best
        delete top[best]
    }
}
