/* tests/curl_transport.c - the libcurl transport against a loopback HTTP/1.1 server.

   A standalone cmocka program (make build/curl_transport; `make test` runs it),
   not part of build/tests: it links libcurl and pthreads. A server thread on
   127.0.0.1 (ephemeral port) plays WeChat Pay: it records each request and
   answers as the test scripted it, signing with tests/vectors/keys/platform_key.pem.
   The client is a real wxp_client whose transport is wxp_curl in its test-only
   plain-http mode. Everything is bounded: the server takes at most
   SERVER_MAX_CONNS connections, waits at most IO_WAIT_MS on a socket, and
   exits after SERVER_LIFE_S; no test talks to anything but loopback (the
   hostile-host test pins every connection of its handle to the server with
   CURLOPT_CONNECT_TO, so a host that slipped through would still reach only it).
   Run from the repository root (it reads tests/vectors/keys). */
#define _POSIX_C_SOURCE 200809L
#define WECHATPAY_IMPLEMENTATION
#define WECHATPAY_CURL_IMPLEMENTATION
#include "tests.h"
#include "transports/wechatpay_curl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* s starts with the literal lit */
#define STARTS(s, lit) (strncmp((s), lit, sizeof(lit) - 1) == 0)

#define NOW         1795424693LL
#define NOW_STR     "1795424693"
#define ANSWER_NONCE "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"

#define SERVER_MAX_CONNS 64     /* accepted in all, then the server stops listening */
#define SERVER_LIFE_S    60     /* the server thread ends after this, whatever happens */
#define IO_WAIT_MS       3000   /* longest wait for a client's bytes */
#define SLOW_MS          3000   /* how long the slow answer keeps the client waiting */
#define BIG_LEN          9000   /* a body larger than the client's 4096-byte io_buf */
#define CUT_LEN          1000   /* announced length of the answer cut mid-body */
#define BILL_MAX         60000  /* the largest bill the server sends */

enum { MODE_OK, MODE_BIG, MODE_CUT, MODE_SLOW, MODE_ERR500, MODE_EARLY_HINTS, MODE_LOST, MODE_HINTS_CUT,
       MODE_BILL };

static const char ok_body[] =
    "{\"refund_id\":\"50000000382019052709732678859\",\"out_refund_no\":\"R1\",\"status\":\"PROCESSING\"}";
static const char err_body[] = "{\"code\":\"SYSTEM_ERROR\",\"message\":\"系统错误\"}";

/* ---- the server ---------------------------------------------------------- */

typedef struct server {
    int             lfd;
    unsigned short  port;
    pthread_t       thread;
    pthread_mutex_t mu;         /* guards everything below */
    int             stop, mode;
    int             connections, requests;
    char            head[8192]; /* the last request's line and headers */
    size_t          head_len;
    char            body[8192]; /* the last request's body */
    size_t          body_len;
    size_t          bill_len;   /* MODE_BILL: the bill's size */
    int             bill_interim, bill_bad_hash; /* 1xx before the bill; a wrong hash_value */
    wxp_rsa_key     key;        /* signs answers; read-only once the thread runs */
} server;

static server srv;

static long long ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits up to ms for fd to be readable: 1 readable (or hung up), 0 not. */
static int wait_readable(int fd, int ms)
{
    struct pollfd p;
    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    return poll(&p, 1, ms) > 0;
}

