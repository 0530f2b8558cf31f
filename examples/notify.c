/* examples/notify.c - receive a WeChat Pay callback: verify, decrypt, answer.

   A callback (notification) is an HTTPS POST from WeChat Pay to the merchant's
   notify_url. Its signature is checked exactly like an API answer's (headers
   Wechatpay-Timestamp/Nonce/Signature/Serial, clock within 300 s, a key the
   store holds), then `resource` is decrypted with the APIv3 key
   (AEAD_AES_256_GCM). Only then may a field be trusted.

   Your web server hands the four headers and the body to wxp_notify_parse and
   sends back what wxp_notify_answer says. Here the simulator plays WeChat Pay:
   it books a refund, emits the REFUND.SUCCESS callback for it, and then the
   same callback with one byte changed, which must be refused. A replay guard
   (a tiny nonce cache) refuses the second delivery of the genuine one. */
#define WECHATPAY_IMPLEMENTATION
#define WECHATPAY_FAKE_IMPLEMENTATION
#include "wechatpay.h"
#include "transports/wechatpay_fake.h"
#include <stdio.h>
#include <string.h>
#include "example_sim.h"

static example_sim sim;

/* Remembers the last nonces seen; a real server keeps them for 5 minutes. */
typedef struct nonce_cache { char seen[8][WXP_NONCE_LEN + 1]; unsigned next; } nonce_cache;

static int seen_before(void *user, wxp_str nonce, long long timestamp)
{
    nonce_cache *nc = (nonce_cache *)user;
    unsigned i;
    (void)timestamp;
    if (nonce.len > WXP_NONCE_LEN) return 1;
    for (i = 0; i < 8; i++)
        if (strlen(nc->seen[i]) == nonce.len && memcmp(nc->seen[i], nonce.ptr, nonce.len) == 0) return 1;
    memcpy(nc->seen[nc->next % 8], nonce.ptr, nonce.len);
    nc->seen[nc->next++ % 8][nonce.len] = 0;
    return 0;
}

/* What the merchant's HTTP handler does with one delivery; returns the verdict. */
static wxp_err handle(wxp_client *c, const wxp_notify_headers *h, char *body, size_t len)
{
    static unsigned char plain[4096];
    char answer[256];
    size_t alen;
    int status;
    wxp_notification n;
    wxp_refund_notify rn;
    wxp_result r;
    wxp_err e = wxp_notify_parse(c, h, body, len, plain, sizeof plain, &n, &r);
    if (e == WXP_OK) e = wxp_refund_notify_decode(&n, &rn, &r);
    if (e == WXP_OK) {
        printf("  verified %.*s %.*s: refund %.*s of order %.*s is %.*s, %lld fen to %.*s\n", (int)n.event_type.len,
               n.event_type.ptr, (int)n.id.len, n.id.ptr, (int)rn.out_refund_no.len, rn.out_refund_no.ptr,
               (int)rn.out_trade_no.len, rn.out_trade_no.ptr, (int)rn.refund_status.len, rn.refund_status.ptr,
               rn.amount.refund, (int)rn.user_received_account.len, rn.user_received_account.ptr);
    } else {
        printf("  refused: %s (%s)\n", wxp_strerror(e), r.message);
    }
    /* A repeat of a callback already handled is acknowledged, so WeChat Pay
       stops resending it; it is never processed twice. */
    if (e == WXP_E_REPLAY) printf("  (already handled: acknowledged, not processed again)\n");
    if (wxp_notify_answer(e == WXP_OK || e == WXP_E_REPLAY, "verification failed", answer, sizeof answer, &alen,
                          &status) == WXP_OK)
        printf("  answer: HTTP %d %.*s\n", status, (int)alen, answer);
    return e;
}

/* make test runs this example as a check: each delivery must get its verdict. */
static int expect(const char *what, wxp_err got, wxp_err want)
{
    if (got == want) return 0;
    printf("FAIL: %s: %s, expected %s\n", what, wxp_strerror(got), wxp_strerror(want));
    return 1;
}

int main(void)
{
    static wxp_client c;
    static char body[8192], copy[8192];
    nonce_cache cache;
    wxp_config cfg;
    wxp_notify_headers h;
    wxp_result r;
    wxp_err e;
    size_t len;
    int bad = 0;

    memset(&cache, 0, sizeof cache);
    if ((e = example_sim_init(&sim, &cfg, &r)) != WXP_OK ||
        (e = wxp_fake_add_order(&sim.fake, "T20261123", NULL, 500)) != WXP_OK)
        return example_report("simulator", e, &r);
    cfg.replay.fn = seen_before;
    cfg.replay.user = &cache;
    if ((e = wxp_client_init(&c, &cfg, &r)) != WXP_OK) return example_report("client", e, &r);
    {   /* A refund for the callback to be about. */
        wxp_refund_req req;
        wxp_refund out;
        memset(&req, 0, sizeof req);
        memset(&out, 0, sizeof out);
        req.out_trade_no = "T20261123";
        req.out_refund_no = "R20261123-7";
        req.amount.refund = 200;
        req.amount.total = 500;
        if ((e = wxp_refund_create(&c, &req, &out, &r)) != WXP_OK) return example_report("refund", e, &r);
    }

    e = wxp_fake_notify_refund(&sim.fake, cfg.apiv3_key, "R20261123-7", body, sizeof body, &len, &h, &r);
    if (e) {
        printf("simulator callback: %s\n", wxp_strerror(e));
        return 1;
    }
    printf("1. the genuine callback (%u bytes):\n", (unsigned)len);
    memcpy(copy, body, len); /* parsing unescapes in place: keep the bytes for the replay */
    bad |= expect("genuine callback", handle(&c, &h, body, len), WXP_OK);

    printf("2. the same callback delivered again:\n");
    memcpy(body, copy, len);
    bad |= expect("replayed callback", handle(&c, &h, body, len), WXP_E_REPLAY);

    printf("3. a forged callback (one byte of the body changed):\n");
    e = wxp_fake_notify_refund(&sim.fake, cfg.apiv3_key, "R20261123-7", body, sizeof body, &len, &h, &r);
    if (e) return 1;
    body[len / 2] ^= 1;
    bad |= expect("forged callback", handle(&c, &h, body, len), WXP_E_SIGNATURE);
    wxp_client_wipe(&c);
    return bad;
}
