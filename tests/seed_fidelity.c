/* tests/seed_fidelity.c - the simulator answers the seed endpoints as WeChat
   Pay does (issue 15): POST /v3/refund/domestic/refunds and its query and
   callback, coupon return, subsidy pay and return, APIv2 refundv2 and
   refundquery. WeChat Pay's refund rules where a rule causes them (over-refund,
   the merchant's balance, one year, 50 refunds, an unknown merchant, a wrong
   signature, the failing-refund rate), every error code by script with its
   APIv3 status and APIv2 err_code and whether the library sends it again, and
   each answer compared field by field with the official example.

   A standalone cmocka program (its own main), linked with build/obj/impl.o and
   build/obj/util.o; `make test` runs it, and an ASan + UBSan build of it, from
   the repository root. Every failing refund moves the shared clock on a
   second, so a client-side budget of failing refunds is never what refuses. */
#include "tests.h"
#include "examples/test_keys.h"
#include <stdio.h>
#include <string.h>

#define APPID   WXP_FAKE_APPID
#define SUB     "1900000109"         /* the service provider's sub-merchant */
#define DAY     86400LL
#define ORDER   "T-SEED-0001"

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
    const char *mchid;            /* the client's (NULL: the simulator's merchant) */
    const char *merchant_key;     /* the client's private key PEM (NULL: the right one) */
    const char *apiv2_key;        /* the client's APIv2 key (NULL: the right one) */
    unsigned    fail_qps;         /* the simulator's refund_fail_qps */
    unsigned    attempts;         /* client retries (cfg.retry) */
} opts;

static void start_with(const opts *o)
{
    wxp_fake_config fc;
    wxp_config cfg;
    wxp_result r;
    test_now = 1795424693;        /* 2026-11-23T17:04:53+08:00 */
    naps = 0;
    assert_int_equal(wxp_pubkey_load(&merchant_pub, wxp_cstr(WXP_TEST_MERCHANT_PUB), &r), WXP_OK);
    assert_int_equal(wxp_rsa_key_load(&platform, wxp_cstr(WXP_TEST_PLATFORM_KEY), &r), WXP_OK);
    fc = test_fake_config(&merchant_pub, &platform);
    fc.apiv2_key = wxp_cstr(WXP_TEST_APIV2_KEY);
    fc.sub_mchids[0] = SUB;
    fc.refund_fail_qps = o->fail_qps;
    assert_int_equal(wxp_fake_init(&fake, &fc), WXP_OK);

    wxp_keystore_init(&keys, slots, 2);
    assert_int_equal(wxp_keystore_add_pubkey(&keys, WXP_TEST_PUB_KEY_ID,
                                             wxp_cstr(WXP_TEST_WECHATPAY_PUB), &r), WXP_OK);
    cfg = test_config(&keys, io, sizeof io);
    if (o->mchid) cfg.mchid = o->mchid;
    cfg.private_key_pem = wxp_cstr(o->merchant_key ? o->merchant_key : WXP_TEST_MERCHANT_KEY);
    cfg.apiv3_key = wxp_cstr(WXP_TEST_APIV3_KEY);
    cfg.apiv2_key = wxp_cstr(o->apiv2_key ? o->apiv2_key : WXP_TEST_APIV2_KEY);
    cfg.client_cert.cert_pem = wxp_cstr("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    cfg.client_cert.key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    cfg.transport = wxp_fake_as_transport(&fake);
    cfg.random.fn = test_random;
    /* The library's defaults (retries, local rate limits) stay on; waits are
       counted, not slept. One attempt unless the test asks for more. */
    cfg.retry.attempts = o->attempts ? o->attempts : 1;
    cfg.retry.sleep = nap;
    cfg.rate.sleep = nap;
    assert_int_equal(wxp_client_init(&client, &cfg, &r), WXP_OK);
}

static void start(void)
{
    opts o;
    memset(&o, 0, sizeof o);
    start_with(&o);
}

/* ---- helpers -------------------------------------------------------------------- */

static const wxp_fake_record *last(void)
{
    const wxp_fake_record *rec = wxp_fake_last(&fake);
    assert_non_null(rec);
    return rec;
}

/* An APIv3 refusal: WXP_E_HTTP, the status and code, the simulator agreeing. */
static void assert_v3(wxp_err e, const wxp_result *r, int status, const char *code)
{
    if (e != WXP_E_HTTP) fail_msg("%s: expected WXP_E_HTTP %d %s, got %s", code, status, code, wxp_strerror(e));
    assert_int_equal(r->status, status);
    assert_string_equal(r->code, code);
    assert_int_equal(last()->status, status);
    assert_string_equal(last()->code, code);
}

/* An APIv2 refusal: result_code FAIL with err_code (WXP_E_V2_RESULT). */
static void assert_v2(wxp_err e, const wxp_result *r, const char *err_code)
{
    if (e != WXP_E_V2_RESULT)
        fail_msg("%s: expected WXP_E_V2_RESULT, got %s (%s)", err_code, wxp_strerror(e), r->message);
    assert_string_equal(r->code, err_code);
}

static wxp_refund_req v3_req(const char *otn, const char *orn, long long refund, long long total)
{
    wxp_refund_req q;
    memset(&q, 0, sizeof q);
    q.out_trade_no = otn;
    q.out_refund_no = orn;
    q.amount.refund = refund;
    q.amount.total = total;
    return q;
}

static wxp_v2_refund_req v2_req(const char *otn, const char *orn, long long refund, long long total)
{
    wxp_v2_refund_req q;
    memset(&q, 0, sizeof q);
    q.appid = APPID;
    q.out_trade_no = otn;
    q.out_refund_no = orn;
    q.total_fee = total;
    q.refund_fee = refund;
    return q;
}

/* The typed APIv3 refund; the clock moves on a second after it. */
static wxp_err v3_refund(const char *otn, const char *orn, long long refund, long long total, wxp_result *r)
{
    wxp_refund_req q = v3_req(otn, orn, refund, total);
    wxp_refund out;
    wxp_err e;
    memset(&out, 0, sizeof out);
    e = wxp_refund_create(&client, &q, &out, r);
    test_now++;
    return e;
}

/* The typed APIv2 refund, as v3_refund. */
static wxp_err v2_refund(const char *otn, const char *orn, long long refund, long long total, wxp_result *r)
{
    wxp_v2_refund_req q = v2_req(otn, orn, refund, total);
    wxp_v2_refund_result out;
    wxp_err e;
    memset(&out, 0, sizeof out);
    e = wxp_v2_refund(&client, &q, &out, r);
    test_now++;
    return e;
}

/* A raw APIv3 refund (no client-side rules or budgets), the answer in r->body. */
static wxp_err raw_refund(const char *otn, const char *orn, long long refund, long long total,
                          const char *extra, wxp_result *r)
{
    static char body[512];
    snprintf(body, sizeof body,
             "{\"out_trade_no\":\"%s\",\"out_refund_no\":\"%s\",%s\"amount\":{\"refund\":%lld,"
             "\"total\":%lld,\"currency\":\"CNY\"}}", otn, orn, extra ? extra : "", refund, total);
    return wxp_v3_request(&client, "POST", "/v3/refund/domestic/refunds", wxp_cstr(body), r);
}

/* r->body parsed into doc (a copy: the reader unescapes in place). */
static void parse_body(const wxp_result *r, wxp_json *doc)
{
    static char text[8192];
    static wxp_json_tok tok[512];
    wxp_result pr;
    assert_true(r->body.len < sizeof text);
    memcpy(text, r->body.ptr, r->body.len);
    text[r->body.len] = 0;
    assert_int_equal(wxp_json_parse(doc, text, r->body.len, tok, 512, &pr), WXP_OK);
}

static int has_key(const wxp_result *r, const char *key)
{
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\"%s\"", key);
    return r->body.len && strstr(test_cstr(r->body), quoted) != NULL;
}