static int send_all(int fd, const void *data, size_t len)
{
    const char *p = (const char *)data;
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Headers signing body as WeChat Pay does: TIMESTAMP\nNONCE\nBODY\n. */
static size_t signed_headers(char *out, size_t cap, const char *body, size_t len)
{
    static char msg[BIG_LEN + 256];
    char sig[WXP_SIG_B64_MAX + 1];
    size_t n, sig_len = 0;
    wxp_result r;
    n = (size_t)snprintf(msg, sizeof msg, "%s\n%s\n", NOW_STR, ANSWER_NONCE);
    memcpy(msg + n, body, len);
    msg[n + len] = '\n';
    if (wxp_sign_base64(&srv.key.vtable, msg, n + len + 1, sig, sizeof sig, &sig_len, &r) != WXP_OK) return 0;
    sig[sig_len] = 0;
    return (size_t)snprintf(out, cap,
                            "Wechatpay-Timestamp: %s\r\nWechatpay-Nonce: %s\r\nWechatpay-Serial: %s\r\n"
                            "wechatpay-signature: %s\r\nWechatpay-Signature-Type: WECHATPAY2-SHA256-RSA2048\r\n",
                            NOW_STR, ANSWER_NONCE, TEST_PUB_ID, sig);
}

/* Sends a whole answer; body is signed when sign is set. */
static int answer(int fd, int status, const char *reason, const char *body, size_t len, int sign)
{
    char head[4096], sh[2048];
    size_t n;
    sh[0] = 0;
    if (sign && !signed_headers(sh, sizeof sh, body, len)) return -1;
    n = (size_t)snprintf(head, sizeof head,
                         "HTTP/1.1 %d %s\r\nServer: loopback\r\nRequest-ID: 08F4B0C6A306-%d\r\n"
                         "Content-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n",
                         status, reason, status, len, sh);
    return send_all(fd, head, n) || send_all(fd, body, len) ? -1 : 0;
}

/* Byte i of the test bill: lines of 60 letters and digits. */
static char bill_byte(size_t i)
{
    static const char abc[] = "0123456789abcdefghijklmnopqrstuvwxyz,ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    return i % 61 == 60 ? '\n' : abc[(i * 7 + i / 61) % 63];
}

/* MODE_BILL: GET /v3/bill/tradebill answers the signed {hash_type, hash_value,
   download_url}, GET /v3/billdownload/file the bill itself (unsigned, as
   WeChat Pay sends it), after a 100 and a 103 when bill_interim is set. */
static int serve_bill(int fd, const char *head, size_t len, int interim, int bad_hash)
{
    static char bill[BILL_MAX];
    char json[512], hex[41];
    unsigned char d[20];
    br_sha1_context h;
    size_t i;
    int n;
    for (i = 0; i < len; i++) bill[i] = bill_byte(i);
    if (STARTS(head, "GET /v3/billdownload/file?token=T1 ")) {
        static const char hints[] = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n";
        if (interim && send_all(fd, hints, sizeof hints - 1)) return -1;
        return answer(fd, 200, "OK", bill, len, 0);
    }
    if (!STARTS(head, "GET /v3/bill/tradebill?bill_date=2026-11-23&bill_type=ALL ")) return -1;
    br_sha1_init(&h);
    br_sha1_update(&h, bill, len);
    br_sha1_out(&h, d);
    for (i = 0; i < 20; i++) {
        hex[2 * i] = "0123456789abcdef"[d[i] >> 4];
        hex[2 * i + 1] = "0123456789abcdef"[d[i] & 15];
    }
    hex[40] = 0;
    if (bad_hash) hex[0] = hex[0] == '0' ? '1' : '0';
    n = snprintf(json, sizeof json,
                 "{\"hash_type\":\"SHA1\",\"hash_value\":\"%s\",\"download_url\":"
                 "\"https://127.0.0.1:%u/v3/billdownload/file?token=T1\"}",
                 hex, (unsigned)srv.port);
    return answer(fd, 200, "OK", json, (size_t)n, 1);
}

/* Reads one request from fd and answers it: 0 keeps the connection, -1 closes it. */
static int serve_one(int fd)
{
    static char buf[16384];
    static char big[BIG_LEN];
    size_t have = 0, head_len = 0, body_len = 0, i, bill_len;
    const char *cl;
    int mode, bill_interim, bill_bad_hash;
    for (;;) {
        ssize_t n;
        char *end;
        if (have == sizeof buf - 1 || !wait_readable(fd, IO_WAIT_MS)) return -1;
        n = recv(fd, buf + have, sizeof buf - 1 - have, 0);
        if (n <= 0) return -1;
        if (buf[0] == 0x16) return -1;      /* a TLS ClientHello: this server speaks plain HTTP */
        have += (size_t)n;
        buf[have] = 0;
        if ((end = strstr(buf, "\r\n\r\n")) != NULL) {
            head_len = (size_t)(end - buf) + 4;
            break;
        }
    }
    for (cl = buf; (cl = strchr(cl, '\n')) != NULL && cl < buf + head_len; cl++)
        if (strncasecmp(cl + 1, "Content-Length:", 15) == 0) {
            body_len = (size_t)strtoul(cl + 16, NULL, 10);
            break;
        }
    if (head_len + body_len >= sizeof buf) return -1;
    while (have < head_len + body_len) {
        ssize_t n;
        if (!wait_readable(fd, IO_WAIT_MS)) return -1;
        n = recv(fd, buf + have, head_len + body_len - have, 0);
        if (n <= 0) return -1;
        have += (size_t)n;
    }
    pthread_mutex_lock(&srv.mu);
    srv.requests++;
    memcpy(srv.head, buf, head_len);
    srv.head[head_len] = 0;
    srv.head_len = head_len;
    memcpy(srv.body, buf + head_len, body_len);
    srv.body[body_len] = 0;
    srv.body_len = body_len;
    mode = srv.mode;
    bill_len = srv.bill_len;
    bill_interim = srv.bill_interim;
    bill_bad_hash = srv.bill_bad_hash;
    pthread_mutex_unlock(&srv.mu);

    switch (mode) {
    case MODE_OK:
        return answer(fd, 200, "OK", ok_body, sizeof ok_body - 1, 1);
    case MODE_BIG:
        for (i = 0; i < sizeof big; i++) big[i] = (char)('a' + i % 26);
        big[0] = '"';
        big[sizeof big - 1] = '"';
        return answer(fd, 200, "OK", big, sizeof big, 1);
    case MODE_CUT: {
        char head[256];
        int n = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", CUT_LEN);
        (void)send_all(fd, head, (size_t)n);
        (void)send_all(fd, ok_body, 40);
        return -1;                            /* closes with CUT_LEN - 40 bytes owed */
    }
    case MODE_SLOW:
        /* Says nothing; the client gives up (and closes) long before SLOW_MS. */
        (void)wait_readable(fd, SLOW_MS);
        return -1;
    case MODE_ERR500:
        return answer(fd, 500, "Internal Server Error", err_body, sizeof err_body - 1, 1);
    case MODE_EARLY_HINTS: {
        /* A 103 whose signature headers must not count for the final, unsigned 500. */
        static const char hints[] =
            "HTTP/1.1 103 Early Hints\r\nWechatpay-Timestamp: 1\r\nWechatpay-Nonce: x\r\n"
            "Wechatpay-Serial: " TEST_PUB_ID "\r\nWechatpay-Signature: AAAA\r\n\r\n";
        if (send_all(fd, hints, sizeof hints - 1)) return -1;
        return answer(fd, 500, "Internal Server Error", err_body, sizeof err_body - 1, 0);
    }
    case MODE_LOST:
        return -1;                            /* taken, then closed without a byte */
    case MODE_HINTS_CUT: {
        /* A 103, then the connection ends: there never was a final status. */
        static const char hints[] = "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n";
        (void)send_all(fd, hints, sizeof hints - 1);
        return -1;
    }
    case MODE_BILL:
        return serve_bill(fd, buf, bill_len, bill_interim, bill_bad_hash);
    default:
        return -1;
    }
}

static void *server_main(void *arg)
{
    int conns[4] = { -1, -1, -1, -1 };
    long long end = ms_now() + SERVER_LIFE_S * 1000LL;
    int accepted = 0, i;
    (void)arg;
    for (;;) {
        struct pollfd p[5];
        int np = 0, stop, idx[5];
        pthread_mutex_lock(&srv.mu);
        stop = srv.stop;
        pthread_mutex_unlock(&srv.mu);
        if (stop || ms_now() > end) break;
        if (accepted < SERVER_MAX_CONNS) {
            p[np].fd = srv.lfd; p[np].events = POLLIN; p[np].revents = 0; idx[np++] = -1;
        }
        for (i = 0; i < 4; i++)
            if (conns[i] >= 0) { p[np].fd = conns[i]; p[np].events = POLLIN; p[np].revents = 0; idx[np++] = i; }
        if (poll(p, (nfds_t)np, 100) <= 0) continue;
        for (i = 0; i < np; i++) {
            if (!p[i].revents) continue;
            if (idx[i] < 0) {
                int fd = accept(srv.lfd, NULL, NULL), k;
                if (fd < 0) continue;
                accepted++;
                pthread_mutex_lock(&srv.mu);
                srv.connections++;
                pthread_mutex_unlock(&srv.mu);
                for (k = 0; k < 4 && conns[k] >= 0; k++) {}
                if (k == 4) { close(conns[0]); k = 0; }   /* drop the oldest idle one */
                conns[k] = fd;
            } else if (serve_one(conns[idx[i]]) != 0) {
                close(conns[idx[i]]);
                conns[idx[i]] = -1;
            }
        }
    }
    for (i = 0; i < 4; i++)
        if (conns[i] >= 0) close(conns[i]);
    return NULL;
}

static void server_mode(int mode)
{
    pthread_mutex_lock(&srv.mu);
    srv.mode = mode;
    srv.head[0] = 0;
    srv.head_len = 0;
    srv.body[0] = 0;
    srv.body_len = 0;
    pthread_mutex_unlock(&srv.mu);
}

static int server_count(const int *what)
{
    int n;
    pthread_mutex_lock(&srv.mu);
    n = *what;
    pthread_mutex_unlock(&srv.mu);
    return n;
}

/* A copy of the last request's head, NUL-terminated. */
static const char *server_head(void)
{
    static char copy[sizeof srv.head];
    pthread_mutex_lock(&srv.mu);
    memcpy(copy, srv.head, srv.head_len + 1);
    pthread_mutex_unlock(&srv.mu);
    return copy;
}

static const char *server_body(void)
{
    static char copy[sizeof srv.body];
    pthread_mutex_lock(&srv.mu);
    memcpy(copy, srv.body, srv.body_len + 1);
    pthread_mutex_unlock(&srv.mu);
    return copy;
}

/* The value of header name in a request head ("" if absent), case-blind. */
static const char *head_value(const char *head, const char *name)
{
    static char v[2048];
    size_t n = strlen(name), k;
    const char *p;
    v[0] = 0;
    for (p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, name, n) != 0 || p[2 + n] != ':') continue;
        p += 3 + n;
        while (*p == ' ') p++;
        for (k = 0; p[k] && p[k] != '\r' && k + 1 < sizeof v; k++) v[k] = p[k];
        v[k] = 0;
        return v;
    }
    return v;
}

