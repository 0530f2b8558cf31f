/* tests/m4/m4_app.h - what every party of the Cortex-M4 run does the same way:
   the terminal's client set-up (test keys, a fixed clock the sale's sleep
   moves, a deterministic random source) and the requests it sends. The host
   recorder (record.c), the simulator image (sim.c) and the library images
   (refund.c, pos.c) include it, so that the answers recorded on the host are
   the answers to the requests the images make. Include after wechatpay.h. */
#ifndef M4_APP_H
#define M4_APP_H
#include "examples/test_keys.h"
#include <string.h>

/* Each image uses a part of this file. */
#define M4_FN static __attribute__((unused))

#define M4_APPID      "wx2421b1c4370ec43b"
#define M4_ORDER      "T20261203M4"
#define M4_REFUND_NO  "R20261203M4-1"
#define M4_SALE_ORDER "POS20261203M4001"
#define M4_AUTH_CODE  "134567890123456789"   /* pays after one poll (the simulator's customer) */
#define M4_NOW        1795425372LL

typedef struct m4_terminal {
    wxp_keystore keys;
    wxp_pubkey   slots[1];
    long long    now;        /* the terminal's clock, in seconds */
    unsigned     carry_ms;
    uint32_t     rng;
} m4_terminal;

M4_FN long long m4_clock(void *user) { return ((m4_terminal *)user)->now; }

/* A board fills this from its TRNG; here xorshift32 (test keys, test answers). */
M4_FN int m4_random(void *user, void *buf, size_t len)
{
    m4_terminal *t = (m4_terminal *)user;
    unsigned char *p = (unsigned char *)buf;
    while (len--) {
        t->rng ^= t->rng << 13;
        t->rng ^= t->rng >> 17;
        t->rng ^= t->rng << 5;
        *p++ = (unsigned char)t->rng;
    }
    return 0;
}

/* The sale's sleep: a terminal sleeps; here the clock moves. */
M4_FN void m4_sleep(void *user, unsigned ms)
{
    m4_terminal *t = (m4_terminal *)user;
    t->carry_ms += ms;
    t->now += t->carry_ms / 1000;
    t->carry_ms %= 1000;
}

/* The client's config: the merchant key, WeChat Pay's public key, the keys
   of test_keys.h, the terminal's clock and random source. */
M4_FN wxp_err m4_config(m4_terminal *t, wxp_config *cfg, void *io, size_t io_size, wxp_result *r)
{
    wxp_err e;
    memset(cfg, 0, sizeof *cfg);
    t->now = M4_NOW;
    t->carry_ms = 0;
    t->rng = 0x2545F491u;
    wxp_keystore_init(&t->keys, t->slots, 1);
    e = wxp_keystore_add_pubkey(&t->keys, WXP_TEST_PUB_KEY_ID, wxp_cstr(WXP_TEST_WECHATPAY_PUB), r);
    if (e) return e;
    cfg->mchid = WXP_TEST_MCHID;
    cfg->serial = WXP_TEST_SERIAL;
    cfg->private_key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    cfg->apiv3_key = wxp_cstr(WXP_TEST_APIV3_KEY);
    cfg->keys = &t->keys;
    cfg->clock.fn = m4_clock;
    cfg->clock.user = t;
    cfg->random.fn = m4_random;
    cfg->random.user = t;
    cfg->io_buf = io;
    cfg->io_buf_size = io_size;
    return WXP_OK;
}

M4_FN void m4_refund_req(wxp_refund_req *req)
{
    memset(req, 0, sizeof *req);
    req->out_trade_no = M4_ORDER;
    req->out_refund_no = M4_REFUND_NO;
    req->amount.refund = 200;
    req->amount.total = 500;
}

M4_FN int m4_str_is(wxp_str s, const char *want) { return s.len == strlen(want) && !memcmp(s.ptr, want, s.len); }

#ifndef WXP_NO_V2
/* APIv2: the sale also needs the APIv2 key and, for reverse, the merchant
   certificate (mutual TLS; the simulator checks that one is presented). */
M4_FN void m4_config_v2(wxp_config *cfg)
{
    cfg->apiv2_key = wxp_cstr(WXP_TEST_APIV2_KEY);
    cfg->client_cert.cert_pem = wxp_cstr("-----BEGIN CERTIFICATE-----\n(apiclient_cert.pem)\n");
    cfg->client_cert.key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
}

M4_FN void m4_sale_req(m4_terminal *t, wxp_micropay_req *req, wxp_sale_config *sc)
{
    memset(req, 0, sizeof *req);
    req->appid = M4_APPID;
    req->device_info = "POS-M4";
    req->body = "M4 terminal sale";
    req->out_trade_no = M4_SALE_ORDER;
    req->total_fee = 2350;
    req->spbill_create_ip = "192.168.1.20";
    req->auth_code = M4_AUTH_CODE;
    memset(sc, 0, sizeof *sc);   /* defaults: poll every 5 s for 30 s */
    sc->sleep = m4_sleep;
    sc->user = t;
}
#endif

#endif
