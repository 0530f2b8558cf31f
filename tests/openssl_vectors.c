/* tests/openssl_vectors.c - the OpenSSL backend (crypto/wechatpay_openssl.h)
   against the shared vectors and against the BearSSL default, byte for byte.

   A cmocka program of its own (it links -lcrypto, which build/tests does not):
   make build/openssl_vectors; `make test` runs it. Run from the repository
   root (it reads tests/vectors/ and tests/fixtures/). */
#define _POSIX_C_SOURCE 200809L /* pthreads: one key shared by signing threads */
#define WECHATPAY_IMPLEMENTATION
#define WECHATPAY_FAKE_IMPLEMENTATION
#define WECHATPAY_OPENSSL_IMPLEMENTATION
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include "tests.h"
#include "crypto/wechatpay_openssl.h"

/* ---- helpers (the shared ones are tests/util.c's) ----------------------- */

static long long parse_ll(wxp_str s)
{
    long long v = 0;
    size_t i;
    for (i = 0; i < s.len; i++) v = v * 10 + (s.ptr[i] - '0');
    return v;
}

static long long fixed_now(void *user) { return *(const long long *)user; }

/* A deterministic byte stream, restartable, for OAEP seeds. */
static unsigned rnd_state;
static int det_random(void *user, void *buf, size_t len)
{
    unsigned char *b = (unsigned char *)buf;
    size_t i;
    (void)user;
    for (i = 0; i < len; i++) {
        rnd_state = rnd_state * 1103515245u + 12345u;
        b[i] = (unsigned char)(rnd_state >> 16);
    }
    return 0;
}

static wxp_openssl_key ossl_merchant;
static wxp_rsa_key bssl_merchant;

static int setup(void **state)
{
    wxp_result r;
    (void)state;
    if (wxp_openssl_key_load(&ossl_merchant, test_file("tests/vectors/keys/merchant_key.pem"), &r) != WXP_OK) return -1;
    if (wxp_rsa_key_load(&bssl_merchant, test_file("tests/vectors/keys/merchant_key.pem"), &r) != WXP_OK) return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    wxp_openssl_key_free(&ossl_merchant);
    wxp_rsa_key_wipe(&bssl_merchant);
    return 0;
}

/* ---- request signatures ------------------------------------------------- */

static void sign_case(const wxp_signer_class **signer, test_vec *v, int c, char *out, size_t cap)
{
    wxp_result r;
    size_t len;
    wxp_err e = wxp_v3_authorization(signer, TEST_MCHID, TEST_SERIAL, test_cstr(test_vec_str(v, c, "method")),
                                     test_vec_str(v, c, "url"), parse_ll(test_vec_str(v, c, "timestamp")),
                                     test_vec_str(v, c, "nonce"), test_vec_str(v, c, "body"), out, cap, &len, &r);
    assert_int_equal(e, WXP_OK);
    assert_int_equal(len, strlen(out));
}

/* Every case through both signers: equal to the vector, equal to each other. */
static void test_request_sign_vectors(void **state)
{
    test_vec v;
    wxp_openssl_key pkcs1;
    wxp_result r;
    int cases, c, n = 0;
    (void)state;
    test_vec_load(&v, "v3_request_sign.json");
    assert_string_equal(test_cstr(test_vec_str(&v, 0, "mchid")), TEST_MCHID);
    assert_string_equal(test_cstr(test_vec_str(&v, 0, "serial_no")), TEST_SERIAL);
    assert_int_equal(wxp_openssl_key_load(&pkcs1, test_file("tests/vectors/keys/merchant_key_pkcs1.pem"), &r), WXP_OK);
    cases = wxp_json_get(&v.doc, 0, "cases");
    assert_true(cases > 0);
    for (c = wxp_json_first(&v.doc, cases); c >= 0; c = wxp_json_next(&v.doc, cases, c), n++) {
        char a_ossl[1024], a_bssl[1024], a_pkcs1[1024], sig[WXP_SIG_B64_MAX + 1];
        wxp_str msg = test_vec_str(&v, c, "message"), want_sig = test_vec_str(&v, c, "signature");
        size_t len;
        sign_case(&ossl_merchant.vtable, &v, c, a_ossl, sizeof a_ossl);
        sign_case(&bssl_merchant.vtable, &v, c, a_bssl, sizeof a_bssl);
        sign_case(&pkcs1.vtable, &v, c, a_pkcs1, sizeof a_pkcs1);
        assert_string_equal(a_ossl, test_cstr(test_vec_str(&v, c, "authorization")));
        assert_string_equal(a_ossl, a_bssl);
        assert_string_equal(a_ossl, a_pkcs1);
        /* The bare signature of the message, too. */
        assert_int_equal(wxp_sign_base64(&ossl_merchant.vtable, msg.ptr, msg.len, sig, sizeof sig, &len, &r), WXP_OK);
        assert_int_equal(len, want_sig.len);
        assert_memory_equal(sig, want_sig.ptr, len);
    }
    assert_int_equal(n, 7);
    wxp_openssl_key_free(&pkcs1);
}

