/* Tests of the keys section: private keys, verification keys, the key store.
   Fixture files under tests/fixtures/ are described in its README.md. */
#include "tests.h"
#include <string.h>

#define VKEY(name) test_file("tests/vectors/keys/" name)
#define FIXTURE(name) test_file("tests/fixtures/" name)

/* Serials and validity of the certificates (openssl x509 -noout -serial
   -startdate -enddate; see tests/fixtures/README.md). */
#define HIGHBIT_SERIAL "80112233445566778899AABBCCDDEEFF00112233"
#define ROTATED_SERIAL "4A2B3C4D5E6F708192A3B4C5D6E7F80910111213"

/* Unix time of a UTC civil date (Howard Hinnant's days_from_civil): plain
   C99, where timegm() is not available. */
static long long utc(int y, int m, int d, int hh, int mm, int ss)
{
    long long era, yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (era * 146097 + doe - 719468) * 86400 + hh * 3600 + mm * 60 + ss;
}

/* A copy of pem cut after `keep` bytes, optionally closed by an END line. */
static wxp_str cut_pem(wxp_str pem, size_t keep, const char *end_line)
{
    static char buf[8192];
    wxp_str s;
    assert_true(keep <= pem.len && keep + 64 < sizeof buf);
    memcpy(buf, pem.ptr, keep);
    s.ptr = buf;
    s.len = keep;
    if (end_line) {
        memcpy(buf + keep, end_line, strlen(end_line));
        s.len += strlen(end_line);
    }
    return s;
}

/* The offset just past the first newline at or after `from`. */
static size_t line_after(wxp_str s, size_t from)
{
    while (from < s.len && s.ptr[from] != '\n') from++;
    return from + 1;
}

/* Loads pem as a private key and checks the error, the field and the message. */
static void expect_key_error(wxp_str pem, wxp_err want)
{
    wxp_rsa_key k;
    wxp_result r;
    wxp_err e = wxp_rsa_key_load(&k, pem, &r);
    if (e != want)
        fail_msg("wxp_rsa_key_load: got %s, want %s (%s)", wxp_strerror(e), wxp_strerror(want),
                 r.message);
    assert_string_equal(r.field, "private_key");
    assert_true(r.message[0] != 0);
    /* A failed load leaves no usable signer behind. */
    assert_null(k.vtable);
}

static void expect_pubkey_error(wxp_str pem, wxp_err want)
{
    wxp_pubkey k;
    wxp_result r;
    wxp_err e = wxp_pubkey_load(&k, pem, &r);
    if (e != want)
        fail_msg("wxp_pubkey_load: got %s, want %s (%s)", wxp_strerror(e), wxp_strerror(want),
                 r.message);
    assert_true(strcmp(r.field, "public_key") == 0 || strcmp(r.field, "certificate") == 0);
    assert_true(r.message[0] != 0);
}

static void sign_text(wxp_rsa_key *k, const char *msg, char *out, size_t cap)
{
    wxp_result r;
    size_t n;
    assert_int_equal(wxp_sign_base64(&k->vtable, msg, strlen(msg), out, cap, &n, &r), WXP_OK);
    assert_int_equal(strlen(out), n);
}

/* ---- wxp_rsa_key_load ---------------------------------------------------- */

static void rsa_key_pkcs8_and_pkcs1_sign_identically(void **state)
{
    static wxp_rsa_key k8, k1;
    char s8[WXP_SIG_B64_MAX + 1], s1[WXP_SIG_B64_MAX + 1];
    wxp_result r;
    (void)state;
    assert_int_equal(wxp_rsa_key_load(&k8, VKEY("merchant_key.pem"), &r), WXP_OK);
    assert_int_equal(wxp_rsa_key_load(&k1, VKEY("merchant_key_pkcs1.pem"), &r), WXP_OK);
    assert_non_null(k8.vtable);
    assert_int_equal(k8.sk.n_bitlen, 2048);
    assert_int_equal(k1.sk.n_bitlen, 2048);
    sign_text(&k8, "wechatpay.h\n", s8, sizeof s8);
    sign_text(&k1, "wechatpay.h\n", s1, sizeof s1);
    assert_int_equal(strlen(s8), 344);
    assert_string_equal(s8, s1);
}

