/* examples/pos_sale.c - a barcode-payment terminal (付款码支付) on a fixed memory
   budget: the cashier scans the customer's payment code, wxp_pos_sale drives
   the sale to its end (POST /pay/micropay, POST /pay/orderquery while the
   customer types a password, POST /secapi/pay/reverse when the sale cannot be
   confirmed), and the display shows one line per state change.

   Two sales run against the simulator (transports/wechatpay_fake.h) with
   throwaway keys: a customer who confirms after one poll (PAID), and one whose
   wallet is empty (NOTENOUGH, then REVERSED). Time is simulated: the sale's
   sleep moves the clock the client and the simulator share, so the 5 s polls
   cost nothing here.

   Memory: every buffer is static and its size printed. Each sale runs on a
   stack of its own (a static, painted array, entered with ucontext on glibc),
   so its peak stack use is measured, not guessed; the simulator answers from
   main's stack, as a server would from its own machine. The line printing is
   done by main between requests, so the figure is the library's and the
   terminal callbacks', nothing else. (valgrind cannot follow the stack switch:
   under it, and off glibc, the sale runs on main's stack, unmeasured.) */
#define WECHATPAY_IMPLEMENTATION
#define WECHATPAY_FAKE_IMPLEMENTATION
#include "wechatpay.h"
#include "transports/wechatpay_fake.h"
#include <stdio.h>
#include <stdlib.h>
#include "example_sim.h"

#if defined(__GLIBC__) && !defined(POS_NO_STACK_MEASURE)
#include <ucontext.h>
#define POS_MEASURE 1
#else
#define POS_MEASURE 0
#endif

/* ---- the terminal's memory: all of it --------------------------------------- */
static wxp_client      client;                     /* keys, request state */
static unsigned char   io[WXP_IO_BUFSIZE_MIN];     /* one request and its answer */
static wxp_micropay_req sale_req;
static wxp_sale_config sale_cfg;
static wxp_sale        sale;
static wxp_result      sale_res;
static struct { const char *state; long long at; } shown[16];   /* display queue */
static unsigned        nshown;
#if POS_MEASURE
static unsigned char   sale_stack[65536];          /* the stack a sale runs on */
#endif

/* ---- the simulator's (WeChat Pay's side, not the terminal's) ------------------ */
static example_sim sim;
static long long   t0, carry_ms;

/* The sale's sleep: here it moves the simulated clock. A terminal sleeps. */
static void pos_sleep(void *user, unsigned ms)
{
    (void)user;
    carry_ms += ms;
    sim.now += carry_ms / 1000;
    carry_ms %= 1000;
}

/* The sale's display hook: it runs inside the sale, on the sale's stack, so it
   only queues the line; main prints it. */
static void pos_state(void *user, const char *state)
{
    (void)user;
    if (nshown < sizeof shown / sizeof shown[0]) {
        shown[nshown].state = state;
        shown[nshown].at = sim.now;
        nshown++;
    }
}

static void show_states(void)
{
    unsigned i;
    for (i = 0; i < nshown; i++) printf("  [+%2llds] %s\n", shown[i].at - t0, shown[i].state);
    nshown = 0;
}

/* The terminal's transport: a real one opens TLS to api.mch.weixin.qq.com
   (the libcurl or the sockets transport); this one hands it to the simulator,
   from main's stack when the sale runs on its own. */
static struct {
    const wxp_http_request *req;
    wxp_http_response      *res;
    char                   *errbuf;
    size_t                  errbuf_size;
    int                     rc, done, hopping;
    wxp_err                 e;
    size_t                  depth;          /* deepest stack at a transport call */
} hop;
#if POS_MEASURE
static ucontext_t main_ctx, sale_ctx;
#endif

static int terminal_transport(void *user, const wxp_http_request *req, wxp_http_response *res,
                              char *errbuf, size_t errbuf_size)
{
    if (!hop.hopping) return wxp_fake_transport(user, req, res, errbuf, errbuf_size);
#if POS_MEASURE
    {   /* how deep the sale is when it hands a request over: a real transport's
           own stack (TLS) comes on top of this */
        unsigned char here;
        size_t d = (size_t)(sale_stack + sizeof sale_stack - &here);
        if (d > hop.depth) hop.depth = d;
    }
#endif
    hop.req = req;
    hop.res = res;
    hop.errbuf = errbuf;
    hop.errbuf_size = errbuf_size;
#if POS_MEASURE
    swapcontext(&sale_ctx, &main_ctx);
#endif
    return hop.rc;
}

