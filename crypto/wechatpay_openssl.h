/* wechatpay_openssl.h - OpenSSL 3 RSA backend for wechatpay.h - MIT (see wechatpay.h)

   wechatpay.h does its RSA through two small vtables: wxp_signer_class for the
   merchant's private key (request signatures, OAEP decryption) and
   wxp_verifier_class for WeChat Pay's public keys (answer and callback
   signatures, OAEP encryption of sensitive fields). BearSSL fills both by
   default. This file fills them with OpenSSL 3's EVP API, for servers that
   already link OpenSSL and want its faster RSA (on x86-64, a 2048-bit sign is
   some 6x faster than BearSSL's i62 code). The output is byte-identical:
   PKCS#1 v1.5 signatures are deterministic, and OAEP encryption takes its seed
   from the client's wxp_random exactly as the BearSSL code does.

   Do this:
       #define WECHATPAY_OPENSSL_IMPLEMENTATION
   before you include this file in *one* C or C++ file (it may be the file that
   defines WECHATPAY_IMPLEMENTATION). It does `#include "wechatpay.h"` and uses
   only its public API. Link with -lcrypto as well as -lbearssl (wechatpay.h's
   SHA-256, GCM and key store stay on BearSSL).

   MEMORY
       The no-heap guarantee covers wechatpay.h itself; this backend uses
       OpenSSL's allocator (an EVP_PKEY and a signing EVP_PKEY_CTX per key,
       an EVP_PKEY and an EVP_PKEY_CTX per cached verification key).
       That is the price of this optional server backend; embedded builds keep
       the BearSSL default and never include this file.

   QUICK START
       static wxp_openssl_key key;            // the merchant's apiclient_key.pem
       static wxp_openssl_verifier vf;        // WeChat Pay's keys, cached as EVP_PKEYs
       if (wxp_openssl_key_load(&key, key_pem, &r) != WXP_OK) fail(&r);
       wxp_openssl_verifier_init(&vf);
       cfg.serial = "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C";
       cfg.signer = &key.vtable;              // instead of cfg.private_key_pem
       cfg.verifier = &vf.vtable;             // optional: else BearSSL verifies
       cfg.random = wxp_openssl_random();     // optional: nonces from RAND_bytes
       ... wxp_client_init, calls ...
       wxp_client_wipe(&c);
       wxp_openssl_verifier_free(&vf);
       wxp_openssl_key_free(&key);

   THREADS
       A wxp_openssl_key may be shared by any number of clients and threads.
       It keeps one prepared signing context, which a signature borrows with
       an atomic exchange (GCC/Clang builtins) and gives back; a signature
       that finds it taken makes its own (about 3 µs). Other compilers make
       one per signature. A wxp_openssl_verifier keeps
       a small cache of keys and is for one thread at a time, like a client:
       give each client (or each thread) its own.

   ERRORS
       wxp_openssl_key_load: WXP_E_ARG (NULL or oversized input), WXP_E_KEY (no
       private key in the PEM, or OpenSSL cannot read it), WXP_E_KEY_ENCRYPTED
       (a passphrase is needed: the backend never prompts), WXP_E_KEY_TYPE (not
       RSA), WXP_E_KEY_SIZE (more than WXP_MAX_RSA_BITS, the size wechatpay.h's
       signature buffers hold). OpenSSL's error queue is cleared on every
       failure, so a failed load leaves nothing behind for unrelated code.

   BUILD OPTIONS
       WXP_OPENSSL_API        linkage (default WXP_API; static under WECHATPAY_STATIC)
       WXP_OPENSSL_KEY_CACHE  public keys a verifier keeps (default 4)
*/
#ifndef WECHATPAY_OPENSSL_H
#define WECHATPAY_OPENSSL_H

#include "wechatpay.h"
#include <openssl/evp.h>

#ifndef WXP_OPENSSL_API
#if defined(WECHATPAY_STATIC) && (defined(__GNUC__) || defined(__clang__))
#define WXP_OPENSSL_API static __attribute__((unused))
#else
#define WXP_OPENSSL_API WXP_API
#endif
#endif
#ifndef WXP_OPENSSL_KEY_CACHE
#define WXP_OPENSSL_KEY_CACHE 4
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* A merchant private key held by OpenSSL, as a wxp_signer_class: pass
   &key.vtable as config.signer. Must not be copied after loading (a copy
   would share the cached signing context). */
