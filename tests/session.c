/* tests/session.c - handshakes, round trips and bytes of a terminal's session:
   10 APIv2 POS sales (wxp_pos_sale, each ending PAID) through the sockets
   transport against the loopback simulator server (build/wxp_sim_server,
   started here), counted in the I/O seam (TCP connections, round trips, bytes)
   and by the server (full and resumed TLS handshakes), three ways:
     keep-alive      one connection: 1 full handshake, then 1 round trip a sale
     resumption      the server closes after every answer (no_keepalive): 1 full
                     handshake, then each new connection resumes the session
     neither         no keep-alive, no resumption: a full handshake per sale
   It asserts the goal of issue 16 (1 full handshake per session, one round trip
   per request after it) and the saving of resumption, then prints the table
   README "Handshakes and round trips" quotes. Then failover: a primary host
   that refuses connections sends the sales to the backup, which keeps them.
   A plain program (make build/session; make test runs it). */
#define _POSIX_C_SOURCE 200809L
#define WECHATPAY_IMPLEMENTATION
#define WECHATPAY_SOCKET_IMPLEMENTATION
#include "wechatpay.h"
#include "transports/wechatpay_socket.h"
#include "tests/sim_rig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define SALES 10

static int failures;
#define CHECK(cond, ...) \
    do { if (!(cond)) { failures++; printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
                        printf(__VA_ARGS__); printf("\n"); } } while (0)

static rig_server server;
static rig_ctl ctl;
static wxp_sock_posix ctl_net;
static rig_session g;

static void row(const char *name, const rig_session_result *s)
{
    printf("%-12s %8lu %6lu %8lld %8lld %8lu %12lu %10llu %10llu %7.1f\n", name, s->opens, s->resumed,
           s->full_srv, s->resumed_srv, s->opens + s->turns, s->turns - s->requests, s->bytes_out, s->bytes_in,
           (double)(s->bytes_out + s->bytes_in) / (double)s->requests);
}

/* A loopback port nothing listens on: bound, never listened to, so a connect is refused. */
static int dead_port(unsigned *port)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        return -1;
    *port = ntohs(a.sin_port);
    return fd;
}

/* The client's failover (config.backup_host): the primary refuses
   connections, the backup (the server, under its other name) takes the sales
   and keeps them; a failure to connect to both names both. */
