/* tests/fuzz/fuzz_pem.c - libFuzzer target: PEM, key and certificate loading.

   The input is PEM text, handed to each loader in turn:
     wxp_rsa_key_load        a key that loads also signs (and OAEP-decrypts
                             a block) so that a key the loader accepted but
                             BearSSL cannot use shows up here;
     wxp_pubkey_load         a key that loads also verifies a signature of
                             its own length and encrypts with OAEP;
     wxp_keystore_add_certs  into a store of two slots; every key held is
                             found again by its serial, and picked;
     wxp_keystore_add_pubkey under a PUB_KEY_ID_. */
#define WECHATPAY_IMPLEMENTATION
#include "wechatpay.h"

#include "fuzz.h"

/* Its own byte, not fuzz.h's fixed_random (0x42): what the seeds were run with. */
static int random_5a(void *user, void *buf, size_t len)
{
    (void)user;
    memset(buf, 0x5A, len);
    return 0;
}

static void use_private(const wxp_rsa_key *k)
{
    const wxp_signer_class **s = (const wxp_signer_class **)&k->vtable;
    unsigned char hash[32], sig[WXP_RSA_BYTES];
    size_t len = sizeof sig, nlen = (k->sk.n_bitlen + 7) / 8;
    wxp_err e;
    CHECK(k->sk.n_bitlen <= WXP_MAX_RSA_BITS);
    memset(hash, 0x11, sizeof hash);
    e = (*s)->sign_sha256(s, hash, sig, &len);
    CHECK(e == WXP_OK || e == WXP_E_CRYPTO);
    if (e == WXP_OK) CHECK(len == nlen);
    if ((*s)->oaep_decrypt && nlen <= sizeof sig) {
        memset(sig, 0x01, nlen);
        len = nlen;
        e = (*s)->oaep_decrypt(s, sig, &len);
        CHECK(e == WXP_OK || e == WXP_E_DECRYPT);
    }
}

static void use_public(const wxp_pubkey *k)
{
    static const unsigned char zero[WXP_RSA_BYTES];
    char sig[WXP_SIG_B64_MAX + 1], ct[WXP_SIG_B64_MAX + 1];
    wxp_str part = WXP_STR("message");
    wxp_random rnd;
    wxp_result r;
    size_t len = 0;
    wxp_err e;
    CHECK(k->pk.nlen >= 1 && k->pk.nlen <= WXP_RSA_BYTES && k->pk.elen >= 1 && k->pk.elen <= 8);
    CHECK(k->pk.n == k->n && k->pk.e == k->e && k->n[0] != 0 && k->e[0] != 0);
    CHECK(wxp_base64_encode(sig, sizeof sig, zero, k->pk.nlen, &len) == WXP_OK);
    e = wxp_verify_base64(k, &part, 1, wxp_cstr(sig), &r);
    CHECK(e == WXP_E_SIGNATURE);
    rnd.fn = random_5a;
    rnd.user = NULL;
    e = wxp_oaep_encrypt(k, &rnd, wxp_cstr("13800138000"), ct, sizeof ct, &len, &r);
    CHECK(e == WXP_OK || e == WXP_E_ARG || e == WXP_E_CRYPTO);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static wxp_rsa_key key;
    wxp_pubkey pub, slots[2];
    wxp_keystore ks;
    wxp_result r;
    wxp_str pem;
    char *text;
    size_t i;
    wxp_err e;

    if (size > 32768) return 0;
    text = dup_exact(data, size);
    pem.ptr = text;
    pem.len = size;

    e = wxp_rsa_key_load(&key, pem, &r);
    if (e == WXP_OK) use_private(&key);
    else CHECK(e == WXP_E_KEY || e == WXP_E_KEY_ENCRYPTED || e == WXP_E_KEY_TYPE ||
               e == WXP_E_KEY_TRUNCATED || e == WXP_E_KEY_SIZE);
    wxp_rsa_key_wipe(&key);

    e = wxp_pubkey_load(&pub, pem, &r);
    if (e == WXP_OK) {
        CHECK(pub.kind == WXP_KEY_CERT || pub.kind == WXP_KEY_PUBLIC);
        CHECK(memchr(pub.serial, 0, sizeof pub.serial) != NULL);
        use_public(&pub);
    }

    wxp_keystore_init(&ks, slots, 2);
    e = wxp_keystore_add_certs(&ks, pem, &r);
    CHECK(ks.count <= 2);
    for (i = 0; i < ks.count; i++) {
        CHECK(ks.keys[i].kind == WXP_KEY_CERT && ks.keys[i].pk.n == ks.keys[i].n);
        CHECK(wxp_keystore_find(&ks, wxp_cstr(ks.keys[i].serial)) == &ks.keys[i]);
        use_public(&ks.keys[i]);
    }
    if (e == WXP_OK) CHECK(ks.count >= 1);
    (void)wxp_keystore_pick(&ks, 1795425469LL);

    wxp_keystore_init(&ks, slots, 1);
    e = wxp_keystore_add_pubkey(&ks, "PUB_KEY_ID_0119000091912025010100000000000001", pem, &r);
    if (e == WXP_OK) {
        CHECK(ks.count == 1 && ks.keys[0].kind == WXP_KEY_PUBLIC);
        CHECK(wxp_keystore_pick(&ks, 0) == &ks.keys[0]);
    }
    free(text);
    return 0;
}
