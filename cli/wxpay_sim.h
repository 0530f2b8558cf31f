/* cli/wxpay_sim.h - the WeChat Pay simulator as wxpay runs it: its demo book,
   its journal, and behind HTTPS on 127.0.0.1 (`wxpay serve`). One code path
   for three programs: `wxpay --simulator` (in-process, cli/wxpay.c), `wxpay
   serve`, and the transports' integration-test server
   (tests/server/wxp_sim_server.c: sim_serve with the tests' defaults).

   THROWAWAY keys only. It binds the loopback address only, and it obeys a
   fault header and test endpoints that no real server has. Never expose it.

   The file is the prelude of the program that includes it: it defines the
   implementations of wechatpay.h, the simulator (transports/wechatpay_fake.h)
   and the sockets transport (for the callbacks it POSTs), and includes them.

   The server: BearSSL's TLS 1.2 server (br_ssl_server_init_full_rsa) with
   the server certificate for api.mch.weixin.qq.com (and api2, localhost,
   127.0.0.1 in a `wxpay serve --init` directory) from the certificates
   directory, or with --wrong-cert one for the same names from a CA nobody
   trusts. Every handshake asks for a client certificate (the CA names of
   ca.pem) and tolerates none; a chain that verifies against ca.pem marks the
   connection as mutually authenticated. Each HTTP/1.1 request (keep-alive, up
   to 1000 per connection) goes to wxp_fake_transport() with
   require_client_cert: so /secapi/ paths need that client certificate, and
   the simulator's "no answer" (a missing certificate, a lost answer) closes
   the connection without a byte, as WeChat Pay's refused handshake does.
   TLS sessions are cached (BearSSL's LRU cache, 16 KB, about 160 sessions),
   so a client that offers one again resumes it; /sim/stats counts full and
   resumed handshakes.

   Options (sim_serve_args):
       --port N          0: the kernel picks (printed as "PORT <n>" on stdout)
       --listen ADDR     127.0.0.1 (or localhost); any other address is refused
       --state FILE      the journal: every request the simulator took is
                         appended to it, and replayed into the fresh simulator
                         at start-up, so the book lives across restarts
       --now UNIX | --clock real   the simulator's clock, and the client
                         certificates' (fixed, or the system's, read once per
                         request and journaled with it)
       --certs DIR       ca.pem, server.pem, server_key.pem (rogue_server*.pem
                         for --wrong-cert); with a `settings` file (wxpay serve
                         --init), the merchant too (cli/wxpay.c reads it)
       --wrong-cert  --max-conns N  --life S  --notify-scale K   (the tests')
   It serves until N connections were accepted or S seconds have passed
   (default: no end for wxpay serve; the tests' server: 256 and 120 s). At
   most 8 connections are served at once (one thread each); every wait is
   bounded. --notify-scale K (1 to 100000, default 1) divides the waits
   between payment-callback deliveries (see /sim/pay). The simulator knows the
   sub-merchant SIM_SUB_MCHID (AppID SIM_SUB_APPID) for the partner routes, and
   serves GET /v3/certificates with the platform certificate when it has one.

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

   TEST ENDPOINTS (never forwarded to the simulator; those that change the
   book are journaled)
       GET  /sim/stats         {"connections","requests","refunds","notify_status",
                                "client_cert","refused","notify_deliveries",
                                "notify_statuses","full_handshakes",
                                "resumed_handshakes","refunds_per_second",
                                "refunds_max_per_second"} (client_cert: this
                                connection's; refused: handshakes refused so far;
                                notify_statuses: "500,500,204", the answers to
                                the last /sim/pay's deliveries, -1 for none;
                                refunds_per_second: "10,10,3", the refund
                                requests (APIv2 and APIv3) that arrived in each
                                second of the wall clock that had any, the last
                                16 of them: what WeChat Pay's rate limit counts)
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
#ifndef WXPAY_SIM_H
#define WXPAY_SIM_H
#define _POSIX_C_SOURCE 200809L
/* Room for a long-lived book (wxpay serve --state: about 11 MB of static
   storage, searched linearly), and so for every test of a run. */
#define WXP_FAKE_MAX_ORDERS    4096
#define WXP_FAKE_MAX_REFUNDS   16384
#define WXP_FAKE_MAX_CUSTOMERS 256
#define WXP_FAKE_MAX_BILLS     8
#define WECHATPAY_IMPLEMENTATION
#define WECHATPAY_FAKE_IMPLEMENTATION
#define WECHATPAY_SOCKET_IMPLEMENTATION
#include "wechatpay.h"
#include "transports/wechatpay_fake.h"
#include "transports/wechatpay_socket.h"
#define WXP_EXAMPLE_SIM_FAKE_ONLY
#include "examples/example_sim.h"     /* the test merchant's settings; examples/test_keys.h */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
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

#define SIM_NOW 1795425372LL    /* 2026-11-23T09:16:12Z: the examples' and tests' clock */
#define SIM_SUB_MCHID "1900000109"              /* the sub-merchant of the partner routes */
#define SIM_SUB_APPID "wxd678efh567hg6999"

/* ==== the demo book ========================================================= */

/* The book wxpay --simulator and wxpay serve start with (wxpay --help lists
   it), so that the help's examples work on a fresh simulator. */
static wxp_err sim_demo_book(wxp_fake *f)
{
    wxp_err e;
    if ((e = wxp_fake_add_order(f, "1217752501201407033233368018", "4200000000201407033233368018", 888)) ||
        (e = wxp_fake_add_order(f, "1415757673", "4006252001201705123297353072", 608)) ||
        (e = wxp_fake_order_coupon(f, "1415757673", "COUPON-01", "CASH", 50)) ||
        (e = wxp_fake_add_order_unpaid(f, "T20261123", 100)) ||
        (e = wxp_fake_add_coupon(f, "1234567891", "sxxe34343434", "USED")))
        return e;
    return WXP_OK;
}

/* ==== the journal =========================================================== */

