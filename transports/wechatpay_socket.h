/* wechatpay_socket.h - sockets + BearSSL TLS 1.2 transport for wechatpay.h - MIT (see wechatpay.h)

   A wxp_transport with no libcurl and no heap: HTTP/1.1 over BearSSL's TLS 1.2
   client, over a small I/O interface (open/read/write/close callbacks). The
   POSIX implementation of that interface (name resolution, connect with a
   timeout, poll()ed reads and writes) comes with it; an embedded target puts
   lwIP, a modem's AT socket or any byte pipe under the same TLS and HTTP code.

   Do this:
       #define WECHATPAY_SOCKET_IMPLEMENTATION
   before you include this file in *one* C or C++ file (it may be the file that
   defines WECHATPAY_IMPLEMENTATION). It does `#include "wechatpay.h"`, so the
   directory holding wechatpay.h must be on the include path, and it uses only
   wechatpay.h's public API. Link with BearSSL (-lbearssl), as the library does.
   The POSIX part needs POSIX.1-2008: define _POSIX_C_SOURCE 200809L (or your
   platform's equivalent) before the first #include of that file. Define
   WXP_SOCK_NO_POSIX to leave it out (then bring your own wxp_sock_io).

   QUICK START (POSIX)
       static unsigned char tls_buf[BR_SSL_BUFSIZE_BIDI];  // the TLS records
       static br_x509_trust_anchor anchors[200];           // the CA bundle, decoded
       static unsigned char arena[96 * 1024];              // DNs and keys of the anchors
       static wxp_sock http;                               // must not move while in use
       static wxp_sock_posix net;
       wxp_sock_config sc = {0};
       size_t n, used;
       // pem: the bytes of a CA bundle read at run time, e.g.
       // /etc/ssl/certs/ca-certificates.crt (WeChat Pay uses a public CA)
       if (wxp_sock_anchors_load(anchors, 200, arena, sizeof arena, pem, &n, &used, &r)) fail(&r);
       wxp_sock_posix_init(&net);
       sc.io = wxp_sock_posix_io(&net);
       sc.anchors = anchors; sc.anchor_count = n;
       sc.tls_buf = tls_buf; sc.tls_buf_size = sizeof tls_buf;
       if (wxp_sock_init(&http, &sc, &r)) fail(&r);
       cfg.transport = wxp_sock_as_transport(&http);
       ... wxp_client_init(&c, &cfg, &r); wxp_refund_create(&c, ...) ...
       wxp_sock_close(&http);                              // close_notify, then close
   Call wxp_sock_anchors_load with NULL arrays first to size them (it counts the
   anchors and the arena bytes a bundle needs). One wxp_sock serves one call at
   a time: one per thread.

   API
       wxp_sock_init  wxp_sock_as_transport  wxp_sock_transport  wxp_sock_close
       wxp_sock_forget
       wxp_sock_anchors_load  wxp_sock_chain_load  wxp_sock_br_error
       POSIX: wxp_sock_posix_init  wxp_sock_posix_io

   THE CONTRACT (wechatpay.h, TRANSPORT CONTRACT), AND HOW IT IS MET
       - req->method goes to https://req->host + req->path: the host's port
         (default 443) is connected to (at config.connect_to instead of the
         host's address when set), TLS 1.2 only, SNI = the host name, and the
         server's certificate chain must lead to one of config.anchors and name
         that host (BearSSL's X.509 "minimal" engine, at the time of
         config.clock). Anything else fails before a byte of the request is sent;
       - the request is "METHOD path HTTP/1.1", "Host: req->host", every header
         of req->headers as given (a CR, LF or NUL in one fails the request),
         "Content-Length" when a body is sent (any method with a body, and
         POST, PUT, PATCH always), then the body;
       - the answer is read as HTTP/1.1: Content-Length or chunked bodies (or,
         for neither, to close_notify); 1xx answers are skipped, their headers
         never reach the sink; the final status goes to
         wxp_http_response_status(), each header to wxp_http_response_header(),
         the body to wxp_http_response_write(). When the I/O buffer is full the
         rest is still read and dropped, so the call fails with WXP_E_NOSPACE
         and result.needed is the body's real size;
       - req->client_cert (APIv2 mutual TLS) is presented when the server asks
         for a certificate: the PEM chain is decoded into the wxp_sock, the key
         loaded with wxp_rsa_key_load (RSA; an EC key fails the request), and
         wiped as soon as the handshake is over (renegotiation is refused, so
         it is never needed again);
       - req->timeout_ms (0: 10000) bounds the whole exchange: connect, TLS
         handshake, request and answer (with config.io.now_ms; without it, each
         wait is bounded by it instead);
       - redirects are not followed (a 3xx is an answer like any other);
       - a failure puts "wxp_sock: <what failed>" in errbuf, which the client
         reports in result.message, with its own error:
         WXP_E_TLS "wxp_sock: TLS handshake with api.mch.weixin.qq.com failed:
         the server certificate does not chain to a trusted CA
         (BR_ERR_X509_NOT_TRUSTED)" (any error BearSSL reports in the
         handshake: nothing was sent), WXP_E_TIMEOUT "wxp_sock: timed out (5000
         ms) waiting for the answer", WXP_E_TRANSPORT "wxp_sock: the connection
         was closed after 120 of 473 body bytes" (and every other failure).

   KEEP-ALIVE
       The connection stays open after an answer that allows it (HTTP/1.1, no
       "Connection: close", a framed body read to its end, no stray bytes) and
       serves the next call to the same req->host with the same client
       certificate (another host or certificate: a new connection). Before a
       reuse the socket is polled without waiting: a connection the server has
       closed or written to meanwhile is dropped and a new one opened, so an
       idle timeout on the server side costs nothing. Should the server close
       it at the very moment it is reused (not a byte of an answer came back),
       a GET or HEAD is sent once more on a new connection (a handshake
       refused there fails the call as WXP_TRANSPORT_ERROR, not TLS: the
       request had left); any other request is never sent twice by the
       transport: an answer lost on a kept connection is a failed call, which
       config.retry of the client covers for the calls that are safe to
       repeat (same out_refund_no). config.no_keepalive
       sends "Connection: close" and closes after every answer. Counters:
       http.connects, http.requests.

   TLS SESSION RESUMPTION
       After each handshake the session (its ID and master secret, about 90
       bytes) is kept in the wxp_sock with the host and client certificate it
       was made with. The next connection to the same host with the same
       certificate offers it (br_ssl_client_reset(..., 1)); a server that still
       has it in its cache answers with the abbreviated handshake: no
       certificate chain, no RSA or ECDHE operation on either side, one round
       trip instead of two, and the server's certificate chain not sent again
       (1.4 KB with the tests' one-certificate chain: README "Handshakes and
       round trips"). A server that has forgotten it does a full handshake. A failed handshake forgets the session;
       config.no_resume turns resumption off; wxp_sock_forget() wipes it.
       Counter: http.resumed (of http.connects).

   FAILOVER
       The client's (wechatpay.h, HOSTS AND FAILOVER): this transport reports
       WXP_TRANSPORT_NO_CONNECTION or WXP_TRANSPORT_TLS only when no byte of
       the request left, and the client then hands it the same request for
       WeChat Pay's backup host. Host header, SNI, the certificate check, the
       kept connection and the TLS session all follow req->host.

   AN EMBEDDED STACK UNDER IT (lwIP, a modem, ...)
       lwIP's sockets API: transports/wechatpay_lwip.h is this seam, written.
       Otherwise define WXP_SOCK_NO_POSIX and fill a wxp_sock_io with your
       own callbacks and their user pointer (the first argument of each):
         open(user, host, port, timeout_ms, errbuf, errbuf_size)
             resolve host (a name or an address: config.connect_to, else the
             host of the URL) and connect to port within timeout_ms; 0 on
             success, else nonzero with a reason in errbuf. lwIP: netconn_new +
             netconn_gethostbyname + netconn_connect (raw API: tcp_connect and
             wait for the connected callback); a modem: AT+CIPSTART / AT+QIOPEN.
         read(user, buf, len, timeout_ms)
             wait at most timeout_ms (0: do not wait) for bytes; return how many
             were read (1..len), 0 when the peer closed the connection,
             WXP_SOCK_IO_TIMEOUT when nothing came in time, WXP_SOCK_IO_ERROR
             otherwise. lwIP: netconn_set_recvtimeout + netconn_recv, keeping
             the netbuf's rest for the next call; a modem: AT+CIPRXGET.
         write(user, buf, len, timeout_ms)
             send 1..len bytes within timeout_ms; return how many went out, or
             WXP_SOCK_IO_TIMEOUT / WXP_SOCK_IO_ERROR. lwIP: netconn_write_partly
             with NETCONN_COPY; a modem: AT+CIPSEND.
         close(user)
             close the connection (also after a failure); called at most once
             per successful open.
         now_ms(user)  (optional)
             a monotonic millisecond clock (lwIP: sys_now()) so timeout_ms
             bounds the whole call; NULL bounds each wait instead.
       Give the TLS layer entropy: config.random (e.g. the MCU's TRNG) is
       injected before every handshake; without it BearSSL uses the OS source
       and fails the handshake where there is none. Give it the time:
       config.clock (an RTC or SNTP); certificates cannot be checked without it.
       The trust anchors can also be compiled in (BearSSL's `brssl ta` prints
       them as C), which needs no PEM and no arena.

   MEMORY (no malloc anywhere in this file; everything is the caller's)
       config.tls_buf: BR_SSL_BUFSIZE_BIDI (33178 bytes) recommended, at least
       BR_SSL_BUFSIZE_MONO (16709; HTTP is half-duplex, so it works).
       sizeof(wxp_sock): 15448 bytes on x86-64 with the defaults (BearSSL's
       client context 3720 and X.509 context 3168, a client certificate chain
       of WXP_SOCK_CHAIN_BYTES, the RSA key of a client certificate at
       WXP_MAX_RSA_BITS 1376, a header line of WXP_SOCK_LINE_MAX). The trust
       anchors: the caller's array (64 bytes each) and arena (about 430 bytes
       per CA: Debian 12's 144 take 61,917; measure a bundle with NULL arrays). Stack:
       at most about 13 KiB for a call that connects and does a mutual-TLS
       handshake, about 8 KiB on a kept connection (measured, README
       "Sockets transport"). The POSIX part resolves names with
       getaddrinfo(), which allocates inside libc: give config.connect_to a
       numeric address, or your own open(), where that matters.

   BUILD OPTIONS (define before including; each has a default)
       WXP_SOCK_LINE_MAX    2048  longest response status or header line
       WXP_SOCK_CHAIN_BYTES 4096  DER bytes of a client certificate chain
       WXP_SOCK_CHAIN_MAX   4     certificates in a client certificate chain
       WXP_SOCK_NO_POSIX          leave out the POSIX sockets implementation
       WXP_SOCK_API               linkage (default WXP_API; static under WECHATPAY_STATIC)
*/
#ifndef WECHATPAY_SOCKET_H
#define WECHATPAY_SOCKET_H