/* The raw vtable call: a too-small output is WXP_E_NOSPACE, not an overflow. */
static void test_sign_nospace(void **state)
{
    unsigned char hash[32] = { 1 }, sig[256], small[255];
    size_t n = sizeof small;
    (void)state;
    assert_int_equal(ossl_merchant.vtable->sign_sha256(&ossl_merchant.vtable, hash, small, &n), WXP_E_NOSPACE);
    n = sizeof sig;
    assert_int_equal(ossl_merchant.vtable->sign_sha256(&ossl_merchant.vtable, hash, sig, &n), WXP_OK);
    assert_int_equal(n, 256);
}

/* One key, four threads signing at once: the borrowed signing context is
   never used by two signatures together, and every signature is right. */
#define SIGN_THREADS 4
#define SIGNS_PER_THREAD 40

typedef struct sign_job {
    wxp_openssl_key *key;
    unsigned char    hash[32], want[256];
    int              bad;
} sign_job;

static void *sign_worker(void *arg)
{
    sign_job *j = (sign_job *)arg;
    int i;
    for (i = 0; i < SIGNS_PER_THREAD; i++) {
        unsigned char sig[256];
        size_t n = sizeof sig;
        if (j->key->vtable->sign_sha256(&j->key->vtable, j->hash, sig, &n) != WXP_OK || n != 256 ||
            memcmp(sig, j->want, 256) != 0)
            j->bad++;
    }
    return NULL;
}

static void test_sign_threads(void **state)
{
    static wxp_openssl_key shared;
    pthread_t th[SIGN_THREADS];
    sign_job jobs[SIGN_THREADS];
    wxp_result r;
    int t;
    (void)state;
    assert_int_equal(wxp_openssl_key_load(&shared, test_file("tests/vectors/keys/merchant_key.pem"), &r), WXP_OK);
    for (t = 0; t < SIGN_THREADS; t++) {
        size_t n = sizeof jobs[t].want;
        jobs[t].key = &shared;
        memset(jobs[t].hash, t + 1, sizeof jobs[t].hash);
        jobs[t].bad = 0;
        /* The expected bytes from the BearSSL signer. */
        assert_int_equal(bssl_merchant.vtable->sign_sha256(&bssl_merchant.vtable, jobs[t].hash, jobs[t].want, &n),
                         WXP_OK);
    }
    for (t = 0; t < SIGN_THREADS; t++) assert_int_equal(pthread_create(&th[t], NULL, sign_worker, &jobs[t]), 0);
    for (t = 0; t < SIGN_THREADS; t++) assert_int_equal(pthread_join(th[t], NULL), 0);
    for (t = 0; t < SIGN_THREADS; t++) assert_int_equal(jobs[t].bad, 0);
    wxp_openssl_key_free(&shared);
}

/* ---- OAEP --------------------------------------------------------------- */

static void test_oaep_vectors(void **state)
{
    test_vec v;
    int cases, c, n = 0;
    (void)state;
    test_vec_load(&v, "oaep.json");
    cases = wxp_json_get(&v.doc, 0, "cases");
    for (c = wxp_json_first(&v.doc, cases); c >= 0; c = wxp_json_next(&v.doc, cases, c), n++) {
        unsigned char out[512];
        size_t len = 0;
        wxp_result r;
        wxp_str want = test_vec_str(&v, c, "plaintext");
        assert_int_equal(wxp_oaep_decrypt(&ossl_merchant.vtable, test_vec_str(&v, c, "ciphertext"), out, sizeof out,
                                          &len, &r), WXP_OK);
        assert_int_equal(len, want.len);
        assert_memory_equal(out, want.ptr, len);
    }
    assert_true(n >= 3);
}

