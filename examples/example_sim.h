/* examples/example_sim.h - the simulator set-up the examples share.

   It wires a wxp_config to the in-process WeChat Pay simulator
   (transports/wechatpay_fake.h) with the THROWAWAY keys of test_keys.h: the
   simulator knows the merchant's public key (it checks request signatures) and
   the platform private key (it signs answers); the client holds the matching
   WeChat Pay public key. A real program sets the same config fields from its
   own files instead. Include after wechatpay.h and wechatpay_fake.h.
   WXP_EXAMPLE_SIM_FAKE_ONLY: only example_fake_config, for programs that run
   the simulator without the examples' client (cli/wxpay.c, the test server). */
#ifndef WXP_EXAMPLE_SIM_H
#define WXP_EXAMPLE_SIM_H

#include "test_keys.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WXP_EXAMPLE_APPID "wx2421b1c4370ec43b"

/* The simulator's side of the test keys: loads the merchant's public key and
   the platform key into the caller's storage (which must outlive the fake)
   and fills fc. The caller adds the clock. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((unused)) /* cli/wxpay_sim.h takes the test keys as PEM text */
#endif
static wxp_err example_fake_config(wxp_fake_config *fc, wxp_pubkey *merchant_pub, wxp_rsa_key *platform,
                                   wxp_result *r)
{
    wxp_err e;
    memset(fc, 0, sizeof *fc);
    if ((e = wxp_pubkey_load(merchant_pub, wxp_cstr(WXP_TEST_MERCHANT_PUB), r)) ||
        (e = wxp_rsa_key_load(platform, wxp_cstr(WXP_TEST_PLATFORM_KEY), r)))
        return e;
    fc->mchid = WXP_TEST_MCHID;
    fc->appid = WXP_EXAMPLE_APPID;
    fc->merchant_serial = WXP_TEST_SERIAL;
    fc->merchant_key = merchant_pub;
    fc->platform_signer = &platform->vtable;
    fc->platform_serial = WXP_TEST_PUB_KEY_ID;
    fc->apiv2_key = wxp_cstr(WXP_TEST_APIV2_KEY);
    fc->require_client_cert = 1;
    return WXP_OK;
}

#ifndef WXP_EXAMPLE_SIM_FAKE_ONLY
typedef struct example_sim {
    wxp_fake       fake;
    wxp_keystore   keys;
    wxp_pubkey     slots[2], merchant_pub;
    wxp_rsa_key    platform;
    long long      now;             /* the clock the client and simulator share */
    unsigned char  io[WXP_IO_BUFSIZE_DEFAULT];
} example_sim;

/* Fills cfg for the simulator; give sim static storage (it is large). */
static wxp_err example_sim_init(example_sim *sim, wxp_config *cfg, wxp_result *r)
{
    wxp_fake_config fc;
    wxp_err e;
    memset(cfg, 0, sizeof *cfg);
    sim->now = 1795425372;
    wxp_keystore_init(&sim->keys, sim->slots, 2);
    if ((e = wxp_keystore_add_pubkey(&sim->keys, WXP_TEST_PUB_KEY_ID, wxp_cstr(WXP_TEST_WECHATPAY_PUB), r)) ||
        (e = example_fake_config(&fc, &sim->merchant_pub, &sim->platform, r)))
        return e;
    fc.clock.fn = wxp_fake_fixed_clock;
    fc.clock.user = &sim->now;
    if ((e = wxp_fake_init(&sim->fake, &fc)) != WXP_OK) return e;
    cfg->mchid = WXP_TEST_MCHID;
    cfg->serial = WXP_TEST_SERIAL;
    cfg->private_key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    cfg->apiv3_key = wxp_cstr(WXP_TEST_APIV3_KEY);
    cfg->apiv2_key = wxp_cstr(WXP_TEST_APIV2_KEY);
    cfg->keys = &sim->keys;
    cfg->clock = fc.clock;
    cfg->io_buf = sim->io;
    cfg->io_buf_size = sizeof sim->io;
    cfg->transport = wxp_fake_as_transport(&sim->fake);
    return WXP_OK;
}

/* Prints a failed call the way support wants to see it. */
static int example_report(const char *what, wxp_err e, const wxp_result *r)
{
    printf("%s: %s\n", what, wxp_strerror(e));
    if (r->status) printf("  HTTP %d, Request-ID %s\n", r->status, r->request_id[0] ? r->request_id : "-");
    if (r->code[0]) printf("  code %s\n", r->code);
    if (r->field[0]) printf("  field %s\n", r->field);
    if (r->message[0]) printf("  %s\n", r->message);
    return 1;
}

#define EXAMPLE_STR(v) (int)(v).len, (v).ptr

#if defined(__GNUC__) || defined(__clang__)
__attribute__((unused)) /* the POS examples' */
#endif
static const char *example_outcome(int outcome)
{
    switch (outcome) {
    case WXP_SALE_PAID: return "PAID";
    case WXP_SALE_REVERSED: return "REVERSED (not paid)";
    case WXP_SALE_UNKNOWN: return "UNKNOWN: reconcile later";
    default: return "NOT SENT";
    }
}


#endif /* WXP_EXAMPLE_SIM_FAKE_ONLY */

#endif
