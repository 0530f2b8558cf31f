# tools/api_doc.awk - docs/API.md from the declarations half of wechatpay.h.
#     awk -f tools/api_doc.awk wechatpay.h > docs/API.md      (make api-doc)
# POSIX awk (mawk, gawk, busybox). make test regenerates it into build/ and
# fails on any difference, so the reference cannot drift from the header.
#
# What it reads, in file order, up to the implementation:
#   - the top comment: CONTENTS (a section's title) and the blocks that say how
#     everything is used (MEMORY, SECRETS IN MEMORY, TRANSPORT CONTRACT, HOSTS AND FAILOVER, ERRORS);
#   - `/* ==== >>name ...` section markers;
#   - public declarations: WXP_API prototypes, function-like `#define wxp_x(`
#     macros, typed calls (WXP_CALL, WXP_V2_CALL: their prototype is made here
#     as WXP__C_DECL makes it) and WXP_ENDPOINT (the method and path of the
#     WXP_API function of the same name);
#   - public types (typedef, struct, enum; verbatim), models (WXP_MODEL_REQUEST
#     and WXP_MODEL_RESPONSE: one row per field of their X-macro list);
#   - comments. A comment belongs to the declarations that follow it without
#     a blank line (the header writes one comment over a group of functions);
#     a comment right after a declaration and not followed by one is a note to
#     it; `/* -- ...` comments head a cluster (an endpoint); other comments
#     followed by a blank line are the section's prose.
# Anything private (wxp__, WXP__) is left out.

