/* tests/sim_rig.h - what the programs that drive the loopback simulator server
   share (tests/session.c, tests/lwip_transport.c, bench/session.c): start and
   stop build/wxp_sim_server, its CA as trust anchors, a client for it over any
   transport, a control connection for the test endpoints (/sim/...), and an
   I/O seam that counts what crosses it (and may add a round-trip delay).

   Include it once, after wechatpay.h and transports/wechatpay_socket.h with
   their implementations, with _POSIX_C_SOURCE 200809L defined first. Every
   wait is bounded; the server exits by itself after RIG_LIFE_S. */
#ifndef WXP_SIM_RIG_H
#define WXP_SIM_RIG_H

#include "examples/test_keys.h"
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SIM_SERVER
#define SIM_SERVER "build/wxp_sim_server"
#endif
#define RIG_HOST   "api.mch.weixin.qq.com"
#define RIG_BACKUP "api2.mch.weixin.qq.com"
#define RIG_APPID  "wx2421b1c4370ec43b"
#define RIG_NOW    1795425372LL         /* the simulator's clock, and the client's */
#ifndef RIG_LIFE_S
#define RIG_LIFE_S "300"                /* the server exits by then, whatever happens */
#endif
#define RIG_CALL_MS 20000

#if defined(__GNUC__) || defined(__clang__)
#define RIG_FN static __attribute__((unused))
#define RIG_VAR static __attribute__((unused))
#else
#define RIG_FN static
#define RIG_VAR static
#endif

typedef struct rig_server { pid_t pid; unsigned port; } rig_server;

RIG_FN long long rig_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

RIG_FN void rig_sleep_ms(unsigned ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0) {}
}

/* Starts the server (WXP_SIM_SERVER, else SIM_SERVER) with up to three more
   arguments (NULL ends them: "--wrong-cert", "--notify-scale", "1000"...);
   its port, or 0. */
RIG_FN unsigned rig_server_start_with(rig_server *p, const char *a1, const char *a2, const char *a3)
{
    const char *bin = getenv("WXP_SIM_SERVER") ? getenv("WXP_SIM_SERVER") : SIM_SERVER;
    char line[64];
    size_t n = 0;
    long long end = rig_ms() + 15000;
    int fds[2];
    p->port = 0;
    if (pipe(fds) != 0) return 0;
    p->pid = fork();
    if (p->pid < 0) return 0;
    if (p->pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execl(bin, bin, "--life", RIG_LIFE_S, "--now", "1795425372", a1, a2, a3, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    while (n + 1 < sizeof line && rig_ms() < end) {
        struct pollfd pf;
        pf.fd = fds[0];
        pf.events = POLLIN;
        pf.revents = 0;
        if (poll(&pf, 1, 500) <= 0) continue;
        if (read(fds[0], line + n, 1) <= 0 || line[n] == '\n') break;
        n++;
    }
    line[n] = 0;
    close(fds[0]);
    if (strncmp(line, "PORT ", 5) != 0) {
        fprintf(stderr, "could not start %s (run from the repository root after make)\n", bin);
        return 0;
    }
    p->port = (unsigned)atoi(line + 5);
    return p->port;
}

RIG_FN unsigned rig_server_start(rig_server *p) { return rig_server_start_with(p, NULL, NULL, NULL); }

RIG_FN void rig_server_stop(rig_server *p)
{
    int st, k;
    if (p->pid <= 0) return;
    kill(p->pid, SIGTERM);
    for (k = 0; k < 200 && waitpid(p->pid, &st, WNOHANG) == 0; k++) rig_sleep_ms(10);
    if (k == 200) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, &st, 0);
    }
    p->pid = 0;
}

/* ---- files, trust anchors, clock ------------------------------------------------- */

RIG_VAR char rig_ca_pem[8192], rig_client_pem[8192];
RIG_VAR br_x509_trust_anchor rig_anchors[4];
RIG_VAR size_t rig_anchor_count;
RIG_VAR unsigned char rig_anchor_arena[4096];
RIG_VAR long long rig_now = RIG_NOW;

RIG_FN long long rig_clock(void *user) { return *(const long long *)user; }

RIG_FN int rig_load(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    if (!f) {
        fprintf(stderr, "cannot read %s (run from the repository root)\n", path);
        return -1;
    }
    n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = 0;
    return 0;
}

/* The test CA as trust anchors, and the merchant's client certificate. 0 or -1. */
RIG_FN int rig_files(void)
{
    size_t used;
    wxp_result r;
    if (rig_load("tests/server/certs/ca.pem", rig_ca_pem, sizeof rig_ca_pem) ||
        rig_load("tests/server/certs/client_cert.pem", rig_client_pem, sizeof rig_client_pem))
        return -1;
    if (wxp_sock_anchors_load(rig_anchors, 4, rig_anchor_arena, sizeof rig_anchor_arena, wxp_cstr(rig_ca_pem),
                              &rig_anchor_count, &used, &r) != WXP_OK) {
        fprintf(stderr, "anchors: %s\n", r.message);
        return -1;
    }
    return 0;
}

