/* tests/footprint/stack.c - the peak stack of single APIv3 and APIv2 calls,
   measured. Each call runs on a stack of its own (ucontext) painted with a
   pattern; the deepest byte that no longer holds the pattern is the
   high-water mark. Everything the call runs is counted: the library, BearSSL
   (RSA signing with the merchant key, verification, SHA-256, HMAC), the
   transport callback, which replays a prepared answer. The client, the key
   store and the I/O buffer are static, as a POS keeps them.
   Run from the repository root; tests/footprint/size.sh builds and runs it. */
#define _XOPEN_SOURCE 600
#define WECHATPAY_IMPLEMENTATION
#include "wechatpay.h"
#include "examples/test_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#define NOW 1795425469LL
#define STACK_BYTES (256 * 1024)
#define PAINT 0xA5

static unsigned char io[WXP_IO_BUFSIZE_DEFAULT];
static wxp_pubkey slots[1];
static wxp_keystore keys;
static wxp_client client;
static unsigned char stack_area[STACK_BYTES];
static ucontext_t main_ctx, call_ctx;
static wxp_err call_err;
static wxp_result call_res;

/* The prepared answer the transport replays. */
static struct {
    const char *ts, *nonce, *serial;
    char sig[WXP_SIG_B64_MAX + 1];
    char body[4096];
    size_t body_len;
    int v2;
} ans;

static long long fixed_clock(void *user) { (void)user; return NOW; }

static int replay(void *user, const wxp_http_request *req, wxp_http_response *res, char *errbuf,
                  size_t errbuf_size)
{
    (void)user; (void)req; (void)errbuf; (void)errbuf_size;
    wxp_http_response_status(res, 200);
    wxp_http_response_header(res, "Request-ID", 10, "08F8A5A0B4061010", 16);
    if (!ans.v2) {
        wxp_http_response_header(res, "Wechatpay-Timestamp", 19, ans.ts, strlen(ans.ts));
        wxp_http_response_header(res, "Wechatpay-Nonce", 15, ans.nonce, strlen(ans.nonce));
        wxp_http_response_header(res, "Wechatpay-Signature", 19, ans.sig, strlen(ans.sig));
        wxp_http_response_header(res, "Wechatpay-Serial", 16, ans.serial, strlen(ans.serial));
    }
    (void)wxp_http_response_write(res, ans.body, ans.body_len);
    return 0;
}

static void fail(const char *what, wxp_err e, const wxp_result *r)
{
    fprintf(stderr, "stack: %s: %s [%s] %s\n", what, wxp_strerror(e), r->field, r->message);
    exit(1);
}

/* A v3 answer signed with the test platform key, as WeChat Pay signs it. */
static void prepare_v3(const char *body)
{
    static wxp_rsa_key platform;
    wxp_result r;
    wxp_str parts[6];
    wxp_err e;
    char msg[4200];
    size_t n;
    ans.v2 = 0;
    ans.ts = "1795425469";
    ans.nonce = "XGYykhwwihWGvg7Jcqu8i4M9Ypo1wzZp";
    ans.serial = WXP_TEST_PUB_KEY_ID;
    ans.body_len = strlen(body);
    memcpy(ans.body, body, ans.body_len);
    e = wxp_rsa_key_load(&platform, wxp_cstr(WXP_TEST_PLATFORM_KEY), &r);
    if (e) fail("platform key", e, &r);
    parts[0] = wxp_cstr(ans.ts); parts[1] = wxp_cstr("\n");
    parts[2] = wxp_cstr(ans.nonce); parts[3] = parts[1];
    parts[4] = wxp_cstr(body); parts[5] = parts[1];
    for (n = 0, msg[0] = 0; n < 6; n++) strncat(msg, parts[n].ptr, parts[n].len);
    e = wxp_sign_base64(&platform.vtable, msg, strlen(msg), ans.sig, sizeof ans.sig, NULL, &r);
    if (e) fail("sign answer", e, &r);
}

