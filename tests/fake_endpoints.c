/* tests/fake_endpoints.c - the simulator's marketing, order-close and APIv2
   endpoints (transports/wechatpay_fake.h), driven through the client's typed
   calls: happy paths with every decoded field, each refusal with the client's
   error, mutual TLS, safe retries, and the request bodies against
   tests/vectors/v3_request_sign.json.

   A standalone cmocka program (its own main, not a group of build/tests),
   linked with build/obj/impl.o and build/obj/util.o; `make test` runs it from
   the repository root. */
#include "tests.h"
#include "examples/test_keys.h"
#include <stdio.h>
#include <string.h>

#define T0      "2026-11-23T17:04:53+08:00"    /* test_now at start, China time */
#define T0_V2   "2026-11-23 17:04:53"
#define APPID   WXP_FAKE_APPID
#define TID     "4200000913202101152566792388"
#define STOCK   "128888000000001"
#define CODE    "ABCD12345678"
/* UTF-8 of what WeChat Pay says: "sign error", "the paying user's change" (APIv2). */
#define ZH_SIGNERR "\xe7\xad\xbe\xe5\x90\x8d\xe9\x94\x99\xe8\xaf\xaf"
#define ZH_CHANGE  "\xe6\x94\xaf\xe4\xbb\x98\xe7\x94\xa8\xe6\x88\xb7\xe7\x9a\x84\xe9\x9b\xb6\xe9\x92\xb1"
#define CLIENT_CERT "-----BEGIN CERTIFICATE-----\nMIIB (the fake never reads it)\n-----END CERTIFICATE-----\n"

static wxp_fake fake;
static wxp_client client;
static unsigned char io[65536];
static wxp_pubkey slots[2], merchant_pub;
static wxp_keystore keys;
static wxp_rsa_key platform;
static unsigned naps;

static void nap(void *user, unsigned ms)
{
    (void)user;
    (void)ms;
    naps++;
}

typedef struct opts {
    int         sign_type;      /* client v2_sign_type */
    int         no_cert;        /* client without client_cert */
    int         require_cert;   /* fake config require_client_cert */
    const char *apiv2_key;      /* client's key (NULL: the right one) */
    unsigned    attempts;       /* client retries */
} opts;

static void start_with(const opts *o)
{
    wxp_fake_config fc;
    wxp_config cfg;
    wxp_result r;
    test_now = 1795424693;
    naps = 0;
    assert_int_equal(wxp_pubkey_load(&merchant_pub, wxp_cstr(WXP_TEST_MERCHANT_PUB), &r), WXP_OK);
    assert_int_equal(wxp_rsa_key_load(&platform, wxp_cstr(WXP_TEST_PLATFORM_KEY), &r), WXP_OK);
    fc = test_fake_config(&merchant_pub, &platform);
    fc.apiv2_key = wxp_cstr(WXP_TEST_APIV2_KEY);
    fc.require_client_cert = o->require_cert;
    assert_int_equal(wxp_fake_init(&fake, &fc), WXP_OK);

    wxp_keystore_init(&keys, slots, 2);
    assert_int_equal(wxp_keystore_add_pubkey(&keys, WXP_TEST_PUB_KEY_ID,
                                             wxp_cstr(WXP_TEST_WECHATPAY_PUB), &r), WXP_OK);
    cfg = test_config(&keys, io, sizeof io);
    cfg.private_key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    cfg.apiv3_key = wxp_cstr(WXP_TEST_APIV3_KEY);
    cfg.apiv2_key = wxp_cstr(o->apiv2_key ? o->apiv2_key : WXP_TEST_APIV2_KEY);
    cfg.v2_sign_type = o->sign_type;
    if (!o->no_cert) {
        cfg.client_cert.cert_pem = wxp_cstr(CLIENT_CERT);
        cfg.client_cert.key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    }
    cfg.transport = wxp_fake_as_transport(&fake);
    cfg.random.fn = test_random;
    cfg.retry.attempts = o->attempts ? o->attempts : 1; /* one attempt unless a test retries */
    cfg.retry.sleep = nap;
    assert_int_equal(wxp_client_init(&client, &cfg, &r), WXP_OK);
}

static void start(void)
{
    opts o;
    memset(&o, 0, sizeof o);
    start_with(&o);
}

#define assert_view(v, s) assert_string_equal(test_cstr(v), (s))

/* The body of the vector case for url, copied. */
static const char *vector_body(const char *url)
{
    static char body[2048];
    test_vec v;
    int cases, el;
    test_vec_load(&v, "v3_request_sign.json");
    cases = wxp_json_get(&v.doc, 0, "cases");
    assert_true(cases >= 0);
    for (el = wxp_json_first(&v.doc, cases); el >= 0; el = wxp_json_next(&v.doc, cases, el)) {
        wxp_str u = test_vec_str(&v, el, "url"), b;
        if (u.len != strlen(url) || memcmp(u.ptr, url, u.len) != 0) continue;
        b = test_vec_str(&v, el, "body");
        assert_true(b.len < sizeof body);
        memcpy(body, b.ptr, b.len);
        body[b.len] = 0;
        return body;
    }
    fail_msg("no vector case for %s", url);
    return NULL;
}

static const wxp_fake_record *last(void)
{
    const wxp_fake_record *rec = wxp_fake_last(&fake);
    assert_non_null(rec);
    return rec;
}

/* An APIv3 refusal: WXP_E_HTTP with the status and code, the fake agreeing. */
static void assert_refused(wxp_err e, const wxp_result *r, int status, const char *code)
{
    assert_int_equal(e, WXP_E_HTTP);
    assert_int_equal(r->status, status);
    assert_string_equal(r->code, code);
    assert_int_equal(last()->status, status);
    assert_string_equal(last()->code, code);
}

static int all_digits(wxp_str s, size_t len)
{
    size_t i;
    if (s.len != len) return 0;
    for (i = 0; i < len; i++)
        if (s.ptr[i] < '0' || s.ptr[i] > '9') return 0;
    return 1;
}

/* ---- POST /v3/marketing/busifavor/coupons/return ----------------------------- */

