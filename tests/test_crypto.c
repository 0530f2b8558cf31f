/* Tests of the crypto section against the vectors in tests/vectors/: request
   signing, response verification, AES-256-GCM, RSA-OAEP, JSAPI/App paySign. */
#include "tests.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VKEY(name) test_file("tests/vectors/keys/" name)

/* The token of each case of a vector file. */
#define FOR_EACH_CASE(v, c)                                                      \
    for (c = wxp_json_first(&(v)->doc, cases_of(v)); c >= 0;                     \
         c = wxp_json_next(&(v)->doc, cases_of(v), c))

static int cases_of(test_vec *v)
{
    int t = wxp_json_get(&v->doc, 0, "cases");
    assert_true(t >= 0);
    return t;
}

static long long vec_ll(test_vec *v, int obj, const char *path)
{
    return strtoll(test_cstr(test_vec_str(v, obj, path)), NULL, 10);
}

static int vec_is_null(test_vec *v, int obj, const char *path)
{
    int t = wxp_json_get(&v->doc, obj, path);
    assert_true(t >= 0);
    return v->doc.tok[t].type == WXP_JSON_NULL;
}

static void assert_str_view(wxp_str got, wxp_str want)
{
    if (got.len != want.len || memcmp(got.ptr, want.ptr, want.len) != 0)
        fail_msg("got \"%.*s\"\nwant \"%.*s\"", (int)got.len, got.ptr, (int)want.len, want.ptr);
}

static wxp_str view(const void *p, size_t n)
{
    wxp_str s;
    s.ptr = (const char *)p;
    s.len = n;
    return s;
}

/* ---- v3_request_sign.json ------------------------------------------------ */

static void check_request_vectors(const char *key_member)
{
    static wxp_rsa_key k;
    static char auth[1024];
    test_vec v;
    wxp_result r;
    const char *mchid, *serial;
    char keypath[128];
    int c, n = 0;
    test_vec_load(&v, "v3_request_sign.json");
    snprintf(keypath, sizeof keypath, "tests/vectors/%s", test_cstr(test_vec_str(&v, 0, key_member)));
    assert_int_equal(wxp_rsa_key_load(&k, test_file(keypath), &r), WXP_OK);
    mchid = test_cstr(test_vec_str(&v, 0, "mchid"));
    serial = test_cstr(test_vec_str(&v, 0, "serial_no"));
    assert_string_equal(mchid, TEST_MCHID);
    assert_string_equal(serial, TEST_SERIAL);
    FOR_EACH_CASE(&v, c) {
        size_t len = 0;
        wxp_err e = wxp_v3_authorization(&k.vtable, mchid, serial,
                                         test_cstr(test_vec_str(&v, c, "method")),
                                         test_vec_str(&v, c, "url"), vec_ll(&v, c, "timestamp"),
                                         test_vec_str(&v, c, "nonce"), test_vec_str(&v, c, "body"),
                                         auth, sizeof auth, &len, &r);
        assert_int_equal(e, WXP_OK);
        assert_int_equal(len, strlen(auth));
        assert_str_view(view(auth, len), test_vec_str(&v, c, "authorization"));
        n++;
    }
    assert_int_equal(n, 7);
}

static void request_sign_authorization_pkcs8_key(void **state)
{
    (void)state;
    check_request_vectors("key");
}

static void request_sign_authorization_pkcs1_key(void **state)
{
    (void)state;
    check_request_vectors("key_pkcs1");
}

static void request_sign_message_signature(void **state)
{
    static wxp_rsa_key k;
    char sig[WXP_SIG_B64_MAX + 1];
    test_vec v;
    wxp_result r;
    int c;
    (void)state;
    test_vec_load(&v, "v3_request_sign.json");
    test_merchant_key(&k);
    FOR_EACH_CASE(&v, c) {
        wxp_str msg = test_vec_str(&v, c, "message");
        size_t len = 0;
        assert_int_equal(wxp_sign_base64(&k.vtable, msg.ptr, msg.len, sig, sizeof sig, &len, &r), WXP_OK);
        assert_int_equal(len, 344);
        assert_str_view(view(sig, len), test_vec_str(&v, c, "signature"));
    }
}

static void request_sign_small_buffers_report_needed(void **state)
{
    static wxp_rsa_key k;
    char sig[344], auth[64];
    wxp_result r;
    size_t len = 0;
    (void)state;
    test_merchant_key(&k);
    /* 344 characters and the NUL. */
    assert_int_equal(wxp_sign_base64(&k.vtable, "x", 1, sig, sizeof sig, &len, &r), WXP_E_NOSPACE);
    assert_int_equal(r.needed, 345);
    assert_int_equal(len, 344);
    assert_int_equal(wxp_v3_authorization(&k.vtable, TEST_MCHID, TEST_SERIAL, "GET", wxp_cstr("/v3/x"),
                                          1, wxp_cstr("N"), wxp_cstr(""), auth, sizeof auth, &len, &r),
                     WXP_E_NOSPACE);
    assert_int_equal(r.needed, len + 1);
    assert_true(len > sizeof auth);
}

