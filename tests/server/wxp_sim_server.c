/* tests/server/wxp_sim_server.c - the WeChat Pay simulator behind a real HTTPS
   listener on 127.0.0.1, for the transports' integration tests.

   TEST ONLY. It binds the loopback address only, with THROWAWAY certificates
   (tests/server/certs/README.md) and the throwaway keys of examples/test_keys.h,
   and it obeys a fault header that no real server would. Never expose it.

   What it is: BearSSL's TLS 1.2 server (br_ssl_server_init_full_rsa) with the
   server certificate for api.mch.weixin.qq.com (and api2) from the test CA, or
   with --wrong-cert one for the same names from a CA nobody trusts. Every
   handshake asks for a client certificate (the CA names of the test CA) and
   tolerates none; a chain that verifies against the test CA marks the
   connection as mutually authenticated. Each HTTP/1.1 request (keep-alive, up
   to 1000 per connection) goes to wxp_fake_transport() (transports/
   wechatpay_fake.h, configured as examples/example_sim.h does, with
   require_client_cert): so /secapi/ paths need that client certificate, and
   the simulator's "no answer" (a missing certificate, a lost answer) closes
   the connection without a byte, as WeChat Pay's refused handshake does.

   Usage: wxp_sim_server [--certs DIR] [--wrong-cert] [--max-conns N] [--life S]
                         [--now UNIX] [--notify-scale K]
   It prints "PORT <n>" on stdout once it listens (127.0.0.1, port 0: the
   kernel picks a free one), then serves until N connections (default 256) were
   accepted or S seconds (default 120) have passed, and exits. At most 8
   connections are served at once (one thread each); every wait is bounded.
   --now is the clock of the simulator and of the client-certificate check
   (default 1795425372, the examples' clock). --notify-scale K (1 to 100000,
   default 1) divides the waits between payment-callback deliveries (see
   /sim/pay). The simulator knows the sub-merchant SIM_SUB_MCHID (AppID
   SIM_SUB_APPID) for the partner routes, and serves GET /v3/certificates with
   tests/vectors/keys/platform_cert.pem when that file is there.

   FAULTS, on request: a header "X-Sim-Fault" with comma-separated tokens
       close-mid-body  answer (the request is processed: a refund is booked),
                       but close the TCP connection after half of the body
       lost            process, then close without a byte of the answer
       slow            process, then wait 4 s (or until the client hangs up)
                       before answering: longer than the tests' timeout
       500             the simulator's 500 SYSTEM_ERROR (signed), nothing booked
       code=NAME       WeChat Pay's refusal NAME (wxp_fake_fail_with: its APIv3
                       status and code, or its APIv2 err_code), nothing booked
       huge            a 200 with a 100000-byte body, larger than the client's
                       I/O buffer (nothing processed)
       chunked         the body in chunks (with a chunk extension and a trailer)
       interim         "100 Continue" and "103 Early Hints" before the answer
       close           "Connection: close", then close_notify and close
       drop-after      a normal (keep-alive) answer, then close_notify and close:
                       the client finds the kept connection dead
       no-length       no Content-Length and no chunking: the body ends with
                       close_notify

   TEST ENDPOINTS (never forwarded to the simulator)
       GET  /sim/stats         {"connections","requests","refunds","notify_status",
                                "client_cert","refused","notify_deliveries",
                                "notify_statuses"} (client_cert: this
                                connection's; refused: handshakes refused so far;
                                notify_statuses: "500,500,204", the answers to
                                the last /sim/pay's deliveries, -1 for none)
       POST /sim/order?out_trade_no=..&total=..[&transaction_id=..]  a paid order
       GET  /sim/order?out_trade_no=..   {"total","refunded","refund_count",
                                "reverses","trade_state"}
       POST /sim/pay?out_trade_no=..[&openid=..]  the customer pays the placed order
                               (wxp_fake_pay_order): 200 {"result","transaction_id"}
                               (400 {"result"}: the error's name). Then, when the
                               order's notify_url is http://127.0.0.1:PORT/... or
                               http://localhost:PORT/..., the TRANSACTION.SUCCESS
                               callback is POSTed there, and again, as WeChat Pay
                               does, while the answer is not 200 or 204 (or none
                               comes within 5 s): after 15 s, 15 s, 30 s, 3 min,
                               10 min, 20 min, 30 min, 30 min, 30 min, 60 min, 3 h,
                               3 h, 3 h, 6 h and 6 h, each wait divided by
                               --notify-scale; 16 deliveries at most, none after
                               --life ends. The connection that asked serves
                               nothing else meanwhile.
       POST /sim/customer?auth_code=..&pay=now|polls|nomoney|never&balance=..[&polls=..]
                               a barcode-payment customer (wxp_fake_add_customer)
       POST /sim/bill?bill_date=YYYY-MM-DD&rows=N   the trade bill of that date,
                               N made-up rows, N <= SIM_BILL_ROWS (wxp_fake_add_bill)
       POST /sim/refuse?count=N  the next N connections accepted are refused in
                               the TLS handshake: the ClientHello is read and
                               answered with a fatal handshake_failure alert, as a
                               server that refuses the client does (the tests'
                               "the reconnect failed in TLS")
       POST /sim/notify?out_refund_no=..&port=..  answers 202, then POSTs that
                               refund's callback (signed, AES-GCM resource) over
                               plain HTTP to http://127.0.0.1:<port>/notify and
                               records the answer's status (notify_status) */
