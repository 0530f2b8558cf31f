/* examples/pos_sale_v3.c - a barcode-payment terminal on APIv3 code-pay
   (付款码支付 v3): the cashier scans the customer's payment code and
   wxp_pos_sale_v3 drives the sale to its end: POST /v3/pay/transactions/codepay,
   the query by out_trade_no while the customer types a password (202
   USERPAYING), POST .../reverse when the sale cannot be confirmed. Unlike the
   APIv2 sale (examples/pos_sale.c) no client certificate is needed.

   Three sales against the simulator (transports/wechatpay_fake.h) with
   throwaway keys: a customer who pays at once, one who types a password and
   confirms after two polls, and one whose wallet is empty (NOT_ENOUGH, then
   REVERSED so the order is closed). Time is simulated: the sale's sleep moves
   the clock the client and the simulator share. */
#define WECHATPAY_IMPLEMENTATION
#define WECHATPAY_FAKE_IMPLEMENTATION
#include "wechatpay.h"
#include "transports/wechatpay_fake.h"
#include <stdio.h>
#include <string.h>
#include "example_sim.h"

static example_sim sim;
static wxp_client client;
static long long t0;
static unsigned carry_ms;

/* The sale's sleep: here it moves the simulated clock. A terminal sleeps. */
static void pos_sleep(void *user, unsigned ms)
{
    (void)user;
    carry_ms += ms;
    sim.now += carry_ms / 1000;
    carry_ms %= 1000;
}

/* The display: one line per state change. */
static void pos_state(void *user, const char *state)
{
    (void)user;
    printf("  [+%2llds] %s\n", sim.now - t0, state);
}

/* One sale: the cashier keyed the amount, the scanner read the code. */
static int sell(const char *out_trade_no, long long fen, const char *auth_code, int expect)
{
    wxp_codepay_req q;
    wxp_sale_config sc;
    wxp_sale s;
    wxp_result r;
    wxp_err e;
    memset(&q, 0, sizeof q);                  /* appid, mchid: the config's; currency: CNY */
    q.description = "便利店-收银台1";
    q.out_trade_no = out_trade_no;
    q.amount.total = fen;
    q.payer.auth_code = auth_code;
    q.scene_info.device_id = "POS-0001";
    q.scene_info.device_ip = "192.168.1.20";
    q.scene_info.store_info.out_id = "SZ-001";
    memset(&sc, 0, sizeof sc);                /* defaults: poll every 5 s for 30 s, 5 reverses */
    sc.sleep = pos_sleep;
    sc.on_state = pos_state;
    printf("sale %s: %lld.%02lld CNY, payment code %.6s...\n", out_trade_no, fen / 100, fen % 100, auth_code);
    t0 = sim.now;
    e = wxp_pos_sale_v3(&client, &q, &sc, &s, &r);
    printf("  => %s", example_outcome(s.outcome));
    if (s.outcome == WXP_SALE_PAID) printf(", transaction_id %s", s.transaction_id);
    if (s.err_code[0] && s.outcome != WXP_SALE_PAID) printf(", err_code %s", s.err_code);
    printf("; queries %u, reverses %u\n", s.queries, s.reverses);
    if (e != WXP_OK) example_report("  sale", e, &r);
    return s.outcome == expect ? 0 : 1;
}

int main(void)
{
    wxp_config cfg;
    wxp_result r;
    wxp_err e;
    int bad = 0;

    if ((e = example_sim_init(&sim, &cfg, &r)) != WXP_OK) return example_report("simulator", e, &r);
    cfg.appid = WXP_EXAMPLE_APPID;
    if ((e = wxp_client_init(&client, &cfg, &r)) != WXP_OK) return example_report("client init", e, &r);
    /* The customers the simulator plays, behind their payment codes. */
    if ((e = wxp_fake_add_customer(&sim.fake, "134567890123456789", WXP_FAKE_PAY_NOW, 0, 50000)) ||
        (e = wxp_fake_add_customer(&sim.fake, "120061098828009406", WXP_FAKE_PAY_AFTER_POLLS, 2, 50000)) ||
        (e = wxp_fake_add_customer(&sim.fake, "101234567890123456", WXP_FAKE_NO_MONEY, 0, 0)))
        return example_report("simulator customers", e, &r);

    bad |= sell("POS20261203000001", 2350, "134567890123456789", WXP_SALE_PAID);
    bad |= sell("POS20261203000002", 1200, "120061098828009406", WXP_SALE_PAID);
    bad |= sell("POS20261203000003", 1800, "101234567890123456", WXP_SALE_REVERSED);
    wxp_client_wipe(&client);
    return bad;
}