static void rsa_key_signature_verifies_under_public_key(void **state)
{
    static wxp_rsa_key k;
    static wxp_pubkey pub;
    char sig[WXP_SIG_B64_MAX + 1];
    wxp_str part = WXP_STR("hello\n");
    wxp_result r;
    (void)state;
    test_merchant_key(&k);
    test_merchant_pub(&pub);
    sign_text(&k, "hello\n", sig, sizeof sig);
    assert_int_equal(wxp_verify_base64(&pub, &part, 1, wxp_cstr(sig), &r), WXP_OK);
}

static void rsa_key_after_other_objects_loads(void **state)
{
    /* apiclient_cert.pem and apiclient_key.pem are often pasted together. */
    static char buf[8192];
    wxp_str cert = VKEY("platform_cert.pem"), key = VKEY("merchant_key.pem");
    static wxp_rsa_key k;
    wxp_result r;
    wxp_str both;
    (void)state;
    memcpy(buf, cert.ptr, cert.len);
    memcpy(buf + cert.len, key.ptr, key.len);
    both.ptr = buf;
    both.len = cert.len + key.len;
    assert_int_equal(wxp_rsa_key_load(&k, both, &r), WXP_OK);
    assert_int_equal(k.sk.n_bitlen, 2048);
}

/* A copy of pem with every LF turned into CRLF. */
static wxp_str to_crlf(wxp_str pem)
{
    static char bufs[2][16384];
    static int next;
    char *buf = bufs[next++ % 2];
    wxp_str s;
    size_t i, o = 0;
    for (i = 0; i < pem.len; i++) {
        assert_true(o + 2 < sizeof bufs[0]);
        if (pem.ptr[i] == '\n') buf[o++] = '\r';
        buf[o++] = pem.ptr[i];
    }
    s.ptr = buf;
    s.len = o;
    return s;
}

static void rsa_key_crlf_line_endings_load(void **state)
{
    /* Keys saved on Windows arrive with CRLF line endings. */
    static wxp_rsa_key k;
    wxp_result r;
    wxp_err e;
    (void)state;
    e = wxp_rsa_key_load(&k, to_crlf(VKEY("merchant_key.pem")), &r);
    if (e) fail_msg("PKCS#8 with CRLF: %s (%s)", wxp_strerror(e), r.message);
    e = wxp_rsa_key_load(&k, to_crlf(VKEY("merchant_key_pkcs1.pem")), &r);
    if (e) fail_msg("PKCS#1 with CRLF: %s (%s)", wxp_strerror(e), r.message);
}

static void rsa_key_without_final_newline_loads(void **state)
{
    wxp_str key = VKEY("merchant_key.pem");
    static wxp_rsa_key k;
    wxp_result r;
    (void)state;
    assert_true(key.ptr[key.len - 1] == '\n');
    key.len--;
    assert_int_equal(wxp_rsa_key_load(&k, key, &r), WXP_OK);
}

static void rsa_key_encrypted_pkcs8_is_key_encrypted(void **state)
{
    (void)state;
    expect_key_error(FIXTURE("rsa_key_pkcs8_encrypted.pem"), WXP_E_KEY_ENCRYPTED);
}

static void rsa_key_encrypted_pkcs1_is_key_encrypted(void **state)
{
    (void)state;
    expect_key_error(FIXTURE("rsa_key_pkcs1_encrypted.pem"), WXP_E_KEY_ENCRYPTED);
}

static void rsa_key_ec_keys_are_key_type(void **state)
{
    (void)state;
    expect_key_error(FIXTURE("ec_key.pem"), WXP_E_KEY_TYPE);
    expect_key_error(FIXTURE("ec_key_pkcs8.pem"), WXP_E_KEY_TYPE);
    /* An algorithm BearSSL does not know at all is a key type error too. */
    expect_key_error(FIXTURE("ed25519_key.pem"), WXP_E_KEY_TYPE);
}