#define _POSIX_C_SOURCE 200809L
/* Room for every test of a run in one book (both transports add orders). */
#define WXP_FAKE_MAX_ORDERS    64
#define WXP_FAKE_MAX_REFUNDS   128
#define WXP_FAKE_MAX_CUSTOMERS 16
#define WXP_FAKE_MAX_BILLS     8
#define WECHATPAY_IMPLEMENTATION
#define WECHATPAY_FAKE_IMPLEMENTATION
#define WECHATPAY_SOCKET_IMPLEMENTATION
#include "wechatpay.h"
#include "transports/wechatpay_fake.h"
#include "transports/wechatpay_socket.h"
#define WXP_EXAMPLE_SIM_FAKE_ONLY
#include "examples/example_sim.h"     /* the simulator's settings; examples/test_keys.h */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SLOTS           8                      /* connections served at once */
#define REQ_MAX         (24 * 1024)            /* request line, headers and body */
#define ANSWER_MAX      (256 * 1024)           /* an answer, a bill download included */
#define SIM_BILL_ROWS   800                    /* about 260 bytes a row: fits ANSWER_MAX */
#define IDLE_MS         10000                  /* longest wait for a client's bytes */
#define WRITE_MS        5000
#define SLOW_MS         4000
#define HUGE_LEN        100000
#define MAX_REQS        1000                   /* per connection */
#define MAX_HEADERS     32

/* ---- shared state (the simulator is shared by every connection) ---------------- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;  /* guards everything below it */
static wxp_fake fake;
static long long sim_now = 1795425372;
static unsigned long n_conns, n_reqs, n_refused;
static unsigned refuse_next;                    /* handshakes still to refuse */
static int notify_status;
static unsigned notify_scale = 1;               /* --notify-scale */
static int notify_statuses[16];                 /* the last /sim/pay's deliveries */
static unsigned notify_count;
static long long life_end_ms;                   /* no delivery after --life */
static char cert_pem[4096];                     /* tests/vectors/keys/platform_cert.pem */

#define SIM_SUB_MCHID "1900000109"              /* the sub-merchant of the partner routes */
#define SIM_SUB_APPID "wxd678efh567hg6999"

/* read-only once serving starts */
static wxp_pubkey merchant_pub;
static wxp_rsa_key platform_key, server_key;
static br_x509_certificate server_chain[4];
static size_t server_chain_len;
static unsigned char server_chain_buf[8192];
static br_x509_trust_anchor client_cas[4];
static size_t client_ca_count;
static unsigned char client_ca_arena[4096];

static long long sim_clock(void *user) { (void)user; return sim_now; }

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the client-certificate check: BearSSL's minimal validator, recording success */

typedef struct cc_validator {
    const br_x509_class    *vtable;
    br_x509_minimal_context inner;
    int                     verified;
} cc_validator;

static cc_validator *ccv(const br_x509_class **ctx) { return (cc_validator *)(void *)ctx; }
static void cc_start_chain(const br_x509_class **ctx, const char *name)
{
    ccv(ctx)->verified = 0;
    ccv(ctx)->inner.vtable->start_chain(&ccv(ctx)->inner.vtable, name);
}
static void cc_start_cert(const br_x509_class **ctx, uint32_t len)
{
    ccv(ctx)->inner.vtable->start_cert(&ccv(ctx)->inner.vtable, len);
}
static void cc_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
    ccv(ctx)->inner.vtable->append(&ccv(ctx)->inner.vtable, buf, len);
}
static void cc_end_cert(const br_x509_class **ctx) { ccv(ctx)->inner.vtable->end_cert(&ccv(ctx)->inner.vtable); }
static unsigned cc_end_chain(const br_x509_class **ctx)
{
    unsigned r = ccv(ctx)->inner.vtable->end_chain(&ccv(ctx)->inner.vtable);
    ccv(ctx)->verified = r == 0;
    return r;
}
static const br_x509_pkey *cc_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
    const cc_validator *v = (const cc_validator *)(const void *)ctx;
    return v->inner.vtable->get_pkey(&v->inner.vtable, usages);
}
static const br_x509_class cc_vtable = {
    sizeof(cc_validator), cc_start_chain, cc_start_cert, cc_append, cc_end_cert, cc_end_chain, cc_get_pkey
};

/* ---- one connection ------------------------------------------------------------ */

typedef struct conn {
    int                   busy;         /* under mu */
    int                   fd;
    pthread_t             thread;
    br_ssl_server_context sc;
    cc_validator          ccv;
    br_sslio_context      ioc;
    unsigned char         tls[BR_SSL_BUFSIZE_BIDI];
    char                  req[REQ_MAX + 1];
    size_t                req_len;      /* bytes held in req (a request and maybe more) */
    char                  answer[ANSWER_MAX];
    char                  notify_body[8192];
    wxp_notify_headers    notify_h;     /* its headers, copied into notify_hbuf */
    char                  notify_hbuf[64 + 64 + WXP_SIG_B64_MAX + WXP_SERIAL_MAX];
} conn;

static conn slots[SLOTS];

static int low_read(void *ctx, unsigned char *buf, size_t len)
{
    conn *c = (conn *)ctx;
    for (;;) {
        struct pollfd p;
        ssize_t n;
        p.fd = c->fd;
        p.events = POLLIN;
        p.revents = 0;
        if (poll(&p, 1, IDLE_MS) <= 0) return -1;
        n = recv(c->fd, buf, len, 0);
        if (n > 0) return (int)n;
        if (n < 0 && errno == EINTR) continue;
        return -1;
    }
}

static int low_write(void *ctx, const unsigned char *buf, size_t len)
{
    conn *c = (conn *)ctx;
    for (;;) {
        struct pollfd p;
        ssize_t n;
        p.fd = c->fd;
        p.events = POLLOUT;
        p.revents = 0;
        if (poll(&p, 1, WRITE_MS) <= 0) return -1;
        n = send(c->fd, buf, len, MSG_NOSIGNAL);
        if (n > 0) return (int)n;
        if (n < 0 && errno == EINTR) continue;
        return -1;
    }
}