static void request_sign_rejects_header_breaking_input(void **state)
{
    /* Quotes, spaces and control characters would break the header's syntax. */
    static wxp_rsa_key k;
    char auth[1024];
    wxp_result r;
    (void)state;
    test_merchant_key(&k);
    assert_int_equal(wxp_v3_authorization(&k.vtable, "19\"00", TEST_SERIAL, "GET", wxp_cstr("/v3/x"), 1,
                                          wxp_cstr("N"), wxp_cstr(""), auth, sizeof auth, NULL, &r),
                     WXP_E_ARG);
    assert_string_equal(r.field, "mchid");
    assert_int_equal(wxp_v3_authorization(&k.vtable, TEST_MCHID, "", "GET", wxp_cstr("/v3/x"), 1,
                                          wxp_cstr("N"), wxp_cstr(""), auth, sizeof auth, NULL, &r),
                     WXP_E_ARG);
    assert_string_equal(r.field, "serial");
    assert_int_equal(wxp_v3_authorization(&k.vtable, TEST_MCHID, TEST_SERIAL, "GET", wxp_cstr("/v3/x"), 1,
                                          wxp_cstr("a b"), wxp_cstr(""), auth, sizeof auth, NULL, &r),
                     WXP_E_ARG);
    assert_string_equal(r.field, "nonce");
    assert_int_equal(wxp_v3_authorization(&k.vtable, TEST_MCHID, TEST_SERIAL, "GET", wxp_cstr("/v3/x"), -1,
                                          wxp_cstr("N"), wxp_cstr(""), auth, sizeof auth, NULL, &r),
                     WXP_E_ARG);
    assert_string_equal(r.field, "timestamp");
}

/* A signer that keeps its key elsewhere (an HSM, say) and only delegates. */
typedef struct test_signer {
    const wxp_signer_class *vtable;
    wxp_rsa_key *inner;
    int calls;
} test_signer;

static wxp_err delegate_sign(const wxp_signer_class **ctx, const unsigned char hash[32],
                             unsigned char *sig, size_t *sig_len)
{
    test_signer *s = (test_signer *)(void *)ctx;
    s->calls++;
    return s->inner->vtable->sign_sha256(&s->inner->vtable, hash, sig, sig_len);
}

static wxp_err failing_sign(const wxp_signer_class **ctx, const unsigned char hash[32],
                            unsigned char *sig, size_t *sig_len)
{
    (void)ctx; (void)hash; (void)sig; (void)sig_len;
    return WXP_E_CRYPTO;
}

static const wxp_signer_class delegate_class = { delegate_sign, NULL };
static const wxp_signer_class failing_class = { failing_sign, NULL };

static void request_sign_through_custom_signer(void **state)
{
    static wxp_rsa_key k;
    test_signer s;
    char sig[WXP_SIG_B64_MAX + 1];
    test_vec v;
    wxp_result r;
    wxp_str msg;
    int c;
    (void)state;
    test_vec_load(&v, "v3_request_sign.json");
    test_merchant_key(&k);
    s.vtable = &delegate_class;
    s.inner = &k;
    s.calls = 0;
    c = wxp_json_first(&v.doc, cases_of(&v));
    msg = test_vec_str(&v, c, "message");
    assert_int_equal(wxp_sign_base64(&s.vtable, msg.ptr, msg.len, sig, sizeof sig, NULL, &r), WXP_OK);
    assert_int_equal(s.calls, 1);
    assert_str_view(wxp_cstr(sig), test_vec_str(&v, c, "signature"));
    /* A signer's own error comes back unchanged. */
    s.vtable = &failing_class;
    assert_int_equal(wxp_sign_base64(&s.vtable, msg.ptr, msg.len, sig, sizeof sig, NULL, &r), WXP_E_CRYPTO);
    assert_string_equal(r.field, "signature");
}

/* ---- v3_response_verify.json --------------------------------------------- */

static wxp_err verify_case(test_vec *v, int c, const wxp_pubkey *k, wxp_str sig, wxp_result *r)
{
    wxp_str parts[6];
    parts[0] = test_vec_str(v, c, "timestamp");
    parts[1] = wxp_cstr("\n");
    parts[2] = test_vec_str(v, c, "nonce");
    parts[3] = parts[1];
    parts[4] = test_vec_str(v, c, "body");
    parts[5] = parts[1];
    return wxp_verify_base64(k, parts, 6, sig, r);
}

static void response_verify_vectors(void **state)
{
    static wxp_pubkey cert, pub;
    test_vec v;
    wxp_result r;
    int c, checked = 0;
    (void)state;
    assert_int_equal(wxp_pubkey_load(&cert, VKEY("platform_cert.pem"), &r), WXP_OK);
    assert_int_equal(wxp_pubkey_load(&pub, VKEY("wechatpay_pub.pem"), &r), WXP_OK);
    test_vec_load(&v, "v3_response_verify.json");
    FOR_EACH_CASE(&v, c) {
        const char *name = test_cstr(test_vec_str(&v, c, "case"));
        const char *key = test_cstr(test_vec_str(&v, c, "key"));
        const wxp_pubkey *k = strcmp(key, "keys/platform_cert.pem") == 0 ? &cert : &pub;
        wxp_err want = WXP_E_SIGNATURE, got;
        int valid = 0;
        assert_true(k == &cert || strcmp(key, "keys/wechatpay_pub.pem") == 0);
        assert_int_equal(wxp_json_bool(&v.doc, wxp_json_get(&v.doc, c, "valid"), &valid), WXP_OK);
        /* The skew case has a genuine signature: the clock check is the client's,
           and test_client.c covers it. */
        if (strncmp(name, "clock skew", 10) == 0) continue;
        if (valid) want = WXP_OK;
        else if (strcmp(name, "signature probe") == 0) want = WXP_E_SIGNTEST;
        else if (strcmp(name, "body changed") != 0 && strcmp(name, "timestamp changed") != 0)
            fail_msg("unknown case \"%s\"", name);
        got = verify_case(&v, c, k, test_vec_str(&v, c, "signature"), &r);
        if (got != want) fail_msg("case \"%s\": got %s, want %s", name, wxp_strerror(got), wxp_strerror(want));
        if (want != WXP_OK) assert_string_equal(r.field, "Wechatpay-Signature");
        checked++;
    }
    assert_int_equal(checked, 15);
}