#include "wechatpay.h"

#ifndef WXP_SOCK_API
#if defined(WECHATPAY_STATIC) && (defined(__GNUC__) || defined(__clang__))
#define WXP_SOCK_API static __attribute__((unused))
#else
#define WXP_SOCK_API WXP_API
#endif
#endif
#ifndef WXP_SOCK_LINE_MAX
#define WXP_SOCK_LINE_MAX 2048
#endif
#ifndef WXP_SOCK_CHAIN_BYTES
#define WXP_SOCK_CHAIN_BYTES 4096
#endif
#ifndef WXP_SOCK_CHAIN_MAX
#define WXP_SOCK_CHAIN_MAX 4
#endif

/* What read and write return besides a byte count. */
#define WXP_SOCK_IO_ERROR   (-1)
#define WXP_SOCK_IO_TIMEOUT (-2)

#ifdef __cplusplus
extern "C" {
#endif

/* The byte pipe under TLS (see AN EMBEDDED STACK UNDER IT). */
typedef struct wxp_sock_io {
    int  (*open)(void *user, const char *host, unsigned port, unsigned timeout_ms,
                 char *errbuf, size_t errbuf_size);
    long (*read)(void *user, unsigned char *buf, size_t len, unsigned timeout_ms);
    long (*write)(void *user, const unsigned char *buf, size_t len, unsigned timeout_ms);
    void (*close)(void *user);
    unsigned long long (*now_ms)(void *user);   /* optional: monotonic milliseconds */
    void *user;
} wxp_sock_io;

/* Zero-initialise, then set what you need: every 0 means "the default". */
typedef struct wxp_sock_config {
    wxp_sock_io                 io;            /* required */
    const br_x509_trust_anchor *anchors;       /* required: the CAs (wxp_sock_anchors_load) */
    size_t                      anchor_count;
    void                       *tls_buf;       /* required: >= BR_SSL_BUFSIZE_MONO bytes */
    size_t                      tls_buf_size;
    const char                 *connect_to;    /* connect to this address or name instead
                                                  of req->host's; TLS still checks req->host
                                                  (as CURLOPT_RESOLVE does); 0 -> off */
    unsigned                    connect_timeout_ms; /* 0 -> min(timeout, 5000) */
    wxp_clock                   clock;         /* certificate time; 0 -> time() */
    wxp_random                  random;        /* 32 bytes injected before each handshake;
                                                  0 -> the OS source only */
    int                         no_keepalive;  /* 1: "Connection: close", one call each */
    int                         no_resume;     /* 1: a full TLS handshake on every connection */
} wxp_sock_config;

/* Who a connection or a TLS session was made with: a host and a client certificate. */
typedef struct wxp_sock_peer {
    char        host[256];
    const char *cert_ptr, *key_ptr;
    size_t      cert_len;
} wxp_sock_peer;

/* Caller-owned; must not move while in use. */
typedef struct wxp_sock {
    unsigned long connects;     /* read-only: TCP+TLS connections opened */
    unsigned long resumed;      /* read-only: of those, TLS sessions resumed (no full handshake) */
    unsigned long requests;     /* read-only: answers received */
    unsigned long long bytes_out, bytes_in; /* read-only: bytes through io.write / io.read */
    int           last_br_error;/* read-only: BearSSL's error of the last failure (0: none) */
    struct {
        wxp_sock_config         cfg;
        br_ssl_client_context   sc;
        br_x509_minimal_context xc;
        int                     open, sock_open;
        wxp_sock_peer           conn;           /* the kept connection's host and certificate */
        wxp_sock_peer           sess;           /* the TLS session's (for resumption) */
        br_ssl_session_parameters session;      /* its ID and master secret; valid: session_ok */
        int                     session_ok;
        br_x509_certificate     chain[WXP_SOCK_CHAIN_MAX];
        unsigned char           chain_buf[WXP_SOCK_CHAIN_BYTES];
        wxp_rsa_key             key;
        unsigned long long      deadline;
        unsigned                timeout_ms;
        int                     io_result;      /* of the last failing read or write */
        const char             *phase;          /* what the exchange was doing */
        /* the answer being read */
        char                    line[WXP_SOCK_LINE_MAX];
        size_t                  line_len, lines;
        int                     state, status, chunked, has_len, close, http11;
        int                     no_body, stray, interims;
        unsigned long long      clen, left, got;
    } wxp__priv;
} wxp_sock;

/* [out] s: set up over [in] cfg (copied; its anchors, buffer and callbacks must
   outlive s). WXP_E_ARG naming the field when io.open/read/write/close,
   anchors or tls_buf (< BR_SSL_BUFSIZE_MONO) is missing. res may be NULL. */
WXP_SOCK_API WXP_NODISCARD wxp_err wxp_sock_init(wxp_sock *s, const wxp_sock_config *cfg,
                                                 wxp_result *res);
/* Closes the kept connection, if any (close_notify, then io.close). s stays
   usable: the next call connects again, resuming the TLS session. */
WXP_SOCK_API void wxp_sock_close(wxp_sock *s);
/* Closes as wxp_sock_close, and wipes the TLS session (its master secret):
   the next connection does a full handshake. */
WXP_SOCK_API void wxp_sock_forget(wxp_sock *s);
/* The transport for config.transport; user is s (must outlive the client). */
WXP_SOCK_API wxp_transport wxp_sock_as_transport(wxp_sock *s);
/* The wxp_transport_fn itself. [in] user: a wxp_sock *. [in] req. [out] res:
   fed through wxp_http_response_*. [out] errbuf: the reason when nonzero is
   returned (NUL-terminated within errbuf_size). */
WXP_SOCK_API int wxp_sock_transport(void *user, const wxp_http_request *req,
                                    wxp_http_response *res, char *errbuf, size_t errbuf_size);

/* Decodes every CERTIFICATE of a PEM bundle into trust anchors: [out] ta (cap
   entries) and [out] arena (arena_size bytes: their DNs and keys, which ta
   points into). Either may be NULL to measure: [out] *count and [out]
   *arena_used (both required) always say what the whole bundle needs.
   Certificates BearSSL cannot decode are skipped. A certificate with the CA
   flag is a CA anchor; one without is trusted directly (a pinned server
   certificate). WXP_E_NOSPACE when ta or arena is too small (res->field names
   which; *count and *arena_used give the sizes), WXP_E_KEY when no
   certificate could be used, WXP_E_KEY_TRUNCATED for a PEM cut short. */
WXP_SOCK_API WXP_NODISCARD wxp_err wxp_sock_anchors_load(br_x509_trust_anchor *ta, size_t cap,
                                                         unsigned char *arena, size_t arena_size,
                                                         wxp_str pem, size_t *count,
                                                         size_t *arena_used, wxp_result *res);
/* Decodes the CERTIFICATEs of a PEM chain (leaf first) into [out] chain (cap
   entries) pointing into [out] buf: for a server's certificate, or a client
   certificate given to BearSSL directly. NULL arrays measure, as above.
   WXP_E_KEY when there is no certificate. */
WXP_SOCK_API WXP_NODISCARD wxp_err wxp_sock_chain_load(br_x509_certificate *chain, size_t cap,
                                                       unsigned char *buf, size_t buf_size,
                                                       wxp_str pem, size_t *count,
                                                       size_t *buf_used, wxp_result *res);
/* The name and meaning of a BearSSL error code (br_ssl_engine_last_error(),
   BR_ERR_X509_*, BR_ERR_SEND_FATAL_ALERT + alert...), never NULL. */
WXP_SOCK_API const char *wxp_sock_br_error(int err);

#ifndef WXP_SOCK_NO_POSIX
/* The POSIX sockets implementation of wxp_sock_io (IPv4 and IPv6, TCP_NODELAY,
   non-blocking sockets waited on with poll(), SIGPIPE avoided). */
typedef struct wxp_sock_posix { int fd; } wxp_sock_posix;
WXP_SOCK_API void wxp_sock_posix_init(wxp_sock_posix *p);
WXP_SOCK_API wxp_sock_io wxp_sock_posix_io(wxp_sock_posix *p);
#endif

#ifdef __cplusplus
}
#endif
#endif /* WECHATPAY_SOCKET_H */

/* ==== >>impl:socket ======================================================= */
#if defined(WECHATPAY_SOCKET_IMPLEMENTATION) && !defined(WECHATPAY_SOCKET_IMPLEMENTATION_INCLUDED)
#define WECHATPAY_SOCKET_IMPLEMENTATION_INCLUDED

#include <string.h>
#ifndef WXP_ASSERT /* wechatpay.h defines it where its own implementation is */
#include <assert.h>
#define WXP_ASSERT(c) assert(c)
#endif
#if !defined(WXP_NO_TIME) || !defined(WXP_SOCK_NO_POSIX)
#include <time.h>
#endif
#ifndef WXP_SOCK_NO_POSIX
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>
#endif

#if defined(__GNUC__) || defined(__clang__)
#define WXP__SOCK_PRIVATE static __attribute__((unused))
#else
#define WXP__SOCK_PRIVATE static
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- small helpers (no stdio: the core runs where there is none) ---------- */

/* Appends s to the NUL-terminated dst (cap bytes), cutting it to fit. */
WXP__SOCK_PRIVATE void wxp__sock_cat(char *dst, size_t cap, const char *s)
{
    size_t n, k;
    if (!dst || !cap) return;
    n = strlen(dst);
    for (k = 0; s && s[k] && n + 1 < cap; k++) dst[n++] = s[k];
    dst[n] = 0;
}

WXP__SOCK_PRIVATE void wxp__sock_cat_u(char *dst, size_t cap, unsigned long long v)
{
    char t[24];
    size_t i = sizeof t - 1;
    t[i] = 0;
    do { t[--i] = (char)('0' + v % 10); v /= 10; } while (v && i);
    wxp__sock_cat(dst, cap, t + i);
}

/* errbuf = "wxp_sock: " a b c; returns WXP_TRANSPORT_ERROR. */
WXP__SOCK_PRIVATE int wxp__sock_fail(char *errbuf, size_t cap, const char *a, const char *b, const char *c)
{
    if (errbuf && cap) {
        errbuf[0] = 0;
        wxp__sock_cat(errbuf, cap, "wxp_sock: ");
        wxp__sock_cat(errbuf, cap, a);
        wxp__sock_cat(errbuf, cap, b);
        wxp__sock_cat(errbuf, cap, c);
    }
    return WXP_TRANSPORT_ERROR;
}