/* close_notify, sent without waiting for the client's. */
static void close_notify(conn *c)
{
    int k;
    br_ssl_engine_close(&c->sc.eng);
    for (k = 0; k < 16 && (br_ssl_engine_current_state(&c->sc.eng) & BR_SSL_SENDREC); k++) {
        size_t len;
        unsigned char *buf = br_ssl_engine_sendrec_buf(&c->sc.eng, &len);
        int n = low_write(c, buf, len);
        if (n <= 0) return;
        br_ssl_engine_sendrec_ack(&c->sc.eng, (size_t)n);
    }
}

static int out(conn *c, const void *p, size_t n) { return br_sslio_write_all(&c->ioc, p, n); }
static int outs(conn *c, const char *s) { return out(c, s, strlen(s)); }

/* A query parameter of path (no percent-decoding: the tests send plain values). */
static int query(const char *path, const char *key, char *val, size_t cap)
{
    const char *q = strchr(path, '?');
    size_t kl = strlen(key);
    while (q && *q) {
        q++;
        if (strncmp(q, key, kl) == 0 && q[kl] == '=') {
            size_t n = 0;
            q += kl + 1;
            while (q[n] && q[n] != '&' && n + 1 < cap) n++;
            memcpy(val, q, n);
            val[n] = 0;
            return 1;
        }
        q = strchr(q, '&');
    }
    return 0;
}

/* A plain (unsigned) answer of the test endpoints. */
static int simple_answer(conn *c, int status, const char *body)
{
    char head[256];
    snprintf(head, sizeof head, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
             status, strlen(body));
    return outs(c, head) || outs(c, body) || br_sslio_flush(&c->ioc);
}

/* Writes all of p (a write may take part of it): 0, or -1. */
static int write_all(const wxp_sock_io *io, const void *p, size_t len)
{
    size_t off = 0;
    while (off < len) {
        long n = io->write(io->user, (const unsigned char *)p + off, len - off, 2000);
        if (n <= 0) return -1;
        off += (size_t)n;
    }
    return 0;
}

/* POSTs a callback (body, its headers h) to http://127.0.0.1:port/path; the
   answer's status, or -1 (no connection, no answer within 5 s: WeChat Pay's
   limit). */
static int post_callback(const char *body, size_t len, const wxp_notify_headers *h, unsigned port,
                         const char *path)
{
    wxp_sock_posix net;
    wxp_sock_io io;
    char head[1024], err[128], reply[256];
    long n;
    size_t got = 0;
    int status = -1;
    snprintf(head, sizeof head,
             "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nContent-Type: application/json\r\n"
             "Wechatpay-Timestamp: %.*s\r\nWechatpay-Nonce: %.*s\r\nWechatpay-Signature: %.*s\r\n"
             "Wechatpay-Serial: %.*s\r\nWechatpay-Signature-Type: WECHATPAY2-SHA256-RSA2048\r\n"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n",
             path, port, (int)h->timestamp.len, h->timestamp.ptr, (int)h->nonce.len, h->nonce.ptr,
             (int)h->signature.len, h->signature.ptr, (int)h->serial.len, h->serial.ptr, len);
    wxp_sock_posix_init(&net);
    io = wxp_sock_posix_io(&net);
    if (io.open(io.user, "127.0.0.1", port, 2000, err, sizeof err) != 0) return -1;
    if (write_all(&io, head, strlen(head)) != 0 || write_all(&io, body, len) != 0) goto done;
    while (got < 12 && (n = io.read(io.user, (unsigned char *)reply + got, sizeof reply - 1 - got, 5000)) > 0)
        got += (size_t)n;
    reply[got] = 0;
    if (got >= 12 && strncmp(reply, "HTTP/1.", 7) == 0) status = atoi(reply + 9);
done:
    io.close(io.user);
    return status;
}

/* Copies a callback's headers into c (the simulator's views change with the next one). */
static wxp_err keep_headers(conn *c, const wxp_notify_headers *h)
{
    const wxp_str *src[4];
    wxp_str *dst[4];
    size_t k, off = 0;
    src[0] = &h->timestamp; src[1] = &h->nonce; src[2] = &h->signature; src[3] = &h->serial;
    dst[0] = &c->notify_h.timestamp; dst[1] = &c->notify_h.nonce; dst[2] = &c->notify_h.signature;
    dst[3] = &c->notify_h.serial;
    for (k = 0; k < 4; k++) {
        if (off + src[k]->len > sizeof c->notify_hbuf) return WXP_E_NOSPACE;
        memcpy(c->notify_hbuf + off, src[k]->ptr, src[k]->len);
        dst[k]->ptr = c->notify_hbuf + off;
        dst[k]->len = src[k]->len;
        off += src[k]->len;
    }
    return WXP_OK;
}

/* POSTs the refund callback to 127.0.0.1:port/notify; the status or -1. */
static int deliver_notify(conn *c, const char *out_refund_no, unsigned port)
{
    wxp_notify_headers h;
    size_t len = 0;
    wxp_err e;
    pthread_mutex_lock(&mu);
    e = wxp_fake_notify_refund(&fake, wxp_cstr(WXP_TEST_APIV3_KEY), out_refund_no, c->notify_body,
                               sizeof c->notify_body, &len, &h, NULL);
    /* The headers are views into the simulator: copy them before it moves on. */
    if (e == WXP_OK) e = keep_headers(c, &h);
    pthread_mutex_unlock(&mu);
    return e == WXP_OK ? post_callback(c->notify_body, len, &c->notify_h, port, "/notify") : -1;
}

/* The port and path of a loopback http notify_url (http://127.0.0.1:PORT/...
   or http://localhost:PORT/...): 1, or 0 when it is not one. */