static void failover(unsigned port)
{
    static char primary[64], backup[64], other[64];
    wxp_sock_config sc;
    wxp_result r;
    unsigned dead;
    int fd = dead_port(&dead), k;
    char order[40];
    CHECK(fd >= 0, "a free port");
    if (fd < 0) return;
    snprintf(primary, sizeof primary, "%s:%u", RIG_HOST, dead);
    snprintf(backup, sizeof backup, "%s:%u", RIG_BACKUP, port);
    memset(&g.meter, 0, sizeof g.meter);
    wxp_sock_posix_init(&g.net);
    sc = rig_sock_config(rig_meter_io(&g.meter, wxp_sock_posix_io(&g.net), 0), g.tls, sizeof g.tls);
    sc.connect_to = "127.0.0.1";
    CHECK(wxp_sock_init(&g.sock, &sc, &r) == WXP_OK, "%s", r.message);
    CHECK(rig_client_open(&g.client, wxp_sock_as_transport(&g.sock), primary, backup) == 0, "client");
    CHECK(rig_customer(&ctl, "134567890188880001", 100000) == 0, "customer");
    for (k = 0; k < 3; k++) {
        snprintf(order, sizeof order, "FAILOVER-%d", k);
        CHECK(rig_sale(&g.client.c, order, "134567890188880001", 200) == 0, "sale %d through the backup", k);
    }
    CHECK(g.meter.tries == 2 && g.sock.connects == 1,
          "the primary tried once, then the backup keeps the requests: %lu tries, %lu connections",
          g.meter.tries, g.sock.connects);
    /* The kept connection and the TLS session are the backup's: a request for
       the other name (the same server here) gets a connection of its own,
       with a full handshake. */
    {
        char body[1024];
        unsigned long tries = g.meter.tries, resumed = g.sock.resumed;
        snprintf(other, sizeof other, "%s:%u", RIG_HOST, port);
        CHECK(rig_request(&g.sock, other, "GET", "/v3/refund/domestic/refunds/NO-SUCH", NULL, 0, NULL, RIG_CALL_MS,
                          body, sizeof body) > 0, "the other name: %s", body);
        CHECK(g.meter.tries == tries + 1 && g.sock.resumed == resumed,
              "not the backup's connection nor its session: %lu opens, %lu resumed", g.meter.tries - tries,
              g.sock.resumed - resumed);
    }
    /* A POST whose answer is lost on the kept connection (now the other
       name's): the transport opens no new connection for it (it may have been
       processed). */
    {
        wxp_http_header fault = { WXP_STR("X-Sim-Fault"), WXP_STR("lost") };
        char body[256];
        unsigned long tries = g.meter.tries;
        CHECK(rig_request(&g.sock, other, "POST", "/v3/refund/domestic/refunds", &fault, 1, NULL, RIG_CALL_MS, body,
                          sizeof body) == -WXP_TRANSPORT_ERROR, "lost: %s", body);
        CHECK(g.meter.tries == tries, "not sent again: %lu opens", g.meter.tries - tries);
    }
    wxp_sock_forget(&g.sock);
    wxp_client_wipe(&g.client.c);

    /* Both refuse: WXP_E_TRANSPORT naming both, nothing sent on either. */
    snprintf(backup, sizeof backup, "%s:%u", RIG_BACKUP, dead);
    wxp_sock_posix_init(&g.net);
    sc = rig_sock_config(wxp_sock_posix_io(&g.net), g.tls, sizeof g.tls);
    sc.connect_to = "127.0.0.1";
    CHECK(wxp_sock_init(&g.sock, &sc, &r) == WXP_OK, "%s", r.message);
    CHECK(rig_client_open(&g.client, wxp_sock_as_transport(&g.sock), primary, backup) == 0, "client");
    {
        wxp_refund out;
        wxp_err e;
        memset(&out, 0, sizeof out);
        e = wxp_refund_query(&g.client.c, "NO-SUCH", NULL, &out, &r);
        CHECK(e == WXP_E_TRANSPORT && !r.sent, "%s, sent %d", wxp_errname(e), r.sent);
        CHECK(strstr(r.message, RIG_BACKUP) && strstr(r.message, RIG_HOST ":"), "both hosts named: %s", r.message);
        CHECK(g.sock.connects == 0 && g.sock.bytes_out == 0, "nothing sent");
    }
    wxp_sock_forget(&g.sock);
    wxp_client_wipe(&g.client.c);
    close(fd);

    /* The primary's TLS handshake fails (a certificate from a CA nobody
       trusts: nothing was sent): the backup takes the sale. */
    {
        rig_server rogue;
        unsigned rport = rig_server_start_with(&rogue, "--wrong-cert", NULL, NULL);
        CHECK(rport != 0, "the --wrong-cert server");
        if (!rport) return;
        snprintf(primary, sizeof primary, "%s:%u", RIG_HOST, rport);
        snprintf(backup, sizeof backup, "%s:%u", RIG_BACKUP, port);
        wxp_sock_posix_init(&g.net);
        sc = rig_sock_config(wxp_sock_posix_io(&g.net), g.tls, sizeof g.tls);
        sc.connect_to = "127.0.0.1";
        CHECK(wxp_sock_init(&g.sock, &sc, &r) == WXP_OK, "%s", r.message);
        CHECK(rig_client_open(&g.client, wxp_sock_as_transport(&g.sock), primary, backup) == 0, "client");
        CHECK(rig_sale(&g.client.c, "FAILOVER-TLS", "134567890188880001", 200) == 0, "sale through the backup");
        /* Two TCP connections: the refused handshake's and the backup's. */
        CHECK(g.sock.connects == 2, "%lu", g.sock.connects);
        wxp_sock_forget(&g.sock);
        wxp_client_wipe(&g.client.c);
        rig_server_stop(&rogue);
    }
}

/* A resumed session keeps the client certificate it was made with (APIv2
   mutual TLS: the server counts the connection as authenticated), and is
   offered only for that certificate. */