WXP__SOCK_PRIVATE int wxp__sock_lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

WXP__SOCK_PRIVATE int wxp__sock_ieq(const char *a, size_t n, const char *b)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (!b[i] || wxp__sock_lower((unsigned char)a[i]) != wxp__sock_lower((unsigned char)b[i])) return 0;
    return b[n] == 0;
}

/* The comma-separated list v[0..n) holds token (case-blind). */
WXP__SOCK_PRIVATE int wxp__sock_has_token(const char *v, size_t n, const char *token)
{
    size_t i = 0, s, e;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) i++;
        s = i;
        while (i < n && v[i] != ',') i++;
        e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t')) e--;
        if (e > s && wxp__sock_ieq(v + s, e - s, token)) return 1;
    }
    return 0;
}

WXP__SOCK_PRIVATE void wxp__sock_set_err(wxp_result *res, const char *field, const char *msg)
{
    if (!res) return;
    memset(res, 0, sizeof *res);
    if (field) wxp__sock_cat(res->field, sizeof res->field, field);
    if (msg) wxp__sock_cat(res->message, sizeof res->message, msg);
}

/* ---- BearSSL error names ---------------------------------------------------- */

WXP_SOCK_API const char *wxp_sock_br_error(int err)
{
    static const struct { int code; const char *text; } t[] = {
        { BR_ERR_OK, "no error (BR_ERR_OK)" },
        { BR_ERR_BAD_PARAM, "bad parameter (BR_ERR_BAD_PARAM)" },
        { BR_ERR_BAD_STATE, "bad state (BR_ERR_BAD_STATE)" },
        { BR_ERR_UNSUPPORTED_VERSION, "the server does not do TLS 1.2 (BR_ERR_UNSUPPORTED_VERSION)" },
        { BR_ERR_BAD_VERSION, "wrong TLS version in a record (BR_ERR_BAD_VERSION)" },
        { BR_ERR_BAD_LENGTH, "bad record length (BR_ERR_BAD_LENGTH)" },
        { BR_ERR_TOO_LARGE, "a record is larger than the TLS buffer (BR_ERR_TOO_LARGE)" },
        { BR_ERR_BAD_MAC, "record MAC check failed (BR_ERR_BAD_MAC)" },
        { BR_ERR_NO_RANDOM, "no entropy for TLS: set config.random (BR_ERR_NO_RANDOM)" },
        { BR_ERR_UNKNOWN_TYPE, "unknown record type (BR_ERR_UNKNOWN_TYPE)" },
        { BR_ERR_UNEXPECTED, "unexpected message (BR_ERR_UNEXPECTED)" },
        { BR_ERR_BAD_CCS, "bad ChangeCipherSpec (BR_ERR_BAD_CCS)" },
        { BR_ERR_BAD_ALERT, "bad alert (BR_ERR_BAD_ALERT)" },
        { BR_ERR_BAD_HANDSHAKE, "bad handshake message (BR_ERR_BAD_HANDSHAKE)" },
        { BR_ERR_OVERSIZED_ID, "oversized session ID (BR_ERR_OVERSIZED_ID)" },
        { BR_ERR_BAD_CIPHER_SUITE, "no common cipher suite (BR_ERR_BAD_CIPHER_SUITE)" },
        { BR_ERR_BAD_COMPRESSION, "compression requested (BR_ERR_BAD_COMPRESSION)" },
        { BR_ERR_BAD_FRAGLEN, "bad fragment length (BR_ERR_BAD_FRAGLEN)" },
        { BR_ERR_BAD_SECRENEG, "bad secure renegotiation (BR_ERR_BAD_SECRENEG)" },
        { BR_ERR_EXTRA_EXTENSION, "unrequested extension (BR_ERR_EXTRA_EXTENSION)" },
        { BR_ERR_BAD_SNI, "bad SNI (BR_ERR_BAD_SNI)" },
        { BR_ERR_BAD_HELLO_DONE, "bad ServerHelloDone (BR_ERR_BAD_HELLO_DONE)" },
        { BR_ERR_LIMIT_EXCEEDED, "a handshake limit was exceeded (BR_ERR_LIMIT_EXCEEDED)" },
        { BR_ERR_BAD_FINISHED, "bad Finished message (BR_ERR_BAD_FINISHED)" },
        { BR_ERR_RESUME_MISMATCH, "session resumption mismatch (BR_ERR_RESUME_MISMATCH)" },
        { BR_ERR_INVALID_ALGORITHM, "unsupported algorithm (BR_ERR_INVALID_ALGORITHM)" },
        { BR_ERR_BAD_SIGNATURE, "the server's handshake signature is invalid (BR_ERR_BAD_SIGNATURE)" },
        { BR_ERR_WRONG_KEY_USAGE, "the server key's usage forbids this (BR_ERR_WRONG_KEY_USAGE)" },
        { BR_ERR_NO_CLIENT_AUTH, "no client certificate to present (BR_ERR_NO_CLIENT_AUTH)" },
        { BR_ERR_IO, "the connection failed or was closed (BR_ERR_IO)" },
        { BR_ERR_X509_INVALID_VALUE, "malformed server certificate (BR_ERR_X509_INVALID_VALUE)" },
        { BR_ERR_X509_TRUNCATED, "truncated server certificate (BR_ERR_X509_TRUNCATED)" },
        { BR_ERR_X509_EMPTY_CHAIN, "the server sent no certificate (BR_ERR_X509_EMPTY_CHAIN)" },
        { BR_ERR_X509_BAD_DN, "malformed name in the server certificate (BR_ERR_X509_BAD_DN)" },
        { BR_ERR_X509_BAD_TIME, "malformed validity in the server certificate (BR_ERR_X509_BAD_TIME)" },
        { BR_ERR_X509_UNSUPPORTED, "unsupported server certificate (BR_ERR_X509_UNSUPPORTED)" },
        { BR_ERR_X509_LIMIT_EXCEEDED, "server certificate too large (BR_ERR_X509_LIMIT_EXCEEDED)" },
        { BR_ERR_X509_WRONG_KEY_TYPE, "server certificate key type not expected (BR_ERR_X509_WRONG_KEY_TYPE)" },
        { BR_ERR_X509_BAD_SIGNATURE, "a signature in the server certificate chain is invalid (BR_ERR_X509_BAD_SIGNATURE)" },
        { BR_ERR_X509_TIME_UNKNOWN, "the time is unknown: certificates cannot be checked (BR_ERR_X509_TIME_UNKNOWN)" },
        { BR_ERR_X509_EXPIRED, "the server certificate is expired or not yet valid (BR_ERR_X509_EXPIRED)" },
        { BR_ERR_X509_DN_MISMATCH, "the server certificate chain is out of order (BR_ERR_X509_DN_MISMATCH)" },
        { BR_ERR_X509_BAD_SERVER_NAME, "the server certificate is not for this host name (BR_ERR_X509_BAD_SERVER_NAME)" },
        { BR_ERR_X509_CRITICAL_EXTENSION, "unknown critical extension in the server certificate (BR_ERR_X509_CRITICAL_EXTENSION)" },
        { BR_ERR_X509_NOT_CA, "a server chain certificate is not a CA (BR_ERR_X509_NOT_CA)" },
        { BR_ERR_X509_FORBIDDEN_KEY_USAGE, "the server certificate's key usage forbids TLS (BR_ERR_X509_FORBIDDEN_KEY_USAGE)" },
        { BR_ERR_X509_WEAK_PUBLIC_KEY, "weak key in the server certificate chain (BR_ERR_X509_WEAK_PUBLIC_KEY)" },
        { BR_ERR_X509_NOT_TRUSTED, "the server certificate does not chain to a trusted CA (BR_ERR_X509_NOT_TRUSTED)" },
    };
    size_t i;
    if (err >= BR_ERR_SEND_FATAL_ALERT && err < BR_ERR_SEND_FATAL_ALERT + 256)
        return "a fatal alert was sent to the server (BR_ERR_SEND_FATAL_ALERT)";
    if (err == BR_ERR_RECV_FATAL_ALERT + 42 || err == BR_ERR_RECV_FATAL_ALERT + 116)
        return "the server refused the client certificate, or wanted one (fatal alert received)";
    if (err >= BR_ERR_RECV_FATAL_ALERT && err < BR_ERR_RECV_FATAL_ALERT + 256)
        return "the server sent a fatal alert (BR_ERR_RECV_FATAL_ALERT)";
    for (i = 0; i < sizeof t / sizeof t[0]; i++)
        if (t[i].code == err) return t[i].text;
    if (err > 32 && err < 64) return "the server certificate could not be decoded (BR_ERR_X509_*)";
    return "TLS error (see BearSSL's BR_ERR_* codes)";
}

/* ---- PEM to DER: trust anchors and certificate chains ------------------------- */

/* What one PEM walk produces, anchors or a chain. */
typedef struct wxp__sock_pem {
    int                   anchors;      /* 1: trust anchors; 0: a chain */
    br_x509_trust_anchor *ta;
    br_x509_certificate  *chain;
    size_t                cap, count;   /* count: every usable certificate seen */
    unsigned char        *arena;
    size_t                arena_size, used;
    /* the certificate being decoded */
    br_x509_decoder_context dc;
    size_t                mark, dn_off, der_off;
    int                   in_cert;
} wxp__sock_pem;

/* Takes n bytes of the arena (only counts past its end or without one). */
WXP__SOCK_PRIVATE void wxp__sock_arena_put(wxp__sock_pem *p, const void *data, size_t n)
{
    if (p->arena && p->used + n <= p->arena_size && n) memcpy(p->arena + p->used, data, n);
    p->used += n;
}

WXP__SOCK_PRIVATE void wxp__sock_on_dn(void *ctx, const void *buf, size_t len)
{
    wxp__sock_arena_put((wxp__sock_pem *)ctx, buf, len);
}

WXP__SOCK_PRIVATE void wxp__sock_on_der(void *ctx, const void *buf, size_t len)
{
    wxp__sock_pem *p = (wxp__sock_pem *)ctx;
    if (p->anchors) br_x509_decoder_push(&p->dc, buf, len);
    else wxp__sock_arena_put(p, buf, len);
}

WXP__SOCK_PRIVATE void wxp__sock_cert_begin(wxp__sock_pem *p)
{
    p->mark = p->used;
    p->in_cert = 1;
    if (p->anchors) br_x509_decoder_init(&p->dc, wxp__sock_on_dn, p);
}