static int loopback_url(const char *url, unsigned *port, char *path, size_t cap)
{
    const char *p;
    char *end;
    unsigned long v;
    if (strncmp(url, "http://127.0.0.1:", 17) == 0) p = url + 17;
    else if (strncmp(url, "http://localhost:", 17) == 0) p = url + 17;
    else return 0;
    v = strtoul(p, &end, 10);
    if (end == p || v == 0 || v > 65535 || (*end && *end != '/')) return 0;
    *port = (unsigned)v;
    snprintf(path, cap, "%s", *end ? end : "/");
    return 1;
}

/* WeChat Pay's waits between deliveries of a callback that was not taken:
   15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h (24h4m in all). */
static const unsigned notify_waits_s[15] = { 15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600,
                                             10800, 10800, 10800, 21600, 21600 };

/* Delivers the payment callback of out_trade_no to its loopback notify_url,
   again after each wait (divided by --notify-scale) until it is taken with
   200 or 204. Records each answer in notify_statuses. */
static void deliver_payment(conn *c, const char *out_trade_no)
{
    const wxp_fake_order *o;
    wxp_notify_headers h;
    char path[256];
    unsigned port = 0, k;
    size_t len = 0;
    wxp_err e = WXP_E_NOTFOUND;
    int ok = 0;
    pthread_mutex_lock(&mu);
    notify_count = 0;
    o = wxp_fake_find_order(&fake, out_trade_no);
    if (o && loopback_url(o->notify_url, &port, path, sizeof path)) {
        e = wxp_fake_notify_transaction(&fake, wxp_cstr(WXP_TEST_APIV3_KEY), out_trade_no, c->notify_body,
                                        sizeof c->notify_body, &len, &h, NULL);
        if (e == WXP_OK) e = keep_headers(c, &h);
    }
    pthread_mutex_unlock(&mu);
    if (e != WXP_OK) return;
    /* The same callback every time, as WeChat Pay sends it again. */
    for (k = 0; k < 16 && !ok && mono_ms() < life_end_ms; k++) {
        int st;
        if (k) {
            long long until = mono_ms() + (long long)notify_waits_s[k - 1] * 1000 / notify_scale;
            while (mono_ms() < until && mono_ms() < life_end_ms) {
                long long left = until - mono_ms();
                struct timespec ts;
                if (left > 200) left = 200;
                ts.tv_sec = 0;
                ts.tv_nsec = (long)left * 1000000L;
                nanosleep(&ts, NULL);
            }
            if (mono_ms() >= life_end_ms) break;
        }
        st = post_callback(c->notify_body, len, &c->notify_h, port, path);
        ok = st == 200 || st == 204;
        pthread_mutex_lock(&mu);
        notify_statuses[notify_count++] = st;
        notify_status = st;
        pthread_mutex_unlock(&mu);
    }
}

/* The test endpoints. 0 served, -1 the connection must end. */
static int serve_sim(conn *c, const char *method, const char *path, int client_cert)
{
    char body[512], a[80], b[80], t[40];
    unsigned port = 0;
    int post = strcmp(method, "POST") == 0;
    if (strcmp(path, "/sim/stats") == 0) {
        char list[16 * 5 + 1];
        size_t n = 0;
        unsigned k;
        pthread_mutex_lock(&mu);
        list[0] = 0;
        for (k = 0; k < notify_count; k++)
            n += (size_t)snprintf(list + n, sizeof list - n, "%s%d", k ? "," : "", notify_statuses[k]);
        snprintf(body, sizeof body,
                 "{\"connections\":%lu,\"requests\":%lu,\"refunds\":%zu,\"notify_status\":%d,\"client_cert\":%d,"
                 "\"refused\":%lu,\"notify_deliveries\":%u,\"notify_statuses\":\"%s\"}",
                 n_conns, n_reqs, wxp_fake_refund_count(&fake), notify_status, client_cert, n_refused,
                 notify_count, list);
        pthread_mutex_unlock(&mu);
        return simple_answer(c, 200, body) ? -1 : 0;
    }
    if (post && strncmp(path, "/sim/pay?", 9) == 0 && query(path, "out_trade_no", a, sizeof a)) {
        wxp_err e;
        const wxp_fake_order *o;
        pthread_mutex_lock(&mu);
        e = wxp_fake_pay_order(&fake, a, query(path, "openid", b, sizeof b) ? b : NULL);
        o = wxp_fake_find_order(&fake, a);
        snprintf(body, sizeof body, "{\"result\":\"%s\",\"transaction_id\":\"%s\"}", wxp_errname(e),
                 e == WXP_OK && o ? o->transaction_id : "");
        pthread_mutex_unlock(&mu);
        if (simple_answer(c, e == WXP_OK ? 200 : 400, body)) return -1;
        if (e == WXP_OK) deliver_payment(c, a);
        return 0;
    }
    if (strncmp(path, "/sim/order?", 11) == 0 && query(path, "out_trade_no", a, sizeof a)) {
        const wxp_fake_order *o;
        if (post) {
            wxp_err e;
            if (!query(path, "total", b, sizeof b)) return simple_answer(c, 400, "{\"error\":\"total\"}") ? -1 : 0;
            pthread_mutex_lock(&mu);
            e = wxp_fake_add_order(&fake, a, query(path, "transaction_id", t, sizeof t) ? t : NULL, atoll(b));
            pthread_mutex_unlock(&mu);
            snprintf(body, sizeof body, "{\"result\":\"%s\"}", wxp_strerror(e));
            return simple_answer(c, e == WXP_OK ? 200 : 400, body) ? -1 : 0;
        }
        pthread_mutex_lock(&mu);
        o = wxp_fake_find_order(&fake, a);
        if (o)
            snprintf(body, sizeof body,
                     "{\"total\":%lld,\"refunded\":%lld,\"refund_count\":%u,\"reverses\":%u,\"trade_state\":\"%s\"}",
                     o->total, o->refunded, o->refund_count, o->reverses, o->trade_state);
        pthread_mutex_unlock(&mu);
        return simple_answer(c, o ? 200 : 404, o ? body : "{}") ? -1 : 0;
    }
    if (post && strncmp(path, "/sim/customer?", 14) == 0 && query(path, "auth_code", a, sizeof a) &&
        query(path, "pay", b, sizeof b) && query(path, "balance", t, sizeof t)) {
        static const char *const pays[4] = { "now", "polls", "nomoney", "never" };
        static const int kinds[4] = { WXP_FAKE_PAY_NOW, WXP_FAKE_PAY_AFTER_POLLS, WXP_FAKE_NO_MONEY,
                                      WXP_FAKE_NEVER_CONFIRMS };
        char polls[16] = "0";
        int k;
        wxp_err e = WXP_E_ARG;
        (void)query(path, "polls", polls, sizeof polls);
        for (k = 0; k < 4 && strcmp(b, pays[k]) != 0; k++) {}
        pthread_mutex_lock(&mu);
        if (k < 4) e = wxp_fake_add_customer(&fake, a, kinds[k], (unsigned)atoi(polls), atoll(t));
        pthread_mutex_unlock(&mu);
        snprintf(body, sizeof body, "{\"result\":\"%s\"}", wxp_strerror(e));
        return simple_answer(c, e == WXP_OK ? 200 : 400, body) ? -1 : 0;
    }
    if (post && strncmp(path, "/sim/bill?", 10) == 0 && query(path, "bill_date", a, sizeof a) &&
        query(path, "rows", b, sizeof b)) {
        wxp_err e = WXP_E_ARG;
        if (atol(b) >= 0 && atol(b) <= SIM_BILL_ROWS) {
            pthread_mutex_lock(&mu);
            e = wxp_fake_add_bill(&fake, a, (unsigned)atol(b));
            pthread_mutex_unlock(&mu);
        }
        snprintf(body, sizeof body, "{\"result\":\"%s\"}", wxp_strerror(e));
        return simple_answer(c, e == WXP_OK ? 200 : 400, body) ? -1 : 0;
    }
    if (post && strncmp(path, "/sim/refuse?", 12) == 0 && query(path, "count", a, sizeof a)) {
        pthread_mutex_lock(&mu);
        refuse_next = (unsigned)atoi(a);
        pthread_mutex_unlock(&mu);
        return simple_answer(c, 200, "{}") ? -1 : 0;
    }
    if (post && strncmp(path, "/sim/notify?", 12) == 0 && query(path, "out_refund_no", a, sizeof a) &&
        query(path, "port", b, sizeof b) && (port = (unsigned)atoi(b)) > 0 && port < 65536) {
        int st;
        if (simple_answer(c, 202, "{\"queued\":true}")) return -1;
        st = deliver_notify(c, a, port);
        pthread_mutex_lock(&mu);
        notify_status = st;
        pthread_mutex_unlock(&mu);
        return 0;
    }
    return simple_answer(c, 404, "{\"error\":\"no such test endpoint\"}") ? -1 : 0;
}

