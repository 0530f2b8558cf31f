/* tests/fuzz/fuzz_base64.c - libFuzzer target: base64.

   The input is decoded as base64 (strict: the standard alphabet, canonical
   padding); a success must encode back to the very same text. Then the input
   as bytes is encoded and decoded: the identity, or __builtin_trap. Buffers
   are heap blocks of exactly the size asked for, so ASan sees a write past
   cap; a cap one byte short must be WXP_E_NOSPACE. */
#define WECHATPAY_IMPLEMENTATION
#include "wechatpay.h"

#include "fuzz.h"

static void decode_then_encode(const uint8_t *data, size_t size)
{
    const char *src = (const char *)data;
    size_t n = 0, n2 = 0, m = 0;
    unsigned char *bin;
    char *txt;
    wxp_err e = wxp_base64_decode(NULL, 0, src, size, &n);
    if (e != WXP_OK) {
        CHECK(e == WXP_E_BASE64);
        bin = (unsigned char *)block(size);
        CHECK(wxp_base64_decode(bin, size, src, size, &n2) == WXP_E_BASE64);
        free(bin);
        return;
    }
    CHECK(n == size / 4 * 3 - (size && src[size - 1] == '=') - (size > 1 && src[size - 2] == '='));
    if (n) {
        bin = (unsigned char *)block(n - 1);
        CHECK(wxp_base64_decode(bin, n - 1, src, size, &n2) == WXP_E_NOSPACE);
        free(bin);
    }
    bin = (unsigned char *)block(n);
    CHECK(wxp_base64_decode(bin, n, src, size, &n2) == WXP_OK && n2 == n);
    /* Canonical: the decoded bytes encode to the input, byte for byte. */
    CHECK(wxp_base64_encode(NULL, 0, bin, n, &m) == WXP_OK && m == size);
    txt = (char *)block(m);
    CHECK(wxp_base64_encode(txt, m, bin, n, &m) == WXP_OK && m == size);
    CHECK(memcmp(txt, src, size) == 0);
    free(txt);
    free(bin);
}

static void encode_then_decode(const uint8_t *data, size_t size)
{
    size_t m = 0, m2 = 0, n = 0;
    char *txt;
    unsigned char *bin;
    CHECK(wxp_base64_encode(NULL, 0, data, size, &m) == WXP_OK && m == WXP_B64_LEN(size));
    if (m) {
        txt = (char *)block(m - 1);
        CHECK(wxp_base64_encode(txt, m - 1, data, size, &m2) == WXP_E_NOSPACE);
        free(txt);
    }
    txt = (char *)block(m + 1);
    CHECK(wxp_base64_encode(txt, m + 1, data, size, &m2) == WXP_OK && m2 == m && txt[m] == 0);
    bin = (unsigned char *)block(size);
    CHECK(wxp_base64_decode(bin, size, txt, m, &n) == WXP_OK && n == size);
    CHECK(size == 0 || memcmp(bin, data, size) == 0);
    free(bin);
    free(txt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    decode_then_encode(data, size);
    encode_then_decode(data, size);
    return 0;
}