static void response_verify_malformed_signatures(void **state)
{
    static wxp_pubkey pub;
    static char sig[WXP_SIG_B64_MAX + 1];
    static const unsigned char zeros[128];
    test_vec v;
    wxp_result r;
    int c;
    wxp_str good;
    (void)state;
    assert_int_equal(wxp_pubkey_load(&pub, VKEY("wechatpay_pub.pem"), &r), WXP_OK);
    test_vec_load(&v, "v3_response_verify.json");
    c = wxp_json_first(&v.doc, cases_of(&v));
    good = test_vec_str(&v, c, "signature");
    assert_int_equal(verify_case(&v, c, &pub, good, &r), WXP_OK);
    /* Not base64 at all. */
    assert_int_equal(verify_case(&v, c, &pub, wxp_cstr("not base64!"), &r), WXP_E_BASE64);
    assert_string_equal(r.field, "Wechatpay-Signature");
    /* Base64, but a character outside the alphabet in the middle. */
    memcpy(sig, good.ptr, good.len);
    sig[good.len] = 0;
    sig[10] = '*';
    assert_int_equal(verify_case(&v, c, &pub, view(sig, good.len), &r), WXP_E_BASE64);
    /* Sound base64 of 128 bytes: the wrong length for a 2048-bit key. */
    assert_int_equal(wxp_base64_encode(sig, sizeof sig, zeros, sizeof zeros, NULL), WXP_OK);
    assert_int_equal(verify_case(&v, c, &pub, wxp_cstr(sig), &r), WXP_E_SIGNATURE);
    /* 256 bytes, one bit changed. */
    memcpy(sig, good.ptr, good.len);
    sig[0] = sig[0] == 'A' ? 'B' : 'A';
    assert_int_equal(verify_case(&v, c, &pub, view(sig, good.len), &r), WXP_E_SIGNATURE);
}

static void response_verify_merchant_signature_under_platform_key(void **state)
{
    /* A response signed with the wrong key pair must not verify. */
    static wxp_rsa_key merchant;
    static wxp_pubkey cert, pub;
    char sig[WXP_SIG_B64_MAX + 1];
    wxp_str parts[2];
    wxp_result r;
    (void)state;
    test_merchant_key(&merchant);
    assert_int_equal(wxp_pubkey_load(&cert, VKEY("platform_cert.pem"), &r), WXP_OK);
    assert_int_equal(wxp_pubkey_load(&pub, VKEY("wechatpay_pub.pem"), &r), WXP_OK);
    assert_int_equal(wxp_sign_base64(&merchant.vtable, "1795425372\nNONCE\n{}\n", 20, sig, sizeof sig,
                                     NULL, &r), WXP_OK);
    parts[0] = wxp_cstr("1795425372\nNONCE\n");
    parts[1] = wxp_cstr("{}\n");
    assert_int_equal(wxp_verify_base64(&cert, parts, 2, wxp_cstr(sig), &r), WXP_E_SIGNATURE);
    assert_int_equal(wxp_verify_base64(&pub, parts, 2, wxp_cstr(sig), &r), WXP_E_SIGNATURE);
    /* ... and the parts split anywhere hash the same. */
    test_merchant_pub(&pub);
    assert_int_equal(wxp_verify_base64(&pub, parts, 2, wxp_cstr(sig), &r), WXP_OK);
}

/* ---- v3_notify_decrypt.json ---------------------------------------------- */

static void notify_decrypt_vectors(void **state)
{
    static unsigned char out[4096];
    static char ct[4096];
    test_vec v;
    wxp_result r;
    int c, ok = 0, bad = 0;
    (void)state;
    test_vec_load(&v, "v3_notify_decrypt.json");
    FOR_EACH_CASE(&v, c) {
        wxp_str key = test_vec_str(&v, c, "apiv3_key"), nonce = test_vec_str(&v, c, "nonce");
        wxp_str aad = test_vec_str(&v, c, "associated_data"), b64 = test_vec_str(&v, c, "ciphertext");
        size_t len = 99, raw = 0, i;
        wxp_err e;
        assert_string_equal(test_cstr(key), TEST_APIV3_KEY);
        memset(out, 0xAA, sizeof out);
        e = wxp_aes_gcm_decrypt(key, nonce, aad, b64, out, sizeof out, &len, &r);
        if (vec_is_null(&v, c, "plaintext")) {
            assert_int_equal(e, WXP_E_DECRYPT);
            assert_int_equal(len, 0);
            /* Nothing of the unauthenticated plaintext is left behind. */
            assert_int_equal(wxp_base64_decode(NULL, 0, b64.ptr, b64.len, &raw), WXP_OK);
            for (i = 0; i < raw; i++)
                if (out[i] != 0) fail_msg("output byte %u not wiped", (unsigned)i);
            bad++;
            continue;
        }
        assert_int_equal(e, WXP_OK);
        assert_str_view(view(out, len), test_vec_str(&v, c, "plaintext"));
        /* The tag's room is wiped too. */
        for (i = len; i < len + 16; i++) assert_int_equal(out[i], 0);
        /* Encryption with the same nonce reproduces the ciphertext. */
        assert_int_equal(wxp_aes_gcm_encrypt(key, nonce, aad, test_vec_str(&v, c, "plaintext"), ct,
                                             sizeof ct, &len, &r), WXP_OK);
        assert_int_equal(len, strlen(ct));
        assert_str_view(view(ct, len), b64);
        ok++;
    }
    assert_int_equal(ok, 2);
    assert_int_equal(bad, 2);
}

/* The first vector case's parameters. */
typedef struct gcm_case { wxp_str key, nonce, aad, ct, plain; } gcm_case;