/* A wxp_sock_config for the server: the anchors, the clock, tls_buf, sock_io. */
RIG_FN wxp_sock_config rig_sock_config(wxp_sock_io sock_io, void *tls_buf, size_t tls_size)
{
    wxp_sock_config sc;
    memset(&sc, 0, sizeof sc);
    sc.io = sock_io;
    sc.anchors = rig_anchors;
    sc.anchor_count = rig_anchor_count;
    sc.tls_buf = tls_buf;
    sc.tls_buf_size = tls_size;
    sc.clock.fn = rig_clock;
    sc.clock.user = &rig_now;
    return sc;
}

/* ---- the client ------------------------------------------------------------------ */

typedef struct rig_client {
    wxp_client    c;
    wxp_pubkey    slots[2];
    wxp_keystore  keys;
    unsigned char io[WXP_IO_BUFSIZE_DEFAULT];
} rig_client;

/* A client of the test merchant talking to host (failing over to backup,
   NULL: none) through t. 0 or -1. */
RIG_FN int rig_client_open(rig_client *k, wxp_transport t, const char *host, const char *backup)
{
    wxp_config cfg;
    wxp_result r;
    memset(&cfg, 0, sizeof cfg);
    wxp_keystore_init(&k->keys, k->slots, 2);
    if (wxp_keystore_add_pubkey(&k->keys, WXP_TEST_PUB_KEY_ID, wxp_cstr(WXP_TEST_WECHATPAY_PUB), &r) != WXP_OK)
        return -1;
    cfg.mchid = WXP_TEST_MCHID;
    cfg.serial = WXP_TEST_SERIAL;
    cfg.private_key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    cfg.apiv3_key = wxp_cstr(WXP_TEST_APIV3_KEY);
    cfg.apiv2_key = wxp_cstr(WXP_TEST_APIV2_KEY);
    cfg.client_cert.cert_pem = wxp_cstr(rig_client_pem);
    cfg.client_cert.key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    cfg.keys = &k->keys;
    cfg.clock.fn = rig_clock;
    cfg.clock.user = &rig_now;
    cfg.host = host;
    cfg.backup_host = backup;
    cfg.timeout_ms = RIG_CALL_MS;
    cfg.io_buf = k->io;
    cfg.io_buf_size = sizeof k->io;
    cfg.transport = t;
    if (wxp_client_init(&k->c, &cfg, &r) != WXP_OK) {
        fprintf(stderr, "client init: %s\n", r.message);
        return -1;
    }
    return 0;
}

/* ---- the control connection: the server's test endpoints --------------------------- */

typedef struct rig_ctl {
    wxp_sock       sock;
    unsigned char  tls[BR_SSL_BUFSIZE_BIDI];
    char           host[64];
} rig_ctl;

/* The control connection over sock_io, to the server at connect_to, port. */
RIG_FN int rig_ctl_open(rig_ctl *t, unsigned port, wxp_sock_io sock_io, const char *connect_to)
{
    wxp_sock_config sc;
    wxp_result r;
    sc = rig_sock_config(sock_io, t->tls, sizeof t->tls);
    sc.connect_to = connect_to;
    snprintf(t->host, sizeof t->host, "%s:%u", RIG_HOST, port);
    return wxp_sock_init(&t->sock, &sc, &r) == WXP_OK ? 0 : -1;
}

/* One unsigned request through s (the tests' raw calls): the HTTP status with
   the body NUL-ended in out, or minus the transport's failure with its reason
   in out. h (nh of them) and cc may be NULL. */
RIG_FN int rig_request(wxp_sock *s, const char *host, const char *method, const char *path, const wxp_http_header *h,
                       size_t nh, const wxp_client_cert *cc, unsigned timeout_ms, char *out, size_t cap)
{
    wxp_http_request req;
    wxp_http_response res;
    char eb[WXP_ERRBUF_SIZE];
    wxp_str b;
    int rc;
    memset(&req, 0, sizeof req);
    req.method = method;
    req.host = host;
    req.path = wxp_cstr(path);
    req.headers = h;
    req.header_count = nh;
    req.client_cert = cc;
    req.timeout_ms = timeout_ms;
    wxp_http_response_init(&res, out, cap - 1);
    if ((rc = wxp_sock_transport(s, &req, &res, eb, sizeof eb)) != 0) {
        snprintf(out, cap, "%s", eb);
        return -rc;
    }
    b = wxp_http_response_body(&res);
    out[b.len] = 0;
    return wxp_http_response_get_status(&res);
}

