/* tests/fuzz/fuzz.h - what the libFuzzer targets share. Include after
   wechatpay.h. Functions are static inline: a target that uses only some of
   them still builds under -Werror (-Wunused-function). fixed_clock needs
   FUZZ_NOW defined before the include: each target's signed inputs were made
   at their own time; wechatpay_keys needs examples/test_keys.h included first. */
#ifndef WXP_FUZZ_H
#define WXP_FUZZ_H

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A failed check is a crash libFuzzer reports, whatever NDEBUG says. */
#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

/* Heap blocks of exactly n bytes, so ASan sees any access past them. */
static inline void *block(size_t n)
{
    void *p = malloc(n ? n : 1);
    CHECK(p != NULL);
    return p;
}

static inline char *dup_exact(const uint8_t *data, size_t n)
{
    char *p = (char *)block(n);
    if (n) memcpy(p, data, n);
    return p;
}

#ifdef FUZZ_NOW
static inline long long fixed_clock(void *user) { (void)user; return FUZZ_NOW; }
#endif

/* Every "random" byte 0x42: the committed seeds were made that way. */
static inline int fixed_random(void *user, void *buf, size_t len)
{
    (void)user;
    memset(buf, 0x42, len);
    return 0;
}

/* A refund answer's caller-side room: 3 from[] and 2 promotions of 2 goods. */
typedef struct refund_room {
    wxp_refund_from from[3];
    wxp_refund_goods goods[2][2];
    wxp_refund_promotion promo[2];
} refund_room;

static inline void refund_out(wxp_refund *out, refund_room *room)
{
    size_t i;
    memset(out, 0, sizeof *out);
    memset(room->promo, 0, sizeof room->promo);
    out->amount.from = room->from;
    out->amount.from_cap = 3;
    out->promotion_detail = room->promo;
    out->promotion_detail_cap = 2;
    for (i = 0; i < 2; i++) {
        room->promo[i].goods_detail = room->goods[i];
        room->promo[i].goods_detail_cap = 2;
    }
}

#ifdef WXP_TEST_KEYS_H
/* The key store of the targets that verify answers: the WeChat Pay public
   key, loaded on the first call. */
static inline wxp_keystore *wechatpay_keys(void)
{
    static wxp_pubkey slots[1];
    static wxp_keystore keys;
    static int loaded;
    wxp_result r;
    if (!loaded) {
        wxp_keystore_init(&keys, slots, 1);
        CHECK(wxp_keystore_add_pubkey(&keys, WXP_TEST_PUB_KEY_ID, wxp_cstr(WXP_TEST_WECHATPAY_PUB), &r) == WXP_OK);
        loaded = 1;
    }
    return &keys;
}
#endif

/* A verifier that runs the real RSA check and then accepts anyway, so mutated
   bodies reach the parsers and decoders (a fuzzer cannot forge a signature). */
static inline int trusting_verify(const wxp_verifier_class *const *ctx, const br_rsa_public_key *pk,
                                  const unsigned char hash[32], const unsigned char *sig, size_t sig_len)
{
    const wxp_verifier_class *const *real = wxp_bearssl_verifier();
    (void)ctx;
    (void)(*real)->verify_sha256(real, pk, hash, sig, sig_len);
    return 1;
}
static inline wxp_err trusting_oaep(const wxp_verifier_class *const *ctx, const br_rsa_public_key *pk,
                                    const wxp_random *rnd, const void *plain, size_t len, unsigned char *out,
                                    size_t cap, size_t *out_len)
{
    (void)ctx;
    return (*wxp_bearssl_verifier())->oaep_encrypt(wxp_bearssl_verifier(), pk, rnd, plain, len, out, cap, out_len);
}
static const wxp_verifier_class trusting_class = { trusting_verify, trusting_oaep };
static const wxp_verifier_class *const trusting = &trusting_class;

#endif