/* ---- comparing with the official examples ------------------------------------- */

/* Whether path is in the NULL-terminated list. */
static int listed(const char *path, const char *const *list)
{
    for (; list && *list; list++)
        if (strcmp(*list, path) == 0) return 1;
    return 0;
}

/* want (the official example) and got (the simulator) have the same members
   with the same JSON types, recursively; arrays by their first elements. A
   member of want that got lacks must be in absent_ok (a field WeChat Pay sends
   only in a state the simulator's answer is not in, said next to the list);
   got may have no member want lacks. */
static void same_shape(const wxp_json *want, int w, const wxp_json *got, int g, const char *path,
                       const char *const *absent_ok)
{
    char sub[160], key[64];
    int c, d;
    if (want->tok[w].type != got->tok[g].type)
        fail_msg("%s: the official example has JSON type %d, the simulator %d", path[0] ? path : "(root)",
                 want->tok[w].type, got->tok[g].type);
    if (want->tok[w].type == WXP_JSON_ARRAY) {
        c = wxp_json_first(want, w);
        d = wxp_json_first(got, g);
        snprintf(sub, sizeof sub, "%s[]", path);
        if (c >= 0 && d >= 0) same_shape(want, c, got, d, sub, absent_ok);
        else if (c >= 0 && !listed(sub, absent_ok)) fail_msg("%s: the simulator's list is empty", sub);
        return;
    }
    if (want->tok[w].type != WXP_JSON_OBJECT) return;
    for (c = wxp_json_first(want, w); c >= 0; c = wxp_json_next(want, w, c)) {
        wxp_str k = wxp_json_key(want, c);
        assert_true(k.len < sizeof key);
        memcpy(key, k.ptr, k.len);
        key[k.len] = 0;
        snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "." : "", key);
        d = wxp_json_get(got, g, key);
        if (d < 0) {
            if (!listed(sub, absent_ok)) fail_msg("%s: in the official example, not in the simulator's answer", sub);
            continue;
        }
        same_shape(want, c, got, d, sub, absent_ok);
    }
    for (d = wxp_json_first(got, g); d >= 0; d = wxp_json_next(got, g, d)) {
        wxp_str k = wxp_json_key(got, d);
        assert_true(k.len < sizeof key);
        memcpy(key, k.ptr, k.len);
        key[k.len] = 0;
        if (wxp_json_get(want, w, key) < 0)
            fail_msg("%s%s%s: sent by the simulator, not in the official example", path, path[0] ? "." : "", key);
    }
}

static void same_shape_as(const char *official, const wxp_json *got, const char *const *absent_ok)
{
    static char text[8192];
    static wxp_json_tok tok[512];
    wxp_json want;
    wxp_result r;
    size_t n = strlen(official);
    assert_true(n < sizeof text);
    memcpy(text, official, n + 1);
    assert_int_equal(wxp_json_parse(&want, text, n, tok, 512, &r), WXP_OK);
    same_shape(&want, 0, got, 0, "", absent_ok);
}

/* An APIv2 key against documented names: exact, or name_<digits>[_<digits>]
   against name_$n[_$m]. */
static int documented(const char *key, const char *const *names)
{
    char base[64];
    size_t n = strlen(key), i = n, idx = 0;
    if (listed(key, names)) return 1;
    while (idx < 2) {
        size_t j = i;
        while (j > 0 && key[j - 1] >= '0' && key[j - 1] <= '9') j--;
        if (j == i || j == 0 || key[j - 1] != '_') break;
        i = j - 1;
        idx++;
        if (i >= sizeof base - 8) return 0;
        memcpy(base, key, i);
        memcpy(base + i, idx == 1 ? "_$n" : "_$n_$m", idx == 1 ? 4 : 7);
        if (listed(base, names)) return 1;
    }
    return 0;
}

/* The fields of an APIv2 answer (got) against the official example XML: each
   element of the example is in got unless absent_ok lists it; each element of
   got is a documented field. */
static void v2_same_fields(const char *official, const wxp_kv *got, size_t ngot, const char *const *names,
                           const char *const *absent_ok)
{
    static char text[4096];
    wxp_kv want[64];
    size_t n = 0, i;
    wxp_result r;
    assert_true(strlen(official) < sizeof text);
    strcpy(text, official);
    assert_int_equal(wxp_xml_parse(text, strlen(text), want, 64, &n, &r), WXP_OK);
    for (i = 0; i < n; i++) {
        const char *k = test_cstr(want[i].key);
        if (!wxp_kv_get(got, ngot, k) && !listed(k, absent_ok))
            fail_msg("<%s>: in the official example, not in the simulator's answer", k);
    }
    for (i = 0; i < ngot; i++) {
        const char *k = test_cstr(got[i].key);
        if (!documented(k, names)) fail_msg("<%s>: sent by the simulator, not a documented field", k);
    }
}

/* ---- rules WeChat Pay applies, organically ------------------------------------ */

/* More than is left on the order: 400 INVALID_REQUEST (APIv2: INVALID_REQUEST
   "refund_fee大于可退金额"); nothing left: 400 INVALID_REQUEST (APIv2: ERROR
   "订单已全额退款"). NOT_ENOUGH is the merchant's balance, below. */
static void over_refund_is_a_business_rule(void **state)
{
    wxp_result r;
    (void)state;
    start();
    assert_int_equal(wxp_fake_add_order(&fake, ORDER, NULL, 888), WXP_OK);
    assert_int_equal(v3_refund(ORDER, "R-600", 600, 888, &r), WXP_OK);
    assert_v3(v3_refund(ORDER, "R-300", 300, 888, &r), &r, 400, "INVALID_REQUEST");
    assert_non_null(strstr(r.message, "288"));
    assert_v2(v2_refund(ORDER, "R-300-V2", 300, 888, &r), &r, "INVALID_REQUEST");
    assert_string_equal(r.message, "refund_fee大于可退金额");
    assert_int_equal(v2_refund(ORDER, "R-288", 288, 888, &r), WXP_OK);
    assert_v3(v3_refund(ORDER, "R-1", 1, 888, &r), &r, 400, "INVALID_REQUEST");
    assert_v2(v2_refund(ORDER, "R-1-V2", 1, 888, &r), &r, "ERROR");
    assert_string_equal(r.message, "订单已全额退款");
    assert_int_equal(wxp_fake_find_order(&fake, ORDER)->refunded, 888);
    assert_int_equal(wxp_fake_refund_count(&fake), 2);
}

/* The merchant's refundable balance short: 403 NOT_ENOUGH / NOTENOUGH. */
static void short_balance_is_not_enough(void **state)
{
    wxp_result r;
    (void)state;
    start();
    assert_int_equal(wxp_fake_add_order(&fake, ORDER, NULL, 888), WXP_OK);
    wxp_fake_set_balance(&fake, 500);
    assert_int_equal(v3_refund(ORDER, "R-300", 300, 888, &r), WXP_OK);
    assert_v3(v3_refund(ORDER, "R-201", 201, 888, &r), &r, 403, "NOT_ENOUGH");
    assert_non_null(strstr(r.message, "200"));
    assert_v2(v2_refund(ORDER, "R-201-V2", 201, 888, &r), &r, "NOTENOUGH");
    assert_int_equal(v2_refund(ORDER, "R-200", 200, 888, &r), WXP_OK);
    /* Topped up (or unlimited again): the same request number now goes through. */
    wxp_fake_set_balance(&fake, -1);
    assert_int_equal(v3_refund(ORDER, "R-201", 201, 888, &r), WXP_OK);
    assert_int_equal(wxp_fake_find_order(&fake, ORDER)->refunded, 701);
}

/* At most 50 refunds of one order, on APIv3 as on APIv2: the 51st is 400
   INVALID_REQUEST, whatever is left. */
