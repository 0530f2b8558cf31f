/* tests/pos_sale.c - the POS sale (barcode payment, 付款码支付) end to end:
   wxp_pos_sale against the simulator's customers (transports/wechatpay_fake.h),
   with an injected sleep that moves the clock the client and the simulator
   share. Every terminal outcome is reached: PAID (at once, after polls, after
   a lost or failed micropay answer), REVERSED (no money, an unknown code, a
   customer who never confirms, recall=Y), UNKNOWN (a reverse that never gets
   through) and NOT_SENT (refused locally). After every sale the invariant is
   checked against the simulator's book and the customer's wallet: no sale is
   left paid and reported as anything but PAID or UNKNOWN, and a REVERSED sale
   holds no money. A sweep drives every customer through every mix of lost,
   dropped and failed answers. Then the typed APIv2 calls and the APIv3
   counterparts (transaction by id, by out_trade_no, close) on micropay orders.

   A standalone cmocka program (its own main), linked with build/obj/impl.o and
   build/obj/util.o; `make test` runs it from the repository root. */
#include "tests.h"
#include "examples/test_keys.h"
#include <stdio.h>
#include <string.h>

#define APPID WXP_FAKE_APPID
#define CERT  "-----BEGIN CERTIFICATE-----\nMIIB (the fake never reads it)\n-----END CERTIFICATE-----\n"
/* Payment codes: 18 digits starting 10-15 (WeChat Pay's), one per customer. */
#define CODE_NOW    "134567890123456789"
#define CODE_POLLS  "120061098828009406"
#define CODE_BROKE  "101234567890123456"
#define CODE_NEVER  "150000000000000001"
#define CODE_SHORT  "110000000000000002"
#define CODE_NOBODY "130000000000000099"   /* well-formed, nobody's */
#define WALLET      100000                  /* fen each customer starts with */
#define REVERSE     "/secapi/pay/reverse"

static wxp_fake fake;
static wxp_client client;
static unsigned char io[WXP_IO_BUFSIZE_DEFAULT];
static wxp_pubkey slots[2], merchant_pub;
static wxp_keystore keys;
static wxp_rsa_key platform;

/* The clock both sides read, in milliseconds; the sale's sleep moves it. */
static long long now_ms;
static unsigned naps;
static unsigned long long slept_ms;

static long long shared_clock(void *user)
{
    (void)user;
    return now_ms / 1000;
}

static void sale_sleep(void *user, unsigned ms)
{
    (void)user;
    now_ms += ms;
    slept_ms += ms;
    naps++;
}

/* The states the sale reported, joined with '|'. */
static char states[1024];
static void on_state(void *user, const char *state)
{
    size_t n = strlen(states);
    (void)user;
    snprintf(states + n, sizeof states - n, "%s%s", n ? "|" : "", state);
}

/* A transport in front of the fake: per-path fault plans (for the sweep, where
   micropay, orderquery and reverse each misbehave in their own way) and a
   switch that strips the client certificate (a terminal whose TLS stack does
   not present it). */
typedef struct plan { unsigned faults, times; } plan;
static plan plan_micropay, plan_query, plan_reverse;
static int strip_cert;
static int refuse_handshake;        /* every call: WXP_TRANSPORT_TLS, nothing sent */
static unsigned micropay_timeouts;  /* micropays answered, then reported as timed out */
static int start_without_cert;      /* the next start(): a client without client_cert */
static unsigned calls_micropay, calls_query, calls_reverse;
static const char *micropay_insert; /* added after <xml> of the next micropay answer (signed as it was) */

static int path_is(const wxp_http_request *req, const char *p)
{
    return req->path.len == strlen(p) && memcmp(req->path.ptr, p, req->path.len) == 0;
}

static int front(void *user, const wxp_http_request *req, wxp_http_response *res, char *errbuf,
                 size_t errbuf_size)
{
    plan *pl = NULL;
    wxp_http_request copy = *req;
    if (path_is(req, "/pay/micropay")) { pl = &plan_micropay; calls_micropay++; }
    else if (path_is(req, "/pay/orderquery")) { pl = &plan_query; calls_query++; }
    else if (path_is(req, REVERSE)) { pl = &plan_reverse; calls_reverse++; }
    if (pl && pl->times) {
        pl->times--;
        wxp_fake_fault(&fake, pl->faults);
    }
    if (strip_cert) copy.client_cert = NULL;
    if (refuse_handshake) {
        snprintf(errbuf, errbuf_size, "TLS handshake failed: the server certificate is not trusted");
        return WXP_TRANSPORT_TLS;
    }
    if (pl == &plan_micropay && micropay_insert) {
        /* The answer as delivered, then altered on the way: the sign stays WeChat Pay's. */
        static char got[8192], bent[8192];
        wxp_http_response tmp;
        wxp_str b;
        int rc, n;
        wxp_http_response_init(&tmp, got, sizeof got);
        rc = wxp_fake_transport(user, &copy, &tmp, errbuf, errbuf_size);
        b = wxp_http_response_body(&tmp);
        assert_true(rc == 0 && b.len > 5 && memcmp(b.ptr, "<xml>", 5) == 0);
        n = snprintf(bent, sizeof bent, "<xml>%s%.*s", micropay_insert, (int)(b.len - 5), b.ptr + 5);
        micropay_insert = NULL;
        wxp_http_response_status(res, wxp_http_response_get_status(&tmp));
        assert_int_equal(wxp_http_response_write(res, bent, (size_t)n), (size_t)n);
        return 0;
    }
    if (pl == &plan_micropay && micropay_timeouts) {
        micropay_timeouts--;
        (void)wxp_fake_transport(user, &copy, res, errbuf, errbuf_size);
        snprintf(errbuf, errbuf_size, "timed out waiting for the answer");
        return WXP_TRANSPORT_TIMEOUT;
    }
    return wxp_fake_transport(user, &copy, res, errbuf, errbuf_size);
}

static void start(void)
{
    wxp_fake_config fc;
    wxp_config cfg;
    wxp_result r;
    now_ms = 1795424693000LL;
    naps = 0;
    slept_ms = 0;
    states[0] = 0;
    memset(&plan_micropay, 0, sizeof plan_micropay);
    memset(&plan_query, 0, sizeof plan_query);
    memset(&plan_reverse, 0, sizeof plan_reverse);
    strip_cert = 0;
    refuse_handshake = 0;
    micropay_timeouts = 0;
    micropay_insert = NULL;
    calls_micropay = calls_query = calls_reverse = 0;
    assert_int_equal(wxp_pubkey_load(&merchant_pub, wxp_cstr(WXP_TEST_MERCHANT_PUB), &r), WXP_OK);
    assert_int_equal(wxp_rsa_key_load(&platform, wxp_cstr(WXP_TEST_PLATFORM_KEY), &r), WXP_OK);
    fc = test_fake_config(&merchant_pub, &platform);
    fc.clock.fn = shared_clock;
    fc.apiv2_key = wxp_cstr(WXP_TEST_APIV2_KEY);
    fc.require_client_cert = 1;
    assert_int_equal(wxp_fake_init(&fake, &fc), WXP_OK);
    assert_int_equal(wxp_fake_add_customer(&fake, CODE_NOW, WXP_FAKE_PAY_NOW, 0, WALLET), WXP_OK);
    assert_int_equal(wxp_fake_add_customer(&fake, CODE_POLLS, WXP_FAKE_PAY_AFTER_POLLS, 2, WALLET),
                     WXP_OK);
    assert_int_equal(wxp_fake_add_customer(&fake, CODE_BROKE, WXP_FAKE_NO_MONEY, 0, WALLET), WXP_OK);
    assert_int_equal(wxp_fake_add_customer(&fake, CODE_NEVER, WXP_FAKE_NEVER_CONFIRMS, 0, WALLET),
                     WXP_OK);
    assert_int_equal(wxp_fake_add_customer(&fake, CODE_SHORT, WXP_FAKE_PAY_NOW, 0, 500), WXP_OK);

    wxp_keystore_init(&keys, slots, 2);
    assert_int_equal(wxp_keystore_add_pubkey(&keys, WXP_TEST_PUB_KEY_ID,
                                             wxp_cstr(WXP_TEST_WECHATPAY_PUB), &r), WXP_OK);
    cfg = test_config(&keys, io, sizeof io);
    cfg.private_key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    cfg.apiv3_key = wxp_cstr(WXP_TEST_APIV3_KEY);
    cfg.apiv2_key = wxp_cstr(WXP_TEST_APIV2_KEY);
    if (!start_without_cert) {
        cfg.client_cert.cert_pem = wxp_cstr(CERT);
        cfg.client_cert.key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    }
    start_without_cert = 0;
    cfg.transport.fn = front;
    cfg.transport.user = &fake;
    cfg.clock.fn = shared_clock;
    cfg.random.fn = test_random;
    assert_int_equal(wxp_client_init(&client, &cfg, &r), WXP_OK);
}

