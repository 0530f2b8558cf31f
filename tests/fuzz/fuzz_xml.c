/* tests/fuzz/fuzz_xml.c - libFuzzer target: the APIv2 XML reader.

   The input is an XML answer. It is parsed with too little room, measured
   and parsed with exactly enough; wxp_kv_get finds each key; the APIv2 sign
   and verify run over the fields. When the writer can express the fields
   ([A-Za-z0-9_] keys) they are written back with wxp_xml_write and parsed
   again: the same keys and values in the same order, or the target traps. */
#define WECHATPAY_IMPLEMENTATION
#include "wechatpay.h"

#include "fuzz.h"

#define MAX_KV 64

static int same(wxp_str a, wxp_str b) { return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0); }

static void round_trip(const wxp_kv *kv, size_t n)
{
    wxp_kv again[MAX_KV];
    wxp_result r;
    size_t len = 0, len2 = 0, count = 0, i;
    char *out;
    wxp_err e = wxp_xml_write(NULL, 0, kv, n, &len, &r);
    if (e == WXP_E_ARG) return; /* a key outside [A-Za-z0-9_] */
    CHECK(e == WXP_OK);
    out = (char *)malloc(len + 1);
    CHECK(out != NULL);
    /* One byte short of the NUL: WXP_E_NOSPACE, nothing written past cap. */
    CHECK(wxp_xml_write(out, len, kv, n, &len2, &r) == WXP_E_NOSPACE);
    CHECK(wxp_xml_write(out, len + 1, kv, n, &len2, &r) == WXP_OK && len2 == len && out[len] == 0);
    CHECK(wxp_xml_parse(out, len, again, MAX_KV, &count, &r) == WXP_OK);
    CHECK(count == n);
    for (i = 0; i < n; i++) CHECK(same(kv[i].key, again[i].key) && same(kv[i].value, again[i].value));
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wxp_kv kv[MAX_KV];
    wxp_result r;
    size_t count = 0, c2 = 0, i;
    char sign[65];
    char *text;
    wxp_err e;

    if (size > WXP_XML_MAX_BYTES + 1) return 0;
    /* Measure (no room at all). */
    text = dup_exact(data, size);
    e = wxp_xml_parse(text, size, NULL, 0, &count, &r);
    free(text);
    if (e == WXP_E_PARSE) {
        CHECK(r.offset <= size && r.message[0]);
        return 0;
    }
    if (count == 0) {
        CHECK(e == WXP_OK);
    } else {
        CHECK(e == WXP_E_NOSPACE && r.needed == count);
    }
    if (count > MAX_KV) return 0;
    /* One short, then exactly enough. */
    if (count) {
        text = dup_exact(data, size);
        CHECK(wxp_xml_parse(text, size, kv, count - 1, &c2, &r) == WXP_E_NOSPACE && c2 == count);
        free(text);
    }
    text = dup_exact(data, size);
    CHECK(wxp_xml_parse(text, size, kv, count, &c2, &r) == WXP_OK && c2 == count);
    for (i = 0; i < count; i++) {
        char key[80];
        const wxp_str *v;
        CHECK(kv[i].key.ptr >= text && kv[i].key.ptr + kv[i].key.len <= text + size);
        CHECK(kv[i].value.ptr >= text && kv[i].value.ptr + kv[i].value.len <= text + size);
        CHECK(kv[i].key.len > 0);
        if (kv[i].key.len >= sizeof key) continue;
        memcpy(key, kv[i].key.ptr, kv[i].key.len);
        key[kv[i].key.len] = 0;
        v = wxp_kv_get(kv, count, key);
        CHECK(v != NULL && v <= &kv[i].value);
    }
    /* Sign and verify over whatever arrived: never a crash, duplicates refused. */
    if (wxp_v2_sign(kv, count, wxp_cstr("192006250b4c09247ec02edce69f6a2d"), WXP_V2_MD5, sign, &r) == WXP_OK)
        CHECK(strlen(sign) == 32);
    (void)wxp_v2_verify(kv, count, wxp_cstr("192006250b4c09247ec02edce69f6a2d"), WXP_V2_HMAC_SHA256, &r);
    round_trip(kv, count);
    free(text);
    return 0;
}