static void fifty_refunds_per_order(void **state)
{
    wxp_result r;
    char orn[32];
    int i;
    (void)state;
    start();
    assert_int_equal(wxp_fake_add_order(&fake, ORDER, NULL, 100), WXP_OK);
    for (i = 1; i <= 50; i++) {
        snprintf(orn, sizeof orn, "R-PART-%d", i);
        if (i % 2) assert_int_equal(v3_refund(ORDER, orn, 1, 100, &r), WXP_OK);
        else assert_int_equal(v2_refund(ORDER, orn, 1, 100, &r), WXP_OK);
    }
    assert_v3(v3_refund(ORDER, "R-PART-51", 1, 100, &r), &r, 400, "INVALID_REQUEST");
    assert_non_null(strstr(r.message, "50"));
    assert_v2(v2_refund(ORDER, "R-PART-51-V2", 1, 100, &r), &r, "INVALID_REQUEST");
    assert_int_equal(wxp_fake_find_order(&fake, ORDER)->refund_count, 50);
    assert_int_equal(wxp_fake_find_order(&fake, ORDER)->refunded, 50);
}

/* Paid more than 365 days before the clock: APIv3 400 INVALID_REQUEST (its
   table has no TRADE_OVERDUE), APIv2 TRADE_OVERDUE. 365 days is still fine. */
static void year_old_orders_are_overdue(void **state)
{
    wxp_result r;
    long long now;
    (void)state;
    start();
    now = test_now;
    test_now = now - 366 * DAY;
    assert_int_equal(wxp_fake_add_order(&fake, "T-OLD-01", NULL, 100), WXP_OK);
    test_now = now - 365 * DAY + 10;
    assert_int_equal(wxp_fake_add_order(&fake, "T-YEAR-01", NULL, 100), WXP_OK);
    test_now = now;
    assert_v3(v3_refund("T-OLD-01", "R-OLD", 100, 100, &r), &r, 400, "INVALID_REQUEST");
    assert_non_null(strstr(r.message, "365 days"));
    assert_v2(v2_refund("T-OLD-01", "R-OLD-V2", 100, 100, &r), &r, "TRADE_OVERDUE");
    assert_int_equal(wxp_fake_find_order(&fake, "T-OLD-01")->refunded, 0);
    assert_int_equal(v3_refund("T-YEAR-01", "R-YEAR", 50, 100, &r), WXP_OK);
    assert_int_equal(v2_refund("T-YEAR-01", "R-YEAR-V2", 50, 100, &r), WXP_OK);
}

/* A merchant the server does not know: 404 MCH_NOT_EXISTS (Authorization's
   mchid, a refund's sub_mchid); APIv2 sub_mch_id: MCHID_NOT_EXIST. A
   signature that does not verify: 401 SIGN_ERROR; a wrong APIv2 key:
   return_code FAIL "签名错误". */
static void unknown_merchants_and_bad_signatures(void **state)
{
    wxp_refund_req q;
    wxp_refund out;
    wxp_v2_refund_req q2;
    wxp_v2_refund_result out2;
    wxp_result r;
    opts o;
    (void)state;
    memset(&o, 0, sizeof o);
    o.mchid = "1900000002";
    start_with(&o);
    assert_int_equal(wxp_fake_add_order(&fake, ORDER, NULL, 888), WXP_OK);
    assert_v3(v3_refund(ORDER, "R-X", 100, 888, &r), &r, 404, "MCH_NOT_EXISTS");

    start();
    assert_int_equal(wxp_fake_add_order(&fake, ORDER, NULL, 888), WXP_OK);
    q = v3_req(ORDER, "R-SUB", 100, 888);
    q.sub_mchid = "1900000999";
    memset(&out, 0, sizeof out);
    assert_v3(wxp_refund_create(&client, &q, &out, &r), &r, 404, "MCH_NOT_EXISTS");
    test_now++;
    q2 = v2_req(ORDER, "R-SUB-V2", 100, 888);
    q2.sub_mch_id = "1900000999";
    memset(&out2, 0, sizeof out2);
    assert_v2(wxp_v2_refund(&client, &q2, &out2, &r), &r, "MCHID_NOT_EXIST");
    test_now++;
    assert_int_equal(wxp_fake_refund_count(&fake), 0);

    memset(&o, 0, sizeof o);
    o.merchant_key = WXP_TEST_PLATFORM_KEY;          /* not the key WeChat Pay holds */
    o.apiv2_key = "0123456789abcdef0123456789abcdef";
    start_with(&o);
    assert_int_equal(wxp_fake_add_order(&fake, ORDER, NULL, 888), WXP_OK);
    assert_v3(v3_refund(ORDER, "R-SIG", 100, 888, &r), &r, 401, "SIGN_ERROR");
    assert_int_equal(v2_refund(ORDER, "R-SIG-V2", 100, 888, &r), WXP_E_V2_RETURN);
    assert_string_equal(r.message, "签名错误");
    assert_int_equal(wxp_fake_refund_count(&fake), 0);
}

/* config.refund_fail_qps (WeChat Pay: 6): the 7th failing refund application
   in one second blocks refunds for 60 s: APIv3 429 FREQUENCY_LIMITED, APIv2
   INVALID_REQ_TOO_MUCH; a valid one too. Raw calls: no client budget. */
static void failing_refunds_past_the_rate_are_blocked(void **state)
{
    wxp_kv kv[8], ans[64];
    size_t n = 0;
    wxp_result r;
    char orn[32];
    int i;
    opts o;
    (void)state;
    memset(&o, 0, sizeof o);
    o.fail_qps = 6;
    start_with(&o);
    assert_int_equal(wxp_fake_add_order(&fake, ORDER, NULL, 888), WXP_OK);
    for (i = 0; i < 7; i++) {
        snprintf(orn, sizeof orn, "R-BAD-%d", i);
        assert_v3(raw_refund(ORDER, orn, 100, 999, NULL, &r), &r, 400, "PARAM_ERROR");
    }
    assert_v3(raw_refund(ORDER, "R-GOOD", 100, 888, NULL, &r), &r, 429, "FREQUENCY_LIMITED");
    kv[0].key = wxp_cstr("appid");          kv[0].value = wxp_cstr(APPID);
    kv[1].key = wxp_cstr("out_trade_no");   kv[1].value = wxp_cstr(ORDER);
    kv[2].key = wxp_cstr("out_refund_no");  kv[2].value = wxp_cstr("R-GOOD-V2");
    kv[3].key = wxp_cstr("total_fee");      kv[3].value = wxp_cstr("888");
    kv[4].key = wxp_cstr("refund_fee");     kv[4].value = wxp_cstr("100");
    assert_v2(wxp_v2_request(&client, "/secapi/pay/refund", kv, 5, 0, ans, 64, &n, &r), &r,
              "INVALID_REQ_TOO_MUCH");
    test_now += 59;
    assert_v3(raw_refund(ORDER, "R-GOOD", 100, 888, NULL, &r), &r, 429, "FREQUENCY_LIMITED");
    test_now += 1;
    assert_int_equal(raw_refund(ORDER, "R-GOOD", 100, 888, NULL, &r), WXP_OK);
    assert_int_equal(wxp_v2_request(&client, "/secapi/pay/refund", kv, 5, 0, ans, 64, &n, &r), WXP_OK);
    /* Six failures in one second are within the limit. */
    for (i = 0; i < 6; i++) {
        snprintf(orn, sizeof orn, "R-SIX-%d", i);
        assert_v3(raw_refund(ORDER, orn, 100, 999, NULL, &r), &r, 400, "PARAM_ERROR");
    }
    assert_int_equal(raw_refund(ORDER, "R-SEVENTH", 1, 888, NULL, &r), WXP_OK);
    assert_int_equal(wxp_fake_refund_count(&fake), 3);
}

/* A PROCESSING refund has no success_time (absent, not ""); it comes with
   SUCCESS. funds_account: AVAILABLE when asked for, else UNSETTLED. */