#define assert_view(v, s) assert_string_equal(test_cstr(v), (s))

static wxp_micropay_req sale_req(const char *otn, const char *code, long long fen)
{
    wxp_micropay_req q;
    memset(&q, 0, sizeof q);
    q.appid = APPID;
    q.device_info = "POS-0001";
    q.body = "image形象店-深圳腾大- QQ公仔";
    q.out_trade_no = otn;
    q.total_fee = fen;
    q.spbill_create_ip = "14.17.22.52";
    q.auth_code = code;
    return q;
}

static wxp_sale_config sale_cfg(void)
{
    wxp_sale_config sc;
    memset(&sc, 0, sizeof sc);
    sc.sleep = sale_sleep;
    sc.on_state = on_state;
    return sc;
}

static const wxp_fake_order *order(const char *otn)
{
    return wxp_fake_find_order(&fake, otn);
}

static const wxp_fake_customer *customer(const char *code)
{
    const wxp_fake_customer *c = wxp_fake_find_customer(&fake, code);
    assert_non_null(c);
    return c;
}

/* The invariant, from the simulator's side: money the customer no longer has
   is held by a paid order, and a sale holding money says PAID (with that
   transaction_id) or UNKNOWN (reconcile); REVERSED and NOT_SENT hold none. */
static void check_invariant(const wxp_sale *s, wxp_err rc, const char *otn, const char *code,
                            long long start_balance, long long fen)
{
    const wxp_fake_order *o = order(otn);
    const wxp_fake_customer *c = wxp_fake_find_customer(&fake, code);
    long long held = c ? start_balance - c->balance : 0;
    int paid = o && strcmp(o->trade_state, "SUCCESS") == 0 && o->refunded < o->total;
    assert_true(held == 0 || held == fen);
    assert_int_equal(held != 0, paid);
    switch (s->outcome) {
    case WXP_SALE_PAID:
        assert_int_equal(rc, WXP_OK);
        assert_true(paid);
        assert_string_equal(s->transaction_id, o->transaction_id);
        assert_int_equal(o->total, fen);
        break;
    case WXP_SALE_REVERSED:
        assert_int_equal(rc, WXP_OK);
        assert_false(paid);
        break;
    case WXP_SALE_UNKNOWN:
        assert_int_not_equal(rc, WXP_OK);
        break;
    case WXP_SALE_NOT_SENT:
        assert_int_not_equal(rc, WXP_OK);
        assert_false(paid);
        assert_null(o);   /* nothing reached the simulator */
        break;
    default:
        fail_msg("outcome %d", s->outcome);
    }
    /* Paid and not reported PAID: only as UNKNOWN, never REVERSED or NOT_SENT. */
    if (paid) assert_true(s->outcome == WXP_SALE_PAID || s->outcome == WXP_SALE_UNKNOWN);
}

/* One sale with the default schedule; checks the invariant. */
static wxp_err sell(const char *otn, const char *code, long long fen, wxp_sale *s, wxp_result *r)
{
    wxp_micropay_req q = sale_req(otn, code, fen);
    wxp_sale_config sc = sale_cfg();
    const wxp_fake_customer *c = wxp_fake_find_customer(&fake, code);
    long long before = c ? c->balance : 0;
    wxp_err e = wxp_pos_sale(&client, &q, &sc, s, r);
    check_invariant(s, e, otn, code, before, fen);
    return e;
}

/* ---- the outcomes ---------------------------------------------------------------- */

static void paid_at_once(void)
{
    wxp_sale s;
    wxp_result r;
    const wxp_fake_record *rec;
    start();
    assert_int_equal(sell("T-NOW", CODE_NOW, 888, &s, &r), WXP_OK);
    assert_int_equal(s.outcome, WXP_SALE_PAID);
    assert_string_equal(s.transaction_id, order("T-NOW")->transaction_id);
    assert_int_equal(strlen(s.transaction_id), 28);
    assert_int_equal(s.queries, 0);
    assert_int_equal(s.reverses, 0);
    assert_int_equal(s.last_error, WXP_OK);
    assert_string_equal(states, "micropay|paid");
    assert_int_equal(naps, 0);
    assert_int_equal(wxp_fake_request_count(&fake), 1);
    rec = wxp_fake_last(&fake);
    assert_string_equal(rec->path, "/pay/micropay");
    assert_int_equal(rec->client_cert, 0);   /* micropay is not under /secapi/ */
    assert_non_null(strstr(rec->body, "<auth_code>" CODE_NOW "</auth_code>"));
    assert_non_null(strstr(rec->body, "<total_fee>888</total_fee>"));
    assert_non_null(strstr(rec->body, "<sign_type>HMAC-SHA256</sign_type>"));
    assert_string_equal(order("T-NOW")->trade_type, "MICROPAY");
    assert_string_equal(order("T-NOW")->auth_code, CODE_NOW);
    assert_int_equal(customer(CODE_NOW)->balance, WALLET - 888);
    assert_int_equal(customer(CODE_NOW)->payments, 1);
}

static void paid_after_two_polls(void)
{
    wxp_sale s;
    wxp_result r;
    start();
    assert_int_equal(sell("T-POLLS", CODE_POLLS, 1200, &s, &r), WXP_OK);
    assert_int_equal(s.outcome, WXP_SALE_PAID);
    assert_int_equal(s.queries, 2);
    assert_int_equal(order("T-POLLS")->queries, 2);
    assert_int_equal(s.reverses, 0);
    assert_string_equal(s.trade_state, "SUCCESS");
    assert_string_equal(s.err_code, "USERPAYING");   /* what micropay said */
    assert_string_equal(s.transaction_id, order("T-POLLS")->transaction_id);
    assert_string_equal(states, "micropay|waiting for the customer|waiting for the customer|paid");
    assert_int_equal(slept_ms, 2 * 5000);
    assert_int_equal(customer(CODE_POLLS)->payments, 1);
    assert_int_equal(customer(CODE_POLLS)->balance, WALLET - 1200);
}

static void no_money_reversed(void)
{
    wxp_sale s;
    wxp_result r;
    const wxp_fake_record *rec;
    start();
    assert_int_equal(sell("T-BROKE", CODE_BROKE, 500, &s, &r), WXP_OK);
    assert_int_equal(s.outcome, WXP_SALE_REVERSED);
    assert_string_equal(s.err_code, "NOTENOUGH");
    assert_int_equal(s.queries, 0);
    assert_int_equal(s.reverses, 1);
    assert_string_equal(s.transaction_id, "");
    assert_string_equal(order("T-BROKE")->trade_state, "REVOKED");
    assert_int_equal(order("T-BROKE")->reverses, 1);
    /* WeChat Pay's rule: no reverse sooner than 15 s after micropay. */
    assert_string_equal(states, "micropay|waiting to reverse|reversing|reversed");
    assert_int_equal(slept_ms, 15000);
    rec = wxp_fake_last(&fake);
    assert_string_equal(rec->path, REVERSE);
    assert_int_equal(rec->client_cert, 1);          /* mutual TLS */
    assert_non_null(strstr(rec->body, "<out_trade_no>T-BROKE</out_trade_no>"));
    assert_int_equal(customer(CODE_BROKE)->balance, WALLET);
    assert_int_equal(customer(CODE_BROKE)->payments, 0);

    /* A balance below the price is NOTENOUGH too. */
    assert_int_equal(sell("T-SHORT", CODE_SHORT, 501, &s, &r), WXP_OK);
    assert_int_equal(s.outcome, WXP_SALE_REVERSED);
    assert_string_equal(s.err_code, "NOTENOUGH");
    assert_int_equal(customer(CODE_SHORT)->balance, 500);
    /* And one the wallet can pay is paid. */
    assert_int_equal(sell("T-SHORT-2", CODE_SHORT, 500, &s, &r), WXP_OK);
    assert_int_equal(s.outcome, WXP_SALE_PAID);
    assert_int_equal(customer(CODE_SHORT)->balance, 0);
}