/* One request the simulator took a line, "METHOD PATH C|- HEADERS BODY NOW":
   the headers ("Name: value\n"...) and the body in base64 ("-" when empty),
   NOW the simulator's clock when it took it (a line without it: the fixed
   SIM_NOW). Replayed at that clock into a fresh simulator, each request gets
   the same answer again (the simulator is deterministic: its ids and nonces
   come from counters), the recorded signatures pass its checks again, and the
   book is rebuilt exactly. Lines are appended (O_APPEND, one write, then
   fsync): two writers never lose each other's line. Every part is
   bounded: a request over the bounds is refused before the simulator sees it, and a line over them (or malformed) stops the replay, naming the
   file, the line, what was expected and what was found. Lengths are counted,
   never found by a NUL: a full buffer has none. */
#define JL_FIELD_MAX 65536u       /* bytes of headers, and of body, before base64 */
#define JL_HEADERS   16
#define JL_PATH_MAX  4096u
#define JL_B64_MAX   WXP_B64_LEN(JL_FIELD_MAX)
#define JL_LINE_MAX  (6 + JL_PATH_MAX + 2 * JL_B64_MAX + 6 + 21)   /* 5 spaces, C|-, NOW, the newline */
#define SIM_CLIENT_CERT "-----BEGIN CERTIFICATE-----\n(simulator: any client certificate)\n" \
                        "-----END CERTIFICATE-----\n"

static const char *const jl_methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE" };
static char jl_line[JL_LINE_MAX + 1], jl_hdr[JL_FIELD_MAX], jl_body[JL_FIELD_MAX];
static size_t jl_len;             /* of the line journal_format made, newline included */
static char jl_why[320];          /* "what was expected, found what was found" */

static int jl_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(jl_why, sizeof jl_why, fmt, ap);
    va_end(ap);
    return 0;
}

static int jl_method_ok(const char *m)
{
    size_t i;
    for (i = 0; i < sizeof jl_methods / sizeof jl_methods[0]; i++)
        if (strcmp(m, jl_methods[i]) == 0) return 1;
    return 0;
}

/* The line splits at spaces and newlines: a path or header name holds none. */
static size_t jl_unprintable(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] > '~') return i;
    return n;
}

static void jl_put(const char *p, size_t n)
{
    memcpy(jl_line + jl_len, p, n);
    jl_len += n;
}

/* " BASE64" or " -" into jl_line (journal_format checked the room). */
static int jl_put_b64(const char *p, size_t n)
{
    size_t len;
    jl_put(" ", 1);
    if (n == 0) {
        jl_put("-", 1);
        return 1;
    }
    if (wxp_base64_encode(jl_line + jl_len, sizeof jl_line - jl_len, p, n, &len) != WXP_OK)
        return jl_fail("room for the base64 of %lu bytes, found none", (unsigned long)n);
    jl_len += len;
    return 1;
}

/* req, taken at the clock now, as a journal line in jl_line (jl_len bytes);
   0 with jl_why set when it is over the journal's bounds. */
static int journal_format(const wxp_http_request *req, long long now)
{
    size_t i, hn = 0, at;
    if (!jl_method_ok(req->method)) return jl_fail("GET, POST, PUT, PATCH or DELETE, found another method");
    if (req->path.len == 0 || req->path.len > JL_PATH_MAX)
        return jl_fail("a path of 1 to %u bytes, found %lu bytes", JL_PATH_MAX, (unsigned long)req->path.len);
    if ((at = jl_unprintable(req->path.ptr, req->path.len)) < req->path.len)
        return jl_fail("a path of printable characters, found a space or control character at byte %lu",
                       (unsigned long)at);
    if (req->header_count > JL_HEADERS)
        return jl_fail("at most %d headers, found %lu", JL_HEADERS, (unsigned long)req->header_count);
    for (i = 0; i < req->header_count; i++) {
        const wxp_http_header *h = &req->headers[i];
        if (!h->name.len || jl_unprintable(h->name.ptr, h->name.len) < h->name.len ||
            memchr(h->name.ptr, ':', h->name.len) || memchr(h->value.ptr, '\n', h->value.len) ||
            memchr(h->value.ptr, '\r', h->value.len))
            return jl_fail("header names without spaces or ':' and values without line breaks, "
                           "found header %lu otherwise", (unsigned long)i + 1);
        hn += h->name.len + 2 + h->value.len + 1;
    }
    if (hn > JL_FIELD_MAX) return jl_fail("at most %u bytes of headers, found %lu", JL_FIELD_MAX, (unsigned long)hn);
    if (req->body.len > JL_FIELD_MAX)
        return jl_fail("at most %u bytes of body, found %lu", JL_FIELD_MAX, (unsigned long)req->body.len);
    for (hn = 0, i = 0; i < req->header_count; i++) {
        const wxp_http_header *h = &req->headers[i];
        memcpy(jl_hdr + hn, h->name.ptr, h->name.len);
        hn += h->name.len;
        memcpy(jl_hdr + hn, ": ", 2);
        hn += 2;
        memcpy(jl_hdr + hn, h->value.ptr, h->value.len);
        hn += h->value.len;
        jl_hdr[hn++] = '\n';
    }
    jl_len = 0;
    jl_put(req->method, strlen(req->method));
    jl_put(" ", 1);
    jl_put(req->path.ptr, req->path.len);
    jl_put(req->client_cert ? " C" : " -", 2);
    if (!jl_put_b64(jl_hdr, hn) || !jl_put_b64(req->body.ptr, req->body.len)) return 0;
    jl_len += (size_t)sprintf(jl_line + jl_len, " %lld\n", now);
    return 1;
}

/* jl_line appended to the journal at path (created 0600: it holds signed
   requests; a link there is not followed): 1, or 0 with a message on stderr. */
static int journal_append(const char *path)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0600), e = 0;
    ssize_t n;
    if (fd < 0) e = errno;
    else if ((n = write(fd, jl_line, jl_len)) < 0) e = errno;
    else if ((size_t)n != jl_len) e = ENOSPC;
    else if (fsync(fd) != 0) e = errno;
    if (fd >= 0 && close(fd) != 0 && !e) e = errno;
    if (e) fprintf(stderr, "wxpay: simulator: cannot write journal %s: %s\n", path, strerror(e));
    return !e;
}

/* The next line of f into jl_line (NUL-terminated, no newline): 1, 0 at the
   end of the file, -1 with jl_why set. An overlong line is read to its end to
   say how long it is. */
