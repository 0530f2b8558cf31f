/* tests/fuzz/fuzz_json.c - libFuzzer target: the JSON reader.

   The input is JSON text. It is parsed three times (measure, exact token
   array, one token short), every token is read through the public getters,
   every object member is looked up again by its key, and the typed decoders
   (wxp_refund_decode, wxp_refund_notify_decode) run on copies. A document
   the writer can express (int64 numbers, keys without NUL, nesting the writer
   allows) is written back with wxp_jw_* and parsed again: the two token
   streams must agree, or the target traps.

   clang -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_json.c -lbearssl */
#define WECHATPAY_IMPLEMENTATION
#include "wechatpay.h"

#include "fuzz.h"

/* Reads every token through the getters; returns 0 when the writer cannot
   express the document (the round trip is skipped then). */
static int walk(wxp_json *doc, int t, unsigned depth)
{
    int container = doc->tok[t].type == WXP_JSON_OBJECT || doc->tok[t].type == WXP_JSON_ARRAY;
    int expressible = !container || depth < 31; /* the writer nests 31 levels */
    wxp_str v;
    long long i;
    int b;
    switch (doc->tok[t].type) {
    case WXP_JSON_OBJECT:
    case WXP_JSON_ARRAY: {
        size_t n = 0;
        int c;
        for (c = wxp_json_first(doc, t); c >= 0; c = wxp_json_next(doc, t, c)) {
            CHECK(c > t && (size_t)c < doc->count);
            n++;
            if (doc->tok[t].type == WXP_JSON_OBJECT) {
                wxp_str k = wxp_json_key(doc, c);
                char key[64];
                CHECK(doc->tok[c - 1].type == WXP_JSON_STRING);
                if (k.len < sizeof key && !memchr(k.ptr, 0, k.len) && !memchr(k.ptr, '.', k.len)) {
                    int g;
                    memcpy(key, k.ptr, k.len);
                    key[k.len] = 0;
                    /* The first member with this key: the same key, at or before c.
                       An empty key is the object itself (an empty path). */
                    g = wxp_json_get(doc, t, key);
                    if (k.len) {
                        wxp_str gk = wxp_json_key(doc, g);
                        CHECK(g >= 0 && g <= c);
                        CHECK(gk.len == k.len && memcmp(gk.ptr, k.ptr, k.len) == 0);
                    }
                }
                if (memchr(k.ptr, 0, k.len)) expressible = 0;
            } else {
                /* "N" indexes an array. */
                char idx[24];
                size_t l = wxp__itoa(idx, (long long)(n - 1));
                idx[l] = 0;
                CHECK(wxp_json_get(doc, t, idx) == c);
            }
            if (!walk(doc, c, depth + 1)) expressible = 0;
        }
        CHECK(n == wxp_json_count(doc, t));
        CHECK(wxp_json_string(doc, t, &v) == WXP_E_TYPE);
        break;
    }
    case WXP_JSON_STRING:
        CHECK(wxp_json_string(doc, t, &v) == WXP_OK);
        CHECK(v.ptr >= doc->text && v.ptr + v.len <= doc->text + doc->len);
        CHECK(wxp_json_int(doc, t, &i) == WXP_E_TYPE);
        break;
    case WXP_JSON_NUMBER: {
        wxp_err e = wxp_json_int(doc, t, &i);
        CHECK(e == WXP_OK || e == WXP_E_RANGE);
        if (e) expressible = 0;
        CHECK(wxp_json_bool(doc, t, &b) == WXP_E_TYPE);
        break;
    }
    case WXP_JSON_TRUE:
    case WXP_JSON_FALSE:
        CHECK(wxp_json_bool(doc, t, &b) == WXP_OK && b == (doc->tok[t].type == WXP_JSON_TRUE));
        break;
    case WXP_JSON_NULL:
        CHECK(wxp_json_bool(doc, t, &b) == WXP_E_TYPE);
        break;
    default:
        CHECK(0);
    }
    v = wxp_json_text(doc, t);
    CHECK(v.len <= doc->len);
    return expressible;
}

