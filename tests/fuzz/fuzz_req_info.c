/* tests/fuzz/fuzz_req_info.c - libFuzzer target: the APIv2 refund callback's
   req_info (base64, AES-256-ECB under the MD5 of the APIv2 key, PKCS#7).

   The first byte picks the mode:
     even  the rest is req_info as received: wxp_v2_decrypt_req_info, then
           wxp_xml_parse of what came out (bit 1: an output buffer one byte
           short of the decoded size, which must be WXP_E_NOSPACE);
     odd   the rest is the inner XML: the target encrypts it as WeChat Pay
           does (a random-looking ciphertext cannot get past the padding and
           text checks, this reaches the parser with any plaintext) and the
           library must give back exactly those bytes when they are text
           (UTF-8 without control bytes other than TAB CR LF), and refuse them
           otherwise; then wxp_xml_parse. Anything else traps. */
#define WECHATPAY_IMPLEMENTATION
#include "wechatpay.h"
#include "examples/test_keys.h"

#include "fuzz.h"

/* Strict UTF-8 without NUL or control bytes other than TAB CR LF: written
   here on its own rather than shared with the library. */
static int is_text(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i], need, k;
        unsigned long cp;
        if (c < 0x80) {
            if (c < 0x20 && c != '\t' && c != '\r' && c != '\n') return 0;
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) { need = 1; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { need = 2; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { need = 3; cp = c & 0x07; }
        else return 0;
        if (n - i <= need) return 0;
        for (k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += need + 1;
    }
    return 1;
}

static void parse_xml(unsigned char *xml, size_t n)
{
    wxp_kv kv[48];
    size_t count = 0;
    wxp_result r;
    wxp_err e = wxp_xml_parse((char *)xml, n, kv, 48, &count, &r);
    CHECK(e == WXP_OK || e == WXP_E_PARSE || e == WXP_E_NOSPACE);
    if (e == WXP_OK) (void)wxp_kv_get(kv, count, "out_refund_no");
}

static wxp_str apiv2_key(void) { return wxp_cstr(WXP_TEST_APIV2_KEY); }

/* req_info from plaintext, as the server makes it. */
static char *encrypt(const uint8_t *plain, size_t n, size_t *b64len)
{
    static const char hex[] = "0123456789abcdef";
    br_md5_context m;
    br_aes_ct64_cbcenc_keys aes;
    unsigned char d[16], key[32], iv[16];
    size_t padded = (n / 16 + 1) * 16, i;
    unsigned char *buf = (unsigned char *)block(padded);
    char *out;
    br_md5_init(&m);
    br_md5_update(&m, WXP_TEST_APIV2_KEY, strlen(WXP_TEST_APIV2_KEY));
    br_md5_out(&m, d);
    for (i = 0; i < 16; i++) { key[2 * i] = (unsigned char)hex[d[i] >> 4]; key[2 * i + 1] = (unsigned char)hex[d[i] & 15]; }
    if (n) memcpy(buf, plain, n);
    memset(buf + n, (int)(padded - n), padded - n);
    br_aes_ct64_cbcenc_init(&aes, key, 32);
    for (i = 0; i < padded; i += 16) {
        memset(iv, 0, sizeof iv);
        br_aes_ct64_cbcenc_run(&aes, iv, buf + i, 16);
    }
    *b64len = WXP_B64_LEN(padded);
    out = (char *)block(*b64len + 1);
    CHECK(wxp_base64_encode(out, *b64len + 1, buf, padded, NULL) == WXP_OK);
    free(buf);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wxp_result r;
    unsigned char *out;
    size_t n = 0, len = 0;
    unsigned mode;
    wxp_err e;
    if (size < 1 || size > 70000) return 0;
    mode = data[0];
    data++;
    size--;
    if (mode & 1) {
        size_t b64len;
        char *req_info = encrypt(data, size, &b64len);
        n = (size / 16 + 1) * 16;
        out = (unsigned char *)block(n);
        e = wxp_v2_decrypt_req_info(apiv2_key(), wxp_cstr(req_info), out, n, &len, &r);
        if (is_text(data, size)) {
            CHECK(e == WXP_OK && len == size && (size == 0 || memcmp(out, data, size) == 0));
            parse_xml(out, len);
        } else {
            CHECK(e == WXP_E_DECRYPT && len == 0);
        }
        free(out);
        free(req_info);
        return 0;
    }
    {
        char *text = dup_exact(data, size);
        if (wxp_base64_decode(NULL, 0, text, size, &n) != WXP_OK) n = size;
        if ((mode & 2) && n > 0) {
            out = (unsigned char *)block(n - 1);
            e = wxp_v2_decrypt_req_info(apiv2_key(), wxp_cstr(NULL), out, 0, &len, &r);
            CHECK(e != WXP_OK);
            e = wxp_v2_decrypt_req_info(apiv2_key(), (wxp_str){ text, size }, out, n - 1, &len, &r);
            CHECK(e != WXP_OK && len == 0);
            free(out);
        }
        out = (unsigned char *)block(n);
        e = wxp_v2_decrypt_req_info(apiv2_key(), (wxp_str){ text, size }, out, n, &len, &r);
        if (e == WXP_OK) {
            CHECK(len <= n && is_text(out, len));
            parse_xml(out, len);
        } else {
            CHECK(len == 0 && (e == WXP_E_BASE64 || e == WXP_E_DECRYPT));
        }
        free(out);
        free(text);
    }
    return 0;
}
