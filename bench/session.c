/* bench/session.c - the wall time of a terminal's session of 10 POS sales
   (wxp_pos_sale, each PAID) through the sockets transport against the loopback
   simulator server, at a simulated round-trip time (default 200 ms: a delay in
   the I/O seam for each TCP connect and each flight answered, tests/sim_rig.h),
   with keep-alive and TLS session resumption, with resumption only, and with
   neither. `make bench-session [RTT_MS=200]`; not a test (about 15 s). */
#define _POSIX_C_SOURCE 200809L
#define WECHATPAY_IMPLEMENTATION
#define WECHATPAY_SOCKET_IMPLEMENTATION
#include "wechatpay.h"
#include "transports/wechatpay_socket.h"
#include "tests/sim_rig.h"

#define SALES 10

static rig_server server;
static rig_ctl ctl;
static wxp_sock_posix ctl_net;
static rig_session g;

int main(int argc, char **argv)
{
    static const struct { const char *name, *tag; int keepalive, resume; } modes[3] = {
        { "keep-alive + resumption", "BK", 1, 1 },
        { "resumption only", "BR", 0, 1 },
        { "neither", "BN", 0, 0 },
    };
    unsigned rtt = argc > 1 ? (unsigned)atoi(argv[1]) : 200, port;
    int k;
    if (rig_files() != 0 || (port = rig_server_start(&server)) == 0) return 1;
    wxp_sock_posix_init(&ctl_net);
    if (rig_ctl_open(&ctl, port, wxp_sock_posix_io(&ctl_net), "127.0.0.1") != 0) {
        rig_server_stop(&server);
        return 1;
    }
    printf("A session of %d POS sales at a simulated %u ms round trip:\n", SALES, rtt);
    printf("%-24s %9s %9s %8s %8s %9s\n", "", "wall (s)", "a sale", "TCP", "full TLS", "round");
    printf("%-24s %9s %9s %8s %8s %9s\n", "", "", "(ms)", "connects", "handshk", "trips");
    for (k = 0; k < 3; k++) {
        rig_session_result s;
        if (rig_session_run(&g, &ctl, port, modes[k].keepalive, modes[k].resume, SALES, rtt, modes[k].tag, &s) != 0) {
            printf("%s: FAILED\n", modes[k].name);
            rig_server_stop(&server);
            return 1;
        }
        printf("%-24s %9.2f %9.0f %8lu %8lld %9lu\n", modes[k].name, (double)s.wall_ms / 1000.0,
               (double)s.wall_ms / SALES, s.opens, s.full_srv, s.opens + s.turns);
    }
    wxp_sock_close(&ctl.sock);
    rig_server_stop(&server);
    return 0;
}
