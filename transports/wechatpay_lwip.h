/* wechatpay_lwip.h - the lwIP transport for wechatpay.h - MIT (see wechatpay.h)

   The sockets transport (wechatpay_socket.h: HTTP/1.1 over BearSSL's TLS 1.2,
   keep-alive, TLS session resumption) over lwIP: this file is
   an implementation of its I/O seam (wxp_sock_io) on lwIP's BSD-style sockets
   API, and nothing else. It has no heap and no state of its own besides the
   wxp_lwip struct (a socket number and a clock); what lwIP allocates for a
   connection comes from lwIP's own pools (MEMP_NUM_NETCONN, PBUF_POOL_SIZE...),
   sized in your lwipopts.h.

   WHY THE SOCKETS API
       lwIP offers three APIs: raw (callbacks in the TCP/IP thread), netconn
       (sequential, lwIP's own) and sockets (BSD-style, on top of netconn).
       POS firmware overwhelmingly talks to the network through the sockets
       API: it is what vendor SDKs hand to application code (ESP-IDF exposes
       only it; STM32Cube, NXP MCUXpresso and the 4G-module "OpenCPU" SDKs
       ship their TLS and HTTP samples on it), what the TLS stacks a terminal
       already carries bind to (mbedTLS's net_sockets.c, wolfSSL's default
       I/O), and what a terminal's other code (the acquirer link, the TMS
       client) already uses, so the payment code takes one more socket from
       the same table and the same locking rules. It also gives what the seam
       needs without threads of our own: non-blocking connect, a bounded wait
       (poll, or select where LWIP_SOCKET_POLL is 0) and errno. netconn would
       save the socket table's few hundred bytes and one copy per segment; the
       raw API would need the whole exchange turned into callbacks. Both can
       sit under the same wxp_sock_io (see wechatpay_socket.h, AN EMBEDDED
       STACK UNDER IT) if a firmware has no sockets layer.

   Do this:
       #define WECHATPAY_LWIP_IMPLEMENTATION
   before you include this file in *one* C file. It includes wechatpay.h and
   wechatpay_socket.h (without its POSIX part: WXP_SOCK_NO_POSIX) and, with
   WECHATPAY_LWIP_IMPLEMENTATION, their implementations unless you asked for
   them yourself. Link with BearSSL and your lwIP. lwIP needs LWIP_SOCKET and
   LWIP_TCP (and NO_SYS 0: the sockets API blocks); names are resolved with
   netconn_gethostbyname when LWIP_DNS is 1, else only numeric addresses are
   connected to (give wxp_sock_config.connect_to one).

   QUICK START
       static unsigned char tls_buf[BR_SSL_BUFSIZE_MONO];  // or _BIDI, see below
       static wxp_sock http;
       static wxp_lwip net;
       wxp_sock_config sc = {0};
       wxp_lwip_init(&net);
       sc.io = wxp_lwip_io(&net);
       sc.anchors = anchors; sc.anchor_count = n;       // the CA (compiled in)
       sc.tls_buf = tls_buf; sc.tls_buf_size = sizeof tls_buf;
       sc.clock = rtc_clock; sc.random = trng;         // no time() or OS entropy
       if (wxp_sock_init(&http, &sc, &r)) fail(&r);
       cfg.transport = wxp_sock_as_transport(&http);   // the client fails over to
                                                        // api2.mch.weixin.qq.com
   examples/lwip_pos.c is a whole terminal; README "Porting to your terminal"
   says what each buffer costs and where the CA bundle goes.

   HOW THE SEAM IS MET
       open    resolve (numeric: lwip_inet_pton; a name: netconn_gethostbyname),
               lwip_socket, TCP_NODELAY (TLS writes small records), non-blocking,
               lwip_connect, then wait for it within timeout_ms (SO_ERROR says
               how it ended)
       read    lwip_recv; when nothing is there, wait (lwip_poll / lwip_select)
               at most timeout_ms; 0 for the peer's FIN
       write   lwip_send; when the send buffer is full, wait likewise
       close   lwip_close
       now_ms  sys_now(), widened to 64 bits across its 49-day wrap
   One wxp_lwip is one connection at a time: one per wxp_sock, one wxp_sock
   per task that pays.

   BUILD OPTIONS
       WXP_LWIP_API   linkage (default WXP_SOCK_API)
*/
#ifndef WECHATPAY_LWIP_H
#define WECHATPAY_LWIP_H

#ifndef WXP_SOCK_NO_POSIX
#define WXP_SOCK_NO_POSIX
#endif
#include "wechatpay_socket.h"

#ifndef WXP_LWIP_API
#define WXP_LWIP_API WXP_SOCK_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* One lwIP connection; caller-owned. */
typedef struct wxp_lwip {
    int           fd;           /* the lwIP socket, -1: none */
    unsigned long now_high;     /* sys_now()'s wraps, and its last value */
    unsigned long now_last;
} wxp_lwip;

