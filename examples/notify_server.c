/* examples/notify_server.c - a WeChat Pay callback receiver on libmicrohttpd,
   with the replay guard shared through Redis (adapters/wechatpay_redis.h), so
   that several instances behind one notify_url handle each callback once.

   For each POST it: verifies the signature and the clock (wxp_notify_parse),
   decrypts the resource, asks the shared replay guard, decodes a payment
   (TRANSACTION.*) or refund (REFUND.*) callback, "processes" it (prints one
   PROCESSED line: put your order update there), and answers as WeChat Pay
   expects: 204 without a body when the callback is taken; otherwise 4xx/5xx
   with {"code":"FAIL","message":"..."}, and WeChat Pay delivers it again
   (15 s, 15 s, 30 s, 3 min, ... for 24 h). What each outcome answers:

       handled                           204, the claim becomes "done"
       delivered again, already done     204, not processed again
       being handled by another instance 500: if that one fails, the next
                                         delivery is handled here
       Redis down or slow                500: not checked is not handled; the
                                         redelivery is, once Redis is back
       handler failed (cannot decode)    500, the claim is dropped so the next
                                         delivery is handled afresh
       signature, clock, header wrong    401: not from WeChat Pay

   Usage: notify_server [--port N] [--redis HOST:PORT] [--now UNIX] [--life S]
                        [--name NAME] [--hold-ms MS]
   It listens on 127.0.0.1 (port 0: the kernel picks; it prints "PORT n"),
   until SIGTERM/SIGINT or S seconds. --now fixes the clock (the simulator's
   callbacks carry its clock); --hold-ms makes each handling take that long
   (tests: two deliveries overlap). It uses the THROWAWAY test keys
   (test_keys.h): a real server loads its APIv3 key and WeChat Pay public key
   from its own files, and sits behind a TLS terminator, since WeChat Pay
   calls https notify_urls only (or builds libmicrohttpd's TLS in).

   Build: cc -I. examples/notify_server.c -lmicrohttpd -lhiredis -lbearssl
   (make builds it as build/notify_server when libmicrohttpd-dev and
   libhiredis-dev are installed; tests/redis_shared.c drives it). */
#define _POSIX_C_SOURCE 200809L
#define WECHATPAY_IMPLEMENTATION
#define WECHATPAY_REDIS_IMPLEMENTATION
#include "wechatpay.h"
#include "adapters/wechatpay_redis.h"
#include "test_keys.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define SLOTS    16                 /* connections served at once (one request each) */
#define BODY_MAX 8192               /* a callback is about 1 KiB */

typedef struct request {            /* one POST being received */
    int    busy, too_big;
    size_t len;
    char   body[BODY_MAX];
} request;

/* Everything lives here, in static storage; libmicrohttpd's internal thread is
   the only one that touches the client and the Redis connection. */
static struct {
    wxp_client     client;
    wxp_keystore   keys;
    wxp_pubkey     slots[2];
    unsigned char  io[WXP_IO_BUFSIZE_DEFAULT];
    unsigned char  plain[4096];      /* a decrypted resource; not in io (see notify_decode) */
    wxp_redis      redis;
    request        req[SLOTS];
    long long      now;              /* --now: a fixed clock; 0: time() */
    unsigned       hold_ms;
    const char    *name;
} srv;

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static long long fixed_clock(void *user) { return *(const long long *)user; }

/* The receiver makes no API calls; plug wxp_curl or wxp_sock in to query orders. */
static int no_calls(void *user, const wxp_http_request *req, wxp_http_response *res, char *err, size_t cap)
{
    (void)user; (void)req; (void)res;
    snprintf(err, cap, "notify_server makes no API calls");
    return WXP_TRANSPORT_ERROR;
}

static enum MHD_Result reply(struct MHD_Connection *conn, int status, const char *body, size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)(size_t)body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ok;
    if (!resp) return MHD_NO;
    if (len) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    ok = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ok;
}

/* Success: 204, no body. Failure: status with {"code":"FAIL","message":why}. */
static enum MHD_Result answer(struct MHD_Connection *conn, int ok, int fail_status, const char *why)
{
    char out[256];
    size_t len = 0;
    int status = 500;
    if (wxp_notify_answer(ok, why, out, sizeof out, &len, &status) != WXP_OK) return MHD_NO;
    return reply(conn, ok ? status : fail_status, out, len);
}

static wxp_str header(struct MHD_Connection *conn, const char *name)
{
    const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
    return wxp_cstr(v ? v : "");
}

/* The business: decode and act on a verified callback. 0 handled, -1 not
   (the claim is dropped and WeChat Pay delivers it again). */
