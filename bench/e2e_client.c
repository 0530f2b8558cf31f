/* bench/e2e_client.c - our side of make bench's end-to-end figures (bench/e2e.mjs).

   N typed refunds (wxp_refund_create: validate, encode, sign, send, receive,
   verify the answer's signature, decode into wxp_refund) against bench/e2e_stub.c
   over loopback, one after the other on one kept connection, as a server
   calls WeChat Pay. Prints the process's CPU time per call (getrusage
   RUSAGE_SELF: user + system, this process only; the server's is not counted)
   over the N calls after a warm-up of 50 (which pays the TLS handshake).

   Built twice by the Makefile:
     build/e2e_bearssl   the default build: BearSSL RSA, SHA-256, HMAC-DRBG nonces
     build/e2e_openssl   -DE2E_OPENSSL -DWXP_SHA256_PARTS=wxp_openssl_sha256_parts:
                         crypto/wechatpay_openssl.h's key, verifier and RAND_bytes,
                         and OpenSSL's SHA-256 through the hash seam
   Usage: e2e_client sock|curl http|https PORT N [CERT_DIR]
     sock: transports/wechatpay_socket.h (BearSSL TLS; https only)
     curl: transports/wechatpay_curl.h (libcurl, its TLS: OpenSSL on Debian)
   Prints "cpu_us <per call> wall_us <per call>". */
#define _POSIX_C_SOURCE 200809L
#define WECHATPAY_IMPLEMENTATION
#define WECHATPAY_SOCKET_IMPLEMENTATION
#define WECHATPAY_CURL_IMPLEMENTATION
#include "wechatpay.h"
#include "transports/wechatpay_socket.h"
#include "transports/wechatpay_curl.h"
#ifdef E2E_OPENSSL
#define WECHATPAY_OPENSSL_IMPLEMENTATION
#include "crypto/wechatpay_openssl.h"
#endif
#include "examples/test_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#define WARMUP 50

