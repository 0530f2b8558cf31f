/* tests/m4/refund.c - the library image: an APIv3 refund and a payment
   callback (verify + decrypt), as a terminal or a small server makes them,
   answered from build/m4/recorded.h (replay.h). Reports the instructions and
   the peak stack of each call. Links no APIv2, no simulator, no stdio. */
#include "wechatpay.h"
#include "board.h"
#include "tests/m4/m4_app.h"
#include "tests/m4/replay.h"
#include "recorded.h"

static m4_terminal term;
static wxp_client client;
/* Aligned: the library lays its JSON tokens (32-bit words) into io_buf at
   offsets aligned from its start, and a Cortex-M faults on an unaligned STRD. */
static unsigned char io[WXP_IO_BUFSIZE_MIN] __attribute__((aligned(8)));
static char callback[sizeof m4_callback_body];
static unsigned char plain[2048];
static m4_replay replay;

static int fail(const char *what, wxp_err e, const wxp_result *r)
{
    m4_put_kstr("fail", what, 80);
    m4_put_kstr("error", wxp_errname(e), 40);
    m4_put_kstr("message", r->message, sizeof r->message);
    return 1;
}

static wxp_err refund(wxp_result *r)
{
    wxp_refund_req req;
    wxp_refund out;
    wxp_err e;
    m4_refund_req(&req);
    e = wxp_refund_create(&client, &req, &out, r);
    if (!e && !m4_str_is(out.status, "PROCESSING")) e = WXP_E_PARSE;
    return e;
}

static wxp_err payment_callback(wxp_result *r)
{
    wxp_notify_headers h;
    wxp_notification n;
    wxp_transaction t;
    wxp_err e;
    h.timestamp = wxp_cstr(m4_callback_headers[0]);
    h.nonce = wxp_cstr(m4_callback_headers[1]);
    h.signature = wxp_cstr(m4_callback_headers[2]);
    h.serial = wxp_cstr(m4_callback_headers[3]);
    memcpy(callback, m4_callback_body, sizeof callback); /* parsed in place */
    e = wxp_notify_parse(&client, &h, callback, sizeof callback - 1, plain, sizeof plain, &n, r);
    if (!e) e = wxp_transaction_notify_decode(&client, &n, &t, r);
    if (!e && (!m4_str_is(t.trade_state, "SUCCESS") || !m4_str_is(t.out_trade_no, M4_ORDER))) e = WXP_E_PARSE;
    return e;
}

int main(void)
{
    wxp_config cfg;
    wxp_result r;
    wxp_err e;
    uint32_t t0;

    m4_calibrate();
    if ((e = m4_config(&term, &cfg, io, sizeof io, &r))) return fail("keys", e, &r);
    replay.x = m4_refund_answers;
    replay.n = sizeof m4_refund_answers / sizeof m4_refund_answers[0];
    cfg.transport.fn = m4_replay_transport;
    cfg.transport.user = &replay;
    m4_stack_paint();
    t0 = m4_ticks();
    e = wxp_client_init(&client, &cfg, &r);
    m4_put_kv("init_ticks", m4_ticks() - t0);
    m4_put_kv("init_stack", m4_stack_used());
    if (e) return fail("client init", e, &r);

    m4_stack_paint();
    t0 = m4_ticks();
    e = refund(&r);
    m4_put_kv("v3_call_ticks", m4_ticks() - t0);
    m4_put_kv("v3_call_stack", m4_stack_used());
    if (e) return fail("refund", e, &r);
    m4_puts("refund " M4_REFUND_NO ": PROCESSING, answer verified\n");

    m4_stack_paint();
    t0 = m4_ticks();
    e = payment_callback(&r);
    m4_put_kv("callback_ticks", m4_ticks() - t0);
    m4_put_kv("callback_stack", m4_stack_used());
    if (e) return fail("callback", e, &r);
    m4_puts("callback TRANSACTION.SUCCESS: verified, decrypted, trade_state SUCCESS\n");
    wxp_client_wipe(&client);
    return 0;
}
