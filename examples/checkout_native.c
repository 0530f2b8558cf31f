/* examples/checkout_native.c - take a payment: a Native order (the customer
   scans a QR code), the payment callback, the query, a refund.

   With no arguments it runs against the in-process simulator
   (transports/wechatpay_fake.h) with the throwaway keys of test_keys.h, and
   plays the customer too: after the order is placed the simulated customer
   pays it, the simulator builds the signed, AES-256-GCM encrypted
   TRANSACTION.SUCCESS callback WeChat Pay would POST to notify_url, and the
   merchant's side verifies and decodes it. Every answer is verified before a
   field is printed.

   Against the real API, build with -DWXP_EXAMPLE_CURL -lcurl (or
   -DWXP_EXAMPLE_SOCKET) and set the variables of examples/refund.c plus
   WXPAY_APPID and WXPAY_NOTIFY_URL: it places a 0.01 CNY order, prints the
   code_url to scan, waits for Enter, then queries the order (the callback
   goes to your notify_url, not here). */
#include "example_net.h"   /* first: the transport the build chose */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static example_sim sim;
static wxp_client c;

static void print_transaction(const char *title, const wxp_transaction *t)
{
    printf("%s\n", title);
    printf("  out_trade_no    %.*s\n", EXAMPLE_STR(t->out_trade_no));
    printf("  trade_state     %.*s (%.*s)\n", EXAMPLE_STR(t->trade_state), EXAMPLE_STR(t->trade_state_desc));
    if (t->transaction_id.len) printf("  transaction_id  %.*s\n", EXAMPLE_STR(t->transaction_id));
    if (t->success_time.len) printf("  success_time    %.*s\n", EXAMPLE_STR(t->success_time));
    if (t->payer.openid.len) printf("  payer           %.*s\n", EXAMPLE_STR(t->payer.openid));
    printf("  amount          %lld fen, payer paid %lld\n", t->amount.total, t->amount.payer_total);
}

/* The merchant's callback handler: what a notify_url endpoint does with the
   POST it receives (headers and body), and what it answers. */
static int on_callback(const wxp_notify_headers *h, char *body, size_t len)
{
    static unsigned char plain[4096];     /* the decrypted resource; not in io_buf */
    static wxp_promotion promo[4];
    wxp_notification n;
    wxp_transaction t;
    wxp_result r;
    char answer[128];
    size_t alen;
    int status;
    wxp_err e = wxp_notify_parse(&c, h, body, len, plain, sizeof plain, &n, &r);
    if (!e) {
        memset(&t, 0, sizeof t);
        memset(promo, 0, sizeof promo);
        t.promotion_detail = promo;
        t.promotion_detail_cap = 4;
        e = wxp_transaction_notify_decode(&c, &n, &t, &r);
        if (e == WXP_E_PARTIAL) e = WXP_OK; /* paid; more promotions than room is not a failure */
    }
    if (e) example_report("callback refused", e, &r);
    else {
        printf("\ncallback %.*s (%.*s): signature verified, resource decrypted\n", EXAMPLE_STR(n.event_type),
               EXAMPLE_STR(n.summary));
        print_transaction("paid:", &t);
    }
    /* 204 on success; otherwise 500 with {"code":"FAIL",...} so WeChat Pay sends it again. */
    if (wxp_notify_answer(e == WXP_OK, e ? "not processed" : NULL, answer, sizeof answer, &alen, &status) != WXP_OK)
        return 1;
    printf("  answered HTTP %d%s%.*s\n", status, alen ? " " : "", (int)alen, answer);
    return e != WXP_OK;
}