/* ---- the client ---------------------------------------------------------- */

/* test_file's slots: four files loaded once in setup, nothing else reads one. */
static wxp_str merchant_key, platform_key, wechatpay_pub, platform_cert;
static wxp_pubkey slots[2];
static wxp_keystore keys;
static wxp_curl http;
static char host[32];
static unsigned char io[WXP_IO_BUFSIZE_MIN];

static long long fixed_clock(void *user) { (void)user; return NOW; }

static void client_make(wxp_client *c, unsigned timeout_ms)
{
    wxp_config cfg;
    wxp_result r;
    cfg = test_config(&keys, io, sizeof io);
    cfg.private_key_pem = merchant_key;
    cfg.host = host;
    cfg.timeout_ms = timeout_ms;
    cfg.transport = wxp_curl_as_transport(&http);
    cfg.clock.fn = fixed_clock;
    assert_int_equal(wxp_client_init(c, &cfg, &r), WXP_OK);
}

static int setup(void **state)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    wxp_result r;
    (void)state;
    merchant_key = test_file("tests/vectors/keys/merchant_key.pem");
    platform_key = test_file("tests/vectors/keys/platform_key.pem");
    platform_cert = test_file("tests/vectors/keys/platform_cert.pem");
    wechatpay_pub = test_file("tests/vectors/keys/wechatpay_pub.pem");
    wxp_keystore_init(&keys, slots, 2);
    if (wxp_keystore_add_pubkey(&keys, TEST_PUB_ID, wechatpay_pub, &r) != WXP_OK ||
        wxp_rsa_key_load(&srv.key, platform_key, &r) != WXP_OK)
        return -1;

    srv.lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (srv.lfd < 0) return -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (bind(srv.lfd, (struct sockaddr *)&a, sizeof a) || listen(srv.lfd, 8) ||
        getsockname(srv.lfd, (struct sockaddr *)&a, &alen))
        return -1;
    srv.port = ntohs(a.sin_port);
    snprintf(host, sizeof host, "127.0.0.1:%u", (unsigned)srv.port);
    if (pthread_mutex_init(&srv.mu, NULL) || pthread_create(&srv.thread, NULL, server_main, NULL)) return -1;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || wxp_curl_init(&http, NULL) != WXP_OK) return -1;
    http.test_plain_http = 1;
    /* An option the caller sets on the handle stays: no proxy from the
       environment (http_proxy) may stand between the test and loopback. */
    if (curl_easy_setopt(http.easy, CURLOPT_PROXY, "") != CURLE_OK) return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pthread_mutex_lock(&srv.mu);
    srv.stop = 1;
    pthread_mutex_unlock(&srv.mu);
    pthread_join(srv.thread, NULL);
    close(srv.lfd);
    pthread_mutex_destroy(&srv.mu);
    wxp_curl_cleanup(&http);
    curl_global_cleanup();
    wxp_rsa_key_wipe(&srv.key);
    return 0;
}

/* ---- tests --------------------------------------------------------------- */

static const char refund_json[] =
    "{\"out_trade_no\":\"T1\",\"out_refund_no\":\"R1\",\"amount\":{\"refund\":1,\"total\":1,\"currency\":\"CNY\"}}";

/* A signed 200 is verified; the server saw the library's headers and body; the
   second call rides the same connection. */