static void processing_refund_fields(void **state)
{
    wxp_result r;
    (void)state;
    start();
    assert_int_equal(wxp_fake_add_order(&fake, ORDER, NULL, 888), WXP_OK);
    assert_int_equal(raw_refund(ORDER, "R-P", 100, 888, NULL, &r), WXP_OK);
    assert_non_null(strstr(test_cstr(r.body), "\"status\":\"PROCESSING\""));
    assert_false(has_key(&r, "success_time"));
    assert_non_null(strstr(test_cstr(r.body), "\"funds_account\":\"UNSETTLED\""));
    test_now += 60;
    assert_int_equal(wxp_v3_request(&client, "GET", "/v3/refund/domestic/refunds/R-P", wxp_cstr(""), &r), WXP_OK);
    assert_non_null(strstr(test_cstr(r.body), "\"status\":\"SUCCESS\""));
    assert_non_null(strstr(test_cstr(r.body), "\"success_time\":\"2026-11-23T17:05:53+08:00\""));
    assert_int_equal(raw_refund(ORDER, "R-A", 100, 888, "\"funds_account\":\"AVAILABLE\",", &r), WXP_OK);
    assert_non_null(strstr(test_cstr(r.body), "\"funds_account\":\"AVAILABLE\""));
    /* A pinned PROCESSING refund stays without it when queried. */
    assert_int_equal(wxp_fake_set_refund_status(&fake, "R-A", "PROCESSING"), WXP_OK);
    assert_int_equal(wxp_v3_request(&client, "GET", "/v3/refund/domestic/refunds/R-A", wxp_cstr(""), &r), WXP_OK);
    assert_false(has_key(&r, "success_time"));
}

/* ---- subsidies: WeChat Pay's status enumerations ------------------------------ */

#define STOCK "128888000000001"
#define CODE  "ABCD12345678"
#define TID   "4200000913202101152566792388"

static const char *subsidy_body(int is_return, long long amount, const char *out_no)
{
    static char body[512];
    snprintf(body, sizeof body,
             "{\"stock_id\":\"" STOCK "\",\"coupon_code\":\"" CODE "\",\"transaction_id\":\"" TID "\",%s"
             "\"payer_merchant\":\"1900000001\",\"payee_merchant\":\"1800000001\",\"amount\":%lld,"
             "\"description\":\"20210115DESCRIPTION\",\"%s\":\"%s\"}",
             is_return ? "\"refund_id\":\"50100506732021010105138718375\"," : "", amount,
             is_return ? "out_subsidy_return_no" : "out_subsidy_no", out_no);
    return body;
}

static wxp_err subsidy(int is_return, long long amount, const char *out_no, wxp_result *r)
{
    return wxp_v3_request(&client, "POST",
                          is_return ? "/v3/marketing/busifavor/subsidy/return-receipts"
                                    : "/v3/marketing/busifavor/subsidy/pay-receipts",
                          wxp_cstr(subsidy_body(is_return, amount, out_no)), r);
}

static void subsidy_statuses(void **state)
{
    wxp_subsidy_pay_receipt pay;
    wxp_result r;
    char id[64];
    (void)state;
    start();
    assert_int_equal(wxp_fake_add_order(&fake, "T-SUBSIDY", TID, 1000), WXP_OK);
    assert_int_equal(wxp_fake_add_coupon(&fake, STOCK, CODE, "USED"), WXP_OK);
    assert_int_equal(subsidy(0, 300, "pay-1", &r), WXP_OK);
    assert_non_null(strstr(test_cstr(r.body), "\"status\":\"PAY_RECEIPT_SUCCESS\""));
    assert_false(has_key(&r, "fail_reason"));
    assert_true(has_key(&r, "success_time"));
    memset(&pay, 0, sizeof pay);
    {
        wxp_json doc;
        wxp_str v;
        parse_body(&r, &doc);
        assert_int_equal(wxp_json_string(&doc, wxp_json_get(&doc, 0, "subsidy_receipt_id"), &v), WXP_OK);
        snprintf(id, sizeof id, "%s", test_cstr(v));
    }
    assert_int_equal(subsidy(1, 100, "ret-1", &r), WXP_OK);
    assert_non_null(strstr(test_cstr(r.body), "\"status\":\"RETURN_RECEIPT_SUCCESS\""));
    assert_false(has_key(&r, "fail_reason"));
    assert_true(has_key(&r, "subsidy_return_receipt_id"));
    assert_true(has_key(&r, "return_done_time"));
    /* The pay receipt follows its returns (typed query). */
    assert_int_equal(wxp_subsidy_pay_query(&client, id, &pay, &r), WXP_OK);
    assert_string_equal(test_cstr(pay.status), "PAY_RECEIPT_PARTIAL_RETURN");
    assert_int_equal(pay.fail_reason.len, 0);
    assert_int_equal(subsidy(1, 200, "ret-2", &r), WXP_OK);
    assert_int_equal(wxp_subsidy_pay_query(&client, id, &pay, &r), WXP_OK);
    assert_string_equal(test_cstr(pay.status), "PAY_RECEIPT_FULL_RETURN");

    /* Still being processed (WXP_FAKE_ACCEPTED): no id of the return, no done
       or success time; looked at again, done. */
    assert_int_equal(wxp_fake_add_coupon(&fake, STOCK, "ACCEPTED-1", "USED"), WXP_OK);
    wxp_fake_fault(&fake, WXP_FAKE_ACCEPTED);
    assert_int_equal(wxp_v3_request(&client, "POST", "/v3/marketing/busifavor/subsidy/pay-receipts",
                                    wxp_cstr("{\"stock_id\":\"" STOCK "\",\"coupon_code\":\"ACCEPTED-1\","
                                             "\"transaction_id\":\"" TID "\",\"payer_merchant\":\"1900000001\","
                                             "\"payee_merchant\":\"1800000001\",\"amount\":50,"
                                             "\"description\":\"d\",\"out_subsidy_no\":\"pay-acc\"}"),
                                    &r), WXP_OK);
    assert_non_null(strstr(test_cstr(r.body), "\"status\":\"PAY_RECEIPT_ACCEPTED\""));
    assert_true(has_key(&r, "subsidy_receipt_id"));
    assert_false(has_key(&r, "success_time"));
    wxp_fake_fault(&fake, WXP_FAKE_ACCEPTED);
    assert_int_equal(subsidy(0, 100, "pay-2", &r), WXP_OK);      /* a second payment */
    wxp_fake_fault(&fake, WXP_FAKE_ACCEPTED);
    assert_int_equal(subsidy(1, 100, "ret-acc", &r), WXP_OK);
    assert_non_null(strstr(test_cstr(r.body), "\"status\":\"RETURN_RECEIPT_ACCEPTED\""));
    assert_false(has_key(&r, "subsidy_return_receipt_id"));
    assert_false(has_key(&r, "return_done_time"));
    assert_false(has_key(&r, "fail_reason"));
    assert_int_equal(subsidy(1, 100, "ret-acc", &r), WXP_OK);    /* the retry: done */
    assert_non_null(strstr(test_cstr(r.body), "\"status\":\"RETURN_RECEIPT_SUCCESS\""));
    assert_true(has_key(&r, "subsidy_return_receipt_id"));
}

/* ---- every code, by script: status, err_code, and whether the library retries -- */

typedef struct code_case {
    const char *code;        /* as given to wxp_fake_fail_with */
    int         status;      /* APIv3 */
    const char *v3;
    const char *v2;          /* APIv2 err_code; NULL: return_code FAIL */
    int         v3_retried;  /* wxp_refund_create sends it again (wxp__retryable) */
    int         v2_retried;  /* wxp_v2_refund sends it again (wxp__v2_retryable) */
} code_case;