static int process(wxp_notification *n, long long ts)
{
    wxp_result r;
    wxp_err e;
    if (srv.hold_ms) {
        struct timespec t;
        t.tv_sec = srv.hold_ms / 1000;
        t.tv_nsec = (long)(srv.hold_ms % 1000) * 1000000L;
        nanosleep(&t, NULL);
    }
    if (n->event_type.len > 12 && memcmp(n->event_type.ptr, "TRANSACTION.", 12) == 0) {
        wxp_transaction tx;
        if ((e = wxp_transaction_notify_decode(&srv.client, n, &tx, &r)) != WXP_OK) goto bad;
        printf("PROCESSED %s %.*s out_trade_no=%.*s transaction_id=%.*s trade_state=%.*s total=%lld ts=%lld\n",
               srv.name, (int)n->event_type.len, n->event_type.ptr, (int)tx.out_trade_no.len, tx.out_trade_no.ptr,
               (int)tx.transaction_id.len, tx.transaction_id.ptr, (int)tx.trade_state.len, tx.trade_state.ptr,
               tx.amount.total, ts);
    } else if (n->event_type.len > 7 && memcmp(n->event_type.ptr, "REFUND.", 7) == 0) {
        wxp_refund_notify rn;
        if ((e = wxp_refund_notify_decode(n, &rn, &r)) != WXP_OK) goto bad;
        printf("PROCESSED %s %.*s out_refund_no=%.*s refund_status=%.*s refund=%lld ts=%lld\n", srv.name,
               (int)n->event_type.len, n->event_type.ptr, (int)rn.out_refund_no.len, rn.out_refund_no.ptr,
               (int)rn.refund_status.len, rn.refund_status.ptr, rn.amount.refund, ts);
    } else {
        printf("PROCESSED %s %.*s (not a payment or refund: nothing to do) ts=%lld\n", srv.name,
               (int)n->event_type.len, n->event_type.ptr, ts);
    }
    fflush(stdout);
    return 0;
bad:
    printf("FAILED %s %.*s: %s %s %s\n", srv.name, (int)n->event_type.len, n->event_type.ptr, wxp_strerror(e),
           r.field, r.message);
    fflush(stdout);
    return -1;
}

/* One complete callback in rq: the answer. */
static enum MHD_Result handle(struct MHD_Connection *conn, request *rq)
{
    wxp_notify_headers h;
    wxp_notification n;
    wxp_result r;
    wxp_err e;
    long long ts;
    h.timestamp = header(conn, "Wechatpay-Timestamp");
    h.nonce = header(conn, "Wechatpay-Nonce");
    h.signature = header(conn, "Wechatpay-Signature");
    h.serial = header(conn, "Wechatpay-Serial");
    ts = atoll(h.timestamp.ptr);          /* the guard's key: only used once it verified */
    e = wxp_notify_parse(&srv.client, &h, rq->body, rq->len, srv.plain, sizeof srv.plain, &n, &r);
    if (e == WXP_OK) {
        /* Claimed: ours to handle, and to mark done or give back. */
        if (process(&n, ts) != 0) {
            if (wxp_redis_replay_forget(&srv.redis, h.nonce, ts) != 0)
                printf("WARN %s the claim stays until it expires: %s\n", srv.name, srv.redis.error);
            return answer(conn, 0, 500, "the callback could not be handled: send it again");
        }
        /* Handled: a failure to mark it done only costs a redelivery answered 500
           until the claim expires, never a second processing. */
        if (wxp_redis_replay_done(&srv.redis, h.nonce, ts) != 0)
            printf("WARN %s handled, not marked done: %s\n", srv.name, srv.redis.error);
        fflush(stdout);
        return answer(conn, 1, 0, NULL);
    }
    if (e == WXP_E_UNCHECKED) {
        /* Not checked is not handled: WeChat Pay delivers it again. */
        printf("RETRY %s replay guard unavailable: %s\n", srv.name, srv.redis.error);
        fflush(stdout);
        return answer(conn, 0, 500, "replay guard unavailable: send it again");
    }
    if (e == WXP_E_REPLAY) {
        int st = wxp_redis_replay_state(&srv.redis, h.nonce, ts);
        if (st == WXP_REDIS_DONE) {
            printf("DUPLICATE %s nonce=%.*s ts=%lld: handled before, acknowledged\n", srv.name, (int)h.nonce.len,
                   h.nonce.ptr, ts);
            fflush(stdout);
            return answer(conn, 1, 0, NULL);
        }
        if (st < 0) {
            printf("RETRY %s replay guard unavailable: %s\n", srv.name, srv.redis.error);
            fflush(stdout);
            return answer(conn, 0, 500, "replay guard unavailable: send it again");
        }
        /* Claimed elsewhere (or the claim just lapsed): if that instance fails,
           the next delivery is handled. */
        printf("RETRY %s nonce=%.*s ts=%lld: %s\n", srv.name, (int)h.nonce.len, h.nonce.ptr, ts,
               st == WXP_REDIS_CLAIMED ? "being handled by another instance" : "its claim lapsed");
        fflush(stdout);
        return answer(conn, 0, 500, "being handled: send it again");
    }
    printf("REFUSED %s %s %s %s\n", srv.name, wxp_errname(e), r.field, r.message);
    fflush(stdout);
    /* Not from WeChat Pay (or not for this merchant's keys): 401. A callback too
       big for plain is ours to fix: 500, and it comes again. */
    return answer(conn, 0, e == WXP_E_NOSPACE ? 500 : 401, wxp_strerror(e));
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *data, size_t *data_size, void **con_cls)
{
    request *rq = (request *)*con_cls;
    unsigned k;
    (void)cls; (void)url; (void)version;
    if (strcmp(method, "POST") != 0) return answer(conn, 0, 405, "POST only");
    if (!rq) {                          /* the headers: take a slot */
        for (k = 0; k < SLOTS && srv.req[k].busy; k++) {}
        if (k == SLOTS) return answer(conn, 0, 503, "busy: send it again");
        rq = &srv.req[k];
        rq->busy = 1;
        rq->too_big = 0;
        rq->len = 0;
        *con_cls = rq;
        return MHD_YES;
    }
    if (*data_size) {                   /* a piece of the body */
        if (rq->len + *data_size > sizeof rq->body) rq->too_big = 1;
        else {
            memcpy(rq->body + rq->len, data, *data_size);
            rq->len += *data_size;
        }
        *data_size = 0;
        return MHD_YES;
    }
    if (rq->too_big) return answer(conn, 0, 413, "body too large");
    return handle(conn, rq);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    request *rq = (request *)*con_cls;
    (void)cls; (void)conn; (void)toe;
    if (rq) rq->busy = 0;
    *con_cls = NULL;
}