static int has_fault(const char *faults, const char *name)
{
    size_t n = strlen(name);
    const char *p = faults;
    while (p && *p) {
        while (*p == ' ' || *p == ',') p++;
        if (strncmp(p, name, n) == 0 && (p[n] == 0 || p[n] == ',' || p[n] == ' ')) return 1;
        p = strchr(p, ',');
    }
    return 0;
}

/* The NAME of a "code=NAME" token, copied into out ("" when there is none). */
static void fault_code(const char *faults, char *out, size_t cap)
{
    const char *p = strstr(faults, "code="), *end;
    out[0] = 0;
    if (!p) return;
    p += 5;
    end = p + strcspn(p, ", ");
    if ((size_t)(end - p) < cap) {
        memcpy(out, p, (size_t)(end - p));
        out[end - p] = 0;
    }
}

/* Waits up to ms, or until the client hangs up or writes. */
static void wait_or_hangup(int fd, int ms)
{
    struct pollfd p;
    long long end = mono_ms() + ms;
    while (mono_ms() < end) {
        p.fd = fd;
        p.events = POLLIN;
        p.revents = 0;
        if (poll(&p, 1, (int)(end - mono_ms())) != 0) return;
    }
}

/* Sends an answer: status, headers, body, framed as the faults say. 0 or -1. */
static int send_answer(conn *c, const char *faults, int status, const char *const *hdr, size_t nhdr,
                       const char *body, size_t len)
{
    char line[1024];
    size_t i;
    int chunked = has_fault(faults, "chunked"), nolen = has_fault(faults, "no-length");
    int close_after = has_fault(faults, "close"), mid = has_fault(faults, "close-mid-body");
    if (has_fault(faults, "interim") &&
        (outs(c, "HTTP/1.1 100 Continue\r\n\r\n") ||
         outs(c, "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n")))
        return -1;
    snprintf(line, sizeof line, "HTTP/1.1 %d %s\r\n", status, status < 300 ? "OK" : "Error");
    if (outs(c, line)) return -1;
    for (i = 0; i + 1 < nhdr; i += 2) {
        snprintf(line, sizeof line, "%s: %s\r\n", hdr[i], hdr[i + 1]);
        if (outs(c, line)) return -1;
    }
    if (chunked) snprintf(line, sizeof line, "Transfer-Encoding: chunked\r\n");
    else if (nolen) snprintf(line, sizeof line, "Connection: close\r\n");
    else snprintf(line, sizeof line, "Content-Length: %zu\r\n", len);
    if (outs(c, line) || (close_after && !nolen && outs(c, "Connection: close\r\n")) || outs(c, "\r\n")) return -1;
    if (mid) {                                  /* half the body, then the TCP connection goes */
        if (out(c, body, len / 2) || br_sslio_flush(&c->ioc)) return -1;
        return -1;
    }
    if (chunked) {
        size_t off = 0, k = 0;
        while (off < len) {
            size_t n = len - off < 100 ? len - off : 100;
            snprintf(line, sizeof line, k++ == 0 ? "%zx;sim=ext\r\n" : "%zX\r\n", n);
            if (outs(c, line) || out(c, body + off, n) || outs(c, "\r\n")) return -1;
            off += n;
        }
        if (outs(c, "0\r\nX-Sim-Trailer: yes\r\n\r\n")) return -1;
    } else if (len && out(c, body, len)) {
        return -1;
    }
    if (br_sslio_flush(&c->ioc)) return -1;
    if (nolen || close_after || has_fault(faults, "drop-after")) {
        close_notify(c);
        return -1;
    }
    return 0;
}

