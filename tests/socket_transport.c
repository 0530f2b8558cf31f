/* tests/socket_transport.c - integration tests: the examples' flows through the
   sockets + BearSSL transport (transports/wechatpay_socket.h) and the libcurl
   transport against the loopback HTTPS simulator (tests/server/).

   A standalone cmocka program (make build/socket_transport; `make test` runs
   it), not part of build/tests. It starts build/wxp_sim_server (fork + exec;
   SIM_SERVER, or the environment variable WXP_SIM_SERVER, names it) on
   127.0.0.1 with a free port, and a second one with --wrong-cert for that test,
   and stops both at the end. Every client call has a timeout, every loop here
   a bound, and the servers exit by themselves after RIG_LIFE_S whatever
   happens. Run from the repository root (it reads tests/server/certs).

   Each flow runs once per transport:
     refund apply + query (APIv3, answers verified), the APIv2 refund with
     mutual TLS (and without, or with a certificate from another CA: no
     answer), a refund callback POSTed by the server to a listener here and
     verified with wxp_notify_parse, the faults (closed mid-body, slower than
     the timeout, 500, a body larger than the I/O buffer, a wrong server
     certificate, a wrong host name), a refund retried after a lost answer and
     booked once, keep-alive (calls share one TCP connection), chunked and
     interim answers, "Connection: close" and connections closed while idle;
     an answer lost on a kept connection (a POST reaches the server once, a
     GET at most twice, and a reconnect refused in the TLS handshake after the
     request left is not WXP_E_TLS), the POS sale through such a loss; the
     typed calls whose shape differs: the bill (wxp_bill_trade, then
     wxp_bill_download streaming a bill within and far beyond io_buf, also in
     chunks after 1xx answers), wxp_media_upload (multipart), and the barcode
     payment (micropay, orderquery, reverse); the POS sale's fault campaign
     (wxp_pos_sale, and wxp_pos_sale_v3 where the server serves code-pay):
     every fault the server offers aimed at the payment, the 1st poll and the
     1st reverse, against each kind of customer, with the sale's invariant
     checked from the server's side after every sale (see "the POS sale's
     fault campaign" below; about 25 s per API and transport).
   Then the sockets transport alone: its own I/O callbacks (the embedded seam),
   a half-size TLS buffer, trust-anchor loading, and the memory it uses. */
#define _POSIX_C_SOURCE 200809L
#define WECHATPAY_IMPLEMENTATION
#define WECHATPAY_SOCKET_IMPLEMENTATION
#define WECHATPAY_CURL_IMPLEMENTATION
#include "wechatpay.h"
#include "transports/wechatpay_socket.h"
#include "transports/wechatpay_curl.h"
#include "examples/test_keys.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SIM_SERVER
#define SIM_SERVER "build/wxp_sim_server"
#endif
#define CERTS       "tests/server/certs/"
#define HOST        "api.mch.weixin.qq.com"
#define APPID       "wx2421b1c4370ec43b"
#define NOW         1795425372LL        /* the simulator's clock (and the client's) */
#define RIG_LIFE_S  "600"               /* the servers exit by then, whatever happens */
#define CALL_MS     20000               /* a normal call's timeout (valgrind is slow) */
#define SLOW_CALL_MS 1500               /* the timeout the slow answer exceeds (it takes 4 s) */
#define HUGE_LEN    100000              /* the server's huge body */

enum { T_SOCK, T_CURL };

/* ---- the servers ------------------------------------------------------------- */

#include "tests/sim_rig.h"        /* start and stop build/wxp_sim_server */

static rig_server sim, rogue;

/* ---- files ---------------------------------------------------------------------- */

static char ca_pem[8192], client_pem[8192], rogue_client_pem[8192];

static void load(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    if (!f) {
        fprintf(stderr, "cannot read %s (run from the repository root)\n", path);
        exit(1);
    }
    n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = 0;
}

/* ---- a transport under test, with the fault header added on request -------------- */

static br_x509_trust_anchor anchors[4];
static size_t anchor_count, anchor_used;
static unsigned char anchor_arena[4096];
static long long fixed_now = NOW;
static long long fixed_clock(void *user) { return *(const long long *)user; }

typedef struct tp {
    int            kind;
    wxp_sock       sock;
    wxp_sock_posix net;
    unsigned char  tls[BR_SSL_BUFSIZE_BIDI];
    wxp_curl       curl;
    char           resolve[96], host[64];
    /* the wrapper */
    const char    *fault;           /* X-Sim-Fault value for the next fault_times calls */
    unsigned       fault_times, timeout_ms, calls;
    wxp_http_header hdr[16];
} tp;

static tp tps[2];

static int wrap_transport(void *user, const wxp_http_request *req, wxp_http_response *res, char *errbuf,
                          size_t cap)
{
    tp *t = (tp *)user;
    wxp_http_request r = *req;
    size_t i;
    t->calls++;
    if (t->fault && t->fault_times) {
        assert_true(req->header_count < 15);
        for (i = 0; i < req->header_count; i++) t->hdr[i] = req->headers[i];
        t->hdr[i].name = wxp_cstr("X-Sim-Fault");
        t->hdr[i].value = wxp_cstr(t->fault);
        r.headers = t->hdr;
        r.header_count = req->header_count + 1;
        t->fault_times--;
    }
    if (t->timeout_ms) r.timeout_ms = t->timeout_ms;
    return t->kind == T_SOCK ? wxp_sock_transport(&t->sock, &r, res, errbuf, cap)
                             : wxp_curl_transport(&t->curl, &r, res, errbuf, cap);
}

static void tp_open(tp *t, int kind, unsigned port, const char *host_name)
{
    wxp_sock_config sc;
    wxp_result r;
    memset(t, 0, sizeof *t);
    t->kind = kind;
    snprintf(t->host, sizeof t->host, "%s:%u", host_name, port);
    if (kind == T_SOCK) {
        memset(&sc, 0, sizeof sc);
        wxp_sock_posix_init(&t->net);
        sc.io = wxp_sock_posix_io(&t->net);
        sc.anchors = anchors;
        sc.anchor_count = anchor_count;
        sc.tls_buf = t->tls;
        sc.tls_buf_size = sizeof t->tls;
        sc.connect_to = "127.0.0.1";
        sc.clock.fn = fixed_clock;
        sc.clock.user = &fixed_now;
        assert_int_equal(wxp_sock_init(&t->sock, &sc, &r), WXP_OK);
    } else {
        assert_int_equal(wxp_curl_init(&t->curl, NULL), WXP_OK);
        t->curl.ca_file = CERTS "ca.pem";
        snprintf(t->resolve, sizeof t->resolve, "%s:%u:127.0.0.1", host_name, port);
        t->curl.resolve = t->resolve;
    }
}

static void tp_close(tp *t)
{
    if (t->kind == T_SOCK) wxp_sock_close(&t->sock);
    else wxp_curl_cleanup(&t->curl);
}

static int setup(void **state)
{
    int kind = (int)(intptr_t)*state;
    tp_open(&tps[kind], kind, sim.port, HOST);
    *state = &tps[kind];
    return 0;
}

/* ---- the client ----------------------------------------------------------------- */

static wxp_client client;
static wxp_pubkey key_slots[2];
static wxp_keystore keystore;
static unsigned char io_buf[WXP_IO_BUFSIZE_DEFAULT];

static void no_sleep(void *user, unsigned ms) { (void)user; (void)ms; }
static wxp_transport transport_override;       /* client_open: instead of the wrapper */

/* A client for the simulator through t (retries: attempts in all). */
static void client_open(tp *t, unsigned attempts, const char *client_cert_pem)
{
    wxp_config cfg;
    wxp_result r;
    memset(&cfg, 0, sizeof cfg);
    wxp_keystore_init(&keystore, key_slots, 2);
    assert_int_equal(wxp_keystore_add_pubkey(&keystore, WXP_TEST_PUB_KEY_ID, wxp_cstr(WXP_TEST_WECHATPAY_PUB), &r),
                     WXP_OK);
    cfg.mchid = WXP_TEST_MCHID;
    cfg.serial = WXP_TEST_SERIAL;
    cfg.private_key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    cfg.apiv3_key = wxp_cstr(WXP_TEST_APIV3_KEY);
    cfg.apiv2_key = wxp_cstr(WXP_TEST_APIV2_KEY);
    cfg.client_cert.cert_pem = wxp_cstr(client_cert_pem ? client_cert_pem : client_pem);
    cfg.client_cert.key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    cfg.keys = &keystore;
    cfg.clock.fn = fixed_clock;
    cfg.clock.user = &fixed_now;
    cfg.host = t->host;
    cfg.timeout_ms = CALL_MS;
    cfg.io_buf = io_buf;
    cfg.io_buf_size = sizeof io_buf;
    cfg.transport.fn = wrap_transport;
    cfg.transport.user = t;
    if (transport_override.fn) cfg.transport = transport_override;
    cfg.retry.attempts = attempts;
    cfg.retry.backoff_ms = 1;
    cfg.retry.sleep = no_sleep;
    if (wxp_client_init(&client, &cfg, &r) != WXP_OK) fail_msg("client init: %s", r.message);
}

/* A raw call to the server through t's transport (no signing): the status, the
   body NUL-terminated in out; -1 when the transport failed (errbuf says why). */
static int raw_call(tp *t, const char *method, const char *path, const wxp_client_cert *cert, char *out,
                    size_t cap, char *errbuf, size_t errcap)
{
    wxp_http_request req;
    wxp_http_response res;
    char eb[WXP_ERRBUF_SIZE];
    wxp_str b;
    int rc;
    memset(&req, 0, sizeof req);
    req.method = method;
    req.host = t->host;
    req.path = wxp_cstr(path);
    req.timeout_ms = CALL_MS;
    req.client_cert = cert;
    wxp_http_response_init(&res, out, cap - 1);
    rc = wrap_transport(t, &req, &res, errbuf ? errbuf : eb, errbuf ? errcap : sizeof eb);
    if (rc != 0) return -1;
    b = wxp_http_response_body(&res);
    out[b.len] = 0;
    return wxp_http_response_get_status(&res);
}

static int teardown(void **state)
{
    tp *t = (tp *)*state;
    char body[64];
    int k;
    /* A test that failed may leave handshakes to refuse: each refused try uses one up. */
    t->fault_times = 0;
    for (k = 0; k < 4 && raw_call(t, "POST", "/sim/refuse?count=0", NULL, body, sizeof body, NULL, 0) != 200; k++) {}
    tp_close(t);
    return 0;
}

/* "key":<integer> in a small JSON body. */
static long long jnum(const char *body, const char *key)
{
    char k[64];
    const char *p;
    snprintf(k, sizeof k, "\"%s\":", key);
    p = strstr(body, k);
    if (!p) fail_msg("no %s in %s", key, body);
    return atoll(p + strlen(k));
}

static long long stat_of(tp *t, const char *key)
{
    char body[512];
    assert_int_equal(raw_call(t, "GET", "/sim/stats", NULL, body, sizeof body, NULL, 0), 200);
    return jnum(body, key);
}