static gcm_case first_gcm_case(test_vec *v)
{
    gcm_case g;
    int c;
    test_vec_load(v, "v3_notify_decrypt.json");
    c = wxp_json_first(&v->doc, cases_of(v));
    g.key = test_vec_str(v, c, "apiv3_key");
    g.nonce = test_vec_str(v, c, "nonce");
    g.aad = test_vec_str(v, c, "associated_data");
    g.ct = test_vec_str(v, c, "ciphertext");
    g.plain = test_vec_str(v, c, "plaintext");
    return g;
}

static void notify_decrypt_key_must_be_32_bytes(void **state)
{
    static unsigned char out[4096];
    static char ct[4096];
    test_vec v;
    wxp_result r;
    gcm_case g = first_gcm_case(&v);
    wxp_str k31 = view(TEST_APIV3_KEY, 31), k33 = wxp_cstr(TEST_APIV3_KEY "x");
    (void)state;
    assert_int_equal(wxp_aes_gcm_decrypt(k31, g.nonce, g.aad, g.ct, out, sizeof out, NULL, &r), WXP_E_ARG);
    assert_string_equal(r.field, "apiv3_key");
    assert_int_equal(wxp_aes_gcm_decrypt(k33, g.nonce, g.aad, g.ct, out, sizeof out, NULL, &r), WXP_E_ARG);
    assert_string_equal(r.field, "apiv3_key");
    assert_int_equal(wxp_aes_gcm_encrypt(k31, g.nonce, g.aad, g.plain, ct, sizeof ct, NULL, &r), WXP_E_ARG);
    assert_string_equal(r.field, "apiv3_key");
    assert_int_equal(wxp_aes_gcm_encrypt(k33, g.nonce, g.aad, g.plain, ct, sizeof ct, NULL, &r), WXP_E_ARG);
    assert_string_equal(r.field, "apiv3_key");
    /* An empty nonce is an argument error too. */
    assert_int_equal(wxp_aes_gcm_decrypt(g.key, wxp_cstr(""), g.aad, g.ct, out, sizeof out, NULL, &r),
                     WXP_E_ARG);
    assert_string_equal(r.field, "nonce");
}

static void notify_decrypt_bad_base64(void **state)
{
    static unsigned char out[4096];
    static char bad[4096];
    test_vec v;
    wxp_result r;
    gcm_case g = first_gcm_case(&v);
    (void)state;
    memcpy(bad, g.ct.ptr, g.ct.len);
    bad[5] = '-';
    assert_int_equal(wxp_aes_gcm_decrypt(g.key, g.nonce, g.aad, view(bad, g.ct.len), out, sizeof out, NULL, &r),
                     WXP_E_BASE64);
    /* One character short: not a whole number of quanta. */
    assert_int_equal(wxp_aes_gcm_decrypt(g.key, g.nonce, g.aad, view(g.ct.ptr, g.ct.len - 1), out,
                                         sizeof out, NULL, &r), WXP_E_BASE64);
}

static void notify_decrypt_shorter_than_tag(void **state)
{
    static const unsigned char fifteen[15];
    unsigned char out[64];
    char b64[32];
    test_vec v;
    wxp_result r;
    gcm_case g = first_gcm_case(&v);
    (void)state;
    assert_int_equal(wxp_base64_encode(b64, sizeof b64, fifteen, sizeof fifteen, NULL), WXP_OK);
    assert_int_equal(wxp_aes_gcm_decrypt(g.key, g.nonce, g.aad, wxp_cstr(b64), out, sizeof out, NULL, &r),
                     WXP_E_DECRYPT);
    assert_int_equal(wxp_aes_gcm_decrypt(g.key, g.nonce, g.aad, wxp_cstr(""), out, sizeof out, NULL, &r),
                     WXP_E_DECRYPT);
}

static void notify_decrypt_wrong_aad_or_nonce(void **state)
{
    static unsigned char out[4096];
    test_vec v;
    wxp_result r;
    gcm_case g = first_gcm_case(&v);
    wxp_str nonce2 = view(g.nonce.ptr, g.nonce.len - 1);
    (void)state;
    assert_int_equal(wxp_aes_gcm_decrypt(g.key, g.nonce, g.aad, g.ct, out, sizeof out, NULL, &r), WXP_OK);
    assert_int_equal(wxp_aes_gcm_decrypt(g.key, g.nonce, wxp_cstr("transaction"), g.ct, out, sizeof out,
                                         NULL, &r), WXP_E_DECRYPT);
    assert_int_equal(wxp_aes_gcm_decrypt(g.key, g.nonce, wxp_cstr(""), g.ct, out, sizeof out, NULL, &r),
                     WXP_E_DECRYPT);
    assert_int_equal(wxp_aes_gcm_decrypt(g.key, nonce2, g.aad, g.ct, out, sizeof out, NULL, &r), WXP_E_DECRYPT);
    assert_int_equal(wxp_aes_gcm_decrypt(g.key, wxp_cstr("8gOicl9CThuG"), g.aad, g.ct, out, sizeof out, NULL,
                                         &r), WXP_E_DECRYPT);
    assert_int_equal(wxp_aes_gcm_decrypt(wxp_cstr("b7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb"), g.nonce, g.aad, g.ct,
                                         out, sizeof out, NULL, &r), WXP_E_DECRYPT);
}