WXP__SOCK_PRIVATE int wxp__sock_fits(const wxp__sock_pem *p) { return p->arena && p->used <= p->arena_size; }

WXP__SOCK_PRIVATE void wxp__sock_cert_end(wxp__sock_pem *p)
{
    p->in_cert = 0;
    if (!p->anchors) {
        if (p->used == p->mark) return;
        if (p->chain && p->count < p->cap && wxp__sock_fits(p)) {
            p->chain[p->count].data = p->arena + p->mark;
            p->chain[p->count].data_len = p->used - p->mark;
        }
        p->count++;
        return;
    } else {
        br_x509_pkey *pk = br_x509_decoder_get_pkey(&p->dc);
        br_x509_trust_anchor a;
        size_t dn_len = p->used - p->mark, k1, k2;
        if (!pk || (pk->key_type != BR_KEYTYPE_RSA && pk->key_type != BR_KEYTYPE_EC)) {
            p->used = p->mark;              /* not usable: give its bytes back */
            return;
        }
        memset(&a, 0, sizeof a);
        a.flags = br_x509_decoder_isCA(&p->dc) ? BR_X509_TA_CA : 0;
        a.pkey.key_type = pk->key_type;
        k1 = p->used;
        if (pk->key_type == BR_KEYTYPE_RSA) {
            wxp__sock_arena_put(p, pk->key.rsa.n, pk->key.rsa.nlen);
            k2 = p->used;
            wxp__sock_arena_put(p, pk->key.rsa.e, pk->key.rsa.elen);
            a.pkey.key.rsa.nlen = pk->key.rsa.nlen;
            a.pkey.key.rsa.elen = pk->key.rsa.elen;
        } else {
            wxp__sock_arena_put(p, pk->key.ec.q, pk->key.ec.qlen);
            k2 = p->used;
            a.pkey.key.ec.curve = pk->key.ec.curve;
            a.pkey.key.ec.qlen = pk->key.ec.qlen;
        }
        if (p->ta && p->count < p->cap && wxp__sock_fits(p)) {
            a.dn.data = p->arena + p->mark;
            a.dn.len = dn_len;
            if (pk->key_type == BR_KEYTYPE_RSA) {
                a.pkey.key.rsa.n = p->arena + k1;
                a.pkey.key.rsa.e = p->arena + k2;
            } else {
                a.pkey.key.ec.q = p->arena + k1;
            }
            p->ta[p->count] = a;
        }
        p->count++;
    }
}

WXP__SOCK_PRIVATE wxp_err wxp__sock_pem_walk(wxp__sock_pem *p, wxp_str pem, wxp_result *res)
{
    br_pem_decoder_context pc;
    const unsigned char *s = (const unsigned char *)pem.ptr;
    size_t len = pem.len;
    int fed_nl = 0;
    br_pem_decoder_init(&pc);
    while (len > 0 || !fed_nl) {
        size_t n;
        const char *name;
        if (len == 0) {                     /* a final newline ends an unterminated last line */
            s = (const unsigned char *)"\n";
            len = 1;
            fed_nl = 1;
        }
        n = br_pem_decoder_push(&pc, s, len);
        s += n;
        len -= n;
        switch (br_pem_decoder_event(&pc)) {
        case BR_PEM_BEGIN_OBJ:
            name = br_pem_decoder_name(&pc);
            if (strcmp(name, "CERTIFICATE") == 0 || strcmp(name, "X509 CERTIFICATE") == 0 ||
                strcmp(name, "TRUSTED CERTIFICATE") == 0) {
                wxp__sock_cert_begin(p);
                br_pem_decoder_setdest(&pc, wxp__sock_on_der, p);
            } else {
                br_pem_decoder_setdest(&pc, 0, 0);
            }
            break;
        case BR_PEM_END_OBJ:
            if (p->in_cert) wxp__sock_cert_end(p);
            break;
        case BR_PEM_ERROR:
            wxp__sock_set_err(res, "pem", "wxp_sock: malformed PEM");
            return WXP_E_KEY;
        default:
            break;
        }
    }
    if (p->in_cert) {
        wxp__sock_set_err(res, "pem", "wxp_sock: the PEM ends inside a certificate");
        return WXP_E_KEY_TRUNCATED;
    }
    if (p->count == 0) {
        wxp__sock_set_err(res, "pem", "wxp_sock: no usable CERTIFICATE in the PEM");
        return WXP_E_KEY;
    }
    if ((p->ta || p->chain) && p->count > p->cap) {
        wxp__sock_set_err(res, p->anchors ? "anchors" : "chain", "wxp_sock: too few entries");
        if (res) res->needed = p->count;
        return WXP_E_NOSPACE;
    }
    if (p->arena && p->used > p->arena_size) {
        wxp__sock_set_err(res, "arena", "wxp_sock: the buffer is too small");
        if (res) res->needed = p->used;
        return WXP_E_NOSPACE;
    }
    if (res) memset(res, 0, sizeof *res);
    return WXP_OK;
}

WXP_SOCK_API wxp_err wxp_sock_anchors_load(br_x509_trust_anchor *ta, size_t cap, unsigned char *arena,
                                           size_t arena_size, wxp_str pem, size_t *count, size_t *arena_used,
                                           wxp_result *res)
{
    wxp__sock_pem p;
    wxp_err e;
    memset(&p, 0, sizeof p);
    WXP_ASSERT(count && arena_used && (pem.ptr || !pem.len));
    p.anchors = 1;
    p.ta = ta;
    p.cap = ta ? cap : 0;
    p.arena = arena;
    p.arena_size = arena ? arena_size : 0;
    e = wxp__sock_pem_walk(&p, pem, res);
    *count = p.count;
    *arena_used = p.used;
    return e;
}

WXP_SOCK_API wxp_err wxp_sock_chain_load(br_x509_certificate *chain, size_t cap, unsigned char *buf,
                                         size_t buf_size, wxp_str pem, size_t *count, size_t *buf_used,
                                         wxp_result *res)
{
    wxp__sock_pem p;
    wxp_err e;
    memset(&p, 0, sizeof p);
    WXP_ASSERT(count && buf_used && (pem.ptr || !pem.len));
    p.chain = chain;
    p.cap = chain ? cap : 0;
    p.arena = buf;
    p.arena_size = buf ? buf_size : 0;
    e = wxp__sock_pem_walk(&p, pem, res);
    *count = p.count;
    *buf_used = p.used;
    return e;
}

/* ---- set-up ------------------------------------------------------------------- */

WXP_SOCK_API wxp_err wxp_sock_init(wxp_sock *s, const wxp_sock_config *cfg, wxp_result *res)
{
    const char *bad = NULL;
    WXP_ASSERT(s && cfg);
    memset(s, 0, sizeof *s);
    if (!cfg->io.open || !cfg->io.read || !cfg->io.write || !cfg->io.close) bad = "io";
    else if (!cfg->anchors || !cfg->anchor_count) bad = "anchors";
    else if (!cfg->tls_buf || cfg->tls_buf_size < BR_SSL_BUFSIZE_MONO) bad = "tls_buf";
    if (bad) {
        wxp__sock_set_err(res, bad, "wxp_sock: a required config field is missing or too small");
        return WXP_E_ARG;
    }
    s->wxp__priv.cfg = *cfg;
    br_ssl_client_init_full(&s->wxp__priv.sc, &s->wxp__priv.xc, cfg->anchors, cfg->anchor_count);
    br_ssl_engine_set_versions(&s->wxp__priv.sc.eng, BR_TLS12, BR_TLS12);
    br_ssl_engine_add_flags(&s->wxp__priv.sc.eng, BR_OPT_NO_RENEGOTIATION);
    br_ssl_engine_set_buffer(&s->wxp__priv.sc.eng, cfg->tls_buf, cfg->tls_buf_size,
                             cfg->tls_buf_size >= BR_SSL_BUFSIZE_BIDI);
    if (res) memset(res, 0, sizeof *res);
    return WXP_OK;
}

WXP_SOCK_API wxp_transport wxp_sock_as_transport(wxp_sock *s)
{
    wxp_transport t;
    t.fn = wxp_sock_transport;
    t.user = s;
    return t;
}

/* ---- the engine pump (BearSSL's br_sslio run_until, with deadlines) --------- */

WXP__SOCK_PRIVATE unsigned long long wxp__sock_now(wxp_sock *s)
{
    const wxp_sock_io *io = &s->wxp__priv.cfg.io;
    return io->now_ms ? io->now_ms(io->user) : 0;
}

/* The wait allowed now: what is left of the deadline, or the whole timeout. */
WXP__SOCK_PRIVATE int wxp__sock_left(wxp_sock *s, unsigned *ms)
{
    unsigned long long now;
    if (!s->wxp__priv.cfg.io.now_ms) {
        *ms = s->wxp__priv.timeout_ms;
        return 1;
    }
    now = wxp__sock_now(s);
    if (now >= s->wxp__priv.deadline) return 0;
    *ms = (unsigned)(s->wxp__priv.deadline - now);
    return 1;
}

/* Drops the socket at once (after a failure: no close_notify). */
WXP__SOCK_PRIVATE void wxp__sock_drop(wxp_sock *s)
{
    if (s->wxp__priv.sock_open) s->wxp__priv.cfg.io.close(s->wxp__priv.cfg.io.user);
    s->wxp__priv.sock_open = 0;
    s->wxp__priv.open = 0;
    s->wxp__priv.conn.host[0] = 0;
    wxp_rsa_key_wipe(&s->wxp__priv.key);
}

WXP__SOCK_PRIVATE void wxp__sock_wipe(void *v, size_t n)
{
    volatile unsigned char *p = (volatile unsigned char *)v;
    while (n--) *p++ = 0;
}

/* Forgets the TLS session (its master secret too). */
WXP__SOCK_PRIVATE void wxp__sock_forget(wxp_sock *s)
{
    wxp__sock_wipe(&s->wxp__priv.session, sizeof s->wxp__priv.session);
    s->wxp__priv.session_ok = 0;
    s->wxp__priv.sess.host[0] = 0;
}

WXP__SOCK_PRIVATE void wxp__sock_peer_set(wxp_sock_peer *p, const wxp_http_request *req)
{
    memcpy(p->host, req->host, strlen(req->host) + 1);
    p->cert_ptr = req->client_cert ? req->client_cert->cert_pem.ptr : NULL;
    p->cert_len = req->client_cert ? req->client_cert->cert_pem.len : 0;
    p->key_ptr = req->client_cert ? req->client_cert->key_pem.ptr : NULL;
}