static double cpu_us(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 + (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

static double wall_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static void die(const char *what, wxp_err e, const wxp_result *r)
{
    fprintf(stderr, "e2e_client: %s: %s", what, wxp_strerror(e));
    if (r) fprintf(stderr, " [%s] %s %s", r->field, r->code, r->message);
    fputc('\n', stderr);
    exit(1);
}

/* The sockets transport over BearSSL, trusting the stub's throwaway CA. */
static wxp_transport sock_transport(const char *ca_file)
{
    static unsigned char tls_buf[BR_SSL_BUFSIZE_BIDI], arena[16384];
    static char pem[16384];
    static br_x509_trust_anchor anchors[4];
    static wxp_sock sock;
    static wxp_sock_posix net;
    wxp_sock_config sc;
    wxp_result r;
    wxp_err e;
    size_t n, na, used;
    FILE *f = fopen(ca_file, "rb");
    if (!f) die(ca_file, WXP_E_ARG, NULL);
    n = fread(pem, 1, sizeof pem - 1, f);
    fclose(f);
    pem[n] = 0;
    if ((e = wxp_sock_anchors_load(anchors, 4, arena, sizeof arena, wxp_cstr(pem), &na, &used, &r)) != WXP_OK)
        die("CA", e, &r);
    memset(&sc, 0, sizeof sc);
    wxp_sock_posix_init(&net);
    sc.io = wxp_sock_posix_io(&net);
    sc.anchors = anchors;
    sc.anchor_count = na;
    sc.tls_buf = tls_buf;
    sc.tls_buf_size = sizeof tls_buf;
    sc.connect_to = "127.0.0.1";
    if ((e = wxp_sock_init(&sock, &sc, &r)) != WXP_OK) die("socket transport", e, &r);
    return wxp_sock_as_transport(&sock);
}

int main(int argc, char **argv)
{
    static unsigned char io[WXP_IO_BUFSIZE_DEFAULT];
    static wxp_client c;
    static wxp_pubkey slots[1];
    static wxp_keystore keys;
    static wxp_curl curl;
    static char host[64], resolve[96], ca[512];
#ifdef E2E_OPENSSL
    static wxp_openssl_key key;
    static wxp_openssl_verifier vf;
#endif
    wxp_config cfg;
    wxp_result r;
    wxp_err e;
    wxp_refund_req req;
    wxp_refund out;
    wxp_refund_from from[4];
    wxp_refund_promotion promo[4];
    wxp_refund_goods goods[4][4];
    double c0, w0;
    long i, n;
    int https;
    if (argc < 5 || (strcmp(argv[1], "sock") && strcmp(argv[1], "curl"))) {
        fputs("usage: e2e_client sock|curl http|https PORT N [CERT_DIR]\n", stderr);
        return 2;
    }
    https = strcmp(argv[2], "https") == 0;
    n = atol(argv[4]);
    snprintf(ca, sizeof ca, "%s/ca.pem", argc > 5 ? argv[5] : "tests/server/certs");
    /* TLS checks the certificate's name; plain http is for loopback addresses only */
    snprintf(host, sizeof host, "%s:%s", https ? "api.mch.weixin.qq.com" : "127.0.0.1", argv[3]);
    snprintf(resolve, sizeof resolve, "%s:127.0.0.1", host);

    memset(&cfg, 0, sizeof cfg);
    cfg.mchid = WXP_TEST_MCHID;
    cfg.serial = WXP_TEST_SERIAL;
#ifdef E2E_OPENSSL
    if ((e = wxp_openssl_key_load(&key, wxp_cstr(WXP_TEST_MERCHANT_KEY), &r)) != WXP_OK) die("key", e, &r);
    wxp_openssl_verifier_init(&vf);
    cfg.signer = &key.vtable;
    cfg.verifier = &vf.vtable;
    cfg.random = wxp_openssl_random();
#else
    cfg.private_key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
#endif
    wxp_keystore_init(&keys, slots, 1);
    if ((e = wxp_keystore_add_pubkey(&keys, WXP_TEST_PUB_KEY_ID, wxp_cstr(WXP_TEST_WECHATPAY_PUB), &r)) != WXP_OK)
        die("public key", e, &r);
    cfg.keys = &keys;
    cfg.host = host;
    cfg.io_buf = io;
    cfg.io_buf_size = sizeof io;
    if (argv[1][0] == 's') {
        if (!https) die("the sockets transport speaks TLS only", WXP_E_ARG, NULL);
        cfg.transport = sock_transport(ca);
    } else {
        if (wxp_curl_init(&curl, NULL) != WXP_OK) die("curl init", WXP_E_TRANSPORT, NULL);
        curl.ca_file = ca;
        curl.resolve = https ? resolve : NULL;
        curl.test_plain_http = !https;
        cfg.transport = wxp_curl_as_transport(&curl);
    }
    if ((e = wxp_client_init(&c, &cfg, &r)) != WXP_OK) die("client init", e, &r);

    memset(&req, 0, sizeof req);
    req.out_trade_no = "1217752501201407033233368018";
    req.out_refund_no = "1217752501201407033233368018";
    req.reason = "商品已售完";
    req.notify_url = "https://weixin.qq.com";
    req.amount.refund = 100;
    req.amount.total = 100;
    c0 = w0 = 0;
    for (i = 0; i < WARMUP + n; i++) {
        size_t k;
        if (i == WARMUP) {
            c0 = cpu_us();
            w0 = wall_us();
        }
        memset(&out, 0, sizeof out);
        memset(promo, 0, sizeof promo);
        for (k = 0; k < 4; k++) {
            promo[k].goods_detail = goods[k];
            promo[k].goods_detail_cap = 4;
        }
        out.amount.from = from;
        out.amount.from_cap = 4;
        out.promotion_detail = promo;
        out.promotion_detail_cap = 4;
        if ((e = wxp_refund_create(&c, &req, &out, &r)) != WXP_OK) die("refund", e, &r);
        if (out.amount.refund != 100 || out.promotion_detail_count != 2) die("refund: the answer", WXP_E_PARSE, NULL);
    }
    printf("cpu_us %.2f wall_us %.2f\n", (cpu_us() - c0) / (double)n, (wall_us() - w0) / (double)n);
    wxp_client_wipe(&c);
    if (argv[1][0] == 'c') wxp_curl_cleanup(&curl);
    return 0;
}