static void rsa_key_no_key_is_key_error(void **state)
{
    (void)state;
    expect_key_error(wxp_cstr("this is not a key"), WXP_E_KEY);
    expect_key_error(wxp_cstr(""), WXP_E_KEY);
    expect_key_error(VKEY("platform_cert.pem"), WXP_E_KEY);
    expect_key_error(VKEY("merchant_pub.pem"), WXP_E_KEY);
    {   /* The message says what was there instead. */
        wxp_rsa_key k;
        wxp_result r;
        assert_int_equal(wxp_rsa_key_load(&k, VKEY("platform_cert.pem"), &r), WXP_E_KEY);
        assert_non_null(strstr(r.message, "found CERTIFICATE"));
        assert_int_equal(wxp_rsa_key_load(&k, wxp_cstr("this is not a key"), &r), WXP_E_KEY);
        assert_non_null(strstr(r.message, "found no PEM object at all"));
    }
    /* A PEM frame around base64 that is not DER of a key. */
    expect_key_error(wxp_cstr("-----BEGIN PRIVATE KEY-----\nAAAAAAAA\n-----END PRIVATE KEY-----\n"),
                     WXP_E_KEY);
}

static void rsa_key_cut_without_end_line_is_truncated(void **state)
{
    wxp_str key = VKEY("merchant_key.pem");
    (void)state;
    /* Mid-line and at a line boundary: the PEM object never closes. */
    expect_key_error(cut_pem(key, key.len / 2, NULL), WXP_E_KEY_TRUNCATED);
    expect_key_error(cut_pem(key, line_after(key, key.len / 2), NULL), WXP_E_KEY_TRUNCATED);
}

static void rsa_key_short_body_with_end_line_is_truncated(void **state)
{
    /* Whole base64 lines are kept, so the PEM layer is sound and the DER ends
       early: the library reports WXP_E_KEY_TRUNCATED. */
    wxp_str key = VKEY("merchant_key.pem");
    (void)state;
    expect_key_error(cut_pem(key, line_after(key, key.len / 2), "-----END PRIVATE KEY-----\n"),
                     WXP_E_KEY_TRUNCATED);
}

static void rsa_key_body_cut_mid_line_with_end_line_is_key_error(void **state)
{
    /* Cutting inside a base64 quantum breaks the PEM layer itself: WXP_E_KEY. */
    wxp_str key = VKEY("merchant_key.pem");
    size_t cut = line_after(key, key.len / 2) + 5;
    (void)state;
    expect_key_error(cut_pem(key, cut, "\n-----END PRIVATE KEY-----\n"), WXP_E_KEY);
}

static void rsa_key_4096_bits_loads_and_signs(void **state)
{
    static wxp_rsa_key k;
    static wxp_pubkey pub;
    char sig[WXP_SIG_B64_MAX + 1];
    wxp_str part = WXP_STR("4096\n");
    wxp_result r;
    (void)state;
    assert_int_equal(wxp_rsa_key_load(&k, FIXTURE("rsa4096_key.pem"), &r), WXP_OK);
    assert_int_equal(k.sk.n_bitlen, 4096);
    assert_int_equal(wxp_pubkey_load(&pub, FIXTURE("rsa4096_pub.pem"), &r), WXP_OK);
    assert_int_equal(pub.pk.nlen, 512);
    sign_text(&k, "4096\n", sig, sizeof sig);
    assert_int_equal(strlen(sig), WXP_B64_LEN(512));
    assert_int_equal(wxp_verify_base64(&pub, &part, 1, wxp_cstr(sig), &r), WXP_OK);
}

static void rsa_key_8192_bits_is_key_size(void **state)
{
    (void)state;
    expect_key_error(FIXTURE("rsa8192_key.pem"), WXP_E_KEY_SIZE);
}

static void rsa_key_wipe_clears_everything(void **state)
{
    static wxp_rsa_key k;
    static const wxp_rsa_key zero;
    (void)state;
    test_merchant_key(&k);
    wxp_rsa_key_wipe(&k);
    assert_memory_equal(&k, &zero, sizeof k);
    wxp_rsa_key_wipe(NULL);
}

/* ---- wxp_pubkey_load ----------------------------------------------------- */

static void pubkey_spki_vector_keys_load(void **state)
{
    static wxp_pubkey m, w;
    static const unsigned char f4[] = { 0x01, 0x00, 0x01 };
    wxp_result r;
    (void)state;
    assert_int_equal(wxp_pubkey_load(&m, VKEY("merchant_pub.pem"), &r), WXP_OK);
    assert_int_equal(wxp_pubkey_load(&w, VKEY("wechatpay_pub.pem"), &r), WXP_OK);
    assert_int_equal(m.kind, WXP_KEY_PUBLIC);
    assert_int_equal(w.kind, WXP_KEY_PUBLIC);
    assert_string_equal(m.serial, "");
    assert_int_equal(m.pk.nlen, 256);
    assert_int_equal(w.pk.nlen, 256);
    assert_int_equal(m.pk.elen, 3);
    assert_memory_equal(m.pk.e, f4, 3);
    assert_ptr_equal(m.pk.n, m.n);
    assert_ptr_equal(m.pk.e, m.e);
    assert_int_equal(m.not_before, 0);
    assert_int_equal(m.not_after, 0);
    assert_true(memcmp(m.n, w.n, 256) != 0);
}