/* p was made for req's host and client certificate. */
WXP__SOCK_PRIVATE int wxp__sock_peer_is(const wxp_sock_peer *p, const wxp_http_request *req)
{
    return strcmp(p->host, req->host) == 0 &&
           (req->client_cert ? (p->cert_ptr == req->client_cert->cert_pem.ptr &&
                                p->cert_len == req->client_cert->cert_pem.len &&
                                p->key_ptr == req->client_cert->key_pem.ptr)
                             : p->cert_ptr == NULL);
}

/* Runs the engine until one of target's states is reached: 0, or -1 with
   io_result set (WXP_SOCK_IO_TIMEOUT, WXP_SOCK_IO_ERROR, 0 for the peer's EOF,
   1 for an engine failure or closure: see br_ssl_engine_last_error). Unlike
   br_sslio, an I/O failure does not fail the engine: the caller drops the
   connection, and the next one starts with br_ssl_client_reset. */
WXP__SOCK_PRIVATE int wxp__sock_run(wxp_sock *s, unsigned target)
{
    br_ssl_engine_context *eng = &s->wxp__priv.sc.eng;
    const wxp_sock_io *io = &s->wxp__priv.cfg.io;
    unsigned rounds;
    for (rounds = 0; rounds < 1000000u; rounds++) {
        unsigned st = br_ssl_engine_current_state(eng), ms;
        unsigned char *buf;
        size_t len;
        long n;
        if (st & BR_SSL_CLOSED) {
            s->wxp__priv.io_result = 1;
            return -1;
        }
        if (st & BR_SSL_SENDREC) {
            buf = br_ssl_engine_sendrec_buf(eng, &len);
            if (!wxp__sock_left(s, &ms)) n = WXP_SOCK_IO_TIMEOUT;
            else n = io->write(io->user, buf, len, ms);
            if (n <= 0) {
                s->wxp__priv.io_result = n < 0 ? (int)n : WXP_SOCK_IO_ERROR;
                return -1;          /* the connection is dropped: the engine is not failed */
            }
            br_ssl_engine_sendrec_ack(eng, (size_t)n);
            s->bytes_out += (unsigned long long)n;
            continue;
        }
        if (st & target) return 0;
        if (st & BR_SSL_RECVAPP) {           /* unread data while we want to write */
            s->wxp__priv.io_result = 1;
            s->wxp__priv.stray = 1;
            return -1;
        }
        if (st & BR_SSL_RECVREC) {
            buf = br_ssl_engine_recvrec_buf(eng, &len);
            if (!wxp__sock_left(s, &ms)) n = WXP_SOCK_IO_TIMEOUT;
            else n = io->read(io->user, buf, len, ms);
            if (n <= 0) {
                s->wxp__priv.io_result = (int)n;
                return -1;
            }
            br_ssl_engine_recvrec_ack(eng, (size_t)n);
            s->bytes_in += (unsigned long long)n;
            continue;
        }
        br_ssl_engine_flush(eng, 0);
    }
    s->wxp__priv.io_result = WXP_SOCK_IO_ERROR;
    return -1;
}

/* The reason of the last failed run, into errbuf; returns its kind. */
WXP__SOCK_PRIVATE int wxp__sock_io_fail(wxp_sock *s, char *errbuf, size_t cap)
{
    int r = s->wxp__priv.io_result, br = br_ssl_engine_last_error(&s->wxp__priv.sc.eng);
    const char *phase = s->wxp__priv.phase ? s->wxp__priv.phase : "";
    s->last_br_error = br;
    if (r == WXP_SOCK_IO_TIMEOUT) {
        wxp__sock_fail(errbuf, cap, "timed out (", "", "");
        wxp__sock_cat_u(errbuf, cap, s->wxp__priv.timeout_ms);
        wxp__sock_cat(errbuf, cap, " ms) ");
        wxp__sock_cat(errbuf, cap, phase);
        s->last_br_error = 0;
    } else if (r == WXP_SOCK_IO_ERROR) {
        wxp__sock_fail(errbuf, cap, "I/O error ", phase, "");
    } else if (r == 0 || (r == 1 && br == BR_ERR_OK)) {
        wxp__sock_fail(errbuf, cap, "the server closed the connection ", phase, "");
    } else if (s->wxp__priv.stray) {
        wxp__sock_fail(errbuf, cap, "the server sent data nobody asked for ", phase, "");
    } else {
        wxp__sock_fail(errbuf, cap, "TLS error ", phase, ": ");
        wxp__sock_cat(errbuf, cap, wxp_sock_br_error(br));
    }
    wxp__sock_drop(s);
    return r == WXP_SOCK_IO_TIMEOUT ? WXP_TRANSPORT_TIMEOUT : WXP_TRANSPORT_ERROR;
}

/* Sends len bytes as application data (buffered in the engine). */
WXP__SOCK_PRIVATE int wxp__sock_send(wxp_sock *s, const void *data, size_t len)
{
    br_ssl_engine_context *eng = &s->wxp__priv.sc.eng;
    const unsigned char *p = (const unsigned char *)data;
    while (len) {
        unsigned char *buf;
        size_t room;
        if (wxp__sock_run(s, BR_SSL_SENDAPP) < 0) return -1;
        buf = br_ssl_engine_sendapp_buf(eng, &room);
        if (room > len) room = len;
        memcpy(buf, p, room);
        br_ssl_engine_sendapp_ack(eng, room);
        p += room;
        len -= room;
    }
    return 0;
}

WXP__SOCK_PRIVATE int wxp__sock_send_str(wxp_sock *s, const char *str) { return wxp__sock_send(s, str, strlen(str)); }

/* A kept connection is still good: nothing arrived on it since the last answer. */
WXP__SOCK_PRIVATE int wxp__sock_alive(wxp_sock *s)
{
    br_ssl_engine_context *eng = &s->wxp__priv.sc.eng;
    const wxp_sock_io *io = &s->wxp__priv.cfg.io;
    unsigned st = br_ssl_engine_current_state(eng);
    unsigned char *buf;
    size_t len;
    long n;
    if ((st & BR_SSL_CLOSED) || (st & BR_SSL_RECVAPP) || !(st & BR_SSL_SENDAPP)) return 0;
    if (!(st & BR_SSL_RECVREC)) return 1;
    buf = br_ssl_engine_recvrec_buf(eng, &len);
    n = io->read(io->user, buf, len, 0);
    if (n == WXP_SOCK_IO_TIMEOUT) return 1;
    if (n > 0) {                                          /* a close_notify, most likely */
        br_ssl_engine_recvrec_ack(eng, (size_t)n);
        s->bytes_in += (unsigned long long)n;
    }
    return 0;
}

/* ---- connecting ------------------------------------------------------------------ */

/* Splits "name[:port]" / "[v6]:port" into the name (NUL-terminated) and port. */
WXP__SOCK_PRIVATE int wxp__sock_split(const char *host, char *name, size_t cap, unsigned *port)
{
    size_t n = strlen(host), end = n, i;
    const char *colon = NULL;
    unsigned long v = 0;
    if (n && host[0] == '[') {
        const char *rb = strchr(host, ']');
        if (!rb) return -1;
        if (rb[1] == ':') colon = rb + 1;
        else if (rb[1]) return -1;
        host++;
        end = (size_t)(rb - host);
    } else {
        colon = strchr(host, ':');
        if (colon) end = (size_t)(colon - host);
    }
    if (end == 0 || end >= cap) return -1;
    memcpy(name, host, end);
    name[end] = 0;
    *port = 443;
    if (colon) {
        if (!colon[1]) return -1;
        for (i = 1; colon[i]; i++) {
            if (colon[i] < '0' || colon[i] > '9') return -1;
            v = v * 10 + (unsigned long)(colon[i] - '0');
            if (v > 65535) return -1;
        }
        if (v == 0) return -1;
        *port = (unsigned)v;
    }
    return 0;
}

/* Certificate validity time: days since 0000-01-01 and seconds of the day. */
WXP__SOCK_PRIVATE void wxp__sock_set_time(wxp_sock *s)
{
    long long t = -1;
    if (s->wxp__priv.cfg.clock.fn) t = s->wxp__priv.cfg.clock.fn(s->wxp__priv.cfg.clock.user);
#if !defined(WXP_NO_TIME)
    else t = (long long)time(NULL);
#endif
    if (t < 0) return;                      /* BearSSL then reports BR_ERR_X509_TIME_UNKNOWN */
    br_x509_minimal_set_time(&s->wxp__priv.xc, (uint32_t)(t / 86400 + 719528), (uint32_t)(t % 86400));
}

