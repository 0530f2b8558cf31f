/* tests/lwip_transport.c - lwIP carries a terminal's calls: the lwIP transport
   (transports/wechatpay_lwip.h) and the terminal module of examples/lwip_pos.c
   on Debian's lwIP (liblwip-dev, the unix port: threads, its own TCP/IP),
   against the loopback simulator server (build/wxp_sim_server, started here).

   The path of every byte, in one process, with no TAP device:
       terminal: wxp_sock (TLS) -> lwip_send on an lwIP socket
       -> lwIP TCP -> IP -> the "wire" netif 10.0.0.1 (its own address: lwIP's
          loopback, LWIP_NETIF_LOOPBACK) -> IP -> TCP
       -> an lwIP socket accepted by the gateway thread here, which relays the
          bytes as they are to the simulator server over a host socket (as a
          NAT router between a terminal and the Internet would), and back.
   TLS ends in the simulator: the gateway sees only records. The gateway
   counts the bytes it relays; they must equal what the transport wrote and
   read, so lwIP carried all of them.

   What runs: the primary host refuses (nothing listens at its port on lwIP:
   lwIP's RST), so the client fails over to the backup, where it makes a
   signed APIv3 refund (verified answer), then a whole APIv2 POS sale
   (wxp_pos_sale, PAID), then a call slower than its timeout (lwIP's poll
   bounds the wait), then a sale on a new connection that resumes the TLS
   session. A plain program (make build/lwip_transport; make test runs it, or
   says SKIPPED where liblwip-dev is not installed). */
#define _POSIX_C_SOURCE 200809L
#include "examples/lwip_pos.c"
#include "tests/sim_rig.h"

#include "lwip/tcpip.h"
#include "lwip/netif.h"
#include "lwip/ip4_addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>

static int failures;
#define CHECK(cond, ...) \
    do { if (!(cond)) { failures++; printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
                        printf(__VA_ARGS__); printf("\n"); } } while (0)

/* ---- lwIP up: the wire netif ------------------------------------------------------ */

static struct netif wire;
static unsigned long wire_off;       /* packets for anywhere but 10.0.0.1 (none expected) */

static err_t wire_output(struct netif *n, struct pbuf *p, const ip4_addr_t *dst)
{
    (void)n; (void)p; (void)dst;
    wire_off++;
    return ERR_RTE;
}

static err_t wire_init(struct netif *n)
{
    n->name[0] = 'w';
    n->name[1] = 'x';
    n->output = wire_output;
    n->mtu = 1500;                  /* Ethernet's: TCP segments as on a terminal's link */
    return ERR_OK;
}

static void lwip_up(void *arg)      /* in lwIP's thread */
{
    ip4_addr_t ip, mask, gw;
    IP4_ADDR(&ip, 10, 0, 0, 1);
    IP4_ADDR(&mask, 255, 255, 255, 0);
    IP4_ADDR(&gw, 0, 0, 0, 0);
    netif_add(&wire, &ip, &mask, &gw, NULL, wire_init, tcpip_input);
    netif_set_default(&wire);
    netif_set_link_up(&wire);
    netif_set_up(&wire);
    sys_sem_signal((sys_sem_t *)arg);
}

/* ---- the gateway: lwIP sockets in, host sockets out ------------------------------------ */

#define GW_MAX 2
static struct { int lfd, hfd, up_eof, down_eof; } gw[GW_MAX];
static int gw_listen = -1;
static unsigned gw_port;
static pthread_t gw_thread;
static pthread_mutex_t gw_mu = PTHREAD_MUTEX_INITIALIZER;
static int gw_stop, gw_active;                  /* under gw_mu */
static unsigned long long gw_up, gw_down;       /* bytes relayed, under gw_mu */
static unsigned long gw_conns;

static int host_send_all(int fd, const unsigned char *p, long n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, (size_t)n, MSG_NOSIGNAL);
        if (k <= 0) return -1;
        p += k;
        n -= k;
    }
    return 0;
}