typedef struct wxp_openssl_key {
    const wxp_signer_class *vtable;
    EVP_PKEY               *pkey;
    EVP_PKEY_CTX           *wxp__ctx;   /* PRIVATE: a ready signing context, lent
                                           to one signature at a time */
} wxp_openssl_key;

/* Loads a PEM RSA private key (PKCS#8 "PRIVATE KEY" or PKCS#1 "RSA PRIVATE
   KEY"). Errors: see ERRORS above. res may be NULL. On failure k is zeroed
   (wxp_openssl_key_free on it is harmless). */
WXP_OPENSSL_API WXP_NODISCARD wxp_err wxp_openssl_key_load(wxp_openssl_key *k, wxp_str pem,
                                                           wxp_result *res);
/* Releases the key (OpenSSL clears its private numbers) and zeroes k. */
WXP_OPENSSL_API void wxp_openssl_key_free(wxp_openssl_key *k);

/* WeChat Pay's public keys through OpenSSL, as a wxp_verifier_class: pass
   &vf.vtable as config.verifier. It turns each br_rsa_public_key it meets
   into an EVP_PKEY (and a verify context) once and keeps the last
   WXP_OPENSSL_KEY_CACHE of them.
   Must not move or be copied after init; one thread at a time. */
typedef struct wxp_openssl_verifier {
    const wxp_verifier_class *vtable;
    struct {
        EVP_PKEY     *pkey;
        EVP_PKEY_CTX *vctx;             /* set up for PKCS#1 v1.5 SHA-256 verify */
        size_t        nlen, elen;
        unsigned char n[WXP_RSA_BYTES], e[8];
    } wxp__priv[WXP_OPENSSL_KEY_CACHE];
    unsigned wxp__next;
} wxp_openssl_verifier;

WXP_OPENSSL_API void wxp_openssl_verifier_init(wxp_openssl_verifier *v);
/* Releases the cached keys. */
WXP_OPENSSL_API void wxp_openssl_verifier_free(wxp_openssl_verifier *v);

/* OpenSSL's RAND_bytes as a wxp_random, for config.random: request nonces
   and OAEP seeds then come from OpenSSL's DRBG (seeded by the OS, reseeded
   after fork, per thread) instead of the client's own HMAC-DRBG, whose state
   a fork() would duplicate in parent and child. */
WXP_OPENSSL_API wxp_random wxp_openssl_random(void);

/* SHA-256 of the parts one after the other, by OpenSSL (the CPU's SHA
   instructions where it has them), for wechatpay.h's hash seam: build the
   file that defines WECHATPAY_IMPLEMENTATION with
   -DWXP_SHA256_PARTS=wxp_openssl_sha256_parts and every request and answer
   signature is hashed here. Should OpenSSL fail (no memory), BearSSL hashes. */
WXP_OPENSSL_API void wxp_openssl_sha256_parts(const wxp_str *parts, size_t n, unsigned char hash[32]);

#ifdef __cplusplus
}
#endif
#endif /* WECHATPAY_OPENSSL_H */

/* ========================================================================== */

#if defined(WECHATPAY_OPENSSL_IMPLEMENTATION) && !defined(WECHATPAY_OPENSSL_IMPLEMENTATION_INCLUDED)
#define WECHATPAY_OPENSSL_IMPLEMENTATION_INCLUDED

#include <limits.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#if !defined(OPENSSL_VERSION_MAJOR) || OPENSSL_VERSION_MAJOR < 3
#error "crypto/wechatpay_openssl.h needs OpenSSL 3 (EVP_PKEY_fromdata, OSSL_PARAM)"
#endif

#if defined(__GNUC__) || defined(__clang__)
#define WXP__OSSL_PRIVATE static __attribute__((unused))
#else
#define WXP__OSSL_PRIVATE static
#endif