/* Connects and shakes hands: 0, or a WXP_TRANSPORT_* failure with errbuf set. */
WXP__SOCK_PRIVATE int wxp__sock_connect(wxp_sock *s, const wxp_http_request *req, char *errbuf, size_t cap)
{
    wxp_sock_config *cfg = &s->wxp__priv.cfg;
    br_ssl_engine_context *eng = &s->wxp__priv.sc.eng;
    char name[256];
    unsigned port, ms, cms;
    int rc, resume;
    br_ssl_session_parameters got;

    if (wxp__sock_split(req->host, name, sizeof name, &port) != 0)
        return wxp__sock_fail(errbuf, cap, "bad host \"", req->host, "\" (want name or name:port)");

    /* The client certificate, only while this handshake needs it. */
    br_ssl_client_set_client_certificate(&s->wxp__priv.sc, NULL);
    if (req->client_cert) {
        size_t count = 0, used = 0;
        wxp_result r;
        wxp_err e = wxp_sock_chain_load(s->wxp__priv.chain, WXP_SOCK_CHAIN_MAX, s->wxp__priv.chain_buf,
                                        sizeof s->wxp__priv.chain_buf, req->client_cert->cert_pem, &count,
                                        &used, &r);
        if (e == WXP_E_NOSPACE)
            return wxp__sock_fail(errbuf, cap, "the client certificate chain is larger than "
                                  "WXP_SOCK_CHAIN_BYTES / WXP_SOCK_CHAIN_MAX", "", "");
        if (e != WXP_OK) return wxp__sock_fail(errbuf, cap, "client certificate: ", r.message, "");
        e = wxp_rsa_key_load(&s->wxp__priv.key, req->client_cert->key_pem, &r);
        if (e != WXP_OK)
            return wxp__sock_fail(errbuf, cap, "client certificate key: ", wxp_strerror(e), "");
        br_ssl_client_set_single_rsa(&s->wxp__priv.sc, s->wxp__priv.chain, count, &s->wxp__priv.key.sk,
                                     br_rsa_pkcs1_sign_get_default());
    }

    s->wxp__priv.phase = "connecting";
    if (!wxp__sock_left(s, &ms)) {
        s->wxp__priv.io_result = WXP_SOCK_IO_TIMEOUT;
        return wxp__sock_io_fail(s, errbuf, cap);
    }
    cms = cfg->connect_timeout_ms ? cfg->connect_timeout_ms : 5000;
    if (cms > ms) cms = ms;
    if (errbuf && cap) errbuf[0] = 0;
    rc = cfg->io.open(cfg->io.user, cfg->connect_to ? cfg->connect_to : name, port, cms, errbuf, cap);
    if (rc != 0) {
        char why[192];
        why[0] = 0;
        if (errbuf && cap) wxp__sock_cat(why, sizeof why, errbuf);
        wxp_rsa_key_wipe(&s->wxp__priv.key);
        wxp__sock_fail(errbuf, cap, "cannot connect to ", req->host, why[0] ? ": " : "");
        wxp__sock_cat(errbuf, cap, why);
        return WXP_TRANSPORT_NO_CONNECTION;          /* nothing of this request left */
    }
    s->wxp__priv.sock_open = 1;
    s->connects++;

    wxp__sock_set_time(s);
    if (cfg->random.fn) {
        unsigned char seed[32];
        if (cfg->random.fn(cfg->random.user, seed, sizeof seed) != 0) {
            wxp__sock_drop(s);
            return wxp__sock_fail(errbuf, cap, "the random source (config.random) failed", "", "");
        }
        br_ssl_engine_inject_entropy(eng, seed, sizeof seed);
        memset(seed, 0, sizeof seed);
    }
    /* The last session with the same host and certificate is offered again:
       the server that still knows it skips the certificates and key exchange. */
    resume = !cfg->no_resume && s->wxp__priv.session_ok && wxp__sock_peer_is(&s->wxp__priv.sess, req);
    if (resume) br_ssl_engine_set_session_parameters(eng, &s->wxp__priv.session);
    if (!br_ssl_client_reset(&s->wxp__priv.sc, name, resume)) {
        s->last_br_error = br_ssl_engine_last_error(eng);
        wxp__sock_drop(s);
        return wxp__sock_fail(errbuf, cap, "TLS reset failed: ", wxp_sock_br_error(s->last_br_error), "");
    }
    s->wxp__priv.phase = "in the TLS handshake";
    s->wxp__priv.stray = 0;
    if (wxp__sock_run(s, BR_SSL_SENDAPP) < 0) {
        int br = br_ssl_engine_last_error(eng), r = s->wxp__priv.io_result;
        wxp__sock_forget(s);                /* whatever it was, the next try starts afresh */
        if (r == 1 && br != BR_ERR_OK && br != BR_ERR_IO) {
            s->last_br_error = br;
            wxp__sock_drop(s);
            wxp__sock_fail(errbuf, cap, "TLS handshake with ", name, " failed: ");
            wxp__sock_cat(errbuf, cap, wxp_sock_br_error(br));
            return WXP_TRANSPORT_TLS;
        }
        return wxp__sock_io_fail(s, errbuf, cap);
    }
    /* Resumed: the server took the offered session ID (a full handshake gets a new one). */
    br_ssl_engine_get_session_parameters(eng, &got);
    if (resume && got.session_id_len == s->wxp__priv.session.session_id_len &&
        memcmp(got.session_id, s->wxp__priv.session.session_id, got.session_id_len) == 0)
        s->resumed++;
    wxp__sock_forget(s);
    if (!cfg->no_resume && got.session_id_len > 0) {
        s->wxp__priv.session = got;
        s->wxp__priv.session_ok = 1;
        wxp__sock_peer_set(&s->wxp__priv.sess, req);
    }
    wxp__sock_wipe(&got, sizeof got);
    /* The key signed CertificateVerify; renegotiation is off: never needed again. */
    wxp_rsa_key_wipe(&s->wxp__priv.key);
    br_ssl_client_set_client_certificate(&s->wxp__priv.sc, NULL);
    s->wxp__priv.open = 1;
    wxp__sock_peer_set(&s->wxp__priv.conn, req);
    return 0;
}

/* ---- the answer ---------------------------------------------------------------- */

enum { WXP__SOCK_P_STATUS, WXP__SOCK_P_HEADER, WXP__SOCK_P_BODY, WXP__SOCK_P_CHUNK_SIZE,
       WXP__SOCK_P_CHUNK_DATA, WXP__SOCK_P_CHUNK_END, WXP__SOCK_P_TRAILER, WXP__SOCK_P_EOF,
       WXP__SOCK_P_DONE };

#define WXP__SOCK_MAX_LINES    256      /* header lines of one answer, all 1xx included */
#define WXP__SOCK_MAX_INTERIM  8        /* 1xx answers before the final one */

WXP__SOCK_PRIVATE void wxp__sock_answer_reset(wxp_sock *s, int no_body)
{
    s->wxp__priv.state = WXP__SOCK_P_STATUS;
    s->wxp__priv.line_len = 0;
    s->wxp__priv.lines = 0;
    s->wxp__priv.status = 0;
    s->wxp__priv.interims = 0;
    s->wxp__priv.chunked = 0;
    s->wxp__priv.has_len = 0;
    s->wxp__priv.close = 0;
    s->wxp__priv.http11 = 0;
    s->wxp__priv.no_body = no_body;
    s->wxp__priv.clen = s->wxp__priv.left = s->wxp__priv.got = 0;
}

/* A complete line (no CR LF) in the current state: NULL, or why it is refused. */
WXP__SOCK_PRIVATE const char *wxp__sock_line(wxp_sock *s, wxp_http_response *res)
{
    char *l = s->wxp__priv.line;
    size_t n = s->wxp__priv.line_len, i;
    if (++s->wxp__priv.lines > WXP__SOCK_MAX_LINES) return "the answer has too many header lines";
    switch (s->wxp__priv.state) {
    case WXP__SOCK_P_STATUS: {
        int st;
        if (n < 12 || memcmp(l, "HTTP/1.", 7) != 0 || (l[7] != '0' && l[7] != '1') || l[8] != ' ' ||
            l[9] < '1' || l[9] > '5' || l[10] < '0' || l[10] > '9' || l[11] < '0' || l[11] > '9' ||
            (n > 12 && l[12] != ' '))
            return "the answer does not start with an HTTP/1.x status line";
        st = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
        s->wxp__priv.http11 = l[7] == '1';
        s->wxp__priv.status = st;
        if (st == 101) return "the server switched protocols (101)";
        if (st < 200 && ++s->wxp__priv.interims > WXP__SOCK_MAX_INTERIM) return "too many 1xx answers";
        if (st >= 200) wxp_http_response_status(res, st);
        s->wxp__priv.state = WXP__SOCK_P_HEADER;
        return NULL;
    }
    case WXP__SOCK_P_HEADER: {
        const char *v;
        size_t vn;
        if (n == 0) {                           /* the end of the headers */
            if (s->wxp__priv.status < 200) {
                int keep = s->wxp__priv.interims;
                wxp__sock_answer_reset(s, s->wxp__priv.no_body);
                s->wxp__priv.interims = keep;
                return NULL;
            }
            if (!s->wxp__priv.http11) s->wxp__priv.close = 1;
            if (s->wxp__priv.no_body || s->wxp__priv.status == 204 || s->wxp__priv.status == 304)
                s->wxp__priv.state = WXP__SOCK_P_DONE;
            else if (s->wxp__priv.chunked) s->wxp__priv.state = WXP__SOCK_P_CHUNK_SIZE;
            else if (s->wxp__priv.has_len)
                s->wxp__priv.state = s->wxp__priv.clen ? WXP__SOCK_P_BODY : WXP__SOCK_P_DONE;
            else {
                s->wxp__priv.state = WXP__SOCK_P_EOF;   /* to close_notify */
                s->wxp__priv.close = 1;
            }
            s->wxp__priv.left = s->wxp__priv.clen;
            return NULL;
        }
        if (l[0] == ' ' || l[0] == '\t') return "a folded header line (obsolete) in the answer";
        for (i = 0; i < n && l[i] != ':'; i++)
            if (l[i] == ' ' || l[i] == '\t') return "a header name with a space in the answer";
        if (i == 0 || i == n) return "a header line without a name or colon in the answer";
        v = l + i + 1;
        vn = n - i - 1;
        while (vn && (*v == ' ' || *v == '\t')) { v++; vn--; }
        while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t')) vn--;
        if (s->wxp__priv.status < 200) return NULL;  /* a 1xx answer's headers are not passed on */
        if (wxp__sock_ieq(l, i, "Content-Length")) {
            unsigned long long c = 0;
            size_t k;
            if (vn == 0) return "an empty Content-Length";
            for (k = 0; k < vn; k++) {
                if (v[k] < '0' || v[k] > '9' || c > 1000000000000ULL) return "a bad Content-Length";
                c = c * 10 + (unsigned long long)(v[k] - '0');
            }
            if (s->wxp__priv.has_len && c != s->wxp__priv.clen) return "two different Content-Lengths";
            s->wxp__priv.has_len = 1;
            s->wxp__priv.clen = c;
        } else if (wxp__sock_ieq(l, i, "Transfer-Encoding")) {
            /* Only "chunked" alone is understood; nothing else was asked for. */
            if (memchr(v, ',', vn) || !wxp__sock_has_token(v, vn, "chunked"))
                return "an unsupported Transfer-Encoding";
            s->wxp__priv.chunked = 1;
        } else if (wxp__sock_ieq(l, i, "Connection")) {
            if (wxp__sock_has_token(v, vn, "close")) s->wxp__priv.close = 1;
        }
        wxp_http_response_header(res, l, i, v, vn);
        return NULL;
    }
    case WXP__SOCK_P_CHUNK_SIZE: {
        unsigned long long c = 0;
        size_t k;
        int digits = 0;
        for (k = 0; k < n; k++) {
            int d = l[k];
            if (d >= '0' && d <= '9') d -= '0';
            else if (d >= 'a' && d <= 'f') d -= 'a' - 10;
            else if (d >= 'A' && d <= 'F') d -= 'A' - 10;
            else break;
            if (c > 0xFFFFFFFFFFULL) return "a chunk size that is too large";
            c = c * 16 + (unsigned long long)d;
            digits++;
        }
        while (k < n && (l[k] == ' ' || l[k] == '\t')) k++;
        if (!digits || (k < n && l[k] != ';')) return "a bad chunk size line";
        s->wxp__priv.left = c;
        s->wxp__priv.state = c ? WXP__SOCK_P_CHUNK_DATA : WXP__SOCK_P_TRAILER;
        return NULL;
    }
    case WXP__SOCK_P_CHUNK_END:
        if (n != 0) return "a chunk not followed by CR LF";
        s->wxp__priv.state = WXP__SOCK_P_CHUNK_SIZE;
        return NULL;
    case WXP__SOCK_P_TRAILER:
        if (n == 0) s->wxp__priv.state = WXP__SOCK_P_DONE;  /* trailer fields are dropped */
        return NULL;
    default:
        return "internal state";
    }
}

