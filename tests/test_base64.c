/* Tests of the base64 section: RFC 4648 vectors, round trips, strict decoding,
   measuring and buffer limits. */
#include "tests.h"
#include <stdio.h>
#include <string.h>

#define GUARD 0xA5

typedef struct b64_vec { const char *plain, *b64; } b64_vec;

/* RFC 4648, section 10. */
static const b64_vec rfc4648[] = {
    { "", "" },
    { "f", "Zg==" },
    { "fo", "Zm8=" },
    { "foo", "Zm9v" },
    { "foob", "Zm9vYg==" },
    { "fooba", "Zm9vYmE=" },
    { "foobar", "Zm9vYmFy" },
};
#define NVEC (sizeof rfc4648 / sizeof rfc4648[0])

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* An independent encoder (bit accumulator) to check the library against. */
static size_t ref_encode(char *out, const unsigned char *in, size_t n)
{
    unsigned long acc = 0;
    int bits = 0;
    size_t i, o = 0;
    for (i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = alphabet[(acc >> bits) & 63];
        }
    }
    if (bits) out[o++] = alphabet[(acc << (6 - bits)) & 63];
    while (o % 4) out[o++] = '=';
    return o;
}

static wxp_err decode_str(const char *b64, unsigned char *out, size_t cap, size_t *len)
{
    return wxp_base64_decode(out, cap, b64, strlen(b64), len);
}

static void base64_rfc4648_encode(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < NVEC; i++) {
        char out[32];
        size_t len = 99;
        size_t n = strlen(rfc4648[i].plain);
        memset(out, GUARD, sizeof out);
        assert_int_equal(wxp_base64_encode(out, sizeof out, rfc4648[i].plain, n, &len), WXP_OK);
        assert_int_equal(len, strlen(rfc4648[i].b64));
        assert_int_equal(len, WXP_B64_LEN(n));
        assert_memory_equal(out, rfc4648[i].b64, len);
        assert_int_equal(out[len], 0); /* NUL-terminated when room allows */
    }
}

static void base64_rfc4648_decode(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < NVEC; i++) {
        unsigned char out[16];
        size_t len = 99, n = strlen(rfc4648[i].plain);
        memset(out, GUARD, sizeof out);
        assert_int_equal(decode_str(rfc4648[i].b64, out, sizeof out, &len), WXP_OK);
        assert_int_equal(len, n);
        assert_memory_equal(out, rfc4648[i].plain, n);
        assert_int_equal(out[n], GUARD); /* decode writes no terminator */
    }
}

/* Every length 0..70, each at 256 starting byte values so that every byte value
   appears in every position modulo 3. */
static void base64_roundtrip_all_lengths_and_bytes(void **state)
{
    size_t n, i;
    unsigned s;
    (void)state;
    for (n = 0; n <= 70; n++) {
        for (s = 0; s < 256; s++) {
            unsigned char in[70], back[72];
            char enc[100], ref[100];
            size_t len = 0, dlen = 0, rlen;
            for (i = 0; i < n; i++) in[i] = (unsigned char)(s + i * 97);
            assert_int_equal(wxp_base64_encode(enc, sizeof enc, in, n, &len), WXP_OK);
            rlen = ref_encode(ref, in, n);
            assert_int_equal(len, rlen);
            assert_memory_equal(enc, ref, rlen);
            assert_int_equal(enc[len], 0);
            memset(back, GUARD, sizeof back);
            assert_int_equal(wxp_base64_decode(back, n, enc, len, &dlen), WXP_OK);
            assert_int_equal(dlen, n);
            if (n) assert_memory_equal(back, in, n);
            assert_int_equal(back[n], GUARD);
        }
    }
}

static void base64_encode_empty_and_null_src(void **state)
{
    char out[4] = { 'x', 'x', 'x', 'x' };
    size_t len = 99;
    unsigned char d[1];
    (void)state;
    assert_int_equal(wxp_base64_encode(out, sizeof out, NULL, 0, &len), WXP_OK);
    assert_int_equal(len, 0);
    assert_int_equal(out[0], 0);
    len = 99;
    assert_int_equal(wxp_base64_decode(d, sizeof d, NULL, 0, &len), WXP_OK);
    assert_int_equal(len, 0);
    /* len may be NULL */
    assert_int_equal(wxp_base64_encode(out, sizeof out, "f", 1, NULL), WXP_OK);
    assert_memory_equal(out, "Zg==", 4);
    assert_int_equal(wxp_base64_decode(d, sizeof d, "Zg==", 4, NULL), WXP_OK);
    assert_int_equal(d[0], 'f');
}