static void test_oaep_decrypt_errors(void **state)
{
    test_vec v;
    unsigned char out[512], ct[256];
    char b64[400];
    size_t len;
    wxp_result r;
    wxp_str s;
    (void)state;
    test_vec_load(&v, "oaep.json");
    s = test_vec_str(&v, wxp_json_first(&v.doc, wxp_json_get(&v.doc, 0, "cases")), "ciphertext");
    /* One flipped bit of the ciphertext. */
    assert_int_equal(wxp_base64_decode(ct, sizeof ct, s.ptr, s.len, &len), WXP_OK);
    ct[100] ^= 1;
    assert_int_equal(wxp_base64_encode(b64, sizeof b64, ct, len, &len), WXP_OK);
    assert_int_equal(wxp_oaep_decrypt(&ossl_merchant.vtable, wxp_cstr(b64), out, sizeof out, &len, &r),
                     WXP_E_DECRYPT);
    /* A block of the wrong size. */
    assert_int_equal(wxp_base64_encode(b64, sizeof b64, ct, 128, &len), WXP_OK);
    assert_int_equal(wxp_oaep_decrypt(&ossl_merchant.vtable, wxp_cstr(b64), out, sizeof out, &len, &r),
                     WXP_E_DECRYPT);
}

/* OAEP encryption through the OpenSSL verifier: with the same random bytes the
   ciphertext equals BearSSL's, and both signers decrypt it. */
static void test_oaep_encrypt_same_bytes(void **state)
{
    static const char *plains[] = { "张三", "13800138000", "", "x" };
    wxp_openssl_verifier vf;
    const wxp_verifier_class *const *ov = &vf.vtable, *const *bv = wxp_bearssl_verifier();
    wxp_pubkey pub;
    wxp_random rnd;
    wxp_result r;
    size_t i;
    (void)state;
    wxp_openssl_verifier_init(&vf);
    assert_int_equal(wxp_pubkey_load(&pub, test_file("tests/vectors/keys/merchant_pub.pem"), &r), WXP_OK);
    rnd.fn = det_random;
    rnd.user = NULL;
    for (i = 0; i < sizeof plains / sizeof plains[0]; i++) {
        unsigned char c1[512], c2[512], p[512];
        char b64[700];
        size_t n1, n2, len, plen = strlen(plains[i]);
        rnd_state = 42u + (unsigned)i;
        assert_int_equal((*ov)->oaep_encrypt(ov, &pub.pk, &rnd, plains[i], plen, c1, sizeof c1, &n1), WXP_OK);
        rnd_state = 42u + (unsigned)i;
        assert_int_equal((*bv)->oaep_encrypt(bv, &pub.pk, &rnd, plains[i], plen, c2, sizeof c2, &n2), WXP_OK);
        assert_int_equal(n1, 256);
        assert_int_equal(n1, n2);
        assert_memory_equal(c1, c2, n1);
        assert_int_equal(wxp_base64_encode(b64, sizeof b64, c1, n1, &len), WXP_OK);
        assert_int_equal(wxp_oaep_decrypt(&ossl_merchant.vtable, wxp_cstr(b64), p, sizeof p, &len, &r), WXP_OK);
        assert_int_equal(len, plen);
        assert_memory_equal(p, plains[i], plen);
        assert_int_equal(wxp_oaep_decrypt(&bssl_merchant.vtable, wxp_cstr(b64), p, sizeof p, &len, &r), WXP_OK);
        assert_int_equal(len, plen);
    }
    {   /* Too long for the key (2048 bits hold 214 bytes). */
        unsigned char big[215], c1[512];
        size_t n1;
        memset(big, 'a', sizeof big);
        assert_int_not_equal((*ov)->oaep_encrypt(ov, &pub.pk, &rnd, big, sizeof big, c1, sizeof c1, &n1), WXP_OK);
        assert_int_equal((*ov)->oaep_encrypt(ov, &pub.pk, &rnd, big, 214, c1, sizeof c1, &n1), WXP_OK);
    }
    wxp_openssl_verifier_free(&vf);
}

/* ---- answer verification: the vectors through a client ------------------- */

typedef struct replay {
    wxp_str ts, nonce, sig, serial, body;
} replay;

static int replay_transport(void *user, const wxp_http_request *req, wxp_http_response *res, char *errbuf,
                            size_t errbuf_size)
{
    const replay *p = (const replay *)user;
    (void)req; (void)errbuf; (void)errbuf_size;
    wxp_http_response_status(res, 200);
    wxp_http_response_header(res, "Wechatpay-Timestamp", 19, p->ts.ptr, p->ts.len);
    wxp_http_response_header(res, "Wechatpay-Nonce", 15, p->nonce.ptr, p->nonce.len);
    wxp_http_response_header(res, "Wechatpay-Signature", 19, p->sig.ptr, p->sig.len);
    wxp_http_response_header(res, "Wechatpay-Serial", 16, p->serial.ptr, p->serial.len);
    return wxp_http_response_write(res, p->body.ptr, p->body.len) == p->body.len ? 0 : 1;
}