/* Feeds received bytes to the parser: how many were used (the rest belong to
   nothing: stray bytes), or (size_t)-1 with *why set. */
WXP__SOCK_PRIVATE size_t wxp__sock_feed(wxp_sock *s, wxp_http_response *res, const unsigned char *p,
                                        size_t len, const char **why)
{
    size_t used = 0;
    while (used < len && s->wxp__priv.state != WXP__SOCK_P_DONE) {
        int st = s->wxp__priv.state;
        if (st == WXP__SOCK_P_BODY || st == WXP__SOCK_P_CHUNK_DATA || st == WXP__SOCK_P_EOF) {
            size_t take = len - used;
            if (st != WXP__SOCK_P_EOF && take > s->wxp__priv.left) take = (size_t)s->wxp__priv.left;
            (void)wxp_http_response_write(res, p + used, take);   /* short: NOSPACE, keep reading */
            used += take;
            s->wxp__priv.got += take;
            if (st != WXP__SOCK_P_EOF) {
                s->wxp__priv.left -= take;
                if (s->wxp__priv.left == 0)
                    s->wxp__priv.state = st == WXP__SOCK_P_BODY ? WXP__SOCK_P_DONE : WXP__SOCK_P_CHUNK_END;
            }
            continue;
        }
        {
            unsigned char c = p[used++];
            if (c == '\n') {
                if (s->wxp__priv.line_len && s->wxp__priv.line[s->wxp__priv.line_len - 1] == '\r')
                    s->wxp__priv.line_len--;
                *why = wxp__sock_line(s, res);
                s->wxp__priv.line_len = 0;
                if (*why) return (size_t)-1;
            } else if (c == 0) {
                *why = "a NUL byte in the answer's headers";
                return (size_t)-1;
            } else {
                if (s->wxp__priv.line_len >= sizeof s->wxp__priv.line) {
                    *why = "an answer line longer than WXP_SOCK_LINE_MAX";
                    return (size_t)-1;
                }
                s->wxp__priv.line[s->wxp__priv.line_len++] = (char)c;
            }
        }
    }
    return used;
}

/* Reads the whole answer. 0, or a WXP_TRANSPORT_* failure with errbuf set and the connection dropped. */
WXP__SOCK_PRIVATE int wxp__sock_read_answer(wxp_sock *s, wxp_http_response *res, char *errbuf, size_t cap)
{
    br_ssl_engine_context *eng = &s->wxp__priv.sc.eng;
    s->wxp__priv.phase = "waiting for the answer";
    while (s->wxp__priv.state != WXP__SOCK_P_DONE) {
        unsigned char *buf;
        size_t len, used;
        const char *why = NULL;
        if (wxp__sock_run(s, BR_SSL_RECVAPP) < 0) {
            int r = s->wxp__priv.io_result, br = br_ssl_engine_last_error(eng);
            if (s->wxp__priv.state == WXP__SOCK_P_EOF && r == 1 && br == BR_ERR_OK) {
                wxp__sock_drop(s);          /* the body ended with close_notify */
                return 0;
            }
            if ((r == 0 || r == 1) && (br == BR_ERR_OK || br == BR_ERR_IO) &&
                s->wxp__priv.state != WXP__SOCK_P_STATUS) {
                s->last_br_error = br;
                if (s->wxp__priv.state == WXP__SOCK_P_BODY) {
                    wxp__sock_fail(errbuf, cap, "the connection was closed after ", "", "");
                    wxp__sock_cat_u(errbuf, cap, s->wxp__priv.got);
                    wxp__sock_cat(errbuf, cap, " of ");
                    wxp__sock_cat_u(errbuf, cap, s->wxp__priv.clen);
                    wxp__sock_cat(errbuf, cap, " body bytes");
                } else if (s->wxp__priv.state == WXP__SOCK_P_EOF) {
                    wxp__sock_fail(errbuf, cap, "the connection was closed without close_notify after ", "", "");
                    wxp__sock_cat_u(errbuf, cap, s->wxp__priv.got);
                    wxp__sock_cat(errbuf, cap, " body bytes (truncated?)");
                } else if (s->wxp__priv.state == WXP__SOCK_P_HEADER) {
                    wxp__sock_fail(errbuf, cap, "the connection was closed in the answer's headers", "", "");
                } else {
                    wxp__sock_fail(errbuf, cap, "the connection was closed in a chunked body after ", "", "");
                    wxp__sock_cat_u(errbuf, cap, s->wxp__priv.got);
                    wxp__sock_cat(errbuf, cap, " bytes");
                }
                wxp__sock_drop(s);
                return WXP_TRANSPORT_ERROR;
            }
            if (s->wxp__priv.state != WXP__SOCK_P_STATUS || s->wxp__priv.lines || s->wxp__priv.line_len)
                s->wxp__priv.phase = "reading the answer";
            return wxp__sock_io_fail(s, errbuf, cap);
        }
        s->wxp__priv.phase = "reading the answer";
        buf = br_ssl_engine_recvapp_buf(eng, &len);
        used = wxp__sock_feed(s, res, buf, len, &why);
        if (used == (size_t)-1) {
            wxp__sock_fail(errbuf, cap, "malformed answer: ", why, "");
            wxp__sock_drop(s);
            return WXP_TRANSPORT_ERROR;
        }
        br_ssl_engine_recvapp_ack(eng, used);
        if (used < len) s->wxp__priv.close = 1;     /* bytes after the answer: not reusable */
    }
    return 0;
}

/* ---- the transport ------------------------------------------------------------ */

WXP_SOCK_API void wxp_sock_close(wxp_sock *s)
{
    if (!s) return;
    if (s->wxp__priv.open) {
        /* close_notify, best effort and quick: nothing is waited for. */
        s->wxp__priv.timeout_ms = 200;
        s->wxp__priv.deadline = wxp__sock_now(s) + 200;
        br_ssl_engine_close(&s->wxp__priv.sc.eng);
        if (br_ssl_engine_current_state(&s->wxp__priv.sc.eng) & BR_SSL_SENDREC)
            (void)wxp__sock_run(s, BR_SSL_CLOSED | BR_SSL_RECVAPP | BR_SSL_RECVREC);
    }
    wxp__sock_drop(s);
}

WXP_SOCK_API void wxp_sock_forget(wxp_sock *s)
{
    if (!s) return;
    wxp_sock_close(s);
    wxp__sock_forget(s);
    /* The engine keeps the last connection's parameters too. */
    wxp__sock_wipe(&s->wxp__priv.sc.eng.session, sizeof s->wxp__priv.sc.eng.session);
}

/* A header name is a token; a value has no CR, LF or NUL. */
WXP__SOCK_PRIVATE int wxp__sock_header_ok(wxp_str n, wxp_str v)
{
    size_t k;
    if (n.len == 0) return 0;
    for (k = 0; k < n.len; k++) {
        unsigned char c = (unsigned char)n.ptr[k];
        if (c <= ' ' || c >= 0x7f || c == ':') return 0;
    }
    for (k = 0; k < v.len; k++)
        if (v.ptr[k] == '\r' || v.ptr[k] == '\n' || v.ptr[k] == 0) return 0;
    return 1;
}

/* Sends the request on the open connection and reads the answer: 0, or a
   WXP_TRANSPORT_* failure with errbuf set and the connection dropped. */
WXP__SOCK_PRIVATE int wxp__sock_exchange(wxp_sock *s, const wxp_http_request *req, wxp_http_response *res,
                                         char *errbuf, size_t errbuf_size)
{
    const wxp_sock_config *cfg = &s->wxp__priv.cfg;
    /* The request. */
    int body, head;
    size_t i;
    char num[24];
    body = req->body.len > 0 || strcmp(req->method, "POST") == 0 || strcmp(req->method, "PUT") == 0 ||
           strcmp(req->method, "PATCH") == 0;
    head = strcmp(req->method, "HEAD") == 0;
    s->wxp__priv.phase = "sending the request";
    s->wxp__priv.stray = 0;
    wxp__sock_answer_reset(s, head);
    if (wxp__sock_send_str(s, req->method) || wxp__sock_send_str(s, " ") ||
        wxp__sock_send(s, req->path.ptr, req->path.len) || wxp__sock_send_str(s, " HTTP/1.1\r\nHost: ") ||
        wxp__sock_send_str(s, req->host) || wxp__sock_send_str(s, "\r\n"))
        return wxp__sock_io_fail(s, errbuf, errbuf_size);
    for (i = 0; i < req->header_count; i++) {
        const wxp_http_header *h = &req->headers[i];
        if (wxp__sock_send(s, h->name.ptr, h->name.len) || wxp__sock_send_str(s, ": ") ||
            wxp__sock_send(s, h->value.ptr, h->value.len) || wxp__sock_send_str(s, "\r\n"))
            return wxp__sock_io_fail(s, errbuf, errbuf_size);
    }
    if (body) {
        num[0] = 0;
        wxp__sock_cat_u(num, sizeof num, req->body.len);
        if (wxp__sock_send_str(s, "Content-Length: ") || wxp__sock_send_str(s, num) ||
            wxp__sock_send_str(s, "\r\n"))
            return wxp__sock_io_fail(s, errbuf, errbuf_size);
    }
    if (cfg->no_keepalive && wxp__sock_send_str(s, "Connection: close\r\n"))
        return wxp__sock_io_fail(s, errbuf, errbuf_size);
    if (wxp__sock_send_str(s, "\r\n") || (req->body.len && wxp__sock_send(s, req->body.ptr, req->body.len)))
        return wxp__sock_io_fail(s, errbuf, errbuf_size);
    br_ssl_engine_flush(&s->wxp__priv.sc.eng, 0);
    if (wxp__sock_run(s, BR_SSL_SENDAPP | BR_SSL_RECVAPP) < 0)
        return wxp__sock_io_fail(s, errbuf, errbuf_size);

    /* The answer. */
    return wxp__sock_read_answer(s, res, errbuf, errbuf_size);
}