#ifdef __cplusplus
extern "C" {
#endif

WXP__OSSL_PRIVATE void wxp__ossl_copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

WXP__OSSL_PRIVATE wxp_err wxp__ossl_fail(wxp_result *res, wxp_err e, const char *field, const char *msg)
{
    ERR_clear_error();
    if (res) {
        wxp__ossl_copy(res->field, sizeof res->field, field);
        wxp__ossl_copy(res->message, sizeof res->message, msg);
    }
    return e;
}

/* ---- the signer ---------------------------------------------------------- */

WXP__OSSL_PRIVATE EVP_PKEY *wxp__ossl_pkey(const wxp_signer_class **ctx)
{
    return ((const wxp_openssl_key *)(const void *)ctx)->pkey;
}

/* Borrowing the key's signing context: take leaves NULL behind, give puts a
   context back into an empty slot (else the caller frees it). */
#if defined(__GNUC__) || defined(__clang__)
WXP__OSSL_PRIVATE EVP_PKEY_CTX *wxp__ossl_take(EVP_PKEY_CTX **slot)
{
    return __atomic_exchange_n(slot, (EVP_PKEY_CTX *)NULL, __ATOMIC_ACQ_REL);
}
WXP__OSSL_PRIVATE int wxp__ossl_give(EVP_PKEY_CTX **slot, EVP_PKEY_CTX *pc)
{
    EVP_PKEY_CTX *expected = NULL;
    return __atomic_compare_exchange_n(slot, &expected, pc, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}
#else
WXP__OSSL_PRIVATE EVP_PKEY_CTX *wxp__ossl_take(EVP_PKEY_CTX **slot) { (void)slot; return NULL; }
WXP__OSSL_PRIVATE int wxp__ossl_give(EVP_PKEY_CTX **slot, EVP_PKEY_CTX *pc) { (void)slot; (void)pc; return 0; }
#endif

/* An EVP_PKEY_CTX for one RSA operation with PKCS#1 v1.5 / SHA-256 (sign) or
   OAEP SHA-1 / MGF1-SHA-1 (decrypt). */
WXP__OSSL_PRIVATE EVP_PKEY_CTX *wxp__ossl_sign_ctx(EVP_PKEY *pkey)
{
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(pkey, NULL);
    if (!pc) return NULL;
    if (EVP_PKEY_sign_init(pc) <= 0 || EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) <= 0) {
        EVP_PKEY_CTX_free(pc);
        return NULL;
    }
    return pc;
}

WXP__OSSL_PRIVATE wxp_err wxp__ossl_sign(const wxp_signer_class **ctx, const unsigned char hash[32],
                                         unsigned char *sig, size_t *sig_len)
{
    wxp_openssl_key *k = (wxp_openssl_key *)(void *)ctx;
    EVP_PKEY_CTX *pc;
    size_t n;
    if (!k->pkey) return WXP_E_KEY;
    n = (size_t)EVP_PKEY_get_size(k->pkey);
    if (*sig_len < n) return WXP_E_NOSPACE;
    pc = wxp__ossl_take(&k->wxp__ctx);
    if (!pc && !(pc = wxp__ossl_sign_ctx(k->pkey))) {
        ERR_clear_error();
        return WXP_E_CRYPTO;
    }
    n = *sig_len;
    if (EVP_PKEY_sign(pc, sig, &n, hash, 32) <= 0) {
        EVP_PKEY_CTX_free(pc);  /* not lent again after a failure */
        ERR_clear_error();
        return WXP_E_CRYPTO;
    }
    if (!wxp__ossl_give(&k->wxp__ctx, pc)) EVP_PKEY_CTX_free(pc);
    *sig_len = n;
    return WXP_OK;
}

WXP__OSSL_PRIVATE wxp_err wxp__ossl_oaep_decrypt(const wxp_signer_class **ctx, unsigned char *data, size_t *len)
{
    EVP_PKEY *pkey = wxp__ossl_pkey(ctx);
    EVP_PKEY_CTX *pc;
    unsigned char out[WXP_RSA_BYTES];
    size_t n = sizeof out;
    int ok;
    if (!pkey) return WXP_E_KEY;
    if (*len != (size_t)EVP_PKEY_get_size(pkey) || *len > sizeof out) return WXP_E_DECRYPT;
    pc = EVP_PKEY_CTX_new(pkey, NULL);
    if (!pc) {
        ERR_clear_error();
        return WXP_E_CRYPTO;
    }
    ok = EVP_PKEY_decrypt_init(pc) > 0 && EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_OAEP_PADDING) > 0 &&
         EVP_PKEY_CTX_set_rsa_oaep_md(pc, EVP_sha1()) > 0 && EVP_PKEY_CTX_set_rsa_mgf1_md(pc, EVP_sha1()) > 0;
    if (!ok) {
        EVP_PKEY_CTX_free(pc);
        ERR_clear_error();
        return WXP_E_CRYPTO;
    }
    ok = EVP_PKEY_decrypt(pc, out, &n, data, *len) > 0;
    EVP_PKEY_CTX_free(pc);
    if (!ok) {
        OPENSSL_cleanse(out, sizeof out);
        ERR_clear_error();
        return WXP_E_DECRYPT;
    }
    memcpy(data, out, n);
    OPENSSL_cleanse(out, sizeof out);
    *len = n;
    return WXP_OK;
}