static void resume_mtls(unsigned port)
{
    static char h[64];
    wxp_sock_config sc;
    wxp_result r;
    wxp_client_cert cert;
    int k;
    cert.cert_pem = wxp_cstr(rig_client_pem);
    cert.key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    snprintf(h, sizeof h, "%s:%u", RIG_HOST, port);
    wxp_sock_posix_init(&g.net);
    sc = rig_sock_config(wxp_sock_posix_io(&g.net), g.tls, sizeof g.tls);
    sc.connect_to = "127.0.0.1";
    sc.no_keepalive = 1;
    CHECK(wxp_sock_init(&g.sock, &sc, &r) == WXP_OK, "%s", r.message);
    for (k = 0; k < 3; k++) {
        char body[512];
        CHECK(rig_request(&g.sock, h, "GET", "/sim/stats", NULL, 0, k < 2 ? &cert : NULL, RIG_CALL_MS, body,
                          sizeof body) == 200, "%s", body);
        CHECK(strstr(body, k < 2 ? "\"client_cert\":1" : "\"client_cert\":0") != NULL, "call %d: %s", k, body);
    }
    /* The second resumed the first's session; the third (no certificate) did not. */
    CHECK(g.sock.connects == 3 && g.sock.resumed == 1, "connects %lu, resumed %lu", g.sock.connects, g.sock.resumed);
    wxp_sock_forget(&g.sock);
}

int main(void)
{
    rig_session_result ka, rs, none;
    unsigned port;
    if (rig_files() != 0 || (port = rig_server_start(&server)) == 0) return 1;
    wxp_sock_posix_init(&ctl_net);
    if (rig_ctl_open(&ctl, port, wxp_sock_posix_io(&ctl_net), "127.0.0.1") != 0) {
        rig_server_stop(&server);
        return 1;
    }
    CHECK(rig_session_run(&g, &ctl, port, 1, 1, SALES, 0, "KA", &ka) == 0, "keep-alive session");
    CHECK(rig_session_run(&g, &ctl, port, 0, 1, SALES, 0, "RS", &rs) == 0, "resumption session");
    CHECK(rig_session_run(&g, &ctl, port, 0, 0, SALES, 0, "NO", &none) == 0, "session without either");

    printf("A session of %d POS sales (wxp_pos_sale, each PAID) through the sockets transport:\n", SALES);
    printf("%-12s %8s %6s %8s %8s %8s %12s %10s %10s %7s\n", "", "TCP", "TLS", "server", "server", "round",
           "handshake", "bytes", "bytes", "bytes");
    printf("%-12s %8s %6s %8s %8s %8s %12s %10s %10s %7s\n", "", "connects", "resumed", "full", "resumed", "trips",
           "round trips", "out", "in", "a sale");
    row("keep-alive", &ka);
    row("resumption", &rs);
    row("neither", &none);

    /* Every sale is one request (micropay, paid at once). */
    CHECK(ka.requests == SALES && rs.requests == SALES && none.requests == SALES, "%lu %lu %lu", ka.requests,
          rs.requests, none.requests);
    /* Keep-alive: 1 TCP connection, 1 full handshake (2 round trips), then 1 round trip a sale. */
    CHECK(ka.opens == 1 && ka.connects == 1, "%lu", ka.opens);
    CHECK(ka.full_srv == 1 && ka.resumed_srv == 0, "%lld %lld", ka.full_srv, ka.resumed_srv);
    CHECK(ka.turns == 2 + SALES, "round trips after connecting: %lu", ka.turns);
    /* Resumption: a connection a sale, 1 full handshake, the others resumed (1 round trip each). */
    CHECK(rs.opens == SALES && rs.full_srv == 1 && rs.resumed_srv == SALES - 1, "%lu %lld %lld", rs.opens,
          rs.full_srv, rs.resumed_srv);
    CHECK(rs.resumed == SALES - 1, "the transport saw %lu resumed", rs.resumed);
    CHECK(rs.turns == 2 + (SALES - 1) + SALES, "%lu", rs.turns);
    /* Neither: a full handshake every time. */
    CHECK(none.full_srv == SALES && none.resumed_srv == 0 && none.resumed == 0, "%lld %lld", none.full_srv,
          none.resumed_srv);
    CHECK(none.turns == 3 * SALES, "%lu", none.turns);
    /* Bytes: keep-alive least, resumption well under full handshakes (no certificate chain). */
    CHECK(ka.bytes_in + ka.bytes_out < rs.bytes_in + rs.bytes_out, "keep-alive sends less");
    CHECK((rs.bytes_in + rs.bytes_out) * 10 < (none.bytes_in + none.bytes_out) * 7, "resumption saves > 30%%");

    failover(port);
    resume_mtls(port);
    wxp_sock_close(&ctl.sock);
    rig_server_stop(&server);
    if (failures) {
        printf("session: %d checks FAILED\n", failures);
        return 1;
    }
    printf("session: all checks passed\n");
    return 0;
}