static void pubkey_platform_certificate_loads(void **state)
{
    static wxp_pubkey c, w;
    wxp_result r;
    (void)state;
    assert_int_equal(wxp_pubkey_load(&c, VKEY("platform_cert.pem"), &r), WXP_OK);
    assert_int_equal(c.kind, WXP_KEY_CERT);
    assert_string_equal(c.serial, TEST_CERT_SERIAL);
    /* notBefore=Nov 23 08:04:53 2026 GMT, notAfter=Nov 20 08:04:53 2036 GMT */
    assert_int_equal(c.not_before, utc(2026, 11, 23, 8, 4, 53));
    assert_int_equal(c.not_after, utc(2036, 11, 20, 8, 4, 53));
    assert_int_equal(c.not_before, 1795421093LL);
    assert_int_equal(c.not_after, 2110781093LL);
    /* The vectors' platform certificate and WeChat Pay public key share a key. */
    assert_int_equal(wxp_pubkey_load(&w, VKEY("wechatpay_pub.pem"), &r), WXP_OK);
    assert_int_equal(c.pk.nlen, w.pk.nlen);
    assert_memory_equal(c.pk.n, w.pk.n, w.pk.nlen);
    assert_memory_equal(c.pk.e, w.pk.e, w.pk.elen);
}

static void pubkey_v1_certificate_loads(void **state)
{
    /* No [0] version field: the serial is the TBS's first element. */
    static wxp_pubkey c;
    wxp_result r;
    (void)state;
    assert_int_equal(wxp_pubkey_load(&c, FIXTURE("platform2_cert.pem"), &r), WXP_OK);
    assert_int_equal(c.kind, WXP_KEY_CERT);
    assert_string_equal(c.serial, ROTATED_SERIAL);
    assert_int_equal(c.not_before, utc(2027, 6, 1, 0, 0, 0));
    assert_int_equal(c.not_after, utc(2032, 6, 1, 0, 0, 0));
}

static void pubkey_rsa_public_key_pkcs1_matches_spki(void **state)
{
    static wxp_pubkey p1, spki;
    wxp_result r;
    (void)state;
    assert_int_equal(wxp_pubkey_load(&p1, FIXTURE("merchant_pub_pkcs1.pem"), &r), WXP_OK);
    assert_int_equal(p1.kind, WXP_KEY_PUBLIC);
    test_merchant_pub(&spki);
    assert_int_equal(p1.pk.nlen, spki.pk.nlen);
    assert_memory_equal(p1.pk.n, spki.pk.n, spki.pk.nlen);
    assert_int_equal(p1.pk.elen, spki.pk.elen);
    assert_memory_equal(p1.pk.e, spki.pk.e, spki.pk.elen);
}

static void pubkey_crlf_line_endings_load(void **state)
{
    static wxp_pubkey k;
    static wxp_pubkey slots[2];
    wxp_keystore ks;
    wxp_result r;
    wxp_err e;
    (void)state;
    e = wxp_pubkey_load(&k, to_crlf(VKEY("wechatpay_pub.pem")), &r);
    if (e) fail_msg("PUBLIC KEY with CRLF: %s (%s)", wxp_strerror(e), r.message);
    e = wxp_pubkey_load(&k, to_crlf(VKEY("platform_cert.pem")), &r);
    if (e) fail_msg("CERTIFICATE with CRLF: %s (%s)", wxp_strerror(e), r.message);
    assert_string_equal(k.serial, TEST_CERT_SERIAL);
    wxp_keystore_init(&ks, slots, 2);
    e = wxp_keystore_add_certs(&ks, to_crlf(VKEY("platform_cert.pem")), &r);
    if (e) fail_msg("wxp_keystore_add_certs with CRLF: %s (%s)", wxp_strerror(e), r.message);
    assert_int_equal(ks.count, 1);
}

