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

/* The real API's configuration from the environment: WXP_MCHID, WXP_SERIAL
   (merchant certificate serial), WXP_KEY_FILE (apiclient_key.pem),
   WXP_PUBKEY_ID + WXP_PUBKEY_FILE (the WeChat Pay public key), WXP_APPID
   (optional), and the example's own variables in need (NULL-terminated), over
   the transport the build chose (-DWXP_EXAMPLE_CURL or -DWXP_EXAMPLE_SOCKET,
   WXP_CA_FILE). 0, or the exit status for main (2: usage). */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((unused)) /* the examples that only ever run the simulator */
#endif
static int example_real_config(wxp_config *cfg, const char *const *need, wxp_result *r)
{
#if defined(WXP_EXAMPLE_CURL) || defined(WXP_EXAMPLE_SOCKET)
    wxp_err e;
    size_t i;
    int missing = 0;
    static unsigned char io[WXP_IO_BUFSIZE_DEFAULT];
    static wxp_pubkey slots[2];
    static wxp_keystore keys;
    static char key_pem[8192], pub_pem[4096];
#if defined(WXP_EXAMPLE_CURL)
    static wxp_curl curl;
#endif
    FILE *f;
    size_t n;
    const char *kf = getenv("WXP_KEY_FILE"), *pf = getenv("WXP_PUBKEY_FILE");
    for (i = 0; need && need[i]; i++) missing |= !getenv(need[i]);
    if (!kf || !pf || !getenv("WXP_MCHID") || !getenv("WXP_SERIAL") || !getenv("WXP_PUBKEY_ID") || missing) {
        fputs("set WXP_MCHID WXP_SERIAL WXP_KEY_FILE WXP_PUBKEY_ID WXP_PUBKEY_FILE", stderr);
        for (i = 0; need && need[i]; i++) fprintf(stderr, " %s", need[i]);
        fputs("\n", stderr);
        return 2;
    }
    memset(cfg, 0, sizeof *cfg);
    wxp_keystore_init(&keys, slots, 2);
    cfg->keys = &keys;
    cfg->io_buf = io;
    cfg->io_buf_size = sizeof io;
    if (!(f = fopen(kf, "rb"))) { perror(kf); return 1; }
    n = fread(key_pem, 1, sizeof key_pem, f); fclose(f);
    cfg->private_key_pem.ptr = key_pem; cfg->private_key_pem.len = n;
    if (!(f = fopen(pf, "rb"))) { perror(pf); return 1; }
    n = fread(pub_pem, 1, sizeof pub_pem - 1, f); fclose(f);
    pub_pem[n] = 0;
    e = wxp_keystore_add_pubkey(&keys, getenv("WXP_PUBKEY_ID"), wxp_cstr(pub_pem), r);
    if (e) return example_report("load the WeChat Pay public key", e, r);
    cfg->mchid = getenv("WXP_MCHID");
    cfg->serial = getenv("WXP_SERIAL");
    cfg->appid = getenv("WXP_APPID");
#if defined(WXP_EXAMPLE_CURL)
    if (wxp_curl_init(&curl, NULL) != WXP_OK) { fputs("curl init failed\n", stderr); return 1; }
    cfg->transport = wxp_curl_as_transport(&curl);
#else
    {   /* The CA bundle, decoded into static trust anchors (no heap). */
        static unsigned char tls_buf[BR_SSL_BUFSIZE_BIDI], arena[256 * 1024];
        static char bundle[512 * 1024];
        static br_x509_trust_anchor anchors[256];
        static wxp_sock http;
        static wxp_sock_posix net;
        wxp_sock_config sc;
        size_t na, used;
        const char *ca = getenv("WXP_CA_FILE") ? getenv("WXP_CA_FILE") : "/etc/ssl/certs/ca-certificates.crt";
        if (!(f = fopen(ca, "rb"))) { perror(ca); return 1; }
        n = fread(bundle, 1, sizeof bundle - 1, f); fclose(f);
        bundle[n] = 0;
        e = wxp_sock_anchors_load(anchors, 256, arena, sizeof arena, wxp_cstr(bundle), &na, &used, r);
        if (e) return example_report("load the CA bundle", e, r);
        memset(&sc, 0, sizeof sc);
        wxp_sock_posix_init(&net);
        sc.io = wxp_sock_posix_io(&net);
        sc.anchors = anchors;
        sc.anchor_count = na;
        sc.tls_buf = tls_buf;
        sc.tls_buf_size = sizeof tls_buf;
        if ((e = wxp_sock_init(&http, &sc, r)) != WXP_OK) return example_report("socket transport", e, r);
        cfg->transport = wxp_sock_as_transport(&http);
    }
#endif
    return 0;
#else
    (void)cfg; (void)need; (void)r;
    fputs("This build has no network transport: build the example with -DWXP_EXAMPLE_CURL -lcurl "
          "or -DWXP_EXAMPLE_SOCKET (see README) to call the real API.\n", stderr);
    return 2;
#endif
}

#endif /* WXP_EXAMPLE_SIM_FAKE_ONLY */

#endif