static void never_confirms_bounded(void)
{
    wxp_micropay_req q = sale_req("T-NEVER", CODE_NEVER, 300);
    wxp_sale_config sc = sale_cfg();
    wxp_sale s;
    wxp_result r;
    wxp_err e;
    start();
    /* The defaults: every 5 s for 30 s, then the reverse. */
    assert_int_equal(sell("T-NEVER", CODE_NEVER, 300, &s, &r), WXP_OK);
    assert_int_equal(s.outcome, WXP_SALE_REVERSED);
    assert_int_equal(s.queries, 30000 / 5000);
    assert_int_equal(order("T-NEVER")->queries, 6);
    assert_int_equal(s.reverses, 1);
    assert_int_equal(slept_ms, 30000);
    assert_string_equal(s.trade_state, "USERPAYING");
    assert_string_equal(order("T-NEVER")->trade_state, "REVOKED");
    assert_int_equal(customer(CODE_NEVER)->balance, WALLET);

    /* Another schedule: 10 s, every 3 s: at most 10000 / 3000 + 1 queries, and
       never more waiting than total_wait plus one interval; then the reverse
       waits for its 15 s after micropay. */
    q.out_trade_no = "T-NEVER-2";
    sc.total_wait_s = 10;
    sc.poll_interval_ms = 3000;
    slept_ms = 0;
    e = wxp_pos_sale(&client, &q, &sc, &s, &r);
    check_invariant(&s, e, "T-NEVER-2", CODE_NEVER, WALLET, 300);
    assert_int_equal(s.outcome, WXP_SALE_REVERSED);
    assert_true(s.queries >= 10000 / 3000 && s.queries <= 10000 / 3000 + 1);
    assert_int_equal(slept_ms, 15000);
    assert_int_equal(order("T-NEVER-2")->queries, s.queries);
    /* A longer rule is slept in pieces of at most a minute. */
    q.out_trade_no = "T-NEVER-4";
    sc.reverse_after_s = 200;
    slept_ms = 0;
    e = wxp_pos_sale(&client, &q, &sc, &s, &r);
    check_invariant(&s, e, "T-NEVER-4", CODE_NEVER, WALLET, 300);
    assert_int_equal(s.outcome, WXP_SALE_REVERSED);
    assert_int_equal(slept_ms, 200000);
    /* A shorter rule, for a terminal whose acquirer allows it. */
    q.out_trade_no = "T-NEVER-3";
    sc.reverse_after_s = 1;
    slept_ms = 0;
    e = wxp_pos_sale(&client, &q, &sc, &s, &r);
    check_invariant(&s, e, "T-NEVER-3", CODE_NEVER, WALLET, 300);
    assert_int_equal(s.outcome, WXP_SALE_REVERSED);
    assert_true(slept_ms >= 10000 && slept_ms < 10000 + 3000);
}

static void lost_micropay_answer_paid(void)
{
    wxp_sale s;
    wxp_result r;
    start();
    /* The customer pays, the answer is lost on the way back. */
    wxp_fake_fault_on(&fake, "/pay/micropay", WXP_FAKE_LOST_ANSWER, 1);
    assert_int_equal(sell("T-LOST", CODE_NOW, 999, &s, &r), WXP_OK);
    assert_int_equal(s.outcome, WXP_SALE_PAID);
    assert_int_equal(s.queries, 1);
    assert_int_equal(s.reverses, 0);
    assert_string_equal(s.transaction_id, order("T-LOST")->transaction_id);
    assert_int_equal(wxp_fake_record_at(&fake, 0)->faults, WXP_FAKE_LOST_ANSWER);
    assert_int_equal(wxp_fake_record_at(&fake, 0)->status, 0);
    /* One payment, charged once. */
    assert_int_equal(customer(CODE_NOW)->payments, 1);
    assert_int_equal(customer(CODE_NOW)->balance, WALLET - 999);
    assert_int_equal(wxp_fake_request_count(&fake), 2);

    /* The same after "SYSTEMERROR" from a server that did book the payment. */
    wxp_fake_fault_on(&fake, "/pay/micropay", WXP_FAKE_BOOKED_ERROR, 1);
    assert_int_equal(sell("T-BOOKED", CODE_NOW, 111, &s, &r), WXP_OK);
    assert_int_equal(s.outcome, WXP_SALE_PAID);
    assert_string_equal(s.err_code, "SYSTEMERROR");
    assert_int_equal(s.queries, 1);
    assert_int_equal(customer(CODE_NOW)->payments, 2);
}

static void lost_micropay_answer_unpaid(void)
{
    wxp_sale s;
    wxp_result r;
    start();
    /* NOTENOUGH never reaches the terminal: the poll finds PAYERROR. */
    wxp_fake_fault_on(&fake, "/pay/micropay", WXP_FAKE_LOST_ANSWER, 1);
    assert_int_equal(sell("T-LOST-NM", CODE_BROKE, 700, &s, &r), WXP_OK);
    assert_int_equal(s.outcome, WXP_SALE_REVERSED);
    assert_int_equal(s.queries, 1);
    assert_string_equal(s.trade_state, "PAYERROR");
    assert_int_equal(s.reverses, 1);
    assert_string_equal(order("T-LOST-NM")->trade_state, "REVOKED");
    assert_int_equal(customer(CODE_BROKE)->payments, 0);

    /* A system error before anything was booked: the order does not exist, the
       sale cannot prove it never will, so it says UNKNOWN (reconcile). */
    wxp_fake_fault_on(&fake, "/pay/micropay", WXP_FAKE_SYSTEM_ERROR, 1);
    assert_int_equal(sell("T-SYSERR", CODE_NOW, 700, &s, &r), WXP_E_V2_RESULT);
    assert_int_equal(s.outcome, WXP_SALE_UNKNOWN);
    assert_string_equal(s.err_code, "ORDERNOTEXIST");
    assert_null(order("T-SYSERR"));
    assert_int_equal(customer(CODE_NOW)->payments, 0);

    /* The request itself lost (never reached the server): the same. */
    wxp_fake_fault_on(&fake, "/pay/micropay", WXP_FAKE_DROP, 1);
    assert_int_equal(sell("T-DROP", CODE_NOW, 700, &s, &r), WXP_E_V2_RESULT);
    assert_int_equal(s.outcome, WXP_SALE_UNKNOWN);
    assert_int_equal(s.queries, 1);
    assert_int_equal(s.reverses, 1);
    assert_string_equal(s.err_code, "ORDERNOTEXIST");
    assert_null(order("T-DROP"));
}

static void recall_twice_then_reversed(void)
{
    wxp_sale s;
    wxp_result r;
    unsigned before;
    start();
    wxp_fake_fault_on(&fake, REVERSE, WXP_FAKE_RECALL, 2);
    assert_int_equal(sell("T-RECALL", CODE_BROKE, 800, &s, &r), WXP_OK);
    assert_int_equal(s.outcome, WXP_SALE_REVERSED);
    assert_int_equal(s.reverses, 3);
    assert_int_equal(order("T-RECALL")->reverses, 3);
    assert_string_equal(order("T-RECALL")->trade_state, "REVOKED");
    assert_int_equal(naps, 3);              /* 15 s after micropay, then reverse_interval_ms */
    assert_int_equal(slept_ms, 15000 + 2 * 1000);
    assert_string_equal(states, "micropay|waiting to reverse|reversing|reversing|reversing|reversed");

    /* A reverse whose answer is lost is repeated, and answered the same. */
    wxp_fake_fault_on(&fake, REVERSE, WXP_FAKE_LOST_ANSWER, 1);
    assert_int_equal(sell("T-REV-LOST", CODE_BROKE, 800, &s, &r), WXP_OK);
    assert_int_equal(s.outcome, WXP_SALE_REVERSED);
    assert_int_equal(s.reverses, 2);
    assert_int_equal(order("T-REV-LOST")->reverses, 2);

    /* SYSTEMERROR twice, then through. */
    wxp_fake_fault_on(&fake, REVERSE, WXP_FAKE_SYSTEM_ERROR, 2);
    assert_int_equal(sell("T-REV-SYS", CODE_BROKE, 800, &s, &r), WXP_OK);
    assert_int_equal(s.outcome, WXP_SALE_REVERSED);
    assert_int_equal(s.reverses, 3);

    /* recall=Y on every attempt: the sale gives up, UNKNOWN. */
    before = naps;
    wxp_fake_fault_on(&fake, REVERSE, WXP_FAKE_RECALL, 100);
    assert_int_not_equal(sell("T-REV-Y", CODE_BROKE, 800, &s, &r), WXP_OK);
    assert_string_equal(s.err_code, "NOTENOUGH");
    assert_int_equal(s.outcome, WXP_SALE_UNKNOWN);
    assert_int_equal(s.reverses, 5);
    assert_int_equal(naps - before, 1 + 4);      /* the 15 s, then between reverses */
    assert_string_equal(order("T-REV-Y")->trade_state, "PAYERROR");
}