/* One request in c->req[0..hlen) (headers) and its body. 0: go on; -1: close. */
static int serve_request(conn *c, size_t hlen, size_t blen)
{
    wxp_http_header hdrs[MAX_HEADERS];
    wxp_http_request req;
    wxp_http_response res;
    wxp_client_cert mtls;
    char method[16], host[128], path[1024], faults[128], code[40], errbuf[WXP_ERRBUF_SIZE];
    char *p = c->req, *end = c->req + hlen, *sp, *eol;
    size_t nh = 0;
    int rc, status, client_cert = c->ccv.verified;
    const char *hv[16];
    size_t nhv = 0;
    wxp_str b;
    static const char sig_type[] = "WECHATPAY2-SHA256-RSA2048";

    host[0] = faults[0] = 0;
    /* request line */
    eol = strstr(p, "\r\n");
    sp = memchr(p, ' ', (size_t)(eol - p));
    if (!sp || (size_t)(sp - p) >= sizeof method) return -1;
    memcpy(method, p, (size_t)(sp - p));
    method[sp - p] = 0;
    p = sp + 1;
    sp = memchr(p, ' ', (size_t)(eol - p));
    if (!sp || (size_t)(sp - p) >= sizeof path || strncmp(sp, " HTTP/1.1", 9) != 0) return -1;
    memcpy(path, p, (size_t)(sp - p));
    path[sp - p] = 0;
    p = eol + 2;
    /* headers */
    while (p < end && (eol = strstr(p, "\r\n")) != NULL && eol != p) {
        char *colon = memchr(p, ':', (size_t)(eol - p)), *v;
        if (!colon || nh == MAX_HEADERS) return -1;
        v = colon + 1;
        while (*v == ' ') v++;
        hdrs[nh].name.ptr = p;
        hdrs[nh].name.len = (size_t)(colon - p);
        hdrs[nh].value.ptr = v;
        hdrs[nh].value.len = (size_t)(eol - v);
        if (hdrs[nh].name.len == 4 && strncasecmp(p, "Host", 4) == 0)
            snprintf(host, sizeof host, "%.*s", (int)hdrs[nh].value.len, v);
        else if (hdrs[nh].name.len == 11 && strncasecmp(p, "X-Sim-Fault", 11) == 0)
            snprintf(faults, sizeof faults, "%.*s", (int)hdrs[nh].value.len, v);
        nh++;
        p = eol + 2;
    }
    pthread_mutex_lock(&mu);
    n_reqs++;
    pthread_mutex_unlock(&mu);

    if (strncmp(path, "/sim/", 5) == 0) return serve_sim(c, method, path, client_cert);

    if (has_fault(faults, "huge")) {        /* {"pad":"aaaa...."}: HUGE_LEN bytes in all */
        char line[160];
        size_t left = HUGE_LEN - 10, n;
        memset(c->answer, 'a', sizeof c->answer);
        snprintf(line, sizeof line,
                 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nRequest-ID: sim-huge\r\n"
                 "Content-Length: %d\r\n\r\n{\"pad\":\"", HUGE_LEN);
        if (outs(c, line)) return -1;
        while (left) {
            n = left < sizeof c->answer ? left : sizeof c->answer;
            if (out(c, c->answer, n)) return -1;
            left -= n;
        }
        return outs(c, "\"}") || br_sslio_flush(&c->ioc) ? -1 : 0;
    }

    memset(&req, 0, sizeof req);
    req.method = method;
    req.host = host[0] ? host : WXP_DEFAULT_HOST;
    req.path = wxp_cstr(path);
    req.headers = hdrs;
    req.header_count = nh;
    req.body.ptr = c->req + hlen;
    req.body.len = blen;
    mtls.cert_pem = wxp_cstr("(verified in the TLS handshake)");
    mtls.key_pem = wxp_cstr("");
    req.client_cert = client_cert ? &mtls : NULL;
    wxp_http_response_init(&res, c->answer, sizeof c->answer);
    errbuf[0] = 0;
    pthread_mutex_lock(&mu);
    if (has_fault(faults, "500")) wxp_fake_fault(&fake, WXP_FAKE_SYSTEM_ERROR);
    fault_code(faults, code, sizeof code);
    if (code[0] && wxp_fake_fail_with(&fake, NULL, code, 1) != WXP_OK) code[0] = 0;  /* unknown: ignored */
    rc = wxp_fake_transport(&fake, &req, &res, errbuf, sizeof errbuf);
    pthread_mutex_unlock(&mu);
    if (rc != 0) return -1;                             /* no answer at all */
    if (has_fault(faults, "lost")) return -1;
    if (has_fault(faults, "slow")) wait_or_hangup(c->fd, SLOW_MS);

    /* The headers the library keeps are what the simulator set. */
    status = wxp_http_response_get_status(&res);
    b = wxp_http_response_body(&res);
#define KEPT(n) wxp_http_response_kept(&res, n).ptr
    if (*KEPT("Request-ID")) { hv[nhv++] = "Request-ID"; hv[nhv++] = KEPT("Request-ID"); }
    if (b.len) {
        hv[nhv++] = "Content-Type";
        hv[nhv++] = (strncmp(path, "/secapi/", 8) == 0 || strncmp(path, "/pay/", 5) == 0) ? "text/plain"
                                                                                           : "application/json";
    }
    if (*KEPT("Wechatpay-Signature")) {
        hv[nhv++] = "Wechatpay-Timestamp"; hv[nhv++] = KEPT("Wechatpay-Timestamp");
        hv[nhv++] = "Wechatpay-Nonce"; hv[nhv++] = KEPT("Wechatpay-Nonce");
        hv[nhv++] = "Wechatpay-Serial"; hv[nhv++] = KEPT("Wechatpay-Serial");
        hv[nhv++] = "Wechatpay-Signature"; hv[nhv++] = KEPT("Wechatpay-Signature");
        hv[nhv++] = "Wechatpay-Signature-Type"; hv[nhv++] = sig_type;
    }
    return send_answer(c, faults, status, hv, nhv, b.ptr, b.len);
}

