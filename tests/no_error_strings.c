/* tests/no_error_strings.c - the library built with WXP_NO_ERROR_STRINGS (a
   firmware's size option): every error still carries its code and the field
   at fault, result.message stays empty (no message text is linked, not even
   the ones the library composes), wxp_strerror() is "" and wxp_errname()
   still names the code. A plain program (make test runs it). */
#define WXP_NO_ERROR_STRINGS
#define WECHATPAY_IMPLEMENTATION
#include "wechatpay.h"
#include "examples/test_keys.h"
#include <stdio.h>
#include <string.h>

static int failures;
#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            failures++;                                                                    \
            printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                         \
            printf(__VA_ARGS__);                                                           \
            printf("\n");                                                                  \
        }                                                                                  \
    } while (0)

static long long now = 1764547200;     /* 2025-12-01 */
static long long clock_fn(void *u) { (void)u; return now; }
static int fixed_random(void *u, void *buf, size_t n) { (void)u; memset(buf, 0x5A, n); return 0; }

/* Every host refuses: nothing sent. */
static unsigned calls;
static int refusing(void *u, const wxp_http_request *req, wxp_http_response *res, char *eb, size_t en)
{
    (void)u; (void)req; (void)res;
    calls++;
    snprintf(eb, en, "refused");
    return WXP_TRANSPORT_NO_CONNECTION;
}

static void expect(const char *what, wxp_err got, wxp_err want, const wxp_result *r, const char *field)
{
    CHECK(got == want, "%s: %s, expected %s", what, wxp_errname(got), wxp_errname(want));
    CHECK(strcmp(r->field, field) == 0, "%s: field \"%s\", expected \"%s\"", what, r->field, field);
    CHECK(r->message[0] == 0, "%s: a message was written: \"%s\"", what, r->message);
}

int main(void)
{
    static unsigned char io[WXP_IO_BUFSIZE_MIN];
    static wxp_pubkey slots[1];
    static wxp_client c;
    static char body[] = "{}";
    wxp_keystore ks;
    wxp_config cfg;
    wxp_result r;
    wxp_err e;

    CHECK(strcmp(wxp_strerror(WXP_E_ARG), "") == 0, "wxp_strerror is empty");
    CHECK(strcmp(wxp_errname(WXP_E_ARG), "WXP_E_ARG") == 0, "wxp_errname still names: %s", wxp_errname(WXP_E_ARG));

    wxp_keystore_init(&ks, slots, 1);
    e = wxp_keystore_add_pubkey(&ks, WXP_TEST_PUB_KEY_ID, wxp_cstr(WXP_TEST_WECHATPAY_PUB), &r);
    CHECK(e == WXP_OK, "key store: %s", wxp_errname(e));
    memset(&cfg, 0, sizeof cfg);
    cfg.mchid = "19000x9191";
    cfg.serial = WXP_TEST_SERIAL;
    cfg.private_key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    cfg.apiv3_key = wxp_cstr(WXP_TEST_APIV3_KEY);
    cfg.keys = &ks;
    cfg.clock.fn = clock_fn;
    cfg.random.fn = fixed_random;
    cfg.transport.fn = refusing;
    cfg.io_buf = io;
    cfg.io_buf_size = sizeof io;
    expect("a merchant id with a letter", wxp_client_init(&c, &cfg, &r), WXP_E_ARG, &r, "mchid");
    cfg.mchid = WXP_TEST_MCHID;
    e = wxp_client_init(&c, &cfg, &r);
    CHECK(e == WXP_OK, "client: %s", wxp_errname(e));

    /* A model field refused before anything is signed. */
    {
        wxp_refund_req q;
        wxp_refund out;
        memset(&q, 0, sizeof q);
        memset(&out, 0, sizeof out);
        q.out_trade_no = "T1234567";
        q.out_refund_no = "R123 4567";
        q.amount.refund = 1;
        q.amount.total = 1;
        calls = 0;
        expect("out_refund_no with a space", wxp_refund_create(&c, &q, &out, &r), WXP_E_ARG, &r, "out_refund_no");
        CHECK(calls == 0 && !r.sent, "nothing sent: %u calls", calls);
        /* Both hosts refuse: the failover's composed message is not written either. */
        q.out_refund_no = "R1234567";
        expect("both hosts refusing", wxp_refund_create(&c, &q, &out, &r), WXP_E_TRANSPORT, &r, "transport");
        CHECK(calls == 6 && !r.sent, "3 attempts on both hosts, nothing sent: %u calls, sent %d", calls, r.sent);
    }

    /* A callback: the clock check and the unknown serial compose their
       messages by hand in the default build. */
    {
        wxp_notify_headers h;
        wxp_notification n;
        unsigned char plain[64];
        memset(&h, 0, sizeof h);
        h.timestamp = wxp_cstr("1700000000");
        h.nonce = wxp_cstr("n0nce");
        h.signature = wxp_cstr("c2lnbmF0dXJl");
        h.serial = wxp_cstr("PUB_KEY_ID_0000000000000000000000000000000001");
        expect("a callback from another time", wxp_notify_parse(&c, &h, body, 2, plain, sizeof plain, &n, &r),
               WXP_E_CLOCK, &r, "Wechatpay-Timestamp");
        h.timestamp = wxp_cstr("1764547200");
        expect("a callback signed by an unknown key", wxp_notify_parse(&c, &h, body, 2, plain, sizeof plain, &n, &r),
               WXP_E_SERIAL, &r, "Wechatpay-Serial");
    }

    wxp_client_wipe(&c);
    if (failures) {
        printf("no_error_strings: %d checks FAILED\n", failures);
        return 1;
    }
    printf("no_error_strings: all checks passed\n");
    return 0;
}
