# tools/call_shapes.awk - README's call shapes against the header's prototypes.
#     awk -f tools/call_shapes.awk API.md transports/*.h README.md
# The first file is docs/API.md as tools/api_doc.awk makes it: every prototype
# (and function-like macro) with its parameters. The .h files name the
# transports' functions (known, their arguments not counted). In the last, every
# `wxp_name(a, b, ...)` written with arguments must give as many as the
# prototype takes: a reader copies these shapes. Prints one line per mismatch
# ("README.md:LINE: wxp_x(...) gives 3 arguments, the header takes 4") and the
# number of calls checked; exits 1 on any mismatch or unknown function.
function nargs(s,    k, c, depth, n) {
    if (s ~ /^[ \t]*(void)?[ \t]*$/) return 0
    n = 1; depth = 0
    for (k = 1; k <= length(s); k++) {
        c = substr(s, k, 1)
        if (c == "(" || c == "[" || c == "{") depth++
        else if (c == ")" || c == "]" || c == "}") depth--
        else if (c == "," && depth == 0) n++
    }
    return n
}
FNR == 1 { file++ }
file == 1 && inc && /^```$/ { inc = 0; group = 0; next }
file == 1 && inc {
    proto = proto " " $0
    if (proto ~ /\)( *\/\*.*\*\/)? *;? *$/) {
        s = proto; sub(/^[^(]*\(/, "", s); sub(/\)[^)]*$/, "", s)
        nm = proto; sub(/\(.*/, "", nm); sub(/.*[^A-Za-z0-9_]/, "", nm)
        TAKES[nm] = nargs(s)
        proto = ""
    }
    next
}
file == 1 && /^### `/ { group = 1; next }
file == 1 && /^#/ { group = 0; next }
file == 1 && group && /^```c$/ { inc = 1; proto = ""; next }
file == 1 { next }
FILENAME ~ /\.h$/ {
    if (match($0, /^WXP_[A-Z_]*API[ \t].*wxp_[a-z0-9_]+\(/)) {
        nm = substr($0, RSTART, RLENGTH - 1); sub(/.*[^a-z0-9_]/, "", nm); KNOWN[nm] = 1
    }
    next
}
{
    line = $0
    while (match(line, /wxp_[a-z0-9_]+\(([^()]|\([^()]*\))*\)/)) {
        call = substr(line, RSTART, RLENGTH); line = substr(line, RSTART + RLENGTH)
        nm = call; sub(/\(.*/, "", nm)
        a = call; sub(/^[^(]*\(/, "", a); sub(/\)$/, "", a)
        if (a ~ /^[ \t]*$/) continue                     # wxp_x(): a name, not a shape
        if (!(nm in TAKES)) {
            if (nm in KNOWN) continue                      # a transport's: named, not counted
            print FILENAME ":" FNR ": " nm " is not a public function of wechatpay.h or a transport"; bad++; continue
        }
        checked++
        if (nargs(a) != TAKES[nm]) {
            print FILENAME ":" FNR ": " call " gives " nargs(a) " arguments, the header's " nm " takes " TAKES[nm]
            bad++
        }
    }
}
END {
    print checked + 0 " calls checked, " bad + 0 " wrong"
    exit bad > 0
}