static const wxp_signer_class wxp__ossl_signer_class = { wxp__ossl_sign, wxp__ossl_oaep_decrypt };

/* The password callback: a key that needs one is refused, and noted. */
WXP__OSSL_PRIVATE int wxp__ossl_no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf; (void)size; (void)rwflag;
    *(int *)u = 1;
    return -1;
}

WXP_OPENSSL_API wxp_err wxp_openssl_key_load(wxp_openssl_key *k, wxp_str pem, wxp_result *res)
{
    BIO *bio;
    EVP_PKEY *pkey;
    int asked = 0, bits;
    if (res) memset(res, 0, sizeof *res);
    if (!k) return wxp__ossl_fail(res, WXP_E_ARG, "key", "no wxp_openssl_key given");
    memset(k, 0, sizeof *k);
    if (!pem.ptr || !pem.len || pem.len > (size_t)INT_MAX)
        return wxp__ossl_fail(res, WXP_E_ARG, "private_key", "empty or oversized PEM");
    bio = BIO_new_mem_buf(pem.ptr, (int)pem.len);
    if (!bio) return wxp__ossl_fail(res, WXP_E_CRYPTO, "private_key", "OpenSSL could not allocate a BIO");
    pkey = PEM_read_bio_PrivateKey(bio, NULL, wxp__ossl_no_password, &asked);
    BIO_free(bio);
    if (!pkey && asked)
        return wxp__ossl_fail(res, WXP_E_KEY_ENCRYPTED, "private_key",
                              "encrypted PEM: decrypt it with `openssl pkey -in key.pem -out plain.pem`");
    if (!pkey)
        return wxp__ossl_fail(res, WXP_E_KEY, "private_key", "no PEM private key OpenSSL can read");
    if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
        EVP_PKEY_free(pkey);
        return wxp__ossl_fail(res, WXP_E_KEY_TYPE, "private_key", "not an RSA key: WeChat Pay needs RSA");
    }
    bits = EVP_PKEY_get_bits(pkey);
    if (bits <= 0 || bits > WXP_MAX_RSA_BITS) {
        EVP_PKEY_free(pkey);
        return wxp__ossl_fail(res, WXP_E_KEY_SIZE, "private_key", "RSA key over WXP_MAX_RSA_BITS");
    }
    k->pkey = pkey;
    k->wxp__ctx = wxp__ossl_sign_ctx(pkey);  /* NULL is fine: made at the first use */
    ERR_clear_error();
    k->vtable = &wxp__ossl_signer_class;
    return WXP_OK;
}

WXP_OPENSSL_API void wxp_openssl_key_free(wxp_openssl_key *k)
{
    if (!k) return;
    EVP_PKEY_CTX_free(k->wxp__ctx);
    EVP_PKEY_free(k->pkey);
    memset(k, 0, sizeof *k);
}

/* ---- the verifier -------------------------------------------------------- */

/* The verifier's cache slot for pk: found, else built (the oldest entry
   goes). -1 if OpenSSL refuses the numbers. */