int main(int argc, char **argv)
{
    wxp_redis_config rc;
    wxp_config cfg;
    wxp_result r;
    wxp_err e;
    struct MHD_Daemon *d;
    const union MHD_DaemonInfo *info;
    struct sockaddr_in a;
    char host[128] = "127.0.0.1";
    unsigned port = 0;
    long life = 0;
    time_t start = time(NULL);
    int i;

    memset(&rc, 0, sizeof rc);
    srv.name = "notify";
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) port = (unsigned)atoi(argv[++i]);
        else if (strcmp(argv[i], "--redis") == 0 && i + 1 < argc) {
            const char *colon = strrchr(argv[++i], ':');
            snprintf(host, sizeof host, "%.*s", colon ? (int)(colon - argv[i]) : (int)strlen(argv[i]), argv[i]);
            rc.port = colon ? atoi(colon + 1) : 0;
        } else if (strcmp(argv[i], "--now") == 0 && i + 1 < argc) srv.now = atoll(argv[++i]);
        else if (strcmp(argv[i], "--life") == 0 && i + 1 < argc) life = atol(argv[++i]);
        else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc) srv.name = argv[++i];
        else if (strcmp(argv[i], "--hold-ms") == 0 && i + 1 < argc) srv.hold_ms = (unsigned)atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: notify_server [--port N] [--redis HOST:PORT] [--now UNIX] [--life S] "
                            "[--name NAME] [--hold-ms MS]\n");
            return 2;
        }
    }

    /* The client verifies and decrypts: the WeChat Pay public key and the APIv3 key. */
    memset(&cfg, 0, sizeof cfg);
    wxp_keystore_init(&srv.keys, srv.slots, 2);
    if ((e = wxp_keystore_add_pubkey(&srv.keys, WXP_TEST_PUB_KEY_ID, wxp_cstr(WXP_TEST_WECHATPAY_PUB), &r))) goto fail;
    cfg.mchid = WXP_TEST_MCHID;
    cfg.serial = WXP_TEST_SERIAL;
    cfg.private_key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    cfg.apiv3_key = wxp_cstr(WXP_TEST_APIV3_KEY);
    cfg.keys = &srv.keys;
    cfg.transport.fn = no_calls;
    cfg.io_buf = srv.io;
    cfg.io_buf_size = sizeof srv.io;
    if (srv.now) {
        cfg.clock.fn = fixed_clock;
        cfg.clock.user = &srv.now;
    }
    /* The guard every instance shares: keys per merchant, kept past the clock window. */
    rc.host = host;
    rc.mchid = WXP_TEST_MCHID;
    rc.max_skew_s = cfg.max_skew_s;
    wxp_redis_init(&srv.redis, &rc);
    cfg.replay = wxp_redis_replay(&srv.redis);
    if ((e = wxp_client_init(&srv.client, &cfg, &r)) != WXP_OK) goto fail;

    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((unsigned short)port);
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, (unsigned short)port, NULL, NULL,
                         on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a, MHD_OPTION_CONNECTION_LIMIT,
                         (unsigned)SLOTS, MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_NOTIFY_COMPLETED,
                         on_completed, NULL, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "notify_server: cannot listen on 127.0.0.1:%u\n", port);
        return 1;
    }
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("PORT %u\n", info ? (unsigned)info->port : port);
    fflush(stdout);
    while (!stop && (life <= 0 || time(NULL) - start < life)) {
        struct timespec t = { 0, 50 * 1000000L };
        nanosleep(&t, NULL);
    }
    MHD_stop_daemon(d);
    wxp_redis_close(&srv.redis);
    wxp_client_wipe(&srv.client);
    return 0;
fail:
    fprintf(stderr, "notify_server: %s %s %s\n", wxp_strerror(e), r.field, r.message);
    return 1;
}
