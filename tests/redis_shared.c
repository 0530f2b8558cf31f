/* tests/redis_shared.c - several instances of one merchant sharing Redis
   (adapters/wechatpay_redis.h), against a real redis-server and real HTTP:

   1. the adapter alone: the replay guard's claim / done / forget and key
      expiry, the budget's tokens per second;
   2. examples/notify_server.c fed by the loopback simulator server's
      callback delivery (/sim/pay): a payment callback taken with 204;
   3. one callback delivered to two notify_server processes at once: processed
      once; the other answers 500 (being handled), and a later delivery to it
      204 (done before) without processing it again;
   4. Redis stopped (slow), then killed mid-run: the guard answers "could not
      check", the receiver 500, the budget fails closed (a refund fails with
      WXP_E_RATE, nothing sent) or open; Redis restarted, WeChat Pay's
      redelivery is handled, once: no callback lost;
   5. four processes hammering APIv2 refunds through config.rate.budget: at
      the simulator server no second holds more than the budget (/sim/stats
      refunds_per_second), and whole seconds hold exactly the budget;
   6. the APIv3 failed-refund budget, spent after the fact by one instance,
      refuses another's next refund before it is sent.

   It starts redis-server on a free loopback port, build/wxp_sim_server and
   build/notify_server, and stops them; every wait is bounded. Where
   redis-server is not installed it says SKIPPED and why, and passes. */
#define _POSIX_C_SOURCE 200809L
#define WECHATPAY_IMPLEMENTATION
#define WECHATPAY_SOCKET_IMPLEMENTATION
#define WECHATPAY_REDIS_IMPLEMENTATION
#include "wechatpay.h"
#include "transports/wechatpay_socket.h"
#include "adapters/wechatpay_redis.h"
#include "examples/test_keys.h"
#include "tests/sim_rig.h"          /* rig_request */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SIM_SERVER
#define SIM_SERVER "build/wxp_sim_server"
#endif
#ifndef NOTIFY_SERVER
#define NOTIFY_SERVER "build/notify_server"
#endif
#ifndef OUT_DIR
#define OUT_DIR "build/redis_shared.out"
#endif

#define CERTS    "tests/server/certs/"
#define HOST     "api.mch.weixin.qq.com"
#define APPID    "wx2421b1c4370ec43b"     /* the server's merchant AppID (examples/example_sim.h) */
#define SIM_NOW  1795425372LL             /* the server's clock, and the callbacks' */
#define CALL_MS  20000

static int failures;
#define CHECK(c, ...) check_((c), #c, __LINE__, __VA_ARGS__)
static int check_(int ok, const char *what, int line, const char *fmt, ...)
{
    va_list ap;
    if (ok) return 1;
    failures++;
    printf("FAIL line %d: %s: ", line, what);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    return 0;
}

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

/* ---- child processes -------------------------------------------------------------- */

