/* bench/e2e_stub.c - the one server of make bench's end-to-end figures (bench/e2e.mjs).

   It answers every request with the refund answer of bench/bench.c (1049
   bytes), signed with the platform key of examples/test_keys.h as WeChat Pay
   signs, on two loopback ports: plain HTTP and HTTPS (OpenSSL's libssl, the
   THROWAWAY certificate of tests/server/certs, api.mch.weixin.qq.com).
   Keep-alive; one forked process per connection.

   Why not wxpay serve: the simulator verifies each request's RSA signature,
   keeps a book and a journal, and refuses a refund beyond the order's amount,
   so on 2 cores its own work would compete with the client being measured and
   2,000 refunds of one order would end in refusals. This stub does no RSA per
   request: the answer is signed once (again each minute, so the clients'
   300 s clock check passes), and the clients still verify it on every call.

   Usage: e2e_stub [CERT_DIR]   prints "PORTS <http> <https>", serves until killed. */
#define _POSIX_C_SOURCE 200809L
#define WECHATPAY_IMPLEMENTATION
#define WECHATPAY_STATIC
#include "wechatpay.h"
#include "examples/test_keys.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "bench/refund_answer.h"

static wxp_rsa_key platform;
static char answer[4096];
static size_t answer_len;
static long long signed_at;

/* The whole HTTP answer, headers and body, signed at the current time. */
static void sign_answer(void)
{
    static const char nonce[] = "GusuEQ2NVJVwy3LNpJQmjpNedV2aX2AC";
    char msg[2048], sig[WXP_SIG_B64_MAX + 1];
    wxp_result r;
    signed_at = (long long)time(NULL);
    snprintf(msg, sizeof msg, "%lld\n%s\n%s\n", signed_at, nonce, BENCH_REFUND_ANSWER);
    if (wxp_sign_base64(&platform.vtable, msg, strlen(msg), sig, sizeof sig, NULL, &r) != WXP_OK) {
        fprintf(stderr, "e2e_stub: sign: %s\n", r.message);
        exit(1);
    }
    answer_len = (size_t)snprintf(answer, sizeof answer,
        "HTTP/1.1 200 OK\r\nRequest-ID: 08F0C4E8A40610C6021800\r\nContent-Type: application/json\r\n"
        "Wechatpay-Nonce: %s\r\nWechatpay-Signature: %s\r\nWechatpay-Timestamp: %lld\r\n"
        "Wechatpay-Serial: %s\r\nWechatpay-Signature-Type: WECHATPAY2-SHA256-RSA2048\r\n"
        "Content-Length: %u\r\nConnection: keep-alive\r\n\r\n%s",
        nonce, sig, signed_at, WXP_TEST_PUB_KEY_ID, (unsigned)(sizeof BENCH_REFUND_ANSWER - 1), BENCH_REFUND_ANSWER);
}

typedef struct conn { int fd; SSL *ssl; } conn;

static long conn_read(conn *c, char *buf, size_t n)
{
    if (c->ssl) { int k = SSL_read(c->ssl, buf, (int)n); return k > 0 ? k : -1; }
    return (long)read(c->fd, buf, n);
}

static int conn_write(conn *c, const char *buf, size_t n)
{
    if (c->ssl) return SSL_write(c->ssl, buf, (int)n) == (int)n;
    while (n) {
        ssize_t k = write(c->fd, buf, n);
        if (k <= 0) return 0;
        buf += k;
        n -= (size_t)k;
    }
    return 1;
}

/* Requests one after the other on one connection: headers, Content-Length
   bytes of body, then the answer. */
static void serve(conn *c)
{
    static char buf[65536];
    size_t have = 0;
    for (;;) {
        char *end, *cl;
        size_t head, need;
        long k;
        buf[have] = 0;
        while (!(end = strstr(buf, "\r\n\r\n"))) {
            if (have + 1 >= sizeof buf || (k = conn_read(c, buf + have, sizeof buf - 1 - have)) <= 0) return;
            have += (size_t)k;
            buf[have] = 0;
        }
        head = (size_t)(end + 4 - buf);
        cl = strstr(buf, "ontent-Length:");
        if (!cl || cl > end) cl = strstr(buf, "ontent-length:");
        need = head + (cl && cl < end ? strtoul(cl + 14, NULL, 10) : 0);
        if (need >= sizeof buf) return;
        while (have < need) {
            if ((k = conn_read(c, buf + have, sizeof buf - 1 - have)) <= 0) return;
            have += (size_t)k;
        }
        if (!conn_write(c, answer, answer_len)) return;
        memmove(buf, buf + need, have - need);
        have -= need;
    }
}

static int listen_on(unsigned *port)
{
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) != 0) {
        perror("e2e_stub: listen");
        exit(1);
    }
    *port = ntohs(a.sin_port);
    return fd;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "tests/server/certs";
    char cert[512], key[512];
    unsigned http_port, https_port;
    int lh, ls;
    SSL_CTX *ctx;
    wxp_result r;
    signal(SIGCHLD, SIG_IGN);   /* no zombies */
    signal(SIGPIPE, SIG_IGN);
    if (wxp_rsa_key_load(&platform, wxp_cstr(WXP_TEST_PLATFORM_KEY), &r) != WXP_OK) {
        fprintf(stderr, "e2e_stub: platform key: %s\n", r.message);
        return 1;
    }
    snprintf(cert, sizeof cert, "%s/server.pem", dir);
    snprintf(key, sizeof key, "%s/server_key.pem", dir);
    ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        fprintf(stderr, "e2e_stub: cannot load %s and %s\n", cert, key);
        return 1;
    }
    lh = listen_on(&http_port);
    ls = listen_on(&https_port);
    sign_answer();
    printf("PORTS %u %u\n", http_port, https_port);
    fflush(stdout);
    for (;;) {
        fd_set set;
        int tls, fd, one = 1;
        FD_ZERO(&set);
        FD_SET(lh, &set);
        FD_SET(ls, &set);
        if (select((lh > ls ? lh : ls) + 1, &set, NULL, NULL, NULL) <= 0) continue;
        tls = FD_ISSET(ls, &set);
        if ((fd = accept(tls ? ls : lh, NULL, NULL)) < 0) continue;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if ((long long)time(NULL) - signed_at > 60) sign_answer();
        if (fork() == 0) {
            conn c;
            c.fd = fd;
            c.ssl = NULL;
            if (tls) {
                c.ssl = SSL_new(ctx);
                SSL_set_fd(c.ssl, fd);
                if (SSL_accept(c.ssl) != 1) _exit(0);
            }
            serve(&c);
            if (c.ssl) SSL_shutdown(c.ssl);
            _exit(0);
        }
        close(fd);
    }
}