/* Reads requests off the connection until it ends, a fault, or MAX_REQS. */
static void serve_conn(conn *c)
{
    size_t reqs;
    c->req_len = 0;
    for (reqs = 0; reqs < MAX_REQS; reqs++) {
        char *hend;
        size_t hlen, blen = 0, total;
        const char *cl;
        /* headers */
        for (;;) {
            int n;
            c->req[c->req_len] = 0;
            if ((hend = strstr(c->req, "\r\n\r\n")) != NULL) break;
            if (c->req_len >= REQ_MAX) return;
            n = br_sslio_read(&c->ioc, c->req + c->req_len, REQ_MAX - c->req_len);
            if (n <= 0) return;
            c->req_len += (size_t)n;
        }
        hlen = (size_t)(hend - c->req) + 4;
        /* Content-Length (case-blind search in the header block) */
        for (cl = c->req; cl < hend; cl++)
            if ((cl == c->req || cl[-1] == '\n') && strncasecmp(cl, "Content-Length:", 15) == 0) {
                blen = (size_t)strtoul(cl + 15, NULL, 10);
                break;
            }
        if (blen > REQ_MAX - hlen) return;
        total = hlen + blen;
        while (c->req_len < total) {
            int n = br_sslio_read(&c->ioc, c->req + c->req_len, REQ_MAX - c->req_len);
            if (n <= 0) return;
            c->req_len += (size_t)n;
        }
        {
            char saved = c->req[total];
            int rc;
            c->req[total] = 0;
            rc = serve_request(c, hlen, blen);
            c->req[total] = saved;
            if (rc != 0) return;
        }
        memmove(c->req, c->req + total, c->req_len - total);
        c->req_len -= total;
    }
}

/* Refuses the handshake of c: reads the ClientHello, answers a fatal
   handshake_failure alert (TLS 1.2 record), and lets the client close first,
   so that the alert, not a reset, is what it reads. */
static void refuse_handshake(conn *c)
{
    static const unsigned char alert[7] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28 };
    unsigned char buf[4096];
    long long end = mono_ms() + 2000;
    struct pollfd p;
    p.fd = c->fd;
    p.events = POLLIN;
    p.revents = 0;
    if (poll(&p, 1, IDLE_MS) > 0) (void)recv(c->fd, buf, sizeof buf, 0);
    (void)send(c->fd, alert, sizeof alert, MSG_NOSIGNAL);
    shutdown(c->fd, SHUT_WR);
    while (mono_ms() < end) {
        p.revents = 0;
        if (poll(&p, 1, 100) > 0 && recv(c->fd, buf, sizeof buf, 0) <= 0) break;
    }
}

static void *conn_thread(void *arg)
{
    conn *c = (conn *)arg;
    long long t = sim_now;
    int refuse;
    pthread_mutex_lock(&mu);
    refuse = refuse_next > 0;
    if (refuse) {
        refuse_next--;
        n_refused++;
    }
    pthread_mutex_unlock(&mu);
    if (refuse) {
        refuse_handshake(c);
        close(c->fd);
        pthread_mutex_lock(&mu);
        c->busy = 0;
        pthread_mutex_unlock(&mu);
        return NULL;
    }
    br_ssl_server_init_full_rsa(&c->sc, server_chain, server_chain_len, &server_key.sk);
    br_ssl_engine_set_versions(&c->sc.eng, BR_TLS12, BR_TLS12);
    br_ssl_engine_set_buffer(&c->sc.eng, c->tls, sizeof c->tls, 1);
    br_ssl_engine_set_default_rsavrfy(&c->sc.eng);
    br_ssl_engine_set_default_ecdsa(&c->sc.eng);
    br_x509_minimal_init_full(&c->ccv.inner, client_cas, client_ca_count);
    br_x509_minimal_set_time(&c->ccv.inner, (uint32_t)(t / 86400 + 719528), (uint32_t)(t % 86400));
    c->ccv.vtable = &cc_vtable;
    c->ccv.verified = 0;
    br_ssl_engine_set_x509(&c->sc.eng, &c->ccv.vtable);
    br_ssl_server_set_trust_anchor_names_alt(&c->sc, client_cas, client_ca_count);
    br_ssl_engine_add_flags(&c->sc.eng, BR_OPT_TOLERATE_NO_CLIENT_AUTH | BR_OPT_NO_RENEGOTIATION);
    if (br_ssl_server_reset(&c->sc)) {
        br_sslio_init(&c->ioc, &c->sc.eng, low_read, c, low_write, c);
        serve_conn(c);
    }
    close(c->fd);
    pthread_mutex_lock(&mu);
    c->busy = 0;
    pthread_mutex_unlock(&mu);
    return NULL;
}

/* ---- start-up --------------------------------------------------------------------- */