static wxp_err replay_call(const wxp_verifier_class *const *vf, test_vec *v, int c, wxp_result *r)
{
    static unsigned char io[WXP_IO_BUFSIZE_DEFAULT];
    static wxp_client cl;
    wxp_pubkey slot[1];
    wxp_keystore ks;
    wxp_config cfg;
    replay p;
    long long now = parse_ll(test_vec_str(v, c, "now"));
    const char *serial = test_cstr(test_vec_str(v, c, "serial"));
    char path[128];
    wxp_err e;
    snprintf(path, sizeof path, "tests/vectors/%s", test_cstr(test_vec_str(v, c, "key")));
    wxp_keystore_init(&ks, slot, 1);
    if (strncmp(serial, "PUB_KEY_ID_", 11) == 0)
        assert_int_equal(wxp_keystore_add_pubkey(&ks, serial, test_file(path), r), WXP_OK);
    else
        assert_int_equal(wxp_keystore_add_certs(&ks, test_file(path), r), WXP_OK);
    p.ts = test_vec_str(v, c, "timestamp");
    p.nonce = test_vec_str(v, c, "nonce");
    p.sig = test_vec_str(v, c, "signature");
    p.serial = test_vec_str(v, c, "serial");
    p.body = test_vec_str(v, c, "body");
    cfg = test_config(&ks, io, sizeof io);
    cfg.signer = &ossl_merchant.vtable;
    cfg.verifier = vf;
    cfg.clock.fn = fixed_now;
    cfg.clock.user = &now;
    cfg.transport.fn = replay_transport;
    cfg.transport.user = &p;
    assert_int_equal(wxp_client_init(&cl, &cfg, r), WXP_OK);
    e = wxp_v3_request(&cl, "GET", "/v3/refund/domestic/refunds/R1", wxp_cstr(""), r);
    wxp_client_wipe(&cl);
    return e;
}

static void test_response_verify_vectors(void **state)
{
    test_vec v;
    wxp_openssl_verifier vf;
    int cases, c, n = 0;
    (void)state;
    wxp_openssl_verifier_init(&vf);
    test_vec_load(&v, "v3_response_verify.json");
    cases = wxp_json_get(&v.doc, 0, "cases");
    for (c = wxp_json_first(&v.doc, cases); c >= 0; c = wxp_json_next(&v.doc, cases, c), n++) {
        wxp_result r1, r2;
        int valid = 0;
        wxp_err e1, e2;
        assert_int_equal(wxp_json_bool(&v.doc, wxp_json_get(&v.doc, c, "valid"), &valid), WXP_OK);
        e1 = replay_call(&vf.vtable, &v, c, &r1);
        e2 = replay_call(wxp_bearssl_verifier(), &v, c, &r2);
        if (valid != (e1 == WXP_OK))
            fail_msg("case %d (%s): OpenSSL verifier gave %s", n, test_cstr(test_vec_str(&v, c, "case")),
                     wxp_strerror(e1));
        assert_int_equal(e1, e2);
        assert_string_equal(r1.field, r2.field);
    }
    assert_true(n >= 12);
    wxp_openssl_verifier_free(&vf);
}

/* The verifier's cache: more keys than slots, each still verifies. */
static void test_verifier_cache(void **state)
{
    static const char *pems[] = { "tests/vectors/keys/merchant_pub.pem", "tests/vectors/keys/wechatpay_pub.pem",
                                  "tests/fixtures/rsa4096_pub.pem", "tests/vectors/keys/platform_cert.pem" };
    wxp_openssl_verifier vf;
    const wxp_verifier_class *const *ov = &vf.vtable;
    wxp_pubkey keys[4];
    unsigned char hash[32], sig[256];
    size_t i, n;
    wxp_result r;
    (void)state;
    wxp_openssl_verifier_init(&vf);
    for (i = 0; i < 4; i++) assert_int_equal(wxp_pubkey_load(&keys[i], test_file(pems[i]), &r), WXP_OK);
    memset(hash, 7, sizeof hash);
    n = sizeof sig;
    assert_int_equal(ossl_merchant.vtable->sign_sha256(&ossl_merchant.vtable, hash, sig, &n), WXP_OK);
    for (i = 0; i < 3 * WXP_OPENSSL_KEY_CACHE + 1; i++) {
        size_t k = i % 4;
        int ok = (*ov)->verify_sha256(ov, &keys[k].pk, hash, sig, n);
        assert_int_equal(ok, k == 0);
    }
    hash[0] ^= 1;
    assert_int_equal((*ov)->verify_sha256(ov, &keys[0].pk, hash, sig, n), 0);
    wxp_openssl_verifier_free(&vf);
    wxp_openssl_verifier_free(&vf); /* harmless twice */
}