static const code_case codes[] = {
    { "SYSTEM_ERROR", 500, "SYSTEM_ERROR", "SYSTEMERROR", 1, 1 },
    { "FREQUENCY_LIMITED", 429, "FREQUENCY_LIMITED", "FREQUENCY_LIMITED", 1, 1 },
    { "USER_ACCOUNT_ABNORMAL", 403, "USER_ACCOUNT_ABNORMAL", "USER_ACCOUNT_ABNORMAL", 0, 0 },
    { "MCH_NOT_EXISTS", 404, "MCH_NOT_EXISTS", "MCHID_NOT_EXIST", 0, 0 },
    { "NO_AUTH", 403, "NO_AUTH", "NOAUTH", 0, 0 },
    { "SIGN_ERROR", 401, "SIGN_ERROR", NULL, 0, 0 },
    { "PARAM_ERROR", 400, "PARAM_ERROR", "PARAM_ERROR", 0, 0 },
    { "INVALID_REQUEST", 400, "INVALID_REQUEST", "INVALID_REQUEST", 0, 0 },
    { "NOT_ENOUGH", 403, "NOT_ENOUGH", "NOTENOUGH", 0, 0 },
    { "NOTENOUGH", 403, "NOT_ENOUGH", "NOTENOUGH", 0, 0 },
    { "RESOURCE_NOT_EXISTS", 404, "RESOURCE_NOT_EXISTS", "ORDERNOTEXIST", 0, 0 },
    { "TRADE_OVERDUE", 400, "INVALID_REQUEST", "TRADE_OVERDUE", 0, 0 },
    { "BIZERR_NEED_RETRY", 500, "SYSTEM_ERROR", "BIZERR_NEED_RETRY", 1, 1 },
    { "INVALID_REQ_TOO_MUCH", 429, "FREQUENCY_LIMITED", "INVALID_REQ_TOO_MUCH", 1, 0 },
    { "ERROR", 400, "INVALID_REQUEST", "ERROR", 0, 0 },
    { "ORDER_NOT_READY", 400, "INVALID_REQUEST", "ORDER_NOT_READY", 0, 0 },
    { "INVALID_TRANSACTIONID", 400, "PARAM_ERROR", "INVALID_TRANSACTIONID", 0, 0 },
    { "REFUNDNOTEXIST", 404, "RESOURCE_NOT_EXISTS", "REFUNDNOTEXIST", 0, 0 },
    { "APPID_NOT_EXIST", 400, "PARAM_ERROR", "APPID_NOT_EXIST", 0, 0 },
    { "XML_FORMAT_ERROR", 400, "PARAM_ERROR", NULL, 0, 0 },
    { "CERT_ERROR", 401, "SIGN_ERROR", "CERT_ERROR", 0, 0 }
};

/* Each code once, then a good answer: the typed call either gives up with the
   code (one request, nothing booked) or, for the codes it retries, sends the
   same request again and gets the refund (two requests, booked once). */
static void every_code_by_script(void **state)
{
    wxp_result r;
    char orn[48];
    size_t i, before;
    opts o;
    (void)state;
    memset(&o, 0, sizeof o);
    o.attempts = 2;
    start_with(&o);
    assert_int_equal(wxp_fake_add_order(&fake, ORDER, NULL, 100000), WXP_OK);
    assert_int_equal(wxp_fake_fail_with(&fake, NULL, "NO_SUCH_CODE", 1), WXP_E_ARG);
    for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const code_case *c = &codes[i];
        wxp_err e;
        /* APIv3 */
        snprintf(orn, sizeof orn, "R3-%s", c->code);
        assert_int_equal(wxp_fake_fail_with(&fake, "/v3/refund/domestic/refunds", c->code, 1), WXP_OK);
        before = wxp_fake_request_count(&fake);
        e = v3_refund(ORDER, orn, 1, 100000, &r);
        if (c->v3_retried) {
            assert_int_equal(e, WXP_OK);
            assert_int_equal(wxp_fake_request_count(&fake), before + 2);
            assert_int_equal(wxp_fake_record_at(&fake, before)->status, c->status);
            assert_string_equal(wxp_fake_record_at(&fake, before)->code, c->v3);
            assert_non_null(wxp_fake_find_refund(&fake, orn));
        } else {
            assert_v3(e, &r, c->status, c->v3);
            assert_int_equal(wxp_fake_request_count(&fake), before + 1);
            assert_null(wxp_fake_find_refund(&fake, orn));
        }
        /* APIv2 */
        snprintf(orn, sizeof orn, "R2-%s", c->code);
        assert_int_equal(wxp_fake_fail_with(&fake, "/secapi/pay/refund", c->code, 1), WXP_OK);
        before = wxp_fake_request_count(&fake);
        e = v2_refund(ORDER, orn, 1, 100000, &r);
        if (c->v2_retried) {
            assert_int_equal(e, WXP_OK);
            assert_int_equal(wxp_fake_request_count(&fake), before + 2);
            assert_string_equal(wxp_fake_record_at(&fake, before)->code, c->v2);
        } else if (c->v2) {
            assert_v2(e, &r, c->v2);
            assert_int_equal(wxp_fake_request_count(&fake), before + 1);
            assert_null(wxp_fake_find_refund(&fake, orn));
        } else {
            assert_int_equal(e, WXP_E_V2_RETURN);
            assert_int_equal(wxp_fake_request_count(&fake), before + 1);
        }
    }
    /* Scoped to a path: other requests go through, and it waits for its own. */
    assert_int_equal(wxp_fake_fail_with(&fake, "/v3/marketing/busifavor/coupons/return", "NO_AUTH", 1), WXP_OK);
    assert_int_equal(v3_refund(ORDER, "R-OTHER-PATH", 1, 100000, &r), WXP_OK);
    assert_int_equal(wxp_fake_add_coupon(&fake, STOCK, CODE, "USED"), WXP_OK);
    {
        wxp_coupon_return_req q;
        wxp_coupon_return_result out;
        memset(&q, 0, sizeof q);
        q.coupon_code = CODE;
        q.stock_id = STOCK;
        q.return_request_no = "return-1";
        assert_v3(wxp_coupon_return(&client, &q, &out, &r), &r, 403, "NO_AUTH");
        assert_string_equal(wxp_fake_find_coupon(&fake, STOCK, CODE)->state, "USED");
        assert_int_equal(wxp_coupon_return(&client, &q, &out, &r), WXP_OK);
    }
    /* The subsidy return: a code the library resends, then one it does not. */
    assert_int_equal(wxp_fake_add_order(&fake, "T-SUBSIDY", TID, 1000), WXP_OK);
    assert_int_equal(wxp_fake_set_coupon_state(&fake, STOCK, CODE, "USED"), WXP_OK);
    assert_int_equal(subsidy(0, 300, "pay-script", &r), WXP_OK);
    {
        wxp_subsidy_return_req q;
        wxp_subsidy_return_receipt out;
        memset(&q, 0, sizeof q);
        q.stock_id = STOCK;
        q.coupon_code = CODE;
        q.transaction_id = TID;
        q.refund_id = "50100506732021010105138718375";
        q.payer_merchant = "1900000001";
        q.payee_merchant = "1800000001";
        q.amount = 100;
        q.description = "20210115DESCRIPTION";
        q.out_subsidy_return_no = "ret-script-1";
        assert_int_equal(wxp_fake_fail_with(&fake, "/v3/marketing/busifavor/subsidy/return-receipts",
                                            "FREQUENCY_LIMITED", 1), WXP_OK);
        before = wxp_fake_request_count(&fake);
        memset(&out, 0, sizeof out);
        assert_int_equal(wxp_subsidy_return(&client, &q, &out, &r), WXP_OK);
        assert_int_equal(wxp_fake_request_count(&fake), before + 2);
        assert_string_equal(test_cstr(out.status), "RETURN_RECEIPT_SUCCESS");
        q.out_subsidy_return_no = "ret-script-2";
        assert_int_equal(wxp_fake_fail_with(&fake, NULL, "NO_AUTH", 1), WXP_OK);
        assert_v3(wxp_subsidy_return(&client, &q, &out, &r), &r, 403, "NO_AUTH");
        assert_int_equal(wxp_fake_request_count(&fake), before + 3);
    }
    /* times 0 clears a pending one. */
    assert_int_equal(wxp_fake_fail_with(&fake, NULL, "NO_AUTH", 1), WXP_OK);
    assert_int_equal(wxp_fake_fail_with(&fake, NULL, "NO_AUTH", 0), WXP_OK);
    assert_int_equal(v3_refund(ORDER, "R-CLEARED", 1, 100000, &r), WXP_OK);
    /* So does wxp_fake_clear_script; a count of 2 answers twice. */
    assert_int_equal(wxp_fake_fail_with(&fake, NULL, "NO_AUTH", 1), WXP_OK);
    wxp_fake_clear_script(&fake);
    assert_int_equal(v3_refund(ORDER, "R-CLEARED-2", 1, 100000, &r), WXP_OK);
    assert_int_equal(wxp_fake_fail_with(&fake, NULL, "USER_ACCOUNT_ABNORMAL", 2), WXP_OK);
    assert_v3(v3_refund(ORDER, "R-TWICE", 1, 100000, &r), &r, 403, "USER_ACCOUNT_ABNORMAL");
    assert_v3(v3_refund(ORDER, "R-TWICE", 1, 100000, &r), &r, 403, "USER_ACCOUNT_ABNORMAL");
    assert_int_equal(v3_refund(ORDER, "R-TWICE", 1, 100000, &r), WXP_OK);
}

