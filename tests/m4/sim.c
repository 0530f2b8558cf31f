/* tests/m4/sim.c - the simulator image: the terminal and WeChat Pay's side
   (transports/wechatpay_fake.h) in one Cortex-M4 firmware. An APIv3 refund,
   the payment callback the simulator builds (verify + decrypt) and a whole
   APIv2 POS sale that must end PAID, every request signed and checked by the
   simulator as the real server does. */
#define WECHATPAY_IMPLEMENTATION
#define WECHATPAY_FAKE_IMPLEMENTATION
#define WXP_EXAMPLE_SIM_FAKE_ONLY
#define WXP_FAKE_MAX_RECORDS 4
#include "wechatpay.h"
#include "transports/wechatpay_fake.h"
#include "board.h"
#include "examples/example_sim.h"
#include "tests/m4/m4_app.h"

static wxp_fake fake;
static wxp_pubkey merchant_pub;
static wxp_rsa_key platform;
static m4_terminal term;
static wxp_client client;
static unsigned char io[WXP_IO_BUFSIZE_MIN] __attribute__((aligned(8))); /* see refund.c */
static char body[4096];
static unsigned char plain[2048];

static int fail(const char *what, wxp_err e, const wxp_result *r)
{
    m4_put_kstr("fail", what, 80);
    m4_put_kstr("error", wxp_errname(e), 40);
    m4_put_kstr("message", r->message, sizeof r->message);
    return 1;
}

int main(void)
{
    wxp_fake_config fc;
    wxp_config cfg;
    wxp_result r;
    wxp_refund_req rq;
    wxp_refund refund;
    wxp_notify_headers h;
    wxp_notification n;
    wxp_transaction t;
    wxp_micropay_req sq;
    wxp_sale_config sc;
    wxp_sale sale;
    size_t len;
    wxp_err e;

    if ((e = m4_config(&term, &cfg, io, sizeof io, &r)) || (e = example_fake_config(&fc, &merchant_pub, &platform, &r)))
        return fail("keys", e, &r);
    fc.clock.fn = m4_clock;
    fc.clock.user = &term;
    if ((e = wxp_fake_init(&fake, &fc)) || (e = wxp_fake_add_order(&fake, M4_ORDER, NULL, 500)) ||
        (e = wxp_fake_add_customer(&fake, M4_AUTH_CODE, WXP_FAKE_PAY_AFTER_POLLS, 1, 50000)))
        return fail("simulator", e, &r);
    m4_config_v2(&cfg);
    cfg.transport = wxp_fake_as_transport(&fake);
    if ((e = wxp_client_init(&client, &cfg, &r))) return fail("client init", e, &r);

    m4_refund_req(&rq);
    if ((e = wxp_refund_create(&client, &rq, &refund, &r))) return fail("refund", e, &r);
    if (!m4_str_is(refund.status, "PROCESSING") || wxp_fake_find_refund(&fake, M4_REFUND_NO) == NULL)
        return fail("refund not booked", WXP_E_PARSE, &r);
    m4_puts("sim: refund " M4_REFUND_NO " booked by the simulator, PROCESSING\n");

    if ((e = wxp_fake_notify_transaction(&fake, cfg.apiv3_key, M4_ORDER, body, sizeof body, &len, &h, &r)))
        return fail("simulator callback", e, &r);
    if ((e = wxp_notify_parse(&client, &h, body, len, plain, sizeof plain, &n, &r)) ||
        (e = wxp_transaction_notify_decode(&client, &n, &t, &r)))
        return fail("callback", e, &r);
    if (!m4_str_is(t.trade_state, "SUCCESS")) return fail("callback trade_state", WXP_E_PARSE, &r);
    m4_puts("sim: payment callback verified and decrypted, trade_state SUCCESS\n");

    term.now = M4_NOW + 60;
    m4_sale_req(&term, &sq, &sc);
    e = wxp_pos_sale(&client, &sq, &sc, &sale, &r);
    m4_put_kstr("sim_pos_sale_outcome", sale.outcome == WXP_SALE_PAID ? "PAID" : "NOT_PAID", 8);
    if (e || sale.outcome != WXP_SALE_PAID) return fail("POS sale", e, &r);
    m4_puts("sim: POS sale PAID\n");
    wxp_client_wipe(&client);
    return 0;
}
