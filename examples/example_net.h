/* examples/example_net.h - what the examples that can also call the real API
   share: the transport the build chose, and the configuration from the
   environment. Include it first (it may define _POSIX_C_SOURCE).
       -DWXP_EXAMPLE_CURL -lcurl   libcurl (transports/wechatpay_curl.h)
       -DWXP_EXAMPLE_SOCKET        sockets + BearSSL TLS (wechatpay_socket.h),
                                   trusting the CA bundle in WXPAY_CA_FILE
                                   (default /etc/ssl/certs/ca-certificates.crt)
   The variables are the wxpay CLI's (WXPAY_*), so one set drives both; with
   WXPAY_HOST, WXPAY_RESOLVE and WXPAY_CA_FILE they reach `wxpay serve`
   (docs/SIMULATOR.md) as they would WeChat Pay.
   Without either, only the simulator runs. */
#ifndef WXP_EXAMPLE_NET_H
#define WXP_EXAMPLE_NET_H

#if defined(WXP_EXAMPLE_SOCKET)
#define _POSIX_C_SOURCE 200809L /* sockets, poll, clock_gettime: before any include */
#endif
#define WECHATPAY_IMPLEMENTATION
#define WECHATPAY_FAKE_IMPLEMENTATION
#include "wechatpay.h"
#include "transports/wechatpay_fake.h"
#if defined(WXP_EXAMPLE_CURL)
#define WECHATPAY_CURL_IMPLEMENTATION
#include "transports/wechatpay_curl.h"
#elif defined(WXP_EXAMPLE_SOCKET)
#define WECHATPAY_SOCKET_IMPLEMENTATION
#include "transports/wechatpay_socket.h"
#endif
#include "example_sim.h"

/* The real API's configuration from the environment: WXPAY_MCHID, WXPAY_SERIAL
   (merchant certificate serial), WXPAY_KEY_FILE (apiclient_key.pem),
   WXPAY_PUBKEY_ID + WXPAY_PUBKEY_FILE (the WeChat Pay public key), WXPAY_APPID
   (optional), and the example's own variables in need (NULL-terminated), over
   the transport the build chose (-DWXP_EXAMPLE_CURL or -DWXP_EXAMPLE_SOCKET,
   WXPAY_CA_FILE); optional WXPAY_HOST (HOST[:PORT]) and WXPAY_RESOLVE
   (HOST:PORT:ADDRESS, as curl --resolve: connect to ADDRESS, check HOST's
   certificate). 0, or the exit status for main (2: usage). */
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
    const char *kf = getenv("WXPAY_KEY_FILE"), *pf = getenv("WXPAY_PUBKEY_FILE");
    for (i = 0; need && need[i]; i++) missing |= !getenv(need[i]);
    if (!kf || !pf || !getenv("WXPAY_MCHID") || !getenv("WXPAY_SERIAL") || !getenv("WXPAY_PUBKEY_ID") || missing) {
        fputs("set WXPAY_MCHID WXPAY_SERIAL WXPAY_KEY_FILE WXPAY_PUBKEY_ID WXPAY_PUBKEY_FILE", stderr);
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
    e = wxp_keystore_add_pubkey(&keys, getenv("WXPAY_PUBKEY_ID"), wxp_cstr(pub_pem), r);
    if (e) return example_report("load the WeChat Pay public key", e, r);
    cfg->mchid = getenv("WXPAY_MCHID");
    cfg->serial = getenv("WXPAY_SERIAL");
    cfg->appid = getenv("WXPAY_APPID");
    cfg->host = getenv("WXPAY_HOST");
#if defined(WXP_EXAMPLE_CURL)
    if (wxp_curl_init(&curl, NULL) != WXP_OK) { fputs("curl init failed\n", stderr); return 1; }
    curl.ca_file = getenv("WXPAY_CA_FILE");
    curl.resolve = getenv("WXPAY_RESOLVE");
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
        const char *ca = getenv("WXPAY_CA_FILE") ? getenv("WXPAY_CA_FILE") : "/etc/ssl/certs/ca-certificates.crt";
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
        if (getenv("WXPAY_RESOLVE")) {    /* HOST:PORT:ADDRESS: the address after the second ':' */
            const char *a = strchr(getenv("WXPAY_RESOLVE"), ':');
            sc.connect_to = a && strchr(a + 1, ':') ? strchr(a + 1, ':') + 1 : NULL;
        }
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

#endif