function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
function squeeze(s) { gsub(/[ \t\n]+/, " ", s); return trim(s) }
function starts_decl(t) {
    return t ~ /^WXP_API[ \t]/ || t ~ /^WXP_(V2_)?CALL\(/ || t ~ /^WXP_ENDPOINT\(/ || t ~ /^#define wxp_[a-z0-9_]*\(/
}
function starts_type(t) {
    return t ~ /^typedef[ \t]/ || t ~ /^enum[ \t]*\{/ || t ~ /^struct [A-Za-z0-9_]+ *\{/ ||
           t ~ /^WXP_MODEL_(REQUEST|RESPONSE)\(/
}
# The text of a comment from line i; sets END to its last line.
function comment_text(i,    s, t, out) {
    out = ""
    for (; i <= N; i++) {
        s = L[i]
        if (out == "") sub(/^[ \t]*\/\*[ ]?/, "", s)
        else sub(/^   /, "", s)
        t = s
        if (index(t, "*/")) {
            sub(/[ \t]*\*\/.*$/, "", t)
            out = out (out == "" ? "" : "\n") t
            LAST = i
            return out
        }
        out = out (out == "" ? "" : "\n") t
    }
    LAST = N
    return out
}
# Lines i.. up to the first line where parentheses balance and `stop` is seen
# (stop "\\": to the last line continued with a backslash). Comments do not
# count; `bare` drops a comment that ends a line (a prototype's own).
function collect(i, stop, bare,    s, code, depth, k, c, out, inc) {
    out = ""; depth = 0; inc = 0
    for (; i <= N; i++) {
        s = L[i]
        if (bare) sub(/[ \t]*\/\*.*\*\/[ \t]*$/, "", s)
        out = out (out == "" ? "" : "\n") s
        if (stop == "\\") { if (s !~ /\\$/) { LAST = i; return out } continue }
        code = s
        if (inc) { if (index(code, "*/")) { sub(/^.*\*\//, "", code); inc = 0 } else code = "" }
        gsub(/\/\*([^*]|\*[^\/])*\*\//, "", code)
        if (index(code, "/*")) { sub(/\/\*.*$/, "", code); inc = 1 }
        for (k = 1; k <= length(code); k++) {
            c = substr(code, k, 1)
            if (c == "(" || c == "{") depth++
            else if (c == ")" || c == "}") depth--
        }
        if (depth <= 0 && (stop == "" || index(code, stop))) { LAST = i; return out }
    }
    LAST = N
    return out
}
function add(kind, a, b, c) {
    NI[SEC]++
    IK[SEC, NI[SEC]] = kind; IA[SEC, NI[SEC]] = a; IB[SEC, NI[SEC]] = b; IC[SEC, NI[SEC]] = c
    return NI[SEC]
}
# A function: a new group unless it continues the one just declared.
function add_decl(name, sig,    g) {
    if (name ~ /^wxp__/) return
    if (PENDING != "" || PREV != "decl") {
        g = add("group", PENDING, "", "")
        PENDING = ""
        GROUP = g
        GSEC = SEC
    }
    NF_[GSEC, GROUP]++
    FN[GSEC, GROUP, NF_[GSEC, GROUP]] = name
    FSIG[GSEC, GROUP, NF_[GSEC, GROUP]] = sig
    NFUNCS++
    FSEC[name] = GSEC
    SECFUNCS[GSEC] = SECFUNCS[GSEC] " " name
    PREV = "decl"
}
function name_of(sig,    s) {
    s = sig
    sub(/\(.*/, "", s)
    sub(/.*[^A-Za-z0-9_]/, "", s)
    return s
}
# Wrap a prototype at its commas to 100 columns, continuations under the "(".
function wrap(sig,    out, line, col, rest, k, piece) {
    if (length(sig) <= 100) return sig
    col = index(sig, "(")
    line = substr(sig, 1, col)
    rest = substr(sig, col + 1)
    out = ""
    while (rest != "") {
        k = index(rest, ", ")
        if (k) { piece = substr(rest, 1, k + 1); rest = substr(rest, k + 2) }
        else { piece = rest; rest = "" }
        if (length(line) + length(piece) > 100 && length(line) > col) {
            sub(/ $/, "", line)
            out = out line "\n"
            line = sprintf("%" col "s", "")
        }
        line = line piece
    }
    sub(/ $/, "", line)
    return out line
}
function anchor(name) { return "<a id=\"" name "\"></a>" }
function fence(lang, text) { return "```" lang "\n" text "\n```\n" }
function split_args(s, A,    n, k, c, depth, cur) {
    n = 0; depth = 0; cur = ""
    for (k = 1; k <= length(s); k++) {
        c = substr(s, k, 1)
        if (c == "(") depth++
        if (c == ")") depth--
        if (c == "," && depth == 0) { A[++n] = trim(cur); cur = ""; continue }
        cur = cur c
    }
    A[++n] = trim(cur)
    return n
}
function cs_name(cs) {
    if (cs == "WXP_CS_ANY" || cs == "0") return ""
    return cs
}
# One model as a table: its fields, their C members, whether required, bounds.
function model_table(T, LIST, kind,    n, k, r, A, out, typ, mem, b, req, hi) {
    n = ROWS[LIST]
    out = "| field | member | required | bounds |\n| --- | --- | --- | --- |\n"
    for (k = 1; k <= n; k++) {
        r = ROW[LIST, k]
        split_args(r, A)          # S, TYPE, name, req, lo, hi, extra
        typ = A[2]; req = A[4] == "1" ? "yes" : ""
        hi = A[6]; if (hi == "WXP__FEN_MAX") hi = "10^11"
        if (typ == "STR") {
            mem = (kind == "REQ" ? "const char *" : "wxp_str ") A[3]
            b = (A[5] == A[6] ? A[5] : A[5] "-" A[6]) (A[7] == "WXP_CS_TEXT" ? " characters" : " bytes")
            if (cs_name(A[7]) != "") b = b ", " A[7]
            if (kind == "RES") b = A[4] == "1" && A[5] == "1" ? "not empty" : ""
        } else if (typ == "INT") {
            mem = "long long " A[3]; b = A[5] "-" hi
        } else if (typ == "BOOL") {
            mem = "int " A[3]; b = "0 or 1"
        } else if (typ == "OBJ") {
            mem = A[7] " " A[3]; b = ""
        } else {
            mem = (kind == "REQ" ? "const " A[7] " *" A[3] "; size_t " A[3] "_count" \
                                 : A[7] " *" A[3] "; size_t " A[3] "_count, " A[3] "_cap")
            b = kind == "REQ" ? A[5] "-" hi " elements" : ""
        }
        out = out "| `" A[3] "` | `" mem "` | " req " | " b " |\n"
    }
    return out
}

{ RAW[NR] = $0 }
END {
    # The declarations half only.
    N = 0
    for (i = 1; i <= NR; i++) {
        if (RAW[i] ~ /^#if defined\(WECHATPAY_IMPLEMENTATION\) && !defined\(WECHATPAY_IMPLEMENTATION_INCLUDED\)/) break
        L[++N] = RAW[i]
    }
    if (N == NR) { print "api_doc.awk: the implementation guard was not found" > "/dev/stderr"; exit 1 }

    # The top comment: the first line names the library, CONTENTS the sections,
    # and the usage blocks are kept whole.
    TITLE = L[1]; sub(/^[^v]*v/, "", TITLE); sub(/ .*/, "", TITLE)
    blk = ""
    for (i = 2; i <= N && L[i] !~ /^\*\//; i++) {
        if (L[i] ~ /^   [A-Z][A-Z ]+[A-Z]( \(.*\))?$/) {
            blk = trim(L[i]); note = ""
            if (index(blk, " (")) { note = substr(blk, index(blk, " (") + 1); blk = substr(blk, 1, index(blk, " (") - 1) }
            BLOCKS[++NB] = blk
            if (note != "") BT[blk] = note
            continue
        }
        if (blk == "") continue
        BT[blk] = BT[blk] (BT[blk] == "" ? "" : "\n") substr(L[i], 8)
        if (blk ~ /^CONTENTS/ && L[i] ~ /^       [a-z]/) {
            # "       base64 json  codecs: ...": names, two spaces, the title
            s = trim(L[i]); k = match(s, /[a-z0-9-]  +/)
            if (!k) { k = index(s, " ") - 1; RLENGTH = 2 } else RLENGTH = RLENGTH
            nm = substr(s, 1, k); d = trim(substr(s, k + RLENGTH))
            n = split(nm, part, " ")
            for (m = 1; m <= n; m++) CONTENTS[part[m]] = d
        }
    }
    TOP = i

    SEC = "basics"; ORDER[++NS] = SEC; SEEN[SEC] = 1
    PENDING = ""; PREV = "blank"
    for (i = TOP + 1; i <= N; i++) {
        t = trim(L[i])
        if (SKIP && t !~ /^\/\* ==== >>/) continue         # an implementation part
        if (t == "") {
            if (PENDING != "") { add("prose", PENDING); PENDING = "" }
            PREV = "blank"; continue
        }
        if (t ~ /^\/\* ==== >>/) {
            s = t; sub(/^\/\* ==== >>/, "", s); sub(/[ (].*/, "", s)
            if (PENDING != "") { add("prose", PENDING); PENDING = "" }
            if (!index(t, "*/")) { txt = comment_text(i); i = LAST; sub(/^[^\n]*\n?/, "", txt) } else txt = ""
            SKIP = t ~ / impl( \*\/)?$/
            if (SKIP) continue
            SEC = s
            if (!SEEN[SEC]) { SEEN[SEC] = 1; ORDER[++NS] = SEC }
            if (txt != "" && t ~ / api$/) add("prose", txt)
            PREV = "blank"; continue
        }
        if (t ~ /^\/\*/) {
            txt = comment_text(i); j = LAST + 1; i = LAST
            while (j <= N && trim(L[j]) ~ /^#(if|endif|else|define WXP_)/ && trim(L[j]) !~ /^#define WXP_[A-Z0-9_]*\(X, S\)/) j++
            nt = trim(L[j])
            if (txt ~ /^-- /) {
                if (PENDING != "") { add("prose", PENDING); PENDING = "" }
                sub(/^-- /, "", txt); add("cluster", txt); PREV = "blank"; continue
            }
            if (PREV == "decl" && PENDING == "" && !starts_decl(nt) && !starts_type(nt)) {
                NOTE[GSEC, GROUP] = NOTE[GSEC, GROUP] (NOTE[GSEC, GROUP] == "" ? "" : "\n") txt
                continue
            }
            PENDING = PENDING (PENDING == "" ? "" : "\n") txt
            PREV = "comment"; continue
        }
        if (t ~ /^#define WXP_[A-Z0-9_]*\(X, S\)/) {
            # An X-macro list: its rows, for the model that names it.
            s = collect(i, "\\"); i = LAST
            LIST = t; sub(/^#define /, "", LIST); sub(/\(.*/, "", LIST)
            ROWS[LIST] = 0
            n = split(s, part, /X\(S, /)
            for (k = 2; k <= n; k++) { r = part[k]; sub(/\)[ \t\\]*(\n.*)?$/, "", r); sub(/\).*/, "", r); ROW[LIST, ++ROWS[LIST]] = "S, " r }
            continue
        }
        if (t ~ /^#define wxp_[a-z0-9_]*\(/) {
            s = collect(i, "\\"); i = LAST
            sig = t; sub(/\).*/, ")", sig)
            add_decl(name_of(sig "x"), sig)
            sub(/^#define /, "", FSIG[GSEC, GROUP, NF_[GSEC, GROUP]])
            FSIG[GSEC, GROUP, NF_[GSEC, GROUP]] = "#define " FSIG[GSEC, GROUP, NF_[GSEC, GROUP]] "   /* a macro */"
            continue
        }
        if (t ~ /^#/) {                                # other preprocessor lines pass through
            while (L[i] ~ /\\$/ && i < N) i++
            continue
        }
        if (t ~ /^WXP_API[ \t]/) {
            s = squeeze(collect(i, ";", 1)); i = LAST
            gsub(/\( /, "(", s); gsub(/ \)/, ")", s)
            sub(/^WXP_API /, "", s)
            add_decl(name_of(s), s)
            continue
        }
        if (t ~ /^WXP_(V2_)?CALL\(/ || t ~ /^WXP_ENDPOINT\(/) {
            s = squeeze(collect(i, "")); i = LAST
            kind = s; sub(/\(.*/, "", kind)
            sub(/^[A-Z0-9_]*\(/, "", s); sub(/\)$/, "", s)
            n = split_args(s, A)
            if (kind == "WXP_V2_CALL") { nm = A[1]; m = "POST"; p = A[2]; Req = A[3]; Out = A[4]; fl = A[6] }
            else { nm = A[1]; m = A[2]; p = A[3]; Req = A[4]; Out = A[5]; fl = A[7] }
            gsub(/"/, "", p)
            EP[nm] = m " " p
            EPF[nm] = (fl ~ /RETRY/ ? "retried with config.retry" : "not retried") (fl ~ /RATED/ ? "; counts against the refund rate budget" : "")
            EPM[nm] = Req " -> " Out
            if (kind != "WXP_ENDPOINT")
                add_decl(nm, "WXP_NODISCARD wxp_err " nm "(wxp_client *c, const " Req " *req, " Out " *out, wxp_result *res);")
            continue                                      # WXP_ENDPOINT: transparent
        }
        if (starts_type(t)) {
            if (t ~ /^WXP_MODEL_/) {
                s = squeeze(collect(i, "")); i = LAST
                kind = s ~ /REQUEST/ ? "REQ" : "RES"
                sub(/^[A-Z_]*\(/, "", s); sub(/\)$/, "", s)
                split_args(s, A)
                MODELK[A[1]] = kind
                add("model", PENDING, A[1], A[2])
                TYPESEC[A[1]] = SEC
            } else {
                s = collect(i, ";"); i = LAST
                nm = squeeze(s); gsub(/\n/, " ", nm)
                if (nm ~ /^typedef/) { x = nm; sub(/[ ]*;[^;]*$/, "", x); sub(/.*[^A-Za-z0-9_]/, "", x); nm = x }
                else if (nm ~ /^struct/) { x = nm; sub(/^struct /, "", x); sub(/[ {].*/, "", x); nm = x }
                else nm = ""
                if (nm !~ /^wxp__/ && s !~ /WXP__[A-Z_]*[ \t]*=/) {
                    add("type", PENDING, s, nm)
                    if (nm != "") TYPESEC[nm] = SEC
                }
            }
            PENDING = ""; PREV = "type"; continue
        }
        # Other code (static data, extern "C" braces): nothing to document.
        if (PENDING != "") { add("prose", PENDING); PENDING = "" }
        PREV = "blank"
    }

    # A guard against a declaration form this script does not know: every
    # `WXP_API ... wxp_name(` anywhere in the declarations must be documented.
    for (i = TOP + 1; i <= N; i++) {
        x = L[i]
        if (!match(x, /WXP_API[^;(]*[^a-z0-9_]wxp_[a-z0-9_]+\(/)) continue
        x = substr(x, RSTART, RLENGTH - 1); sub(/.*[^a-z0-9_]/, "", x)
        if (x !~ /^wxp__/ && !(x in FSEC)) {
            print "api_doc.awk: " FILENAME ":" i ": " x " is declared but was not documented" > "/dev/stderr"
            MISSED++
        }
    }
    if (MISSED) exit 1

    # ---- output ------------------------------------------------------------
    print "# wechatpay.h API reference"
    print ""
    print "Generated by `tools/api_doc.awk` from the comments of `wechatpay.h` " TITLE ". Do not edit: after"
    print "a change to the header run `make api-doc`; `make test` fails while this file is stale."
    print ""
    print "Every public function with its prototype, grouped as the header groups them, with the comment"
    print "written over it (what it reads and writes, what it returns). Typed calls also give the HTTP"
    print "method and path and whether the library retries them. The rules every call shares (who owns"
    print "which memory, how long a returned view lives, the transport's contract, how errors are"
    print "reported) come first, from the header's top comment."
    print ""
    print "## Contents"
    print ""
    print "- [Conventions](#conventions)"
    for (k = 1; k <= NS; k++) {
        sc = ORDER[k]
        if (SECFUNCS[sc] == "" && !HASTYPES(sc)) continue
        n = split(SECFUNCS[sc], F, " ")
        line = "- [" sc "](#section-" sc ")" (CONTENTS[sc] != "" ? ": " CONTENTS[sc] : "")
        print line
        if (n) {
            line = "  "
            for (f = 1; f <= n; f++) line = line (f > 1 ? " · " : "") "[`" F[f] "`](#" F[f] ")"
            print line
        }
    }
    print ""
    print "## Conventions"
    print ""
    for (b = 1; b <= NB; b++) {
        blk = BLOCKS[b]
        if (blk !~ /^(MEMORY|SECRETS IN MEMORY|TRANSPORT CONTRACT|HOSTS AND FAILOVER|ERRORS|ERROR HANDLING IN ONE LINE|NAMES|BUILD OPTIONS)$/) continue
        print "### " substr(blk, 1, 1) tolower(substr(blk, 2))
        print ""
        printf "%s", fence("text", BT[blk])
        print ""
    }
    for (k = 1; k <= NS; k++) {
        sc = ORDER[k]
        if (SECFUNCS[sc] == "" && !HASTYPES(sc)) continue
        print "<a id=\"section-" sc "\"></a>"
        print ""
        print "## " sc (CONTENTS[sc] != "" ? ": " CONTENTS[sc] : "")
        print ""
        for (it = 1; it <= NI[sc]; it++) {
            kd = IK[sc, it]
            if (kd == "prose") { printf "%s\n", fence("text", IA[sc, it]); continue }
            if (kd == "cluster") {
                # The heading: the first sentence, or the first clause of a
                # line the text goes on from; the whole text under it.
                s = IA[sc, it]; first = s; sub(/\n.*/, "", first)
                if (first ~ / and$/ && index(s, "\n")) {      # "POST ... and\n GET ..."
                    x = substr(s, index(s, "\n") + 1); sub(/\n.*/, "", x); first = first " " squeeze(x)
                }
                if (index(first, ". ")) first = substr(first, 1, index(first, ". ") - 1)
                else if (index(s, "\n") && index(first, ", ")) first = substr(first, 1, index(first, ", ") - 1)
                sub(/[.,:;]$/, "", first)
                print "### " first
                print ""
                if (s != first) printf "%s\n", fence("text", s)
                continue
            }
            if (kd == "type") {
                nm = IC[sc, it]
                print "#### " (nm != "" ? "type `" nm "`" : "constants")
                print ""
                printf "%s\n", fence("c", (IA[sc, it] != "" ? "/* " IA[sc, it] " */\n" : "") IB[sc, it])
                continue
            }
            if (kd == "model") {
                T = IB[sc, it]
                print "#### model `" T "` (" (MODELK[T] == "REQ" ? "request: the caller fills it" : "answer: the call fills it") ")"
                print ""
                if (IA[sc, it] != "") printf "%s\n", fence("text", IA[sc, it])
                printf "%s\n", model_table(T, IC[sc, it], MODELK[T])
                continue
            }
            # a group of functions
            n = NF_[sc, it]
            names = ""; sigs = ""; anchors = ""
            for (f = 1; f <= n; f++) {
                nm = FN[sc, it, f]
                names = names (f > 1 ? ", " : "") "`" nm "`"
                anchors = anchors anchor(nm)
                sigs = sigs (f > 1 ? "\n" : "") wrap(FSIG[sc, it, f])
            }
            print anchors
            print "### " names
            print ""
            printf "%s", fence("c", sigs)
            for (f = 1; f <= n; f++) {
                nm = FN[sc, it, f]
                if (EP[nm] != "") print "- `" nm "`: `" EP[nm] "` (" EPM[nm] "; " EPF[nm] ")"
            }
            print ""
            if (IA[sc, it] != "") printf "%s\n", fence("text", IA[sc, it])
            if (NOTE[sc, it] != "") printf "%s\n", fence("text", NOTE[sc, it])
        }
    }
    print "---"
    print ""
    print NFUNCS " public functions and macros."
}
function HASTYPES(sc,    it) {
    for (it = 1; it <= NI[sc]; it++) if (IK[sc, it] == "type" || IK[sc, it] == "model") return 1
    return 0
}