static int lwip_send_all(int fd, const unsigned char *p, long n)
{
    while (n > 0) {
        ssize_t k = lwip_send(fd, p, (size_t)n, 0);
        if (k <= 0) return -1;
        p += k;
        n -= k;
    }
    return 0;
}

/* A connection accepted on lwIP: the host socket to the server, or -1. */
static int gw_connect_host(void)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((unsigned short)gw_port);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    return fd;
}

/* One thread, every socket non-blocking: lwIP sockets are used from one
   thread each (LWIP_NETCONN_FULLDUPLEX is off in Debian's build). */
static void *gw_main(void *arg)
{
    static unsigned char buf[8192];
    (void)arg;
    for (;;) {
        struct pollfd lp;
        int k, idle = 1, stop;
        pthread_mutex_lock(&gw_mu);
        stop = gw_stop;
        pthread_mutex_unlock(&gw_mu);
        if (stop) break;
        lp.fd = gw_listen;
        lp.events = POLLIN;
        lp.revents = 0;
        if (lwip_poll(&lp, 1, 0) > 0) {
            int lfd = lwip_accept(gw_listen, NULL, NULL);
            for (k = 0; k < GW_MAX && gw[k].lfd >= 0; k++) {}
            if (lfd >= 0 && k < GW_MAX && (gw[k].hfd = gw_connect_host()) >= 0) {
                gw[k].lfd = lfd;
                gw[k].up_eof = gw[k].down_eof = 0;
                pthread_mutex_lock(&gw_mu);
                gw_active++;
                gw_conns++;
                pthread_mutex_unlock(&gw_mu);
            } else if (lfd >= 0) {
                lwip_close(lfd);
            }
            idle = 0;
        }
        for (k = 0; k < GW_MAX; k++) {
            long n;
            if (gw[k].lfd < 0) continue;
            if (!gw[k].up_eof) {
                n = (long)lwip_recv(gw[k].lfd, buf, sizeof buf, MSG_DONTWAIT);
                if (n > 0 && host_send_all(gw[k].hfd, buf, n) == 0) {
                    pthread_mutex_lock(&gw_mu);
                    gw_up += (unsigned long long)n;
                    pthread_mutex_unlock(&gw_mu);
                    idle = 0;
                } else if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                    gw[k].up_eof = 1;
                    shutdown(gw[k].hfd, SHUT_WR);
                }
            }
            if (!gw[k].down_eof) {
                n = (long)recv(gw[k].hfd, buf, sizeof buf, MSG_DONTWAIT);
                if (n > 0 && lwip_send_all(gw[k].lfd, buf, n) == 0) {
                    pthread_mutex_lock(&gw_mu);
                    gw_down += (unsigned long long)n;
                    pthread_mutex_unlock(&gw_mu);
                    idle = 0;
                } else if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                    gw[k].down_eof = 1;
                    lwip_shutdown(gw[k].lfd, SHUT_WR);
                }
            }
            if (gw[k].up_eof && gw[k].down_eof) {
                lwip_close(gw[k].lfd);
                close(gw[k].hfd);
                gw[k].lfd = gw[k].hfd = -1;
                pthread_mutex_lock(&gw_mu);
                gw_active--;
                pthread_mutex_unlock(&gw_mu);
            }
        }
        if (idle) rig_sleep_ms(1);
    }
    return NULL;
}

static int gw_start(unsigned port)
{
    struct sockaddr_in a;
    int k;
    for (k = 0; k < GW_MAX; k++) gw[k].lfd = gw[k].hfd = -1;
    gw_port = port;
    gw_listen = lwip_socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    a.sin_port = htons((unsigned short)port);
    if (gw_listen < 0 || lwip_bind(gw_listen, (struct sockaddr *)&a, sizeof a) != 0 || lwip_listen(gw_listen, 2) != 0)
        return -1;
    return pthread_create(&gw_thread, NULL, gw_main, NULL) == 0 ? 0 : -1;
}