static void coupon_return(void)
{
    wxp_coupon_return_req req;
    wxp_coupon_return_result out;
    wxp_result r;
    const wxp_fake_coupon *cp;
    wxp_err e;
    start();
    assert_int_equal(wxp_fake_add_coupon(&fake, "1234567891", "sxxe34343434", "USED"), WXP_OK);
    assert_int_equal(wxp_fake_add_coupon(&fake, "1234567891", "unused-1", "SENDED"), WXP_OK);
    memset(&req, 0, sizeof req);
    req.coupon_code = "sxxe34343434";
    req.stock_id = "1234567891";
    req.return_request_no = "1002600620019090123143254436";
    assert_int_equal(wxp_coupon_return(&client, &req, &out, &r), WXP_OK);
    assert_int_equal(r.status, 200);
    assert_view(out.wechatpay_return_time, T0);
    assert_string_equal(last()->method, "POST");
    assert_string_equal(last()->path, "/v3/marketing/busifavor/coupons/return");
    assert_string_equal(last()->body, vector_body("/v3/marketing/busifavor/coupons/return"));
    cp = wxp_fake_find_coupon(&fake, "1234567891", "sxxe34343434");
    assert_non_null(cp);
    assert_string_equal(cp->state, "SENDED");
    assert_int_equal(cp->returns, 1);

    /* The same return_request_no later: the same answer, no second return. */
    test_now += 60;
    assert_int_equal(wxp_coupon_return(&client, &req, &out, &r), WXP_OK);
    assert_view(out.wechatpay_return_time, T0);
    assert_int_equal(cp->returns, 1);

    /* The coupon again under a new number: it is no longer used. */
    req.return_request_no = "1002600620019090123143254437";
    e = wxp_coupon_return(&client, &req, &out, &r);
    assert_refused(e, &r, 400, "INVALID_REQUEST");
    assert_non_null(strstr(r.message, "coupon is not used"));
    assert_int_equal(cp->returns, 1);

    /* A coupon never used. */
    req.coupon_code = "unused-1";
    req.return_request_no = "R-unused-1";
    e = wxp_coupon_return(&client, &req, &out, &r);
    assert_refused(e, &r, 400, "INVALID_REQUEST");
    assert_non_null(strstr(r.message, "coupon is not used"));
    assert_int_equal(wxp_fake_find_coupon(&fake, "1234567891", "unused-1")->returns, 0);

    /* Unknown coupon, and a known coupon under another stock. */
    req.coupon_code = "nosuchcoupon";
    req.return_request_no = "R-unknown";
    assert_refused(wxp_coupon_return(&client, &req, &out, &r), &r, 404, "RESOURCE_NOT_EXISTS");
    req.coupon_code = "sxxe34343434";
    req.stock_id = "9999999999";
    assert_refused(wxp_coupon_return(&client, &req, &out, &r), &r, 404, "RESOURCE_NOT_EXISTS");

    /* A used request number for another coupon. */
    req.stock_id = "1234567891";
    req.coupon_code = "unused-1";
    req.return_request_no = "1002600620019090123143254436";
    assert_refused(wxp_coupon_return(&client, &req, &out, &r), &r, 400, "INVALID_REQUEST");

    /* Spent again, it can be returned again, under a new number. */
    assert_int_equal(wxp_fake_set_coupon_state(&fake, "1234567891", "sxxe34343434", "USED"),
                     WXP_OK);
    req.coupon_code = "sxxe34343434";
    req.return_request_no = "1002600620019090123143254438";
    assert_int_equal(wxp_coupon_return(&client, &req, &out, &r), WXP_OK);
    assert_view(out.wechatpay_return_time, "2026-11-23T17:05:53+08:00");
    assert_int_equal(cp->returns, 2);
    assert_string_equal(cp->state, "SENDED");
}

/* A lost first answer: the client's retry repeats the request number and the
   coupon is returned once. */
static void coupon_return_retry(void)
{
    wxp_coupon_return_req req;
    wxp_coupon_return_result out;
    wxp_result r;
    opts o;
    memset(&o, 0, sizeof o);
    o.attempts = 3;
    start_with(&o);
    assert_int_equal(wxp_fake_add_coupon(&fake, "1234567891", "sxxe34343434", "USED"), WXP_OK);
    memset(&req, 0, sizeof req);
    req.coupon_code = "sxxe34343434";
    req.stock_id = "1234567891";
    req.return_request_no = "1002600620019090123143254436";
    wxp_fake_fault(&fake, WXP_FAKE_LOST_ANSWER);
    assert_int_equal(wxp_coupon_return(&client, &req, &out, &r), WXP_OK);
    assert_view(out.wechatpay_return_time, T0);
    assert_int_equal(wxp_fake_request_count(&fake), 2);
    assert_int_equal(naps, 1);
    assert_int_equal(wxp_fake_record_at(&fake, 0)->status, 0);     /* processed, not heard */
    assert_int_equal(wxp_fake_record_at(&fake, 0)->faults, WXP_FAKE_LOST_ANSWER);
    assert_string_equal(wxp_fake_record_at(&fake, 0)->body, wxp_fake_record_at(&fake, 1)->body);
    assert_int_equal(wxp_fake_find_coupon(&fake, "1234567891", "sxxe34343434")->returns, 1);
}

/* ---- subsidy pay receipts ----------------------------------------------------- */

static wxp_subsidy_pay_req pay_req(const char *coupon, long long amount, const char *out_no)
{
    wxp_subsidy_pay_req q;
    memset(&q, 0, sizeof q);
    q.stock_id = STOCK;
    q.coupon_code = coupon;
    q.transaction_id = TID;
    q.payer_merchant = "1900000001";
    q.payee_merchant = "1800000001";
    q.amount = amount;
    q.description = "20210115DESCRIPTION";
    q.out_subsidy_no = out_no;
    return q;
}

static void check_pay_receipt(const wxp_subsidy_pay_receipt *p, const char *id, long long amount,
                              const char *out_no)
{
    if (id) assert_view(p->subsidy_receipt_id, id);
    else assert_true(all_digits(p->subsidy_receipt_id, 28));
    assert_view(p->stock_id, STOCK);
    assert_view(p->coupon_code, CODE);
    assert_view(p->transaction_id, TID);
    assert_view(p->payer_merchant, "1900000001");
    assert_view(p->payee_merchant, "1800000001");
    assert_int_equal(p->amount, amount);
    assert_view(p->description, "20210115DESCRIPTION");
    assert_view(p->status, "PAY_RECEIPT_SUCCESS");    /* WeChat Pay's enumeration */
    assert_int_equal(p->fail_reason.len, 0);
    assert_view(p->success_time, T0);
    assert_view(p->out_subsidy_no, out_no);
    assert_view(p->create_time, T0);
}

static void subsidy_pay(void)
{
    wxp_subsidy_pay_req q;
    wxp_subsidy_pay_receipt out;
    wxp_result r;
    char id[64], path[128];
    start();
    assert_int_equal(wxp_fake_add_order(&fake, "T-SUBSIDY", TID, 1000), WXP_OK);
    assert_int_equal(wxp_fake_add_coupon(&fake, STOCK, CODE, "USED"), WXP_OK);
    q = pay_req(CODE, 100, "subsidy-abcd-12345678");
    assert_int_equal(wxp_subsidy_pay(&client, &q, &out, &r), WXP_OK);
    assert_int_equal(r.status, 200);
    check_pay_receipt(&out, NULL, 100, "subsidy-abcd-12345678");
    assert_string_equal(last()->body,
                        "{\"stock_id\":\"" STOCK "\",\"coupon_code\":\"" CODE "\","
                        "\"transaction_id\":\"" TID "\",\"payer_merchant\":\"1900000001\","
                        "\"payee_merchant\":\"1800000001\",\"amount\":100,"
                        "\"description\":\"20210115DESCRIPTION\","
                        "\"out_subsidy_no\":\"subsidy-abcd-12345678\"}");
    snprintf(id, sizeof id, "%s", test_cstr(out.subsidy_receipt_id));

    /* GET it back. */
    memset(&out, 0, sizeof out);
    assert_int_equal(wxp_subsidy_pay_query(&client, id, &out, &r), WXP_OK);
    check_pay_receipt(&out, id, 100, "subsidy-abcd-12345678");
    snprintf(path, sizeof path, "/v3/marketing/busifavor/subsidy/pay-receipts/%s", id);
    assert_string_equal(last()->method, "GET");
    assert_string_equal(last()->path, path);

    /* The same out_subsidy_no later: the same receipt, nothing booked twice. */
    test_now += 60;
    assert_int_equal(wxp_subsidy_pay(&client, &q, &out, &r), WXP_OK);
    check_pay_receipt(&out, id, 100, "subsidy-abcd-12345678");
    /* ... but not with another amount. */
    q.amount = 101;
    assert_refused(wxp_subsidy_pay(&client, &q, &out, &r), &r, 400, "INVALID_REQUEST");

    /* Unknown receipt, unused coupon, unknown coupon, unknown transaction,
       more than 5000 CNY. */
    assert_refused(wxp_subsidy_pay_query(&client, "1120261123000000000000009999", &out, &r), &r,
                   404, "RESOURCE_NOT_EXISTS");
    assert_int_equal(wxp_fake_set_coupon_state(&fake, STOCK, CODE, "SENDED"), WXP_OK);
    q = pay_req(CODE, 100, "subsidy-2");
    assert_refused(wxp_subsidy_pay(&client, &q, &out, &r), &r, 400, "INVALID_REQUEST");
    assert_non_null(strstr(r.message, "coupon is not used"));
    assert_int_equal(wxp_fake_set_coupon_state(&fake, STOCK, CODE, "USED"), WXP_OK);
    q = pay_req("NOSUCHCODE", 100, "subsidy-3");
    assert_refused(wxp_subsidy_pay(&client, &q, &out, &r), &r, 404, "RESOURCE_NOT_EXISTS");
    q = pay_req(CODE, 100, "subsidy-4");
    q.transaction_id = "4200000000000000000000000001";
    assert_refused(wxp_subsidy_pay(&client, &q, &out, &r), &r, 404, "RESOURCE_NOT_EXISTS");
    q = pay_req(CODE, 500001, "subsidy-5");
    assert_refused(wxp_subsidy_pay(&client, &q, &out, &r), &r, 400, "PARAM_ERROR");

    /* A second payment for the same coupon under a new number: a new receipt. */
    q = pay_req(CODE, 50, "subsidy-6");
    assert_int_equal(wxp_subsidy_pay(&client, &q, &out, &r), WXP_OK);
    assert_true(all_digits(out.subsidy_receipt_id, 28));
    assert_string_not_equal(test_cstr(out.subsidy_receipt_id), id);
}