static void curl_ok_and_keepalive(void **state)
{
    static wxp_client c;
    wxp_result r;
    wxp_str body = WXP_STR(refund_json);
    const char *head;
    int conns;
    (void)state;
    client_make(&c, 2000);
    server_mode(MODE_OK);
    assert_int_equal(wxp_v3_request(&c, "POST", "/v3/refund/domestic/refunds", body, &r), WXP_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.request_id, "08F4B0C6A306-200");
    assert_int_equal(r.body.len, sizeof ok_body - 1);
    assert_memory_equal(r.body.ptr, ok_body, sizeof ok_body - 1);

    head = server_head();
    assert_true(STARTS(head, "POST /v3/refund/domestic/refunds HTTP/1.1\r\n"));
    assert_true(STARTS(head_value(head, "Authorization"), "WECHATPAY2-SHA256-RSA2048 mchid=\"" TEST_MCHID "\""));
    assert_non_null(strstr(head_value(head, "Authorization"), "serial_no=\"" TEST_SERIAL "\""));
    assert_string_equal(head_value(head, "Accept"), "application/json");
    assert_true(STARTS(head_value(head, "User-Agent"), "wechatpay.h/"));
    assert_string_equal(head_value(head, "Content-Type"), "application/json");
    assert_string_equal(head_value(head, "Wechatpay-Serial"), TEST_PUB_ID);
    assert_string_equal(head_value(head, "Host"), host);
    assert_string_equal(head_value(head, "Expect"), "");
    assert_string_equal(server_body(), refund_json);
    conns = server_count(&srv.connections);

    /* A GET carries no body and no Content-Type, on the kept-alive connection. */
    assert_int_equal(wxp_v3_request(&c, "GET", "/v3/refund/domestic/refunds/R1?x=%E4", wxp_cstr(NULL), &r), WXP_OK);
    head = server_head();
    assert_true(STARTS(head, "GET /v3/refund/domestic/refunds/R1?x=%E4 HTTP/1.1\r\n"));
    assert_string_equal(head_value(head, "Content-Type"), "");
    assert_string_equal(head_value(head, "Content-Length"), "");
    assert_string_equal(server_body(), "");
    assert_int_equal(server_count(&srv.connections), conns);
    wxp_client_wipe(&c);
}

/* The client's failover over libcurl: the primary refuses connections
   (CURLE_COULDNT_CONNECT: nothing sent), so the refund goes to the backup at
   once, which keeps the next call. */
static void curl_failover_to_backup(void **state)
{
    static wxp_client c;
    static char dead[32];
    wxp_config cfg;
    wxp_result r;
    wxp_str body = WXP_STR(refund_json);
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), before;
    (void)state;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    snprintf(dead, sizeof dead, "127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
    close(fd);                      /* bound, then closed: nobody listens there */
    cfg = test_config(&keys, io, sizeof io);
    cfg.private_key_pem = merchant_key;
    cfg.host = dead;
    cfg.backup_host = host;
    cfg.timeout_ms = 2000;
    cfg.transport = wxp_curl_as_transport(&http);
    cfg.clock.fn = fixed_clock;
    assert_int_equal(wxp_client_init(&c, &cfg, &r), WXP_OK);
    server_mode(MODE_OK);
    before = server_count(&srv.requests);
    assert_int_equal(wxp_v3_request(&c, "POST", "/v3/refund/domestic/refunds", body, &r), WXP_OK);
    assert_string_equal(head_value(server_head(), "Host"), host);
    assert_int_equal(wxp_v3_request(&c, "GET", "/v3/refund/domestic/refunds/R1", wxp_cstr(NULL), &r), WXP_OK);
    assert_int_equal(server_count(&srv.requests), before + 2);
    wxp_client_wipe(&c);
}

/* A body larger than io_buf: WXP_E_NOSPACE with its real size. */
static void curl_big_body_nospace(void **state)
{
    static wxp_client c;
    wxp_result r;
    (void)state;
    client_make(&c, 2000);
    server_mode(MODE_BIG);
    assert_int_equal(wxp_v3_request(&c, "GET", "/v3/big", wxp_cstr(NULL), &r), WXP_E_NOSPACE);
    assert_int_equal(r.needed, BIG_LEN);
    assert_int_equal(r.status, 200);
    /* The body was read to its end, so the connection is still good. */
    server_mode(MODE_OK);
    assert_int_equal(wxp_v3_request(&c, "GET", "/v3/after-big", wxp_cstr(NULL), &r), WXP_OK);
    wxp_client_wipe(&c);
}

/* The server closes mid-body: WXP_E_TRANSPORT with curl's words. */
static void curl_cut_body_transport(void **state)
{
    static wxp_client c;
    wxp_result r;
    (void)state;
    client_make(&c, 2000);
    server_mode(MODE_CUT);
    assert_int_equal(wxp_v3_request(&c, "GET", "/v3/cut", wxp_cstr(NULL), &r), WXP_E_TRANSPORT);
    assert_int_equal(r.status, 200);
    assert_true(STARTS(r.message, "curl: (18) "));       /* CURLE_PARTIAL_FILE */
    assert_non_null(strstr(r.message, "transfer closed"));
    assert_string_equal(r.field, "transport");
    wxp_client_wipe(&c);
}

/* A server that never answers: WXP_E_TIMEOUT once timeout_ms has passed. */
static void curl_slow_timeout(void **state)
{
    static wxp_client c;
    wxp_result r;
    long long t0, ms;
    (void)state;
    client_make(&c, 300);
    server_mode(MODE_SLOW);
    t0 = ms_now();
    assert_int_equal(wxp_v3_request(&c, "GET", "/v3/slow", wxp_cstr(NULL), &r), WXP_E_TIMEOUT);
    ms = ms_now() - t0;
    assert_true(ms >= 250 && ms < SLOW_MS);
    assert_true(STARTS(r.message, "curl: (28) "));       /* CURLE_OPERATION_TIMEDOUT */
    assert_int_equal(r.status, 0);
    wxp_client_wipe(&c);
}

/* A signed 500 with WeChat Pay's error JSON: WXP_E_HTTP with code and message. */
static void curl_500_http_error(void **state)
{
    static wxp_client c;
    wxp_result r;
    (void)state;
    client_make(&c, 2000);
    server_mode(MODE_ERR500);
    assert_int_equal(wxp_v3_request(&c, "POST", "/v3/refund/domestic/refunds", wxp_cstr(refund_json), &r),
                     WXP_E_HTTP);
    assert_int_equal(r.status, 500);
    assert_string_equal(r.code, "SYSTEM_ERROR");
    assert_string_equal(r.message, "系统错误");
    assert_string_equal(r.request_id, "08F4B0C6A306-500");
    wxp_client_wipe(&c);
}