static void add_order(tp *t, const char *out_trade_no, const char *transaction_id, long long total)
{
    char path[256], body[256];
    snprintf(path, sizeof path, "/sim/order?out_trade_no=%s&total=%lld%s%s", out_trade_no, total,
             transaction_id ? "&transaction_id=" : "", transaction_id ? transaction_id : "");
    assert_int_equal(raw_call(t, "POST", path, NULL, body, sizeof body, NULL, 0), 200);
}

static void order_state(tp *t, const char *out_trade_no, long long *refunded, long long *count)
{
    char path[128], body[256];
    snprintf(path, sizeof path, "/sim/order?out_trade_no=%s", out_trade_no);
    assert_int_equal(raw_call(t, "GET", path, NULL, body, sizeof body, NULL, 0), 200);
    *refunded = jnum(body, "refunded");
    *count = jnum(body, "refund_count");
}

/* Unique order and refund numbers per transport and test. */
static const char *id(const tp *t, const char *what, int n)
{
    static char ids[8][40];
    static int k;
    char *s = ids[k++ & 7];
    snprintf(s, 40, "%s%s%d", what, t->kind == T_SOCK ? "S" : "C", n);
    return s;
}

static wxp_err refund(tp *t, const char *out_trade_no, const char *out_refund_no, long long amount,
                      long long total, wxp_refund *out, wxp_result *r)
{
    wxp_refund_req req;
    (void)t;
    memset(&req, 0, sizeof req);
    req.out_trade_no = out_trade_no;
    req.out_refund_no = out_refund_no;
    req.amount.refund = amount;
    req.amount.total = total;
    memset(out, 0, sizeof *out);
    return wxp_refund_create(&client, &req, out, r);
}

#define STR_EQ(view, lit) assert_true((view).len == strlen(lit) && memcmp((view).ptr, lit, (view).len) == 0)

/* ---- the flows ---------------------------------------------------------------- */

static void t_refund_apply_query(void **state)
{
    tp *t = (tp *)*state;
    const char *order = id(t, "ORDER-RQ-", 1), *rno = id(t, "REFUND-RQ-", 1);
    wxp_refund out;
    wxp_result r;
    long long refunded, count;
    add_order(t, order, NULL, 888);
    client_open(t, 1, NULL);
    assert_int_equal(refund(t, order, rno, 100, 888, &out, &r), WXP_OK);
    assert_int_equal(r.status, 200);
    assert_true(r.request_id[0] != 0);
    STR_EQ(out.out_refund_no, rno);
    STR_EQ(out.status, "PROCESSING");
    assert_int_equal(out.amount.refund, 100);
    memset(&out, 0, sizeof out);
    assert_int_equal(wxp_refund_query(&client, rno, NULL, &out, &r), WXP_OK);
    STR_EQ(out.status, "SUCCESS");
    order_state(t, order, &refunded, &count);
    assert_int_equal(refunded, 100);
    assert_int_equal(count, 1);
    /* An answer that does not verify is refused, whichever transport carried it:
       the signature checked above was made by the server process. */
    wxp_client_wipe(&client);
}

static void t_v2_refund_mtls(void **state)
{
    tp *t = (tp *)*state;
    const char *order = id(t, "ORDER-V2-", 1), *rno = id(t, "REFUND-V2-", 1);
    const char *tid = t->kind == T_SOCK ? "4006252001201705123297353001" : "4006252001201705123297353002";
    wxp_v2_refund_req req;
    wxp_v2_refund_result out;
    wxp_v2_coupon coupons[2];
    wxp_client_cert cc;
    wxp_result r;
    char body[256];
    long long refunded, count;

    add_order(t, order, tid, 608);
    client_open(t, 1, NULL);
    memset(&req, 0, sizeof req);
    req.appid = APPID;
    req.out_trade_no = order;
    req.out_refund_no = rno;
    req.total_fee = 608;
    req.refund_fee = 304;
    memset(&out, 0, sizeof out);
    out.coupon = coupons;
    out.coupon_cap = 2;
    assert_int_equal(wxp_v2_refund(&client, &req, &out, &r), WXP_OK);   /* answer sign verified */
    assert_int_equal(out.refund_fee, 304);
    STR_EQ(out.out_refund_no, rno);
    STR_EQ(out.transaction_id, tid);
    order_state(t, order, &refunded, &count);
    assert_int_equal(refunded, 304);

    /* The server saw the client certificate verified against its CA. */
    cc.cert_pem = wxp_cstr(client_pem);
    cc.key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    assert_int_equal(raw_call(t, "GET", "/sim/stats", &cc, body, sizeof body, NULL, 0), 200);
    assert_int_equal(jnum(body, "client_cert"), 1);
    assert_int_equal(raw_call(t, "GET", "/sim/stats", NULL, body, sizeof body, NULL, 0), 200);
    assert_int_equal(jnum(body, "client_cert"), 0);
    wxp_client_wipe(&client);

    /* A certificate from another CA: the server does not count it, so the
       /secapi/ call gets no answer at all, and nothing is booked. */
    client_open(t, 1, rogue_client_pem);
    req.out_refund_no = id(t, "REFUND-V2-", 2);
    assert_int_equal(wxp_v2_refund(&client, &req, &out, &r), WXP_E_TRANSPORT);
    assert_true(r.message[0] != 0);
    order_state(t, order, &refunded, &count);
    assert_int_equal(count, 1);
    wxp_client_wipe(&client);
}

static void t_v2_refund_without_cert(void **state)
{
    tp *t = (tp *)*state;
    char body[256], err[WXP_ERRBUF_SIZE];
    /* The library never sends a /secapi/ call without the certificate; a
       transport that is asked to is turned away by the server. */
    assert_int_equal(raw_call(t, "POST", "/secapi/pay/refund", NULL, body, sizeof body, err, sizeof err), -1);
    if (t->kind == T_SOCK)
        assert_non_null(strstr(err, "wxp_sock: the server closed the connection"));
    else
        assert_non_null(strstr(err, "curl: ("));
}

/* ---- the callback ------------------------------------------------------------------ */