/* Waits (at most 3 s) until the gateway holds no connection: lwIP has few sockets. */
static int gw_quiet(void)
{
    long long end = rig_ms() + 3000;
    for (;;) {
        int active;
        pthread_mutex_lock(&gw_mu);
        active = gw_active;
        pthread_mutex_unlock(&gw_mu);
        if (!active) return 0;
        if (rig_ms() > end) return -1;
        rig_sleep_ms(2);
    }
}

static void gw_bytes(unsigned long long *up, unsigned long long *down)
{
    pthread_mutex_lock(&gw_mu);
    *up = gw_up;
    *down = gw_down;
    pthread_mutex_unlock(&gw_mu);
}

/* ---- the test ------------------------------------------------------------------------ */

static rig_server server;
static rig_ctl ctl;
static wxp_lwip ctl_net;
static lwip_pos_board board;
static char host[64], backup[64];
static wxp_pubkey key_slot[1];
static wxp_keystore keys;
static unsigned long long base_up, base_down, base_out, base_in;   /* check_carried's zero */

/* The control connection (through lwIP too), opened for one step and closed. */
static int ctl_begin(unsigned port)
{
    wxp_lwip_init(&ctl_net);
    return rig_ctl_open(&ctl, port, wxp_lwip_io(&ctl_net), "10.0.0.1");
}

static void ctl_end(void)
{
    wxp_sock_close(&ctl.sock);
    CHECK(gw_quiet() == 0, "the gateway let go of the control connection");
}

/* From here, what the gateway relays is the terminal's. */
static void carried_base(void)
{
    gw_bytes(&base_up, &base_down);
    base_out = pos_http.bytes_out;
    base_in = pos_http.bytes_in;
}

/* The gateway relayed exactly what the terminal's transport wrote and read
   since carried_base() (on a connection that is still open: nothing in flight). */
static void check_carried(const char *when)
{
    unsigned long long up, down, out, in;
    long long end = rig_ms() + 2000;
    do {
        gw_bytes(&up, &down);
        up -= base_up;
        down -= base_down;
        out = pos_http.bytes_out - base_out;
        in = pos_http.bytes_in - base_in;
        if (up == out && down == in) break;
        rig_sleep_ms(2);
    } while (rig_ms() < end);
    CHECK(up == out && down == in && out > 0 && in > 0,
          "%s: lwIP carried %llu/%llu bytes, the transport wrote/read %llu/%llu", when, up, down, out, in);
    printf("%s: lwIP carried %llu bytes out and %llu in, all the transport wrote and read\n", when, up, down);
}

static void wait_sleep(void *user, unsigned ms)
{
    (void)user;
    (void)ms;
}

/* ---- the terminal's task, on a stack of its own: its peak use is measured ------------- */

static union { long double align; void *p; unsigned char b[128 * 1024]; } task_stack;
typedef struct task { void (*fn)(void); } task;

static void *task_main(void *arg)
{
    ((const task *)arg)->fn();
    return NULL;
}

/* Runs fn on the painted stack: the bytes it touched (glibc's thread start included). */
static size_t run_task(void (*fn)(void))
{
    pthread_attr_t a;
    pthread_t t;
    task k;
    size_t i;
    k.fn = fn;
    memset(task_stack.b, 0xA5, sizeof task_stack.b);
    if (pthread_attr_init(&a) != 0 || pthread_attr_setstack(&a, task_stack.b, sizeof task_stack.b) != 0 ||
        pthread_create(&t, &a, task_main, &k) != 0) {
        CHECK(0, "cannot start the terminal's task");
        return 0;
    }
    pthread_join(t, NULL);
    pthread_attr_destroy(&a);
    for (i = 0; i < sizeof task_stack.b && task_stack.b[i] == 0xA5; i++) {}
    return sizeof task_stack.b - i;
}


/* ---- the steps (each runs as the terminal's task) ----------------------------------------- */

static unsigned port;
static size_t anchor_used;

/* A signed APIv3 call, a refund, its answer verified: on a new connection, after
   the primary refused it (failover), with a full TLS handshake. */