static void notify_decrypt_output_too_small(void **state)
{
    static unsigned char out[4096];
    static char ct[4096];
    test_vec v;
    wxp_result r;
    gcm_case g = first_gcm_case(&v);
    size_t raw = 0, len = 0;
    (void)state;
    /* The output must hold the decoded ciphertext (plaintext and tag). */
    assert_int_equal(wxp_base64_decode(NULL, 0, g.ct.ptr, g.ct.len, &raw), WXP_OK);
    assert_int_equal(raw, g.plain.len + 16);
    assert_int_equal(wxp_aes_gcm_decrypt(g.key, g.nonce, g.aad, g.ct, out, raw - 1, &len, &r), WXP_E_NOSPACE);
    assert_int_equal(r.needed, raw);
    assert_int_equal(len, 0);
    assert_int_equal(wxp_aes_gcm_decrypt(g.key, g.nonce, g.aad, g.ct, out, raw, &len, &r), WXP_OK);
    assert_int_equal(len, g.plain.len);
    /* Encryption needs the base64 and a NUL. */
    assert_int_equal(wxp_aes_gcm_encrypt(g.key, g.nonce, g.aad, g.plain, ct, g.ct.len, &len, &r),
                     WXP_E_NOSPACE);
    assert_int_equal(r.needed, g.ct.len + 1);
    assert_int_equal(wxp_aes_gcm_encrypt(g.key, g.nonce, g.aad, g.plain, ct, g.ct.len + 1, &len, &r), WXP_OK);
    assert_str_view(view(ct, len), g.ct);
}

static void notify_gcm_round_trip_0_to_100_bytes(void **state)
{
    /* Crosses encrypt's 48-byte chunks, and every tail length that joins the
       tag: tails of 33..47 bytes leave the tag no room in a 48-byte block. */
    static unsigned char plain[101], out[256];
    static char ct[256];
    wxp_str key = wxp_cstr(TEST_APIV3_KEY), nonce = wxp_cstr("0123456789ab"), aad = wxp_cstr("certificate");
    wxp_result r;
    size_t n, i;
    (void)state;
    for (i = 0; i < sizeof plain; i++) plain[i] = (unsigned char)(i * 37 + 11);
    for (n = 0; n <= 100; n++) {
        size_t clen = 0, plen = 0;
        memset(ct, 0x55, sizeof ct);
        assert_int_equal(wxp_aes_gcm_encrypt(key, nonce, aad, view(plain, n), ct, sizeof ct, &clen, &r), WXP_OK);
        assert_int_equal(clen, WXP_B64_LEN(n + 16));
        assert_int_equal(ct[clen], 0);
        assert_int_equal(wxp_aes_gcm_decrypt(key, nonce, aad, view(ct, clen), out, sizeof out, &plen, &r),
                         WXP_OK);
        assert_int_equal(plen, n);
        if (n) assert_memory_equal(out, plain, n);
    }
}

/* ---- oaep.json ----------------------------------------------------------- */

static void oaep_decrypt_vectors(void **state)
{
    static wxp_rsa_key k;
    unsigned char out[256];
    test_vec v;
    wxp_result r;
    int c, n = 0;
    (void)state;
    test_vec_load(&v, "oaep.json");
    test_merchant_key(&k);
    FOR_EACH_CASE(&v, c) {
        size_t len = 0;
        assert_int_equal(wxp_oaep_decrypt(&k.vtable, test_vec_str(&v, c, "ciphertext"), out, sizeof out, &len, &r),
                         WXP_OK);
        assert_str_view(view(out, len), test_vec_str(&v, c, "plaintext"));
        n++;
    }
    assert_int_equal(n, 4);
}

static int failing_random(void *user, void *buf, size_t len)
{
    (void)user;
    memset(buf, 0, len);
    return -1;
}

static void oaep_round_trip(void **state)
{
    static wxp_rsa_key k;
    static wxp_pubkey pub;
    static unsigned char plain[214];
    unsigned char out[256];
    char ct[WXP_SIG_B64_MAX + 1], ct2[WXP_SIG_B64_MAX + 1];
    wxp_random rnd = { test_random, NULL };
    wxp_result r;
    size_t lens[] = { 0, 1, 6, 18, 100, 214 }, i, len = 0;
    (void)state;
    test_merchant_key(&k);
    test_merchant_pub(&pub);
    memset(plain, 'z', sizeof plain);
    for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        size_t plen = 99;
        assert_int_equal(wxp_oaep_encrypt(&pub, &rnd, view(plain, lens[i]), ct, sizeof ct, &len, &r), WXP_OK);
        assert_int_equal(len, 344);
        assert_int_equal(strlen(ct), 344);
        assert_int_equal(wxp_oaep_decrypt(&k.vtable, wxp_cstr(ct), out, sizeof out, &plen, &r), WXP_OK);
        assert_int_equal(plen, lens[i]);
        if (plen) assert_memory_equal(out, plain, plen);
    }
    /* Fresh randomness each time: the same plaintext encrypts differently. */
    assert_int_equal(wxp_oaep_encrypt(&pub, &rnd, wxp_cstr("13800138000"), ct, sizeof ct, NULL, &r), WXP_OK);
    assert_int_equal(wxp_oaep_encrypt(&pub, &rnd, wxp_cstr("13800138000"), ct2, sizeof ct2, NULL, &r), WXP_OK);
    assert_true(strcmp(ct, ct2) != 0);
    /* The output needs the base64 and a NUL. */
    assert_int_equal(wxp_oaep_encrypt(&pub, &rnd, wxp_cstr("x"), ct, 344, &len, &r), WXP_E_NOSPACE);
    assert_int_equal(r.needed, 345);
}

