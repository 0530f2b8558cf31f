/* examples/refund.c - apply for a refund, then query it (APIv3, typed calls).

   With no arguments it runs against the in-process simulator
   (transports/wechatpay_fake.h) with the throwaway keys of examples/test_keys.h,
   so a new user sees a whole signed round trip without credentials: the
   request is signed, the simulator checks that signature as WeChat Pay would,
   its answer is signed, and the client verifies it before printing a field.

   Against the real API, build with a network transport:
       -DWXP_EXAMPLE_CURL -lcurl      libcurl (transports/wechatpay_curl.h)
       -DWXP_EXAMPLE_SOCKET           sockets + BearSSL TLS (wechatpay_socket.h),
                                      trusting the CA bundle in WXPAY_CA_FILE
                                      (default /etc/ssl/certs/ca-certificates.crt)
   and set WXPAY_MCHID, WXPAY_SERIAL (merchant certificate serial), WXPAY_KEY_FILE
   (apiclient_key.pem), WXPAY_PUBKEY_ID + WXPAY_PUBKEY_FILE (WeChat Pay public key),
   and the refund: WXPAY_OUT_TRADE_NO, WXPAY_TOTAL (fen), WXPAY_REFUND (fen).
   Every buffer below is static or on the stack: the library never allocates. */
#include "example_net.h"   /* first: the transport the build chose */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static example_sim sim;

static void print_refund(const char *title, const wxp_refund *rf)
{
    size_t i;
    printf("%s\n", title);
    printf("  refund_id      %.*s\n", (int)rf->refund_id.len, rf->refund_id.ptr);
    printf("  out_refund_no  %.*s\n", (int)rf->out_refund_no.len, rf->out_refund_no.ptr);
    printf("  out_trade_no   %.*s\n", (int)rf->out_trade_no.len, rf->out_trade_no.ptr);
    printf("  status         %.*s\n", (int)rf->status.len, rf->status.ptr);
    printf("  channel        %.*s\n", (int)rf->channel.len, rf->channel.ptr);
    printf("  account        %.*s\n", (int)rf->user_received_account.len, rf->user_received_account.ptr);
    printf("  amount         refund %lld of %lld %.*s (payer refund %lld)\n", rf->amount.refund,
           rf->amount.total, (int)rf->amount.currency.len, rf->amount.currency.ptr, rf->amount.payer_refund);
    for (i = 0; i < rf->amount.from_count; i++)
        printf("  from           %.*s %lld\n", (int)rf->amount.from[i].account.len, rf->amount.from[i].account.ptr,
               rf->amount.from[i].amount);
}

int main(void)
{
    static wxp_client c;
    wxp_config cfg;
    wxp_result r;
    wxp_err e;
    wxp_refund_req req;
    wxp_refund out;
    wxp_refund_from from[4];
    wxp_refund_promotion promo[4];
    const char *out_trade_no = "1217752501201407033233368018";
    long long total = 888, refund = 100;
    int real = getenv("WXPAY_MCHID") != NULL;

    if (!real) {
        printf("Running against the built-in WeChat Pay simulator with TEST keys "
               "(set WXPAY_MCHID etc. for the real API).\n\n");
        if ((e = example_sim_init(&sim, &cfg, &r)) != WXP_OK ||
            (e = wxp_fake_add_order(&sim.fake, out_trade_no, "4200000000201407033233368018", total)) != WXP_OK)
            return example_report("start the simulator", e, &r);
    } else {
        const char *need[] = { "WXPAY_OUT_TRADE_NO", "WXPAY_TOTAL", "WXPAY_REFUND", NULL };
        int rc = example_real_config(&cfg, need, &r);
        if (rc) return rc;
        out_trade_no = getenv("WXPAY_OUT_TRADE_NO");
        total = atoll(getenv("WXPAY_TOTAL"));
        refund = atoll(getenv("WXPAY_REFUND"));
    }

    e = wxp_client_init(&c, &cfg, &r);
    if (e) return example_report("client init", e, &r);

    /* 1. Apply for a refund. out_refund_no is the merchant's request number: a
          retry must reuse it, so the same refund is never booked twice. */
    memset(&req, 0, sizeof req);
    req.out_trade_no = out_trade_no;
    req.out_refund_no = "R20261123-0001";
    req.reason = "商品已售完";
    req.notify_url = "https://merchant.example.com/wechatpay/refund-notify";
    req.amount.refund = refund;
    req.amount.total = total;            /* currency defaults to CNY */
    memset(&out, 0, sizeof out);
    memset(promo, 0, sizeof promo); /* nested arrays: each element's pointer and cap are read */
    out.amount.from = from;
    out.amount.from_cap = 4;
    out.promotion_detail = promo;
    out.promotion_detail_cap = 4;
    e = wxp_refund_create(&c, &req, &out, &r);
    if (e) return example_report("apply for a refund", e, &r);
    printf("POST /v3/refund/domestic/refunds  (HTTP %d, Request-ID %s, answer signature verified)\n",
           r.status, r.request_id);
    print_refund("refund accepted:", &out);

    /* 2. Query it: the answer to the apply call only says it was accepted. */
    e = wxp_refund_query(&c, req.out_refund_no, NULL, &out, &r);
    if (e) return example_report("query the refund", e, &r);
    printf("\nGET /v3/refund/domestic/refunds/%s  (HTTP %d, answer signature verified)\n", req.out_refund_no,
           r.status);
    print_refund("refund now:", &out);

    /* 3. Asking for more than is left is refused by WeChat Pay (400 INVALID_REQUEST). */
    req.out_refund_no = "R20261123-0002";
    req.amount.refund = total;
    e = wxp_refund_create(&c, &req, &out, &r);
    printf("\na second refund of the whole order: %s %s - %s\n", wxp_strerror(e), r.code, r.message);

    wxp_client_wipe(&c);
    return 0;
}