static void pubkey_ec_key_and_ec_certificate_are_key_type(void **state)
{
    (void)state;
    expect_pubkey_error(FIXTURE("ec_pub.pem"), WXP_E_KEY_TYPE);
    expect_pubkey_error(FIXTURE("ec_cert.pem"), WXP_E_KEY_TYPE);
}

static void pubkey_serial_with_high_bit_drops_leading_zero(void **state)
{
    /* DER: 02 15 00 80 11 ...; the hex is the 20-byte magnitude. */
    static wxp_pubkey c;
    wxp_result r;
    (void)state;
    assert_int_equal(wxp_pubkey_load(&c, FIXTURE("cert_serial_highbit.pem"), &r), WXP_OK);
    assert_string_equal(c.serial, HIGHBIT_SERIAL);
    assert_int_equal(c.not_before, utc(2026, 11, 23, 0, 0, 0));
    assert_int_equal(c.not_after, utc(2036, 11, 20, 0, 0, 0));
}

static void pubkey_truncated_certificate(void **state)
{
    wxp_str cert = VKEY("platform_cert.pem");
    (void)state;
    /* No END line: the PEM layer reports the truncation. */
    expect_pubkey_error(cut_pem(cert, cert.len / 2, NULL), WXP_E_KEY_TRUNCATED);
    /* Whole lines and an END line: the X.509 decoder finds the DER too short. */
    expect_pubkey_error(cut_pem(cert, line_after(cert, cert.len / 2), "-----END CERTIFICATE-----\n"),
                        WXP_E_KEY_TRUNCATED);
}

static void pubkey_no_key_is_key_error(void **state)
{
    (void)state;
    expect_pubkey_error(wxp_cstr(""), WXP_E_KEY);
    expect_pubkey_error(wxp_cstr("garbage"), WXP_E_KEY);
    expect_pubkey_error(VKEY("merchant_key.pem"), WXP_E_KEY);
    expect_pubkey_error(wxp_cstr("-----BEGIN PUBLIC KEY-----\nAAAAAAAA\n-----END PUBLIC KEY-----\n"),
                        WXP_E_KEY);
}

static void pubkey_4096_loads_8192_is_key_size(void **state)
{
    static wxp_pubkey k;
    wxp_result r;
    (void)state;
    assert_int_equal(wxp_pubkey_load(&k, FIXTURE("rsa4096_pub.pem"), &r), WXP_OK);
    assert_int_equal(k.pk.nlen, 512);
    expect_pubkey_error(FIXTURE("rsa8192_pub.pem"), WXP_E_KEY_SIZE);
}

/* ---- wxp_keystore -------------------------------------------------------- */

/* platform_cert.pem followed by platform2_cert.pem. */
static wxp_str cert_bundle(void)
{
    static char buf[8192];
    wxp_str a = VKEY("platform_cert.pem"), b = FIXTURE("platform2_cert.pem"), s;
    assert_true(a.len + b.len < sizeof buf);
    memcpy(buf, a.ptr, a.len);
    memcpy(buf + a.len, b.ptr, b.len);
    s.ptr = buf;
    s.len = a.len + b.len;
    return s;
}

static void keystore_init_is_empty(void **state)
{
    wxp_pubkey slots[3];
    wxp_keystore ks;
    (void)state;
    wxp_keystore_init(&ks, slots, 3);
    assert_int_equal(ks.count, 0);
    assert_int_equal(ks.cap, 3);
    assert_null(wxp_keystore_find(&ks, wxp_cstr(TEST_CERT_SERIAL)));
    assert_null(wxp_keystore_pick(&ks, test_now));
    assert_null(wxp_keystore_find(NULL, wxp_cstr(TEST_CERT_SERIAL)));
    assert_null(wxp_keystore_pick(NULL, test_now));
}

static void keystore_add_pubkey(void **state)
{
    static wxp_pubkey slots[2];
    wxp_keystore ks;
    wxp_result r;
    const wxp_pubkey *k;
    (void)state;
    wxp_keystore_init(&ks, slots, 2);
    assert_int_equal(wxp_keystore_add_pubkey(&ks, TEST_PUB_ID, VKEY("wechatpay_pub.pem"), &r), WXP_OK);
    assert_int_equal(ks.count, 1);
    k = wxp_keystore_find(&ks, wxp_cstr(TEST_PUB_ID));
    assert_non_null(k);
    assert_int_equal(k->kind, WXP_KEY_PUBLIC);
    assert_string_equal(k->serial, TEST_PUB_ID);
    /* The slot's key points at its own arrays, not at a temporary. */
    assert_ptr_equal(k->pk.n, k->n);
    assert_ptr_equal(k->pk.e, k->e);
    /* Adding it again replaces it. */
    assert_int_equal(wxp_keystore_add_pubkey(&ks, TEST_PUB_ID, VKEY("wechatpay_pub.pem"), &r), WXP_OK);
    assert_int_equal(ks.count, 1);
}