/* method path on the control connection: the status (body in out, NUL-ended), or < 0. */
RIG_FN int rig_ctl_call(rig_ctl *t, const char *method, const char *path, char *out, size_t cap)
{
    return rig_request(&t->sock, t->host, method, path, NULL, 0, NULL, RIG_CALL_MS, out, cap);
}

/* "key":<integer> of the server's /sim/stats, or -1. */
RIG_FN long long rig_stat(rig_ctl *t, const char *key)
{
    char body[512], k[64];
    const char *p;
    if (rig_ctl_call(t, "GET", "/sim/stats", body, sizeof body) != 200) return -1;
    snprintf(k, sizeof k, "\"%s\":", key);
    p = strstr(body, k);
    return p ? atoll(p + strlen(k)) : -1;
}

/* A customer at the till who pays at once, from balance fen. 0 or -1. */
RIG_FN int rig_customer(rig_ctl *t, const char *auth_code, long long balance)
{
    char path[160], body[256];
    snprintf(path, sizeof path, "/sim/customer?auth_code=%s&pay=now&balance=%lld", auth_code, balance);
    return rig_ctl_call(t, "POST", path, body, sizeof body) == 200 ? 0 : -1;
}

/* A paid order the merchant may refund. 0 or -1. */
RIG_FN int rig_order(rig_ctl *t, const char *out_trade_no, long long total)
{
    char path[160], body[256];
    snprintf(path, sizeof path, "/sim/order?out_trade_no=%s&total=%lld", out_trade_no, total);
    return rig_ctl_call(t, "POST", path, body, sizeof body) == 200 ? 0 : -1;
}

/* ---- a sale ------------------------------------------------------------------------- */

RIG_FN void rig_no_sleep(void *user, unsigned ms) { (void)user; (void)ms; }

/* One APIv2 barcode sale (wxp_pos_sale) of fen by auth_code: 0 when it ends
   PAID, else -1 with the reason printed. */
RIG_FN int rig_sale(wxp_client *c, const char *out_trade_no, const char *auth_code, long long fen)
{
    wxp_micropay_req q;
    wxp_sale_config sc;
    wxp_sale sale;
    wxp_result r;
    wxp_err e;
    memset(&q, 0, sizeof q);
    q.appid = RIG_APPID;
    q.body = "POS sale";
    q.out_trade_no = out_trade_no;
    q.total_fee = fen;
    q.spbill_create_ip = "14.17.22.52";
    q.auth_code = auth_code;
    memset(&sc, 0, sizeof sc);
    sc.sleep = rig_no_sleep;
    e = wxp_pos_sale(c, &q, &sc, &sale, &r);
    if (e != WXP_OK || sale.outcome != WXP_SALE_PAID) {
        fprintf(stderr, "sale %s: %s, outcome %d, %s\n", out_trade_no, wxp_errname(e), sale.outcome, r.message);
        return -1;
    }
    return 0;
}

/* ---- an I/O seam that counts (and may delay) ------------------------------------------ */

/* Wraps another wxp_sock_io: counts connections opened and round trips (a
   read that brings bytes after a write: the peer answered a flight), and
   sleeps rtt_ms for each of both, as a link with that round-trip time would. */
typedef struct rig_meter {
    wxp_sock_io   inner;
    unsigned      rtt_ms;
    unsigned long opens, turns;
    unsigned long tries;            /* opens asked for, refused ones included */
    int           wrote;            /* a write since the last read that brought bytes */
} rig_meter;

RIG_FN int rig_meter_open(void *user, const char *host, unsigned port, unsigned ms, char *eb, size_t cap)
{
    rig_meter *m = (rig_meter *)user;
    int rc = m->inner.open(m->inner.user, host, port, ms, eb, cap);
    m->tries++;
    if (rc == 0) {
        m->opens++;
        m->wrote = 0;
        if (m->rtt_ms) rig_sleep_ms(m->rtt_ms);     /* SYN, SYN-ACK */
    }
    return rc;
}

RIG_FN long rig_meter_read(void *user, unsigned char *buf, size_t len, unsigned ms)
{
    rig_meter *m = (rig_meter *)user;
    long n;
    if (m->wrote && ms && m->rtt_ms) rig_sleep_ms(m->rtt_ms);  /* the flight's way there and back */
    n = m->inner.read(m->inner.user, buf, len, ms);
    if (n > 0 && m->wrote) {
        m->turns++;
        m->wrote = 0;
    }
    return n;
}