/* ---- a whole call through the simulator, OpenSSL on both sides ----------- */

static void test_simulator_refund(void **state)
{
    static wxp_fake fake;
    static unsigned char io[WXP_IO_BUFSIZE_DEFAULT];
    static wxp_client cl;
    static wxp_pubkey slot[1], merchant_pub;
    static wxp_rsa_key platform;
    static wxp_openssl_verifier vf;
    static long long now = 1795425372;
    wxp_keystore ks;
    wxp_fake_config fc;
    wxp_config cfg;
    wxp_result r;
    const wxp_fake_refund *rf;
    static const char body[] = "{\"out_trade_no\":\"T1\",\"out_refund_no\":\"R1\","
                               "\"amount\":{\"refund\":30,\"total\":100,\"currency\":\"CNY\"}}";
    (void)state;
    wxp_keystore_init(&ks, slot, 1);
    assert_int_equal(wxp_keystore_add_pubkey(&ks, TEST_PUB_ID, test_file("tests/vectors/keys/wechatpay_pub.pem"), &r),
                     WXP_OK);
    assert_int_equal(wxp_pubkey_load(&merchant_pub, test_file("tests/vectors/keys/merchant_pub.pem"), &r), WXP_OK);
    assert_int_equal(wxp_rsa_key_load(&platform, test_file("tests/vectors/keys/platform_key.pem"), &r), WXP_OK);
    fc = test_fake_config(&merchant_pub, &platform);
    fc.clock.fn = wxp_fake_fixed_clock;
    fc.clock.user = &now;
    assert_int_equal(wxp_fake_init(&fake, &fc), WXP_OK);
    assert_int_equal(wxp_fake_add_order(&fake, "T1", NULL, 100), WXP_OK);
    wxp_openssl_verifier_init(&vf);
    cfg = test_config(&ks, io, sizeof io);
    cfg.signer = &ossl_merchant.vtable;
    cfg.verifier = &vf.vtable;
    cfg.random = wxp_openssl_random();
    cfg.clock.fn = wxp_fake_fixed_clock;
    cfg.clock.user = &now;
    cfg.transport = wxp_fake_as_transport(&fake);
    assert_int_equal(wxp_client_init(&cl, &cfg, &r), WXP_OK);
    if (wxp_v3_request(&cl, "POST", "/v3/refund/domestic/refunds", wxp_cstr(body), &r) != WXP_OK)
        fail_msg("refund: %s %s %s", r.code, r.field, r.message);
    assert_int_equal(r.status, 200);
    rf = wxp_fake_find_refund(&fake, "R1");
    assert_non_null(rf);
    assert_int_equal(rf->amount, 30);
    /* A tampered answer is refused by the OpenSSL verifier. */
    wxp_fake_fault(&fake, WXP_FAKE_FLIP_BODY);
    assert_int_equal(wxp_v3_request(&cl, "GET", "/v3/refund/domestic/refunds/R1", wxp_cstr(""), &r),
                     WXP_E_SIGNATURE);
    wxp_client_wipe(&cl);
    wxp_openssl_verifier_free(&vf);
}

/* RAND_bytes as the client's random source. */
static void test_random_source(void **state)
{
    wxp_random rnd = wxp_openssl_random();
    unsigned char a[64], b[64], zero[64];
    (void)state;
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    memset(zero, 0, sizeof zero);
    assert_non_null(rnd.fn);
    assert_int_equal(rnd.fn(rnd.user, a, sizeof a), 0);
    assert_int_equal(rnd.fn(rnd.user, b, sizeof b), 0);
    assert_true(memcmp(a, zero, sizeof a) != 0);
    assert_true(memcmp(a, b, sizeof a) != 0);
    assert_int_equal(rnd.fn(rnd.user, a, 0), 0);
}

/* ---- loading errors ------------------------------------------------------ */