/* Starts argv[0] with stdout to out_path (or /dev/null); its pid, or -1. */
static pid_t spawn(char *const argv[], const char *out_path)
{
    pid_t pid;
    if (out_path) unlink(out_path);       /* not the last run's "PORT n" */
    pid = fork();
    if (pid == 0) {
        int fd = open(out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            close(fd);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static void stop(pid_t *pid, int sig)
{
    int st, k;
    if (*pid <= 0) return;
    if (waitpid(*pid, &st, WNOHANG) == *pid) {    /* it ended before it was told to */
        printf("   (pid %d had ended: %s %d)\n", (int)*pid, WIFSIGNALED(st) ? "signal" : "exit",
               WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
        *pid = 0;
        return;
    }
    kill(*pid, sig);
    for (k = 0; k < 300 && waitpid(*pid, &st, WNOHANG) == 0; k++) sleep_ms(10);
    if (k == 300) {
        kill(*pid, SIGKILL);
        waitpid(*pid, &st, 0);
    }
    *pid = 0;
}

/* The file's text into buf (NUL-terminated); its length. */
static size_t slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n = 0;
    if (f) {
        n = fread(buf, 1, cap - 1, f);
        fclose(f);
    }
    buf[n] = 0;
    return n;
}

/* Waits for a line "PORT n" in the file: n, or 0. */
static unsigned port_of(const char *path, unsigned wait_ms)
{
    char buf[4096];
    long long end = mono_ms() + wait_ms;
    do {
        const char *p;
        slurp(path, buf, sizeof buf);
        if ((p = strstr(buf, "PORT ")) != NULL && strchr(p, '\n')) return (unsigned)atoi(p + 5);
        sleep_ms(20);
    } while (mono_ms() < end);
    return 0;
}

/* How many times needle occurs in the file. */
static int count_in(const char *path, const char *needle)
{
    static char buf[65536];
    const char *p = buf;
    int n = 0;
    slurp(path, buf, sizeof buf);
    while ((p = strstr(p, needle)) != NULL) {
        n++;
        p += strlen(needle);
    }
    return n;
}

/* ---- redis-server --------------------------------------------------------------------- */

static pid_t redis_pid;
static unsigned redis_port;

static int on_path(const char *prog)
{
    const char *path = getenv("PATH");
    char buf[512];
    while (path && *path) {
        const char *colon = strchr(path, ':');
        size_t n = colon ? (size_t)(colon - path) : strlen(path);
        snprintf(buf, sizeof buf, "%.*s/%s", (int)n, path, prog);
        if (access(buf, X_OK) == 0) return 1;
        path += n + (colon ? 1 : 0);
    }
    return 0;
}

/* A loopback port nobody listens on now (the kernel's pick, released). */
static unsigned free_port(void)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    unsigned port = 0;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &alen) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

/* redis-server on 127.0.0.1:redis_port, no persistence; 1 once it answers PING. */
static int redis_start(void)
{
    char port[16];
    char *argv[] = { "redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                     "--daemonize", "no", NULL };
    long long end = mono_ms() + 10000;
    snprintf(port, sizeof port, "%u", redis_port);
    if ((redis_pid = spawn(argv, NULL)) < 0) return 0;
    while (mono_ms() < end) {
        struct timeval tv = { 0, 200000 };
        redisContext *c = redisConnectWithTimeout("127.0.0.1", (int)redis_port, tv);
        int up = 0;
        if (c && !c->err) {
            redisReply *rep = (redisReply *)redisCommand(c, "PING");
            up = rep && rep->type == REDIS_REPLY_STATUS;
            if (rep) freeReplyObject(rep);
        }
        if (c) redisFree(c);
        if (up) return 1;
        sleep_ms(20);
    }
    return 0;
}

/* ---- the simulator server and a client of it ------------------------------------------ */

static pid_t sim_pid;
static unsigned sim_port;
static long long sim_now = SIM_NOW;
static long long fixed_clock(void *user) { return *(const long long *)user; }

static int sim_start(void)
{
    char *argv[] = { SIM_SERVER, "--life", "120", "--now", "1795425372", "--notify-scale", "1000", "--max-conns",
                     "1000", NULL };
    argv[0] = getenv("WXP_SIM_SERVER") ? getenv("WXP_SIM_SERVER") : argv[0];
    if ((sim_pid = spawn(argv, OUT_DIR "/sim.out")) < 0) return 0;
    return (sim_port = port_of(OUT_DIR "/sim.out", 15000)) != 0;
}

typedef struct sim_client {
    wxp_sock             sock;
    wxp_sock_posix       net;
    unsigned char        tls[BR_SSL_BUFSIZE_BIDI];
    br_x509_trust_anchor anchors[4];
    unsigned char        arena[4096];
    char                 host[64], ca[8192], cert[8192];
    wxp_keystore         keys;
    wxp_pubkey           slots[2];
    wxp_client           client;
    unsigned char        io[WXP_IO_BUFSIZE_DEFAULT];
} sim_client;

static size_t load(const char *path, char *buf, size_t cap)
{
    size_t n = slurp(path, buf, cap);
    if (!n) {
        printf("FAIL: cannot read %s (run from the repository root)\n", path);
        exit(1);
    }
    return n;
}

/* The sockets transport to the server and a client of its merchant (APIv3,
   APIv2 with the client certificate), cfg's other fields from extra. */
static int sim_client_open(sim_client *s, const wxp_config *extra)
{
    wxp_sock_config sc;
    wxp_config cfg;
    wxp_result r;
    size_t count = 0, used = 0;
    wxp_str ca;
    ca.ptr = s->ca;
    ca.len = load(CERTS "ca.pem", s->ca, sizeof s->ca);
    load(CERTS "client_cert.pem", s->cert, sizeof s->cert);
    if (wxp_sock_anchors_load(s->anchors, 4, s->arena, sizeof s->arena, ca, &count, &used, &r) != WXP_OK) return 0;
    memset(&sc, 0, sizeof sc);
    wxp_sock_posix_init(&s->net);
    sc.io = wxp_sock_posix_io(&s->net);
    sc.anchors = s->anchors;
    sc.anchor_count = count;
    sc.tls_buf = s->tls;
    sc.tls_buf_size = sizeof s->tls;
    sc.connect_to = "127.0.0.1";
    sc.clock.fn = fixed_clock;
    sc.clock.user = &sim_now;
    if (wxp_sock_init(&s->sock, &sc, &r) != WXP_OK) return 0;
    snprintf(s->host, sizeof s->host, "%s:%u", HOST, sim_port);
    wxp_keystore_init(&s->keys, s->slots, 2);
    if (wxp_keystore_add_pubkey(&s->keys, WXP_TEST_PUB_KEY_ID, wxp_cstr(WXP_TEST_WECHATPAY_PUB), &r) != WXP_OK)
        return 0;
    if (extra) cfg = *extra;
    else memset(&cfg, 0, sizeof cfg);
    cfg.mchid = WXP_TEST_MCHID;
    cfg.serial = WXP_TEST_SERIAL;
    cfg.appid = APPID;
    cfg.private_key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    cfg.apiv3_key = wxp_cstr(WXP_TEST_APIV3_KEY);
    cfg.apiv2_key = wxp_cstr(WXP_TEST_APIV2_KEY);
    cfg.client_cert.cert_pem = wxp_cstr(s->cert);
    cfg.client_cert.key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    cfg.keys = &s->keys;
    cfg.clock.fn = fixed_clock;
    cfg.clock.user = &sim_now;
    cfg.host = s->host;
    cfg.timeout_ms = CALL_MS;
    cfg.io_buf = s->io;
    cfg.io_buf_size = sizeof s->io;
    cfg.transport = wxp_sock_as_transport(&s->sock);
    if (wxp_client_init(&s->client, &cfg, &r) != WXP_OK) {
        printf("client: %s %s\n", wxp_strerror(wxp_client_init(&s->client, &cfg, &r)), r.message);
        return 0;
    }
    return 1;
}

static void sim_client_close(sim_client *s)
{
    wxp_client_wipe(&s->client);
    wxp_sock_close(&s->sock);
}

/* A test endpoint of the server (unsigned): the status, the body in out; -1
   when the transport failed. */
static int sim_call_cert(sim_client *s, const char *method, const char *path, const wxp_client_cert *cc, char *out,
                         size_t cap)
{
    int status = rig_request(&s->sock, s->host, method, path, NULL, 0, cc, CALL_MS, out, cap);
    return status < 0 ? -1 : status;
}

static int sim_call(sim_client *s, const char *method, const char *path, char *out, size_t cap)
{
    return sim_call_cert(s, method, path, NULL, out, cap);
}

/* A Native order otn whose callbacks go to http://127.0.0.1:port/notify; 1 placed. */
static int place(sim_client *s, const char *otn, unsigned port, long long total)
{
    char raw[512];
    wxp_result r;
    wxp_err e;
    snprintf(raw, sizeof raw,
             "{\"appid\":\"" APPID "\",\"mchid\":\"" WXP_TEST_MCHID "\",\"description\":\"QQ doll\","
             "\"out_trade_no\":\"%s\",\"notify_url\":\"http://127.0.0.1:%u/notify\",\"amount\":{\"total\":%lld,"
             "\"currency\":\"CNY\"}}",
             otn, port, total);
    e = wxp_v3_request(&s->client, "POST", "/v3/pay/transactions/native", wxp_cstr(raw), &r);
    return CHECK(e == WXP_OK, "%s: %s %s", otn, wxp_strerror(e), r.message);
}

/* The statuses of the last /sim/pay's deliveries, "500,204" (waits for them). */
static void delivery_statuses(sim_client *s, char *out, size_t cap)
{
    char body[1024];
    const char *p;
    out[0] = 0;
    if (sim_call(s, "GET", "/sim/stats", body, sizeof body) != 200) return;
    if ((p = strstr(body, "\"notify_statuses\":\"")) != NULL)
        snprintf(out, cap, "%.*s", (int)strcspn(p + 19, "\""), p + 19);
}

/* ---- plain HTTP to the notify servers ------------------------------------------------ */

static int tcp_connect(unsigned port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((unsigned short)port);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    return fd;
}

/* Reads an HTTP answer off fd until it closes (Connection: close) or 5 s: its
   status (the body in out), or -1. Closes fd. */
static int read_answer(int fd, char *out, size_t cap)
{
    size_t n = 0;
    long long end = mono_ms() + 5000;
    const char *b;
    int status = -1;
    while (n + 1 < cap && mono_ms() < end) {
        struct pollfd p;
        ssize_t got;
        p.fd = fd;
        p.events = POLLIN;
        p.revents = 0;
        if (poll(&p, 1, 200) <= 0) continue;
        if ((got = recv(fd, out + n, cap - 1 - n, 0)) <= 0) break;
        n += (size_t)got;
    }
    out[n] = 0;
    close(fd);
    if (strncmp(out, "HTTP/1.", 7) == 0) status = atoi(out + 9);
    if ((b = strstr(out, "\r\n\r\n")) != NULL) memmove(out, b + 4, strlen(b + 4) + 1);
    return status;
}

/* Takes one callback on lfd, answers 204: the raw request in buf. 1, or 0. */
static int take_callback(int lfd, char *buf, size_t cap)
{
    static const char ok[] = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
    struct pollfd pf;
    long long end = mono_ms() + 10000;
    size_t n = 0, need = 0;
    int fd;
    pf.fd = lfd;
    pf.events = POLLIN;
    pf.revents = 0;
    if (poll(&pf, 1, 10000) <= 0 || (fd = accept(lfd, NULL, NULL)) < 0) return 0;
    while (mono_ms() < end && n + 1 < cap && (!need || n < need)) {
        const char *he;
        ssize_t got;
        buf[n] = 0;
        if (!need && (he = strstr(buf, "\r\n\r\n")) != NULL) {
            const char *cl = strstr(buf, "Content-Length: ");
            need = (size_t)(he - buf) + 4 + (cl ? (size_t)atol(cl + 16) : 0);
            if (n >= need) break;
        }
        pf.fd = fd;
        if (poll(&pf, 1, 200) <= 0) continue;
        if ((got = recv(fd, buf + n, cap - 1 - n, 0)) <= 0) break;
        n += (size_t)got;
    }
    buf[n] = 0;
    (void)!send(fd, ok, sizeof ok - 1, MSG_NOSIGNAL);
    close(fd);
    return need && n >= need;
}

/* ---- notify_server instances ---------------------------------------------------------- */

typedef struct instance { pid_t pid; unsigned port; char log[128]; } instance;

static int instance_start(instance *in, const char *name, const char *hold_ms)
{
    char redis[32];
    char *argv[] = { NOTIFY_SERVER, "--redis", redis, "--now", "1795425372", "--life", "110", "--name", (char *)name,
                     "--hold-ms", (char *)hold_ms, NULL };
    snprintf(redis, sizeof redis, "127.0.0.1:%u", redis_port);
    snprintf(in->log, sizeof in->log, OUT_DIR "/notify_%s.out", name);
    if ((in->pid = spawn(argv, in->log)) < 0) return 0;
    return (in->port = port_of(in->log, 10000)) != 0;
}

/* Waits for the start of Redis' next second (the budgets' seconds). */
static void next_redis_second(void)
{
    struct timeval tv = { 1, 0 };
    redisContext *c = redisConnectWithTimeout("127.0.0.1", (int)redis_port, tv);
    redisReply *rep = c && !c->err ? (redisReply *)redisCommand(c, "TIME") : NULL;
    if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2)
        sleep_ms((unsigned)(1000 - atoll(rep->element[1]->str) / 1000) + 5);
    if (rep) freeReplyObject(rep);
    if (c) redisFree(c);
}

/* ---- 1. the adapter alone -------------------------------------------------------------- */

static wxp_redis_config redis_config(void)
{
    wxp_redis_config rc;
    memset(&rc, 0, sizeof rc);
    rc.port = (int)redis_port;
    rc.mchid = WXP_TEST_MCHID;
    rc.retry_ms = 100;
    return rc;
}

static void t_adapter(void)
{
    wxp_redis_config rc = redis_config();
    wxp_redis r;
    wxp_str nonce = wxp_cstr("5K8264ILTKCH16CQ2502SI8ZNMTM67VS");
    long long ts = SIM_NOW - 7;
    int k, got = 0;
    redisContext *c;
    redisReply *rep;
    struct timeval tv = { 1, 0 };

    printf("== 1. the adapter on redis-server :%u\n", redis_port);
    wxp_redis_init(&r, &rc);
    CHECK(wxp_redis_replay_state(&r, nonce, ts) == WXP_REDIS_FRESH, "%s", r.error);
    CHECK(wxp_redis_replay_check(&r, nonce, ts) == 0, "first delivery: %s", r.error);
    CHECK(wxp_redis_replay_check(&r, nonce, ts) == 1, "second delivery");
    CHECK(wxp_redis_replay_check(&r, nonce, ts + 1) == 0, "another timestamp is another callback");
    CHECK(wxp_redis_replay_state(&r, nonce, ts) == WXP_REDIS_CLAIMED, "claimed");
    /* A claim stands claim_s (60 s); done outlives the clock window (2 x 300 s + 60). */
    c = redisConnectWithTimeout("127.0.0.1", (int)redis_port, tv);
    rep = (redisReply *)redisCommand(c, "TTL {wxp:%s}:cb:%lld:%s", WXP_TEST_MCHID, ts, nonce.ptr);
    CHECK(rep && rep->type == REDIS_REPLY_INTEGER && rep->integer > 50 && rep->integer <= 60, "claim TTL %lld",
          rep ? rep->integer : -1LL);
    if (rep) freeReplyObject(rep);
    CHECK(wxp_redis_replay_done(&r, nonce, ts) == 0, "%s", r.error);
    CHECK(wxp_redis_replay_state(&r, nonce, ts) == WXP_REDIS_DONE, "done");
    rep = (redisReply *)redisCommand(c, "TTL {wxp:%s}:cb:%lld:%s", WXP_TEST_MCHID, ts, nonce.ptr);
    CHECK(rep && rep->type == REDIS_REPLY_INTEGER && rep->integer > 600 && rep->integer <= 660, "done TTL %lld",
          rep ? rep->integer : -1LL);
    if (rep) freeReplyObject(rep);
    CHECK(wxp_redis_replay_forget(&r, nonce, ts + 1) == 0, "%s", r.error);
    CHECK(wxp_redis_replay_check(&r, nonce, ts + 1) == 0, "forgotten: handled afresh");
    /* Done after the claim expired: refused (the callback may be handled elsewhere). */
    rep = (redisReply *)redisCommand(c, "DEL {wxp:%s}:cb:%lld:%s", WXP_TEST_MCHID, ts + 1, nonce.ptr);
    if (rep) freeReplyObject(rep);
    CHECK(wxp_redis_replay_done(&r, nonce, ts + 1) == -1 && !r.down && strstr(r.error, "claim expired"), "%s",
          r.error);
    /* Another merchant's guard does not see this one's callbacks. */
    {
        wxp_redis other;
        wxp_redis_config oc = rc;
        oc.mchid = "1900000002";
        wxp_redis_init(&other, &oc);
        CHECK(wxp_redis_replay_check(&other, nonce, ts) == 0, "other merchant: %s", other.error);
        wxp_redis_close(&other);
    }
    /* The budget: qps tokens a second; asking does not spend; a spent budget
       refuses until Redis' next second. Run at the start of a second. */
    next_redis_second();
    for (k = 0; k < 5; k++) got += wxp_redis_budget_take(&r, "v2_refund", 3, 1, 0);
    CHECK(got == 3, "3 of 5 takes at qps 3, got %d", got);
    CHECK(wxp_redis_budget_take(&r, "v2_refund", 3, 0, 0) == 0, "spent: asking says none");
    CHECK(wxp_redis_budget_take(&r, "v3_refund_fail", 3, 0, 0) == 1, "another budget is its own");
    sleep_ms(1000);
    CHECK(wxp_redis_budget_take(&r, "v2_refund", 3, 0, 0) == 1, "next second: a token");
    redisFree(c);
    wxp_redis_close(&r);
}

/* ---- 2 and 3. callbacks through notify_server ------------------------------------------ */

static instance A, B;

static void t_callback_delivered(sim_client *s)
{
    char path[128], body[1024], st[128], needle[96];
    printf("== 2. the simulator's payment callback to notify_server\n");
    if (!place(s, "T-REDIS-CB-1", A.port, 1200)) return;
    snprintf(path, sizeof path, "/sim/pay?out_trade_no=%s", "T-REDIS-CB-1");
    CHECK(sim_call(s, "POST", path, body, sizeof body) == 200, "%s", body);
    delivery_statuses(s, st, sizeof st);
    CHECK(strcmp(st, "204") == 0, "deliveries answered %s", st);
    snprintf(needle, sizeof needle, "TRANSACTION.SUCCESS out_trade_no=%s ", "T-REDIS-CB-1");
    CHECK(count_in(A.log, needle) == 1, "processed %d times", count_in(A.log, needle));
    CHECK(count_in(A.log, "trade_state=SUCCESS total=1200") == 1, "decoded");
}

static void t_two_instances(sim_client *s)
{
    static char raw[16384];
    char path[128], body[1024], a1[512], b1[512], b2[512], needle[96];
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    int lfd, fa, fb, sa, sb, processed;
    size_t len;

    printf("== 3. one callback delivered to two instances at once\n");
    /* The test is the load balancer: it takes the callback and hands the same
       bytes to both instances (as a redelivery after a lost answer would). */
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!CHECK(lfd >= 0 && bind(lfd, (struct sockaddr *)&a, sizeof a) == 0 && listen(lfd, 4) == 0 &&
                   getsockname(lfd, (struct sockaddr *)&a, &alen) == 0,
               "listen: %s", strerror(errno)))
        return;
    if (!place(s, "T-REDIS-CB-2", ntohs(a.sin_port), 1300)) return;
    snprintf(path, sizeof path, "/sim/pay?out_trade_no=%s", "T-REDIS-CB-2");
    CHECK(sim_call(s, "POST", path, body, sizeof body) == 200, "%s", body);
    CHECK(take_callback(lfd, raw, sizeof raw), "no callback came");
    close(lfd);
    len = strlen(raw);
    fa = tcp_connect(A.port);
    fb = tcp_connect(B.port);
    if (!CHECK(fa >= 0 && fb >= 0, "connect")) return;
    CHECK(send(fa, raw, len, MSG_NOSIGNAL) == (ssize_t)len && send(fb, raw, len, MSG_NOSIGNAL) == (ssize_t)len, "send");
    sa = read_answer(fa, a1, sizeof a1);
    sb = read_answer(fb, b1, sizeof b1);
    /* Both held it 300 ms: one handled it, the other found it being handled. */
    CHECK((sa == 204 && sb == 500) || (sa == 500 && sb == 204), "answers %d and %d", sa, sb);
    CHECK(strstr(sa == 500 ? a1 : b1, "\"code\":\"FAIL\"") != NULL, "failure body %s", sa == 500 ? a1 : b1);
    snprintf(needle, sizeof needle, "out_trade_no=%s ", "T-REDIS-CB-2");
    processed = count_in(A.log, needle) + count_in(B.log, needle);
    CHECK(processed == 1, "processed %d times", processed);
    /* WeChat Pay delivers the refused one again: the instance that refused it
       now finds it done, acknowledges it and does not process it. */
    fb = tcp_connect(sa == 500 ? A.port : B.port);
    CHECK(send(fb, raw, len, MSG_NOSIGNAL) == (ssize_t)len, "send");
    sb = read_answer(fb, b2, sizeof b2);
    CHECK(sb == 204, "redelivery answered %d %s", sb, b2);
    processed = count_in(A.log, needle) + count_in(B.log, needle);
    CHECK(processed == 1, "processed %d times", processed);
    CHECK(count_in(sa == 500 ? A.log : B.log, "DUPLICATE") == 1, "acknowledged as done before");
}

/* ---- 4. Redis killed mid-run ------------------------------------------------------------- */

static void t_redis_killed(sim_client *s)
{
    char path[128], body[1024], st[128], needle[96];
    wxp_redis_config rc = redis_config();
    wxp_redis r, open_r;
    long long t0, end;
    int retries, k;

    printf("== 4. Redis killed mid-run\n");
    if (!place(s, "T-REDIS-CB-3", A.port, 1400)) return;
    /* Slow first: a stopped Redis holds each call for timeout_ms, then the
       connection goes and calls fail at once until retry_ms has passed. */
    wxp_redis_init(&r, &rc);
    CHECK(wxp_redis_replay_check(&r, wxp_cstr("NONCE-SLOW"), SIM_NOW) == 0, "up: %s", r.error);
    kill(redis_pid, SIGSTOP);
    t0 = mono_ms();
    CHECK(wxp_redis_replay_check(&r, wxp_cstr("NONCE-SLOW"), SIM_NOW) == -1 && r.down, "guard on a stopped Redis");
    CHECK(strstr(r.error, "no answer within timeout_ms (250 ms)") != NULL, "says it timed out: %s", r.error);
    CHECK(mono_ms() - t0 >= 240 && mono_ms() - t0 < 1000, "waited %lld ms", mono_ms() - t0);
    printf("   slow: %s (%lld ms)\n", r.error, mono_ms() - t0);
    t0 = mono_ms();
    CHECK(wxp_redis_budget_take(&r, "v2_refund", 10, 1, 0) == -1, "budget on a stopped Redis");
    CHECK(mono_ms() - t0 < 50, "no second wait within retry_ms: %lld ms", mono_ms() - t0);
    kill(redis_pid, SIGCONT);
    wxp_redis_close(&r);
    stop(&redis_pid, SIGKILL);
    /* The adapter: "could not check", never "seen" or "fresh"; the budget fails
       closed, or open when asked; each says why. */
    wxp_redis_init(&r, &rc);
    t0 = mono_ms();
    CHECK(wxp_redis_replay_check(&r, wxp_cstr("NONCE-DOWN"), SIM_NOW) == -1 && r.down, "guard down");
    CHECK(strstr(r.error, "connect") != NULL, "error names the step: %s", r.error);
    printf("   guard: %s\n", r.error);
    CHECK(wxp_redis_budget_take(&r, "v2_refund", 10, 1, 0) == -1 && r.down, "budget fails closed");
    printf("   budget: %s\n", r.error);
    CHECK(mono_ms() - t0 < 1000, "bounded: %lld ms", mono_ms() - t0);
    rc.budget_fail_open = 1;
    wxp_redis_init(&open_r, &rc);
    CHECK(wxp_redis_budget_take(&open_r, "v2_refund", 10, 1, 0) == 1 && open_r.down, "budget fails open when asked");
    /* Through the client: a refund fails closed before it is sent, or goes
       ahead with a budget that fails open. */
    {
        static sim_client bc;
        wxp_config extra;
        wxp_v2_refund_req req;
        wxp_v2_refund_result out;
        wxp_result rr;
        wxp_err e;
        CHECK(sim_call(s, "POST", "/sim/order?out_trade_no=T-REDIS-DOWN&total=500", body, sizeof body) == 200, "%s",
              body);
        memset(&req, 0, sizeof req);
        req.appid = APPID;
        req.out_trade_no = "T-REDIS-DOWN";
        req.out_refund_no = "R-REDIS-DOWN-1";
        req.total_fee = 500;
        req.refund_fee = 100;
        for (k = 0; k < 2; k++) {
            memset(&extra, 0, sizeof extra);
            extra.rate.budget = wxp_redis_budget(k ? &open_r : &r);
            extra.rate.fail_fast = 1;
            if (!CHECK(sim_client_open(&bc, &extra), "client")) break;
            memset(&out, 0, sizeof out);
            e = wxp_v2_refund(&bc.client, &req, &out, &rr);
            if (!k) {
                CHECK(e == WXP_E_RATE && !rr.sent, "fails closed: %s sent=%d", wxp_errname(e), rr.sent);
                CHECK(strcmp(rr.field, "v2_refund") == 0 && strstr(rr.message, "did not answer"), "says why: %s %s",
                      rr.field, rr.message);
                printf("   refund, budget closed: %s: %s (sent %d)\n", wxp_errname(e), rr.message, rr.sent);
            } else {
                CHECK(e == WXP_OK, "fails open: %s %s", wxp_errname(e), rr.message);
            }
            sim_client_close(&bc);
            /* What the simulator booked: nothing while closed, the refund when open. */
            CHECK(sim_call(s, "GET", "/sim/order?out_trade_no=T-REDIS-DOWN", body, sizeof body) == 200 &&
                      strstr(body, k ? "\"refunded\":100," : "\"refunded\":0,"),
                  "booked: %s", body);
        }
    }
    wxp_redis_close(&open_r);

    /* A payment while Redis is down: notify_server answers 500, WeChat Pay
       delivers again; Redis comes back; a redelivery is handled, once. */
    snprintf(path, sizeof path, "/sim/pay?out_trade_no=%s", "T-REDIS-CB-3");
    CHECK(sim_call(s, "POST", path, body, sizeof body) == 200, "%s", body);
    end = mono_ms() + 5000;
    while ((retries = count_in(A.log, "RETRY A replay guard unavailable")) < 2 && mono_ms() < end) sleep_ms(10);
    CHECK(retries >= 2, "refused while Redis is down: %d", retries);
    CHECK(redis_start(), "redis-server did not come back on :%u", redis_port);
    delivery_statuses(s, st, sizeof st);
    printf("   deliveries answered %s\n", st);
    CHECK(strncmp(st, "500,500,", 8) == 0 && strlen(st) > 4 && strcmp(st + strlen(st) - 4, ",204") == 0,
          "500s while down, then 204: %s", st);
    snprintf(needle, sizeof needle, "out_trade_no=%s ", "T-REDIS-CB-3");
    CHECK(count_in(A.log, needle) == 1, "processed %d times", count_in(A.log, needle));
    /* And the adapter reconnects by itself. */
    sleep_ms(150);
    CHECK(wxp_redis_replay_check(&r, wxp_cstr("NONCE-DOWN"), SIM_NOW) == 0 && !r.down, "back: %s", r.error);
    wxp_redis_close(&r);
}

/* ---- 5. one budget, four processes -------------------------------------------------------- */

#define HAMMERS    4
#define BUDGET_QPS 10
#define HAMMER_MS  3200

/* One instance (a child process): APIv2 refunds of 1 fen on its own order as
   fast as the shared budget lets it, for HAMMER_MS. Exits 0, or 1 on any
   other error. */
static void hammer(int id, long long start_ms)
{
    static sim_client hs;
    wxp_redis_config rc = redis_config();
    wxp_redis rd;
    wxp_config extra;
    wxp_v2_refund_req req;
    wxp_v2_refund_result out;
    wxp_result r;
    char otn[32], rno[48];
    long long end;
    unsigned done = 0, refused = 0, errors = 0;
    wxp_redis_init(&rd, &rc);             /* after the fork: a connection of its own */
    memset(&extra, 0, sizeof extra);
    extra.rate.budget = wxp_redis_budget(&rd);
    extra.rate.v2_refund_qps = BUDGET_QPS;
    extra.rate.fail_fast = 1;             /* hammering: ask again at once */
    if (!sim_client_open(&hs, &extra)) _exit(1);
    snprintf(otn, sizeof otn, "T-HAMMER-%d", id);
    {   /* A server keeps its connection: open it (mutual TLS, as the refunds'
           is) before the start, so the first refund does not wait for a
           handshake after its token was taken. */
        wxp_client_cert cc;
        char body[1024];
        cc.cert_pem = wxp_cstr(hs.cert);
        cc.key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
        if (sim_call_cert(&hs, "GET", "/sim/stats", &cc, body, sizeof body) != 200) _exit(1);
    }
    while (mono_ms() < start_ms) sleep_ms(1);
    end = mono_ms() + HAMMER_MS;
    while (mono_ms() < end && errors < 3) {
        wxp_err e;
        memset(&req, 0, sizeof req);
        memset(&out, 0, sizeof out);
        snprintf(rno, sizeof rno, "R-HAMMER-%d-%u", id, done);
        req.appid = APPID;
        req.out_trade_no = otn;
        req.out_refund_no = rno;
        req.total_fee = 1000000;
        req.refund_fee = 1;
        e = wxp_v2_refund(&hs.client, &req, &out, &r);
        if (e == WXP_OK) done++;
        else if (e == WXP_E_RATE && !r.sent && !rd.down) {
            refused++;                    /* spent this second: nothing sent */
            sleep_ms(1);
        } else {
            errors++;
            printf("   hammer %d: %s %s %s\n", id, wxp_strerror(e), r.code, r.message);
        }
    }
    printf("   instance %d: %u refunds, %u refused by the budget%s\n", id, done, refused, errors ? ", ERRORS" : "");
    sim_client_close(&hs);
    wxp_redis_close(&rd);
    _exit(errors ? 1 : 0);
}

static void t_budget(sim_client *s)
{
    pid_t kids[HAMMERS];
    char path[96], body[1024], per_s[200];
    const char *p;
    int k, st, most, full = 0;
    long long start_ms = mono_ms() + 1500;
    printf("== 5. %d processes, one APIv2 refund budget of %d a second\n", HAMMERS, BUDGET_QPS);
    for (k = 0; k < HAMMERS; k++) {
        snprintf(path, sizeof path, "/sim/order?out_trade_no=T-HAMMER-%d&total=1000000", k);
        if (!CHECK(sim_call(s, "POST", path, body, sizeof body) == 200, "%s", body)) return;
    }
    fflush(stdout);
    for (k = 0; k < HAMMERS; k++)
        if ((kids[k] = fork()) == 0) hammer(k, start_ms);
    for (k = 0; k < HAMMERS; k++) {
        CHECK(kids[k] > 0 && waitpid(kids[k], &st, 0) == kids[k] && WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "instance %d failed", k);
    }
    /* What WeChat Pay would count: the requests that reached the simulator in
       each second of the wall clock (Redis' clock is the same machine's). */
    if (!CHECK(sim_call(s, "GET", "/sim/stats", body, sizeof body) == 200, "%s", body)) return;
    p = strstr(body, "\"refunds_per_second\":\"");
    snprintf(per_s, sizeof per_s, "%.*s", p ? (int)strcspn(p + 22, "\"") : 0, p ? p + 22 : "");
    p = strstr(body, "\"refunds_max_per_second\":");
    most = p ? atoi(p + 25) : -1;
    printf("   refunds at the simulator, per second: %s (most %d)\n", per_s, most);
    CHECK(most >= 0 && most <= BUDGET_QPS, "a second with %d refunds, over the budget of %d", most, BUDGET_QPS);
    /* The budget bound: whole seconds ran at it exactly (4 instances want far more). */
    for (p = per_s; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] ? 1 : 0))
        full += atoi(p) == BUDGET_QPS;
    CHECK(full >= 2, "seconds at the budget: %d (%s)", full, per_s);
}