static void reverse_never_through(void)
{
    wxp_v2_order_ref ref;
    wxp_v2_reverse_result rv;
    wxp_sale s;
    wxp_result r;
    start();
    /* The customer never confirms, and no reverse ever reaches the server. */
    wxp_fake_fault_on(&fake, REVERSE, WXP_FAKE_DROP, 100);
    assert_int_equal(sell("T-STUCK", CODE_NEVER, 600, &s, &r), WXP_E_TRANSPORT);
    assert_int_equal(s.outcome, WXP_SALE_UNKNOWN);
    assert_int_equal(s.last_error, WXP_E_TRANSPORT);
    assert_int_equal(s.reverses, 5);
    assert_int_equal(s.queries, 6);
    assert_string_equal(s.trade_state, "USERPAYING");   /* what is known */
    assert_string_equal(s.err_code, "USERPAYING");
    assert_string_equal(states + strlen(states) - strlen("unknown: reconcile later"),
                        "unknown: reconcile later");
    assert_string_equal(order("T-STUCK")->trade_state, "USERPAYING");
    assert_int_equal(order("T-STUCK")->reverses, 0);

    /* Reconciling later, once the network is back. */
    wxp_fake_clear_script(&fake);
    memset(&ref, 0, sizeof ref);
    ref.appid = APPID;
    ref.out_trade_no = "T-STUCK";
    memset(&rv, 0, sizeof rv);
    assert_int_equal(wxp_v2_reverse(&client, &ref, &rv, &r), WXP_OK);
    assert_view(rv.recall, "N");
    assert_string_equal(order("T-STUCK")->trade_state, "REVOKED");

    /* Answers lost every time: the server did reverse; the sale cannot know. */
    wxp_fake_fault_on(&fake, REVERSE, WXP_FAKE_LOST_ANSWER, 100);
    assert_int_equal(sell("T-STUCK-2", CODE_BROKE, 600, &s, &r), WXP_E_TRANSPORT);
    assert_int_equal(s.outcome, WXP_SALE_UNKNOWN);
    assert_string_equal(order("T-STUCK-2")->trade_state, "REVOKED");
    assert_int_equal(order("T-STUCK-2")->reverses, 5);
}

/* Mutual TLS on reverse: a terminal whose TLS stack drops the certificate gets
   no answer at all (the handshake fails), so the sale cannot reverse. */
static void reverse_needs_client_cert(void)
{
    wxp_sale s;
    wxp_result r;
    start();
    strip_cert = 1;
    assert_int_equal(sell("T-NOCERT", CODE_BROKE, 100, &s, &r), WXP_E_TLS);
    assert_int_equal(s.outcome, WXP_SALE_UNKNOWN);
    assert_int_equal(s.last_error, WXP_E_TLS);
    assert_non_null(strstr(r.message, "client certificate required"));
    assert_int_equal(calls_reverse, 10);        /* 5 reverses, each refused by both hosts */
    assert_int_equal(order("T-NOCERT")->reverses, 0);
    assert_string_equal(order("T-NOCERT")->trade_state, "PAYERROR");
}

static void refused_locally(void)
{
    static const struct { const char *otn, *code; long long fen; const char *field; } bad[] = {
        { "T-ARG", "13456789012345678", 1, "auth_code" },     /* 17 digits */
        { "T-ARG", "1345678901234567890", 1, "auth_code" },   /* 19 digits */
        { "T-ARG", "163456789012345678", 1, "auth_code" },    /* prefix 16 */
        { "T-ARG", "093456789012345678", 1, "auth_code" },    /* prefix 09 */
        { "T-ARG", "13456789012345678A", 1, "auth_code" },
        { "T-ARG", "", 1, "auth_code" },
        { "T-ARG", NULL, 1, "auth_code" },
        { "T-ARG", CODE_NOW, 0, "total_fee" },
        { "T-ARG", CODE_NOW, -5, "total_fee" },
        { "", CODE_NOW, 1, "out_trade_no" },
        { NULL, CODE_NOW, 1, "out_trade_no" },
        { "T#1", CODE_NOW, 1, "out_trade_no" },
        { "123456789012345678901234567890123", CODE_NOW, 1, "out_trade_no" },   /* 33 */
    };
    wxp_sale s;
    wxp_result r;
    size_t i;
    start();
    /* A 16-prefix customer exists in the simulator: the client still refuses. */
    assert_int_equal(wxp_fake_add_customer(&fake, "163456789012345678", WXP_FAKE_PAY_NOW, 0, WALLET),
                     WXP_OK);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wxp_micropay_req q = sale_req(bad[i].otn, bad[i].code, bad[i].fen);
        wxp_sale_config sc = sale_cfg();
        memset(&s, 0xA5, sizeof s);
        assert_int_equal(wxp_pos_sale(&client, &q, &sc, &s, &r), WXP_E_ARG);
        assert_int_equal(s.outcome, WXP_SALE_NOT_SENT);
        assert_int_equal(s.queries + s.reverses, 0);
        assert_string_equal(r.field, bad[i].field);
    }
    assert_int_equal(wxp_fake_request_count(&fake), 0);
    assert_int_equal(naps, 0);
    assert_int_equal(customer("163456789012345678")->payments, 0);
    /* Every other required field too. */
    {
        wxp_micropay_req q = sale_req("T-ARG", CODE_NOW, 1);
        wxp_sale_config sc = sale_cfg();
        q.spbill_create_ip = NULL;
        assert_int_equal(wxp_pos_sale(&client, &q, &sc, &s, &r), WXP_E_ARG);
        assert_string_equal(r.field, "spbill_create_ip");
        q = sale_req("T-ARG", CODE_NOW, 1);
        q.body = NULL;
        assert_int_equal(wxp_pos_sale(&client, &q, &sc, &s, &r), WXP_E_ARG);
        assert_string_equal(r.field, "body");
        q = sale_req("T-ARG", CODE_NOW, 1);
        q.appid = NULL;
        assert_int_equal(wxp_pos_sale(&client, &q, &sc, &s, &r), WXP_E_ARG);
        assert_string_equal(r.field, "appid");
    }
    assert_int_equal(wxp_fake_request_count(&fake), 0);
}

static void server_refuses_code(void)
{
    wxp_sale s;
    wxp_result r;
    start();
    /* Well-formed, but no WeChat user's: AUTH_CODE_INVALID, then the order is
       closed by a reverse. */
    assert_int_equal(sell("T-NOBODY", CODE_NOBODY, 100, &s, &r), WXP_OK);
    assert_int_equal(s.outcome, WXP_SALE_REVERSED);
    assert_string_equal(s.err_code, "AUTH_CODE_INVALID");
    assert_int_equal(s.queries, 0);
    assert_int_equal(s.reverses, 1);
    assert_string_equal(order("T-NOBODY")->trade_state, "REVOKED");
    assert_string_equal(order("T-NOBODY")->auth_code, CODE_NOBODY);
}

/* A poll that gets lost or fails is polled again; the sale still settles. */
static void lost_polls(void)
{
    wxp_sale s;
    wxp_result r;
    start();
    wxp_fake_fault_on(&fake, "/pay/orderquery", WXP_FAKE_DROP, 1);
    assert_int_equal(sell("T-LP", CODE_POLLS, 100, &s, &r), WXP_OK);
    assert_int_equal(s.outcome, WXP_SALE_PAID);
    assert_int_equal(s.queries, 3);                   /* one never arrived */
    assert_int_equal(order("T-LP")->queries, 2);
    /* A forged answer is not believed; the next poll sees the payment. */
    wxp_fake_fault_on(&fake, "/pay/orderquery", WXP_FAKE_FLIP_BODY, 1);
    assert_int_equal(sell("T-LP2", CODE_POLLS, 100, &s, &r), WXP_OK);
    assert_int_equal(s.outcome, WXP_SALE_PAID);
    assert_int_equal(s.queries, 2);
    assert_int_equal(wxp_fake_record_at(&fake, wxp_fake_request_count(&fake) - 2)->faults,
                     WXP_FAKE_FLIP_BODY);
}

/* Every customer through every mix of faults on micropay, orderquery and
   reverse: the invariant holds after each sale, and every outcome but
   NOT_SENT is reached. */