/* Accepts one HTTP request on lfd (bounded), answers 204; 0 or -1. */
static int take_callback(int lfd, char *buf, size_t cap, size_t *hlen, size_t *blen)
{
    struct pollfd pf;
    long long end = rig_ms() + 15000;
    size_t n = 0, need = 0;
    int fd;
    pf.fd = lfd;
    pf.events = POLLIN;
    pf.revents = 0;
    if (poll(&pf, 1, 15000) <= 0) return -1;
    fd = accept(lfd, NULL, NULL);
    if (fd < 0) return -1;
    while (rig_ms() < end && n + 1 < cap) {
        char *he;
        ssize_t r;
        buf[n] = 0;
        if (!need && (he = strstr(buf, "\r\n\r\n")) != NULL) {
            const char *cl = strstr(buf, "Content-Length: ");
            *hlen = (size_t)(he - buf) + 4;
            *blen = cl ? (size_t)atol(cl + 16) : 0;
            need = *hlen + *blen;
        }
        if (need && n >= need) break;
        pf.fd = fd;
        if (poll(&pf, 1, 1000) <= 0) continue;
        r = recv(fd, buf + n, cap - 1 - n, 0);
        if (r <= 0) break;
        n += (size_t)r;
    }
    buf[n] = 0;
    if (!need || n < need ||
        send(fd, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", 46, MSG_NOSIGNAL) != 46) {
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

static wxp_str header_of(const char *head, const char *name)
{
    wxp_str v = { "", 0 };
    const char *p = strstr(head, name), *e;
    if (!p) return v;
    p += strlen(name);
    while (*p == ' ') p++;
    e = strstr(p, "\r\n");
    v.ptr = p;
    v.len = e ? (size_t)(e - p) : 0;
    return v;
}

static void t_callback(void **state)
{
    tp *t = (tp *)*state;
    const char *order = id(t, "ORDER-CB-", 1), *rno = id(t, "REFUND-CB-", 1);
    static char req[16384];
    static unsigned char plain[4096];
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    char path[160], body[256];
    size_t hlen = 0, blen = 0;
    wxp_notify_headers h;
    wxp_notification n;
    wxp_refund_notify rn;
    wxp_refund out;
    wxp_result r;
    long long st = 0;
    int k;

    add_order(t, order, NULL, 500);
    client_open(t, 1, NULL);
    assert_int_equal(refund(t, order, rno, 200, 500, &out, &r), WXP_OK);

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(lfd >= 0);
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(lfd, 1), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
    snprintf(path, sizeof path, "/sim/notify?out_refund_no=%s&port=%u", rno, (unsigned)ntohs(a.sin_port));
    assert_int_equal(raw_call(t, "POST", path, NULL, body, sizeof body, NULL, 0), 202);
    assert_int_equal(take_callback(lfd, req, sizeof req, &hlen, &blen), 0);
    close(lfd);

    h.timestamp = header_of(req, "Wechatpay-Timestamp:");
    h.nonce = header_of(req, "Wechatpay-Nonce:");
    h.signature = header_of(req, "Wechatpay-Signature:");
    h.serial = header_of(req, "Wechatpay-Serial:");
    assert_int_equal(wxp_notify_parse(&client, &h, req + hlen, blen, plain, sizeof plain, &n, &r), WXP_OK);
    STR_EQ(n.event_type, "REFUND.SUCCESS");
    assert_int_equal(wxp_refund_notify_decode(&n, &rn, &r), WXP_OK);
    STR_EQ(rn.out_refund_no, rno);
    STR_EQ(rn.out_trade_no, order);
    STR_EQ(rn.refund_status, "SUCCESS");
    assert_int_equal(rn.amount.refund, 200);
    /* A byte changed on the way: the signature check catches it. */
    h.nonce.len--;
    assert_int_equal(wxp_notify_parse(&client, &h, req + hlen, blen, plain, sizeof plain, &n, &r),
                     WXP_E_SIGNATURE);
    /* The server heard our 204 (it records it after the delivery: poll a little). */
    for (k = 0; k < 50 && (st = stat_of(t, "notify_status")) != 204; k++) {
        struct timespec ts = { 0, 20 * 1000000L };
        nanosleep(&ts, NULL);
    }
    assert_int_equal(st, 204);
    wxp_client_wipe(&client);
}

/* ---- faults ------------------------------------------------------------------------ */

static void t_fault_close_mid_body(void **state)
{
    tp *t = (tp *)*state;
    const char *order = id(t, "ORDER-MID-", 1);
    wxp_refund out;
    wxp_result r;
    long long refunded, count;
    add_order(t, order, NULL, 300);
    client_open(t, 1, NULL);
    t->fault = "close-mid-body";
    t->fault_times = 1;
    assert_int_equal(refund(t, order, id(t, "REFUND-MID-", 1), 100, 300, &out, &r), WXP_E_TRANSPORT);
    if (t->kind == T_SOCK) assert_non_null(strstr(r.message, "wxp_sock: the connection was closed after "));
    else assert_non_null(strstr(r.message, "curl: ("));
    order_state(t, order, &refunded, &count);   /* the server did book it */
    assert_int_equal(count, 1);
    wxp_client_wipe(&client);
}

static void t_fault_slow(void **state)
{
    tp *t = (tp *)*state;
    wxp_refund out;
    wxp_result r;
    long long t0;
    client_open(t, 1, NULL);
    /* open the connection first, so the timeout bounds only the wait */
    assert_true(stat_of(t, "connections") > 0);
    t->fault = "slow";
    t->fault_times = 1;
    t->timeout_ms = SLOW_CALL_MS;
    t0 = rig_ms();
    assert_int_equal(wxp_refund_query(&client, "NO-SUCH-REFUND", NULL, &out, &r), WXP_E_TIMEOUT);
    assert_true(rig_ms() - t0 < 3900);          /* before the server's 4 s */
    t->timeout_ms = 0;
    if (t->kind == T_SOCK) assert_non_null(strstr(r.message, "wxp_sock: timed out (1500 ms) waiting for the answer"));
    else assert_non_null(strstr(r.message, "curl: (28)"));
    /* The next call works (on a new connection). */
    assert_int_equal(wxp_refund_query(&client, "NO-SUCH-REFUND", NULL, &out, &r), WXP_E_HTTP);
    assert_int_equal(r.status, 404);
    wxp_client_wipe(&client);
}

static void t_fault_500(void **state)
{
    tp *t = (tp *)*state;
    wxp_refund out;
    wxp_result r;
    client_open(t, 1, NULL);
    t->fault = "500";
    t->fault_times = 1;
    assert_int_equal(wxp_refund_query(&client, "ANY", NULL, &out, &r), WXP_E_HTTP);
    assert_int_equal(r.status, 500);
    assert_string_equal(r.code, "SYSTEM_ERROR");
    wxp_client_wipe(&client);
}

/* WeChat Pay's refusals travel through both transports as the simulator
   makes them: status, code and the signed answer verified. */
static void t_fault_code(void **state)
{
    tp *t = (tp *)*state;
    wxp_refund out;
    wxp_result r;
    client_open(t, 1, NULL);
    t->fault = "code=USER_ACCOUNT_ABNORMAL";
    t->fault_times = 1;
    assert_int_equal(wxp_refund_query(&client, "ANY", NULL, &out, &r), WXP_E_HTTP);
    assert_int_equal(r.status, 403);
    assert_string_equal(r.code, "USER_ACCOUNT_ABNORMAL");
    t->fault = "code=NOTENOUGH";    /* the APIv2 name: APIv3 answers its own */
    t->fault_times = 1;
    assert_int_equal(wxp_refund_query(&client, "ANY", NULL, &out, &r), WXP_E_HTTP);
    assert_int_equal(r.status, 403);
    assert_string_equal(r.code, "NOT_ENOUGH");
    wxp_client_wipe(&client);
}

static void t_fault_huge(void **state)
{
    tp *t = (tp *)*state;
    wxp_refund out;
    wxp_result r;
    client_open(t, 1, NULL);
    t->fault = "huge";
    t->fault_times = 1;
    assert_int_equal(wxp_refund_query(&client, "ANY", NULL, &out, &r), WXP_E_NOSPACE);
    assert_int_equal(r.needed, HUGE_LEN);
    /* The body was read to its end: the connection is still good. */
    assert_int_equal(wxp_refund_query(&client, "NO-SUCH-REFUND", NULL, &out, &r), WXP_E_HTTP);
    if (t->kind == T_SOCK) assert_int_equal(t->sock.connects, 1);
    wxp_client_wipe(&client);
}

static void t_wrong_server_cert(void **state)
{
    tp *t = (tp *)*state, other;
    wxp_refund out;
    wxp_result r;
    tp_open(&other, t->kind, rogue.port, HOST);
    client_open(&other, 1, NULL);
    assert_int_equal(wxp_refund_query(&client, "ANY", NULL, &out, &r), WXP_E_TLS);
    if (t->kind == T_SOCK) {
        assert_non_null(strstr(r.message, "wxp_sock: TLS handshake with api.mch.weixin.qq.com failed: "
                                          "the server certificate does not chain to a trusted CA"));
        assert_int_equal(other.sock.last_br_error, BR_ERR_X509_NOT_TRUSTED);
        assert_int_equal(other.sock.requests, 0);
    } else {
        assert_non_null(strstr(r.message, "curl: (60)"));
    }
    wxp_client_wipe(&client);
    tp_close(&other);
}

static void t_wrong_host_name(void **state)
{
    tp *t = (tp *)*state, other;
    wxp_refund out;
    wxp_result r;
    /* The right CA, but the certificate is not for this name. */
    tp_open(&other, t->kind, sim.port, "pay.example.com");
    client_open(&other, 1, NULL);
    assert_int_equal(wxp_refund_query(&client, "ANY", NULL, &out, &r), WXP_E_TLS);
    if (t->kind == T_SOCK) {
        assert_non_null(strstr(r.message, "the server certificate is not for this host name"));
        assert_int_equal(other.sock.last_br_error, BR_ERR_X509_BAD_SERVER_NAME);
    } else {
        assert_non_null(strstr(r.message, "curl: (60)"));
    }
    wxp_client_wipe(&client);
    tp_close(&other);
}

/* A refund whose answer was lost is sent again with the same out_refund_no:
   the server books it once. */
static void t_retry_refunded_once(void **state)
{
    tp *t = (tp *)*state;
    static const char *const faults[] = { "close-mid-body", "lost", "500" };
    wxp_refund out;
    wxp_result r;
    long long refunded, count;
    size_t i;
    client_open(t, 3, NULL);
    for (i = 0; i < 3; i++) {
        const char *order = id(t, "ORDER-RT-", (int)i), *rno = id(t, "REFUND-RT-", (int)i);
        unsigned calls;
        add_order(t, order, NULL, 1000);
        t->fault = faults[i];
        t->fault_times = 1;
        calls = t->calls;
        assert_int_equal(refund(t, order, rno, 250, 1000, &out, &r), WXP_OK);
        assert_int_equal(t->calls - calls, 2);  /* the failed attempt and the retry */
        STR_EQ(out.out_refund_no, rno);
        order_state(t, order, &refunded, &count);
        assert_int_equal(count, 1);
        assert_int_equal(refunded, 250);
    }
    wxp_client_wipe(&client);
}

/* ---- answers lost on a kept connection ----------------------------------------- */

static void sim_post(tp *t, const char *path)
{
    char body[256];
    if (raw_call(t, "POST", path, NULL, body, sizeof body, NULL, 0) != 200) fail_msg("POST %s: %s", path, body);
}

/* A customer at the till: auth_code pays at once from a balance of 100 CNY. */
static void add_customer(tp *t, const char *auth_code)
{
    char path[160];
    snprintf(path, sizeof path, "/sim/customer?auth_code=%s&pay=now&balance=10000", auth_code);
    sim_post(t, path);
}

static wxp_micropay_req sale_req(const char *out_trade_no, const char *auth_code, long long fen)
{
    wxp_micropay_req q;
    memset(&q, 0, sizeof q);
    q.appid = APPID;
    q.body = "POS sale";
    q.out_trade_no = out_trade_no;
    q.total_fee = fen;
    q.spbill_create_ip = "14.17.22.52";
    q.auth_code = auth_code;
    return q;
}

/* "No answer heard": WXP_E_TRANSPORT (or WXP_E_TIMEOUT), with sent set. */
static void assert_no_answer(wxp_err e, const wxp_result *r, const char *what)
{
    if ((e != WXP_E_TRANSPORT && e != WXP_E_TIMEOUT) || !r->sent)
        fail_msg("%s: %s (sent %d) %s", what, wxp_errname(e), r->sent, r->message);
}

/* A POST whose answer is lost (processed, then the connection closed without a
   byte) on a kept connection reaches the server once: the transport does not
   send it again (config.retry would, with the same number). An APIv3 refund
   and an APIv2 micropay. */
static void t_lost_post_sent_once(void **state)
{
    tp *t = (tp *)*state;
    const char *order = id(t, "ORDER-LP-", 1), *rno = id(t, "REFUND-LP-", 1);
    const char *code = t->kind == T_SOCK ? "134567890123450001" : "134567890123450002";
    wxp_micropay_req mp = sale_req(id(t, "ORDER-LP-", 2), code, 300);
    wxp_v2_order paid;
    wxp_refund out;
    wxp_result r;
    long long q0, refunded, count;
    add_order(t, order, NULL, 400);
    add_customer(t, code);
    client_open(t, 1, NULL);
    q0 = stat_of(t, "requests");                /* and the connection is open, kept */
    t->fault = "lost";
    t->fault_times = 1;
    assert_no_answer(refund(t, order, rno, 100, 400, &out, &r), &r, "refund");
    assert_int_equal(stat_of(t, "requests") - q0, 2);   /* the refund once, and this question */
    order_state(t, order, &refunded, &count);
    assert_int_equal(count, 1);
    assert_int_equal(refunded, 100);

    q0 = stat_of(t, "requests");
    t->fault = "lost";
    t->fault_times = 1;
    memset(&paid, 0, sizeof paid);
    assert_no_answer(wxp_v2_micropay(&client, &mp, &paid, &r), &r, "micropay");
    assert_int_equal(stat_of(t, "requests") - q0, 2);
    wxp_client_wipe(&client);
}

/* The same, and the server refuses the next TLS handshake: the request left,
   so whatever happens on a new connection is "no answer" (WXP_E_TRANSPORT),
   never WXP_E_TLS (which says nothing was sent: a POS sale would end
   NOT_SENT after the payment). */
static void t_lost_post_reconnect_refused(void **state)
{
    tp *t = (tp *)*state;
    const char *order = id(t, "ORDER-LR-", 1), *rno = id(t, "REFUND-LR-", 1);
    wxp_refund out;
    wxp_result r;
    long long q0, f0, refunded, count;
    add_order(t, order, NULL, 400);
    client_open(t, 1, NULL);
    q0 = stat_of(t, "requests");
    f0 = stat_of(t, "refused");
    /* On the kept connection: libcurl reconnects inside the lost call (one
       refusal), the sockets transport does not. */
    sim_post(t, t->kind == T_CURL ? "/sim/refuse?count=2" : "/sim/refuse?count=1");
    t->fault = "lost";
    t->fault_times = 1;
    assert_no_answer(refund(t, order, rno, 100, 400, &out, &r), &r, "refund, reconnect refused");
    /* The next call's handshake is refused before a byte of it left: that one
       is WXP_E_TLS, nothing sent. */
    assert_int_equal(wxp_refund_query(&client, rno, NULL, &out, &r), WXP_E_TLS);
    assert_int_equal(r.sent, 0);
    assert_int_equal(stat_of(t, "refused") - f0, t->kind == T_CURL ? 2 : 1);
    assert_int_equal(stat_of(t, "requests") - q0, 5);   /* f0's question, refuse, refund, two more */
    order_state(t, order, &refunded, &count);
    assert_int_equal(count, 1);
    wxp_client_wipe(&client);
}

/* A GET whose answer is lost on a kept connection may be sent once more on a
   new connection, not more; when that new handshake is refused the GET has
   still left once: WXP_E_TRANSPORT, not WXP_E_TLS. */
static void t_lost_get(void **state)
{
    tp *t = (tp *)*state;
    wxp_refund out;
    wxp_result r;
    long long q0, f0;
    client_open(t, 1, NULL);
    q0 = stat_of(t, "requests");
    t->fault = "lost";
    t->fault_times = 1;
    assert_no_answer(wxp_refund_query(&client, "NO-SUCH-LG", NULL, &out, &r), &r, "GET lost");
    assert_int_equal(stat_of(t, "requests") - q0, 3);   /* the GET twice, and this question */

    q0 = stat_of(t, "requests");
    f0 = stat_of(t, "refused");
    sim_post(t, "/sim/refuse?count=1");
    t->fault = "lost";
    t->fault_times = 1;
    assert_no_answer(wxp_refund_query(&client, "NO-SUCH-LG", NULL, &out, &r), &r, "GET lost, reconnect refused");
    assert_int_equal(stat_of(t, "refused") - f0, 1);
    assert_int_equal(stat_of(t, "requests") - q0, 5);   /* f0's question, refuse, the GET once, two more */
    wxp_client_wipe(&client);
}

static void sale_sleep(void *user, unsigned ms) { (void)user; (void)ms; }

/* The POS sale whose micropay answer is lost while the next handshake is
   refused: the customer paid, so the sale confirms it by orderquery instead
   of ending NOT_SENT. */
static void t_pos_sale_lost_micropay(void **state)
{
    tp *t = (tp *)*state;
    const char *code = t->kind == T_SOCK ? "134567890123450003" : "134567890123450004";
    const char *order = id(t, "ORDER-PS-", 1);
    wxp_micropay_req mp = sale_req(order, code, 500);
    wxp_sale_config sc;
    wxp_sale sale;
    wxp_result r;
    wxp_err e;
    add_customer(t, code);
    client_open(t, 1, NULL);
    assert_true(stat_of(t, "connections") > 0);         /* a kept connection */
    sim_post(t, "/sim/refuse?count=1");
    memset(&sc, 0, sizeof sc);
    sc.sleep = sale_sleep;
    t->fault = "lost";
    t->fault_times = 1;
    e = wxp_pos_sale(&client, &mp, &sc, &sale, &r);
    if (e != WXP_OK || sale.outcome != WXP_SALE_PAID)
        fail_msg("sale: %s, outcome %d, %s", wxp_errname(e), sale.outcome, r.message);
    assert_true(sale.queries >= 1);
    assert_true(sale.transaction_id[0] != 0);
    wxp_client_wipe(&client);
}

/* An offline terminal: no connection can be made (refused), so nothing of the
   payment left: the transport says so (NO_CONNECTION), the call reports
   WXP_E_TRANSPORT with sent 0, and the sale ends NOT_SENT, free to retry. */
static void t_offline_sale_not_sent(void **state)
{
    tp *t = (tp *)*state, off;
    const char *code = t->kind == T_SOCK ? "134567890123450005" : "134567890123450006";
    wxp_micropay_req mp = sale_req(id(t, "ORDER-OFF-", 1), code, 500);
    wxp_sale_config sc;
    wxp_sale sale;
    wxp_result r;
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    unsigned closed_port;
    /* A port nobody listens on: bound, then closed. */
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    closed_port = ntohs(a.sin_port);
    close(fd);
    tp_open(&off, t->kind, closed_port, HOST);
    client_open(&off, 1, NULL);
    memset(&sc, 0, sizeof sc);
    sc.sleep = sale_sleep;
    {
        wxp_err e = wxp_pos_sale(&client, &mp, &sc, &sale, &r);
        if (e != WXP_E_TRANSPORT || sale.outcome != WXP_SALE_NOT_SENT)
            fail_msg("sale: %s, outcome %d, sent %d: %s", wxp_errname(e), sale.outcome, r.sent, r.message);
    }
    assert_false(r.sent);
    assert_int_equal(sale.queries + sale.reverses, 0);
    assert_non_null(strstr(r.message, t->kind == T_SOCK ? "cannot connect" : "onnect"));
    wxp_client_wipe(&client);
    tp_close(&off);
}

/* ---- the typed calls whose shape differs ------------------------------------------ */

static size_t bill_bytes, bill_lines;
static char bill_head[64];

static void bill_sink(void *user, const void *data, size_t len)
{
    const char *p = (const char *)data;
    size_t i;
    (void)user;
    for (i = 0; i < len; i++) {
        if (bill_bytes + i < sizeof bill_head - 1) bill_head[bill_bytes + i] = p[i];
        if (p[i] == '\n') bill_lines++;
    }
    bill_bytes += len;
}

/* wxp_bill_trade, then wxp_bill_download of that bill: its size and lines. */
static void bill_fetch(const char *date, const char *type, size_t *bytes, size_t *lines)
{
    wxp_bill bill;
    wxp_result r;
    wxp_err e;
    memset(&bill, 0, sizeof bill);
    e = wxp_bill_trade(&client, date, type, NULL, NULL, &bill, &r);
    if (e != WXP_OK) fail_msg("tradebill %s %s: %s %s %s", date, type, wxp_errname(e), r.code, r.message);
    assert_true(bill.download_url.len > 30 && memcmp(bill.download_url.ptr, "https://" HOST ":", 30) == 0);
    bill_bytes = bill_lines = 0;
    memset(bill_head, 0, sizeof bill_head);
    e = wxp_bill_download(&client, &bill, bill_sink, NULL, &r);
    if (e != WXP_OK)
        fail_msg("download %s %s: %s %s, %zu bytes to the sink", date, type, wxp_errname(e), r.message, bill_bytes);
    assert_int_equal(r.status, 200);
    bill_head[13] = 0;                          /* the heading starts 交易时间, */
    assert_string_equal(bill_head, "\xe4\xba\xa4\xe6\x98\x93\xe6\x97\xb6\xe9\x97\xb4,");
    *bytes = bill_bytes;
    *lines = bill_lines;
}

/* The bill: the download's 200 body goes to the caller's sink as it arrives
   (the transport reports the status before the body) and is checked against
   hash_value: a bill within io_buf and one many times its size, in one piece
   and in chunks after 1xx answers; refunds only; no bill for a day. */
static void t_bill_download(void **state)
{
    tp *t = (tp *)*state;
    const char *small = t->kind == T_SOCK ? "2026-11-20" : "2026-11-21";
    const char *large = t->kind == T_SOCK ? "2026-11-22" : "2026-11-23";
    char path[96];
    size_t bytes, lines, all;
    wxp_bill bill;
    wxp_result r;
    client_open(t, 1, NULL);
    snprintf(path, sizeof path, "/sim/bill?bill_date=%s&rows=3", small);
    sim_post(t, path);
    snprintf(path, sizeof path, "/sim/bill?bill_date=%s&rows=400", large);
    sim_post(t, path);

    bill_fetch(small, "ALL", &bytes, &lines);
    assert_true(bytes > 500 && bytes < sizeof io_buf);
    assert_int_equal(lines, 3 + 3);             /* heading, rows, summary heading and line */
    bill_fetch(large, "ALL", &all, &lines);
    assert_true(all > 6 * sizeof io_buf);
    assert_int_equal(lines, 400 + 3);
    t->fault = "chunked,interim";
    t->fault_times = 1;
    bill_fetch(large, "ALL", &bytes, &lines);
    assert_int_equal(bytes, all);
    bill_fetch(large, "REFUND", &bytes, &lines);
    assert_int_equal(lines, 100 + 3);           /* every 4th row is a refund */
    /* No bill that day: the signed error answer. */
    assert_int_equal(wxp_bill_trade(&client, "2026-01-01", "ALL", NULL, NULL, &bill, &r), WXP_E_HTTP);
    assert_string_equal(r.code, "NO_STATEMENT_EXIST");
    wxp_client_wipe(&client);
}

/* wxp_media_upload: a multipart body signed over its meta JSON, both paths. */
static void t_media_upload(void **state)
{
    tp *t = (tp *)*state;
    static unsigned char img[6000];
    wxp_str got;
    wxp_result r;
    wxp_err e;
    size_t i;
    for (i = 0; i < sizeof img; i++) img[i] = (unsigned char)(i * 131 + 7);
    memcpy(img, "\x89PNG\r\n\x1a\n", 8);
    client_open(t, 1, NULL);
    e = wxp_media_upload(&client, NULL, "receipt.png", img, sizeof img, &got, &r);
    if (e != WXP_OK) fail_msg("upload: %s %s %s", wxp_errname(e), r.code, r.message);
    assert_true(got.len > 11 && memcmp(got.ptr, "FAKE-MEDIA-", 11) == 0);
    e = wxp_media_upload(&client, "/v3/marketing/favor/media/image-upload", "logo.jpg", img, sizeof img, &got, &r);
    if (e != WXP_OK) fail_msg("image upload: %s %s %s", wxp_errname(e), r.code, r.message);
    assert_true(got.len > 8 && memcmp(got.ptr, "https://", 8) == 0);
    /* The server checks what it was sent: a file type it does not take. */
    assert_int_equal(wxp_media_upload(&client, NULL, "receipt.gif", img, sizeof img, &got, &r), WXP_E_HTTP);
    assert_string_equal(r.code, "PARAM_ERROR");
    wxp_client_wipe(&client);
}

/* The barcode payment's three calls: micropay (paid at once), orderquery,
   reverse (mutual TLS), orderquery again. */
static void t_micropay_query_reverse(void **state)
{
    tp *t = (tp *)*state;
    const char *code = t->kind == T_SOCK ? "134567890123450005" : "134567890123450006";
    const char *order = id(t, "ORDER-MP-", 1);
    wxp_micropay_req mp = sale_req(order, code, 1234);
    wxp_v2_order_ref ref;
    wxp_v2_order o;
    wxp_v2_reverse_result rev;
    wxp_result r;
    char path[96], body[256];
    add_customer(t, code);
    client_open(t, 1, NULL);
    memset(&o, 0, sizeof o);
    assert_int_equal(wxp_v2_micropay(&client, &mp, &o, &r), WXP_OK);
    assert_int_equal(o.total_fee, 1234);
    assert_true(o.transaction_id.len > 0);
    STR_EQ(o.out_trade_no, order);
    memset(&ref, 0, sizeof ref);
    ref.appid = APPID;
    ref.out_trade_no = order;
    memset(&o, 0, sizeof o);
    assert_int_equal(wxp_v2_orderquery(&client, &ref, &o, &r), WXP_OK);
    STR_EQ(o.trade_state, "SUCCESS");
    memset(&rev, 0, sizeof rev);
    assert_int_equal(wxp_v2_reverse(&client, &ref, &rev, &r), WXP_OK);
    STR_EQ(rev.recall, "N");
    memset(&o, 0, sizeof o);
    assert_int_equal(wxp_v2_orderquery(&client, &ref, &o, &r), WXP_OK);
    STR_EQ(o.trade_state, "REVOKED");
    snprintf(path, sizeof path, "/sim/order?out_trade_no=%s", order);
    assert_int_equal(raw_call(t, "GET", path, NULL, body, sizeof body, NULL, 0), 200);
    assert_int_equal(jnum(body, "reverses"), 1);
    wxp_client_wipe(&client);
}

/* ---- the POS sale's fault campaign through the real transports ------------------ */

/* Whole sales (wxp_pos_sale over APIv2, wxp_pos_sale_v3 over APIv3 when the
   server serves code-pay) through each transport, with every fault the server
   offers aimed at one step of the sale: the payment, the 1st orderquery poll,
   the 1st reverse. A step the customer's own sale does not reach is reached by
   a lead (as tests/pos_faults.c does): the payment's answer lost (pays at
   once, no money: to reach the poll), every poll's answer lost (pays at once,
   pays after polls: to reach the reverse). The refused handshake is aimed by
   dropping the transport's kept connection just before the aimed request (the
   sockets transport closes it, libcurl is told FRESH_CONNECT) and asking the
   server to refuse the next one.

   Each (API, transport, step) runs against a fresh server (its order book has
   room for one group) with four customers, one of each kind the simulator
   has. A second connection (the sockets transport, never faulted) reads the
   server's counters around every request of the sale: how many requests the
   server parsed while the transport carried that one, and how many
   handshakes it refused. After every sale THE INVARIANT is checked from the
   server's side: the order's state by an APIv2 orderquery of a second, clean
   client (the oracle), then /sim/order (total, refunded, reverses, and
   trade_state where the server shows it: it must agree with the oracle). The
   server shows no wallet, so "charged" is the order's state:
     - a customer charged (trade_state SUCCESS) hears PAID or UNKNOWN, never
       NOT_SENT or REVERSED; PAID names the order's transaction_id;
     - a REVERSED sale leaves the customer whole: the order was reversed
       (REVOKED or CLOSED, reverses >= 1, nothing refunded);
     - NOT_SENT exactly when result.sent is 0, and then the server has no
       order and never saw the payment; a payment refused in the handshake
       is NOT_SENT;
     - the payment is handed to the transport once and the server receives it
       exactly once (none when its handshake was refused): no transport
       resend; no POST reaches the server twice, a GET at most twice (the
       transports' documented resend of an idempotent GET); nobody is charged
       twice: one order per sale, of the sale's amount, paid at most once;
     - wxp_pos_sale returns WXP_OK exactly for PAID and REVERSED.
   Nothing waits for real: the sale's sleep only adds up what it was asked
   (the server's clock is fixed, the client's too), and the slow answer is
   cut by a short timeout on that request alone.
   POS_CAMPAIGN_ONLY=<substring of a label, e.g. "v2/curl/orderquery#1/lost/now">
   runs the matching sales only (a sale's history matters: the kept
   connections of the sales before it); POS_CAMPAIGN_VERBOSE=1 prints one line
   a sale, 2 also one line a request (its fault, what the server received). */

#define CAMP_FEE      1234
#define CAMP_WALLET   "10000000"
#define CAMP_SLOW_MS  600           /* the slow answer (4 s) is cut at this */
#define CAMP_SLOW_VG  3000          /* the same under valgrind */

enum { S_PAY, S_QUERY, S_REVERSE, S_OTHER, S_N };
enum { C_NOW, C_POLLS, C_NOMONEY, C_NEVER, C_N };
#define N_OUTCOMES 4                /* WXP_SALE_NOT_SENT .. WXP_SALE_UNKNOWN */

static const char *const camp_steps[2][S_N] = {
    { "micropay", "orderquery#1", "reverse#1", "other" },
    { "codepay", "query#1", "reverse#1", "other" },
};
static const char *const camp_faults[] = {
    "lost", "close-mid-body", "slow", "500", "huge", "drop-after", "close", "chunked", "interim", "no-length",
    "refuse",                       /* /sim/refuse?count=1, not a header */
};
#define N_FAULTS (sizeof camp_faults / sizeof camp_faults[0])
#define F_REFUSE (N_FAULTS - 1)
static const struct { const char *name, *label, *query; } camp_customers[C_N] = {
    { "pays at once", "now", "pay=now" },
    { "pays after 2 polls", "polls", "pay=polls&polls=2" },
    { "no money", "nomoney", "pay=nomoney" },
    { "never confirms", "never", "pay=never" },
};
static const char *const camp_codes[C_N] = {
    "134567890123450101", "120061098828000102", "101234567890120103", "150000000000000104",
};
static const char *const outcome_name[N_OUTCOMES] = { "NOT_SENT", "PAID", "REVERSED", "UNKNOWN" };

typedef struct camp {
    int       api;                  /* 2: wxp_pos_sale, 3: wxp_pos_sale_v3 */
    tp       *t, *ctl;              /* under test; the counters' connection */
    unsigned  slow_ms;
    /* this sale */
    int       step, fault, cust, lead_pay, lead_queries, hit;
    unsigned  seen[S_N], server[S_N], refused, unsent;
    long long prev_reqs, prev_refused;
    char      hdr[64], label[96], why[512], pay_err[160];
    /* the campaign */
    unsigned  sales, outcomes[C_N][N_OUTCOMES], violations, unreached, transit_sales, transit[S_N];
    unsigned  handed_total[S_N], server_total[S_N], refused_total;
    unsigned long long slept_ms;
    long long worst_ms;
    int       verbose;              /* POS_CAMPAIGN_VERBOSE: 1 a line a sale, 2 and a line a request */
} camp;

static camp cp;
static tp camp_ctl, camp_tp;
static rig_server camp_sim;
static wxp_client camp_client, oracle;
static wxp_keystore camp_keys, oracle_keys;
static wxp_pubkey camp_slots[2], oracle_slots[2];
static unsigned char camp_io[WXP_IO_BUFSIZE_DEFAULT], oracle_io[WXP_IO_BUFSIZE_DEFAULT];

static int under_valgrind(void)
{
    const char *pre = getenv("LD_PRELOAD");
    return pre && strstr(pre, "vgpreload") != NULL;
}

/* The server's request and refused-handshake counters (this question counts). */
static void ctl_stats(long long *requests, long long *refused)
{
    char body[512];
    assert_int_equal(raw_call(cp.ctl, "GET", "/sim/stats", NULL, body, sizeof body, NULL, 0), 200);
    *requests = jnum(body, "requests");
    *refused = jnum(body, "refused");
}

/* Which step of a sale a request is. */
static int camp_kind(const wxp_http_request *req)
{
    const char *p = req->path.ptr;
    size_t n = req->path.len;
#define CAMP_IS(lit) (n == sizeof lit - 1 && memcmp(p, lit, n) == 0)
#define CAMP_PREFIX(lit) (n >= sizeof lit - 1 && memcmp(p, lit, sizeof lit - 1) == 0)
    if (CAMP_IS("/pay/micropay") || CAMP_IS("/v3/pay/transactions/codepay")) return S_PAY;
    if (CAMP_IS("/pay/orderquery")) return S_QUERY;
    if (CAMP_IS("/secapi/pay/reverse")) return S_REVERSE;
    if (CAMP_PREFIX("/v3/pay/transactions/out-trade-no/")) {
        if (n > 8 && memcmp(p + n - 8, "/reverse", 8) == 0) return S_REVERSE;
        if (strcmp(req->method, "GET") == 0) return S_QUERY;
    }
#undef CAMP_IS
#undef CAMP_PREFIX
    return S_OTHER;
}

static void camp_violation(const char *fmt, ...)
{
    va_list ap;
    size_t n = strlen(cp.why);
    if (n + 3 < sizeof cp.why) {
        if (n) strcat(cp.why, "; ");
        va_start(ap, fmt);
        vsnprintf(cp.why + strlen(cp.why), sizeof cp.why - strlen(cp.why), fmt, ap);
        va_end(ap);
    }
}

static void cat_token(char *dst, size_t cap, const char *tok)
{
    size_t n = strlen(dst);
    snprintf(dst + n, cap - n, "%s%s", n ? "," : "", tok);
}

/* The sale's transport: the lead and the aimed fault on the matching request,
   then the server's counters read around it. */
static int camp_transport(void *user, const wxp_http_request *req, wxp_http_response *res, char *errbuf, size_t cap)
{
    camp *c = (camp *)user;
    tp *t = c->t;
    int k = camp_kind(req), aimed, rc, fresh = 0, get = strcmp(req->method, "GET") == 0;
    long long q1, f1, got, refused, t0;
    c->hdr[0] = 0;
    c->seen[k]++;
    if ((k == S_PAY && c->lead_pay) || (k == S_QUERY && c->lead_queries)) cat_token(c->hdr, sizeof c->hdr, "lost");
    aimed = k == c->step && c->seen[k] == 1;
    if (aimed) {
        c->hit = 1;
        if (c->fault == (int)F_REFUSE) {
            /* this request on a new connection, and the server refuses it */
            if (t->kind == T_SOCK) wxp_sock_close(&t->sock);
            else fresh = curl_easy_setopt(t->curl.easy, CURLOPT_FRESH_CONNECT, 1L) == CURLE_OK;
            sim_post(c->ctl, "/sim/refuse?count=1");
            ctl_stats(&c->prev_reqs, &c->prev_refused);
        } else {
            cat_token(c->hdr, sizeof c->hdr, camp_faults[c->fault]);
        }
    }
    t->fault = c->hdr[0] ? c->hdr : NULL;
    t->fault_times = c->hdr[0] ? 1 : 0;
    t->timeout_ms = aimed && strcmp(camp_faults[c->fault], "slow") == 0 ? c->slow_ms : 0;
    t0 = rig_ms();
    rc = wrap_transport(t, req, res, errbuf, cap);
    t0 = rig_ms() - t0;
    t->fault = NULL;
    t->fault_times = 0;
    t->timeout_ms = 0;
    if (fresh) curl_easy_setopt(t->curl.easy, CURLOPT_FRESH_CONNECT, 0L);
    ctl_stats(&q1, &f1);
    got = q1 - c->prev_reqs - 1;            /* less the question just asked */
    refused = f1 - c->prev_refused;
    c->prev_reqs = q1;
    c->prev_refused = f1;
    c->server[k] += (unsigned)got;
    c->refused += (unsigned)refused;
    if (got == 0 && refused == 0) {             /* handed over, never heard of at the server */
        c->unsent++;
        c->transit[k]++;
    }
    if (k == S_PAY && rc) snprintf(c->pay_err, sizeof c->pay_err, "%s", errbuf);
    if (c->verbose > 1)
        printf("             %s %.*s [%s]%s: rc %d in %lld ms, the server got it %lld times, refused %lld%s%s\n",
               req->method, (int)req->path.len, req->path.ptr, c->hdr, aimed ? " (aimed)" : "", rc, t0, got, refused,
               rc ? ": " : "", rc ? errbuf : "");
    if (got > (get ? 2 : 1))
        camp_violation("the transport sent one %s %s %lld times (rc %d: %s)", req->method, camp_steps[c->api == 3][k],
                       got, rc, rc ? errbuf : "answered");
    return rc;
}

static void camp_sleep(void *user, unsigned ms)
{
    ((camp *)user)->slept_ms += ms;
}

/* A client for the campaign's server through tr (APIv2 and APIv3 keys, the
   client certificate, retries: attempts in all). */
static void camp_client_open(wxp_client *cl, wxp_keystore *ks, wxp_pubkey *slots, unsigned char *io, size_t io_size,
                             const char *host, wxp_transport tr, unsigned attempts)
{
    wxp_config cfg;
    wxp_result r;
    memset(&cfg, 0, sizeof cfg);
    wxp_keystore_init(ks, slots, 2);
    assert_int_equal(wxp_keystore_add_pubkey(ks, WXP_TEST_PUB_KEY_ID, wxp_cstr(WXP_TEST_WECHATPAY_PUB), &r), WXP_OK);
    cfg.mchid = WXP_TEST_MCHID;
    cfg.appid = APPID;
    cfg.serial = WXP_TEST_SERIAL;
    cfg.private_key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    cfg.apiv3_key = wxp_cstr(WXP_TEST_APIV3_KEY);
    cfg.apiv2_key = wxp_cstr(WXP_TEST_APIV2_KEY);
    cfg.client_cert.cert_pem = wxp_cstr(client_pem);
    cfg.client_cert.key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    cfg.keys = ks;
    cfg.clock.fn = fixed_clock;
    cfg.clock.user = &fixed_now;
    cfg.host = host;
    cfg.timeout_ms = CALL_MS;
    cfg.io_buf = io;
    cfg.io_buf_size = io_size;
    cfg.transport = tr;
    cfg.retry.attempts = attempts;
    cfg.retry.backoff_ms = 1;
    cfg.retry.sleep = no_sleep;
    if (wxp_client_init(cl, &cfg, &r) != WXP_OK) fail_msg("client init: %s", r.message);
}

static wxp_codepay_req codepay_req(const char *out_trade_no, const char *auth_code, long long fen)
{
    wxp_codepay_req q;
    memset(&q, 0, sizeof q);
    q.appid = APPID;
    q.description = "POS sale";
    q.out_trade_no = out_trade_no;
    q.payer.auth_code = auth_code;
    q.amount.total = fen;
    q.scene_info.device_id = "POS-1";
    q.scene_info.store_info.id = "STORE-1";
    return q;
}

/* What the server's book says about the sale's order, checked against the
   sale. */
static void camp_check(const char *otn, wxp_err e, const wxp_sale *s, const wxp_result *r)
{
    char path[128], body[512], state[24] = "", tid[40] = "", book_state[24] = "";
    const char *bs;
    wxp_v2_order_ref ref;
    wxp_v2_order o;
    wxp_result orr;
    wxp_err oe;
    int st, exists, charged, paid_once = 0;
    long long refunded = 0, reverses = 0, total = 0;

    memset(&ref, 0, sizeof ref);
    ref.appid = APPID;
    ref.out_trade_no = otn;
    memset(&o, 0, sizeof o);
    oe = wxp_v2_orderquery(&oracle, &ref, &o, &orr);
    if (oe == WXP_OK) {
        snprintf(state, sizeof state, "%.*s", (int)o.trade_state.len, o.trade_state.ptr);
        snprintf(tid, sizeof tid, "%.*s", (int)o.transaction_id.len, o.transaction_id.ptr);
        paid_once = tid[0] != 0;
    } else if (!(oe == WXP_E_V2_RESULT && strcmp(orr.code, "ORDERNOTEXIST") == 0)) {
        fail_msg("%s: the oracle's orderquery: %s %s %s", cp.label, wxp_errname(oe), orr.code, orr.message);
    }
    /* The book after the oracle's question (a query may be what pays a
       customer still typing: the sale is UNKNOWN then, whatever the state). */
    snprintf(path, sizeof path, "/sim/order?out_trade_no=%s", otn);
    st = raw_call(cp.ctl, "GET", path, NULL, body, sizeof body, NULL, 0);
    if (st != 200 && st != 404) fail_msg("%s: GET %s: %d %s", cp.label, path, st, body);
    exists = st == 200;
    if (exists) {
        refunded = jnum(body, "refunded");
        reverses = jnum(body, "reverses");
        total = jnum(body, "total");
        if ((bs = strstr(body, "\"trade_state\":\"")) != NULL) {   /* a server that shows it */
            bs += 15;
            snprintf(book_state, sizeof book_state, "%.*s", (int)strcspn(bs, "\""), bs);
            if (strcmp(book_state, state) != 0 && !(strcmp(book_state, "SUCCESS") == 0 && strcmp(state, "REFUND") == 0))
                camp_violation("the book says %s, orderquery %s", book_state, state);
        }
    }
    if ((oe == WXP_OK) != exists) camp_violation("the book and orderquery disagree (exists %d, %s)", exists, state);
    charged = strcmp(state, "SUCCESS") == 0 || strcmp(state, "REFUND") == 0;

    if (s->outcome < 0 || s->outcome >= N_OUTCOMES) {
        camp_violation("outcome %d", s->outcome);
        return;
    }
    if (charged && s->outcome != WXP_SALE_PAID && s->outcome != WXP_SALE_UNKNOWN)
        camp_violation("the customer was charged (%s, %s) but the sale says %s", state, tid, outcome_name[s->outcome]);
    if (s->outcome == WXP_SALE_PAID) {
        if (!charged) camp_violation("PAID, but the order is %s", exists ? state : "not in the book");
        else if (strcmp(s->transaction_id, tid) != 0)
            camp_violation("PAID with transaction_id %s, the order's is %s", s->transaction_id, tid);
    }
    if (s->outcome == WXP_SALE_REVERSED &&
        (!exists || (strcmp(state, "REVOKED") != 0 && strcmp(state, "CLOSED") != 0) || reverses < 1 || refunded))
        camp_violation("REVERSED, but the order is %s (reverses %lld, refunded %lld)", exists ? state : "not in the book",
                       reverses, refunded);
    if ((s->outcome == WXP_SALE_NOT_SENT) != (r->sent == 0))
        camp_violation("%s with result.sent %d", outcome_name[s->outcome], r->sent);
    if (s->outcome == WXP_SALE_NOT_SENT && (exists || cp.server[S_PAY]))
        camp_violation("NOT_SENT, but the server %s", exists ? "booked the order" : "received the payment");
    if (cp.fault == (int)F_REFUSE && cp.step == S_PAY && cp.server[S_PAY] == 0 && s->outcome != WXP_SALE_NOT_SENT)
        camp_violation("the payment's handshake was refused, but the sale says %s", outcome_name[s->outcome]);
    if (cp.seen[S_PAY] != 1) camp_violation("the payment was handed to the transport %u times", cp.seen[S_PAY]);
    if (cp.server[S_PAY] > 1) camp_violation("the server received the payment %u times", cp.server[S_PAY]);
    if (exists && total != CAMP_FEE) camp_violation("the order is of %lld fen, the sale of %d", total, CAMP_FEE);
    if (paid_once && !charged && strcmp(state, "REVOKED") != 0)
        camp_violation("paid once, now %s: where did the money go", state);
    if ((e == WXP_OK) != (s->outcome == WXP_SALE_PAID || s->outcome == WXP_SALE_REVERSED))
        camp_violation("returned %s with outcome %s", wxp_errname(e), outcome_name[s->outcome]);
}

static void camp_sale(int step, int fault, int cust)
{
    const char *only = getenv("POS_CAMPAIGN_ONLY");
    char otn[33];
    wxp_sale_config sc;
    wxp_sale sale;
    wxp_result r;
    wxp_err e;
    long long t0, ms;
    int k;

    snprintf(cp.label, sizeof cp.label, "v%d/%s/%s/%s/%s", cp.api, cp.t->kind == T_SOCK ? "sock" : "curl",
             camp_steps[cp.api == 3][step], camp_faults[fault], camp_customers[cust].label);
    if (only && !strstr(cp.label, only)) return;
    snprintf(otn, sizeof otn, "PC%d%c%d%02d%d", cp.api, cp.t->kind == T_SOCK ? 'S' : 'C', step, fault, cust);
    cp.step = step;
    cp.fault = fault;
    cp.cust = cust;
    cp.lead_pay = (step == S_QUERY && (cust == C_NOW || cust == C_NOMONEY)) || (step == S_REVERSE && cust == C_NOW);
    cp.lead_queries = step == S_REVERSE && (cust == C_NOW || cust == C_POLLS);
    cp.hit = 0;
    cp.refused = 0;
    cp.unsent = 0;
    cp.why[0] = 0;
    cp.pay_err[0] = 0;
    memset(cp.seen, 0, sizeof cp.seen);
    memset(cp.server, 0, sizeof cp.server);
    memset(&sc, 0, sizeof sc);
    sc.total_wait_s = 3;            /* with a poll a second: 3 polls */
    sc.poll_interval_ms = 1000;
    sc.reverse_attempts = 3;
    sc.reverse_interval_ms = 200;
    sc.reverse_after_s = 1;
    sc.sleep = camp_sleep;
    sc.user = &cp;
    memset(&sale, 0, sizeof sale);
    ctl_stats(&cp.prev_reqs, &cp.prev_refused);
    t0 = rig_ms();
    if (cp.api == 2) {
        wxp_micropay_req mp = sale_req(otn, camp_codes[cust], CAMP_FEE);
        e = wxp_pos_sale(&camp_client, &mp, &sc, &sale, &r);
    } else {
        wxp_codepay_req q = codepay_req(otn, camp_codes[cust], CAMP_FEE);
        e = wxp_pos_sale_v3(&camp_client, &q, &sc, &sale, &r);
    }
    ms = rig_ms() - t0;
    camp_check(otn, e, &sale, &r);
    if (fault == (int)F_REFUSE && cp.refused != 1) {
        camp_violation("the refused handshake did not meet the aimed request (%u refused)", cp.refused);
        sim_post(cp.ctl, "/sim/refuse?count=0");
    }
    if (!cp.hit) cp.unreached++;
    if (cp.unsent) cp.transit_sales++;
    cp.sales++;
    if (sale.outcome >= 0 && sale.outcome < N_OUTCOMES) cp.outcomes[cust][sale.outcome]++;
    for (k = 0; k < S_N; k++) {
        cp.handed_total[k] += cp.seen[k];
        cp.server_total[k] += cp.server[k];
    }
    cp.refused_total += cp.refused;
    if (ms > cp.worst_ms) cp.worst_ms = ms;
    if (cp.why[0] || !cp.hit || cp.unsent || cp.verbose)
        printf("[ %-8s ] %s: %s %s (sent %d, queries %u, reverses %u, err_code %s, %lld ms; handed/at the server: "
               "pay %u/%u, query %u/%u, reverse %u/%u; refused %u)%s%s%s%s%s\n",
               cp.why[0] ? "VIOLATED" : !cp.hit ? "UNAIMED" : cp.unsent ? "UNSENT" : "SALE", cp.label,
               outcome_name[sale.outcome], wxp_errname(e), r.sent, sale.queries, sale.reverses,
               sale.err_code[0] ? sale.err_code : "-", ms, cp.seen[S_PAY], cp.server[S_PAY], cp.seen[S_QUERY],
               cp.server[S_QUERY], cp.seen[S_REVERSE], cp.server[S_REVERSE], cp.refused, cp.why[0] ? ": " : "",
               cp.why, cp.unsent && cp.pay_err[0] ? "; the payment failed: " : "", cp.unsent ? cp.pay_err : "",
               cp.why[0] || cp.unsent ? "\n             reproduce: POS_CAMPAIGN_ONLY=<the label less its customer> "
                                        "POS_CAMPAIGN_VERBOSE=2 ./build/socket_transport" : "");
    if (cp.why[0]) cp.violations++;
}

/* One group: a fresh server, its customers, the transport and the clients. */
static void camp_group(int kind, int step)
{
    char host[64], path[160];
    wxp_transport tr;
    int f, c;
    if (!rig_server_start_with(&camp_sim, "--max-conns", "100000", NULL)) fail_msg("the campaign's server did not start");
    tp_open(&camp_ctl, T_SOCK, camp_sim.port, HOST);
    tp_open(&camp_tp, kind, camp_sim.port, HOST);
    cp.ctl = &camp_ctl;
    cp.t = &camp_tp;
    for (c = 0; c < C_N; c++) {
        assert_int_equal(strlen(camp_codes[c]), 18);
        snprintf(path, sizeof path, "/sim/customer?auth_code=%s&%s&balance=" CAMP_WALLET, camp_codes[c],
                 camp_customers[c].query);
        sim_post(&camp_ctl, path);
    }
    snprintf(host, sizeof host, "%s", camp_tp.host);
    tr.fn = camp_transport;
    tr.user = &cp;
    camp_client_open(&camp_client, &camp_keys, camp_slots, camp_io, sizeof camp_io, host, tr, 2);
    tr.fn = wrap_transport;
    tr.user = &camp_ctl;
    camp_client_open(&oracle, &oracle_keys, oracle_slots, oracle_io, sizeof oracle_io, host, tr, 1);
    for (f = 0; f < (int)N_FAULTS; f++)
        for (c = 0; c < C_N; c++) camp_sale(step, f, c);
    wxp_client_wipe(&camp_client);
    wxp_client_wipe(&oracle);
    tp_close(&camp_tp);
    tp_close(&camp_ctl);
    rig_server_stop(&camp_sim);
}

/* Whether the server serves APIv3 code-pay: a code nobody has is refused
   (403 TRADE_ERROR) where it does, 404 where it does not. */
static int codepay_served(void)
{
    char host[64];
    wxp_transport tr;
    wxp_codepay_req q = codepay_req("PCPROBE1", "139999999999999999", 1);
    wxp_transaction tx;
    wxp_result r;
    wxp_err e;
    if (!rig_server_start_with(&camp_sim, "--max-conns", "100000", NULL)) fail_msg("the campaign's server did not start");
    tp_open(&camp_ctl, T_SOCK, camp_sim.port, HOST);
    snprintf(host, sizeof host, "%s", camp_ctl.host);
    tr.fn = wrap_transport;
    tr.user = &camp_ctl;
    camp_client_open(&oracle, &oracle_keys, oracle_slots, oracle_io, sizeof oracle_io, host, tr, 1);
    memset(&tx, 0, sizeof tx);
    e = wxp_transaction_codepay(&oracle, &q, &tx, &r);
    wxp_client_wipe(&oracle);
    tp_close(&camp_ctl);
    rig_server_stop(&camp_sim);
    if (e == WXP_E_HTTP && r.status == 404) return 0;
    if (e != WXP_E_HTTP || r.status != 403) fail_msg("code-pay probe: %s %d %s %s", wxp_errname(e), r.status, r.code, r.message);
    return 1;
}

static void camp_run(tp *t, int api)
{
    long long t0 = rig_ms();
    int s, c, o;
    char line[1024];
    size_t n = 0;
    memset(&cp, 0, sizeof cp);
    cp.api = api;
    cp.slow_ms = under_valgrind() ? CAMP_SLOW_VG : CAMP_SLOW_MS;
    cp.verbose = getenv("POS_CAMPAIGN_VERBOSE") ? atoi(getenv("POS_CAMPAIGN_VERBOSE")) : 0;
    if (api == 3 && !codepay_served()) {
        printf("[ CAMPAIGN ] APIv3 %s: the server does not serve /v3/pay/transactions/codepay: skipped\n",
               t->kind == T_SOCK ? "sock" : "curl");
        skip();
    }
    for (s = 0; s < 3; s++) camp_group(t->kind, s);
    n += (size_t)snprintf(line + n, sizeof line - n,
                          "[ CAMPAIGN ] APIv%d %s: %u sales (3 steps x %u faults x %d customers) in %.1f s, the "
                          "longest %lld ms:",
                          api, t->kind == T_SOCK ? "sock" : "curl", cp.sales, (unsigned)N_FAULTS, C_N,
                          (double)(rig_ms() - t0) / 1000.0, cp.worst_ms);
    for (o = 0; o < N_OUTCOMES; o++) {
        unsigned sum = 0;
        for (c = 0; c < C_N; c++) sum += cp.outcomes[c][o];
        n += (size_t)snprintf(line + n, sizeof line - n, " %s %u", outcome_name[o], sum);
    }
    for (c = 0; c < C_N; c++)
        n += (size_t)snprintf(line + n, sizeof line - n, "%s %s P/R/U/N %u/%u/%u/%u", c ? "," : ";",
                              camp_customers[c].name, cp.outcomes[c][WXP_SALE_PAID], cp.outcomes[c][WXP_SALE_REVERSED],
                              cp.outcomes[c][WXP_SALE_UNKNOWN], cp.outcomes[c][WXP_SALE_NOT_SENT]);
    n += (size_t)snprintf(line + n, sizeof line - n,
                          "; requests handed/at the server: %s %u/%u, %s %u/%u, reverse %u/%u; handshakes refused "
                          "%u; handed over but never at the server (not refused): %s %u, query %u, reverse %u, in %u "
                          "sales; steps not reached %u; invariant violations %u",
                          camp_steps[api == 3][S_PAY], cp.handed_total[S_PAY], cp.server_total[S_PAY],
                          api == 3 ? "query" : "orderquery", cp.handed_total[S_QUERY], cp.server_total[S_QUERY],
                          cp.handed_total[S_REVERSE], cp.server_total[S_REVERSE], cp.refused_total,
                          camp_steps[api == 3][S_PAY], cp.transit[S_PAY], cp.transit[S_QUERY], cp.transit[S_REVERSE],
                          cp.transit_sales, cp.unreached, cp.violations);
    printf("%s\n", line);
    if (!getenv("POS_CAMPAIGN_ONLY")) assert_int_equal(cp.unreached, 0);
    assert_int_equal(cp.violations, 0);
}

static void t_pos_campaign(void **state) { camp_run((tp *)*state, 2); }
static void t_pos_campaign_v3(void **state) { camp_run((tp *)*state, 3); }

/* ---- HTTP ------------------------------------------------------------------------ */

static void t_keepalive(void **state)
{
    tp *t = (tp *)*state;
    wxp_refund out;
    wxp_result r;
    long long c0, c1, q0, q1;
    client_open(t, 1, NULL);
    c0 = stat_of(t, "connections");
    q0 = stat_of(t, "requests");
    assert_int_equal(wxp_refund_query(&client, "NO-SUCH-1", NULL, &out, &r), WXP_E_HTTP);
    assert_int_equal(wxp_refund_query(&client, "NO-SUCH-2", NULL, &out, &r), WXP_E_HTTP);
    assert_int_equal(r.status, 404);            /* a verified error answer */
    c1 = stat_of(t, "connections");
    q1 = stat_of(t, "requests");
    assert_int_equal(c1, c0);                   /* one TCP connection for all six */
    assert_int_equal(q1 - q0, 4);              /* two queries, two stats */
    if (t->kind == T_SOCK) {
        assert_int_equal(t->sock.connects, 1);
        assert_int_equal(t->sock.requests, 6);
    }
    wxp_client_wipe(&client);
}

static void t_answer_shapes(void **state)
{
    tp *t = (tp *)*state;
    static const char *const shapes[] = { "chunked", "interim", "chunked,interim", "no-length" };
    const char *order = id(t, "ORDER-SH-", 1), *rno = id(t, "REFUND-SH-", 1);
    wxp_refund out;
    wxp_result r;
    size_t i;
    add_order(t, order, NULL, 700);
    client_open(t, 1, NULL);
    assert_int_equal(refund(t, order, rno, 70, 700, &out, &r), WXP_OK);
    for (i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        t->fault = shapes[i];
        t->fault_times = 1;
        memset(&out, 0, sizeof out);
        if (wxp_refund_query(&client, rno, NULL, &out, &r) != WXP_OK) fail_msg("%s: %s", shapes[i], r.message);
        STR_EQ(out.out_refund_no, rno);
    }
    /* 404s in chunks are verified too */
    t->fault = "chunked";
    t->fault_times = 1;
    assert_int_equal(wxp_refund_query(&client, "NO-SUCH", NULL, &out, &r), WXP_E_HTTP);
    assert_string_equal(r.code, "RESOURCE_NOT_EXISTS");
    wxp_client_wipe(&client);
}

static void t_connection_close(void **state)
{
    tp *t = (tp *)*state;
    wxp_refund out;
    wxp_result r;
    long long c0, c1;
    client_open(t, 1, NULL);
    c0 = stat_of(t, "connections");
    t->fault = "close";                         /* "Connection: close": the client closes */
    t->fault_times = 1;
    assert_int_equal(wxp_refund_query(&client, "NO-SUCH", NULL, &out, &r), WXP_E_HTTP);
    t->fault = "drop-after";                    /* closed while idle: found dead, reopened */
    t->fault_times = 1;
    assert_int_equal(wxp_refund_query(&client, "NO-SUCH", NULL, &out, &r), WXP_E_HTTP);
    assert_int_equal(wxp_refund_query(&client, "NO-SUCH", NULL, &out, &r), WXP_E_HTTP);
    c1 = stat_of(t, "connections");
    assert_int_equal(c1 - c0, 2);
    if (t->kind == T_SOCK) assert_int_equal(t->sock.connects, 3);
    wxp_client_wipe(&client);
}

/* ---- the sockets transport alone --------------------------------------------------- */

/* The embedded seam: the same TLS + HTTP code over I/O callbacks of our own
   (here they count bytes and pass them to the POSIX ones). */
typedef struct counting_io { wxp_sock_io below; unsigned long long rd, wr; int opens, closes; } counting_io;
static int cio_open(void *u, const char *h, unsigned p, unsigned ms, char *e, size_t n)
{
    counting_io *c = (counting_io *)u;
    c->opens++;
    return c->below.open(c->below.user, h, p, ms, e, n);
}
static long cio_read(void *u, unsigned char *b, size_t n, unsigned ms)
{
    counting_io *c = (counting_io *)u;
    long r = c->below.read(c->below.user, b, n, ms);
    if (r > 0) c->rd += (unsigned long long)r;
    return r;
}
static long cio_write(void *u, const unsigned char *b, size_t n, unsigned ms)
{
    counting_io *c = (counting_io *)u;
    long r = c->below.write(c->below.user, b, n, ms);
    if (r > 0) c->wr += (unsigned long long)r;
    return r;
}
static void cio_close(void *u)
{
    counting_io *c = (counting_io *)u;
    c->closes++;
    c->below.close(c->below.user);
}

static void t_sock_custom_io_mono_buffer(void **state)
{
    static unsigned char mono[BR_SSL_BUFSIZE_MONO];
    static wxp_sock s;
    wxp_sock_posix net;
    counting_io cio;
    wxp_sock_config sc;
    tp t;
    wxp_refund out;
    wxp_result r;
    (void)state;
    memset(&cio, 0, sizeof cio);
    wxp_sock_posix_init(&net);
    cio.below = wxp_sock_posix_io(&net);
    memset(&sc, 0, sizeof sc);
    sc.io.open = cio_open;
    sc.io.read = cio_read;
    sc.io.write = cio_write;
    sc.io.close = cio_close;
    sc.io.user = &cio;                          /* no now_ms: each wait is bounded instead */
    sc.anchors = anchors;
    sc.anchor_count = anchor_count;
    sc.tls_buf = mono;                          /* half-duplex buffer: HTTP needs no more */
    sc.tls_buf_size = sizeof mono;
    sc.connect_to = "127.0.0.1";
    sc.clock.fn = fixed_clock;
    sc.clock.user = &fixed_now;
    assert_int_equal(wxp_sock_init(&s, &sc, &r), WXP_OK);
    memset(&t, 0, sizeof t);
    t.kind = T_SOCK;
    snprintf(t.host, sizeof t.host, "%s:%u", HOST, sim.port);
    transport_override = wxp_sock_as_transport(&s);   /* no wrapper: this wxp_sock */
    client_open(&t, 1, NULL);
    memset(&transport_override, 0, sizeof transport_override);
    assert_int_equal(wxp_refund_query(&client, "NO-SUCH", NULL, &out, &r), WXP_E_HTTP);
    assert_int_equal(r.status, 404);
    assert_int_equal(wxp_refund_query(&client, "NO-SUCH", NULL, &out, &r), WXP_E_HTTP);
    assert_int_equal(cio.opens, 1);
    assert_true(cio.rd > 1000 && cio.wr > 1000);
    wxp_sock_close(&s);
    assert_int_equal(cio.closes, 1);
    wxp_client_wipe(&client);

    /* Bad configurations are named. */
    sc.tls_buf_size = BR_SSL_BUFSIZE_MONO - 1;
    assert_int_equal(wxp_sock_init(&s, &sc, &r), WXP_E_ARG);
    assert_string_equal(r.field, "tls_buf");
    sc.tls_buf_size = sizeof mono;
    sc.io.read = NULL;
    assert_int_equal(wxp_sock_init(&s, &sc, &r), WXP_E_ARG);
    assert_string_equal(r.field, "io");
}

static void t_sock_anchors(void **state)
{
    static char bundle[16384];
    static char rogue_ca[4096];
    br_x509_trust_anchor ta[2];
    unsigned char arena[4096];
    size_t n = 0, used = 0, n1, used1;
    wxp_result r;
    (void)state;
    load(CERTS "rogue_ca.pem", rogue_ca, sizeof rogue_ca);
    snprintf(bundle, sizeof bundle, "# a bundle\n%s\n%s", ca_pem, rogue_ca);
    /* measure, then load */
    assert_int_equal(wxp_sock_anchors_load(NULL, 0, NULL, 0, wxp_cstr(bundle), &n, &used, &r), WXP_OK);
    assert_int_equal(n, 2);
    assert_true(used > 2 * 256 && used < 2 * 700);
    assert_int_equal(wxp_sock_anchors_load(ta, 2, arena, used, wxp_cstr(bundle), &n1, &used1, &r), WXP_OK);
    assert_int_equal(n1, 2);
    assert_int_equal(used1, used);
    assert_true(ta[0].flags & BR_X509_TA_CA);
    assert_int_equal(ta[0].pkey.key_type, BR_KEYTYPE_RSA);
    assert_int_equal(ta[0].pkey.key.rsa.nlen, 256);
    /* too small: named, with the sizes */
    assert_int_equal(wxp_sock_anchors_load(ta, 1, arena, sizeof arena, wxp_cstr(bundle), &n, &used1, &r),
                     WXP_E_NOSPACE);
    assert_string_equal(r.field, "anchors");
    assert_int_equal(n, 2);
    assert_int_equal(wxp_sock_anchors_load(ta, 2, arena, 100, wxp_cstr(bundle), &n, &used1, &r), WXP_E_NOSPACE);
    assert_string_equal(r.field, "arena");
    assert_int_equal(r.needed, used);
    /* no certificate; a cut one */
    assert_int_equal(wxp_sock_anchors_load(ta, 2, arena, sizeof arena, wxp_cstr(WXP_TEST_MERCHANT_PUB), &n,
                                           &used1, &r), WXP_E_KEY);
    bundle[strlen(ca_pem) / 2] = 0;
    assert_int_not_equal(wxp_sock_anchors_load(ta, 2, arena, sizeof arena, wxp_cstr(bundle), &n, &used1, &r),
                         WXP_OK);
    /* a chain */
    {
        br_x509_certificate chain[2];
        unsigned char der[4096];
        assert_int_equal(wxp_sock_chain_load(chain, 2, der, sizeof der, wxp_cstr(client_pem), &n, &used1, &r),
                         WXP_OK);
        assert_int_equal(n, 1);
        assert_true(chain[0].data_len > 500 && chain[0].data == der);
    }
}

/* Peak memory: the structs, and the stack of one call (connect, TLS handshake
   with the client certificate, request, answer) measured on a painted stack. */
#define PAINT_STACK (256 * 1024)
static unsigned char paint[PAINT_STACK];
static tp *mem_tp;
static int mem_status;

static void *mem_call(void *arg)
{
    wxp_client_cert cc;
    char body[512];
    (void)arg;
    cc.cert_pem = wxp_cstr(client_pem);
    cc.key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    mem_status = raw_call(mem_tp, "GET", "/sim/stats", &cc, body, sizeof body, NULL, 0);
    return NULL;
}

static size_t stack_peak(tp *t)
{
    pthread_attr_t at;
    pthread_t th;
    size_t i;
    memset(paint, 0xA5, sizeof paint);
    mem_tp = t;
    assert_int_equal(pthread_attr_init(&at), 0);
    assert_int_equal(pthread_attr_setstack(&at, paint, sizeof paint), 0);
    assert_int_equal(pthread_create(&th, &at, mem_call, NULL), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    pthread_attr_destroy(&at);
    assert_int_equal(mem_status, 200);
    for (i = 0; i < sizeof paint && paint[i] == 0xA5; i++) {}
    return sizeof paint - i;                    /* the stack grows down */
}

static void t_sock_memory(void **state)
{
    tp *t = (tp *)*state;
    const char *pre = getenv("LD_PRELOAD");
    size_t first = 0, again = 0;
    /* Under valgrind a dead thread's stack is unaddressable: not measured there. */
    if (!pre || !strstr(pre, "vgpreload")) {
        first = stack_peak(t);                  /* connect + handshake with mTLS + one answer */
        again = stack_peak(t);                  /* a kept connection: request + answer */
    }
    printf("[ MEMORY   ] wxp_sock %zu B (br_ssl_client_context %zu, br_x509_minimal_context %zu, "
           "client key %zu, chain %d, line %d); TLS buffer %d (BIDI) or %d (MONO); "
           "anchors here %zu B arena + %zu B array; wxp_sock_posix %zu B; "
           "stack peak %zu B (connect + mTLS handshake, thread incl.), %zu B (kept connection)\n",
           sizeof(wxp_sock), sizeof(br_ssl_client_context), sizeof(br_x509_minimal_context),
           sizeof(wxp_rsa_key), WXP_SOCK_CHAIN_BYTES, WXP_SOCK_LINE_MAX, BR_SSL_BUFSIZE_BIDI,
           BR_SSL_BUFSIZE_MONO, anchor_used, sizeof anchors, sizeof(wxp_sock_posix), first, again);
    assert_true(first < 64 * 1024);
    assert_true(sizeof(wxp_sock) < 16 * 1024);
}

/* ---- main ------------------------------------------------------------------------- */

#define BOTH(f) cmocka_unit_test_prestate_setup_teardown(f, setup, teardown, (void *)(intptr_t)T_SOCK), \
                cmocka_unit_test_prestate_setup_teardown(f, setup, teardown, (void *)(intptr_t)T_CURL)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(t_refund_apply_query),
        BOTH(t_v2_refund_mtls),
        BOTH(t_v2_refund_without_cert),
        BOTH(t_callback),
        BOTH(t_fault_close_mid_body),
        BOTH(t_fault_slow),
        BOTH(t_fault_500),
        BOTH(t_fault_code),
        BOTH(t_fault_huge),
        BOTH(t_wrong_server_cert),
        BOTH(t_wrong_host_name),
        BOTH(t_retry_refunded_once),
        BOTH(t_keepalive),
        BOTH(t_answer_shapes),
        BOTH(t_connection_close),
        BOTH(t_lost_post_sent_once),
        BOTH(t_lost_post_reconnect_refused),
        BOTH(t_lost_get),
        BOTH(t_pos_sale_lost_micropay),
        BOTH(t_offline_sale_not_sent),
        BOTH(t_bill_download),
        BOTH(t_media_upload),
        BOTH(t_micropay_query_reverse),
        BOTH(t_pos_campaign),
        BOTH(t_pos_campaign_v3),
        cmocka_unit_test(t_sock_custom_io_mono_buffer),
        cmocka_unit_test(t_sock_anchors),
        cmocka_unit_test_prestate_setup_teardown(t_sock_memory, setup, teardown, (void *)(intptr_t)T_SOCK),
    };
    wxp_result r;
    int rc;

    signal(SIGPIPE, SIG_IGN);
    load(CERTS "ca.pem", ca_pem, sizeof ca_pem);
    load(CERTS "client_cert.pem", client_pem, sizeof client_pem);
    load(CERTS "rogue_client_cert.pem", rogue_client_pem, sizeof rogue_client_pem);
    if (wxp_sock_anchors_load(anchors, 4, anchor_arena, sizeof anchor_arena, wxp_cstr(ca_pem), &anchor_count,
                              &anchor_used, &r) != WXP_OK) {
        fprintf(stderr, "the test CA: %s\n", r.message);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (!rig_server_start_with(&sim, NULL, NULL, NULL) || !rig_server_start_with(&rogue, "--wrong-cert", NULL, NULL)) {
        rig_server_stop(&sim);
        rig_server_stop(&rogue);
        return 1;
    }
    rc = cmocka_run_group_tests_name("socket_transport", tests, NULL, NULL);
    rig_server_stop(&sim);
    rig_server_stop(&rogue);
    curl_global_cleanup();
    return rc;
}