/* The headers of a 103 do not reach the sink: the unsigned 500 after it is
   not taken for a signed one (which would fail as WXP_E_SIGNATURE). */
static void curl_interim_headers_skipped(void **state)
{
    static wxp_client c;
    wxp_result r;
    (void)state;
    client_make(&c, 2000);
    server_mode(MODE_EARLY_HINTS);
    assert_int_equal(wxp_v3_request(&c, "GET", "/v3/hints", wxp_cstr(NULL), &r), WXP_E_HTTP);
    assert_int_equal(r.status, 500);
    assert_string_equal(r.code, "SYSTEM_ERROR");
    wxp_client_wipe(&c);
}

/* An answer lost on a kept connection (the server took the request, then
   closed without a byte): libcurl would quietly send it again on a new
   connection. A non-GET reaches the server once; a GET at most twice (the
   contract allows one resend). The call fails as "no answer", never as a
   refused handshake. */
static void curl_lost_answer_not_resent(void **state)
{
    static const char *const methods[] = { "POST", "PUT", "PATCH", "DELETE", "GET" };
    static char rbuf[1024];
    wxp_http_response res;
    wxp_http_request req;
    char err[WXP_ERRBUF_SIZE];
    size_t i;
    (void)state;
    memset(&req, 0, sizeof req);
    req.host = host;
    req.timeout_ms = 2000;
    for (i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        int q0, rc, get = strcmp(methods[i], "GET") == 0;
        server_mode(MODE_OK);                         /* a kept connection to reuse */
        req.method = "GET";
        req.path = wxp_cstr("/v3/warm");
        req.body = wxp_cstr(NULL);
        wxp_http_response_init(&res, rbuf, sizeof rbuf);
        assert_int_equal(wxp_curl_transport(&http, &req, &res, err, sizeof err), 0);
        q0 = server_count(&srv.requests);
        server_mode(MODE_LOST);
        req.method = methods[i];
        req.path = wxp_cstr("/v3/refund/domestic/refunds");
        req.body = get ? wxp_cstr(NULL) : wxp_cstr(refund_json);
        wxp_http_response_init(&res, rbuf, sizeof rbuf);
        rc = wxp_curl_transport(&http, &req, &res, err, sizeof err);
        if (server_count(&srv.requests) - q0 != (get ? 2 : 1))
            fail_msg("%s reached the server %d times (%s)", methods[i], server_count(&srv.requests) - q0, err);
        assert_int_equal(rc, WXP_TRANSPORT_ERROR);
        assert_true(err[0] != 0);
        assert_int_equal(wxp_http_response_get_status(&res), 0);
    }
    /* Through the client: WXP_E_TRANSPORT with sent set (the POS sale then
       asks orderquery instead of giving up), and the next call works. */
    {
        static wxp_client c;
        wxp_result r;
        int q0;
        client_make(&c, 2000);
        server_mode(MODE_OK);
        assert_int_equal(wxp_v3_request(&c, "GET", "/v3/warm", wxp_cstr(NULL), &r), WXP_OK);
        q0 = server_count(&srv.requests);
        server_mode(MODE_LOST);
        assert_int_equal(wxp_v3_request(&c, "POST", "/v3/refund/domestic/refunds", wxp_cstr(refund_json), &r),
                         WXP_E_TRANSPORT);
        assert_int_equal(r.sent, 1);
        assert_int_equal(server_count(&srv.requests) - q0, 1);
        server_mode(MODE_OK);
        assert_int_equal(wxp_v3_request(&c, "GET", "/v3/after-lost", wxp_cstr(NULL), &r), WXP_OK);
        wxp_client_wipe(&c);
    }
}

/* A 103 and then nothing: no final status was heard, so none is reported
   (a 1xx is never the answer's status). */
static void curl_interim_then_cut_no_status(void **state)
{
    static wxp_client c;
    wxp_result r;
    (void)state;
    client_make(&c, 2000);
    server_mode(MODE_HINTS_CUT);
    assert_int_equal(wxp_v3_request(&c, "GET", "/v3/hints-cut", wxp_cstr(NULL), &r), WXP_E_TRANSPORT);
    assert_int_equal(r.status, 0);
    wxp_client_wipe(&c);
}

/* ---- bill download: the status must reach the sink before the body ---------- */

static size_t bill_got;
static int bill_same;

static void bill_sink(void *user, const void *data, size_t len)
{
    const char *p = (const char *)data;
    size_t i;
    (void)user;
    for (i = 0; i < len; i++)
        if (p[i] != bill_byte(bill_got + i)) bill_same = 0;
    bill_got += len;
}

/* wxp_bill_trade, then wxp_bill_download streaming the bill to bill_sink: a
   bill within io_buf and one far larger, with and without 1xx answers before
   it; then a hash_value the bytes do not match. */
static void curl_bill_download(void **state)
{
    static const size_t sizes[] = { 700, BILL_MAX };
    static wxp_client c;
    wxp_bill bill;
    wxp_result r;
    wxp_err e;
    size_t i;
    (void)state;
    client_make(&c, 5000);
    for (i = 0; i < 4; i++) {
        pthread_mutex_lock(&srv.mu);
        srv.bill_len = sizes[i % 2];
        srv.bill_interim = i >= 2;
        srv.bill_bad_hash = 0;
        pthread_mutex_unlock(&srv.mu);
        server_mode(MODE_BILL);
        memset(&bill, 0, sizeof bill);
        assert_int_equal(wxp_bill_trade(&c, "2026-11-23", "ALL", NULL, NULL, &bill, &r), WXP_OK);
        bill_got = 0;
        bill_same = 1;
        e = wxp_bill_download(&c, &bill, bill_sink, NULL, &r);
        if (e != WXP_OK)
            fail_msg("bill of %zu bytes%s: %s (%s), %zu bytes to the sink", sizes[i % 2], i >= 2 ? " after 1xx" : "",
                     wxp_errname(e), r.message, bill_got);
        assert_int_equal(bill_got, sizes[i % 2]);
        assert_true(bill_same);
        assert_int_equal(r.status, 200);
    }
    pthread_mutex_lock(&srv.mu);
    srv.bill_bad_hash = 1;
    pthread_mutex_unlock(&srv.mu);
    assert_int_equal(wxp_bill_trade(&c, "2026-11-23", "ALL", NULL, NULL, &bill, &r), WXP_OK);
    bill_got = 0;
    assert_int_equal(wxp_bill_download(&c, &bill, bill_sink, NULL, &r), WXP_E_HASH);
    assert_int_equal(bill_got, BILL_MAX);
    wxp_client_wipe(&c);
}