static void sweep(void)
{
    static const char *const codes[] = { CODE_NOW, CODE_POLLS, CODE_BROKE, CODE_NEVER, CODE_NOBODY,
                                         "121000000000000003", "141000000000000004" };
    static const plan micropay[] = { { 0, 0 },
                                     { WXP_FAKE_LOST_ANSWER, 1 },
                                     { WXP_FAKE_DROP, 1 },
                                     { WXP_FAKE_SYSTEM_ERROR, 1 },
                                     { WXP_FAKE_BOOKED_ERROR, 1 },
                                     { WXP_FAKE_FLIP_BODY, 1 } };
    static const plan query[] = { { 0, 0 },
                                  { WXP_FAKE_DROP, 2 },
                                  { WXP_FAKE_LOST_ANSWER, 100 },
                                  { WXP_FAKE_SYSTEM_ERROR, 100 } };
    static const plan reverse[] = { { 0, 0 },
                                    { WXP_FAKE_RECALL, 2 },
                                    { WXP_FAKE_LOST_ANSWER, 1 },
                                    { WXP_FAKE_LOST_ANSWER, 100 },
                                    { WXP_FAKE_DROP, 100 },
                                    { WXP_FAKE_SYSTEM_ERROR, 100 } };
    unsigned seen[4] = { 0, 0, 0, 0 };
    size_t a, b, d, k;
    for (k = 0; k < sizeof codes / sizeof codes[0]; k++)
        for (a = 0; a < sizeof micropay / sizeof micropay[0]; a++)
            for (b = 0; b < sizeof query / sizeof query[0]; b++)
                for (d = 0; d < sizeof reverse / sizeof reverse[0]; d++) {
                    wxp_sale s;
                    wxp_result r;
                    wxp_err e;
                    start();
                    /* a late payer (4 polls) and one who pays after the sale gave up (9) */
                    assert_int_equal(wxp_fake_add_customer(&fake, "121000000000000003",
                                                           WXP_FAKE_PAY_AFTER_POLLS, 4, WALLET), WXP_OK);
                    assert_int_equal(wxp_fake_add_customer(&fake, "141000000000000004",
                                                           WXP_FAKE_PAY_AFTER_POLLS, 9, WALLET), WXP_OK);
                    plan_micropay = micropay[a];
                    plan_query = query[b];
                    plan_reverse = reverse[d];
                    e = sell("T-SWEEP", codes[k], 4321, &s, &r);
                    assert_true(s.outcome >= 0 && s.outcome < 4);
                    seen[s.outcome]++;
                    assert_int_equal(calls_micropay, 1);   /* never sent twice */
                    assert_true(s.queries <= 6);
                    assert_true(s.reverses <= 5);
                    /* UNKNOWN: a later query, with the network back, tells the truth. */
                    if (s.outcome == WXP_SALE_UNKNOWN && order("T-SWEEP")) {
                        wxp_v2_order_ref ref;
                        wxp_v2_order o;
                        plan_query.times = 0;
                        memset(&ref, 0, sizeof ref);
                        ref.appid = APPID;
                        ref.out_trade_no = "T-SWEEP";
                        memset(&o, 0, sizeof o);
                        assert_int_equal(wxp_v2_orderquery(&client, &ref, &o, &r), WXP_OK);
                        assert_view(o.trade_state, order("T-SWEEP")->trade_state);
                    }
                    (void)e;
                }
    assert_int_equal(seen[WXP_SALE_NOT_SENT], 0);
    assert_true(seen[WXP_SALE_PAID] > 0);
    assert_true(seen[WXP_SALE_REVERSED] > 0);
    assert_true(seen[WXP_SALE_UNKNOWN] > 0);
}

/* ---- the typed APIv2 calls on their own ----------------------------------------- */

static void micropay_orderquery_reverse(void)
{
    wxp_micropay_req q;
    wxp_v2_order o;
    wxp_v2_order_ref ref;
    wxp_v2_reverse_result rv;
    wxp_v2_refund_req rq;
    wxp_v2_refund_result rf;
    wxp_result r;
    char tid[33];
    start();
    q = sale_req("T-V2", CODE_NOW, 1888);
    q.attach = "till 3";
    memset(&o, 0, sizeof o);
    assert_int_equal(wxp_v2_micropay(&client, &q, &o, &r), WXP_OK);
    assert_view(o.trade_type, "MICROPAY");
    assert_view(o.openid, customer(CODE_NOW)->openid);
    assert_view(o.is_subscribe, "N");
    assert_view(o.bank_type, "OTHERS");
    assert_view(o.fee_type, "CNY");
    assert_int_equal(o.total_fee, 1888);
    assert_int_equal(o.cash_fee, 1888);
    assert_view(o.out_trade_no, "T-V2");
    assert_view(o.device_info, "POS-0001");
    assert_view(o.attach, "till 3");
    assert_view(o.time_end, "20261123170453");      /* China time of the clock */
    assert_view(o.transaction_id, order("T-V2")->transaction_id);
    snprintf(tid, sizeof tid, "%s", order("T-V2")->transaction_id);

    /* The same out_trade_no again: ORDERPAID; another amount on an open
       order: OUT_TRADE_NO_USED. */
    assert_int_equal(wxp_v2_micropay(&client, &q, &o, &r), WXP_E_V2_RESULT);
    assert_string_equal(r.code, "ORDERPAID");
    assert_int_equal(customer(CODE_NOW)->payments, 1);

    /* orderquery by either id. */
    memset(&ref, 0, sizeof ref);
    ref.appid = APPID;
    ref.transaction_id = tid;
    memset(&o, 0, sizeof o);
    assert_int_equal(wxp_v2_orderquery(&client, &ref, &o, &r), WXP_OK);
    assert_view(o.trade_state, "SUCCESS");
    assert_view(o.out_trade_no, "T-V2");
    assert_view(o.time_end, "20261123170453");
    ref.transaction_id = NULL;
    ref.out_trade_no = "T-NOSUCH";
    assert_int_equal(wxp_v2_orderquery(&client, &ref, &o, &r), WXP_E_V2_RESULT);
    assert_string_equal(r.code, "ORDERNOTEXIST");
    assert_int_equal(wxp_v2_reverse(&client, &ref, &rv, &r), WXP_E_V2_RESULT);
    assert_string_equal(r.code, "ORDERNOTEXIST");
    ref.out_trade_no = NULL;
    assert_int_equal(wxp_v2_orderquery(&client, &ref, &o, &r), WXP_E_ARG);

    /* A partial refund, then a reverse gives back the rest: REVOKED. */
    memset(&rq, 0, sizeof rq);
    rq.appid = APPID;
    rq.out_trade_no = "T-V2";
    rq.out_refund_no = "R-V2";
    rq.total_fee = 1888;
    rq.refund_fee = 888;
    memset(&rf, 0, sizeof rf);
    assert_int_equal(wxp_v2_refund(&client, &rq, &rf, &r), WXP_OK);
    assert_int_equal(customer(CODE_NOW)->balance, WALLET - 1000);
    ref.out_trade_no = "T-V2";
    assert_int_equal(wxp_v2_orderquery(&client, &ref, &o, &r), WXP_OK);
    assert_view(o.trade_state, "REFUND");
    memset(&rv, 0, sizeof rv);
    assert_int_equal(wxp_v2_reverse(&client, &ref, &rv, &r), WXP_OK);
    assert_view(rv.recall, "N");
    assert_string_equal(order("T-V2")->trade_state, "REVOKED");
    assert_int_equal(order("T-V2")->reversed, 1000);
    assert_int_equal(customer(CODE_NOW)->balance, WALLET);
    assert_int_equal(customer(CODE_NOW)->given_back, 1888);
    assert_int_equal(wxp_v2_orderquery(&client, &ref, &o, &r), WXP_OK);
    assert_view(o.trade_state, "REVOKED");
    assert_view(o.transaction_id, tid);
    /* Reversed twice: answered the same; micropay on it: ORDERREVERSED; a
       refund: nothing to refund. */
    assert_int_equal(wxp_v2_reverse(&client, &ref, &rv, &r), WXP_OK);
    assert_int_equal(customer(CODE_NOW)->balance, WALLET);
    assert_int_equal(wxp_v2_micropay(&client, &q, &o, &r), WXP_E_V2_RESULT);
    assert_string_equal(r.code, "ORDERREVERSED");
    rq.out_refund_no = "R-V2-2";
    rq.refund_fee = 1;
    assert_int_equal(wxp_v2_refund(&client, &rq, &rf, &r), WXP_E_V2_RESULT);
    assert_string_equal(r.code, "ORDERNOTEXIST");

    /* An open order: the same number with another amount is refused; the same
       request again hears USERPAYING. */
    q = sale_req("T-OPEN", CODE_NEVER, 100);
    assert_int_equal(wxp_v2_micropay(&client, &q, &o, &r), WXP_E_V2_RESULT);
    assert_string_equal(r.code, "USERPAYING");
    assert_int_equal(wxp_v2_micropay(&client, &q, &o, &r), WXP_E_V2_RESULT);
    assert_string_equal(r.code, "USERPAYING");
    q.total_fee = 200;
    assert_int_equal(wxp_v2_micropay(&client, &q, &o, &r), WXP_E_V2_RESULT);
    assert_string_equal(r.code, "OUT_TRADE_NO_USED");
    /* A test's NATIVE order with that number: OUT_TRADE_NO_USED too. */
    assert_int_equal(wxp_fake_add_order_unpaid(&fake, "T-NATIVE", 100), WXP_OK);
    q = sale_req("T-NATIVE", CODE_NOW, 100);
    assert_int_equal(wxp_v2_micropay(&client, &q, &o, &r), WXP_E_V2_RESULT);
    assert_string_equal(r.code, "OUT_TRADE_NO_USED");

    /* A failed payment may be tried again with another code. */
    q = sale_req("T-AGAIN", CODE_BROKE, 300);
    assert_int_equal(wxp_v2_micropay(&client, &q, &o, &r), WXP_E_V2_RESULT);
    assert_string_equal(r.code, "NOTENOUGH");
    assert_string_equal(order("T-AGAIN")->trade_state, "PAYERROR");
    q.auth_code = CODE_NOW;
    assert_int_equal(wxp_v2_micropay(&client, &q, &o, &r), WXP_OK);
    assert_string_equal(order("T-AGAIN")->trade_state, "SUCCESS");

    /* Seven days on, a reverse is refused; a closed order is left closed. */
    q = sale_req("T-OLD", CODE_BROKE, 300);
    assert_int_equal(wxp_v2_micropay(&client, &q, &o, &r), WXP_E_V2_RESULT);
    now_ms += 7 * 86400000LL + 1000;
    ref.out_trade_no = "T-OLD";
    assert_int_equal(wxp_v2_reverse(&client, &ref, &rv, &r), WXP_E_V2_RESULT);
    assert_string_equal(r.code, "REVERSE_EXPIRE");
    assert_int_equal(wxp_transaction_close(&client, "T-OLD", &r), WXP_OK);
    assert_string_equal(order("T-OLD")->trade_state, "CLOSED");
    assert_int_equal(wxp_v2_micropay(&client, &q, &o, &r), WXP_E_V2_RESULT);
    assert_string_equal(r.code, "ORDERCLOSED");
}