static void step_refund(void)
{
    wxp_refund_req req;
    wxp_refund out;
    wxp_result r;
    wxp_err e;
    memset(&req, 0, sizeof req);
    memset(&out, 0, sizeof out);        /* its arrays' pointers and capacities are the caller's */
    req.out_trade_no = "LWIP-ORDER-1";
    req.out_refund_no = "LWIP-REFUND-1";
    req.amount.refund = 300;
    req.amount.total = 800;
    e = wxp_refund_create(&pos_client, &req, &out, &r);
    CHECK(e == WXP_OK && r.status == 200, "refund: %s %d %s", wxp_errname(e), r.status, r.message);
    CHECK(out.amount.refund == 300, "refund amount %lld", out.amount.refund);
    /* The primary refuses every connection: the answer came from the backup. */
    CHECK(pos_http.connects == 1, "one connection, the backup's (the client failed over): %lu", pos_http.connects);
}

/* A whole APIv2 POS sale, on the kept connection. */
static void step_sale(void)
{
    wxp_sale sale;
    wxp_result r;
    wxp_err e;
    memset(&sale, 0, sizeof sale);
    e = lwip_pos_sale("LWIP-SALE-1", "134567890177770001", 500, &sale, &r);
    CHECK(e == WXP_OK && sale.outcome == WXP_SALE_PAID, "sale: %s outcome %d %s", wxp_errname(e), sale.outcome,
          r.message);
    CHECK(sale.transaction_id[0] != 0, "a transaction id");
    CHECK(pos_http.connects == 1 && pos_http.requests == 2, "one connection: %lu, %lu answers", pos_http.connects,
          pos_http.requests);
}

/* Slower than the timeout: lwIP's poll bounds the wait; the connection goes. */
static void step_timeout(void)
{
    wxp_http_header fault = { WXP_STR("X-Sim-Fault"), WXP_STR("slow") };
    char body[256];
    long long t0 = rig_ms(), took;
    /* backup: the host that answers (the primary refuses) */
    int rc = rig_request(&pos_http, backup, "GET", "/v3/refund/domestic/refunds/LWIP-REFUND-1", &fault, 1, NULL, 700,
                         body, sizeof body);
    took = rig_ms() - t0;
    CHECK(rc == -WXP_TRANSPORT_TIMEOUT, "slow answer: %d %s", rc, body);
    CHECK(took >= 650 && took < 2500, "the wait was bounded by the timeout: %lld ms", took);
}

/* A sale on a new connection that resumes the TLS session: no full handshake. */
static void step_resumed_sale(void)
{
    wxp_sale sale;
    wxp_result r;
    wxp_err e;
    memset(&sale, 0, sizeof sale);
    e = lwip_pos_sale("LWIP-SALE-2", "134567890177770001", 600, &sale, &r);
    CHECK(e == WXP_OK && sale.outcome == WXP_SALE_PAID, "second sale: %s outcome %d %s", wxp_errname(e),
          sale.outcome, r.message);
    CHECK(pos_http.connects == 2 && pos_http.resumed == 1, "connects %lu, resumed %lu", pos_http.connects,
          pos_http.resumed);
}

static void nothing(void) {}