/* test_plain_http: the authority must be exactly a loopback IPv4 literal,
   localhost or [::1], with an optional port of digits. Every other form
   (userinfo, junk after the host, look-alike names, case, an empty port...)
   is refused before a byte is sent. The handle pins every connection to the
   test server (CURLOPT_CONNECT_TO), so a form that got through would be
   counted there and nothing would leave loopback. */
static void curl_plain_http_hostile_hosts(void **state)
{
    static const char *const bad[] = {
        "127.0.0.1:x@localhost:%u", "localhost:1@127.0.0.1:%u", "[::1]:1@127.0.0.1:%u",
        "127.0.0.1:%u@127.0.0.1:%u", "127.0.0.1@localhost:%u", "[::1]@127.0.0.1:%u",
        "127.0.0.1:%u#@evil.com", "127.0.0.1:%u?@evil.com", "127.0.0.1:%u\\@evil.com", "127.0.0.1:%u%%40evil.com",
        "127.0.0.1%%2e:%u", "127.0.0.1.evil.com:%u", "localhost.evil.com:%u", "127.0.0.1.:%u", "LOCALHOST:%u",
        "Localhost:%u", "127.0.0.1:", "localhost:", "[::1]:", "127.0.0.1:+80", "127.0.0.1: 80", "127.0.0.1:8x",
        "127.0.0.1:123456", "127.0.0.1:0", "127.0.0.1:65536", "127.1:%u", "127.0.0.256:%u", "127.0.0.01:%u",
        "0x7f.0.0.1:%u", "2130706433:%u", "[::1]x", "[0:0:0:0:0:0:0:1]:%u", "::1", "", " 127.0.0.1:%u",
        "127.0.0.1:%u ", "127.0.0.1:%u\t", "10.0.0.1:%u", "evil.com", "127.0.0.1:%u/x@evil.com",
    };
    static const char *const good[] = { "127.0.0.1:%u", "localhost:%u", "127.200.0.9:%u", "[::1]:%u", "127.0.0.1" };
    static char rbuf[1024];
    char hbuf[128], obuf[160], err[WXP_ERRBUF_SIZE];
    wxp_http_response res;
    wxp_http_request req;
    struct curl_slist *pin;
    wxp_curl t;
    size_t i;
    int q0;
    (void)state;
    assert_int_equal(wxp_curl_init(&t, NULL), WXP_OK);
    snprintf(hbuf, sizeof hbuf, "::127.0.0.1:%u", (unsigned)srv.port);
    pin = curl_slist_append(NULL, hbuf);
    assert_non_null(pin);
    assert_int_equal(curl_easy_setopt(t.easy, CURLOPT_CONNECT_TO, pin), CURLE_OK);
    assert_int_equal(curl_easy_setopt(t.easy, CURLOPT_PROXY, ""), CURLE_OK);
    t.test_plain_http = 1;
    server_mode(MODE_OK);
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.path = wxp_cstr("/v3/x");
    req.timeout_ms = 2000;
    q0 = server_count(&srv.requests);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int k;
        snprintf(hbuf, sizeof hbuf, bad[i], (unsigned)srv.port, (unsigned)srv.port);
        for (k = 0; k < 2; k++) {                     /* as req->host, then in scheme_host_override */
            snprintf(obuf, sizeof obuf, "http://%s", hbuf);
            t.scheme_host_override = k ? obuf : NULL;
            req.host = k ? "127.0.0.1" : hbuf;
            wxp_http_response_init(&res, rbuf, sizeof rbuf);
            if (wxp_curl_transport(&t, &req, &res, err, sizeof err) == 0 || server_count(&srv.requests) != q0)
                fail_msg("plain http to \"%s\" (%s) was not refused: %s", hbuf, k ? "override" : "host", err);
            assert_non_null(strstr(err, "plain http is refused"));
        }
    }
    /* A path that is not a path would move the authority too. */
    t.scheme_host_override = NULL;
    snprintf(hbuf, sizeof hbuf, "127.0.0.1:%u", (unsigned)srv.port);
    req.host = hbuf;
    req.path = wxp_cstr("@evil.com/v3/x");
    wxp_http_response_init(&res, rbuf, sizeof rbuf);
    assert_int_not_equal(wxp_curl_transport(&t, &req, &res, err, sizeof err), 0);
    assert_int_equal(server_count(&srv.requests), q0);
    req.path = wxp_cstr("/v3/x");
    /* The loopback forms still go (here all to the test server). */
    for (i = 0; i < sizeof good / sizeof good[0]; i++) {
        int k;
        snprintf(hbuf, sizeof hbuf, good[i], (unsigned)srv.port);
        for (k = 0; k < 2; k++) {
            snprintf(obuf, sizeof obuf, "http://%s", hbuf);
            t.scheme_host_override = k ? obuf : NULL;
            req.host = k ? "ignored" : hbuf;
            wxp_http_response_init(&res, rbuf, sizeof rbuf);
            if (wxp_curl_transport(&t, &req, &res, err, sizeof err) != 0)
                fail_msg("plain http to \"%s\" (%s) was refused: %s", hbuf, k ? "override" : "host", err);
            assert_int_equal(wxp_http_response_get_status(&res), 200);
        }
    }
    assert_int_equal(server_count(&srv.requests), q0 + 2 * (int)(sizeof good / sizeof good[0]));
    wxp_curl_cleanup(&t);
    curl_slist_free_all(pin);
}