/* The simulator checks what WeChat Pay checks before a payment. */
static void micropay_refusals(void)
{
    wxp_kv kv[8], out[64];
    size_t n, count;
    wxp_result r;
    start();
    /* Through wxp_v2_request, past the client's validation. */
    n = 0;
    kv[n].key = wxp_cstr("appid");            kv[n++].value = wxp_cstr(APPID);
    kv[n].key = wxp_cstr("body");             kv[n++].value = wxp_cstr("x");
    kv[n].key = wxp_cstr("out_trade_no");     kv[n++].value = wxp_cstr("T-RAW");
    kv[n].key = wxp_cstr("total_fee");        kv[n++].value = wxp_cstr("0");
    kv[n].key = wxp_cstr("spbill_create_ip"); kv[n++].value = wxp_cstr("1.2.3.4");
    kv[n].key = wxp_cstr("auth_code");        kv[n++].value = wxp_cstr(CODE_NOW);
    assert_int_equal(wxp_v2_request(&client, "/pay/micropay", kv, n, 0, out, 64, &count, &r),
                     WXP_E_V2_RESULT);
    assert_string_equal(r.code, "PARAM_ERROR");
    kv[3].value = wxp_cstr("100");
    kv[5].value = wxp_cstr("163456789012345678");    /* not a WeChat code */
    assert_int_equal(wxp_v2_request(&client, "/pay/micropay", kv, n, 0, out, 64, &count, &r),
                     WXP_E_V2_RESULT);
    assert_string_equal(r.code, "AUTH_CODE_INVALID");
    kv[5].value = wxp_cstr(CODE_NOW);
    kv[0].value = wxp_cstr("wx0000000000000000");
    assert_int_equal(wxp_v2_request(&client, "/pay/micropay", kv, n, 0, out, 64, &count, &r),
                     WXP_E_V2_RESULT);
    assert_string_equal(r.code, "APPID_MCHID_NOT_MATCH");
    kv[0].value = wxp_cstr(APPID);
    kv[n].key = wxp_cstr("fee_type");
    kv[n].value = wxp_cstr("USD");
    assert_int_equal(wxp_v2_request(&client, "/pay/micropay", kv, n + 1, 0, out, 64, &count, &r),
                     WXP_E_V2_RESULT);
    assert_string_equal(r.code, "PARAM_ERROR");
    assert_int_equal(wxp_v2_request(&client, "/pay/micropay", kv, n - 1, 0, out, 64, &count, &r),
                     WXP_E_V2_RESULT);      /* no auth_code */
    assert_string_equal(r.code, "PARAM_ERROR");
    /* The reverse path without the certificate: the handshake refused, nothing sent. */
    kv[2].value = wxp_cstr("T-RAW");
    assert_int_equal(wxp_v2_request(&client, "/pay/micropay", kv, n, 0, out, 64, &count, &r),
                     WXP_OK);
    strip_cert = 1;
    assert_int_equal(wxp_v2_request(&client, REVERSE, kv + 2, 1, 0, out, 64, &count, &r),
                     WXP_E_TLS);
    assert_string_equal(order("T-RAW")->trade_state, "SUCCESS");

    /* The customers' own bookkeeping refuses what it cannot hold. */
    assert_int_equal(wxp_fake_add_customer(&fake, "12345678901234567", WXP_FAKE_PAY_NOW, 0, 1), WXP_E_ARG);
    assert_int_equal(wxp_fake_add_customer(&fake, "12345678901234567X", WXP_FAKE_PAY_NOW, 0, 1), WXP_E_ARG);
    assert_int_equal(wxp_fake_add_customer(&fake, NULL, WXP_FAKE_PAY_NOW, 0, 1), WXP_E_ARG);
    assert_int_equal(wxp_fake_add_customer(&fake, "123456789012345678", 9, 0, 1), WXP_E_ARG);
    assert_int_equal(wxp_fake_add_customer(&fake, "123456789012345678", WXP_FAKE_PAY_NOW, 0, -1), WXP_E_ARG);
    assert_int_equal(wxp_fake_add_customer(&fake, CODE_NOW, WXP_FAKE_PAY_NOW, 0, 1), WXP_E_ARG);
    assert_int_equal(wxp_fake_add_customer(&fake, "123456789012345671", WXP_FAKE_PAY_NOW, 0, 1), WXP_OK);
    assert_int_equal(wxp_fake_add_customer(&fake, "123456789012345672", WXP_FAKE_PAY_NOW, 0, 1), WXP_OK);
    assert_int_equal(wxp_fake_add_customer(&fake, "123456789012345673", WXP_FAKE_PAY_NOW, 0, 1), WXP_OK);
    assert_int_equal(wxp_fake_add_customer(&fake, "123456789012345674", WXP_FAKE_PAY_NOW, 0, 1), WXP_E_FULL);
    assert_null(wxp_fake_find_customer(&fake, "123456789012345674"));
    assert_null(wxp_fake_find_customer(&fake, NULL));
    assert_string_not_equal(customer(CODE_NOW)->openid, customer(CODE_POLLS)->openid);
}

/* Faults scoped to a path wait for it: other requests and callbacks leave
   them pending. */