RIG_FN long rig_meter_write(void *user, const unsigned char *buf, size_t len, unsigned ms)
{
    rig_meter *m = (rig_meter *)user;
    long n = m->inner.write(m->inner.user, buf, len, ms);
    if (n > 0) m->wrote = 1;
    return n;
}

RIG_FN void rig_meter_close(void *user)
{
    rig_meter *m = (rig_meter *)user;
    m->inner.close(m->inner.user);
}

RIG_FN unsigned long long rig_meter_now(void *user)
{
    rig_meter *m = (rig_meter *)user;
    return m->inner.now_ms ? m->inner.now_ms(m->inner.user) : 0;
}

RIG_FN wxp_sock_io rig_meter_io(rig_meter *m, wxp_sock_io inner, unsigned rtt_ms)
{
    wxp_sock_io sock_io;
    memset(m, 0, sizeof *m);
    m->inner = inner;
    m->rtt_ms = rtt_ms;
    sock_io.open = rig_meter_open;
    sock_io.read = rig_meter_read;
    sock_io.write = rig_meter_write;
    sock_io.close = rig_meter_close;
    sock_io.now_ms = inner.now_ms ? rig_meter_now : NULL;
    sock_io.user = m;
    return sock_io;
}

#ifndef WXP_SOCK_NO_POSIX
/* ---- a session of sales through the sockets transport, measured ----------------------- */

typedef struct rig_session_result {
    unsigned long      connects, resumed;       /* the transport's */
    long long          full_srv, resumed_srv;   /* the server's count of handshakes */
    unsigned long      opens, turns;            /* the seam's: TCP connections, round trips */
    unsigned long      requests;
    unsigned long long bytes_out, bytes_in;
    long long          wall_ms;
} rig_session_result;

typedef struct rig_session {
    wxp_sock       sock;
    wxp_sock_posix net;
    rig_meter      meter;
    unsigned char  tls[BR_SSL_BUFSIZE_BIDI];
    rig_client     client;
    char           host[64];
} rig_session;

/* sales POS sales (APIv2 wxp_pos_sale, each ending PAID) by one terminal
   through the sockets transport over a counting seam with rtt_ms of delay per
   round trip; keepalive 0 closes after every answer, resume 0 does a full
   handshake on every connection. tag makes the order numbers unique. 0 or -1. */
RIG_FN int rig_session_run(rig_session *g, rig_ctl *ctl, unsigned port, int keepalive, int resume,
                           unsigned sales, unsigned rtt_ms, const char *tag, rig_session_result *out)
{
    wxp_sock_config sc;
    wxp_result r;
    char code[24], order[40];
    long long f0, r0, t0;
    unsigned i;
    memset(out, 0, sizeof *out);
    /* The customer: one wallet for the whole session (auth codes are 18 digits). */
    snprintf(code, sizeof code, "1345678901%08u", (unsigned)(tag[0] * 131u + tag[1]) % 100000000u);
    if (rig_customer(ctl, code, 100000000LL) != 0) return -1;
    wxp_sock_posix_init(&g->net);
    sc = rig_sock_config(rig_meter_io(&g->meter, wxp_sock_posix_io(&g->net), rtt_ms), g->tls, sizeof g->tls);
    sc.connect_to = "127.0.0.1";
    sc.no_keepalive = !keepalive;
    sc.no_resume = !resume;
    if (wxp_sock_init(&g->sock, &sc, &r) != WXP_OK) return -1;
    snprintf(g->host, sizeof g->host, "%s:%u", RIG_HOST, port);
    if (rig_client_open(&g->client, wxp_sock_as_transport(&g->sock), g->host, NULL) != 0) return -1;
    f0 = rig_stat(ctl, "full_handshakes");
    r0 = rig_stat(ctl, "resumed_handshakes");
    t0 = rig_ms();
    for (i = 0; i < sales; i++) {
        snprintf(order, sizeof order, "SESSION-%s-%u", tag, i);
        if (rig_sale(&g->client.c, order, code, 100 + i) != 0) return -1;
    }
    out->wall_ms = rig_ms() - t0;
    out->full_srv = rig_stat(ctl, "full_handshakes") - f0;
    out->resumed_srv = rig_stat(ctl, "resumed_handshakes") - r0;
    out->connects = g->sock.connects;
    out->resumed = g->sock.resumed;
    out->requests = g->sock.requests;
    out->bytes_out = g->sock.bytes_out;
    out->bytes_in = g->sock.bytes_in;
    out->opens = g->meter.opens;
    out->turns = g->meter.turns;
    wxp_sock_forget(&g->sock);
    wxp_client_wipe(&g->client.c);
    return 0;
}
#endif /* WXP_SOCK_NO_POSIX */

#endif /* WXP_SIM_RIG_H */