/* ---- the answers against the official examples -------------------------------- */

/* POST /v3/refund/domestic/refunds, 应答示例 of the official page
   https://pay.weixin.qq.com/doc/v3/merchant/4012556457 (the same body as
   https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter3_1_9.shtml). */
static const char official_refund[] =
    "{\"refund_id\":\"50000000382019052709732678859\",\"out_refund_no\":\"1217752501201407033233368018\","
    "\"transaction_id\":\"1217752501201407033233368018\",\"out_trade_no\":\"1217752501201407033233368018\","
    "\"channel\":\"ORIGINAL\",\"user_received_account\":\"招商银行信用卡0403\","
    "\"success_time\":\"2020-12-01T16:18:12+08:00\",\"create_time\":\"2020-12-01T16:18:12+08:00\","
    "\"status\":\"SUCCESS\",\"funds_account\":\"UNSETTLED\","
    "\"amount\":{\"total\":100,\"refund\":100,\"from\":[{\"account\":\"AVAILABLE\",\"amount\":444}],"
    "\"payer_total\":90,\"payer_refund\":90,\"settlement_refund\":100,\"settlement_total\":100,"
    "\"discount_refund\":10,\"currency\":\"CNY\",\"refund_fee\":100},"
    "\"promotion_detail\":[{\"promotion_id\":\"109519\",\"scope\":\"GLOBAL\",\"type\":\"COUPON\",\"amount\":5,"
    "\"refund_amount\":100,\"goods_detail\":[{\"merchant_goods_id\":\"1217752501201407033233368018\","
    "\"wechatpay_goods_id\":\"1001\",\"goods_name\":\"iPhone6s 16G\",\"unit_price\":528800,"
    "\"refund_amount\":528800,\"refund_quantity\":1}]}]}";

/* Fields of the example the simulator's answer may lack, and why: the fee
   refund (手续费退款金额) exists only for merchants charged a fee per order;
   goods_detail lists the goods of single-item promotions, and the
   simulator's orders have no goods; success_time comes only with SUCCESS. */
static const char *const refund_absent_ok[] = { "amount.refund_fee", "promotion_detail[].goods_detail[]", NULL };
static const char *const processing_absent_ok[] = { "amount.refund_fee", "promotion_detail[].goods_detail[]",
                                                    "success_time", NULL };

/* The refund callback's resource, 通知示例 of 退款结果通知,
   https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter3_5_11.shtml. */
static const char official_refund_notify[] =
    "{\"mchid\":\"1900000100\",\"transaction_id\":\"1008450740201411110005820873\","
    "\"out_trade_no\":\"20150806125346\",\"refund_id\":\"50200207182018070300011301001\","
    "\"out_refund_no\":\"7752501201407033233368018\",\"refund_status\":\"SUCCESS\","
    "\"success_time\":\"2018-06-08T10:34:56+08:00\",\"user_received_account\":\"招商银行信用卡0403\","
    "\"amount\":{\"total\":999,\"refund\":999,\"payer_total\":999,\"payer_refund\":999}}";

static void refund_answers_match_the_official_example(void **state)
{
    static char body[4096];
    static unsigned char plain[2048];
    wxp_notify_headers h;
    wxp_notification n;
    wxp_json doc;
    wxp_result r;
    size_t len = 0;
    (void)state;
    start();
    assert_int_equal(wxp_fake_add_order(&fake, ORDER, NULL, 100), WXP_OK);
    assert_int_equal(wxp_fake_order_coupon(&fake, ORDER, "109519", "CASH", 10), WXP_OK);
    /* amount.from as the example has it. */
    assert_int_equal(wxp_v3_request(&client, "POST", "/v3/refund/domestic/refunds",
                                    wxp_cstr("{\"out_trade_no\":\"" ORDER "\",\"out_refund_no\":\"R-EX\","
                                             "\"amount\":{\"refund\":100,\"total\":100,\"currency\":\"CNY\","
                                             "\"from\":[{\"account\":\"AVAILABLE\",\"amount\":100}]}}"),
                                    &r), WXP_OK);
    parse_body(&r, &doc);
    same_shape_as(official_refund, &doc, processing_absent_ok);
    assert_false(has_key(&r, "success_time"));
    test_now += 60;
    assert_int_equal(wxp_v3_request(&client, "GET", "/v3/refund/domestic/refunds/R-EX", wxp_cstr(""), &r), WXP_OK);
    parse_body(&r, &doc);
    same_shape_as(official_refund, &doc, refund_absent_ok);
    /* The enumerations: status, channel, funds_account, scope, type, account. */
    assert_non_null(strstr(test_cstr(r.body), "\"channel\":\"ORIGINAL\""));
    assert_non_null(strstr(test_cstr(r.body), "\"status\":\"SUCCESS\""));
    assert_non_null(strstr(test_cstr(r.body), "\"scope\":\"GLOBAL\",\"type\":\"COUPON\""));

    /* The callback of that refund. */
    assert_int_equal(wxp_fake_notify_refund(&fake, wxp_cstr(WXP_TEST_APIV3_KEY), "R-EX", body, sizeof body, &len,
                                            &h, &r), WXP_OK);
    assert_int_equal(wxp_notify_parse(&client, &h, body, len, plain, sizeof plain, &n, &r), WXP_OK);
    assert_string_equal(test_cstr(n.event_type), "REFUND.SUCCESS");
    assert_string_equal(test_cstr(n.resource_type), "encrypt-resource");
    assert_string_equal(test_cstr(n.original_type), "refund");
    r.body = n.plaintext;
    parse_body(&r, &doc);
    same_shape_as(official_refund_notify, &doc, NULL);
}

/* POST /v3/marketing/busifavor/coupons/return
   (https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter9_2_13.shtml): its one
   answer field, as seeds 000 and 001 list it, an RFC 3339 time. The page's
   own example was not retrievable here; the value is illustrative. */
static const char official_coupon_return[] = "{\"wechatpay_return_time\":\"2020-05-20T13:29:35.120+08:00\"}";

/* POST /v3/marketing/busifavor/subsidy/return-receipts
   (https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter9_2_17.shtml): the
   page's example was not retrievable here, so this is its field list (seed
   002) with the types, presence and enumerations of the official Go SDK's
   model (github.com/wechatpay-apiv3/wechatpay-go,
   services/merchantexclusivecoupon/models.go, SubsidyReturnReceipt: status
   RETURN_RECEIPT_{UNKNOWN,ACCEPTED,SUCCESS,FAIL}; fail_reason
   RETURN_RECEIPT_{INSUFFICIENT_BALANCE,OTHER} "only when the return failed";
   subsidy_return_receipt_id "only once the return succeeded"); values are
   illustrative. */