static void faults_on_a_path(void)
{
    char body[4096];
    size_t len;
    wxp_notify_headers h;
    wxp_fake_event ev;
    wxp_micropay_req q;
    wxp_v2_order o;
    wxp_result r;
    char longpath[200];
    start();
    wxp_fake_fault_on(&fake, REVERSE, WXP_FAKE_DROP, 1);
    memset(&ev, 0, sizeof ev);
    ev.event_type = "TRANSACTION.SUCCESS";
    ev.plaintext = wxp_cstr("{}");
    assert_int_equal(wxp_fake_notify(&fake, wxp_cstr(WXP_TEST_APIV3_KEY), &ev, body, sizeof body, &len,
                                     &h, &r), WXP_OK);
    q = sale_req("T-PATH", CODE_NOW, 1);
    assert_int_equal(wxp_v2_micropay(&client, &q, &o, &r), WXP_OK);
    assert_int_equal(wxp_fake_last(&fake)->faults, 0);
    {
        wxp_v2_order_ref ref;
        wxp_v2_reverse_result rv;
        memset(&ref, 0, sizeof ref);
        ref.appid = APPID;
        ref.out_trade_no = "T-PATH";
        assert_int_equal(wxp_v2_reverse(&client, &ref, &rv, &r), WXP_E_TRANSPORT);
        assert_int_equal(wxp_fake_last(&fake)->faults, WXP_FAKE_DROP);
        assert_string_equal(order("T-PATH")->trade_state, "SUCCESS");
        assert_int_equal(wxp_v2_reverse(&client, &ref, &rv, &r), WXP_OK);   /* used up */
        assert_string_equal(order("T-PATH")->trade_state, "REVOKED");
    }
    /* NULL: any path, as wxp_fake_fault_times; too long a path never matches. */
    wxp_fake_fault_on(&fake, NULL, WXP_FAKE_DROP, 1);
    client.wxp__priv.cfg.retry.attempts = 1;    /* close is retried by default */
    assert_int_equal(wxp_transaction_close(&client, "T-PATH", &r), WXP_E_TRANSPORT);
    memset(longpath, 'x', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = 0;
    memcpy(longpath, "/pay/micropay/", 14);
    wxp_fake_fault_on(&fake, longpath, WXP_FAKE_DROP, 1);
    q.out_trade_no = "T-PATH-2";
    assert_int_equal(wxp_v2_micropay(&client, &q, &o, &r), WXP_OK);
}

/* ---- APIv3 counterparts on micropay orders -------------------------------------- */

static void v3_counterparts(void)
{
    wxp_transaction tx;
    wxp_sale s;
    wxp_result r;
    wxp_micropay_req q;
    wxp_v2_order o;
    char path[128];
    start();
    assert_int_equal(sell("T-V3", CODE_POLLS, 2500, &s, &r), WXP_OK);
    assert_int_equal(s.outcome, WXP_SALE_PAID);

    memset(&tx, 0, sizeof tx);
    assert_int_equal(wxp_transaction_by_id(&client, s.transaction_id, &tx, &r), WXP_OK);
    assert_int_equal(r.status, 200);
    snprintf(path, sizeof path, "/v3/pay/transactions/id/%s?mchid=%s", s.transaction_id, WXP_TEST_MCHID);
    assert_string_equal(wxp_fake_last(&fake)->path, path);
    assert_view(tx.transaction_id, s.transaction_id);
    assert_view(tx.out_trade_no, "T-V3");
    assert_view(tx.trade_type, "MICROPAY");
    assert_view(tx.trade_state, "SUCCESS");
    assert_view(tx.payer.openid, customer(CODE_POLLS)->openid);
    assert_int_equal(tx.amount.total, 2500);
    assert_int_equal(tx.amount.payer_total, 2500);
    assert_view(tx.success_time, "2026-11-23T17:05:03+08:00");   /* paid at the 2nd poll */
    memset(&tx, 0, sizeof tx);
    assert_int_equal(wxp_transaction_by_out_trade_no(&client, "T-V3", &tx, &r), WXP_OK);
    assert_view(tx.transaction_id, s.transaction_id);
    assert_view(tx.trade_type, "MICROPAY");
    assert_string_equal(wxp_fake_last(&fake)->path,
                        "/v3/pay/transactions/out-trade-no/T-V3?mchid=" WXP_TEST_MCHID);
    /* A paid order is not closed. */
    assert_int_equal(wxp_transaction_close(&client, "T-V3", &r), WXP_E_HTTP);
    assert_int_equal(r.status, 400);
    assert_string_equal(r.code, "ORDERPAID");

    /* An unpaid micropay order (the customer is typing the password): v3 sees
       USERPAYING, close answers 204 (empty, signed), then CLOSED everywhere. */
    q = sale_req("T-V3-OPEN", CODE_NEVER, 700);
    assert_int_equal(wxp_v2_micropay(&client, &q, &o, &r), WXP_E_V2_RESULT);
    memset(&tx, 0, sizeof tx);
    assert_int_equal(wxp_transaction_by_out_trade_no(&client, "T-V3-OPEN", &tx, &r), WXP_OK);
    assert_view(tx.trade_state, "USERPAYING");
    assert_view(tx.trade_type, "MICROPAY");
    assert_int_equal(tx.transaction_id.len, 0);
    assert_int_equal(tx.amount.total, 700);
    assert_int_equal(wxp_transaction_close(&client, "T-V3-OPEN", &r), WXP_OK);
    assert_int_equal(r.status, 204);
    assert_int_equal(r.body.len, 0);
    assert_non_null(wxp_fake_record_header(wxp_fake_last(&fake), "Authorization"));
    assert_string_equal(order("T-V3-OPEN")->trade_state, "CLOSED");
    assert_int_equal(wxp_transaction_by_out_trade_no(&client, "T-V3-OPEN", &tx, &r), WXP_OK);
    assert_view(tx.trade_state, "CLOSED");
    {
        wxp_v2_order_ref ref;
        memset(&ref, 0, sizeof ref);
        ref.appid = APPID;
        ref.out_trade_no = "T-V3-OPEN";
        assert_int_equal(wxp_v2_orderquery(&client, &ref, &o, &r), WXP_OK);
        assert_view(o.trade_state, "CLOSED");
    }
    /* The customer can no longer pay a closed order. */
    assert_int_equal(wxp_v2_micropay(&client, &q, &o, &r), WXP_E_V2_RESULT);
    assert_string_equal(r.code, "ORDERCLOSED");
    /* The 204 is signed: without a signature, or with a changed body, refused. */
    wxp_fake_fault(&fake, WXP_FAKE_UNSIGNED);
    assert_int_equal(wxp_transaction_close(&client, "T-V3-OPEN", &r), WXP_E_HEADER);
    wxp_fake_fault(&fake, WXP_FAKE_FLIP_BODY);
    assert_int_equal(wxp_transaction_close(&client, "T-V3-OPEN", &r), WXP_E_SIGNATURE);

    /* A failed payment (PAYERROR) closes the same way. */
    q = sale_req("T-V3-FAIL", CODE_BROKE, 700);
    assert_int_equal(wxp_v2_micropay(&client, &q, &o, &r), WXP_E_V2_RESULT);
    assert_int_equal(wxp_transaction_by_out_trade_no(&client, "T-V3-FAIL", &tx, &r), WXP_OK);
    assert_view(tx.trade_state, "PAYERROR");
    assert_int_equal(wxp_transaction_close(&client, "T-V3-FAIL", &r), WXP_OK);
    assert_int_equal(r.status, 204);

    /* A payment a reverse gave back: REVOKED, still found by its id; closing
       it changes nothing. */
    wxp_fake_fault_on(&fake, "/pay/micropay", WXP_FAKE_LOST_ANSWER, 1);
    plan_query.faults = WXP_FAKE_DROP;
    plan_query.times = 100;
    assert_int_equal(sell("T-V3-REV", CODE_NOW, 900, &s, &r), WXP_OK);
    assert_int_equal(s.outcome, WXP_SALE_REVERSED);
    assert_int_equal(customer(CODE_NOW)->payments, 1);
    assert_int_equal(customer(CODE_NOW)->balance, WALLET);
    assert_int_equal(order("T-V3-REV")->reversed, 900);
    memset(&tx, 0, sizeof tx);
    assert_int_equal(wxp_transaction_by_id(&client, order("T-V3-REV")->transaction_id, &tx, &r), WXP_OK);
    assert_view(tx.trade_state, "REVOKED");
    assert_view(tx.out_trade_no, "T-V3-REV");
    assert_int_equal(wxp_transaction_close(&client, "T-V3-REV", &r), WXP_OK);
    assert_string_equal(order("T-V3-REV")->trade_state, "REVOKED");
}

/* ---- sales that must not reverse, or must not wait past the clock --------------- */

/* A terminal that runs a sale again under the same out_trade_no (it rebooted
   after micropay was answered SUCCESS, or its counter restarted) hears
   ORDERPAID, and reverses: the earlier payment is refunded although that sale
   was reported PAID. Expected: no reverse, the order stays paid, the sale says
   PAID or UNKNOWN (never REVERSED). */
static void bug_repeat_sale_refunds_the_first(void)
{
    wxp_micropay_req q = sale_req("T-TWICE", CODE_NOW, 500);
    wxp_sale_config sc = sale_cfg();
    wxp_sale s1, s2;
    wxp_result r;
    start();
    assert_int_equal(sell("T-TWICE", CODE_NOW, 500, &s1, &r), WXP_OK);
    assert_int_equal(s1.outcome, WXP_SALE_PAID);
    assert_int_not_equal(wxp_pos_sale(&client, &q, &sc, &s2, &r), WXP_E_ARG);
    assert_string_equal(s2.err_code, "ORDERPAID");
    assert_int_equal(s2.reverses, 0);
    assert_string_equal(order("T-TWICE")->trade_state, "SUCCESS");
    assert_int_equal(customer(CODE_NOW)->balance, WALLET - 500);
    assert_true(s2.outcome == WXP_SALE_PAID || s2.outcome == WXP_SALE_UNKNOWN);
}

/* An out_trade_no that is another sale's (a counter reset): OUT_TRADE_NO_USED,
   and the sale reverses that other sale's order by the same number. */
static void bug_reused_number_reverses_another_order(void)
{
    wxp_micropay_req q;
    wxp_v2_order o;
    wxp_sale s;
    wxp_result r;
    start();
    q = sale_req("T-OTHER", CODE_NEVER, 100);        /* another till, customer typing */
    assert_int_equal(wxp_v2_micropay(&client, &q, &o, &r), WXP_E_V2_RESULT);
    (void)sell("T-OTHER", CODE_NOW, 250, &s, &r);
    assert_string_equal(s.err_code, "OUT_TRADE_NO_USED");
    assert_int_not_equal(s.outcome, WXP_SALE_PAID);
    assert_int_equal(s.reverses, 0);
    assert_string_equal(order("T-OTHER")->trade_state, "USERPAYING");
}

/* A client without client_cert starts a sale it can never reverse: micropay is
   sent, the reverse is refused locally, UNKNOWN. Expected: refused up front. */
static void bug_sale_without_cert_starts(void)
{
    wxp_micropay_req q = sale_req("T-NOCERT-2", CODE_BROKE, 100);
    wxp_sale_config sc = sale_cfg();
    wxp_sale s;
    wxp_result r;
    start_without_cert = 1;
    start();
    assert_int_equal(wxp_pos_sale(&client, &q, &sc, &s, &r), WXP_E_ARG);
    assert_int_equal(s.outcome, WXP_SALE_NOT_SENT);
    assert_string_equal(r.field, "client_cert");
    assert_int_equal(wxp_fake_request_count(&fake), 0);
}

/* total_wait_s counts only the sleeps: with a slow network (each orderquery
   takes 8 s of the clock) the customer waits 78 s, not 30. */
static int slow_queries(void *user, const wxp_http_request *req, wxp_http_response *res, char *errbuf,
                        size_t errbuf_size)
{
    if (path_is(req, "/pay/orderquery")) now_ms += 8000;
    return front(user, req, res, errbuf, errbuf_size);
}

static void bug_wait_ignores_the_clock(void)
{
    wxp_micropay_req q = sale_req("T-SLOW", CODE_NEVER, 100);
    wxp_sale_config sc = sale_cfg();
    wxp_sale s;
    wxp_result r;
    long long t0;
    start();
    client.wxp__priv.cfg.transport.fn = slow_queries;
    t0 = now_ms;
    assert_int_equal(wxp_pos_sale(&client, &q, &sc, &s, &r), WXP_OK);
    assert_int_equal(s.outcome, WXP_SALE_REVERSED);
    assert_true(now_ms - t0 <= 30000 + 5000 + 8000);
}

/* The transport's failure kinds: a refused handshake sent nothing, so the sale
   ends at once, not sent; a timed-out micropay may have been paid, so it is
   confirmed by orderquery like a lost answer. */
static void transport_failure_kinds(void)
{
    wxp_sale s;
    wxp_result r;
    start();
    refuse_handshake = 1;
    assert_int_equal(sell("T-TLS", CODE_NOW, 100, &s, &r), WXP_E_TLS);
    assert_int_equal(s.outcome, WXP_SALE_NOT_SENT);
    assert_int_equal(s.last_error, WXP_E_TLS);
    assert_int_equal(calls_micropay, 2);        /* the primary, then the backup host */
    assert_int_equal(calls_query + calls_reverse, 0);
    assert_int_equal(s.queries + s.reverses, 0);
    assert_int_equal(wxp_fake_request_count(&fake), 0);
    assert_null(order("T-TLS"));
    assert_non_null(strstr(r.message, "not trusted"));
    assert_int_equal(customer(CODE_NOW)->payments, 0);

    refuse_handshake = 0;
    micropay_timeouts = 1;
    assert_int_equal(sell("T-SLOW", CODE_NOW, 100, &s, &r), WXP_OK);
    assert_int_equal(s.outcome, WXP_SALE_PAID);
    assert_int_equal(s.queries, 1);
    assert_int_equal(s.reverses, 0);
    assert_string_equal(s.transaction_id, order("T-SLOW")->transaction_id);
    assert_int_equal(customer(CODE_NOW)->payments, 1);

    /* Not paid (no money) and timed out: reversed, as after a lost answer. */
    micropay_timeouts = 1;
    assert_int_equal(sell("T-SLOW-2", CODE_BROKE, 100, &s, &r), WXP_OK);
    assert_int_equal(s.outcome, WXP_SALE_REVERSED);
    assert_int_equal(s.reverses, 1);
}

/* A paid micropay whose answer arrives with an element twice: the sign check
   cannot trust it (which copy was signed?), but the request had left, so the
   sale is confirmed by orderquery, never reported NOT_SENT. (It was: the
   duplicate made the check say WXP_E_ARG, which the sale read as "refused
   locally".) */
static void bug_duplicate_element_paid_reported_not_sent(void)
{
    static const char *const dups[] = {
        "<return_code><![CDATA[SUCCESS]]></return_code>", "<return_code>FAIL</return_code>",
        "<result_code>FAIL</result_code>", "<sign>00</sign>", "<total_fee>1</total_fee>",
    };
    char otn[32];
    size_t i;
    wxp_sale s;
    wxp_result r;
    start();
    for (i = 0; i < sizeof dups / sizeof dups[0]; i++) {
        snprintf(otn, sizeof otn, "T-DUP-%u", (unsigned)i);
        micropay_insert = dups[i];
        assert_int_equal(sell(otn, CODE_NOW, 100, &s, &r), WXP_OK);
        assert_int_equal(s.outcome, WXP_SALE_PAID);
        assert_int_equal(r.sent, 1);
        assert_int_equal(s.queries, 1);
        assert_int_equal(s.reverses, 0);
        assert_string_equal(s.transaction_id, order(otn)->transaction_id);
    }
    assert_int_equal(customer(CODE_NOW)->payments, (long long)i);
    /* The typed call on its own names the element and says the request left. */
    {
        wxp_micropay_req q = sale_req("T-DUP-X", CODE_NOW, 100);
        wxp_v2_order o;
        micropay_insert = "<return_code>SUCCESS</return_code>";
        assert_int_equal(wxp_v2_micropay(&client, &q, &o, &r), WXP_E_SIGNATURE);
        assert_string_equal(r.field, "return_code");
        assert_int_equal(r.sent, 1);
    }
}

/* An added empty element passes the sign check (WeChat Pay signs no empty
   value) and must not fail a paid sale: it says nothing, so it is read as
   absent. It turned a paid sale into a reversal when coupon_fee "" was
   refused as a number. An empty required field is missing. */
static void bug_empty_element_reversed_a_paid_sale(void)
{
    wxp_sale s;
    wxp_result r;
    start();
    micropay_insert = "<coupon_fee></coupon_fee><settlement_total_fee><![CDATA[]]></settlement_total_fee>";
    assert_int_equal(sell("T-EMPTY", CODE_NOW, 100, &s, &r), WXP_OK);
    assert_int_equal(s.outcome, WXP_SALE_PAID);
    assert_int_equal(s.queries + s.reverses, 0);
    assert_int_equal(customer(CODE_NOW)->payments, 1);
}

/* Where the call stopped decides NOT_SENT: a micropay refused before its
   transport (result.sent 0) is NOT_SENT whatever the error; the simulator
   never saw it. */
static void not_sent_is_where_the_call_stopped(void)
{
    static unsigned char tiny[64];
    wxp_micropay_req q = sale_req("T-LOCAL", CODE_NOW, 100);
    wxp_sale_config sc = sale_cfg();
    wxp_sale s;
    wxp_result r;
    start();
    /* Too small an io_buf for the request XML: WXP_E_NOSPACE before sending. */
    client.wxp__priv.cfg.io_buf = tiny;
    client.wxp__priv.cfg.io_buf_size = sizeof tiny;
    assert_int_equal(wxp_pos_sale(&client, &q, &sc, &s, &r), WXP_E_NOSPACE);
    assert_int_equal(s.outcome, WXP_SALE_NOT_SENT);
    assert_int_equal(r.sent, 0);
    assert_int_equal(calls_micropay, 0);
    assert_null(order("T-LOCAL"));
}

#define CASE(name) static void t_##name(void **state) { (void)state; name(); }
CASE(paid_at_once)
CASE(paid_after_two_polls)
CASE(no_money_reversed)
CASE(never_confirms_bounded)
CASE(lost_micropay_answer_paid)
CASE(lost_micropay_answer_unpaid)
CASE(recall_twice_then_reversed)
CASE(reverse_never_through)
CASE(reverse_needs_client_cert)
CASE(refused_locally)
CASE(server_refuses_code)
CASE(lost_polls)
CASE(sweep)
CASE(micropay_orderquery_reverse)
CASE(micropay_refusals)
CASE(faults_on_a_path)
CASE(v3_counterparts)
CASE(bug_repeat_sale_refunds_the_first)
CASE(bug_reused_number_reverses_another_order)
CASE(bug_wait_ignores_the_clock)
CASE(bug_sale_without_cert_starts)
CASE(transport_failure_kinds)
CASE(bug_duplicate_element_paid_reported_not_sent)
CASE(bug_empty_element_reversed_a_paid_sale)
CASE(not_sent_is_where_the_call_stopped)
#undef CASE

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_paid_at_once),
        cmocka_unit_test(t_paid_after_two_polls),
        cmocka_unit_test(t_no_money_reversed),
        cmocka_unit_test(t_never_confirms_bounded),
        cmocka_unit_test(t_lost_micropay_answer_paid),
        cmocka_unit_test(t_lost_micropay_answer_unpaid),
        cmocka_unit_test(t_recall_twice_then_reversed),
        cmocka_unit_test(t_reverse_never_through),
        cmocka_unit_test(t_reverse_needs_client_cert),
        cmocka_unit_test(t_refused_locally),
        cmocka_unit_test(t_server_refuses_code),
        cmocka_unit_test(t_lost_polls),
        cmocka_unit_test(t_sweep),
        cmocka_unit_test(t_micropay_orderquery_reverse),
        cmocka_unit_test(t_micropay_refusals),
        cmocka_unit_test(t_faults_on_a_path),
        cmocka_unit_test(t_v3_counterparts),
        cmocka_unit_test(t_bug_repeat_sale_refunds_the_first),
        cmocka_unit_test(t_bug_reused_number_reverses_another_order),
        cmocka_unit_test(t_bug_wait_ignores_the_clock),
        cmocka_unit_test(t_bug_sale_without_cert_starts),
        cmocka_unit_test(t_transport_failure_kinds),
        cmocka_unit_test(t_bug_duplicate_element_paid_reported_not_sent),
        cmocka_unit_test(t_bug_empty_element_reversed_a_paid_sale),
        cmocka_unit_test(t_not_sent_is_where_the_call_stopped),
    };
    return cmocka_run_group_tests_name("pos_sale", tests, NULL, NULL) ? 1 : 0;
}