static void expect_bad(const char *b64, size_t n)
{
    unsigned char out[64];
    size_t len;
    if (wxp_base64_decode(out, sizeof out, b64, n, &len) != WXP_E_BASE64)
        fail_msg("decode of \"%.*s\" (%zu bytes) was not WXP_E_BASE64", (int)n, b64, n);
    /* measuring validates too */
    if (wxp_base64_decode(NULL, 0, b64, n, &len) != WXP_E_BASE64)
        fail_msg("measuring \"%.*s\" (%zu bytes) was not WXP_E_BASE64", (int)n, b64, n);
}
#define BAD(lit) expect_bad(lit, sizeof(lit) - 1)

static void base64_rejects_bad_length(void **state)
{
    (void)state;
    BAD("Z");
    BAD("Zm");
    BAD("Zm9");
    BAD("Zm9vY");
    BAD("Zm9vYm");
    BAD("Zm9vYmF");
    BAD("Zg=");
    BAD("Zg");
    BAD("Zm9vYg=");
    BAD("=");
}

static void base64_rejects_bad_characters(void **state)
{
    int c;
    (void)state;
    BAD("Zm9v!A==");
    BAD("Zm-_");      /* the URL-safe alphabet is not accepted */
    BAD("Zm9-");
    BAD("Zm9_");
    BAD("Zm9v\x80YmF");
    BAD("Zm9v\xffYmF");
    BAD("Zm\0v");     /* an embedded NUL */
    BAD("Zm9.");
    /* every byte outside the alphabet, at every position of a quantum */
    for (c = 0; c < 256; c++) {
        char q[4];
        int pos;
        if (c != 0 && strchr(alphabet, c)) continue;
        if (c == '=') continue;
        for (pos = 0; pos < 4; pos++) {
            memcpy(q, "Zm9v", 4);
            q[pos] = (char)c;
            expect_bad(q, 4);
        }
    }
}

static void base64_rejects_whitespace(void **state)
{
    (void)state;
    BAD("Zm9v\n");
    BAD("Zm9v\nYmFy");
    BAD("Zm9v\r\nYmFy");   /* length 10 */
    BAD("Zm9v\r\nYmFyYg");  /* length 12: a multiple of 4, still refused */
    BAD("Zm 9v");
    BAD("Zm9 ");
    BAD(" Zm9");
    BAD("Zm\t9");
    BAD("Zg==\n\n\n\n");
    BAD("    ");
}

static void base64_rejects_padding_in_the_middle(void **state)
{
    (void)state;
    BAD("Zg==Zm9v");
    BAD("Zm8=Zm9v");
    BAD("Zm=v");
    BAD("=m9v");
    BAD("Z=9v");
    BAD("Zm9v=A==");
    BAD("Zm9vY=Fy");
    BAD("Zm=A");
    BAD("Z=A=");
}

static void base64_rejects_too_much_padding(void **state)
{
    (void)state;
    BAD("Z===");
    BAD("====");
    BAD("Zm9v====");
    BAD("Zg===");
    BAD("Zg====");
    BAD("Zm9vZg======");
    BAD("A===");
}

/* The bits that padding drops must be zero: "Zh==" and "Zm9=" decode, in a
   lenient decoder, to the same bytes as "Zg==" and "Zm8=". */
static void base64_rejects_noncanonical_trailing_bits(void **state)
{
    size_t i;
    (void)state;
    BAD("Zh==");
    BAD("Zm9=");
    BAD("Zm9vYh==");
    BAD("Zm9vYmF=");
    BAD("//==");
    BAD("///=");
    for (i = 0; i < 64; i++) {
        char q2[4], q1[4];
        unsigned char out[4];
        size_t len;
        q2[0] = 'Z'; q2[1] = alphabet[i]; q2[2] = '='; q2[3] = '=';
        q1[0] = 'Z'; q1[1] = 'm'; q1[2] = alphabet[i]; q1[3] = '=';
        assert_int_equal(wxp_base64_decode(out, sizeof out, q2, 4, &len),
                         (i & 15) ? WXP_E_BASE64 : WXP_OK);
        if (!(i & 15)) {
            assert_int_equal(len, 1);
            assert_int_equal(out[0], (unsigned char)((25 << 2) | (i >> 4)));
        }
        assert_int_equal(wxp_base64_decode(out, sizeof out, q1, 4, &len),
                         (i & 3) ? WXP_E_BASE64 : WXP_OK);
        if (!(i & 3)) {
            assert_int_equal(len, 2);
            assert_int_equal(out[0], 'f');
            assert_int_equal(out[1], (unsigned char)(((38 & 15) << 4) | (i >> 2)));
        }
    }
}