/* ---- subsidy return receipts -------------------------------------------------- */

static wxp_subsidy_return_req return_req(const char *coupon, long long amount, const char *out_no)
{
    wxp_subsidy_return_req q;
    memset(&q, 0, sizeof q);
    q.stock_id = STOCK;
    q.coupon_code = coupon;
    q.transaction_id = TID;
    q.refund_id = "50100506732021010105138718375";
    q.payer_merchant = "1900000001";
    q.payee_merchant = "1800000001";
    q.amount = amount;
    q.description = "20210115DESCRIPTION";
    q.out_subsidy_return_no = out_no;
    return q;
}

static void subsidy_return(void)
{
    wxp_subsidy_pay_req pq;
    wxp_subsidy_pay_receipt pay;
    wxp_subsidy_return_req q;
    wxp_subsidy_return_receipt out;
    wxp_result r;
    char pay_id[64], ret_id[64];
    start();
    assert_int_equal(wxp_fake_add_order(&fake, "T-SUBSIDY", TID, 1000), WXP_OK);
    assert_int_equal(wxp_fake_add_coupon(&fake, STOCK, CODE, "USED"), WXP_OK);
    assert_int_equal(wxp_fake_add_coupon(&fake, STOCK, "PARTIAL-1", "USED"), WXP_OK);
    assert_int_equal(wxp_fake_add_coupon(&fake, STOCK, "NEVER-PAID", "USED"), WXP_OK);

    /* Nothing paid for the coupon yet. */
    q = return_req(CODE, 100, "subsidy-abc-2021010101");
    assert_refused(wxp_subsidy_return(&client, &q, &out, &r), &r, 404, "RESOURCE_NOT_EXISTS");

    pq = pay_req(CODE, 100, "subsidy-abcd-12345678");
    assert_int_equal(wxp_subsidy_pay(&client, &pq, &pay, &r), WXP_OK);
    snprintf(pay_id, sizeof pay_id, "%s", test_cstr(pay.subsidy_receipt_id));

    /* The documented return, byte for byte the vector's body. */
    assert_int_equal(wxp_subsidy_return(&client, &q, &out, &r), WXP_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(last()->path, "/v3/marketing/busifavor/subsidy/return-receipts");
    assert_string_equal(last()->body,
                        vector_body("/v3/marketing/busifavor/subsidy/return-receipts"));
    assert_true(all_digits(out.subsidy_return_receipt_id, 28));
    assert_view(out.stock_id, STOCK);
    assert_view(out.coupon_code, CODE);
    assert_view(out.transaction_id, TID);
    assert_view(out.refund_id, "50100506732021010105138718375");
    assert_view(out.payer_merchant, "1900000001");
    assert_view(out.payee_merchant, "1800000001");
    assert_int_equal(out.amount, 100);
    assert_view(out.description, "20210115DESCRIPTION");
    assert_view(out.status, "RETURN_RECEIPT_SUCCESS");
    assert_int_equal(out.fail_reason.len, 0);
    assert_view(out.return_done_time, T0);
    assert_view(out.subsidy_receipt_id, pay_id);
    assert_view(out.out_subsidy_return_no, "subsidy-abc-2021010101");
    assert_view(out.return_create_time, T0);
    snprintf(ret_id, sizeof ret_id, "%s", test_cstr(out.subsidy_return_receipt_id));
    assert_string_not_equal(ret_id, pay_id);

    /* The same out_subsidy_return_no: the same receipt. */
    test_now += 60;
    assert_int_equal(wxp_subsidy_return(&client, &q, &out, &r), WXP_OK);
    assert_view(out.subsidy_return_receipt_id, ret_id);
    assert_view(out.return_create_time, T0);
    /* ... with another amount: refused. */
    q.amount = 99;
    assert_refused(wxp_subsidy_return(&client, &q, &out, &r), &r, 400, "INVALID_REQUEST");
    /* Everything paid is back: one more fen is refused. */
    q = return_req(CODE, 1, "subsidy-return-2");
    assert_refused(wxp_subsidy_return(&client, &q, &out, &r), &r, 400, "INVALID_REQUEST");
    assert_non_null(strstr(r.message, "exceeds"));

    /* Partial returns up to what was paid. */
    pq = pay_req("PARTIAL-1", 300, "subsidy-partial");
    assert_int_equal(wxp_subsidy_pay(&client, &pq, &pay, &r), WXP_OK);
    q = return_req("PARTIAL-1", 200, "partial-r1");
    assert_int_equal(wxp_subsidy_return(&client, &q, &out, &r), WXP_OK);
    assert_int_equal(out.amount, 200);
    q = return_req("PARTIAL-1", 101, "partial-r2");
    assert_refused(wxp_subsidy_return(&client, &q, &out, &r), &r, 400, "INVALID_REQUEST");
    q.amount = 100;
    assert_int_equal(wxp_subsidy_return(&client, &q, &out, &r), WXP_OK);
    /* Merchants other than the payment's. */
    pq = pay_req("NEVER-PAID", 10, "subsidy-np");
    assert_int_equal(wxp_subsidy_pay(&client, &pq, &pay, &r), WXP_OK);
    q = return_req("NEVER-PAID", 10, "np-r1");
    q.payee_merchant = "1800000002";
    assert_refused(wxp_subsidy_return(&client, &q, &out, &r), &r, 400, "INVALID_REQUEST");
    /* A coupon of another stock. */
    q = return_req(CODE, 1, "other-stock");
    q.stock_id = "128888000000002";
    assert_refused(wxp_subsidy_return(&client, &q, &out, &r), &r, 404, "RESOURCE_NOT_EXISTS");
}

/* ---- POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close ------------- */

static void transaction_close(void)
{
    const char *otn = "1217752501201407033233368018";
    wxp_transaction tx;
    wxp_refund_req rq;
    wxp_refund rf;
    wxp_result r;
    start();
    assert_int_equal(wxp_fake_add_order_unpaid(&fake, otn, 888), WXP_OK);
    assert_int_equal(wxp_fake_add_order(&fake, "T-PAID", NULL, 100), WXP_OK);

    memset(&tx, 0, sizeof tx);
    assert_int_equal(wxp_transaction_by_out_trade_no(&client, otn, &tx, &r), WXP_OK);
    assert_view(tx.trade_state, "NOTPAY");
    assert_view(tx.out_trade_no, otn);
    assert_int_equal(tx.transaction_id.len, 0);
    assert_int_equal(tx.success_time.len, 0);
    assert_int_equal(tx.amount.total, 888);

    /* An unpaid order has nothing to refund. */
    memset(&rq, 0, sizeof rq);
    rq.out_trade_no = otn;
    rq.out_refund_no = "R-UNPAID";
    rq.amount.refund = 1;
    rq.amount.total = 888;
    memset(&rf, 0, sizeof rf);
    assert_refused(wxp_refund_create(&client, &rq, &rf, &r), &r, 404, "RESOURCE_NOT_EXISTS");

    assert_int_equal(wxp_transaction_close(&client, otn, &r), WXP_OK);
    assert_int_equal(r.status, 204);
    assert_int_equal(r.body.len, 0);
    assert_string_equal(last()->path,
                        "/v3/pay/transactions/out-trade-no/1217752501201407033233368018/close");
    assert_string_equal(last()->body,
                        vector_body("/v3/pay/transactions/out-trade-no/"
                                    "1217752501201407033233368018/close"));
    assert_string_equal(wxp_fake_find_order(&fake, otn)->trade_state, "CLOSED");
    assert_int_equal(wxp_transaction_by_out_trade_no(&client, otn, &tx, &r), WXP_OK);
    assert_view(tx.trade_state, "CLOSED");

    /* Closing a closed order again is answered the same. */
    assert_int_equal(wxp_transaction_close(&client, otn, &r), WXP_OK);
    assert_int_equal(r.status, 204);

    /* The empty 204 is signed: a changed body or no signature is caught. */
    wxp_fake_fault(&fake, WXP_FAKE_FLIP_BODY);
    assert_int_equal(wxp_transaction_close(&client, otn, &r), WXP_E_SIGNATURE);
    wxp_fake_fault(&fake, WXP_FAKE_UNSIGNED);
    assert_int_equal(wxp_transaction_close(&client, otn, &r), WXP_E_HEADER);

    /* A paid order, an unknown one. */
    assert_refused(wxp_transaction_close(&client, "T-PAID", &r), &r, 400, "ORDERPAID");
    assert_string_equal(wxp_fake_find_order(&fake, "T-PAID")->trade_state, "SUCCESS");
    assert_refused(wxp_transaction_close(&client, "T-NOSUCH", &r), &r, 404, "ORDER_NOT_EXIST");
}

/* ---- APIv2 ---------------------------------------------------------------------- */

static wxp_v2_refund_req v2_req(const char *otn, const char *orn, long long total, long long fee)
{
    wxp_v2_refund_req q;
    memset(&q, 0, sizeof q);
    q.appid = APPID;
    q.out_trade_no = otn;
    q.out_refund_no = orn;
    q.total_fee = total;
    q.refund_fee = fee;
    return q;
}

/* Value of <key> in the last request's XML ("" when absent). */
static const char *sent(const char *key)
{
    static char body[WXP_FAKE_BODY_MAX + 1];
    static wxp_kv kv[64];
    size_t n = 0;
    const wxp_str *v;
    wxp_result r;
    memcpy(body, last()->body, last()->body_len + 1);
    assert_int_equal(wxp_xml_parse(body, last()->body_len, kv, 64, &n, &r), WXP_OK);
    v = wxp_kv_get(kv, n, key);
    return v ? test_cstr(*v) : "";
}

static void v2_refund(void)
{
    wxp_v2_refund_req q;
    wxp_v2_refund_result out;
    wxp_v2_coupon coupons[4];
    wxp_result r;
    const wxp_fake_refund *fr;
    const char *tid;
    char refund_id[40];
    start();
    assert_int_equal(wxp_fake_add_order(&fake, "T-V2", NULL, 1000), WXP_OK);
    assert_int_equal(wxp_fake_order_coupon(&fake, "T-V2", "C1", "CASH", 100), WXP_OK);
    assert_int_equal(wxp_fake_order_coupon(&fake, "T-V2", "C2", "NO_CASH", 200), WXP_OK);
    tid = wxp_fake_find_order(&fake, "T-V2")->transaction_id;

    q = v2_req("T-V2", "R-V2-1", 1000, 500);
    q.refund_desc = "\xe5\x95\x86\xe5\x93\x81\xe5\xb7\xb2\xe5\x94\xae\xe5\xae\x8c";
    memset(&out, 0, sizeof out);
    out.coupon = coupons;
    out.coupon_cap = 4;
    assert_int_equal(wxp_v2_refund(&client, &q, &out, &r), WXP_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(last()->path, "/secapi/pay/refund");
    assert_int_equal(last()->client_cert, 1);
    assert_string_equal(sent("sign_type"), "HMAC-SHA256");
    assert_string_equal(sent("mch_id"), WXP_TEST_MCHID);
    assert_string_equal(sent("detail"), "");
    fr = wxp_fake_find_refund(&fake, "R-V2-1");
    assert_non_null(fr);
    assert_view(out.appid, APPID);
    assert_view(out.mch_id, WXP_TEST_MCHID);
    assert_view(out.transaction_id, tid);
    assert_view(out.out_trade_no, "T-V2");
    assert_view(out.out_refund_no, "R-V2-1");
    assert_view(out.refund_id, fr->refund_id);
    assert_true(all_digits(out.refund_id, 29));
    assert_int_equal(out.refund_fee, 500);
    /* Coupon shares: C1 100*500/1000 = 50, C2 200*500/1000 = 100 (NO_CASH:
       settlement leaves it out), the payer's cash gets the rest. */
    assert_int_equal(out.settlement_refund_fee, 400);
    assert_int_equal(out.total_fee, 1000);
    assert_int_equal(out.settlement_total_fee, 800);
    assert_view(out.fee_type, "CNY");
    assert_int_equal(out.cash_fee, 700);
    assert_int_equal(out.cash_refund_fee, 350);
    assert_int_equal(out.coupon_refund_fee, 150);
    assert_int_equal(out.coupon_refund_count, 2);
    assert_int_equal(out.coupon_count, 2);
    assert_view(coupons[0].coupon_type, "CASH");
    assert_int_equal(coupons[0].coupon_refund_fee, 50);
    assert_view(coupons[0].coupon_refund_id, "C1");
    assert_view(coupons[1].coupon_type, "NO_CASH");
    assert_int_equal(coupons[1].coupon_refund_fee, 100);
    assert_view(coupons[1].coupon_refund_id, "C2");
    assert_string_equal(fr->status, "PROCESSING");
    snprintf(refund_id, sizeof refund_id, "%s", fr->refund_id);

    /* The same out_refund_no: the same refund, booked once. */
    assert_int_equal(wxp_v2_refund(&client, &q, &out, &r), WXP_OK);
    assert_view(out.refund_id, refund_id);
    assert_int_equal(wxp_fake_refund_count(&fake), 1);
    assert_int_equal(wxp_fake_find_order(&fake, "T-V2")->refunded, 500);
    /* ... with another fee, or another order total. */
    q.refund_fee = 400;
    assert_int_equal(wxp_v2_refund(&client, &q, &out, &r), WXP_E_V2_RESULT);
    assert_string_equal(r.code, "REFUND_FEE_MISMATCH");
    assert_string_equal(last()->code, "REFUND_FEE_MISMATCH");
    q = v2_req("T-V2", "R-V2-2", 999, 100);
    assert_int_equal(wxp_v2_refund(&client, &q, &out, &r), WXP_E_V2_RESULT);
    assert_string_equal(r.code, "REFUND_FEE_MISMATCH");
    /* More than is left. */
    q = v2_req("T-V2", "R-V2-2", 1000, 501);
    assert_int_equal(wxp_v2_refund(&client, &q, &out, &r), WXP_E_V2_RESULT);
    assert_string_equal(r.code, "INVALID_REQUEST");
    assert_int_equal(wxp_fake_refund_count(&fake), 1);
    /* The rest, by transaction_id: each coupon gets back exactly what is left. */
    q = v2_req(NULL, "R-V2-2", 1000, 500);
    q.transaction_id = tid;
    out.coupon_count = 0;
    assert_int_equal(wxp_v2_refund(&client, &q, &out, &r), WXP_OK);
    assert_int_equal(out.cash_refund_fee, 350);
    assert_int_equal(out.coupon_refund_fee, 150);
    assert_int_equal(out.coupon_count, 2);
    assert_int_equal(coupons[0].coupon_refund_fee, 50);
    assert_int_equal(coupons[1].coupon_refund_fee, 100);
    assert_int_equal(wxp_fake_find_order(&fake, "T-V2")->coupons[0].refunded, 100);
    assert_int_equal(wxp_fake_find_order(&fake, "T-V2")->coupons[1].refunded, 200);
    /* Nothing left at all. */
    q = v2_req("T-V2", "R-V2-3", 1000, 1);
    assert_int_equal(wxp_v2_refund(&client, &q, &out, &r), WXP_E_V2_RESULT);
    assert_string_equal(r.code, "ERROR");

    /* Unknown orders, another app. */
    q = v2_req("T-NOSUCH", "R-V2-4", 1000, 1);
    assert_int_equal(wxp_v2_refund(&client, &q, &out, &r), WXP_E_V2_RESULT);
    assert_string_equal(r.code, "ORDERNOTEXIST");
    q = v2_req(NULL, "R-V2-4", 1000, 1);
    q.transaction_id = "4200000000000000000000000001";
    assert_int_equal(wxp_v2_refund(&client, &q, &out, &r), WXP_E_V2_RESULT);
    assert_string_equal(r.code, "INVALID_TRANSACTIONID");
    q = v2_req("T-V2", "R-V2-4", 1000, 1);
    q.appid = "wx0000000000000000";
    assert_int_equal(wxp_v2_refund(&client, &q, &out, &r), WXP_E_V2_RESULT);
    assert_string_equal(r.code, "APPID_MCHID_NOT_MATCH");
    assert_int_equal(wxp_fake_refund_count(&fake), 2);

    /* The APIv3 view of the order: refunded, the payer paid the cash part,
       the coupons are its promotions. Without room for it the call is done but
       says the list was cut. */
    {
        wxp_transaction tx;
        wxp_promotion promo[2];
        memset(&tx, 0, sizeof tx);
        assert_int_equal(wxp_transaction_by_id(&client, tid, &tx, &r), WXP_E_PARTIAL);
        assert_string_equal(r.field, "promotion_detail");
        assert_view(tx.trade_state, "REFUND");
        memset(promo, 0, sizeof promo);
        tx.promotion_detail = promo;
        tx.promotion_detail_cap = 2;
        assert_int_equal(wxp_transaction_by_id(&client, tid, &tx, &r), WXP_OK);
        assert_view(tx.trade_state, "REFUND");
        assert_view(tx.out_trade_no, "T-V2");
        assert_int_equal(tx.amount.total, 1000);
        assert_int_equal(tx.amount.payer_total, 700);
        assert_int_equal(tx.promotion_detail_count, 2);   /* C1 CASH 100, C2 200 */
        assert_int_equal(promo[0].amount + promo[1].amount, 300);
    }
}

static void v2_refund_md5(void)
{
    wxp_v2_refund_req q;
    wxp_v2_refund_result out;
    wxp_result r;
    opts o;
    memset(&o, 0, sizeof o);
    o.sign_type = WXP_V2_MD5;
    start_with(&o);
    assert_int_equal(wxp_fake_add_order(&fake, "T-MD5", NULL, 300), WXP_OK);
    q = v2_req("T-MD5", "R-MD5", 300, 300);
    memset(&out, 0, sizeof out);
    assert_int_equal(wxp_v2_refund(&client, &q, &out, &r), WXP_OK);
    assert_string_equal(sent("sign_type"), "MD5");
    assert_int_equal(strlen(sent("sign")), 32);
    assert_int_equal(out.refund_fee, 300);
    assert_int_equal(out.cash_fee, 300);
    assert_int_equal(out.cash_refund_fee, 300);
    assert_int_equal(out.coupon_refund_fee, 0);
    assert_int_equal(out.coupon_refund_count, 0);
    assert_int_equal(out.coupon_count, 0);
    assert_int_equal(out.settlement_refund_fee, 300);
    assert_int_equal(out.settlement_total_fee, 300);
}

/* Mutual TLS: no certificate configured, nothing is sent; with one, the fake
   sees it; a certificate-less request fails as a refused handshake would. */
static void v2_client_cert(void)
{
    wxp_v2_refund_req q;
    wxp_v2_refund_result out;
    wxp_v2_refundquery_req qq;
    wxp_v2_refundquery_result qo;
    wxp_result r;
    wxp_http_request req;
    wxp_http_response resp;
    char buf[512], errbuf[WXP_ERRBUF_SIZE];
    opts o;
    memset(&o, 0, sizeof o);
    o.no_cert = 1;
    start_with(&o);
    assert_int_equal(wxp_fake_add_order(&fake, "T-CERT", NULL, 100), WXP_OK);
    q = v2_req("T-CERT", "R-CERT", 100, 10);
    memset(&out, 0, sizeof out);
    assert_int_equal(wxp_v2_refund(&client, &q, &out, &r), WXP_E_ARG);
    assert_string_equal(r.field, "client_cert");
    assert_int_equal(wxp_fake_request_count(&fake), 0);
    assert_int_equal(wxp_v2_refundv2(&client, &q, &out, &r), WXP_E_ARG);   /* no detail */
    assert_int_equal(wxp_fake_request_count(&fake), 0);
    /* refundquery needs no certificate. */
    memset(&qq, 0, sizeof qq);
    qq.appid = APPID;
    qq.out_refund_no = "R-CERT";
    memset(&qo, 0, sizeof qo);
    assert_int_equal(wxp_v2_refundquery(&client, &qq, &qo, &r), WXP_E_V2_RESULT);
    assert_string_equal(r.code, "REFUNDNOTEXIST");
    assert_int_equal(last()->client_cert, 0);

    o.no_cert = 0;
    o.require_cert = 1;
    start_with(&o);
    assert_int_equal(wxp_fake_add_order(&fake, "T-CERT", NULL, 100), WXP_OK);
    assert_int_equal(wxp_v2_refund(&client, &q, &out, &r), WXP_OK);
    assert_int_equal(last()->client_cert, 1);
    assert_int_equal(last()->status, 200);

    /* What a client that forgot the certificate sees: no answer at all. */
    memset(&req, 0, sizeof req);
    req.method = "POST";
    req.host = WXP_DEFAULT_HOST;
    req.path = wxp_cstr("/secapi/pay/refund");
    req.body = wxp_cstr("<xml><mch_id>1900009191</mch_id></xml>");
    wxp_http_response_init(&resp, buf, sizeof buf);
    assert_int_not_equal(wxp_fake_transport(&fake, &req, &resp, errbuf, sizeof errbuf), 0);
    assert_non_null(strstr(errbuf, "client certificate required"));
    assert_int_equal(last()->status, 0);
    assert_int_equal(last()->client_cert, 0);
    assert_int_equal(wxp_fake_refund_count(&fake), 1);
}

/* The sign both ways, and the faults an APIv2 answer can suffer. */
static void v2_sign_and_faults(void)
{
    wxp_v2_refund_req q;
    wxp_v2_refund_result out;
    wxp_result r;
    char refund_id[40];
    opts o;
    memset(&o, 0, sizeof o);
    o.apiv2_key = "00000000000000000000000000000000";   /* not the merchant's */
    start_with(&o);
    assert_int_equal(wxp_fake_add_order(&fake, "T-SIGN", NULL, 100), WXP_OK);
    q = v2_req("T-SIGN", "R-SIGN", 100, 10);
    memset(&out, 0, sizeof out);
    assert_int_equal(wxp_v2_refund(&client, &q, &out, &r), WXP_E_V2_RETURN);
    assert_string_equal(r.code, "FAIL");
    assert_string_equal(r.message, ZH_SIGNERR);
    assert_string_equal(last()->code, "FAIL");
    assert_int_equal(wxp_fake_refund_count(&fake), 0);

    start();
    assert_int_equal(wxp_fake_add_order(&fake, "T-SIGN", NULL, 100), WXP_OK);
    /* A flipped sign: the client's check catches it (the fake booked the refund). */
    wxp_fake_fault(&fake, WXP_FAKE_FLIP_BODY);
    assert_int_equal(wxp_v2_refund(&client, &q, &out, &r), WXP_E_SIGNATURE);
    assert_int_equal(last()->faults, WXP_FAKE_FLIP_BODY);
    assert_int_equal(wxp_fake_refund_count(&fake), 1);
    /* SYSTEMERROR: signed, result_code FAIL, nothing booked. */
    q = v2_req("T-SIGN", "R-SIGN-2", 100, 10);
    wxp_fake_fault(&fake, WXP_FAKE_SYSTEM_ERROR);
    assert_int_equal(wxp_v2_refund(&client, &q, &out, &r), WXP_E_V2_RESULT);
    assert_string_equal(r.code, "SYSTEMERROR");
    assert_int_equal(wxp_fake_refund_count(&fake), 1);
    /* A lost answer: booked, unheard; the same out_refund_no again gets it. */
    wxp_fake_fault(&fake, WXP_FAKE_LOST_ANSWER);
    assert_int_equal(wxp_v2_refund(&client, &q, &out, &r), WXP_E_TRANSPORT);
    assert_int_equal(wxp_fake_refund_count(&fake), 2);
    snprintf(refund_id, sizeof refund_id, "%s", wxp_fake_find_refund(&fake, "R-SIGN-2")->refund_id);
    assert_int_equal(wxp_v2_refund(&client, &q, &out, &r), WXP_OK);
    assert_view(out.refund_id, refund_id);
    assert_int_equal(wxp_fake_refund_count(&fake), 2);
    assert_int_equal(wxp_fake_find_order(&fake, "T-SIGN")->refunded, 20);
}

/* Requests the client would never send, straight into the transport. */
static void v2_raw(void)
{
    static char buf[4096], body[1024];
    wxp_kv kv[12], ans[32];
    size_t n, na = 0, len = 0;
    char sign[65], errbuf[WXP_ERRBUF_SIZE];
    wxp_http_request req;
    wxp_http_response resp;
    wxp_str b;
    wxp_result r;
    wxp_str key = wxp_cstr(WXP_TEST_APIV2_KEY);
    const wxp_client_cert cert = { { CLIENT_CERT, sizeof CLIENT_CERT - 1 }, { "k", 1 } };
    start();
    assert_int_equal(wxp_fake_add_order(&fake, "T-RAW", NULL, 100), WXP_OK);

#define KV(i, k, v) (kv[i].key = wxp_cstr(k), kv[i].value = wxp_cstr(v))
#define SEND(path_, with_sign, sign_type)                                                  \
    do {                                                                                   \
        if (with_sign) {                                                                   \
            assert_int_equal(wxp_v2_sign(kv, n, key, sign_type, sign, &r), WXP_OK);        \
            KV(n, "sign", sign);                                                           \
        }                                                                                  \
        assert_int_equal(wxp_xml_write(body, sizeof body, kv, n + (with_sign), &len, &r),  \
                         WXP_OK);                                                          \
        memset(&req, 0, sizeof req);                                                       \
        req.method = "POST";                                                               \
        req.host = WXP_DEFAULT_HOST;                                                       \
        req.path = wxp_cstr(path_);                                                        \
        req.body.ptr = body;                                                               \
        req.body.len = len;                                                                \
        req.client_cert = &cert;                                                           \
        wxp_http_response_init(&resp, buf, sizeof buf);                                    \
        assert_int_equal(wxp_fake_transport(&fake, &req, &resp, errbuf, sizeof errbuf), 0); \
        assert_int_equal(wxp_http_response_get_status(&resp), 200);                        \
        b = wxp_http_response_body(&resp);                                                 \
        assert_int_equal(wxp_xml_parse((char *)b.ptr, b.len, ans, 32, &na, &r), WXP_OK);   \
    } while (0)
#define ANS(k) test_cstr(*wxp_kv_get(ans, na, k))

    /* No sign_type means MD5, as on the real server. */
    n = 0;
    KV(n, "appid", APPID); n++;
    KV(n, "mch_id", WXP_TEST_MCHID); n++;
    KV(n, "nonce_str", "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"); n++;
    KV(n, "out_trade_no", "T-RAW"); n++;
    KV(n, "out_refund_no", "R-RAW-1"); n++;
    KV(n, "total_fee", "100"); n++;
    KV(n, "refund_fee", "1"); n++;
    SEND("/secapi/pay/refund", 1, WXP_V2_MD5);
    assert_string_equal(ANS("return_code"), "SUCCESS");
    assert_string_equal(ANS("result_code"), "SUCCESS");
    assert_int_equal(wxp_v2_verify(ans, na, key, WXP_V2_MD5, &r), WXP_OK);

    /* No sign; a sign over other bytes; an unknown sign_type; another merchant. */
    KV(4, "out_refund_no", "R-RAW-2");
    SEND("/secapi/pay/refund", 0, WXP_V2_MD5);
    assert_string_equal(ANS("return_code"), "FAIL");
    assert_string_equal(ANS("return_msg"), ZH_SIGNERR);
    assert_null(wxp_kv_get(ans, na, "sign"));
    SEND("/secapi/pay/refund", 1, WXP_V2_HMAC_SHA256);       /* claimed MD5 (absent) */
    assert_string_equal(ANS("return_msg"), ZH_SIGNERR);
    KV(n, "sign_type", "SHA1"); n++;
    SEND("/secapi/pay/refund", 1, WXP_V2_MD5);
    assert_string_equal(ANS("return_code"), "FAIL");
    assert_non_null(strstr(ANS("return_msg"), "sign_type"));
    n--;
    KV(1, "mch_id", "1900000001");
    SEND("/secapi/pay/refund", 1, WXP_V2_MD5);
    assert_string_equal(ANS("return_code"), "FAIL");
    assert_non_null(strstr(ANS("return_msg"), "mch_id"));
    KV(1, "mch_id", WXP_TEST_MCHID);
    /* refund_fee above total_fee: WeChat Pay's "invalid refund_fee". */
    KV(6, "refund_fee", "101");
    SEND("/secapi/pay/refund", 1, WXP_V2_MD5);
    assert_string_equal(ANS("return_code"), "FAIL");
    assert_string_equal(ANS("return_msg"), "invalid refund_fee");
    KV(6, "refund_fee", "1");
    /* refundv2 without detail, then with a detail that is not JSON. */
    SEND("/secapi/pay/refundv2", 1, WXP_V2_MD5);
    assert_string_equal(ANS("result_code"), "FAIL");
    assert_string_equal(ANS("err_code"), "PARAM_ERROR");
    assert_int_equal(wxp_v2_verify(ans, na, key, WXP_V2_MD5, &r), WXP_OK);
    KV(n, "detail", "{not json"); n++;
    SEND("/secapi/pay/refundv2", 1, WXP_V2_MD5);
    assert_string_equal(ANS("err_code"), "PARAM_ERROR");
    n--;
    assert_int_equal(wxp_fake_refund_count(&fake), 1);

    /* Not XML at all. */
    memset(&req, 0, sizeof req);
    req.method = "POST";
    req.path = wxp_cstr("/pay/refundquery");
    req.body = wxp_cstr("<xml><appid>x</xml>");
    wxp_http_response_init(&resp, buf, sizeof buf);
    assert_int_equal(wxp_fake_transport(&fake, &req, &resp, errbuf, sizeof errbuf), 0);
    b = wxp_http_response_body(&resp);
    assert_int_equal(wxp_xml_parse((char *)b.ptr, b.len, ans, 32, &na, &r), WXP_OK);
    assert_string_equal(ANS("return_code"), "FAIL");
    assert_string_equal(last()->code, "FAIL");
#undef ANS
#undef SEND
#undef KV
}

static void check_item_common(const wxp_v2_refund_item *it, const char *orn, const char *id,
                              long long fee)
{
    assert_view(it->out_refund_no, orn);
    assert_view(it->refund_id, id);
    assert_view(it->refund_channel, "ORIGINAL");
    assert_int_equal(it->refund_fee, fee);
    assert_view(it->refund_account, "REFUND_SOURCE_UNSETTLED_FUNDS");
    assert_view(it->refund_recv_accout, ZH_CHANGE);
}

/* refundv2, then refundquery by each key; the book is shared with APIv3. */
static void v2_refundv2_query(void)
{
    wxp_v2_refund_req q;
    wxp_v2_refund_result out;
    wxp_v2_coupon coupons[4], icoupons[2][4];
    wxp_v2_refundquery_req qq;
    wxp_v2_refundquery_result qo;
    wxp_v2_refund_item items[4];
    wxp_refund_req rq;
    wxp_refund rf;
    wxp_refund_promotion promo[4];
    wxp_result r;
    const char *tid;
    char id1[40], id3[40];
    size_t i;
    start();
    assert_int_equal(wxp_fake_add_order(&fake, "T-QUERY", NULL, 1000), WXP_OK);
    assert_int_equal(wxp_fake_order_coupon(&fake, "T-QUERY", "CPN-9", "CASH", 300), WXP_OK);
    tid = wxp_fake_find_order(&fake, "T-QUERY")->transaction_id;

    q = v2_req("T-QUERY", "R-Q-1", 1000, 200);
    q.detail = "{\"goods_detail\":[{\"goods_id\":\"G1\",\"refund_amount\":200,\"refund_quantity\":1,"
               "\"price\":1000}]}";
    memset(&out, 0, sizeof out);
    out.coupon = coupons;
    out.coupon_cap = 4;
    assert_int_equal(wxp_v2_refundv2(&client, &q, &out, &r), WXP_OK);
    assert_string_equal(last()->path, "/secapi/pay/refundv2");
    assert_string_equal(sent("detail"), q.detail);
    assert_int_equal(out.coupon_refund_fee, 60);
    assert_int_equal(out.cash_refund_fee, 140);
    snprintf(id1, sizeof id1, "%s", test_cstr(out.refund_id));

    /* By out_refund_no: one refund, succeeded now that it is looked at. */
    memset(&qq, 0, sizeof qq);
    qq.appid = APPID;
    qq.out_refund_no = "R-Q-1";
    memset(&qo, 0, sizeof qo);
    memset(items, 0, sizeof items);
    qo.refunds = items;
    qo.refunds_cap = 4;
    for (i = 0; i < 2; i++) {
        items[i].coupon = icoupons[i];
        items[i].coupon_cap = 4;
    }
    assert_int_equal(wxp_v2_refundquery(&client, &qq, &qo, &r), WXP_OK);
    assert_string_equal(last()->path, "/pay/refundquery");
    assert_int_equal(last()->client_cert, 0);
    assert_view(qo.appid, APPID);
    assert_view(qo.mch_id, WXP_TEST_MCHID);
    assert_view(qo.transaction_id, tid);
    assert_view(qo.out_trade_no, "T-QUERY");
    assert_int_equal(qo.total_fee, 1000);
    assert_int_equal(qo.settlement_total_fee, 1000);
    assert_view(qo.fee_type, "CNY");
    assert_int_equal(qo.cash_fee, 700);
    assert_int_equal(qo.refund_count, 1);
    assert_int_equal(qo.total_refund_count, 1);
    assert_int_equal(qo.refunds_count, 1);
    check_item_common(&items[0], "R-Q-1", id1, 200);
    assert_int_equal(items[0].settlement_refund_fee, 200);
    assert_int_equal(items[0].coupon_refund_fee, 60);
    assert_int_equal(items[0].coupon_refund_count, 1);
    assert_int_equal(items[0].coupon_count, 1);
    assert_view(icoupons[0][0].coupon_type, "CASH");
    assert_int_equal(icoupons[0][0].coupon_refund_fee, 60);
    assert_view(icoupons[0][0].coupon_refund_id, "CPN-9");
    assert_view(items[0].refund_status, "SUCCESS");
    assert_view(items[0].refund_success_time, T0_V2);
    assert_string_equal(wxp_fake_find_refund(&fake, "R-Q-1")->status, "SUCCESS");

    /* Its callback: the payer's amounts leave the coupon out. */
    {
        static char body[4096];
        static unsigned char plain[2048];
        size_t len = 0;
        wxp_notify_headers h;
        wxp_notification n;
        wxp_refund_notify rn;
        assert_int_equal(wxp_fake_notify_refund(&fake, wxp_cstr(WXP_TEST_APIV3_KEY), "R-Q-1", body,
                                                sizeof body, &len, &h, &r), WXP_OK);
        assert_int_equal(wxp_notify_parse(&client, &h, body, len, plain, sizeof plain, &n, &r), WXP_OK);
        assert_int_equal(wxp_refund_notify_decode(&n, &rn, &r), WXP_OK);
        assert_view(rn.refund_status, "SUCCESS");
        assert_int_equal(rn.amount.total, 1000);
        assert_int_equal(rn.amount.refund, 200);
        assert_int_equal(rn.amount.payer_total, 700);
        assert_int_equal(rn.amount.payer_refund, 140);
    }

    /* An APIv3 refund on the same order, pinned CLOSED. */
    memset(&rq, 0, sizeof rq);
    rq.out_trade_no = "T-QUERY";
    rq.out_refund_no = "R-Q-V3";
    rq.amount.refund = 100;
    rq.amount.total = 1000;
    memset(&rf, 0, sizeof rf);
    memset(promo, 0, sizeof promo);     /* nested goods_detail arrays: none (cap 0) */
    rf.promotion_detail = promo;
    rf.promotion_detail_cap = 4;
    test_now += 60;
    assert_int_equal(wxp_refund_create(&client, &rq, &rf, &r), WXP_OK);
    assert_int_equal(rf.amount.payer_total, 700);
    assert_int_equal(rf.amount.discount_refund, 30);
    assert_int_equal(rf.amount.payer_refund, 70);
    assert_int_equal(rf.promotion_detail_count, 1);
    assert_view(promo[0].promotion_id, "CPN-9");
    assert_view(promo[0].type, "COUPON");
    assert_int_equal(promo[0].amount, 300);
    assert_int_equal(promo[0].refund_amount, 30);
    assert_int_equal(wxp_fake_set_refund_status(&fake, "R-Q-V3", "CLOSED"), WXP_OK);
    /* And a plain APIv2 refund. */
    q = v2_req("T-QUERY", "R-Q-3", 1000, 50);
    assert_int_equal(wxp_v2_refund(&client, &q, &out, &r), WXP_OK);
    snprintf(id3, sizeof id3, "%s", test_cstr(out.refund_id));

    /* By transaction_id: the order's three refunds, in booking order. */
    memset(&qq, 0, sizeof qq);
    qq.appid = APPID;
    qq.transaction_id = tid;
    memset(items, 0, sizeof items);
    for (i = 0; i < 2; i++) {
        items[i].coupon = icoupons[i];
        items[i].coupon_cap = 4;
    }
    items[2].coupon = coupons;
    items[2].coupon_cap = 4;
    assert_int_equal(wxp_v2_refundquery(&client, &qq, &qo, &r), WXP_OK);
    assert_int_equal(qo.refund_count, 3);
    assert_int_equal(qo.total_refund_count, 3);
    assert_int_equal(qo.refunds_count, 3);
    check_item_common(&items[0], "R-Q-1", id1, 200);
    assert_view(items[0].refund_success_time, T0_V2);
    assert_view(items[1].out_refund_no, "R-Q-V3");
    assert_view(items[1].refund_status, "REFUNDCLOSE");
    assert_int_equal(items[1].refund_success_time.len, 0);
    assert_int_equal(items[1].coupon_refund_fee, 30);
    check_item_common(&items[2], "R-Q-3", id3, 50);
    assert_view(items[2].refund_status, "SUCCESS");
    assert_view(items[2].refund_success_time, "2026-11-23 17:05:53");

    /* offset pages through them. */
    qq.offset = 2;
    assert_int_equal(wxp_v2_refundquery(&client, &qq, &qo, &r), WXP_OK);
    assert_int_equal(qo.refund_count, 1);
    assert_int_equal(qo.total_refund_count, 3);
    assert_view(items[0].out_refund_no, "R-Q-3");
    qq.offset = 3;
    assert_int_equal(wxp_v2_refundquery(&client, &qq, &qo, &r), WXP_E_V2_RESULT);
    assert_string_equal(r.code, "REFUNDNOTEXIST");

    /* By refund_id and by out_trade_no. */
    memset(&qq, 0, sizeof qq);
    qq.appid = APPID;
    qq.refund_id = id3;
    assert_int_equal(wxp_v2_refundquery(&client, &qq, &qo, &r), WXP_OK);
    assert_int_equal(qo.refund_count, 1);
    assert_view(items[0].out_refund_no, "R-Q-3");
    qq.refund_id = NULL;
    qq.out_trade_no = "T-QUERY";
    assert_int_equal(wxp_v2_refundquery(&client, &qq, &qo, &r), WXP_OK);
    assert_int_equal(qo.refund_count, 3);

    /* The APIv2 refund through APIv3. */
    memset(&rf, 0, sizeof rf);
    memset(promo, 0, sizeof promo);     /* nested goods_detail arrays: none (cap 0) */
    rf.promotion_detail = promo;
    rf.promotion_detail_cap = 4;
    assert_int_equal(wxp_refund_query(&client, "R-Q-3", NULL, &rf, &r), WXP_OK);
    assert_view(rf.refund_id, id3);
    assert_view(rf.status, "SUCCESS");
    assert_int_equal(rf.amount.refund, 50);

    /* Unknown refunds and orders. */
    memset(&qq, 0, sizeof qq);
    qq.appid = APPID;
    qq.out_refund_no = "R-NOSUCH";
    assert_int_equal(wxp_v2_refundquery(&client, &qq, &qo, &r), WXP_E_V2_RESULT);
    assert_string_equal(r.code, "REFUNDNOTEXIST");
    assert_string_equal(last()->code, "REFUNDNOTEXIST");
    qq.out_refund_no = NULL;
    qq.out_trade_no = "T-NOSUCH";
    assert_int_equal(wxp_v2_refundquery(&client, &qq, &qo, &r), WXP_E_V2_RESULT);
    assert_string_equal(r.code, "REFUNDNOTEXIST");
}

/* WeChat Pay allows 50 refunds on one order; the 51st is refused. */
static void v2_refund_limit(void)
{
    wxp_v2_refund_req q;
    wxp_v2_refund_result out;
    wxp_result r;
    char orn[32];
    int i;
    start();
    assert_int_equal(wxp_fake_add_order(&fake, "T-MANY", NULL, 100), WXP_OK);
    memset(&out, 0, sizeof out);
    for (i = 1; i <= 50; i++) {
        snprintf(orn, sizeof orn, "R-MANY-%d", i);
        q = v2_req("T-MANY", orn, 100, 1);
        assert_int_equal(wxp_v2_refund(&client, &q, &out, &r), WXP_OK);
    }
    q = v2_req("T-MANY", "R-MANY-51", 100, 1);
    assert_int_equal(wxp_v2_refund(&client, &q, &out, &r), WXP_E_V2_RESULT);
    assert_string_equal(r.code, "INVALID_REQUEST");
    assert_int_equal(wxp_fake_find_order(&fake, "T-MANY")->refund_count, 50);
}

/* The fake's own bookkeeping calls refuse what they cannot hold. */
static void book_arguments(void)
{
    start();
    assert_int_equal(wxp_fake_add_order(&fake, "T-ARG", NULL, 100), WXP_OK);
    assert_int_equal(wxp_fake_order_coupon(&fake, "T-ARG", "C1", "GIFT", 10), WXP_E_ARG);
    assert_int_equal(wxp_fake_order_coupon(&fake, "T-ARG", "C1", "CASH", 101), WXP_E_ARG);
    assert_int_equal(wxp_fake_order_coupon(&fake, "T-NOSUCH", "C1", "CASH", 1), WXP_E_NOTFOUND);
    assert_int_equal(wxp_fake_order_coupon(&fake, "T-ARG", "C1", "CASH", 60), WXP_OK);
    assert_int_equal(wxp_fake_order_coupon(&fake, "T-ARG", "C2", "NO_CASH", 41), WXP_E_ARG);
    assert_int_equal(wxp_fake_add_order_unpaid(&fake, "T-ARG", 5), WXP_E_ARG);
    assert_int_equal(wxp_fake_add_coupon(&fake, "12ab", "X", "USED"), WXP_E_ARG);
    assert_int_equal(wxp_fake_add_coupon(&fake, "12", "X", "EXPIRED"), WXP_E_ARG);
    assert_int_equal(wxp_fake_add_coupon(&fake, "12", "X", "USED"), WXP_OK);
    assert_int_equal(wxp_fake_add_coupon(&fake, "12", "X", "SENDED"), WXP_E_ARG);
    assert_int_equal(wxp_fake_set_coupon_state(&fake, "12", "Y", "USED"), WXP_E_NOTFOUND);
    assert_int_equal(wxp_fake_set_coupon_state(&fake, "12", "X", "GONE"), WXP_E_ARG);
    assert_null(wxp_fake_find_coupon(&fake, "12", "Y"));
}

#define CASE(name) static void t_##name(void **state) { (void)state; name(); }
CASE(coupon_return)
CASE(coupon_return_retry)
CASE(subsidy_pay)
CASE(subsidy_return)
CASE(transaction_close)
CASE(v2_refund)
CASE(v2_refund_md5)
CASE(v2_client_cert)
CASE(v2_sign_and_faults)
CASE(v2_raw)
CASE(v2_refundv2_query)
CASE(v2_refund_limit)
CASE(book_arguments)
#undef CASE

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_coupon_return),
        cmocka_unit_test(t_coupon_return_retry),
        cmocka_unit_test(t_subsidy_pay),
        cmocka_unit_test(t_subsidy_return),
        cmocka_unit_test(t_transaction_close),
        cmocka_unit_test(t_v2_refund),
        cmocka_unit_test(t_v2_refund_md5),
        cmocka_unit_test(t_v2_client_cert),
        cmocka_unit_test(t_v2_sign_and_faults),
        cmocka_unit_test(t_v2_raw),
        cmocka_unit_test(t_v2_refundv2_query),
        cmocka_unit_test(t_v2_refund_limit),
        cmocka_unit_test(t_book_arguments),
    };
    return cmocka_run_group_tests_name("fake_endpoints", tests, NULL, NULL) ? 1 : 0;
}