static const char official_subsidy_return[] =
    "{\"subsidy_return_receipt_id\":\"1120200119165100000000000001\",\"stock_id\":\"128888000000001\","
    "\"coupon_code\":\"ABCD12345678\",\"transaction_id\":\"4200000913202101152566792388\","
    "\"refund_id\":\"50100506732021010105138718375\",\"payer_merchant\":\"1900000001\","
    "\"payee_merchant\":\"1800000001\",\"amount\":100,\"description\":\"20210115DESCRIPTION\","
    "\"status\":\"RETURN_RECEIPT_SUCCESS\",\"fail_reason\":\"RETURN_RECEIPT_OTHER\","
    "\"return_done_time\":\"2021-01-20T10:29:43+08:00\",\"subsidy_receipt_id\":\"1120200119165100000000000001\","
    "\"out_subsidy_return_no\":\"subsidy-abc-2021010101\",\"return_create_time\":\"2021-01-20T10:29:43+08:00\"}";
static const char *const subsidy_absent_ok[] = { "fail_reason", NULL };

static void marketing_answers_match_the_official_examples(void **state)
{
    wxp_json doc;
    wxp_result r;
    (void)state;
    start();
    assert_int_equal(wxp_fake_add_order(&fake, "T-SUBSIDY", TID, 1000), WXP_OK);
    assert_int_equal(wxp_fake_add_coupon(&fake, STOCK, CODE, "USED"), WXP_OK);
    assert_int_equal(wxp_v3_request(&client, "POST", "/v3/marketing/busifavor/coupons/return",
                                    wxp_cstr("{\"coupon_code\":\"" CODE "\",\"stock_id\":\"" STOCK "\","
                                             "\"return_request_no\":\"1002600620019090123143254436\"}"),
                                    &r), WXP_OK);
    parse_body(&r, &doc);
    same_shape_as(official_coupon_return, &doc, NULL);

    assert_int_equal(wxp_fake_set_coupon_state(&fake, STOCK, CODE, "USED"), WXP_OK);
    assert_int_equal(subsidy(0, 100, "subsidy-abcd-12345678", &r), WXP_OK);
    assert_int_equal(subsidy(1, 100, "subsidy-abc-2021010101", &r), WXP_OK);
    parse_body(&r, &doc);
    same_shape_as(official_subsidy_return, &doc, subsidy_absent_ok);
}

/* APIv2 POST /secapi/pay/refund(v2): 返回示例 of
   https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_4 (refundv2's page,
   https://pay.weixin.qq.com/wiki/doc/api/danpin.php?chapter=9_103&index=3, sends
   the other fields to it); the documented fields: seed 003. */
static const char official_v2_refund[] =
    "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg>"
    "<appid><![CDATA[wx2421b1c4370ec43b]]></appid><mch_id><![CDATA[10000100]]></mch_id>"
    "<nonce_str><![CDATA[NfsMFbUFpdbEhPXP]]></nonce_str><sign><![CDATA[B7274EB9F8925EB93100DD2085FA56C0]]></sign>"
    "<result_code><![CDATA[SUCCESS]]></result_code>"
    "<transaction_id><![CDATA[1008450740201411110005820873]]></transaction_id>"
    "<out_trade_no><![CDATA[1415757673]]></out_trade_no><out_refund_no><![CDATA[1415701182]]></out_refund_no>"
    "<refund_id><![CDATA[2008450740201411110000174436]]></refund_id>"
    "<refund_channel><![CDATA[]]></refund_channel><refund_fee>1</refund_fee></xml>";
static const char *const v2_refund_fields[] = {
    "return_code", "return_msg", "result_code", "err_code", "err_code_des", "appid", "mch_id", "sub_appid",
    "sub_mch_id", "nonce_str", "sign", "transaction_id", "out_trade_no", "out_refund_no", "refund_id",
    "refund_fee", "settlement_refund_fee", "total_fee", "settlement_total_fee", "fee_type", "cash_fee",
    "cash_fee_type", "cash_refund_fee", "coupon_type_$n", "coupon_refund_fee", "coupon_refund_fee_$n",
    "coupon_refund_count", "coupon_refund_id_$n", "promotion_detail", NULL
};
/* An empty element WeChat Pay leaves unsigned and out of its field table. */
static const char *const v2_refund_absent_ok[] = { "refund_channel", NULL };

/* APIv2 POST /pay/refundquery: 返回示例 of
   https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_5 and its field table. */
static const char official_v2_refundquery[] =
    "<xml><appid><![CDATA[wx2421b1c4370ec43b]]></appid><mch_id><![CDATA[10000100]]></mch_id>"
    "<nonce_str><![CDATA[TeqClE3i0mvn3DrK]]></nonce_str><out_refund_no_0><![CDATA[1415701182]]></out_refund_no_0>"
    "<out_trade_no><![CDATA[1415757673]]></out_trade_no><refund_count>1</refund_count>"
    "<refund_fee_0>1</refund_fee_0><refund_id_0><![CDATA[2008450740201411110000174436]]></refund_id_0>"
    "<refund_status_0><![CDATA[PROCESSING]]></refund_status_0><result_code><![CDATA[SUCCESS]]></result_code>"
    "<return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg>"
    "<sign><![CDATA[1F2841558E233C33ABA71A961D27561C]]></sign>"
    "<transaction_id><![CDATA[1008450740201411110005820873]]></transaction_id></xml>";
static const char *const v2_refundquery_fields[] = {
    "return_code", "return_msg", "result_code", "err_code", "err_code_des", "appid", "mch_id", "nonce_str",
    "sign", "total_refund_count", "transaction_id", "out_trade_no", "total_fee", "settlement_total_fee",
    "fee_type", "cash_fee", "refund_count", "out_refund_no_$n", "refund_id_$n", "refund_channel_$n",
    "refund_fee_$n", "settlement_refund_fee_$n", "coupon_type_$n_$m", "coupon_refund_fee_$n",
    "coupon_refund_count_$n", "coupon_refund_id_$n_$m", "coupon_refund_fee_$n_$m", "refund_status_$n",
    "refund_account_$n", "refund_recv_accout_$n", "refund_success_time_$n", NULL
};

static void v2_answers_match_the_official_examples(void **state)
{
    wxp_kv kv[8], ans[128];
    size_t n = 0;
    wxp_result r;
    (void)state;
    start();
    assert_int_equal(wxp_fake_add_order(&fake, ORDER, NULL, 100), WXP_OK);
    assert_int_equal(wxp_fake_order_coupon(&fake, ORDER, "COUPON-1", "CASH", 10), WXP_OK);
    kv[0].key = wxp_cstr("appid");          kv[0].value = wxp_cstr(APPID);
    kv[1].key = wxp_cstr("out_trade_no");   kv[1].value = wxp_cstr(ORDER);
    kv[2].key = wxp_cstr("out_refund_no");  kv[2].value = wxp_cstr("R-V2-EX");
    kv[3].key = wxp_cstr("total_fee");      kv[3].value = wxp_cstr("100");
    kv[4].key = wxp_cstr("refund_fee");     kv[4].value = wxp_cstr("50");
    kv[5].key = wxp_cstr("detail");
    kv[5].value = wxp_cstr("{\"goods_detail\":[{\"goods_id\":\"G1\",\"refund_amount\":50,\"refund_quantity\":1,"
                           "\"price\":100}]}");
    assert_int_equal(wxp_v2_request(&client, "/secapi/pay/refundv2", kv, 6, 0, ans, 128, &n, &r), WXP_OK);
    v2_same_fields(official_v2_refund, ans, n, v2_refund_fields, v2_refund_absent_ok);
    assert_non_null(wxp_kv_get(ans, n, "coupon_refund_id_0"));     /* the $n list, from 0 */

    assert_int_equal(wxp_v2_request(&client, "/pay/refundquery", kv, 3, 0, ans, 128, &n, &r), WXP_OK);
    v2_same_fields(official_v2_refundquery, ans, n, v2_refundquery_fields, NULL);
    assert_string_equal(test_cstr(*wxp_kv_get(ans, n, "refund_status_0")), "SUCCESS");
    assert_non_null(wxp_kv_get(ans, n, "coupon_refund_id_0_0"));
    /* The single-item query (refundqueryv2) answers the same fields here. */
    assert_int_equal(wxp_v2_request(&client, "/pay/refundqueryv2", kv, 3, 0, ans, 128, &n, &r), WXP_OK);
    v2_same_fields(official_v2_refundquery, ans, n, v2_refundquery_fields, NULL);
}