int main(void)
{
    sys_sem_t up;
    wxp_result r;
    wxp_err e;
    long long full0, res0;
    size_t base_stack, stack_connect, stack_kept, stack_resumed, n;

    setvbuf(stdout, NULL, _IONBF, 0);
    if (rig_files() != 0 || (port = rig_server_start(&server)) == 0) return 1;
    if (sys_sem_new(&up, 0) != ERR_OK) return 1;
    tcpip_init(lwip_up, &up);
    sys_sem_wait(&up);
    if (gw_start(port) != 0) {
        printf("FAIL: the gateway cannot listen on lwIP port %u\n", port);
        rig_server_stop(&server);
        return 1;
    }

    /* The server's side of the test: an order to refund, a customer at the till. */
    CHECK(ctl_begin(port) == 0, "control connection");
    CHECK(rig_order(&ctl, "LWIP-ORDER-1", 800) == 0, "order");
    CHECK(rig_customer(&ctl, "134567890177770001", 100000) == 0, "customer");
    full0 = rig_stat(&ctl, "full_handshakes");
    res0 = rig_stat(&ctl, "resumed_handshakes");
    ctl_end();

    /* The terminal. Its primary host's port has no listener on lwIP. */
    snprintf(host, sizeof host, "%s:%u", RIG_HOST, port + 1 == 65536 ? port - 1 : port + 1);
    snprintf(backup, sizeof backup, "%s:%u", RIG_BACKUP, port);
    board.clock.fn = rig_clock;
    board.clock.user = &rig_now;
    board.sleep = wait_sleep;
    board.mchid = WXP_TEST_MCHID;
    board.serial = WXP_TEST_SERIAL;
    board.appid = RIG_APPID;
    board.private_key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    board.client_cert_pem = wxp_cstr(rig_client_pem);
    board.apiv2_key = wxp_cstr(WXP_TEST_APIV2_KEY);
    board.ca_pem = wxp_cstr(rig_ca_pem);
    wxp_keystore_init(&keys, key_slot, 1);
    CHECK(wxp_keystore_add_pubkey(&keys, WXP_TEST_PUB_KEY_ID, wxp_cstr(WXP_TEST_WECHATPAY_PUB), &r) == WXP_OK, "key");
    board.keys = &keys;
    board.host = host;
    board.backup = backup;
    board.connect_to = "10.0.0.1";
    CHECK(wxp_sock_anchors_load(NULL, 0, NULL, 0, board.ca_pem, &n, &anchor_used, &r) == WXP_OK, "measure the CA");
    carried_base();
    e = lwip_pos_start(&board, &r);
    CHECK(e == WXP_OK, "lwip_pos_start: %s %s", wxp_errname(e), r.message);

    base_stack = run_task(nothing);
    stack_connect = run_task(step_refund) - base_stack;
    stack_kept = run_task(step_sale) - base_stack;
    check_carried("refund and sale");
    step_timeout();
    CHECK(gw_quiet() == 0, "the timed-out connection was let go");
    carried_base();
    stack_resumed = run_task(step_resumed_sale) - base_stack;
    check_carried("second sale");
    printf("lwIP carried %lu connections (%lu resumed), %llu bytes out, %llu in; "
           "%lu packets left the wire netif\n",
           pos_http.connects, pos_http.resumed, pos_http.bytes_out, pos_http.bytes_in, wire_off);
    printf("peak stack of the terminal's task: %zu bytes for a refund that connects (failover, full handshake), "
           "%zu for a sale on the kept connection, %zu for a sale that resumes the TLS session\n",
           stack_connect, stack_kept, stack_resumed);
    printf("sizes: wxp_sock %zu, wxp_client %zu, wxp_lwip %zu, TLS buffer %zu, io_buf %zu, the CA's anchor "
           "arena %zu\n", sizeof(wxp_sock), sizeof(wxp_client), sizeof(wxp_lwip), sizeof pos_tls, sizeof pos_io,
           anchor_used);
    lwip_pos_stop();
    CHECK(gw_quiet() == 0, "closed");

    /* The server's count: one full handshake and one resumed for the terminal. */
    CHECK(ctl_begin(port) == 0, "control connection");
    CHECK(rig_stat(&ctl, "full_handshakes") - full0 == 1 + 1, "the terminal's 1 and this one's");
    CHECK(rig_stat(&ctl, "resumed_handshakes") - res0 == 1, "the terminal's second connection");
    ctl_end();

    pthread_mutex_lock(&gw_mu);
    gw_stop = 1;
    pthread_mutex_unlock(&gw_mu);
    pthread_join(gw_thread, NULL);
    lwip_close(gw_listen);
    rig_server_stop(&server);
    if (failures) {
        printf("lwip_transport: %d checks FAILED\n", failures);
        return 1;
    }
    printf("lwip_transport: all checks passed (%lu connections through the gateway)\n", gw_conns);
    return 0;
}