/* The APIv3 failure budget, spent after the fact: one instance's failing
   refunds spend it, and another's next refund is refused before it is sent. */
static void t_fail_budget(void)
{
    static sim_client ia, ib;
    wxp_redis_config rc = redis_config();
    wxp_redis ra, rb;
    wxp_config extra;
    wxp_refund_req req;
    wxp_refund out;
    wxp_result r;
    wxp_err e;
    char rno[32];
    int k, failed = 0;
    printf("== 6. the APIv3 failed-refund budget (3 a second), shared by two instances\n");
    wxp_redis_init(&ra, &rc);
    wxp_redis_init(&rb, &rc);
    memset(&extra, 0, sizeof extra);
    extra.rate.v3_refund_fail_qps = 3;
    extra.rate.fail_fast = 1;
    extra.rate.budget = wxp_redis_budget(&ra);
    if (!CHECK(sim_client_open(&ia, &extra), "client A")) return;
    extra.rate.budget = wxp_redis_budget(&rb);
    if (!CHECK(sim_client_open(&ib, &extra), "client B")) return;
    memset(&req, 0, sizeof req);
    req.out_trade_no = "T-NO-SUCH-ORDER";
    req.amount.refund = 1;
    req.amount.total = 1;
    next_redis_second();
    for (k = 0; k < 3; k++) {                      /* A: three refunds WeChat Pay refuses */
        snprintf(rno, sizeof rno, "R-FAIL-A-%d", k);
        req.out_refund_no = rno;
        e = wxp_refund_create(&ia.client, &req, &out, &r);
        failed += e == WXP_E_HTTP && r.sent;
    }
    CHECK(failed == 3, "A's refunds failed at WeChat Pay: %d of 3 (%s)", failed, r.code);
    req.out_refund_no = "R-FAIL-B-0";              /* B: the budget is spent, for B too */
    e = wxp_refund_create(&ib.client, &req, &out, &r);
    CHECK(e == WXP_E_RATE && !r.sent, "B refused before sending: %s sent=%d %s", wxp_errname(e), r.sent, r.message);
    printf("   A: 3 refunds refused by WeChat Pay (%s); B: %s, sent %d\n", failed ? "HTTP" : "-", wxp_errname(e), r.sent);
    next_redis_second();
    e = wxp_refund_create(&ib.client, &req, &out, &r);
    CHECK(e == WXP_E_HTTP && r.sent, "the next second B sends it: %s sent=%d", wxp_errname(e), r.sent);
    sim_client_close(&ia);
    sim_client_close(&ib);
    wxp_redis_close(&ra);
    wxp_redis_close(&rb);
}