static int journal_read_line(FILE *f)
{
    size_t n = 0, total = 0;
    int c = EOF, nul = 0;
    while ((c = getc(f)) != EOF) {
        total++;
        if (c == '\n') break;
        nul |= c == 0;
        if (n < JL_LINE_MAX - 1) jl_line[n++] = (char)c;
    }
    if (ferror(f)) return jl_fail("a readable file, found a read error: %s", strerror(errno)), -1;
    if (total == 0) return 0;
    if (total > JL_LINE_MAX)
        return jl_fail("a line of at most %lu bytes, found one of %lu bytes", (unsigned long)JL_LINE_MAX,
                       (unsigned long)total), -1;
    if (c != '\n')
        return jl_fail("a line ending in a newline, found the end of the file after %lu bytes (a cut write?)",
                       (unsigned long)total), -1;
    if (nul) return jl_fail("text, found a NUL byte"), -1;
    if (n && jl_line[n - 1] == '\r') n--;
    jl_line[n] = 0;
    return 1;
}

/* The next space-separated word of *p (NULL at the end). */
static char *word(char **p)
{
    char *w = *p;
    while (*w == ' ') w++;
    if (!*w) return NULL;
    *p = w;
    while (**p && **p != ' ') (*p)++;
    if (**p) *(*p)++ = 0;
    return w;
}

/* A base64 field ("-" when empty) into out, at most cap bytes. */
static int jl_take(const char *tok, const char *what, char *out, size_t cap, size_t *len)
{
    size_t n = strlen(tok);
    *len = 0;
    if (strcmp(tok, "-") == 0) return 1;
    if (wxp_base64_decode(NULL, 0, tok, n, len) != WXP_OK)  /* measures and checks every character */
        return jl_fail("the %s in base64 (or -), found %lu characters that are not", what, (unsigned long)n);
    if (*len > cap) return jl_fail("at most %lu bytes of %s, found %lu", (unsigned long)cap, what, (unsigned long)*len);
    return wxp_base64_decode(out, cap, tok, n, len) == WXP_OK ||
           jl_fail("the %s in base64, found it undecodable", what);
}

/* The line in jl_line as a request (views into jl_line, jl_hdr, jl_body) and
   the clock it was taken at (*now; SIM_NOW when the line has none). */
static int journal_parse(wxp_http_request *req, wxp_http_header *hdr, long long *now)
{
    char *rest = jl_line, *w[6], *end;
    size_t i, hn, bn, nh = 0, lines = 0;
    const char *p, *stop;
    for (i = 0; i < 5; i++)
        if (!(w[i] = word(&rest)))
            return jl_fail("5 or 6 fields (METHOD PATH C|- HEADERS BODY [NOW]), found %lu", (unsigned long)i);
    *now = SIM_NOW;
    if ((w[5] = word(&rest)) != NULL) {
        errno = 0;
        *now = strtoll(w[5], &end, 10);
        if (*end || errno || *now < 0)
            return jl_fail("the clock (NOW) in decimal Unix seconds, found \"%.40s\"", w[5]);
    }
    if (word(&rest)) return jl_fail("5 or 6 fields (METHOD PATH C|- HEADERS BODY [NOW]), found more");
    if (!jl_method_ok(w[0])) return jl_fail("GET, POST, PUT, PATCH or DELETE, found another method");
    if (w[1][0] != '/' || strlen(w[1]) > JL_PATH_MAX)
        return jl_fail("a path starting with / of at most %u bytes, found %lu bytes", JL_PATH_MAX,
                       (unsigned long)strlen(w[1]));
    if (strcmp(w[2], "C") != 0 && strcmp(w[2], "-") != 0)
        return jl_fail("C or - (the client certificate), found %lu bytes", (unsigned long)strlen(w[2]));
    if (!jl_take(w[3], "headers", jl_hdr, sizeof jl_hdr, &hn) || !jl_take(w[4], "body", jl_body, sizeof jl_body, &bn))
        return 0;
    for (p = jl_hdr, stop = jl_hdr + hn; p < stop; lines++) {
        const char *eol = (const char *)memchr(p, '\n', (size_t)(stop - p)), *colon;
        if (!eol) return jl_fail("header lines ending in a newline, found %lu bytes without one", (unsigned long)(stop - p));
        for (colon = p; colon + 1 < eol && !(colon[0] == ':' && colon[1] == ' '); colon++) {}
        if (colon + 1 >= eol || colon == p)
            return jl_fail("\"Name: value\" header lines, found header %lu otherwise", (unsigned long)lines + 1);
        if (nh < JL_HEADERS) {
            hdr[nh].name.ptr = p;
            hdr[nh].name.len = (size_t)(colon - p);
            hdr[nh].value.ptr = colon + 2;
            hdr[nh].value.len = (size_t)(eol - colon - 2);
            nh++;
        }
        p = eol + 1;
    }
    if (lines > JL_HEADERS) return jl_fail("at most %d headers, found %lu", JL_HEADERS, (unsigned long)lines);
    memset(req, 0, sizeof *req);
    req->method = w[0];
    req->host = WXP_DEFAULT_HOST;
    req->path = wxp_cstr(w[1]);
    req->headers = hdr;
    req->header_count = nh;
    req->body.ptr = jl_body;
    req->body.len = bn;
    req->client_cert = NULL;
    if (*w[2] == 'C') {
        static wxp_client_cert placeholder;
        placeholder.cert_pem = wxp_cstr(SIM_CLIENT_CERT);
        placeholder.key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
        req->client_cert = &placeholder;
    }
    return 1;
}

/* Feeds every journaled request, in order, to feed(user, req, now): 1, or 0
   with the file, the line, what was expected and found on stderr. */
static int journal_replay(const char *path, void (*feed)(void *user, const wxp_http_request *req, long long now),
                          void *user)
{
    static wxp_http_header hdr[JL_HEADERS];
    FILE *f = fopen(path, "rb");
    unsigned lineno = 0;
    int got = 0;
    if (!f) {
        if (errno == ENOENT) return 1;
        fprintf(stderr, "wxpay: simulator: cannot read journal %s: %s\n", path, strerror(errno));
        return 0;
    }
    for (;;) {
        wxp_http_request req;
        long long now = SIM_NOW;
        lineno++;
        if ((got = journal_read_line(f)) <= 0) break;
        if (!journal_parse(&req, hdr, &now)) {
            got = -1;
            break;
        }
        feed(user, &req, now);
    }
    fclose(f);
    if (got < 0) {
        fprintf(stderr, "wxpay: simulator: journal %s:%u: expected %s\n", path, lineno, jl_why);
        return 0;
    }
    return 1;
}