/* [out] l: no connection yet. */
WXP_LWIP_API void wxp_lwip_init(wxp_lwip *l);
/* The wxp_sock_io over lwIP's sockets API; its user is l (must outlive it). */
WXP_LWIP_API wxp_sock_io wxp_lwip_io(wxp_lwip *l);

#ifdef __cplusplus
}
#endif
#endif /* WECHATPAY_LWIP_H */

/* ==== >>impl:lwip ========================================================= */
#if defined(WECHATPAY_LWIP_IMPLEMENTATION) && !defined(WECHATPAY_LWIP_IMPLEMENTATION_INCLUDED)
#define WECHATPAY_LWIP_IMPLEMENTATION_INCLUDED

#ifndef WECHATPAY_SOCKET_IMPLEMENTATION
#define WECHATPAY_SOCKET_IMPLEMENTATION
#include "wechatpay_socket.h"
#endif

#include "lwip/opt.h"
#include "lwip/sockets.h"
#include "lwip/sys.h"
#include "lwip/errno.h"
#include "lwip/def.h"
#if LWIP_DNS
#include "lwip/api.h"
#endif
#include <string.h>

#if !LWIP_SOCKET || !LWIP_TCP
#error "wechatpay_lwip.h needs lwIP's sockets API and TCP (LWIP_SOCKET 1, LWIP_TCP 1 in lwipopts.h)"
#endif

#ifdef __cplusplus
extern "C" {
#endif

WXP_LWIP_API void wxp_lwip_init(wxp_lwip *l)
{
    l->fd = -1;
    l->now_high = 0;
    l->now_last = 0;
}

WXP__SOCK_PRIVATE unsigned long long wxp__lwip_now(void *user)
{
    wxp_lwip *l = (wxp_lwip *)user;
    unsigned long now = (unsigned long)sys_now() & 0xFFFFFFFFul;
    if (now < l->now_last) l->now_high++;           /* sys_now() wrapped (u32_t ms) */
    l->now_last = now;
    return ((unsigned long long)l->now_high << 32) | now;
}

/* Waits until fd is readable (want_write 0) or writable: 1 ready, 0 timed out, -1 error. */
WXP__SOCK_PRIVATE int wxp__lwip_wait(int fd, int want_write, unsigned ms)
{
    int r;
#if LWIP_SOCKET_POLL
    struct pollfd pf;
    pf.fd = fd;
    pf.events = (short)(want_write ? POLLOUT : POLLIN);
    pf.revents = 0;
    r = lwip_poll(&pf, 1, ms > 0x7FFFFFFFu ? 0x7FFFFFFF : (int)ms);
#elif LWIP_SOCKET_SELECT
    fd_set set;
    struct timeval tv;
    FD_ZERO(&set);
    FD_SET(fd, &set);
    tv.tv_sec = (long)(ms / 1000);
    tv.tv_usec = (long)(ms % 1000) * 1000;
    r = lwip_select(fd + 1, want_write ? NULL : &set, want_write ? &set : NULL, NULL, &tv);
#else
#error "wechatpay_lwip.h needs LWIP_SOCKET_POLL or LWIP_SOCKET_SELECT to bound its waits"
#endif
    return r > 0 ? 1 : r == 0 ? 0 : -1;
}

WXP__SOCK_PRIVATE void wxp__lwip_reason(char *errbuf, size_t cap, const char *host, unsigned port, const char *why)
{
    if (!errbuf || !cap) return;
    errbuf[0] = 0;
    wxp__sock_cat(errbuf, cap, host);
    wxp__sock_cat(errbuf, cap, " port ");
    wxp__sock_cat_u(errbuf, cap, port);
    wxp__sock_cat(errbuf, cap, ": ");
    wxp__sock_cat(errbuf, cap, why);
}

WXP__SOCK_PRIVATE int wxp__lwip_open(void *user, const char *host, unsigned port, unsigned timeout_ms,
                                     char *errbuf, size_t errbuf_size)
{
    wxp_lwip *l = (wxp_lwip *)user;
    struct sockaddr_storage ss;
    struct sockaddr_in *a4 = (struct sockaddr_in *)(void *)&ss;
#if LWIP_IPV6
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)(void *)&ss;
#endif
    socklen_t salen = 0;
    int fd, one = 1, err = 0, w;
    socklen_t elen = sizeof err;
    if (l->fd >= 0) {
        lwip_close(l->fd);
        l->fd = -1;
    }
    memset(&ss, 0, sizeof ss);
    /* A numeric address needs no resolver. */
    if (lwip_inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = (u16_t)PP_HTONS(port);
        salen = sizeof *a4;
    }
#if LWIP_IPV6
    else if (lwip_inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = (u16_t)PP_HTONS(port);
        salen = sizeof *a6;
    }
#endif
    else {
#if LWIP_DNS
        ip_addr_t ip;
        if (netconn_gethostbyname(host, &ip) != ERR_OK) {
            wxp__lwip_reason(errbuf, errbuf_size, host, port, "cannot resolve the name (lwIP DNS)");
            return -1;
        }
#if LWIP_IPV6
        if (IP_IS_V6(&ip)) {
            inet6_addr_from_ip6addr(&a6->sin6_addr, ip_2_ip6(&ip));
            a6->sin6_family = AF_INET6;
            a6->sin6_port = (u16_t)PP_HTONS(port);
            salen = sizeof *a6;
        } else
#endif
        {
            inet_addr_from_ip4addr(&a4->sin_addr, ip_2_ip4(&ip));
            a4->sin_family = AF_INET;
            a4->sin_port = (u16_t)PP_HTONS(port);
            salen = sizeof *a4;
        }
#else
        wxp__lwip_reason(errbuf, errbuf_size, host, port,
                         "not a numeric address, and this lwIP has no DNS (LWIP_DNS 0): set config.connect_to");
        return -1;
#endif
    }
    fd = lwip_socket(((struct sockaddr *)(void *)&ss)->sa_family, SOCK_STREAM, IPPROTO_TCP);
    if (fd < 0) {
        wxp__lwip_reason(errbuf, errbuf_size, host, port, "no lwIP socket free (MEMP_NUM_NETCONN)");
        return -1;
    }
    (void)lwip_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (lwip_fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
        lwip_close(fd);
        wxp__lwip_reason(errbuf, errbuf_size, host, port, "cannot make the lwIP socket non-blocking");
        return -1;
    }
    if (lwip_connect(fd, (struct sockaddr *)(void *)&ss, salen) != 0) {
        if (errno != EINPROGRESS) {
            lwip_close(fd);
            wxp__lwip_reason(errbuf, errbuf_size, host, port, "connect failed");
            return -1;
        }
        w = wxp__lwip_wait(fd, 1, timeout_ms);
        if (w <= 0 || lwip_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 || err != 0) {
            lwip_close(fd);
            wxp__lwip_reason(errbuf, errbuf_size, host, port,
                             w == 0 ? "connect timed out" : "the connection was refused or reset");
            return -1;
        }
    }
    l->fd = fd;
    return 0;
}