int main(void)
{
    static sim_client s;
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    if (!on_path("redis-server")) {
        printf("== redis_shared: SKIPPED: redis-server is not installed (Debian: apt-get install redis-server); "
               "the shared replay guard and rate budget were NOT tested\n");
        return 0;
    }
    mkdir("build", 0755);
    mkdir(OUT_DIR, 0755);
    redis_port = free_port();
    if (!CHECK(redis_port && redis_start(), "redis-server did not start on :%u", redis_port)) goto done;
    if (!CHECK(sim_start(), "could not start %s (run from the repository root after make)", SIM_SERVER)) goto done;
    if (!CHECK(sim_client_open(&s, NULL), "simulator client")) goto done;
    t_adapter();
    if (!CHECK(instance_start(&A, "A", "300") && instance_start(&B, "B", "300"), "could not start %s", NOTIFY_SERVER))
        goto done;
    t_callback_delivered(&s);
    t_two_instances(&s);
    t_redis_killed(&s);
    t_budget(&s);
    t_fail_budget();
    sim_client_close(&s);
done:
    stop(&A.pid, SIGTERM);
    stop(&B.pid, SIGTERM);
    stop(&sim_pid, SIGTERM);
    stop(&redis_pid, SIGTERM);
    printf("== redis_shared: %s\n", failures ? "FAILED" : "ok");
    return failures != 0;
}