/* ==== the HTTPS server ====================================================== */

/* The merchant and WeChat Pay's keys, as PEM text (sim_test_keys: the test
   merchant of examples/test_keys.h; cli/wxpay.c: a wxpay serve --init
   directory's settings). */
typedef struct sim_keys {
    const char *mchid, *serial, *appid, *pubkey_id;
    wxp_str     merchant_pub_pem;    /* the merchant's public key or certificate */
    wxp_str     platform_key_pem;    /* WeChat Pay's signing key */
    wxp_str     platform_cert_pem;   /* its certificate: GET /v3/certificates; may be empty */
    wxp_str     apiv3_key, apiv2_key;
} sim_keys;

typedef struct sim_opts {
    unsigned      port;
    const char   *journal;           /* --state, or NULL */
    long long     now;               /* --now */
    int           clock_real;        /* --clock real */
    const char   *certs;             /* --certs */
    int           wrong_cert, demo_book, allow_any_mchid;
    unsigned long max_conns;         /* 0: no end */
    long          life_s;            /* 0: no end */
    unsigned      notify_scale;
    sim_keys      keys;
} sim_opts;

/* ---- shared state (the simulator is shared by every connection) ---------------- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;  /* guards everything below it */
static wxp_fake fake;
static long long sim_now = SIM_NOW;             /* the clock of the request being served */
static int clock_real;                          /* --clock real: sim_now = time() per request */
static const char *journal_path;                     /* --state */
static unsigned long n_conns, n_reqs, n_refused;
static unsigned refuse_next;                    /* handshakes still to refuse */
static int notify_status;
static unsigned notify_scale = 1;               /* --notify-scale */
static int notify_statuses[16];                 /* the last /sim/pay's deliveries */
static unsigned notify_count;
static long long refund_sec[16];                /* wall-clock seconds that had refund requests */
static unsigned refund_in_sec[16], refund_secs; /* how many in each; seconds seen (ring of 16) */
static long long life_end_ms;                   /* no delivery after --life */
static wxp_str apiv3_key;                       /* the callbacks' AES key */

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

/* ---- TLS session resumption: BearSSL's LRU cache, shared by every connection
   thread behind a lock, counting full handshakes (a session saved) and resumed
   ones (a session found) -------------------------------------------------------- */

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static br_ssl_session_cache_lru lru;
static unsigned char lru_store[16 * 1024];      /* about 100 bytes a session */
static unsigned long n_full, n_resumed;         /* under cache_mu */
/* Sessions made with a verified client certificate: a resumed one is still
   mutually authenticated (the session stands for the certificate it was made with). */
static unsigned char mtls_ids[64][32];
static unsigned mtls_next;
static int *conn_verified(br_ssl_server_context *sc);  /* the connection's ccv.verified */

static void cache_save(const br_ssl_session_cache_class **ctx, br_ssl_server_context *sc,
                       const br_ssl_session_parameters *params)
{
    (void)ctx;
    pthread_mutex_lock(&cache_mu);
    n_full++;
    lru.vtable->save(&lru.vtable, sc, params);
    if (*conn_verified(sc) && params->session_id_len == 32)
        memcpy(mtls_ids[mtls_next++ % 64], params->session_id, 32);
    pthread_mutex_unlock(&cache_mu);
}

static int cache_load(const br_ssl_session_cache_class **ctx, br_ssl_server_context *sc,
                      br_ssl_session_parameters *params)
{
    int found;
    (void)ctx;
    pthread_mutex_lock(&cache_mu);
    found = lru.vtable->load(&lru.vtable, sc, params);
    n_resumed += found != 0;
    if (found && params->session_id_len == 32) {
        unsigned k;
        for (k = 0; k < 64; k++)
            if (memcmp(mtls_ids[k], params->session_id, 32) == 0) *conn_verified(sc) = 1;
    }
    pthread_mutex_unlock(&cache_mu);
    return found;
}

static const br_ssl_session_cache_class locked_cache_class = { sizeof(void *), cache_save, cache_load };
static const br_ssl_session_cache_class *locked_cache = &locked_cache_class;

/* ---- one connection ------------------------------------------------------------ */

/* A callback a test endpoint made, to be POSTed to 127.0.0.1:port/path. */
typedef struct sim_callback {
    int                   ready;
    unsigned              port;
    char                  path[256];
    char                  body[8192];
    size_t                len;
    wxp_notify_headers    h;            /* its headers, copied into hbuf */
    char                  hbuf[64 + 64 + WXP_SIG_B64_MAX + WXP_SERIAL_MAX];
} sim_callback;

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
    sim_callback          cb;           /* the callback a test endpoint made */
} conn;

static conn conns[SLOTS];

static int *conn_verified(br_ssl_server_context *sc)
{
    return &((conn *)(void *)((char *)sc - offsetof(conn, sc)))->ccv.verified;
}

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

/* Copies a callback's headers into cb (the simulator's views change with the next one). */
static wxp_err keep_headers(sim_callback *cb, const wxp_notify_headers *h)
{
    const wxp_str *src[4];
    wxp_str *dst[4];
    size_t k, off = 0;
    src[0] = &h->timestamp; src[1] = &h->nonce; src[2] = &h->signature; src[3] = &h->serial;
    dst[0] = &cb->h.timestamp; dst[1] = &cb->h.nonce; dst[2] = &cb->h.signature; dst[3] = &cb->h.serial;
    for (k = 0; k < 4; k++) {
        if (off + src[k]->len > sizeof cb->hbuf) return WXP_E_NOSPACE;
        memcpy(cb->hbuf + off, src[k]->ptr, src[k]->len);
        dst[k]->ptr = cb->hbuf + off;
        dst[k]->len = src[k]->len;
        off += src[k]->len;
    }
    return WXP_OK;
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

/* Delivers the payment callback in c->cb, again after each wait (divided by
   --notify-scale) until it is taken with 200 or 204. Records each answer in
   notify_statuses. */
static void deliver_payment(conn *c)
{
    unsigned k;
    int ok = 0;
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
        st = post_callback(c->cb.body, c->cb.len, &c->cb.h, c->cb.port, c->cb.path);
        ok = st == 200 || st == 204;
        pthread_mutex_lock(&mu);
        notify_statuses[notify_count++] = st;
        notify_status = st;
        pthread_mutex_unlock(&mu);
    }
}

