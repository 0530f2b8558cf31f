# tests/footprint/callgraph.awk - the deepest stack path below each root in a
# gcc -fcallgraph-info=su graph (VCG): every function's own frame (from
# -fstack-usage) summed along the worst call chain. Calls through pointers
# (the signer, the verifier, the transport, the clock) and into BearSSL or
# libc are not in the graph and count 0: the measured figure has them.
# awk -v roots="wxp_refund_create wxp_v2_refund" -f callgraph.awk lib.ci
/^node:/ {
    t = $0; sub(/.*title: "/, "", t); sub(/".*/, "", t)
    if (match($0, /\\n[0-9]+ bytes/)) {
        s = substr($0, RSTART + 2, RLENGTH - 2); sub(/ bytes/, "", s); frame[t] = s + 0
    }
    name = t; sub(/.*:/, "", name); title[name] = t
}
/^edge:/ {
    s = $0; sub(/.*sourcename: "/, "", s); sub(/".*/, "", s)
    d = $0; sub(/.*targetname: "/, "", d); sub(/".*/, "", d)
    if (!((s, d) in seen)) { seen[s, d] = 1; n[s]++; adj[s, n[s]] = d }
}
function worst(f,    i, w, best) {
    if (f in memo) return memo[f]
    if (f in onpath) { cyc = 1; return 0 }
    onpath[f] = 1; best = 0; nxt[f] = ""
    for (i = 1; i <= n[f]; i++) {
        w = worst(adj[f, i])
        if (w > best) { best = w; nxt[f] = adj[f, i] }
    }
    delete onpath[f]
    memo[f] = frame[f] + best
    return memo[f]
}
function short(f) { sub(/.*:/, "", f); return f }
END {
    k = split(roots, r, " ")
    for (i = 1; i <= k; i++) {
        if (!(r[i] in title)) { printf "  %-26s (not in this build)\n", r[i]; continue }
        f = title[r[i]]; total = worst(f); path = ""
        for (g = f; g != ""; g = nxt[g]) if (frame[g] > 0) path = path (path == "" ? "" : " > ") short(g) " " frame[g]
        printf "  %-26s %6d bytes  %s\n", r[i], total, path
    }
    if (cyc) print "  (recursion in the graph: a recursive call counts once)"
}