static void keystore_add_pubkey_rejects_bad_id(void **state)
{
    static wxp_pubkey slots[2];
    static char long_id[WXP_SERIAL_MAX + 8];
    wxp_keystore ks;
    wxp_result r;
    (void)state;
    wxp_keystore_init(&ks, slots, 2);
    assert_int_equal(wxp_keystore_add_pubkey(&ks, "PUB_KEY_0119", VKEY("wechatpay_pub.pem"), &r), WXP_E_ARG);
    assert_string_equal(r.field, "public_key_id");
    assert_int_equal(wxp_keystore_add_pubkey(&ks, TEST_CERT_SERIAL, VKEY("wechatpay_pub.pem"), &r), WXP_E_ARG);
    assert_int_equal(wxp_keystore_add_pubkey(&ks, "", VKEY("wechatpay_pub.pem"), &r), WXP_E_ARG);
    assert_int_equal(wxp_keystore_add_pubkey(&ks, NULL, VKEY("wechatpay_pub.pem"), &r), WXP_E_ARG);
    /* An id that does not fit wxp_pubkey.serial. */
    memset(long_id, '1', sizeof long_id - 1);
    memcpy(long_id, "PUB_KEY_ID_", 11);
    assert_int_equal(wxp_keystore_add_pubkey(&ks, long_id, VKEY("wechatpay_pub.pem"), &r), WXP_E_ARG);
    assert_string_equal(r.field, "public_key_id");
    assert_int_equal(ks.count, 0);
}

static void keystore_add_pubkey_rejects_certificate(void **state)
{
    static wxp_pubkey slots[2];
    wxp_keystore ks;
    wxp_result r;
    (void)state;
    wxp_keystore_init(&ks, slots, 2);
    assert_int_equal(wxp_keystore_add_pubkey(&ks, TEST_PUB_ID, VKEY("platform_cert.pem"), &r), WXP_E_ARG);
    assert_string_equal(r.field, "public_key");
    assert_int_equal(wxp_keystore_add_pubkey(&ks, TEST_PUB_ID, wxp_cstr("junk"), &r), WXP_E_KEY);
    assert_int_equal(ks.count, 0);
}

static void keystore_add_certs_bundle(void **state)
{
    static wxp_pubkey slots[4];
    wxp_keystore ks;
    wxp_result r;
    const wxp_pubkey *a, *b;
    (void)state;
    wxp_keystore_init(&ks, slots, 4);
    assert_int_equal(wxp_keystore_add_certs(&ks, cert_bundle(), &r), WXP_OK);
    assert_int_equal(ks.count, 2);
    a = wxp_keystore_find(&ks, wxp_cstr(TEST_CERT_SERIAL));
    b = wxp_keystore_find(&ks, wxp_cstr(ROTATED_SERIAL));
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->kind, WXP_KEY_CERT);
    assert_int_equal(b->kind, WXP_KEY_CERT);
    assert_int_equal(a->not_before, utc(2026, 11, 23, 8, 4, 53));
    assert_int_equal(b->not_before, utc(2027, 6, 1, 0, 0, 0));
    assert_ptr_equal(b->pk.n, b->n);
    assert_true(memcmp(a->n, b->n, a->pk.nlen) != 0);
    /* The same bundle again replaces both: the count does not grow. */
    assert_int_equal(wxp_keystore_add_certs(&ks, cert_bundle(), &r), WXP_OK);
    assert_int_equal(ks.count, 2);
    assert_int_equal(wxp_keystore_add_certs(&ks, VKEY("platform_cert.pem"), &r), WXP_OK);
    assert_int_equal(ks.count, 2);
}