/* What a test endpoint that changes the book does to it (under mu): the
   status and JSON body of its answer, and in *cb the callback it made, if
   any; 0 when path is no such endpoint. The journal replays it as it ran. */
static int sim_act(const char *method, const char *path, sim_callback *cb, char *body, size_t cap)
{
    char a[80], b[80], t[40];
    unsigned port = 0;
    wxp_notify_headers h;
    wxp_err e;
    cb->ready = 0;
    if (strcmp(method, "POST") != 0) return 0;
    if (strncmp(path, "/sim/pay?", 9) == 0 && query(path, "out_trade_no", a, sizeof a)) {
        const wxp_fake_order *o;
        e = wxp_fake_pay_order(&fake, a, query(path, "openid", b, sizeof b) ? b : NULL);
        o = wxp_fake_find_order(&fake, a);
        snprintf(body, cap, "{\"result\":\"%s\",\"transaction_id\":\"%s\"}", wxp_errname(e),
                 e == WXP_OK && o ? o->transaction_id : "");
        notify_count = 0;
        if (e == WXP_OK && o && loopback_url(o->notify_url, &cb->port, cb->path, sizeof cb->path) &&
            wxp_fake_notify_transaction(&fake, apiv3_key, a, cb->body, sizeof cb->body, &cb->len, &h, NULL) == WXP_OK &&
            keep_headers(cb, &h) == WXP_OK)
            cb->ready = 1;
        return e == WXP_OK ? 200 : 400;
    }
    if (strncmp(path, "/sim/order?", 11) == 0 && query(path, "out_trade_no", a, sizeof a)) {
        if (!query(path, "total", b, sizeof b)) return snprintf(body, cap, "{\"error\":\"total\"}"), 400;
        e = wxp_fake_add_order(&fake, a, query(path, "transaction_id", t, sizeof t) ? t : NULL, atoll(b));
        snprintf(body, cap, "{\"result\":\"%s\"}", wxp_strerror(e));
        return e == WXP_OK ? 200 : 400;
    }
    if (strncmp(path, "/sim/customer?", 14) == 0 && query(path, "auth_code", a, sizeof a) &&
        query(path, "pay", b, sizeof b) && query(path, "balance", t, sizeof t)) {
        static const char *const pays[4] = { "now", "polls", "nomoney", "never" };
        static const int kinds[4] = { WXP_FAKE_PAY_NOW, WXP_FAKE_PAY_AFTER_POLLS, WXP_FAKE_NO_MONEY,
                                      WXP_FAKE_NEVER_CONFIRMS };
        char polls[16] = "0";
        int k;
        (void)query(path, "polls", polls, sizeof polls);
        for (k = 0; k < 4 && strcmp(b, pays[k]) != 0; k++) {}
        e = k < 4 ? wxp_fake_add_customer(&fake, a, kinds[k], (unsigned)atoi(polls), atoll(t)) : WXP_E_ARG;
        snprintf(body, cap, "{\"result\":\"%s\"}", wxp_strerror(e));
        return e == WXP_OK ? 200 : 400;
    }
    if (strncmp(path, "/sim/bill?", 10) == 0 && query(path, "bill_date", a, sizeof a) &&
        query(path, "rows", b, sizeof b)) {
        e = atol(b) >= 0 && atol(b) <= SIM_BILL_ROWS ? wxp_fake_add_bill(&fake, a, (unsigned)atol(b)) : WXP_E_ARG;
        snprintf(body, cap, "{\"result\":\"%s\"}", wxp_strerror(e));
        return e == WXP_OK ? 200 : 400;
    }
    if (strncmp(path, "/sim/notify?", 12) == 0 && query(path, "out_refund_no", a, sizeof a) &&
        query(path, "port", b, sizeof b) && (port = (unsigned)atoi(b)) > 0 && port < 65536) {
        cb->port = port;
        strcpy(cb->path, "/notify");
        if (wxp_fake_notify_refund(&fake, apiv3_key, a, cb->body, sizeof cb->body, &cb->len, &h, NULL) == WXP_OK &&
            keep_headers(cb, &h) == WXP_OK)
            cb->ready = 2;
        snprintf(body, cap, "{\"queued\":true}");
        return 202;
    }
    return 0;
}

/* Journals the request in jl_line (journal_format made it), under mu: 1, or
   0 when it could not be written (said on stderr). */
static int journal_keep(void) { return !journal_path || journal_append(journal_path); }