WXP__OSSL_PRIVATE int wxp__ossl_pubkey(wxp_openssl_verifier *v, const br_rsa_public_key *pk)
{
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *pc = NULL;
    EVP_PKEY *pkey = NULL;
    BIGNUM *n = NULL, *e = NULL;
    unsigned i;
    int slot = -1;
    if (pk->nlen > sizeof v->wxp__priv[0].n || pk->elen > sizeof v->wxp__priv[0].e) return -1;
    for (i = 0; i < WXP_OPENSSL_KEY_CACHE; i++) {
        if (v->wxp__priv[i].pkey && v->wxp__priv[i].nlen == pk->nlen && v->wxp__priv[i].elen == pk->elen &&
            memcmp(v->wxp__priv[i].n, pk->n, pk->nlen) == 0 && memcmp(v->wxp__priv[i].e, pk->e, pk->elen) == 0)
            return (int)i;
    }
    n = BN_bin2bn(pk->n, (int)pk->nlen, NULL);
    e = BN_bin2bn(pk->e, (int)pk->elen, NULL);
    bld = OSSL_PARAM_BLD_new();
    if (n && e && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) && (params = OSSL_PARAM_BLD_to_param(bld)) != NULL &&
        (pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) != NULL && EVP_PKEY_fromdata_init(pc) > 0 &&
        EVP_PKEY_fromdata(pc, &pkey, EVP_PKEY_PUBLIC_KEY, params) > 0) {
        i = v->wxp__next++ % WXP_OPENSSL_KEY_CACHE;
        EVP_PKEY_CTX_free(v->wxp__priv[i].vctx);
        EVP_PKEY_free(v->wxp__priv[i].pkey);
        v->wxp__priv[i].vctx = NULL;
        v->wxp__priv[i].pkey = pkey;
        v->wxp__priv[i].nlen = pk->nlen;
        v->wxp__priv[i].elen = pk->elen;
        memcpy(v->wxp__priv[i].n, pk->n, pk->nlen);
        memcpy(v->wxp__priv[i].e, pk->e, pk->elen);
        slot = (int)i;
    } else {
        ERR_clear_error();
    }
    EVP_PKEY_CTX_free(pc);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return slot;
}

/* The vtable pointer is the first field of a caller-owned, writable struct. */
WXP__OSSL_PRIVATE wxp_openssl_verifier *wxp__ossl_verifier(const wxp_verifier_class *const *ctx)
{
    return (wxp_openssl_verifier *)(void *)(uintptr_t)ctx;
}

WXP__OSSL_PRIVATE int wxp__ossl_verify(const wxp_verifier_class *const *ctx, const br_rsa_public_key *pk,
                                       const unsigned char hash[32], const unsigned char *sig, size_t sig_len)
{
    wxp_openssl_verifier *v = wxp__ossl_verifier(ctx);
    int slot = wxp__ossl_pubkey(v, pk), ok;
    EVP_PKEY_CTX *pc;
    if (slot < 0) return 0;
    pc = v->wxp__priv[slot].vctx;
    if (!pc) {  /* set up once per key: that is half the cost of a verify */
        pc = EVP_PKEY_CTX_new(v->wxp__priv[slot].pkey, NULL);
        if (!pc || EVP_PKEY_verify_init(pc) <= 0 || EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) <= 0 ||
            EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) <= 0) {
            EVP_PKEY_CTX_free(pc);
            ERR_clear_error();
            return 0;
        }
        v->wxp__priv[slot].vctx = pc;
    }
    ok = EVP_PKEY_verify(pc, sig, sig_len, hash, 32) == 1;
    if (!ok) ERR_clear_error();
    return ok;
}

/* MGF1-SHA-1 of seed, XORed into out[0..len). */
WXP__OSSL_PRIVATE void wxp__ossl_mgf1_xor(unsigned char *out, size_t len, const unsigned char *seed, size_t seed_len)
{
    unsigned char ctr[4], h[20];
    uint32_t c;
    size_t o = 0, i;
    for (c = 0; o < len; c++) {
        br_sha1_context sc;
        ctr[0] = (unsigned char)(c >> 24); ctr[1] = (unsigned char)(c >> 16);
        ctr[2] = (unsigned char)(c >> 8);  ctr[3] = (unsigned char)c;
        br_sha1_init(&sc);
        br_sha1_update(&sc, seed, seed_len);
        br_sha1_update(&sc, ctr, 4);
        br_sha1_out(&sc, h);
        for (i = 0; i < 20 && o < len; i++) out[o++] ^= h[i];
    }
}

/* RSA-OAEP (SHA-1, MGF1-SHA-1, empty label) of plain under pk. The padding is
   done here (RFC 8017 7.1.1) so the 20-byte seed comes from the client's
   random source in one draw, as in BearSSL: with the same source both
   backends give the same bytes. OpenSSL does the raw RSA. */