WXP_SOCK_API int wxp_sock_transport(void *user, const wxp_http_request *req, wxp_http_response *res,
                                    char *errbuf, size_t errbuf_size)
{
    wxp_sock *s = (wxp_sock *)user;
    size_t i, k;
    int attempt, idempotent, rc = 0;

    if (errbuf && errbuf_size) errbuf[0] = 0;
    if (!s || !req || !res || !req->method || !req->host || !s->wxp__priv.cfg.io.open)
        return wxp__sock_fail(errbuf, errbuf_size, "not initialised, or no method or host", "", "");
    if (strlen(req->host) >= sizeof s->wxp__priv.conn.host)
        return wxp__sock_fail(errbuf, errbuf_size, "the host name is too long", "", "");
    for (k = 0; req->method[k]; k++)
        if (req->method[k] < 'A' || req->method[k] > 'Z') break;
    if (k == 0 || req->method[k])
        return wxp__sock_fail(errbuf, errbuf_size, "bad method", "", "");
    if (req->path.len == 0 || req->path.ptr[0] != '/')
        return wxp__sock_fail(errbuf, errbuf_size, "the path must start with /", "", "");
    for (k = 0; k < req->path.len; k++)
        if ((unsigned char)req->path.ptr[k] <= ' ' || req->path.ptr[k] == 0x7f)
            return wxp__sock_fail(errbuf, errbuf_size, "a space or control character in the path", "", "");
    for (i = 0; i < req->header_count; i++)
        if (!wxp__sock_header_ok(req->headers[i].name, req->headers[i].value))
            return wxp__sock_fail(errbuf, errbuf_size, "a request header has a bad name or value", "", "");

    idempotent = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
    s->last_br_error = 0;
    s->wxp__priv.timeout_ms = req->timeout_ms ? req->timeout_ms : 10000;
    s->wxp__priv.deadline = wxp__sock_now(s) + s->wxp__priv.timeout_ms;

    for (attempt = 0;; attempt++) {
        int reused = 0, silent;
        /* A kept connection serves only the same host with the same certificate. */
        if (s->wxp__priv.open) {
            if (!wxp__sock_peer_is(&s->wxp__priv.conn, req) || !wxp__sock_alive(s)) wxp__sock_drop(s);
            else reused = 1;
        }
        if (!s->wxp__priv.open) rc = wxp__sock_connect(s, req, errbuf, errbuf_size);
        /* On the resend the request already left once: a refused handshake
           no longer means that nothing was sent. */
        if (!s->wxp__priv.open)
            return attempt > 0 && (rc == WXP_TRANSPORT_TLS || rc == WXP_TRANSPORT_NO_CONNECTION) ? WXP_TRANSPORT_ERROR
                                                                                                 : rc;
        if ((rc = wxp__sock_exchange(s, req, res, errbuf, errbuf_size)) == 0) break;
        /* A kept connection the server closed just as it was reused (no byte of
           an answer came): a GET or HEAD is sent once more on a new connection.
           Other methods are not repeated here (see KEEP-ALIVE). */
        silent = s->wxp__priv.io_result != WXP_SOCK_IO_TIMEOUT && !s->wxp__priv.stray &&
                 s->wxp__priv.state == WXP__SOCK_P_STATUS && s->wxp__priv.lines == 0 &&
                 s->wxp__priv.line_len == 0;
        if (!reused || attempt > 0 || !silent || !idempotent) return rc;
    }
    s->requests++;
    if (s->wxp__priv.close || s->wxp__priv.cfg.no_keepalive) wxp_sock_close(s);
    return 0;
}

/* ---- POSIX sockets ----------------------------------------------------------------- */
#ifndef WXP_SOCK_NO_POSIX

WXP_SOCK_API void wxp_sock_posix_init(wxp_sock_posix *p) { p->fd = -1; }

WXP__SOCK_PRIVATE unsigned long long wxp__sock_posix_now(void *user)
{
    struct timespec ts;
    (void)user;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000u + (unsigned long long)ts.tv_nsec / 1000000u;
}

/* Waits for fd to be ready: 1 ready, 0 timed out, -1 error. */
WXP__SOCK_PRIVATE int wxp__sock_posix_wait(int fd, short events, unsigned ms)
{
    unsigned long long end = wxp__sock_posix_now(NULL) + ms;
    for (;;) {
        struct pollfd pf;
        unsigned long long now;
        int r;
        pf.fd = fd;
        pf.events = events;
        pf.revents = 0;
        now = wxp__sock_posix_now(NULL);
        r = poll(&pf, 1, now >= end ? 0 : end - now > 86400000u ? 86400000 : (int)(end - now));
        if (r > 0) return 1;
        if (r == 0) return 0;
        if (errno != EINTR) return -1;
    }
}

/* Connects one address within ms: the socket, or -1 with errno set. */
WXP__SOCK_PRIVATE int wxp__sock_posix_try(const struct sockaddr *sa, socklen_t salen, unsigned ms)
{
    int fd = socket(sa->sa_family, SOCK_STREAM, 0), fl, err = 0, one = 1, w;
    socklen_t elen = sizeof err;
    if (fd < 0) return -1;
    fl = fcntl(fd, F_GETFL, 0);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) goto fail;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
#ifdef SO_NOSIGPIPE
    (void)setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
    if (connect(fd, sa, salen) == 0) return fd;
    if (errno != EINPROGRESS && errno != EINTR) goto fail;
    w = wxp__sock_posix_wait(fd, POLLOUT, ms);
    if (w == 0) {
        errno = ETIMEDOUT;
        goto fail;
    }
    if (w < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0) goto fail;
    if (err != 0) {
        errno = err;
        goto fail;
    }
    return fd;
fail:
    err = errno;
    close(fd);
    errno = err;
    return -1;
}

WXP__SOCK_PRIVATE int wxp__sock_posix_open(void *user, const char *host, unsigned port, unsigned timeout_ms,
                                           char *errbuf, size_t errbuf_size)
{
    wxp_sock_posix *p = (wxp_sock_posix *)user;
    struct sockaddr_in a4;
    struct sockaddr_in6 a6;
    unsigned long long end = wxp__sock_posix_now(NULL) + timeout_ms;
    int fd = -1, err = 0;
    if (p->fd >= 0) {
        close(p->fd);
        p->fd = -1;
    }
    memset(&a4, 0, sizeof a4);
    memset(&a6, 0, sizeof a6);
    /* A numeric address needs no resolver (and no allocation). */
    if (inet_pton(AF_INET, host, &a4.sin_addr) == 1) {
        a4.sin_family = AF_INET;
        a4.sin_port = htons((unsigned short)port);
        fd = wxp__sock_posix_try((const struct sockaddr *)&a4, sizeof a4, timeout_ms);
        err = errno;
    } else if (inet_pton(AF_INET6, host, &a6.sin6_addr) == 1) {
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons((unsigned short)port);
        fd = wxp__sock_posix_try((const struct sockaddr *)&a6, sizeof a6, timeout_ms);
        err = errno;
    } else {
        struct addrinfo hints, *list = NULL, *ai;
        char service[8];
        int rc;
        service[0] = 0;
        wxp__sock_cat_u(service, sizeof service, port);
        memset(&hints, 0, sizeof hints);
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV;
        rc = getaddrinfo(host, service, &hints, &list);
        if (rc != 0) {
            if (errbuf && errbuf_size) {
                errbuf[0] = 0;
                wxp__sock_cat(errbuf, errbuf_size, "cannot resolve ");
                wxp__sock_cat(errbuf, errbuf_size, host);
                wxp__sock_cat(errbuf, errbuf_size, ": ");
                wxp__sock_cat(errbuf, errbuf_size, gai_strerror(rc));
            }
            return -1;
        }
        err = ETIMEDOUT;
        for (ai = list; ai && fd < 0; ai = ai->ai_next) {
            unsigned long long now = wxp__sock_posix_now(NULL);
            if (now >= end) break;
            fd = wxp__sock_posix_try(ai->ai_addr, ai->ai_addrlen, (unsigned)(end - now));
            if (fd < 0) err = errno;
        }
        freeaddrinfo(list);
    }
    if (fd < 0) {
        if (errbuf && errbuf_size) {
            errbuf[0] = 0;
            wxp__sock_cat(errbuf, errbuf_size, host);
            wxp__sock_cat(errbuf, errbuf_size, " port ");
            wxp__sock_cat_u(errbuf, errbuf_size, port);
            wxp__sock_cat(errbuf, errbuf_size, ": ");
            wxp__sock_cat(errbuf, errbuf_size, err == ETIMEDOUT ? "connect timed out" : strerror(err));
        }
        return -1;
    }
    p->fd = fd;
    return 0;
}

WXP__SOCK_PRIVATE long wxp__sock_posix_read(void *user, unsigned char *buf, size_t len, unsigned timeout_ms)
{
    wxp_sock_posix *p = (wxp_sock_posix *)user;
    for (;;) {
        ssize_t n = recv(p->fd, buf, len, 0);
        int w;
        if (n > 0) return (long)n;
        if (n == 0) return 0;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return WXP_SOCK_IO_ERROR;
        w = wxp__sock_posix_wait(p->fd, POLLIN, timeout_ms);
        if (w == 0) return WXP_SOCK_IO_TIMEOUT;
        if (w < 0) return WXP_SOCK_IO_ERROR;
        timeout_ms = 0;     /* ready now: the next recv will not block */
    }
}

WXP__SOCK_PRIVATE long wxp__sock_posix_write(void *user, const unsigned char *buf, size_t len, unsigned timeout_ms)
{
    wxp_sock_posix *p = (wxp_sock_posix *)user;
    int flags = 0;
#ifdef MSG_NOSIGNAL
    flags = MSG_NOSIGNAL;
#endif
    for (;;) {
        ssize_t n = send(p->fd, buf, len, flags);
        int w;
        if (n > 0) return (long)n;
        if (n < 0 && errno == EINTR) continue;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return WXP_SOCK_IO_ERROR;
        w = wxp__sock_posix_wait(p->fd, POLLOUT, timeout_ms);
        if (w == 0) return WXP_SOCK_IO_TIMEOUT;
        if (w < 0) return WXP_SOCK_IO_ERROR;
    }
}

WXP__SOCK_PRIVATE void wxp__sock_posix_close(void *user)
{
    wxp_sock_posix *p = (wxp_sock_posix *)user;
    if (p->fd >= 0) close(p->fd);
    p->fd = -1;
}

WXP_SOCK_API wxp_sock_io wxp_sock_posix_io(wxp_sock_posix *p)
{
    wxp_sock_io io;
    io.open = wxp__sock_posix_open;
    io.read = wxp__sock_posix_read;
    io.write = wxp__sock_posix_write;
    io.close = wxp__sock_posix_close;
    io.now_ms = wxp__sock_posix_now;
    io.user = p;
    return io;
}

#endif /* WXP_SOCK_NO_POSIX */

#ifdef __cplusplus
}
#endif
#endif /* WECHATPAY_SOCKET_IMPLEMENTATION */
