/* examples/refund_v2.c - an APIv2 refund with single-item discounts
   (POST /secapi/pay/refundv2, XML, HMAC-SHA256 `sign`, mutual TLS), then
   POST /pay/refundquery, against the simulator with throwaway test keys.

   APIv2 needs the APIv2 key (config.apiv2_key) and, for /secapi/ paths, the
   merchant's client certificate (config.client_cert: apiclient_cert.pem and
   apiclient_key.pem; from the p12: `openssl pkcs12 -in apiclient_cert.p12
   -clcerts -nokeys -out apiclient_cert.pem` and `... -nocerts -nodes -out
   apiclient_key.pem`, password = mchid). The transport presents it; the
   simulator refuses /secapi/ calls without it, as WeChat Pay does. */
#define WECHATPAY_IMPLEMENTATION
#define WECHATPAY_FAKE_IMPLEMENTATION
#include "wechatpay.h"
#include "transports/wechatpay_fake.h"
#include <stdio.h>
#include "example_sim.h"

static example_sim sim;
static wxp_client c;

int main(void)
{
    wxp_config cfg;
    wxp_result r;
    wxp_err e;
    wxp_v2_refund_req req;
    wxp_v2_refund_result out;
    wxp_v2_coupon coupons[4];
    wxp_v2_refundquery_req q;
    wxp_v2_refundquery_result qr;
    wxp_v2_refund_item items[4];
    wxp_v2_coupon item_coupons[4][4];
    size_t i, k;

    if ((e = example_sim_init(&sim, &cfg, &r)) != WXP_OK) return example_report("simulator", e, &r);
    /* The simulator only looks for the certificate's presence; a real transport
       (transports/wechatpay_curl.h) sends these PEM blobs in the TLS handshake. */
    cfg.client_cert.cert_pem = wxp_cstr("-----BEGIN CERTIFICATE-----\n(apiclient_cert.pem)\n");
    cfg.client_cert.key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    if ((e = wxp_client_init(&c, &cfg, &r)) != WXP_OK) return example_report("client init", e, &r);
    /* An order of 6.08 CNY paid partly with a 0.50 CNY coupon. */
    if ((e = wxp_fake_add_order(&sim.fake, "1415757673", "4006252001201705123297353072", 608)) ||
        (e = wxp_fake_order_coupon(&sim.fake, "1415757673", "COUPON-01", "CASH", 50)))
        return example_report("simulator order", e, &r);

    memset(&req, 0, sizeof req);
    req.appid = WXP_EXAMPLE_APPID;
    req.out_trade_no = "1415757673";
    req.out_refund_no = "1415701182";
    req.total_fee = 608;
    req.refund_fee = 304;
    req.refund_desc = "一件商品退货";
    req.detail = "{\"goods_detail\":[{\"goods_id\":\"商品编码\",\"quantity\":1,\"price\":304,\"refund_fee\":304}]}";
    memset(&out, 0, sizeof out);
    out.coupon = coupons;
    out.coupon_cap = 4;
    e = wxp_v2_refundv2(&c, &req, &out, &r);
    if (e) return example_report("refundv2", e, &r);
    printf("POST /secapi/pay/refundv2 (client certificate presented, answer sign verified)\n");
    printf("  refund_id %.*s: %lld of %lld fen, cash %lld, coupons %lld in %u part(s)\n", EXAMPLE_STR(out.refund_id),
           out.refund_fee, out.total_fee, out.cash_refund_fee, out.coupon_refund_fee, (unsigned)out.coupon_count);
    for (i = 0; i < out.coupon_count; i++)
        printf("  coupon_refund_id_%u %.*s %.*s %lld fen\n", (unsigned)i, EXAMPLE_STR(coupons[i].coupon_refund_id),
               EXAMPLE_STR(coupons[i].coupon_type), coupons[i].coupon_refund_fee);

    memset(&q, 0, sizeof q);
    q.appid = req.appid;
    q.out_trade_no = req.out_trade_no;
    memset(&qr, 0, sizeof qr);
    memset(items, 0, sizeof items);
    for (i = 0; i < 4; i++) {
        items[i].coupon = item_coupons[i];
        items[i].coupon_cap = 4;
    }
    qr.refunds = items;
    qr.refunds_cap = 4;
    e = wxp_v2_refundquery(&c, &q, &qr, &r);
    if (e) return example_report("refundquery", e, &r);
    printf("POST /pay/refundquery: %lld refund(s) on order %.*s\n", qr.refund_count, EXAMPLE_STR(qr.out_trade_no));
    for (i = 0; i < qr.refunds_count; i++) {
        printf("  out_refund_no_%u %.*s %.*s %lld fen to %.*s\n", (unsigned)i, EXAMPLE_STR(items[i].out_refund_no),
               EXAMPLE_STR(items[i].refund_status), items[i].refund_fee, EXAMPLE_STR(items[i].refund_recv_accout));
        for (k = 0; k < items[i].coupon_count; k++)
            printf("    coupon_refund_id_%u_%u %.*s %lld fen\n", (unsigned)i, (unsigned)k,
                   EXAMPLE_STR(item_coupons[i][k].coupon_refund_id), item_coupons[i][k].coupon_refund_fee);
    }

    /* Without the client certificate the request is not even sent. */
    c.wxp__priv.cfg.client_cert.cert_pem = wxp_cstr("");
    e = wxp_v2_refund(&c, &req, &out, &r);
    printf("a secapi call without the certificate: %s (field %s)\n", wxp_strerror(e), r.field);
    wxp_client_wipe(&c);
    return 0;
}