/* The pieces on their own: a TLS failure is "nothing was sent" only before
   the request left (a hidden reconnect's handshake comes after), and status
   lines are read strictly. */
static void curl_kind_and_status_line(void **state)
{
    static const struct { const char *line; int status; } lines[] = {
        { "HTTP/1.1 200 OK\r\n", 200 }, { "HTTP/2 204 \r\n", 204 }, { "HTTP/1.1 103 Early Hints\r\n", 103 },
        { "HTTP/1.0 500\r\n", 500 }, { "HTTP/1.1 404", 404 }, { "HTTP/1.1 2000 OK\r\n", 0 },
        { "HTTP/1.1 20 OK\r\n", 0 }, { "HTTP/1.1 abc\r\n", 0 }, { "HTTP/1.1 600 X\r\n", 0 }, { "HTTP/1.1\r\n", 0 },
    };
    size_t i;
    (void)state;
    assert_int_equal(wxp__curl_kind(CURLE_SSL_CONNECT_ERROR, 0), WXP_TRANSPORT_TLS);
    assert_int_equal(wxp__curl_kind(CURLE_SSL_CONNECT_ERROR, 1), WXP_TRANSPORT_ERROR);
    assert_int_equal(wxp__curl_kind(CURLE_PEER_FAILED_VERIFICATION, 0), WXP_TRANSPORT_TLS);
    assert_int_equal(wxp__curl_kind(CURLE_PEER_FAILED_VERIFICATION, 1), WXP_TRANSPORT_ERROR);
    assert_int_equal(wxp__curl_kind(CURLE_SSL_CERTPROBLEM, 1), WXP_TRANSPORT_ERROR);
    assert_int_equal(wxp__curl_kind(CURLE_OPERATION_TIMEDOUT, 1), WXP_TRANSPORT_TIMEOUT);
    assert_int_equal(wxp__curl_kind(CURLE_OPERATION_TIMEDOUT, 0), WXP_TRANSPORT_TIMEOUT);
    assert_int_equal(wxp__curl_kind(CURLE_COULDNT_CONNECT, 0), WXP_TRANSPORT_NO_CONNECTION);
    assert_int_equal(wxp__curl_kind(CURLE_COULDNT_RESOLVE_HOST, 0), WXP_TRANSPORT_NO_CONNECTION);
    assert_int_equal(wxp__curl_kind(CURLE_COULDNT_CONNECT, 1), WXP_TRANSPORT_ERROR);  /* a reconnect after a send */
    assert_int_equal(wxp__curl_kind(CURLE_GOT_NOTHING, 1), WXP_TRANSPORT_ERROR);
    for (i = 0; i < sizeof lines / sizeof lines[0]; i++)
        if (wxp__curl_status(lines[i].line, strlen(lines[i].line)) != lines[i].status)
            fail_msg("%s read as %d", lines[i].line, wxp__curl_status(lines[i].line, strlen(lines[i].line)));
}

/* The transport on its own: methods, bodies, an empty header value. */
static void curl_direct_methods(void **state)
{
    static char rbuf[1024];
    wxp_http_response res;
    wxp_http_request req;
    wxp_http_header h[2];
    char err[WXP_ERRBUF_SIZE];
    const char *head;
    (void)state;
    server_mode(MODE_OK);
    memset(&req, 0, sizeof req);
    h[0].name = wxp_cstr("X-Empty"); h[0].value = wxp_cstr("");
    h[1].name = wxp_cstr("x-trace"); h[1].value = wxp_cstr("a b:c");
    req.method = "DELETE";
    req.host = host;
    req.path = wxp_cstr("/v3/thing/1");
    req.headers = h;
    req.header_count = 2;
    req.timeout_ms = 2000;
    wxp_http_response_init(&res, rbuf, sizeof rbuf);
    assert_int_equal(wxp_curl_transport(&http, &req, &res, err, sizeof err), 0);
    assert_int_equal(wxp_http_response_get_status(&res), 200);
    assert_int_equal(wxp_http_response_body(&res).len, sizeof ok_body - 1);
    head = server_head();
    assert_true(STARTS(head, "DELETE /v3/thing/1 HTTP/1.1\r\n"));
    assert_non_null(strstr(head, "\r\nX-Empty:"));
    assert_string_equal(head_value(head, "X-Empty"), "");
    assert_string_equal(head_value(head, "x-trace"), "a b:c");
    assert_string_equal(head_value(head, "Content-Length"), "");

    /* PATCH with a body and no Content-Type: curl's form type is not sent. */
    req.method = "PATCH";
    req.headers = NULL;
    req.header_count = 0;
    req.body = wxp_cstr("{\"a\":1}");
    wxp_http_response_init(&res, rbuf, sizeof rbuf);
    assert_int_equal(wxp_curl_transport(&http, &req, &res, err, sizeof err), 0);
    head = server_head();
    assert_true(STARTS(head, "PATCH /v3/thing/1 HTTP/1.1\r\n"));
    assert_string_equal(head_value(head, "Content-Length"), "7");
    assert_string_equal(head_value(head, "Content-Type"), "");
    assert_string_equal(server_body(), "{\"a\":1}");

    /* POST with an empty body still says Content-Length: 0. */
    req.method = "POST";
    req.body = wxp_cstr(NULL);
    wxp_http_response_init(&res, rbuf, sizeof rbuf);
    assert_int_equal(wxp_curl_transport(&http, &req, &res, err, sizeof err), 0);
    head = server_head();
    assert_true(STARTS(head, "POST /v3/thing/1 HTTP/1.1\r\n"));
    assert_string_equal(head_value(head, "Content-Length"), "0");

    /* A header carrying CR LF is refused before anything is sent. */
    h[0].name = wxp_cstr("X-Bad"); h[0].value = wxp_cstr("a\r\nInjected: 1");
    req.headers = h;
    req.header_count = 1;
    wxp_http_response_init(&res, rbuf, sizeof rbuf);
    assert_int_not_equal(wxp_curl_transport(&http, &req, &res, err, sizeof err), 0);
    assert_non_null(strstr(err, "bad name or value"));
    assert_int_equal(wxp_http_response_get_status(&res), 0);
}