int main(void)
{
    static char body[4096], code_url[256];
    wxp_config cfg;
    wxp_result r;
    wxp_err e;
    wxp_prepay_req q;
    wxp_prepay_native out;
    wxp_transaction t;
    wxp_promotion promo[4];
    char otn[33];
    int real = getenv("WXPAY_MCHID") != NULL;

    memset(&q, 0, sizeof q);
    q.description = "Image形象店-深圳腾大-QQ公仔";
    q.notify_url = "https://merchant.example.com/wechatpay/notify";
    q.amount.total = 888;                 /* fen; currency defaults to CNY, appid and mchid to the config */
    q.attach = "table 12";
    if (!real) {
        printf("Running against the built-in WeChat Pay simulator with TEST keys "
               "(set WXPAY_MCHID etc. for the real API).\n\n");
        if ((e = example_sim_init(&sim, &cfg, &r)) != WXP_OK) return example_report("start the simulator", e, &r);
        cfg.appid = WXP_EXAMPLE_APPID;
        snprintf(otn, sizeof otn, "%s", "T20261203-0001");
    } else {
        const char *need[] = { "WXPAY_APPID", "WXPAY_NOTIFY_URL", NULL };
        int rc = example_real_config(&cfg, need, &r);
        if (rc) return rc;
        q.notify_url = getenv("WXPAY_NOTIFY_URL");
        q.amount.total = 1;
        snprintf(otn, sizeof otn, "T%lld", (long long)time(NULL));
    }
    q.out_trade_no = otn;
    if ((e = wxp_client_init(&c, &cfg, &r)) != WXP_OK) return example_report("client init", e, &r);

    /* 1. Place the order: it is booked NOTPAY; the code_url becomes the QR code.
          A retry reuses out_trade_no (same fields: the same order). */
    if ((e = wxp_transaction_create_native(&c, &q, &out, &r)) != WXP_OK) return example_report("place the order", e, &r);
    snprintf(code_url, sizeof code_url, "%.*s", EXAMPLE_STR(out.code_url)); /* io_buf is reused by the next call */
    printf("POST /v3/pay/transactions/native  (HTTP %d, answer signature verified)\n", r.status);
    printf("  show this as a QR code: %s\n", code_url);

    /* 2. The customer pays, and WeChat Pay POSTs the callback to notify_url. */
    if (!real) {
        size_t len;
        wxp_notify_headers h;
        if ((e = wxp_fake_pay_order(&sim.fake, otn, NULL)) != WXP_OK) return example_report("the customer pays", e, &r);
        printf("\n(the simulated customer scans the code and pays)\n");
        e = wxp_fake_notify_transaction(&sim.fake, wxp_cstr(WXP_TEST_APIV3_KEY), otn, body, sizeof body, &len, &h, &r);
        if (e) return example_report("build the callback", e, &r);
        if (on_callback(&h, body, len)) return 1;
    } else {
        printf("\nscan it and pay, then press Enter\n");
        (void)getchar();
    }

    /* 3. Ask: the callback may be late or lost; the query is the truth. */
    memset(&t, 0, sizeof t);
    memset(promo, 0, sizeof promo);
    t.promotion_detail = promo;
    t.promotion_detail_cap = 4;
    e = wxp_transaction_by_out_trade_no(&c, otn, &t, &r);
    if (e && e != WXP_E_PARTIAL) return example_report("query the order", e, &r);
    printf("\nGET /v3/pay/transactions/out-trade-no/%s  (HTTP %d, answer signature verified)\n", otn, r.status);
    print_transaction("order now:", &t);

    /* 4. Refund part of it (a paid order only). */
    if (!real && t.trade_state.len == 7 && memcmp(t.trade_state.ptr, "SUCCESS", 7) == 0) {
        wxp_refund_req rq;
        wxp_refund rf;
        memset(&rq, 0, sizeof rq);
        rq.out_trade_no = otn;
        rq.out_refund_no = "R20261203-0001";   /* reuse it on retry: never a new one */
        rq.reason = "one item returned";
        rq.amount.refund = 100;
        rq.amount.total = t.amount.total;
        memset(&rf, 0, sizeof rf);
        e = wxp_refund_create(&c, &rq, &rf, &r);
        if (e && e != WXP_E_PARTIAL) return example_report("refund", e, &r);
        printf("\nPOST /v3/refund/domestic/refunds  (HTTP %d): refund %.*s %.*s, %lld fen\n", r.status,
               EXAMPLE_STR(rf.out_refund_no), EXAMPLE_STR(rf.status), rf.amount.refund);
    }
    wxp_client_wipe(&c);
    return 0;
}