/* The APIv2 refund callback, 退款结果通知
   (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_16): the
   request's example, and its req_info's example once decrypted. */
static const char official_v2_notify[] =
    "<xml><return_code>SUCCESS</return_code><appid><![CDATA[wx2421b1c4370ec43b]]></appid>"
    "<mch_id><![CDATA[10000100]]></mch_id><nonce_str><![CDATA[TeqClE3i0mvn3DrK]]></nonce_str>"
    "<req_info><![CDATA[T87GAHG17TGAHG1TGHAHAHA1Y1CIOA9UGJH1GAHV871HAGAGQYQQPOOJMXNBCXBVNMNMAJAA]]></req_info></xml>";
static const char *const v2_notify_fields[] = { "return_code", "return_msg", "appid", "mch_id", "nonce_str",
                                                "req_info", NULL };
static const char official_v2_req_info[] =
    "<root><out_refund_no><![CDATA[131811191610442717309]]></out_refund_no>"
    "<out_trade_no><![CDATA[71106718111915575302817]]></out_trade_no>"
    "<refund_account><![CDATA[REFUND_SOURCE_RECHARGE_FUNDS]]></refund_account>"
    "<refund_fee><![CDATA[3960]]></refund_fee><refund_id><![CDATA[50000408942018111907145868882]]></refund_id>"
    "<refund_recv_accout><![CDATA[支付用户零钱]]></refund_recv_accout>"
    "<refund_request_source><![CDATA[API]]></refund_request_source>"
    "<refund_status><![CDATA[SUCCESS]]></refund_status>"
    "<settlement_refund_fee><![CDATA[3960]]></settlement_refund_fee>"
    "<settlement_total_fee><![CDATA[3960]]></settlement_total_fee>"
    "<success_time><![CDATA[2018-11-19 16:24:13]]></success_time><total_fee><![CDATA[3960]]></total_fee>"
    "<transaction_id><![CDATA[4200000215201811190261405420]]></transaction_id></root>";
static const char *const v2_req_info_fields[] = {
    "transaction_id", "out_trade_no", "refund_id", "out_refund_no", "total_fee", "settlement_total_fee",
    "refund_fee", "settlement_refund_fee", "refund_status", "success_time", "refund_recv_accout",
    "refund_account", "refund_request_source", NULL
};

static void v2_refund_callback_matches_the_official_example(void **state)
{
    static char body[4096];
    static unsigned char plain[2048];
    wxp_kv outer[16], inner[32];
    size_t n = 0, m = 0, len = 0, plen = 0;
    const wxp_str *ri;
    wxp_result r;
    (void)state;
    start();
    assert_int_equal(wxp_fake_add_order(&fake, ORDER, NULL, 3960), WXP_OK);
    assert_int_equal(v2_refund(ORDER, "R-V2-NOTIFY", 3960, 3960, &r), WXP_OK);
    /* PROCESSING and pinned: no callback yet; unknown: not found. */
    assert_int_equal(wxp_fake_set_refund_status(&fake, "R-V2-NOTIFY", "PROCESSING"), WXP_OK);
    assert_int_equal(wxp_fake_notify_refund_v2(&fake, "R-V2-NOTIFY", body, sizeof body, &len, &r), WXP_E_ARG);
    assert_int_equal(wxp_fake_notify_refund_v2(&fake, "R-NOPE", body, sizeof body, &len, &r), WXP_E_NOTFOUND);
    assert_int_equal(wxp_fake_set_refund_status(&fake, "R-V2-NOTIFY", "SUCCESS"), WXP_OK);
    assert_int_equal(wxp_fake_notify_refund_v2(&fake, "R-V2-NOTIFY", body, sizeof body, &len, &r), WXP_OK);
    assert_int_equal(strlen(body), len);
    assert_int_equal(wxp_xml_parse(body, len, outer, 16, &n, &r), WXP_OK);
    v2_same_fields(official_v2_notify, outer, n, v2_notify_fields, NULL);
    assert_null(wxp_kv_get(outer, n, "sign"));          /* the callback is not signed */
    ri = wxp_kv_get(outer, n, "req_info");
    assert_non_null(ri);
    assert_int_equal(wxp_v2_decrypt_req_info(wxp_cstr(WXP_TEST_APIV2_KEY), *ri, plain, sizeof plain, &plen, &r),
                     WXP_OK);
    assert_true(plen > 13 && memcmp(plain, "<root>", 6) == 0);
    assert_int_equal(wxp_xml_parse((char *)plain, plen, inner, 32, &m, &r), WXP_OK);
    v2_same_fields(official_v2_req_info, inner, m, v2_req_info_fields, NULL);
    assert_string_equal(test_cstr(*wxp_kv_get(inner, m, "refund_status")), "SUCCESS");
    assert_string_equal(test_cstr(*wxp_kv_get(inner, m, "refund_fee")), "3960");
    /* Settled when the refund was pinned SUCCESS, a second after it was booked. */
    assert_string_equal(test_cstr(*wxp_kv_get(inner, m, "success_time")), "2026-11-23 17:04:54");
    assert_string_equal(test_cstr(*wxp_kv_get(inner, m, "refund_account")), "REFUND_SOURCE_UNSETTLED_FUNDS");
    /* A closed refund: REFUNDCLOSE, no success_time. */
    assert_int_equal(wxp_fake_set_refund_status(&fake, "R-V2-NOTIFY", "CLOSED"), WXP_OK);
    assert_int_equal(wxp_fake_notify_refund_v2(&fake, "R-V2-NOTIFY", body, sizeof body, &len, &r), WXP_OK);
    assert_int_equal(wxp_xml_parse(body, len, outer, 16, &n, &r), WXP_OK);
    ri = wxp_kv_get(outer, n, "req_info");
    assert_int_equal(wxp_v2_decrypt_req_info(wxp_cstr(WXP_TEST_APIV2_KEY), *ri, plain, sizeof plain, &plen, &r),
                     WXP_OK);
    assert_int_equal(wxp_xml_parse((char *)plain, plen, inner, 32, &m, &r), WXP_OK);
    assert_string_equal(test_cstr(*wxp_kv_get(inner, m, "refund_status")), "REFUNDCLOSE");
    assert_null(wxp_kv_get(inner, m, "success_time"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(over_refund_is_a_business_rule),
        cmocka_unit_test(short_balance_is_not_enough),
        cmocka_unit_test(fifty_refunds_per_order),
        cmocka_unit_test(year_old_orders_are_overdue),
        cmocka_unit_test(unknown_merchants_and_bad_signatures),
        cmocka_unit_test(failing_refunds_past_the_rate_are_blocked),
        cmocka_unit_test(processing_refund_fields),
        cmocka_unit_test(subsidy_statuses),
        cmocka_unit_test(every_code_by_script),
        cmocka_unit_test(refund_answers_match_the_official_example),
        cmocka_unit_test(marketing_answers_match_the_official_examples),
        cmocka_unit_test(v2_answers_match_the_official_examples),
        cmocka_unit_test(v2_refund_callback_matches_the_official_example),
    };
    return cmocka_run_group_tests_name("seed_fidelity", tests, NULL, NULL);
}