static void keystore_add_certs_full(void **state)
{
    static wxp_pubkey slots[1];
    wxp_keystore ks;
    wxp_result r;
    (void)state;
    wxp_keystore_init(&ks, slots, 1);
    assert_int_equal(wxp_keystore_add_certs(&ks, cert_bundle(), &r), WXP_E_FULL);
    assert_true(r.message[0] != 0);
    assert_int_equal(ks.count, 1);
    /* A replacement still fits in a full store. */
    assert_int_equal(wxp_keystore_add_certs(&ks, VKEY("platform_cert.pem"), &r), WXP_OK);
    assert_int_equal(ks.count, 1);
    assert_int_equal(wxp_keystore_add_pubkey(&ks, TEST_PUB_ID, VKEY("wechatpay_pub.pem"), &r), WXP_E_FULL);
}

static void keystore_add_certs_without_certificate(void **state)
{
    static wxp_pubkey slots[2];
    wxp_keystore ks;
    wxp_result r;
    (void)state;
    wxp_keystore_init(&ks, slots, 2);
    assert_int_equal(wxp_keystore_add_certs(&ks, VKEY("wechatpay_pub.pem"), &r), WXP_E_KEY);
    assert_int_equal(wxp_keystore_add_certs(&ks, wxp_cstr(""), &r), WXP_E_KEY);
    assert_int_equal(wxp_keystore_add_certs(&ks, FIXTURE("ec_cert.pem"), &r), WXP_E_KEY_TYPE);
    assert_int_equal(ks.count, 0);
}

static void keystore_find_exact_serial_only(void **state)
{
    static wxp_pubkey slots[2];
    wxp_keystore ks;
    wxp_result r;
    wxp_str prefix = wxp_cstr(TEST_CERT_SERIAL);
    (void)state;
    wxp_keystore_init(&ks, slots, 2);
    assert_int_equal(wxp_keystore_add_certs(&ks, VKEY("platform_cert.pem"), &r), WXP_OK);
    assert_non_null(wxp_keystore_find(&ks, wxp_cstr(TEST_CERT_SERIAL)));
    prefix.len--;
    assert_null(wxp_keystore_find(&ks, prefix));
    assert_null(wxp_keystore_find(&ks, wxp_cstr(TEST_CERT_SERIAL "00")));
    assert_null(wxp_keystore_find(&ks, wxp_cstr(ROTATED_SERIAL)));
}

static void keystore_pick_latest_valid_certificate(void **state)
{
    static wxp_pubkey slots[3];
    wxp_keystore ks;
    wxp_result r;
    const wxp_pubkey *k;
    (void)state;
    wxp_keystore_init(&ks, slots, 3);
    assert_int_equal(wxp_keystore_add_certs(&ks, cert_bundle(), &r), WXP_OK);
    /* Before either certificate. */
    assert_null(wxp_keystore_pick(&ks, utc(2026, 11, 23, 8, 4, 52)));
    /* Only the first is valid. */
    k = wxp_keystore_pick(&ks, utc(2026, 11, 23, 8, 4, 53));
    assert_non_null(k);
    assert_string_equal(k->serial, TEST_CERT_SERIAL);
    /* Both are valid: the later not_before wins. */
    k = wxp_keystore_pick(&ks, utc(2027, 6, 1, 0, 0, 0));
    assert_non_null(k);
    assert_string_equal(k->serial, ROTATED_SERIAL);
    k = wxp_keystore_pick(&ks, utc(2030, 1, 1, 0, 0, 0));
    assert_string_equal(k->serial, ROTATED_SERIAL);
    /* The rotated one has expired, the first has not. */
    k = wxp_keystore_pick(&ks, utc(2032, 6, 1, 0, 0, 1));
    assert_non_null(k);
    assert_string_equal(k->serial, TEST_CERT_SERIAL);
    /* Both expired. */
    assert_null(wxp_keystore_pick(&ks, utc(2036, 11, 20, 8, 4, 54)));
}

static void keystore_pick_prefers_public_key(void **state)
{
    static wxp_pubkey slots[3];
    wxp_keystore ks;
    wxp_result r;
    const wxp_pubkey *k;
    (void)state;
    wxp_keystore_init(&ks, slots, 3);
    /* Certificates first, so the public key is not simply the first slot. */
    assert_int_equal(wxp_keystore_add_certs(&ks, cert_bundle(), &r), WXP_OK);
    assert_int_equal(wxp_keystore_add_pubkey(&ks, TEST_PUB_ID, VKEY("wechatpay_pub.pem"), &r), WXP_OK);
    assert_int_equal(ks.count, 3);
    k = wxp_keystore_pick(&ks, utc(2030, 1, 1, 0, 0, 0));
    assert_non_null(k);
    assert_string_equal(k->serial, TEST_PUB_ID);
    /* A public key has no validity period. */
    k = wxp_keystore_pick(&ks, utc(2040, 1, 1, 0, 0, 0));
    assert_non_null(k);
    assert_int_equal(k->kind, WXP_KEY_PUBLIC);
}