static void expect_load(const char *pem_text, size_t len, wxp_err want)
{
    wxp_openssl_key k;
    wxp_result r;
    wxp_str pem;
    pem.ptr = pem_text;
    pem.len = len;
    memset(&k, 0x5A, sizeof k);
    assert_int_equal(wxp_openssl_key_load(&k, pem, &r), want);
    assert_null(k.pkey);
    assert_null(k.vtable);
    assert_string_equal(r.field, "private_key");
    assert_true(r.message[0] != 0);
    assert_int_equal(ERR_peek_error(), 0); /* nothing left in OpenSSL's queue */
    wxp_openssl_key_free(&k);
}

static void expect_file(const char *path, wxp_err want)
{
    wxp_str s = test_file(path);
    expect_load(s.ptr, s.len, want);
}

static void test_bad_pem(void **state)
{
    static const char garbage[] = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n";
    static const char text[] = "hello, world";
    wxp_str key = test_file("tests/vectors/keys/merchant_key.pem");
    wxp_result r;
    (void)state;
    expect_load(garbage, sizeof garbage - 1, WXP_E_KEY);
    expect_load(text, sizeof text - 1, WXP_E_KEY);
    expect_load(key.ptr, key.len / 2, WXP_E_KEY); /* truncated */
    expect_load(text, 0, WXP_E_ARG);
    expect_load(NULL, 0, WXP_E_ARG);
    expect_file("tests/vectors/keys/merchant_pub.pem", WXP_E_KEY);
    expect_file("tests/vectors/keys/platform_cert.pem", WXP_E_KEY);
    expect_file("tests/fixtures/rsa_key_pkcs8_encrypted.pem", WXP_E_KEY_ENCRYPTED);
    expect_file("tests/fixtures/rsa_key_pkcs1_encrypted.pem", WXP_E_KEY_ENCRYPTED);
    expect_file("tests/fixtures/ec_key.pem", WXP_E_KEY_TYPE);
    expect_file("tests/fixtures/ec_key_pkcs8.pem", WXP_E_KEY_TYPE);
    expect_file("tests/fixtures/ed25519_key.pem", WXP_E_KEY_TYPE);
    expect_file("tests/fixtures/rsa8192_key.pem", WXP_E_KEY_SIZE);
    /* res may be NULL; a NULL key is WXP_E_ARG. (test_file() slots rotate: read again.) */
    key = test_file("tests/vectors/keys/merchant_key.pem");
    assert_int_equal(wxp_openssl_key_load(NULL, key, &r), WXP_E_ARG);
    {
        wxp_openssl_key k;
        assert_int_equal(wxp_openssl_key_load(&k, key, NULL), WXP_OK);
        wxp_openssl_key_free(&k);
        assert_null(k.pkey);
        assert_int_equal(wxp_openssl_key_load(&k, test_file("tests/fixtures/rsa4096_key.pem"), &r), WXP_OK);
        wxp_openssl_key_free(&k);
    }
    wxp_openssl_key_free(NULL);
}

/* A signer with no key fails cleanly instead of crashing. */
static void test_freed_key(void **state)
{
    wxp_openssl_key k;
    unsigned char hash[32] = { 0 }, sig[256];
    size_t n = sizeof sig;
    wxp_result r;
    (void)state;
    assert_int_equal(wxp_openssl_key_load(&k, test_file("tests/vectors/keys/merchant_key.pem"), &r), WXP_OK);
    EVP_PKEY_free(k.pkey);
    k.pkey = NULL;
    assert_int_equal(k.vtable->sign_sha256(&k.vtable, hash, sig, &n), WXP_E_KEY);
    n = sizeof sig;
    assert_int_equal(k.vtable->oaep_decrypt(&k.vtable, sig, &n), WXP_E_KEY);
    wxp_openssl_key_free(&k); /* the cached signing context */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_sign_vectors),
        cmocka_unit_test(test_sign_nospace),
        cmocka_unit_test(test_sign_threads),
        cmocka_unit_test(test_oaep_vectors),
        cmocka_unit_test(test_oaep_decrypt_errors),
        cmocka_unit_test(test_oaep_encrypt_same_bytes),
        cmocka_unit_test(test_response_verify_vectors),
        cmocka_unit_test(test_verifier_cache),
        cmocka_unit_test(test_simulator_refund),
        cmocka_unit_test(test_random_source),
        cmocka_unit_test(test_bad_pem),
        cmocka_unit_test(test_freed_key),
    };
    return cmocka_run_group_tests_name("openssl backend", tests, setup, teardown);
}