/* A v2 answer signed with the test APIv2 key (HMAC-SHA256). */
static void prepare_v2(void)
{
    static const char *const f[][2] = {
        { "return_code", "SUCCESS" }, { "return_msg", "OK" }, { "result_code", "SUCCESS" },
        { "appid", "wx2421b1c4370ec43b" }, { "mch_id", WXP_TEST_MCHID },
        { "transaction_id", "1008450740201411110005820873" }, { "out_trade_no", "1415757673" },
        { "out_refund_no", "1415701182" }, { "refund_id", "2008450740201411110000174436" },
        { "refund_fee", "1" }, { "total_fee", "1" }, { "cash_fee", "1" }, { "refund_count", "1" },
        { "out_refund_no_0", "1415701182" }, { "refund_id_0", "2008450740201411110000174436" },
        { "refund_fee_0", "1" }, { "refund_status_0", "SUCCESS" },
        { "coupon_refund_count_0", "1" }, { "coupon_type_0_0", "CASH" },
        { "coupon_refund_fee_0_0", "1" }, { "coupon_refund_id_0_0", "C1" },
    };
    wxp_kv kv[32];
    char sign[65];
    wxp_result r;
    size_t n = sizeof f / sizeof f[0], i;
    wxp_err e;
    for (i = 0; i < n; i++) { kv[i].key = wxp_cstr(f[i][0]); kv[i].value = wxp_cstr(f[i][1]); }
    e = wxp_v2_sign(kv, n, wxp_cstr(WXP_TEST_APIV2_KEY), WXP_V2_HMAC_SHA256, sign, &r);
    if (e) fail("v2 sign", e, &r);
    kv[n].key = wxp_cstr("sign");
    kv[n].value = wxp_cstr(sign);
    e = wxp_xml_write(ans.body, sizeof ans.body, kv, n + 1, &ans.body_len, &r);
    if (e) fail("v2 xml", e, &r);
    ans.v2 = 1;
}

static const char REFUND_JSON[] =
    "{\"refund_id\":\"50000000382019052709732678859\",\"out_refund_no\":\"R20261123-0001\","
    "\"transaction_id\":\"1217752501201407033233368018\",\"out_trade_no\":\"1217752501201407033233368018\","
    "\"channel\":\"ORIGINAL\",\"user_received_account\":\"\\u62db\\u5546\\u94f6\\u884c\",\"success_time\":"
    "\"2020-12-01T16:18:12+08:00\",\"create_time\":\"2020-12-01T16:18:12+08:00\",\"status\":\"SUCCESS\","
    "\"funds_account\":\"UNSETTLED\",\"amount\":{\"total\":888,\"refund\":100,\"from\":[{\"account\":"
    "\"AVAILABLE\",\"amount\":100}],\"payer_total\":888,\"payer_refund\":100,\"settlement_refund\":100,"
    "\"settlement_total\":888,\"discount_refund\":0,\"currency\":\"CNY\"}}";

static void call_nothing(void) { call_err = WXP_OK; }

static void call_v3_refund_create(void)
{
    wxp_refund_req q;
    wxp_refund out;
    wxp_refund_from from[2];
    memset(&q, 0, sizeof q);
    memset(&out, 0, sizeof out);
    q.out_trade_no = "1217752501201407033233368018";
    q.out_refund_no = "R20261123-0001";
    q.reason = "returned";
    q.amount.refund = 100;
    q.amount.total = 888;
    out.amount.from = from;
    out.amount.from_cap = 2;
    call_err = wxp_refund_create(&client, &q, &out, &call_res);
}

static void call_v3_refund_query(void)
{
    wxp_refund out;
    wxp_refund_from from[2];
    memset(&out, 0, sizeof out);
    out.amount.from = from;
    out.amount.from_cap = 2;
    call_err = wxp_refund_query(&client, "R20261123-0001", NULL, &out, &call_res);
}

static void call_v2_refund(void)
{
    wxp_v2_refund_req q;
    wxp_v2_refund_result out;
    wxp_v2_coupon coupons[2];
    memset(&q, 0, sizeof q);
    memset(&out, 0, sizeof out);
    q.appid = "wx2421b1c4370ec43b";
    q.out_trade_no = "1415757673";
    q.out_refund_no = "1415701182";
    q.total_fee = 1;
    q.refund_fee = 1;
    out.coupon = coupons;
    out.coupon_cap = 2;
    call_err = wxp_v2_refund(&client, &q, &out, &call_res);
}