static void oaep_encrypt_errors(void **state)
{
    static wxp_pubkey pub;
    static unsigned char plain[215];
    char ct[WXP_SIG_B64_MAX + 1];
    wxp_random rnd = { test_random, NULL }, broken = { failing_random, NULL };
    wxp_result r;
    (void)state;
    test_merchant_pub(&pub);
    memset(plain, 'z', sizeof plain);
    /* nlen - 42 = 214 bytes at most under a 2048-bit key. */
    assert_int_equal(wxp_oaep_encrypt(&pub, &rnd, view(plain, 215), ct, sizeof ct, NULL, &r), WXP_E_ARG);
    assert_string_equal(r.field, "plaintext");
    assert_int_equal(wxp_oaep_encrypt(&pub, &broken, wxp_cstr("13800138000"), ct, sizeof ct, NULL, &r),
                     WXP_E_RANDOM);
}

static void oaep_decrypt_errors(void **state)
{
    static wxp_rsa_key k, other;
    unsigned char out[256];
    char ct[WXP_SIG_B64_MAX + 1];
    test_vec v;
    wxp_result r;
    wxp_str good;
    size_t len = 0;
    int c;
    (void)state;
    test_vec_load(&v, "oaep.json");
    test_merchant_key(&k);
    test_platform_key(&other);
    c = wxp_json_first(&v.doc, cases_of(&v));
    good = test_vec_str(&v, c, "ciphertext");
    memcpy(ct, good.ptr, good.len);
    ct[good.len] = 0;
    /* A changed byte fails OAEP's padding check. */
    ct[100] = ct[100] == 'A' ? 'B' : 'A';
    assert_int_equal(wxp_oaep_decrypt(&k.vtable, wxp_cstr(ct), out, sizeof out, &len, &r), WXP_E_DECRYPT);
    assert_int_equal(len, 0);
    /* The wrong private key. */
    assert_int_equal(wxp_oaep_decrypt(&other.vtable, good, out, sizeof out, &len, &r), WXP_E_DECRYPT);
    /* Not an RSA block: wrong length, or not base64. */
    assert_int_equal(wxp_oaep_decrypt(&k.vtable, wxp_cstr("AAAA"), out, sizeof out, &len, &r), WXP_E_DECRYPT);
    assert_int_equal(wxp_oaep_decrypt(&k.vtable, wxp_cstr("%%%%"), out, sizeof out, &len, &r), WXP_E_BASE64);
    /* "张三" is 6 bytes. */
    assert_int_equal(wxp_oaep_decrypt(&k.vtable, good, out, 5, &len, &r), WXP_E_NOSPACE);
    assert_int_equal(r.needed, 6);
    assert_int_equal(wxp_oaep_decrypt(&k.vtable, good, out, 6, &len, &r), WXP_OK);
    assert_int_equal(len, 6);
}

static void oaep_decrypt_signer_without_oaep(void **state)
{
    /* An HSM signer that only signs cannot decrypt fields. */
    static wxp_rsa_key k;
    test_signer s;
    unsigned char out[256];
    test_vec v;
    wxp_result r;
    (void)state;
    test_vec_load(&v, "oaep.json");
    test_merchant_key(&k);
    s.vtable = &delegate_class;
    s.inner = &k;
    s.calls = 0;
    assert_int_equal(wxp_oaep_decrypt(&s.vtable, test_vec_str(&v, wxp_json_first(&v.doc, cases_of(&v)),
                                                              "ciphertext"),
                                      out, sizeof out, NULL, &r), WXP_E_UNSUPPORTED);
    assert_string_equal(r.field, "signer");
}

/* ---- the result contract ------------------------------------------------- */

static void crypto_calls_clear_stale_result(void **state)
{
    /* "Every call clears it first": a success must not show a previous
       call's field, message or needed. */
    static wxp_rsa_key k;
    static wxp_pubkey pub;
    static unsigned char out[256];
    static char buf[1024];
    static char stale_in[256];
    wxp_random rnd = { test_random, NULL };
    wxp_str part = WXP_STR("m");
    wxp_result r;
    size_t len;
    (void)state;
    test_merchant_key(&k);
    test_merchant_pub(&pub);
#define STALE() (memset(&r, 0, sizeof r), strcpy(r.field, "stale"), strcpy(r.message, "stale"), r.needed = 7)
#define CLEAN(name)                                                                  \
    if (r.field[0] || r.message[0] || r.needed)                                      \
        snprintf(stale_in + strlen(stale_in), sizeof stale_in - strlen(stale_in), " %s", name)
    stale_in[0] = 0;
    STALE();
    assert_int_equal(wxp_sign_base64(&k.vtable, "m", 1, buf, sizeof buf, &len, &r), WXP_OK);
    CLEAN("wxp_sign_base64");
    STALE();
    assert_int_equal(wxp_verify_base64(&pub, &part, 1, view(buf, len), &r), WXP_OK);
    CLEAN("wxp_verify_base64");
    STALE();
    assert_int_equal(wxp_v3_authorization(&k.vtable, TEST_MCHID, TEST_SERIAL, "GET", wxp_cstr("/v3/x"), 1,
                                          wxp_cstr("N"), wxp_cstr(""), buf, sizeof buf, NULL, &r), WXP_OK);
    CLEAN("wxp_v3_authorization");
    STALE();
    assert_int_equal(wxp_aes_gcm_encrypt(wxp_cstr(TEST_APIV3_KEY), wxp_cstr("n"), wxp_cstr(""), wxp_cstr("p"),
                                         buf, sizeof buf, &len, &r), WXP_OK);
    CLEAN("wxp_aes_gcm_encrypt");
    STALE();
    assert_int_equal(wxp_aes_gcm_decrypt(wxp_cstr(TEST_APIV3_KEY), wxp_cstr("n"), wxp_cstr(""), view(buf, len),
                                         out, sizeof out, &len, &r), WXP_OK);
    CLEAN("wxp_aes_gcm_decrypt");
    STALE();
    assert_int_equal(wxp_oaep_encrypt(&pub, &rnd, wxp_cstr("p"), buf, sizeof buf, &len, &r), WXP_OK);
    CLEAN("wxp_oaep_encrypt");
    STALE();
    assert_int_equal(wxp_oaep_decrypt(&k.vtable, view(buf, len), out, sizeof out, &len, &r), WXP_OK);
    CLEAN("wxp_oaep_decrypt");
#undef STALE
#undef CLEAN
    if (stale_in[0]) fail_msg("stale wxp_result left by:%s", stale_in);
}