/* Runs one sale on main's stack (not measured). */
static size_t run_sale_here(wxp_err *e)
{
    memset(&hop, 0, sizeof hop);
    *e = wxp_pos_sale(&client, &sale_req, &sale_cfg, &sale, &sale_res);
    show_states();
    return 0;
}

#if POS_MEASURE
/* valgrind cannot follow a switch to another stack: under it, run in place. */
static int under_valgrind(void)
{
    const char *p = getenv("LD_PRELOAD");
    return p && strstr(p, "vgpreload") != NULL;
}

/* The sale runs in its own context; each request hops back to main, which
   prints the queued lines and lets the simulator answer. */

static void sale_entry(void)
{
    hop.e = wxp_pos_sale(&client, &sale_req, &sale_cfg, &sale, &sale_res);
    hop.done = 1;
}   /* returns to main_ctx (uc_link) */

/* Runs one sale on the painted stack; returns the bytes of it the sale used
   (*depth: how deep it was when it called the transport). */
static size_t run_sale(wxp_err *e, size_t *depth)
{
    size_t i;
    *depth = 0;
    if (under_valgrind()) return run_sale_here(e);
    memset(sale_stack, 0xA5, sizeof sale_stack);
    memset(&hop, 0, sizeof hop);
    hop.hopping = 1;
    if (getcontext(&sale_ctx) != 0) return 0;
    sale_ctx.uc_stack.ss_sp = sale_stack;
    sale_ctx.uc_stack.ss_size = sizeof sale_stack;
    sale_ctx.uc_link = &main_ctx;
    makecontext(&sale_ctx, sale_entry, 0);
    for (;;) {
        if (swapcontext(&main_ctx, &sale_ctx) != 0) return 0;
        show_states();
        if (hop.done) break;
        hop.rc = wxp_fake_transport(&sim.fake, hop.req, hop.res, hop.errbuf, hop.errbuf_size);
    }
    hop.hopping = 0;
    *e = hop.e;
    *depth = hop.depth;
    for (i = 0; i < sizeof sale_stack && sale_stack[i] == 0xA5; i++) continue;
    return sizeof sale_stack - i;   /* the stack grows down from the end */
}
#else
static size_t run_sale(wxp_err *e, size_t *depth)
{
    *depth = 0;
    return run_sale_here(e);
}
#endif

/* One sale: the cashier keyed the amount, the scanner read the code. */
static int sell(const char *out_trade_no, long long fen, const char *auth_code, int expect, size_t *peak,
                size_t *at_transport)
{
    size_t used, depth;
    wxp_err e = WXP_OK;
    memset(&sale_req, 0, sizeof sale_req);
    sale_req.appid = WXP_EXAMPLE_APPID;
    sale_req.device_info = "POS-0001";
    sale_req.body = "便利店-收银台1";
    sale_req.out_trade_no = out_trade_no;
    sale_req.total_fee = fen;
    sale_req.spbill_create_ip = "192.168.1.20";
    sale_req.auth_code = auth_code;
    memset(&sale_cfg, 0, sizeof sale_cfg);   /* defaults: poll every 5 s for 30 s, 5 reverses */
    sale_cfg.sleep = pos_sleep;
    sale_cfg.on_state = pos_state;
    printf("sale %s: %lld.%02lld CNY, payment code %.6s...\n", out_trade_no, fen / 100, fen % 100, auth_code);
    t0 = sim.now;
    used = run_sale(&e, &depth);
    printf("  => %s", example_outcome(sale.outcome));
    if (sale.outcome == WXP_SALE_PAID) printf(", transaction_id %s", sale.transaction_id);
    if (sale.err_code[0] && sale.outcome != WXP_SALE_PAID) printf(", err_code %s", sale.err_code);
    printf("; queries %u, reverses %u", sale.queries, sale.reverses);
    if (used) printf("; stack %lu bytes (%lu at the transport)", (unsigned long)used, (unsigned long)depth);
    printf("\n");
    if (e != WXP_OK) example_report("  sale", e, &sale_res);
    if (used > *peak) *peak = used;
    if (depth > *at_transport) *at_transport = depth;
    return sale.outcome == expect ? 0 : 1;
}