static void call_v2_refundquery(void)
{
    wxp_v2_refundquery_req q;
    wxp_v2_refundquery_result out;
    wxp_v2_refund_item items[2];
    wxp_v2_coupon coupons[2][2];
    memset(&q, 0, sizeof q);
    memset(&out, 0, sizeof out);
    memset(items, 0, sizeof items);
    q.appid = "wx2421b1c4370ec43b";
    q.out_refund_no = "1415701182";
    out.refunds = items;
    out.refunds_cap = 2;
    items[0].coupon = coupons[0]; items[0].coupon_cap = 2;
    items[1].coupon = coupons[1]; items[1].coupon_cap = 2;
    call_err = wxp_v2_refundquery(&client, &q, &out, &call_res);
}

/* Runs fn on the painted stack; returns the bytes it touched. */
static size_t measure(void (*fn)(void))
{
    size_t i;
    memset(stack_area, PAINT, sizeof stack_area);
    if (getcontext(&call_ctx) != 0) { perror("getcontext"); exit(1); }
    call_ctx.uc_stack.ss_sp = stack_area;
    call_ctx.uc_stack.ss_size = sizeof stack_area;
    call_ctx.uc_link = &main_ctx;
    makecontext(&call_ctx, fn, 0);
    if (swapcontext(&main_ctx, &call_ctx) != 0) { perror("swapcontext"); exit(1); }
    for (i = 0; i < sizeof stack_area && stack_area[i] == PAINT; i++) continue;
    return sizeof stack_area - i; /* the stack grows down from the end */
}

int main(void)
{
    static const struct { const char *name; void (*fn)(void); int v2; } calls[] = {
        { "v3 wxp_refund_create (POST, RSA sign + verify, JSON in and out)", call_v3_refund_create, 0 },
        { "v3 wxp_refund_query (GET, RSA sign + verify, JSON decode)", call_v3_refund_query, 0 },
        { "v2 wxp_v2_refund (XML, HMAC-SHA256 sign + verify)", call_v2_refund, 1 },
        { "v2 wxp_v2_refundquery (XML, HMAC-SHA256, indexed lists)", call_v2_refundquery, 1 },
    };
    wxp_config cfg;
    wxp_result r;
    wxp_err e;
    size_t base, i;

    wxp_keystore_init(&keys, slots, 1);
    e = wxp_keystore_add_pubkey(&keys, WXP_TEST_PUB_KEY_ID, wxp_cstr(WXP_TEST_WECHATPAY_PUB), &r);
    if (e) fail("key store", e, &r);
    memset(&cfg, 0, sizeof cfg);
    cfg.mchid = WXP_TEST_MCHID;
    cfg.serial = WXP_TEST_SERIAL;
    cfg.private_key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    cfg.keys = &keys;
    cfg.apiv3_key = wxp_cstr(WXP_TEST_APIV3_KEY);
    cfg.apiv2_key = wxp_cstr(WXP_TEST_APIV2_KEY);
    cfg.client_cert.cert_pem = wxp_cstr(WXP_TEST_MERCHANT_PUB); /* the transport ignores it */
    cfg.client_cert.key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    cfg.transport.fn = replay;
    cfg.clock.fn = fixed_clock;
    cfg.io_buf = io;
    cfg.io_buf_size = sizeof io;
    e = wxp_client_init(&client, &cfg, &r);
    if (e) fail("client init", e, &r);

    base = measure(call_nothing);
    printf("peak stack of one call (measured, painted stack; context start-up of %lu bytes subtracted)\n",
           (unsigned long)base);
    for (i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        size_t used;
        if (calls[i].v2) prepare_v2(); else prepare_v3(REFUND_JSON);
        used = measure(calls[i].fn);
        if (call_err) fail(calls[i].name, call_err, &call_res);
        printf("  %-66s %6lu bytes\n", calls[i].name, (unsigned long)(used - base));
    }
    return 0;
}