/* ---- jsapi_paysign.json -------------------------------------------------- */

static int transport_must_not_run(void *user, const wxp_http_request *req, wxp_http_response *res,
                                  char *errbuf, size_t errbuf_size)
{
    (void)user; (void)req; (void)res; (void)errbuf; (void)errbuf_size;
    fail_msg("signing a payment must not call the transport");
    return 1;
}

static int failing_random(void *user, void *buf, size_t len);

/* A client whose clock reads `now` and whose next nonce is `nonce`. */
static wxp_client *paysign_client_rnd(long long now, const char *nonce,
                                      int (*rnd)(void *, void *, size_t))
{
    static wxp_client c;
    static wxp_pubkey slots[1];
    static wxp_keystore ks;
    static unsigned char io[8192];
    wxp_config cfg;
    wxp_result r;
    wxp_keystore_init(&ks, slots, 1);
    cfg = test_config(&ks, io, sizeof io);
    cfg.private_key_pem = VKEY("merchant_key.pem");
    cfg.transport.fn = transport_must_not_run;
    cfg.random.fn = rnd;
    test_now = now;
    if (wxp_client_init(&c, &cfg, &r) != WXP_OK) fail_msg("wxp_client_init: %s (%s)", r.message, r.field);
    /* After init: nothing may draw the nonce's bytes before the signing call. */
    test_rand_nonce(nonce);
    return &c;
}

static wxp_client *paysign_client(long long now, const char *nonce)
{
    return paysign_client_rnd(now, nonce, test_random);
}

static void paysign_vectors(void **state)
{
    test_vec v;
    wxp_result r;
    int c, jsapi = 0, app = 0;
    (void)state;
    test_vec_load(&v, "jsapi_paysign.json");
    FOR_EACH_CASE(&v, c) {
        const char *kind = test_cstr(test_vec_str(&v, c, "kind"));
        if (strcmp(kind, "jsapi") == 0) {
            wxp_jsapi_params p;
            wxp_str pkg = test_vec_str(&v, c, "package");
            wxp_client *cl = paysign_client(vec_ll(&v, c, "timeStamp"),
                                            test_cstr(test_vec_str(&v, c, "nonceStr")));
            assert_true(pkg.len > 10 && memcmp(pkg.ptr, "prepay_id=", 10) == 0);
            assert_int_equal(wxp_jsapi_sign(cl, test_cstr(test_vec_str(&v, c, "appId")),
                                            test_cstr(view(pkg.ptr + 10, pkg.len - 10)), &p, &r), WXP_OK);
            assert_str_view(wxp_cstr(p.appId), test_vec_str(&v, c, "appId"));
            assert_str_view(wxp_cstr(p.timeStamp), test_vec_str(&v, c, "timeStamp"));
            assert_str_view(wxp_cstr(p.nonceStr), test_vec_str(&v, c, "nonceStr"));
            assert_str_view(wxp_cstr(p.package), pkg);
            assert_str_view(wxp_cstr(p.signType), test_vec_str(&v, c, "signType"));
            assert_string_equal(p.signType, "RSA");
            assert_str_view(wxp_cstr(p.paySign), test_vec_str(&v, c, "paySign"));
            jsapi++;
        } else {
            wxp_app_params p;
            wxp_client *cl = paysign_client(vec_ll(&v, c, "timestamp"),
                                            test_cstr(test_vec_str(&v, c, "noncestr")));
            assert_string_equal(kind, "app");
            assert_int_equal(wxp_app_sign(cl, test_cstr(test_vec_str(&v, c, "appid")),
                                          test_cstr(test_vec_str(&v, c, "prepayid")), &p, &r), WXP_OK);
            assert_str_view(wxp_cstr(p.appid), test_vec_str(&v, c, "appid"));
            assert_str_view(wxp_cstr(p.partnerid), test_vec_str(&v, c, "partnerid"));
            assert_string_equal(p.partnerid, TEST_MCHID);
            assert_str_view(wxp_cstr(p.prepayid), test_vec_str(&v, c, "prepayid"));
            assert_str_view(wxp_cstr(p.package), test_vec_str(&v, c, "package"));
            assert_string_equal(p.package, "Sign=WXPay");
            assert_str_view(wxp_cstr(p.noncestr), test_vec_str(&v, c, "noncestr"));
            assert_str_view(wxp_cstr(p.timestamp), test_vec_str(&v, c, "timestamp"));
            assert_str_view(wxp_cstr(p.sign), test_vec_str(&v, c, "sign"));
            app++;
        }
    }
    assert_int_equal(jsapi, 1);
    assert_int_equal(app, 1);
}

