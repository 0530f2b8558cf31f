/* tests/m4/pos.c - the library image of a whole APIv2 POS sale (wxp_pos_sale:
   micropay answered USERPAYING, one order query answered SUCCESS), answered
   from build/m4/recorded.h (replay.h). Reports its outcome, instructions and
   peak stack. */
#include "wechatpay.h"
#include "board.h"
#include "tests/m4/m4_app.h"
#include "tests/m4/replay.h"
#include "recorded.h"

static m4_terminal term;
static wxp_client client;
static unsigned char io[WXP_IO_BUFSIZE_MIN] __attribute__((aligned(8))); /* see refund.c */
static m4_replay replay;
static wxp_micropay_req req;
static wxp_sale_config sc;
static wxp_sale sale;

int main(void)
{
    wxp_config cfg;
    wxp_result r;
    wxp_err e;
    uint32_t t0;

    m4_calibrate();
    if ((e = m4_config(&term, &cfg, io, sizeof io, &r)) != WXP_OK) return 1;
    m4_config_v2(&cfg);
    replay.x = m4_sale_answers;
    replay.n = sizeof m4_sale_answers / sizeof m4_sale_answers[0];
    cfg.transport.fn = m4_replay_transport;
    cfg.transport.user = &replay;
    if ((e = wxp_client_init(&client, &cfg, &r)) != WXP_OK) return 1;
    term.now = M4_NOW + 60;   /* as recorded */
    m4_sale_req(&term, &req, &sc);
    m4_stack_paint();
    t0 = m4_ticks();
    e = wxp_pos_sale(&client, &req, &sc, &sale, &r);
    m4_put_kv("pos_sale_ticks", m4_ticks() - t0);
    m4_put_kv("pos_sale_stack", m4_stack_used());
    m4_put_kv("pos_sale_queries", sale.queries);
    m4_put_kstr("pos_sale_outcome", sale.outcome == WXP_SALE_PAID ? "PAID" : "NOT_PAID", 8);
    if (e != WXP_OK) m4_put_kstr("error", wxp_errname(e), 40);
    wxp_client_wipe(&client);
    return e != WXP_OK || sale.outcome != WXP_SALE_PAID;
}