static void write_back(wxp_json_writer *w, wxp_json *doc, int t)
{
    int c;
    long long i;
    switch (doc->tok[t].type) {
    case WXP_JSON_OBJECT:
        wxp_jw_object_begin(w);
        for (c = wxp_json_first(doc, t); c >= 0; c = wxp_json_next(doc, t, c)) {
            wxp_str k = wxp_json_key(doc, c);
            char *key = dup_exact((const uint8_t *)k.ptr, k.len + 1);
            key[k.len] = 0;
            wxp_jw_key(w, key);
            free(key);
            write_back(w, doc, c);
        }
        wxp_jw_object_end(w);
        break;
    case WXP_JSON_ARRAY:
        wxp_jw_array_begin(w);
        for (c = wxp_json_first(doc, t); c >= 0; c = wxp_json_next(doc, t, c)) write_back(w, doc, c);
        wxp_jw_array_end(w);
        break;
    case WXP_JSON_STRING: wxp_jw_string(w, wxp_json_text(doc, t)); break;
    case WXP_JSON_NUMBER: CHECK(wxp_json_int(doc, t, &i) == WXP_OK); wxp_jw_int(w, i); break;
    case WXP_JSON_TRUE: wxp_jw_bool(w, 1); break;
    case WXP_JSON_FALSE: wxp_jw_bool(w, 0); break;
    default: wxp_jw_null(w); break;
    }
}

/* The written document parses to the same tokens. */
static void round_trip(wxp_json *doc)
{
    wxp_json_writer w;
    wxp_json again;
    wxp_json_tok *tok;
    wxp_result r;
    size_t len = 0, len2 = 0, i;
    char *out;
    wxp_jw_init(&w, NULL, 0);
    write_back(&w, doc, 0);
    CHECK(wxp_jw_finish(&w, &len, &r) == WXP_OK);
    out = (char *)malloc(len + 1);
    CHECK(out != NULL);
    wxp_jw_init(&w, out, len + 1);
    write_back(&w, doc, 0);
    CHECK(wxp_jw_finish(&w, &len2, &r) == WXP_OK && len2 == len && out[len] == 0);
    tok = (wxp_json_tok *)malloc(doc->count * sizeof *tok);
    CHECK(tok != NULL);
    CHECK(wxp_json_parse(&again, out, len, tok, doc->count, &r) == WXP_OK);
    CHECK(again.count == doc->count);
    for (i = 0; i < doc->count; i++) {
        wxp_str a, b;
        CHECK(again.tok[i].type == doc->tok[i].type && again.tok[i].next == doc->tok[i].next);
        if (doc->tok[i].type != WXP_JSON_STRING && doc->tok[i].type != WXP_JSON_NUMBER) continue;
        a = wxp_json_text(doc, (int)i);
        b = wxp_json_text(&again, (int)i);
        if (doc->tok[i].type == WXP_JSON_NUMBER) {
            long long x, y;
            CHECK(wxp_json_int(doc, (int)i, &x) == WXP_OK && wxp_json_int(&again, (int)i, &y) == WXP_OK);
            CHECK(x == y);
        } else {
            CHECK(a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0);
        }
    }
    free(tok);
    free(out);
}

static void typed(const uint8_t *data, size_t size)
{
    refund_room room;
    wxp_refund out;
    wxp_result r;
    wxp_notification n;
    wxp_refund_notify rn;
    char *copy;

    refund_out(&out, &room);
    copy = dup_exact(data, size);
    if (wxp_refund_decode(copy, size, &out, &r) == WXP_OK) {
        CHECK(out.amount.from_count <= 3 && out.promotion_detail_count <= 2);
        CHECK(out.refund_id.len && out.out_refund_no.len && out.status.len);
    } else {
        CHECK(r.field[0] != 0);
    }
    free(copy);

    copy = dup_exact(data, size);
    memset(&n, 0, sizeof n);
    n.plaintext.ptr = copy;
    n.plaintext.len = size;
    if (wxp_refund_notify_decode(&n, &rn, &r) == WXP_OK)
        CHECK(rn.out_refund_no.len && rn.refund_id.len);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wxp_json doc, small;
    wxp_json_tok *tok;
    wxp_result r;
    char *text;
    size_t count;
    wxp_err e;

    if (size > 65536) return 0;
    text = dup_exact(data, size);
    e = wxp_json_parse(&doc, text, size, NULL, 0, &r);
    if (e != WXP_OK) {
        CHECK(e == WXP_E_PARSE && r.offset <= size && doc.count == 0);
        free(text);
        typed(data, size);
        return 0;
    }
    count = doc.count;
    CHECK(count >= 1 && count <= size);
    /* One token short: WXP_E_NOSPACE naming the count, an empty doc. */
    tok = (wxp_json_tok *)malloc(count * sizeof *tok);
    CHECK(tok != NULL);
    CHECK(wxp_json_parse(&small, text, size, tok, count - 1, &r) == WXP_E_NOSPACE);
    CHECK(r.needed == count && small.count == 0 && wxp_json_first(&small, 0) == -1);
    /* Exactly enough. */
    CHECK(wxp_json_parse(&doc, text, size, tok, count, &r) == WXP_OK && doc.count == count);
    CHECK(doc.tok[0].next == count);
    if (walk(&doc, 0, 0)) round_trip(&doc);
    free(tok);
    free(text);
    typed(data, size);
    return 0;
}