static void paysign_rejects_bad_appid_and_prepay_id(void **state)
{
    static char long_id[200];
    wxp_jsapi_params jp;
    wxp_app_params ap;
    wxp_result r;
    wxp_client *cl = paysign_client(1795425857, "6bgEaXBT3aJZ8fDaOMrCz70Zninct8sY");
    (void)state;
    memset(long_id, 'w', sizeof long_id - 1);
    assert_int_equal(wxp_jsapi_sign(cl, NULL, "wx1", &jp, &r), WXP_E_ARG);
    assert_string_equal(r.field, "appid");
    assert_int_equal(wxp_jsapi_sign(cl, "", "wx1", &jp, &r), WXP_E_ARG);
    assert_string_equal(r.field, "appid");
    assert_int_equal(wxp_jsapi_sign(cl, long_id, "wx1", &jp, &r), WXP_E_ARG);
    assert_string_equal(r.field, "appid");
    assert_int_equal(wxp_jsapi_sign(cl, "wx\"88", "wx1", &jp, &r), WXP_E_ARG);
    assert_string_equal(r.field, "appid");
    assert_int_equal(wxp_jsapi_sign(cl, "wx8888888888888888", NULL, &jp, &r), WXP_E_ARG);
    assert_string_equal(r.field, "prepay_id");
    assert_int_equal(wxp_jsapi_sign(cl, "wx8888888888888888", "", &jp, &r), WXP_E_ARG);
    assert_string_equal(r.field, "prepay_id");
    assert_int_equal(wxp_jsapi_sign(cl, "wx8888888888888888", long_id, &jp, &r), WXP_E_ARG);
    assert_string_equal(r.field, "prepay_id");
    assert_int_equal(wxp_app_sign(cl, NULL, "wx1", &ap, &r), WXP_E_ARG);
    assert_string_equal(r.field, "appid");
    assert_int_equal(wxp_app_sign(cl, "", "wx1", &ap, &r), WXP_E_ARG);
    assert_string_equal(r.field, "appid");
    assert_int_equal(wxp_app_sign(cl, long_id, "wx1", &ap, &r), WXP_E_ARG);
    assert_string_equal(r.field, "appid");
    assert_int_equal(wxp_app_sign(cl, "wx8888888888888888", NULL, &ap, &r), WXP_E_ARG);
    assert_string_equal(r.field, "prepay_id");
    assert_int_equal(wxp_app_sign(cl, "wx8888888888888888", "", &ap, &r), WXP_E_ARG);
    assert_string_equal(r.field, "prepay_id");
    assert_int_equal(wxp_app_sign(cl, "wx8888888888888888", long_id, &ap, &r), WXP_E_ARG);
    assert_string_equal(r.field, "prepay_id");
}

static void paysign_length_limits(void **state)
{
    /* appId 39, prepay_id 148 (JSAPI) / 71 (App) fit their fields; one more does not. */
    static char s39[40], s40[41], s71[72], s72[73], s148[149], s149[150];
    wxp_jsapi_params jp;
    wxp_app_params ap;
    wxp_result r;
    wxp_client *cl = paysign_client(1795425857, "6bgEaXBT3aJZ8fDaOMrCz70Zninct8sY");
    (void)state;
    memset(s39, 'a', 39); memset(s40, 'a', 40);
    memset(s71, 'p', 71); memset(s72, 'p', 72);
    memset(s148, 'p', 148); memset(s149, 'p', 149);
    assert_int_equal(wxp_jsapi_sign(cl, s39, s148, &jp, &r), WXP_OK);
    assert_int_equal(strlen(jp.package), 158);
    assert_int_equal(wxp_jsapi_sign(cl, s40, s148, &jp, &r), WXP_E_ARG);
    assert_int_equal(wxp_jsapi_sign(cl, s39, s149, &jp, &r), WXP_E_ARG);
    assert_int_equal(wxp_app_sign(cl, s39, s71, &ap, &r), WXP_OK);
    assert_int_equal(wxp_app_sign(cl, s40, s71, &ap, &r), WXP_E_ARG);
    assert_int_equal(wxp_app_sign(cl, s39, s72, &ap, &r), WXP_E_ARG);
}

static void paysign_random_failure(void **state)
{
    wxp_jsapi_params jp;
    wxp_result r;
    wxp_client *cl = paysign_client_rnd(1795425857, "6bgEaXBT3aJZ8fDaOMrCz70Zninct8sY", failing_random);
    (void)state;
    assert_int_equal(wxp_jsapi_sign(cl, "wx8888888888888888", "wx1", &jp, &r), WXP_E_RANDOM);
}

int test_group_crypto(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(request_sign_authorization_pkcs8_key),
        cmocka_unit_test(request_sign_authorization_pkcs1_key),
        cmocka_unit_test(request_sign_message_signature),
        cmocka_unit_test(request_sign_small_buffers_report_needed),
        cmocka_unit_test(request_sign_rejects_header_breaking_input),
        cmocka_unit_test(request_sign_through_custom_signer),
        cmocka_unit_test(response_verify_vectors),
        cmocka_unit_test(response_verify_malformed_signatures),
        cmocka_unit_test(response_verify_merchant_signature_under_platform_key),
        cmocka_unit_test(notify_decrypt_vectors),
        cmocka_unit_test(notify_decrypt_key_must_be_32_bytes),
        cmocka_unit_test(notify_decrypt_bad_base64),
        cmocka_unit_test(notify_decrypt_shorter_than_tag),
        cmocka_unit_test(notify_decrypt_wrong_aad_or_nonce),
        cmocka_unit_test(notify_decrypt_output_too_small),
        cmocka_unit_test(notify_gcm_round_trip_0_to_100_bytes),
        cmocka_unit_test(oaep_decrypt_vectors),
        cmocka_unit_test(oaep_round_trip),
        cmocka_unit_test(oaep_encrypt_errors),
        cmocka_unit_test(oaep_decrypt_errors),
        cmocka_unit_test(oaep_decrypt_signer_without_oaep),
        cmocka_unit_test(crypto_calls_clear_stale_result),
        cmocka_unit_test(paysign_vectors),
        cmocka_unit_test(paysign_rejects_bad_appid_and_prepay_id),
        cmocka_unit_test(paysign_length_limits),
        cmocka_unit_test(paysign_random_failure),
    };
    return cmocka_run_group_tests_name("crypto", tests, NULL, NULL);
}