WXP__OSSL_PRIVATE wxp_err wxp__ossl_oaep_encrypt(const wxp_verifier_class *const *ctx, const br_rsa_public_key *pk,
                                                 const wxp_random *rnd, const void *plain, size_t len,
                                                 unsigned char *out, size_t cap, size_t *out_len)
{
    unsigned char em[WXP_RSA_BYTES];
    size_t k = pk->nlen, db_len, n;
    EVP_PKEY_CTX *pc;
    br_sha1_context sc;
    int ok, slot;
    *out_len = 0;
    if (k > sizeof em || k < 2 * 20 + 2 || len > k - 2 * 20 - 2 || cap < k) return WXP_E_CRYPTO;
    /* EM = 0x00 || maskedSeed (20) || maskedDB; DB = lHash || 0.. || 0x01 || M */
    db_len = k - 20 - 1;
    memset(em, 0, k);
    if (rnd->fn(rnd->user, em + 1, 20) != 0) return WXP_E_RANDOM;
    br_sha1_init(&sc);
    br_sha1_out(&sc, em + 1 + 20); /* SHA-1 of the empty label */
    em[k - len - 1] = 0x01;
    memcpy(em + k - len, plain, len);
    wxp__ossl_mgf1_xor(em + 1 + 20, db_len, em + 1, 20);
    wxp__ossl_mgf1_xor(em + 1, 20, em + 1 + 20, db_len);
    slot = wxp__ossl_pubkey(wxp__ossl_verifier(ctx), pk);
    if (slot < 0 || !(pc = EVP_PKEY_CTX_new(wxp__ossl_verifier(ctx)->wxp__priv[slot].pkey, NULL))) {
        OPENSSL_cleanse(em, sizeof em);
        ERR_clear_error();
        return WXP_E_CRYPTO;
    }
    n = cap;
    ok = EVP_PKEY_encrypt_init(pc) > 0 && EVP_PKEY_CTX_set_rsa_padding(pc, RSA_NO_PADDING) > 0 &&
         EVP_PKEY_encrypt(pc, out, &n, em, k) > 0;
    EVP_PKEY_CTX_free(pc);
    OPENSSL_cleanse(em, sizeof em);
    if (!ok) {
        ERR_clear_error();
        return WXP_E_CRYPTO;
    }
    *out_len = n;
    return WXP_OK;
}

static const wxp_verifier_class wxp__ossl_verifier_class = { wxp__ossl_verify, wxp__ossl_oaep_encrypt };

/* ---- randomness ---------------------------------------------------------- */

WXP__OSSL_PRIVATE int wxp__ossl_random(void *user, void *buf, size_t len)
{
    unsigned char *p = (unsigned char *)buf;
    (void)user;
    while (len > 0) {
        int n = len > (size_t)INT_MAX ? INT_MAX : (int)len;
        if (RAND_bytes(p, n) != 1) {
            ERR_clear_error();
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

WXP_OPENSSL_API wxp_random wxp_openssl_random(void)
{
    wxp_random r;
    r.fn = wxp__ossl_random;
    r.user = NULL;
    return r;
}

/* ---- SHA-256 -------------------------------------------------------------- */

WXP_OPENSSL_API void wxp_openssl_sha256_parts(const wxp_str *parts, size_t n, unsigned char hash[32])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
    size_t i;
    for (i = 0; ok && i < n; i++) ok = EVP_DigestUpdate(ctx, parts[i].ptr, parts[i].len) == 1;
    ok = ok && EVP_DigestFinal_ex(ctx, hash, NULL) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        br_sha256_context h;
        ERR_clear_error();
        br_sha256_init(&h);
        for (i = 0; i < n; i++) br_sha256_update(&h, parts[i].ptr, parts[i].len);
        br_sha256_out(&h, hash);
    }
}

WXP_OPENSSL_API void wxp_openssl_verifier_init(wxp_openssl_verifier *v)
{
    memset(v, 0, sizeof *v);
    v->vtable = &wxp__ossl_verifier_class;
}

WXP_OPENSSL_API void wxp_openssl_verifier_free(wxp_openssl_verifier *v)
{
    unsigned i;
    if (!v) return;
    for (i = 0; i < WXP_OPENSSL_KEY_CACHE; i++) {
        EVP_PKEY_CTX_free(v->wxp__priv[i].vctx);
        EVP_PKEY_free(v->wxp__priv[i].pkey);
    }
    memset(v, 0, sizeof *v);
}

#ifdef __cplusplus
}
#endif

#endif /* WECHATPAY_OPENSSL_IMPLEMENTATION */