/* The test endpoints. 0 served, -1 the connection must end. */
static int serve_sim(conn *c, const char *method, const char *path, int client_cert)
{
    char body[768], a[80];
    int status;
    if (strcmp(path, "/sim/stats") == 0) {
        char list[16 * 5 + 1], per_s[16 * 11 + 1];
        size_t n = 0;
        unsigned k, most = 0;
        unsigned long full, resumed;
        pthread_mutex_lock(&cache_mu);
        full = n_full;
        resumed = n_resumed;
        pthread_mutex_unlock(&cache_mu);
        pthread_mutex_lock(&mu);
        list[0] = per_s[0] = 0;
        for (k = 0; k < notify_count; k++)
            n += (size_t)snprintf(list + n, sizeof list - n, "%s%d", k ? "," : "", notify_statuses[k]);
        n = 0;
        for (k = refund_secs > 16 ? refund_secs - 16 : 0; k < refund_secs; k++) {
            n += (size_t)snprintf(per_s + n, sizeof per_s - n, "%s%u", n ? "," : "", refund_in_sec[k % 16]);
            if (refund_in_sec[k % 16] > most) most = refund_in_sec[k % 16];
        }
        snprintf(body, sizeof body,
                 "{\"connections\":%lu,\"requests\":%lu,\"refunds\":%zu,\"notify_status\":%d,\"client_cert\":%d,"
                 "\"refused\":%lu,\"notify_deliveries\":%u,\"notify_statuses\":\"%s\",\"full_handshakes\":%lu,"
                 "\"resumed_handshakes\":%lu,\"refunds_per_second\":\"%s\",\"refunds_max_per_second\":%u}",
                 n_conns, n_reqs, wxp_fake_refund_count(&fake), notify_status, client_cert, n_refused,
                 notify_count, list, full, resumed, per_s, most);
        pthread_mutex_unlock(&mu);
        return simple_answer(c, 200, body) ? -1 : 0;
    }
    if (strcmp(method, "GET") == 0 && strncmp(path, "/sim/order?", 11) == 0 &&
        query(path, "out_trade_no", a, sizeof a)) {
        const wxp_fake_order *o;
        pthread_mutex_lock(&mu);
        o = wxp_fake_find_order(&fake, a);
        if (o)
            snprintf(body, sizeof body,
                     "{\"total\":%lld,\"refunded\":%lld,\"refund_count\":%u,\"reverses\":%u,\"trade_state\":\"%s\"}",
                     o->total, o->refunded, o->refund_count, o->reverses, o->trade_state);
        pthread_mutex_unlock(&mu);
        return simple_answer(c, o ? 200 : 404, o ? body : "{}") ? -1 : 0;
    }
    if (strcmp(method, "POST") == 0 && strncmp(path, "/sim/refuse?", 12) == 0 && query(path, "count", a, sizeof a)) {
        pthread_mutex_lock(&mu);
        refuse_next = (unsigned)atoi(a);
        pthread_mutex_unlock(&mu);
        return simple_answer(c, 200, "{}") ? -1 : 0;
    }
    pthread_mutex_lock(&mu);
    if (clock_real) sim_now = (long long)time(NULL);
    {
        wxp_http_request jr;
        memset(&jr, 0, sizeof jr);
        jr.method = method;
        jr.path = wxp_cstr(path);
        status = journal_path && !journal_format(&jr, sim_now) ? -1 : sim_act(method, path, &c->cb, body, sizeof body);
    }
    if (status > 0 && !journal_keep()) status = -2;
    if (status == -1)   /* jl_why is mu's */
        snprintf(body, sizeof body, "{\"error\":\"the journal cannot record this request: expected %.400s\"}", jl_why);
    pthread_mutex_unlock(&mu);
    if (status == -1) return simple_answer(c, 500, body) ? -1 : 0;
    if (status == -2) return -1;        /* done, not journaled: no answer (said on stderr) */
    if (status == 0) return simple_answer(c, 404, "{\"error\":\"no such test endpoint\"}") ? -1 : 0;
    if (simple_answer(c, status, body)) return -1;
    if (c->cb.ready == 1) {
        deliver_payment(c);
    } else if (c->cb.ready == 2) {
        int st = post_callback(c->cb.body, c->cb.len, &c->cb.h, c->cb.port, c->cb.path);
        pthread_mutex_lock(&mu);
        notify_status = st;
        pthread_mutex_unlock(&mu);
    }
    return 0;
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

/* The faults the simulator itself answers (500, code=NAME), for the next
   request: the same when it is served and when the journal replays it. */
static void sim_scripted_faults(const char *faults)
{
    char code[40];
    if (has_fault(faults, "500")) wxp_fake_fault(&fake, WXP_FAKE_SYSTEM_ERROR);
    fault_code(faults, code, sizeof code);
    if (code[0] && wxp_fake_fail_with(&fake, NULL, code, 1) != WXP_OK) code[0] = 0;  /* unknown: ignored */
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
    char method[16], host[128], path[1024], faults[128], errbuf[WXP_ERRBUF_SIZE];
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
    if (strcmp(method, "POST") == 0 &&
        (strcmp(path, "/secapi/pay/refund") == 0 || strcmp(path, "/v3/refund/domestic/refunds") == 0)) {
        /* Not time(): its coarse clock lags a few ms, and this is compared to
           the seconds of other clocks (Redis' TIME, gettimeofday). */
        struct timespec now;
        long long sec;
        clock_gettime(CLOCK_REALTIME, &now);
        sec = (long long)now.tv_sec;
        if (!refund_secs || refund_sec[(refund_secs - 1) % 16] != sec) {
            refund_sec[refund_secs % 16] = sec;
            refund_in_sec[refund_secs++ % 16] = 0;
        }
        refund_in_sec[(refund_secs - 1) % 16]++;
    }
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
    if (clock_real) sim_now = (long long)time(NULL);
    /* Checked first: the simulator must not book what the journal cannot keep.
       The fault header is journaled with the rest: a 500 is replayed as one. */
    if (journal_path && !journal_format(&req, sim_now)) {
        char msg[512];
        snprintf(msg, sizeof msg, "{\"code\":\"SIM_JOURNAL\",\"message\":\"not processed: the journal cannot "
                 "record this request: expected %.400s\"}", jl_why);      /* jl_why is mu's */
        pthread_mutex_unlock(&mu);
        return simple_answer(c, 500, msg) ? -1 : 0;
    }
    sim_scripted_faults(faults);
    rc = wxp_fake_transport(&fake, &req, &res, errbuf, sizeof errbuf);
    if (!journal_keep()) rc = -1;                       /* done, not journaled: no answer */
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
    long long t = clock_real ? (long long)time(NULL) : sim_now;
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
    br_ssl_server_set_cache(&c->sc, &locked_cache);
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

/* ---- replay and start-up ---------------------------------------------------------- */

/* One journaled request into the fresh simulator, at its clock, as it was
   served: the test endpoints through sim_act, the others through the
   simulator with their fault header; answers and callbacks go nowhere. */
static void sim_feed(void *user, const wxp_http_request *req, long long now)
{
    static char answer[ANSWER_MAX], body[512];
    static sim_callback cb;
    char errbuf[WXP_ERRBUF_SIZE], faults[128];
    wxp_http_response res;
    size_t i;
    ++*(unsigned long *)user;
    sim_now = now;
    if (strncmp(req->path.ptr, "/sim/", 5) == 0) {      /* journal_parse's path ends in a NUL */
        (void)sim_act(req->method, req->path.ptr, &cb, body, sizeof body);
        return;
    }
    for (i = 0; i < req->header_count; i++)
        if (req->headers[i].name.len == 11 && strncasecmp(req->headers[i].name.ptr, "X-Sim-Fault", 11) == 0) {
            snprintf(faults, sizeof faults, "%.*s", (int)req->headers[i].value.len, req->headers[i].value.ptr);
            sim_scripted_faults(faults);
        }
    wxp_http_response_init(&res, answer, sizeof answer);
    (void)wxp_fake_transport(&fake, req, &res, errbuf, sizeof errbuf);
}

/* The test merchant of examples/test_keys.h, and the platform certificate
   over its WeChat Pay key (tests/vectors/keys/platform_cert.pem) when that
   file is there (run from the repository root). */
static void sim_test_keys(sim_keys *k)
{
    static char cert[4096];
    FILE *f = fopen("tests/vectors/keys/platform_cert.pem", "rb");
    memset(k, 0, sizeof *k);
    k->mchid = WXP_TEST_MCHID;
    k->serial = WXP_TEST_SERIAL;
    k->appid = WXP_EXAMPLE_APPID;
    k->pubkey_id = WXP_TEST_PUB_KEY_ID;
    k->merchant_pub_pem = wxp_cstr(WXP_TEST_MERCHANT_PUB);
    k->platform_key_pem = wxp_cstr(WXP_TEST_PLATFORM_KEY);
    k->apiv3_key = wxp_cstr(WXP_TEST_APIV3_KEY);
    k->apiv2_key = wxp_cstr(WXP_TEST_APIV2_KEY);
    if (f) {
        k->platform_cert_pem.len = fread(cert, 1, sizeof cert - 1, f);
        k->platform_cert_pem.ptr = cert;
        fclose(f);
    }
}

/* A merchant id in WeChat Pay's documentation and test range: 10 digits
   starting 19000 (1900009191, 1900000109...). Real merchants are elsewhere. */
static int sim_test_mchid(const char *m)
{
    size_t i;
    if (strlen(m) != 10 || strncmp(m, "19000", 5) != 0) return 0;
    for (i = 5; i < 10; i++)
        if (m[i] < '0' || m[i] > '9') return 0;
    return 1;
}

/* A merchant certificate that WeChat Pay issued (its issuer names
   Tenpay.com, as every real apiclient_cert.pem's does): 1. The PEM's base64
   lines are decoded one by one (64 characters: 48 bytes) and searched with
   the previous line's tail, so a name across two lines is found too. */
static int sim_real_cert(wxp_str pem)
{
    static const char mark[] = "Tenpay.com";
    unsigned char buf[64 + 48];
    size_t keep = 0, i = 0;
    const char *p = pem.ptr, *end = pem.ptr + pem.len;
    int inside = 0;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((eol ? eol : end) - p), got = 0;
        if (n && p[n - 1] == '\r') n--;
        if (n >= 11 && memcmp(p, "-----BEGIN ", 11) == 0) inside = 1, keep = 0;
        else if (n >= 9 && memcmp(p, "-----END ", 9) == 0) inside = 0;
        else if (inside && n <= 64 && wxp_base64_decode(buf + keep, 48, p, n, &got) == WXP_OK) {
            for (i = 0; i + sizeof mark - 1 <= keep + got; i++)
                if (memcmp(buf + i, mark, sizeof mark - 1) == 0) return 1;
            keep += got;
            if (keep > sizeof mark) {     /* the tail a name may go on from */
                memmove(buf, buf + keep - sizeof mark, sizeof mark);
                keep = sizeof mark;
            }
        }
        p = eol ? eol + 1 : end;
    }
    return 0;
}

static const char *const sim_usage =
    "usage: wxpay serve [--port N] [--state FILE] [--now UNIX | --clock real] [--certs DIR]\n"
    "                   [--listen 127.0.0.1] [--allow-any-mchid] [--life S] [--max-conns N]\n"
    "                   [--notify-scale K] [--wrong-cert]\n"
    "       wxpay serve --init DIR\n";

static int sim_number(const char *flag, const char *v, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    *out = strtoll(v, &end, 10);
    if (!*v || *end || errno || *out < lo || *out > hi) {
        fprintf(stderr, "wxpay serve: %s: expected a number from %lld to %lld, found \"%s\"\n", flag, lo, hi, v);
        return 0;
    }
    return 1;
}

/* Options into o (which holds the caller's defaults): 1, or 0 after a message. */
static int sim_serve_args(int argc, char **argv, sim_opts *o)
{
    int i;
    long long v;
    for (i = 0; i < argc; i++) {
        const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = strcmp(a, "--wrong-cert") != 0 && strcmp(a, "--allow-any-mchid") != 0;
        if (takes && !next) {
            fprintf(stderr, "wxpay serve: %s needs a value\n%s", a, sim_usage);
            return 0;
        }
        if (strcmp(a, "--wrong-cert") == 0) o->wrong_cert = 1;
        else if (strcmp(a, "--allow-any-mchid") == 0) o->allow_any_mchid = 1;
        else if (strcmp(a, "--certs") == 0) o->certs = next;
        else if (strcmp(a, "--state") == 0) o->journal = next;
        else if (strcmp(a, "--port") == 0) {
            if (!sim_number(a, next, 0, 65535, &v)) return 0;
            o->port = (unsigned)v;
        } else if (strcmp(a, "--now") == 0) {
            if (!sim_number(a, next, 0, 4102444800LL, &v)) return 0;
            o->now = v;
            o->clock_real = 0;
        } else if (strcmp(a, "--clock") == 0) {
            if (strcmp(next, "real") != 0) {
                fprintf(stderr, "wxpay serve: --clock: expected real (or --now UNIX), found \"%s\"\n", next);
                return 0;
            }
            o->clock_real = 1;
        } else if (strcmp(a, "--listen") == 0) {
            if (strcmp(next, "127.0.0.1") != 0 && strcmp(next, "localhost") != 0) {
                fprintf(stderr, "wxpay serve: --listen: expected 127.0.0.1 (the simulator never listens "
                                "beyond the loopback address), found \"%s\"\n", next);
                return 0;
            }
        } else if (strcmp(a, "--max-conns") == 0) {
            if (!sim_number(a, next, 1, 100000000, &v)) return 0;
            o->max_conns = (unsigned long)v;
        } else if (strcmp(a, "--life") == 0) {
            if (!sim_number(a, next, 1, 100000000, &v)) return 0;
            o->life_s = (long)v;
        } else if (strcmp(a, "--notify-scale") == 0) {
            if (!sim_number(a, next, 1, 100000, &v)) return 0;
            o->notify_scale = (unsigned)v;
        } else {
            fprintf(stderr, "wxpay serve: unknown option %s\n%s", a, sim_usage);
            return 0;
        }
        i += takes;
    }
    return 1;
}

/* ---- start-up --------------------------------------------------------------------- */

/* dir/name into buf: 1, or 0 after a message. */
static int sim_read(const char *dir, const char *name, char *buf, size_t cap, wxp_str *out)
{
    char path[4096];
    FILE *f;
    size_t n;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!(f = fopen(path, "rb"))) {
        fprintf(stderr, "wxpay serve: cannot read %s: %s\n", path, strerror(errno));
        return 0;
    }
    n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = 0;
    out->ptr = buf;
    out->len = n;
    return 1;
}