static void base64_null_dst_measures(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < NVEC; i++) {
        size_t n = strlen(rfc4648[i].plain), blen = strlen(rfc4648[i].b64), len = 99;
        assert_int_equal(wxp_base64_encode(NULL, 0, rfc4648[i].plain, n, &len), WXP_OK);
        assert_int_equal(len, blen);
        len = 99;
        assert_int_equal(wxp_base64_encode(NULL, 1000, rfc4648[i].plain, n, &len), WXP_OK);
        assert_int_equal(len, blen);
        len = 99;
        assert_int_equal(wxp_base64_decode(NULL, 0, rfc4648[i].b64, blen, &len), WXP_OK);
        assert_int_equal(len, n);
    }
    {
        size_t len = 0;
        assert_int_equal(wxp_base64_encode(NULL, 0, NULL, 1000, &len), WXP_OK);
        assert_int_equal(len, 1336);
        assert_int_equal(WXP_B64_LEN(256), 344); /* a 2048-bit signature */
    }
}

static void base64_encode_nospace_writes_nothing_past_cap(void **state)
{
    static const unsigned char src[] = "any carnal pleasure.";
    size_t n, cap;
    (void)state;
    for (n = 0; n < sizeof src - 1; n++) {
        size_t need = WXP_B64_LEN(n);
        char ref[32];
        (void)ref_encode(ref, src, n);
        for (cap = 0; cap <= need + 1; cap++) {
            char out[40];
            size_t len = 99, k;
            wxp_err e;
            memset(out, GUARD, sizeof out);
            e = wxp_base64_encode(out, cap, src, n, &len);
            assert_int_equal(len, need);
            if (cap < need) {
                assert_int_equal(e, WXP_E_NOSPACE);
            } else {
                assert_int_equal(e, WXP_OK);
                if (need) assert_memory_equal(out, ref, need);
                if (cap > need) assert_int_equal(out[need], 0);
            }
            for (k = cap; k < sizeof out; k++)
                if ((unsigned char)out[k] != GUARD)
                    fail_msg("encode n=%zu cap=%zu wrote byte %zu", n, cap, k);
        }
    }
}

static void base64_decode_nospace_writes_nothing_past_cap(void **state)
{
    size_t i, cap;
    (void)state;
    for (i = 0; i < NVEC; i++) {
        const char *b = rfc4648[i].b64;
        size_t need = strlen(rfc4648[i].plain);
        for (cap = 0; cap <= need; cap++) {
            unsigned char out[16];
            size_t len = 99, k;
            wxp_err e;
            memset(out, GUARD, sizeof out);
            e = decode_str(b, out, cap, &len);
            assert_int_equal(len, need);
            if (cap < need) assert_int_equal(e, WXP_E_NOSPACE);
            else {
                assert_int_equal(e, WXP_OK);
                if (need) assert_memory_equal(out, rfc4648[i].plain, need);
            }
            for (k = cap; k < sizeof out; k++)
                if (out[k] != GUARD) fail_msg("decode of %s, cap %zu, wrote byte %zu", b, cap, k);
        }
    }
}

int test_group_base64(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(base64_rfc4648_encode),
        cmocka_unit_test(base64_rfc4648_decode),
        cmocka_unit_test(base64_roundtrip_all_lengths_and_bytes),
        cmocka_unit_test(base64_encode_empty_and_null_src),
        cmocka_unit_test(base64_rejects_bad_length),
        cmocka_unit_test(base64_rejects_bad_characters),
        cmocka_unit_test(base64_rejects_whitespace),
        cmocka_unit_test(base64_rejects_padding_in_the_middle),
        cmocka_unit_test(base64_rejects_too_much_padding),
        cmocka_unit_test(base64_rejects_noncanonical_trailing_bits),
        cmocka_unit_test(base64_null_dst_measures),
        cmocka_unit_test(base64_encode_nospace_writes_nothing_past_cap),
        cmocka_unit_test(base64_decode_nospace_writes_nothing_past_cap),
    };
    return cmocka_run_group_tests_name("base64", tests, NULL, NULL);
}
