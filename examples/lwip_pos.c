/* examples/lwip_pos.c - the payment module of a barcode-payment terminal that
   runs lwIP: every byte of its memory is a static below, the network is lwIP's
   sockets API (transports/wechatpay_lwip.h), TLS is BearSSL with keep-alive,
   session resumption and failover to WeChat Pay's backup domain, and a sale is
   wxp_pos_sale (APIv2 micropay, orderquery, reverse).

   A module, not a program: a firmware calls lwip_pos_start() once lwIP is up
   (tcpip_init done, a netif with an address), then lwip_pos_sale() from the
   task that pays, one sale at a time. What the board gives it (lwip_pos_board):
   the time (RTC or SNTP), entropy (the MCU's TRNG), a sleep, the merchant's
   keys and the CA, and where WeChat Pay is. README "Porting to your terminal"
   says what each buffer here costs and why.

   `make` compiles it (build/lwip_pos.o, where lwIP's headers are installed),
   and tests/lwip_transport.c runs it: on Debian's lwIP, in one process, it
   sells through lwIP's TCP/IP to the loopback simulator server. */
#define WECHATPAY_IMPLEMENTATION
#define WECHATPAY_LWIP_IMPLEMENTATION
#include "wechatpay.h"
#include "transports/wechatpay_lwip.h"

/* What the board provides. Strings and keys must stay (flash or static). */
typedef struct lwip_pos_board {
    wxp_clock   clock;              /* seconds since 1970: certificates and signatures need it */
    wxp_random  random;             /* the TRNG: TLS randoms, request nonces */
    void      (*sleep)(void *user, unsigned ms);  /* between the sale's polls (an RTOS delay) */
    void       *sleep_user;
    const char *mchid, *serial, *appid;
    wxp_str     private_key_pem;    /* apiclient_key.pem (or a signer: see examples/hsm_signer.c) */
    wxp_str     client_cert_pem;    /* apiclient_cert.pem: a sale may need a reverse (mutual TLS) */
    wxp_str     apiv2_key;
    wxp_keystore *keys;             /* WeChat Pay's public key: APIv3 answers (refunds) */
    wxp_str     ca_pem;             /* the CA that signs WeChat Pay's server certificate */
    const char *host, *backup;      /* "api.mch.weixin.qq.com", "api2.mch.weixin.qq.com" */
    const char *connect_to;         /* a numeric address without DNS (LWIP_DNS 0); else 0 */
} lwip_pos_board;

/* ---- the terminal's memory: all of it ------------------------------------------- */
static wxp_client    pos_client;                    /* keys, the request being made */
static unsigned char pos_io[WXP_IO_BUFSIZE_MIN];    /* one request and its answer (4 KiB) */
static unsigned char pos_tls[BR_SSL_BUFSIZE_MONO];  /* TLS records: HTTP is half-duplex */
static wxp_sock      pos_http;                      /* TLS engine, X.509, the kept session */
static wxp_lwip      pos_net;                       /* the lwIP socket */
static br_x509_trust_anchor pos_anchors[2];         /* the CA, decoded */
static unsigned char pos_anchor_arena[1024];        /* its name and key */
static const lwip_pos_board *pos_board;

/* Sets the module up over the board's lwIP: WXP_OK, or the reason in *r. */
wxp_err lwip_pos_start(const lwip_pos_board *b, wxp_result *r)
{
    wxp_sock_config sc;
    wxp_config cfg;
    size_t count, used;
    wxp_err e;
    pos_board = b;
    /* The CA from PEM (a file system, or a PEM string in flash). Without
       either, `brssl ta ca.pem` prints the anchors as C to compile in. */
    e = wxp_sock_anchors_load(pos_anchors, 2, pos_anchor_arena, sizeof pos_anchor_arena, b->ca_pem, &count,
                              &used, r);
    if (e != WXP_OK) return e;
    memset(&sc, 0, sizeof sc);
    wxp_lwip_init(&pos_net);
    sc.io = wxp_lwip_io(&pos_net);
    sc.anchors = pos_anchors;
    sc.anchor_count = count;
    sc.tls_buf = pos_tls;
    sc.tls_buf_size = sizeof pos_tls;
    sc.clock = b->clock;
    sc.random = b->random;
    sc.connect_to = b->connect_to;
    e = wxp_sock_init(&pos_http, &sc, r);
    if (e != WXP_OK) return e;

    memset(&cfg, 0, sizeof cfg);
    cfg.mchid = b->mchid;
    cfg.serial = b->serial;
    cfg.appid = b->appid;
    cfg.private_key_pem = b->private_key_pem;
    cfg.apiv2_key = b->apiv2_key;
    cfg.keys = b->keys;
    cfg.client_cert.cert_pem = b->client_cert_pem;
    cfg.client_cert.key_pem = b->private_key_pem;
    cfg.host = b->host;
    cfg.backup_host = b->backup;    /* where a request goes when no connection to host
                                       can be made (nothing sent) */
    cfg.clock = b->clock;
    cfg.random = b->random;
    cfg.transport = wxp_sock_as_transport(&pos_http);
    cfg.io_buf = pos_io;
    cfg.io_buf_size = sizeof pos_io;
    return wxp_client_init(&pos_client, &cfg, r);
}

/* One sale of fen (分) by the customer's payment code: WXP_OK for PAID or
   REVERSED (sale->outcome says which), else the error; *r says more. */
wxp_err lwip_pos_sale(const char *out_trade_no, const char *auth_code, long long fen, wxp_sale *sale,
                             wxp_result *r)
{
    wxp_micropay_req q;
    wxp_sale_config sc;
    memset(&q, 0, sizeof q);
    q.body = "POS sale";
    q.out_trade_no = out_trade_no;
    q.total_fee = fen;
    q.spbill_create_ip = "14.17.22.52";     /* the terminal's public address, as WeChat Pay asks */
    q.auth_code = auth_code;
    memset(&sc, 0, sizeof sc);
    sc.sleep = pos_board->sleep;
    sc.user = pos_board->sleep_user;
    return wxp_pos_sale(&pos_client, &q, &sc, sale, r);
}

/* At the end of the day (or before a power-down): close_notify, then wipe the
   TLS session and the keys. */
void lwip_pos_stop(void)
{
    wxp_sock_forget(&pos_http);
    wxp_client_wipe(&pos_client);
}