static int sim_die(const char *what, wxp_err e, const wxp_result *r)
{
    fprintf(stderr, "wxpay serve: %s: %s%s%s\n", what, wxp_strerror(e), r && r->message[0] ? ": " : "",
            r ? r->message : "");
    return 3;
}

/* Serves o until its connections or life end (never, when both are 0).
   Returns the exit status: 0, 2 (cannot listen) or 3 (keys, certificates,
   journal). Call once per process. */
static int sim_serve(const sim_opts *o)
{
    static char pem[3][8192];
    const sim_keys *keys = &o->keys;
    int lfd, one = 1;
    unsigned long accepted = 0;
    long long end;
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    wxp_fake_config fc;
    wxp_result r;
    wxp_err e;
    size_t used;
    wxp_str s;

    if (!o->allow_any_mchid && !sim_test_mchid(keys->mchid)) {
        fprintf(stderr, "wxpay serve: expected a test merchant id (10 digits starting 19000, as wxpay serve "
                        "--init makes), found mchid %s: a real merchant's keys do not belong in a simulator "
                        "(--allow-any-mchid if they are throwaway)\n", keys->mchid);
        return 3;
    }
    if (!o->allow_any_mchid && sim_real_cert(keys->merchant_pub_pem)) {
        fprintf(stderr, "wxpay serve: expected a throwaway merchant certificate (wxpay serve --init makes one), "
                        "found one issued by Tenpay.com: a real merchant's keys do not belong in a simulator "
                        "(--allow-any-mchid if they are throwaway)\n");
        return 3;
    }
    notify_scale = o->notify_scale ? o->notify_scale : 1;
    journal_path = o->journal;
    clock_real = o->clock_real;
    sim_now = clock_real ? (long long)time(NULL) : o->now;
    apiv3_key = keys->apiv3_key;
    signal(SIGPIPE, SIG_IGN);

    /* TLS: the server certificate and key, and the CA that signs client certificates. */
    if (!sim_read(o->certs, o->wrong_cert ? "rogue_server.pem" : "server.pem", pem[0], sizeof pem[0], &s)) return 3;
    e = wxp_sock_chain_load(server_chain, 4, server_chain_buf, sizeof server_chain_buf, s, &server_chain_len, &used, &r);
    if (e) return sim_die("server certificate", e, &r);
    if (!sim_read(o->certs, o->wrong_cert ? "rogue_server_key.pem" : "server_key.pem", pem[1], sizeof pem[1], &s))
        return 3;
    if ((e = wxp_rsa_key_load(&server_key, s, &r)) != WXP_OK) return sim_die("server key", e, &r);
    if (!sim_read(o->certs, "ca.pem", pem[2], sizeof pem[2], &s)) return 3;
    e = wxp_sock_anchors_load(client_cas, 4, client_ca_arena, sizeof client_ca_arena, s, &client_ca_count, &used, &r);
    if (e) return sim_die("client CA", e, &r);

    /* The simulator: WeChat Pay's side of the keys. */
    memset(&fc, 0, sizeof fc);
    if ((e = wxp_pubkey_load(&merchant_pub, keys->merchant_pub_pem, &r)) != WXP_OK)
        return sim_die("the merchant's public key", e, &r);
    if ((e = wxp_rsa_key_load(&platform_key, keys->platform_key_pem, &r)) != WXP_OK)
        return sim_die("WeChat Pay's key", e, &r);
    fc.mchid = keys->mchid;
    fc.appid = keys->appid;
    fc.merchant_serial = keys->serial;
    fc.merchant_key = &merchant_pub;
    fc.platform_signer = &platform_key.vtable;
    fc.platform_serial = keys->pubkey_id;
    fc.apiv2_key = keys->apiv2_key;
    fc.apiv3_key = keys->apiv3_key;
    fc.platform_cert_pem = keys->platform_cert_pem;
    fc.require_client_cert = 1;
    fc.clock.fn = sim_clock;
    fc.sub_mchids[0] = SIM_SUB_MCHID;
    fc.sub_appids[0] = SIM_SUB_APPID;
    if ((e = wxp_fake_init(&fake, &fc)) != WXP_OK) return sim_die("simulator", e, NULL);
    br_ssl_session_cache_lru_init(&lru, lru_store, sizeof lru_store);
    if (o->demo_book && (e = sim_demo_book(&fake)) != WXP_OK) return sim_die("the demo book", e, NULL);
    if (journal_path) {
        unsigned long lines = 0;
        if (!journal_replay(journal_path, sim_feed, &lines)) return 3;
        fprintf(stderr, "wxpay serve: replayed %lu requests of journal %s\n", lines, journal_path);
    }
    sim_now = clock_real ? (long long)time(NULL) : o->now;

    /* 127.0.0.1 only. */
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((unsigned short)o->port);
    if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 16) != 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &alen) != 0) {
        fprintf(stderr, "wxpay serve: cannot listen on 127.0.0.1:%u: %s\n", o->port, strerror(errno));
        return 2;
    }
    printf("PORT %u\n", (unsigned)ntohs(a.sin_port));
    fflush(stdout);

    end = o->life_s ? mono_ms() + o->life_s * 1000LL : LLONG_MAX;
    life_end_ms = end;
    while ((!o->max_conns || accepted < o->max_conns) && mono_ms() < end) {
        struct pollfd p;
        conn *c = NULL;
        int fd, k;
        pthread_mutex_lock(&mu);
        for (k = 0; k < SLOTS && !c; k++)
            if (!conns[k].busy) c = &conns[k];
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
        for (k = 0; k < SLOTS; k++) busy |= conns[k].busy;
        pthread_mutex_unlock(&mu);
        if (!busy || mono_ms() >= end) break;
        nanosleep(&ts, NULL);
    }
    return 0;
}

#endif /* WXPAY_SIM_H */