/* Fuzzer finds: a decoder fed again after it failed used to crash. */
static void malformed_pem_regressions_fail_cleanly(void **state)
{
    wxp_rsa_key k;
    wxp_pubkey pk, slots[2];
    wxp_keystore ks;
    wxp_result r;
    wxp_str x509 = test_file("tests/fuzz/regressions/pem/x509_push_after_error");
    wxp_str skey = test_file("tests/fuzz/regressions/pem/skey_push_after_error");
    (void)state;
    wxp_keystore_init(&ks, slots, 2);
    assert_int_not_equal(wxp_pubkey_load(&pk, x509, &r), WXP_OK);
    assert_int_not_equal(wxp_keystore_add_certs(&ks, x509, &r), WXP_OK);
    assert_int_equal(ks.count, 0);
    assert_int_not_equal(wxp_rsa_key_load(&k, skey, &r), WXP_OK);
    assert_null(k.vtable);
}

int test_group_keys(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(malformed_pem_regressions_fail_cleanly),
        cmocka_unit_test(rsa_key_pkcs8_and_pkcs1_sign_identically),
        cmocka_unit_test(rsa_key_signature_verifies_under_public_key),
        cmocka_unit_test(rsa_key_after_other_objects_loads),
        cmocka_unit_test(rsa_key_crlf_line_endings_load),
        cmocka_unit_test(rsa_key_without_final_newline_loads),
        cmocka_unit_test(rsa_key_encrypted_pkcs8_is_key_encrypted),
        cmocka_unit_test(rsa_key_encrypted_pkcs1_is_key_encrypted),
        cmocka_unit_test(rsa_key_ec_keys_are_key_type),
        cmocka_unit_test(rsa_key_no_key_is_key_error),
        cmocka_unit_test(rsa_key_cut_without_end_line_is_truncated),
        cmocka_unit_test(rsa_key_short_body_with_end_line_is_truncated),
        cmocka_unit_test(rsa_key_body_cut_mid_line_with_end_line_is_key_error),
        cmocka_unit_test(rsa_key_4096_bits_loads_and_signs),
        cmocka_unit_test(rsa_key_wipe_clears_everything),
        cmocka_unit_test(pubkey_spki_vector_keys_load),
        cmocka_unit_test(pubkey_platform_certificate_loads),
        cmocka_unit_test(pubkey_v1_certificate_loads),
        cmocka_unit_test(pubkey_rsa_public_key_pkcs1_matches_spki),
        cmocka_unit_test(pubkey_crlf_line_endings_load),
        cmocka_unit_test(pubkey_ec_key_and_ec_certificate_are_key_type),
        cmocka_unit_test(pubkey_serial_with_high_bit_drops_leading_zero),
        cmocka_unit_test(pubkey_truncated_certificate),
        cmocka_unit_test(pubkey_no_key_is_key_error),
        cmocka_unit_test(pubkey_4096_loads_8192_is_key_size),
        cmocka_unit_test(keystore_init_is_empty),
        cmocka_unit_test(keystore_add_pubkey),
        cmocka_unit_test(keystore_add_pubkey_rejects_bad_id),
        cmocka_unit_test(keystore_add_pubkey_rejects_certificate),
        cmocka_unit_test(keystore_add_certs_bundle),
        cmocka_unit_test(keystore_add_certs_full),
        cmocka_unit_test(keystore_add_certs_without_certificate),
        cmocka_unit_test(keystore_find_exact_serial_only),
        cmocka_unit_test(keystore_pick_latest_valid_certificate),
        cmocka_unit_test(keystore_pick_prefers_public_key),
        /* Last: before the size check, BearSSL's decoder writes past its
           context on this key and may take the stack down with it. */
        cmocka_unit_test(rsa_key_8192_bits_is_key_size),
    };
    return cmocka_run_group_tests_name("keys", tests, NULL, NULL);
}