int main(void)
{
    wxp_config cfg;
    wxp_result r;
    wxp_err e;
    size_t peak = 0, at_transport = 0, terminal;
    int bad = 0;

    terminal = sizeof client + sizeof io + sizeof sim.keys + sizeof sim.slots + sizeof sale_req +
               sizeof sale_cfg + sizeof sale + sizeof sale_res + sizeof shown;
    printf("terminal memory, all static:\n");
    printf("  %-34s %6lu bytes\n", "wxp_client", (unsigned long)sizeof client);
    printf("  %-34s %6lu bytes\n", "I/O buffer (WXP_IO_BUFSIZE_MIN)", (unsigned long)sizeof io);
    printf("  %-34s %6lu bytes\n", "key store, 2 slots", (unsigned long)(sizeof sim.keys + sizeof sim.slots));
    printf("  %-34s %6lu bytes\n", "sale request, config, result",
           (unsigned long)(sizeof sale_req + sizeof sale_cfg + sizeof sale + sizeof sale_res));
    printf("  %-34s %6lu bytes\n", "display queue", (unsigned long)sizeof shown);
    printf("  %-34s %6lu bytes\n", "total", (unsigned long)terminal);
#if POS_MEASURE
    printf("  %-34s %6lu bytes (peak use measured below)\n", "+ stack reserved for a sale",
           (unsigned long)sizeof sale_stack);
#endif
    printf("simulator (WeChat Pay's side): %lu bytes\n\n", (unsigned long)sizeof sim);

    if ((e = example_sim_init(&sim, &cfg, &r)) != WXP_OK) return example_report("simulator", e, &r);
    cfg.io_buf = io;                  /* the terminal's own, smaller buffer */
    cfg.io_buf_size = sizeof io;
    /* reverse is under /secapi/: mutual TLS with the merchant certificate (the
       simulator checks that one is presented; see examples/refund_v2.c). */
    cfg.client_cert.cert_pem = wxp_cstr("-----BEGIN CERTIFICATE-----\n(apiclient_cert.pem)\n");
    cfg.client_cert.key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    cfg.transport.fn = terminal_transport;     /* user: the simulator, as set above */
    if ((e = wxp_client_init(&client, &cfg, &r)) != WXP_OK) return example_report("client init", e, &r);
    {   /* A start-up check: asking about an order that does not exist must be
           answered ORDERNOTEXIST, under a valid sign. It proves the keys and
           the link, and runs every library path a sale takes once, on main's
           stack: the dynamic linker binds a shared library's function at its
           first call, on the caller's stack (about 2 KiB), which would
           otherwise land in the first sale's figure. A static build (a
           terminal's firmware) has no such cost. */
        wxp_v2_order_ref ref;
        wxp_v2_order o;
        memset(&ref, 0, sizeof ref);
        ref.appid = WXP_EXAMPLE_APPID;
        ref.out_trade_no = "POS-STARTUP-CHECK";
        e = wxp_v2_orderquery(&client, &ref, &o, &r);
        if (e != WXP_E_V2_RESULT || strcmp(r.code, "ORDERNOTEXIST") != 0)
            return example_report("start-up check", e, &r);
        printf("start-up check: orderquery answered ORDERNOTEXIST, signed: keys and link are fine\n\n");
    }
    /* The customers the simulator plays. */
    if ((e = wxp_fake_add_customer(&sim.fake, "134567890123456789", WXP_FAKE_PAY_AFTER_POLLS, 1, 50000)) ||
        (e = wxp_fake_add_customer(&sim.fake, "101234567890123456", WXP_FAKE_NO_MONEY, 0, 0)))
        return example_report("simulator customers", e, &r);

    bad |= sell("POS20261123000001", 2350, "134567890123456789", WXP_SALE_PAID, &peak, &at_transport);
    bad |= sell("POS20261123000002", 1800, "101234567890123456", WXP_SALE_REVERSED, &peak, &at_transport);
    if (peak)
        printf("\npeak stack of one sale: %lu bytes; the transport is called %lu bytes deep "
               "(add a real transport's own use to that)\n", (unsigned long)peak, (unsigned long)at_transport);
    wxp_client_wipe(&client);
    return bad;
}