/* Plain http goes to loopback only, never without the test flag, and never
   with a client certificate. */
static void curl_plain_http_guard(void **state)
{
    static char rbuf[256];
    wxp_http_response res;
    wxp_http_request req;
    wxp_client_cert cc;
    wxp_curl t;
    char err[WXP_ERRBUF_SIZE];
    int requests;
    (void)state;
    requests = server_count(&srv.requests);
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.path = wxp_cstr("/v3/x");
    req.timeout_ms = 1000;
    assert_int_equal(wxp_curl_init(&t, http.easy), WXP_OK);   /* borrows the handle */
    t.test_plain_http = 1;

    req.host = "api.mch.weixin.qq.com";
    wxp_http_response_init(&res, rbuf, sizeof rbuf);
    assert_int_not_equal(wxp_curl_transport(&t, &req, &res, err, sizeof err), 0);
    assert_non_null(strstr(err, "plain http is refused"));

    req.host = "127.0.0.1.example.com";
    assert_int_not_equal(wxp_curl_transport(&t, &req, &res, err, sizeof err), 0);
    assert_non_null(strstr(err, "loopback only"));

    t.scheme_host_override = "http://10.0.0.1:80";
    req.host = host;
    assert_int_not_equal(wxp_curl_transport(&t, &req, &res, err, sizeof err), 0);
    assert_non_null(strstr(err, "plain http is refused"));

    t.scheme_host_override = "ftp://127.0.0.1";
    assert_int_not_equal(wxp_curl_transport(&t, &req, &res, err, sizeof err), 0);
    assert_non_null(strstr(err, "https://"));
    t.scheme_host_override = NULL;

    cc.cert_pem = platform_cert;
    cc.key_pem = platform_key;
    req.client_cert = &cc;
    assert_int_not_equal(wxp_curl_transport(&t, &req, &res, err, sizeof err), 0);
    assert_non_null(strstr(err, "needs https"));
    req.client_cert = NULL;

    t.test_plain_http = 0;                                     /* https to a plain server */
    req.host = host;
    assert_int_not_equal(wxp_curl_transport(&t, &req, &res, err, sizeof err), 0);
    assert_true(STARTS(err, "curl: ("));
    assert_int_equal(server_count(&srv.requests), requests);   /* nothing reached the server */
    wxp_curl_cleanup(&t);                                      /* not its handle: left alone */
    assert_non_null(http.easy);
}

/* The client certificate goes to curl as PEM blobs: a good pair gets as far
   as the TLS handshake (which this plain server drops), a bad one fails in
   curl's certificate loading. */
static void curl_client_cert_blobs(void **state)
{
    static char rbuf[256];
    static const char junk[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    wxp_http_response res;
    wxp_http_request req;
    wxp_client_cert cc;
    char err[WXP_ERRBUF_SIZE];
    (void)state;
    if (wxp__curl_no_blobs()) {
        skip();
    }
    memset(&req, 0, sizeof req);
    req.method = "POST";
    req.host = host;
    req.path = wxp_cstr("/secapi/pay/refund");
    req.body = wxp_cstr("<xml></xml>");
    req.timeout_ms = 2000;
    req.client_cert = &cc;
    http.test_plain_http = 0;
    http.test_insecure = 1;
    cc.cert_pem = platform_cert;
    cc.key_pem = platform_key;
    wxp_http_response_init(&res, rbuf, sizeof rbuf);
    assert_int_not_equal(wxp_curl_transport(&http, &req, &res, err, sizeof err), 0);
    assert_true(STARTS(err, "curl: ("));
    assert_true(!STARTS(err, "curl: (58)"));          /* not CURLE_SSL_CERTPROBLEM */

    cc.cert_pem = wxp_cstr(junk);
    wxp_http_response_init(&res, rbuf, sizeof rbuf);
    assert_int_not_equal(wxp_curl_transport(&http, &req, &res, err, sizeof err), 0);
    assert_true(STARTS(err, "curl: (58)"));          /* CURLE_SSL_CERTPROBLEM */
    http.test_insecure = 0;
    http.test_plain_http = 1;

    /* The next request without a certificate clears the blobs again. */
    server_mode(MODE_OK);
    req.client_cert = NULL;
    wxp_http_response_init(&res, rbuf, sizeof rbuf);
    assert_int_equal(wxp_curl_transport(&http, &req, &res, err, sizeof err), 0);
    assert_int_equal(wxp_http_response_get_status(&res), 200);
}

/* A small errbuf still gets a NUL-terminated, cut message. */
static void curl_small_errbuf(void **state)
{
    static char rbuf[256];
    wxp_http_response res;
    wxp_http_request req;
    char err[12];
    (void)state;
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.host = "api.mch.weixin.qq.com";       /* refused in test mode: nothing is sent */
    req.path = wxp_cstr("/");
    wxp_http_response_init(&res, rbuf, sizeof rbuf);
    memset(err, 'x', sizeof err);
    assert_int_not_equal(wxp_curl_transport(&http, &req, &res, err, sizeof err), 0);
    assert_int_equal(strlen(err), sizeof err - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(curl_ok_and_keepalive),
        cmocka_unit_test(curl_failover_to_backup),
        cmocka_unit_test(curl_big_body_nospace),
        cmocka_unit_test(curl_cut_body_transport),
        cmocka_unit_test(curl_slow_timeout),
        cmocka_unit_test(curl_500_http_error),
        cmocka_unit_test(curl_interim_headers_skipped),
        cmocka_unit_test(curl_lost_answer_not_resent),
        cmocka_unit_test(curl_interim_then_cut_no_status),
        cmocka_unit_test(curl_bill_download),
        cmocka_unit_test(curl_plain_http_hostile_hosts),
        cmocka_unit_test(curl_kind_and_status_line),
        cmocka_unit_test(curl_direct_methods),
        cmocka_unit_test(curl_plain_http_guard),
        cmocka_unit_test(curl_client_cert_blobs),
        cmocka_unit_test(curl_small_errbuf),
    };
    return cmocka_run_group_tests_name("curl_transport", tests, setup, teardown);
}