WXP__SOCK_PRIVATE long wxp__lwip_read(void *user, unsigned char *buf, size_t len, unsigned timeout_ms)
{
    wxp_lwip *l = (wxp_lwip *)user;
    int waited = 0;
    for (;;) {
        ssize_t n = lwip_recv(l->fd, buf, len, 0);
        int w;
        if (n > 0) return (long)n;
        if (n == 0) return 0;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return WXP_SOCK_IO_ERROR;
        if (waited) return WXP_SOCK_IO_TIMEOUT;     /* ready, yet nothing: do not spin */
        w = wxp__lwip_wait(l->fd, 0, timeout_ms);
        if (w == 0) return WXP_SOCK_IO_TIMEOUT;
        if (w < 0) return WXP_SOCK_IO_ERROR;
        waited = 1;
    }
}

WXP__SOCK_PRIVATE long wxp__lwip_write(void *user, const unsigned char *buf, size_t len, unsigned timeout_ms)
{
    wxp_lwip *l = (wxp_lwip *)user;
    int waited = 0;
    for (;;) {
        ssize_t n = lwip_send(l->fd, buf, len, 0);
        int w;
        if (n > 0) return (long)n;
        if (n < 0 && errno == EINTR) continue;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return WXP_SOCK_IO_ERROR;
        if (waited) return WXP_SOCK_IO_TIMEOUT;
        w = wxp__lwip_wait(l->fd, 1, timeout_ms);
        if (w == 0) return WXP_SOCK_IO_TIMEOUT;
        if (w < 0) return WXP_SOCK_IO_ERROR;
        waited = 1;
    }
}

WXP__SOCK_PRIVATE void wxp__lwip_close(void *user)
{
    wxp_lwip *l = (wxp_lwip *)user;
    if (l->fd >= 0) lwip_close(l->fd);
    l->fd = -1;
}

WXP_LWIP_API wxp_sock_io wxp_lwip_io(wxp_lwip *l)
{
    wxp_sock_io io;
    io.open = wxp__lwip_open;
    io.read = wxp__lwip_read;
    io.write = wxp__lwip_write;
    io.close = wxp__lwip_close;
    io.now_ms = wxp__lwip_now;
    io.user = l;
    return io;
}

#ifdef __cplusplus
}
#endif
#endif /* WECHATPAY_LWIP_IMPLEMENTATION */