static wxp_str read_file(const char *dir, const char *name, char *buf, size_t cap)
{
    char path[512];
    FILE *f;
    size_t n;
    wxp_str s = { NULL, 0 };
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "wxp_sim_server: cannot read %s\n", path);
        exit(2);
    }
    n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = 0;
    s.ptr = buf;
    s.len = n;
    return s;
}

static void die(const char *what, wxp_err e, const wxp_result *r)
{
    fprintf(stderr, "wxp_sim_server: %s: %s %s\n", what, wxp_strerror(e), r ? r->message : "");
    exit(2);
}

int main(int argc, char **argv)
{
    static char pem[3][8192];
    const char *dir = "tests/server/certs";
    int wrong = 0, lfd, one = 1, i;
    unsigned long max_conns = 256, accepted = 0;
    long life_s = 120;
    long long end;
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    wxp_fake_config fc;
    wxp_result r;
    wxp_err e;
    size_t used;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--certs") == 0 && i + 1 < argc) dir = argv[++i];
        else if (strcmp(argv[i], "--wrong-cert") == 0) wrong = 1;
        else if (strcmp(argv[i], "--max-conns") == 0 && i + 1 < argc) max_conns = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--life") == 0 && i + 1 < argc) life_s = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--now") == 0 && i + 1 < argc) sim_now = strtoll(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--notify-scale") == 0 && i + 1 < argc)
            notify_scale = (unsigned)strtoul(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: wxp_sim_server [--certs DIR] [--wrong-cert] [--max-conns N] [--life S] "
                            "[--now UNIX] [--notify-scale K]\n");
            return 2;
        }
    }
    if (notify_scale < 1 || notify_scale > 100000) notify_scale = 1;
    if (life_s < 1 || life_s > 3600) life_s = 120;
    if (max_conns < 1 || max_conns > 100000) max_conns = 256;
    signal(SIGPIPE, SIG_IGN);

    /* TLS: the server certificate and key, and the CA that signs client certificates. */
    e = wxp_sock_chain_load(server_chain, 4, server_chain_buf, sizeof server_chain_buf,
                            read_file(dir, wrong ? "rogue_server.pem" : "server.pem", pem[0], sizeof pem[0]),
                            &server_chain_len, &used, &r);
    if (e) die("server certificate", e, &r);
    e = wxp_rsa_key_load(&server_key,
                         read_file(dir, wrong ? "rogue_server_key.pem" : "server_key.pem", pem[1], sizeof pem[1]),
                         &r);
    if (e) die("server key", e, &r);
    e = wxp_sock_anchors_load(client_cas, 4, client_ca_arena, sizeof client_ca_arena,
                              read_file(dir, "ca.pem", pem[2], sizeof pem[2]), &client_ca_count, &used, &r);
    if (e) die("client CA", e, &r);

    /* The simulator, as examples/example_sim.h sets it up. */
    if ((e = example_fake_config(&fc, &merchant_pub, &platform_key, &r)) != WXP_OK) die("test keys", e, &r);
    fc.clock.fn = sim_clock;
    fc.sub_mchids[0] = SIM_SUB_MCHID;
    fc.sub_appids[0] = SIM_SUB_APPID;
    fc.apiv3_key = wxp_cstr(WXP_TEST_APIV3_KEY);
    {
        FILE *cf = fopen("tests/vectors/keys/platform_cert.pem", "rb");  /* optional */
        if (cf) {
            fc.platform_cert_pem.len = fread(cert_pem, 1, sizeof cert_pem - 1, cf);
            fc.platform_cert_pem.ptr = cert_pem;
            fclose(cf);
        }
    }
    if ((e = wxp_fake_init(&fake, &fc)) != WXP_OK) die("simulator", e, NULL);

    /* 127.0.0.1 only, a port the kernel picks. */
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 16) != 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &alen) != 0) {
        perror("wxp_sim_server: listen");
        return 2;
    }
    printf("PORT %u\n", (unsigned)ntohs(a.sin_port));
    fflush(stdout);

    end = mono_ms() + life_s * 1000;
    life_end_ms = end;
    while (accepted < max_conns && mono_ms() < end) {
        struct pollfd p;
        conn *c = NULL;
        int fd, k;
        pthread_mutex_lock(&mu);
        for (k = 0; k < SLOTS && !c; k++)
            if (!slots[k].busy) c = &slots[k];
        pthread_mutex_unlock(&mu);
        if (!c) {                               /* all busy: wait for one to end */
            struct timespec ts = { 0, 20 * 1000000L };
            nanosleep(&ts, NULL);
            continue;
        }
        p.fd = lfd;
        p.events = POLLIN;
        p.revents = 0;
        if (poll(&p, 1, 200) <= 0) continue;
        fd = accept(lfd, NULL, NULL);
        if (fd < 0) continue;
        {   /* TLS writes small records: without this each handshake waits out
               Nagle against the client's delayed ACK (about 40 ms). */
            int nodelay = 1;
            (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay);
        }
        accepted++;
        pthread_mutex_lock(&mu);
        n_conns++;
        c->busy = 1;
        pthread_mutex_unlock(&mu);
        c->fd = fd;
        if (pthread_create(&c->thread, NULL, conn_thread, c) != 0) {
            close(fd);
            pthread_mutex_lock(&mu);
            c->busy = 0;
            pthread_mutex_unlock(&mu);
            continue;
        }
        pthread_detach(c->thread);
    }
    close(lfd);
    /* Let the connections in flight finish (each wait is bounded by IDLE_MS). */
    end = mono_ms() + IDLE_MS + SLOW_MS + 2000;
    for (;;) {
        int busy = 0, k;
        struct timespec ts = { 0, 20 * 1000000L };
        pthread_mutex_lock(&mu);
        for (k = 0; k < SLOTS; k++) busy |= slots[k].busy;
        pthread_mutex_unlock(&mu);
        if (!busy || mono_ms() >= end) break;
        nanosleep(&ts, NULL);
    }
    return 0;
}
