/* wechatpay_curl.h - libcurl transport for wechatpay.h - MIT (see wechatpay.h)

   A wxp_transport over one libcurl easy handle: HTTPS with certificate and
   host name checks always on, keep-alive across calls, the APIv2 client
   certificate from memory (mutual TLS), and curl's own words in
   result.message when a call fails.

   Do this:
       #define WECHATPAY_CURL_IMPLEMENTATION
   before you include this file in *one* C or C++ file (it may be the file that
   defines WECHATPAY_IMPLEMENTATION). It does `#include "wechatpay.h"` and
   <curl/curl.h>: put the directory holding wechatpay.h on the include path and
   link with libcurl (`pkg-config --cflags --libs libcurl`; on Debian/Ubuntu the
   package is libcurl4-openssl-dev). It uses only wechatpay.h's public API.

   QUICK START
       static wxp_curl http;                     // must not move while in use
       curl_global_init(CURL_GLOBAL_DEFAULT);    // once, before any thread starts
       if (wxp_curl_init(&http, NULL) != WXP_OK) abort();  // NULL: make a handle
       http.ca_file = "/etc/ssl/certs/ca-certificates.crt"; // optional
       cfg.transport = wxp_curl_as_transport(&http);
       ... wxp_client_init(&c, &cfg, &r); wxp_v3_request(&c, ...) ...
       wxp_curl_cleanup(&http);                  // frees the handle it made
       curl_global_cleanup();
   To keep your own handle (a proxy, an interface, a shared DNS cache), make it
   with curl_easy_init(), set those options, and pass it to wxp_curl_init: the
   options listed under WHAT EACH CALL SETS are overwritten on every call, the
   others stay. A handle serves one call at a time: one wxp_curl per thread.

   API
       wxp_curl_init  wxp_curl_cleanup  wxp_curl_as_transport
       wxp_curl_transport (user = the wxp_curl *)

   THE CONTRACT (wechatpay.h, TRANSPORT CONTRACT), AND HOW IT IS MET
       - req->method goes to https://req->host + req->path (host may end in
         ":port"), or to scheme_host_override + req->path; a path that does
         not start with "/" fails before anything is sent (it would become
         part of the host: "@other.host/...");
       - every header of req->headers is sent as given, plus "Expect:" (empty:
         no 100-continue, so only one answer's headers ever reach the sink)
         and, when a body is sent without a Content-Type, an empty
         "Content-Type:" (curl's form-urlencoded default is not sent);
       - req->body is sent with CURLOPT_POSTFIELDS/POSTFIELDSIZE for POST, PUT,
         PATCH, and for any method when not empty; GET and DELETE without a
         body carry none;
       - the final status goes to wxp_http_response_status() as soon as its
         status line arrives (the header callback), before any byte of the
         body, so the sink can stream a 200 (wxp_bill_download); a 1xx is
         never reported (the status line after it is the answer's), and a
         transfer that fails after the status line keeps it;
       - every header line of the final answer goes to wxp_http_response_header()
         (status lines, blank lines and the headers of an interim 1xx answer
         are skipped);
       - the body goes to wxp_http_response_write(). When the I/O buffer is full
         the rest is still read to its end and dropped (curl is told it was
         taken), so the call fails with WXP_E_NOSPACE and result.needed is the
         body's real size; the transfer stays bounded by timeout_ms;
       - req->client_cert (APIv2 mutual TLS) is presented from memory with
         CURLOPT_SSLCERT_BLOB/SSLKEY_BLOB, type "PEM" (libcurl >= 7.71 built on
         OpenSSL or a fork: BoringSSL, LibreSSL, quictls, AWS-LC). Any other
         libcurl, or plain http, fails the request before anything is sent,
         with the reason in result.message;
       - CURLOPT_TIMEOUT_MS is req->timeout_ms (0: 10000), the connect timeout
         connect_timeout_ms or else min(req->timeout_ms, 5000);
       - a request is sent once, a GET at most twice: when a kept connection
         dies before the first byte of the answer, libcurl sends the request
         again on a new connection by itself, whatever the method (the
         server may have processed the first). CURLOPT_PREREQFUNCTION (libcurl
         >= 7.80), called just before each send, counts them: the second
         send of a non-GET (the third of a GET) is aborted, and the call fails
         as WXP_TRANSPORT_ERROR, "not sent again (it may have been processed)".
         A kept connection that has something to read before a non-GET (the
         server closed it a while ago) is left for a new one; one the server
         closes at the moment the request goes out still fails as above (a
         query settles it: the socket transport, which polls its connection
         before each request, meets this less often);
         Built against an older libcurl (or with WXP_CURL_PREREQ 0) there is
         no such hook: every non-GET goes on a new connection that is closed
         after it (FRESH_CONNECT, FORBID_REUSE), so libcurl has no kept
         connection to resend it after, and only GETs ride kept connections;
       - a failed transfer puts "curl: (N) <curl's message>" in errbuf
         (CURLOPT_ERRORBUFFER, cut to errbuf_size), and the client reports it in
         result.message with WXP_E_TIMEOUT for CURLE_OPERATION_TIMEDOUT (28),
         WXP_E_TLS for a refused handshake (CURLE_PEER_FAILED_VERIFICATION 60,
         CURLE_SSL_CONNECT_ERROR 35, CURLE_SSL_CERTPROBLEM 58,
         CURLE_SSL_CACERT_BADFILE 77) only when no byte of the request had
         left (no send counted, and CURLINFO_REQUEST_SIZE 0), and
         WXP_E_TRANSPORT for any other, those codes included when they come
         from libcurl's reconnect after the request went out.

   WHAT EACH CALL SETS (on the handle, then detaches the call's pointers)
       URL, PROTOCOLS_STR ("https", or "http" in test mode), FOLLOWLOCATION 0,
       SSL_VERIFYPEER 1, SSL_VERIFYHOST 2, CAINFO (when ca_file is set),
       RESOLVE (when resolve is set; its entry stays in the handle's DNS cache), the
       client certificate blobs (cleared when the request has none), UPLOAD 0,
       HTTPGET/POSTFIELDS/POSTFIELDSIZE_LARGE/CUSTOMREQUEST, HTTPHEADER,
       TIMEOUT_MS, CONNECTTIMEOUT_MS, NOSIGNAL 1, SUPPRESS_CONNECT_HEADERS 1,
       HEADERFUNCTION/HEADERDATA, WRITEFUNCTION/WRITEDATA, ERRORBUFFER,
       PREREQFUNCTION/PREREQDATA (without them: FRESH_CONNECT and FORBID_REUSE,
       1 for a non-GET, 0 for a GET).
       After the transfer HTTPHEADER, RESOLVE, POSTFIELDS, ERRORBUFFER, the callbacks
       and their data are reset, so the handle holds no pointer into the call, and
       the client certificate blobs are cleared (no copy of the key stays behind).
       Everything else is the handle's: a proxy (CURLOPT_PROXY, or libcurl's
       https_proxy/no_proxy environment variables), CURLOPT_VERBOSE, DNS
       settings, CURLOPT_SSLVERSION, the HTTP version (HTTP/2 when the server
       offers it; header names then arrive in lowercase, which the library
       matches case-blind).

   TLS
       Certificate and host name verification are always on. ca_file names a
       PEM bundle (CURLOPT_CAINFO); NULL leaves the handle's own setting, which
       is libcurl's built-in default, the system store (Debian:
       /etc/ssl/certs/ca-certificates.crt). WeChat Pay's servers use a public
       CA, so the default works.

   MUTUAL TLS (APIv2 /secapi/ calls: refunds, reversals...)
       The merchant platform gives apiclient_cert.p12 (the password is the
       mchid). Convert it once and give the PEM text to config.client_cert:
           openssl pkcs12 -in apiclient_cert.p12 -out apiclient_cert.pem -clcerts -nokeys
           openssl pkcs12 -in apiclient_cert.p12 -out apiclient_key.pem -nocerts -nodes
       (add -legacy with OpenSSL 3 if it reports an unsupported algorithm).
       apiclient_key.pem is also the APIv3 signing key (config.private_key_pem).

   MEMORY
       This file's code never allocates: no malloc, no static or global state.
       libcurl does allocate internally (handles, connections, TLS state in
       OpenSSL, and the curl_slist of one call's headers, freed before the
       call returns), so the no-heap promise of wechatpay.h holds for the
       library, not for this transport; on a heap-free target use a
       transport over your own TCP/TLS stack.

   TEST-ONLY SWITCHES (never set them in production)
       test_plain_http  allows http:// to a loopback address only: the
                        authority (all of req->host, or all of
                        scheme_host_override after "http://") must be exactly
                        127.b.c.d (decimal 0-255, no leading zero), localhost
                        or [::1], then nothing or ":" and a port 1-65535 in
                        digits. Anything else (userinfo "x@host", another
                        spelling or case, "/", "?", "#", "%", an empty port)
                        fails before a byte is sent. A proxy or a RESOLVE entry
                        on the handle still applies: test code sets neither;
       test_insecure    turns off certificate and host name verification.

   BUILD OPTIONS (define before including; each has a default)
       WXP_CURL_URL_MAX     2048  longest URL (scheme, host and path)
       WXP_CURL_HEADER_MAX  2048  longest "Name: value" request header line
       WXP_CURL_PREREQ      1 with libcurl >= 7.80, else 0: count the sends
                            (PREREQFUNCTION) or keep non-GETs off kept
                            connections (see the contract above)
       WXP_CURL_API         linkage (default WXP_API; static under WECHATPAY_STATIC)
*/
#ifndef WECHATPAY_CURL_H
#define WECHATPAY_CURL_H

#include "wechatpay.h"
#include <curl/curl.h>

#ifndef WXP_CURL_API
#if defined(WECHATPAY_STATIC) && (defined(__GNUC__) || defined(__clang__))
#define WXP_CURL_API static __attribute__((unused))
#else
#define WXP_CURL_API WXP_API
#endif
#endif
#ifndef WXP_CURL_URL_MAX
#define WXP_CURL_URL_MAX 2048
#endif
#ifndef WXP_CURL_HEADER_MAX
#define WXP_CURL_HEADER_MAX 2048
#endif
/* 1: count the sends of a request with CURLOPT_PREREQFUNCTION (libcurl >= 7.80);
   0: the older libcurl's way, a fresh connection for every non-GET. */
#ifndef WXP_CURL_PREREQ
#if LIBCURL_VERSION_NUM >= 0x075000
#define WXP_CURL_PREREQ 1
#else
#define WXP_CURL_PREREQ 0
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Caller-owned; zeroed by wxp_curl_init, then set the public fields. */
typedef struct wxp_curl {
    CURL       *easy;                 /* the handle, reused by every call (keep-alive) */
    const char *ca_file;              /* PEM CA bundle; NULL: the handle's (system store) */
    const char *scheme_host_override; /* "https://gw.example:8443": sent there instead of
                                         https://req->host (no trailing slash); NULL: off */
    const char *resolve;              /* "host:port:address" (CURLOPT_RESOLVE): connect to
                                         address for host:port; TLS still checks host.
                                         NULL: off */
    unsigned    connect_timeout_ms;   /* 0 -> min(req->timeout_ms, 5000) */
    int         test_plain_http;      /* TEST ONLY: allow http:// to a loopback address */
    int         test_insecure;        /* TEST ONLY: no certificate or host name checks */
    struct { int owned; } wxp__priv;  /* the handle was made by wxp_curl_init */
} wxp_curl;

/* [out] t: zeroed and bound to easy. [in] easy: a handle from curl_easy_init()
   that stays the caller's, or NULL to make one (freed by wxp_curl_cleanup).
   WXP_E_TRANSPORT when curl_easy_init fails. */
WXP_CURL_API WXP_NODISCARD wxp_err wxp_curl_init(wxp_curl *t, CURL *easy);
/* [in,out] t: frees the handle if wxp_curl_init made it; t->easy becomes NULL. */
WXP_CURL_API void wxp_curl_cleanup(wxp_curl *t);
/* The transport for config.transport; user is t (must outlive the client). */
WXP_CURL_API wxp_transport wxp_curl_as_transport(wxp_curl *t);
/* The wxp_transport_fn itself. [in] user: a wxp_curl *. [in] req. [out] res:
   fed through wxp_http_response_*. [out] errbuf: the reason when nonzero is
   returned (NUL-terminated within errbuf_size). */
WXP_CURL_API int wxp_curl_transport(void *user, const wxp_http_request *req, wxp_http_response *res,
                                    char *errbuf, size_t errbuf_size);

#ifdef __cplusplus
}
#endif
#endif /* WECHATPAY_CURL_H */

/* ==== >>impl:curl ========================================================= */
#if defined(WECHATPAY_CURL_IMPLEMENTATION) && !defined(WECHATPAY_CURL_IMPLEMENTATION_INCLUDED)
#define WECHATPAY_CURL_IMPLEMENTATION_INCLUDED

#include <stdio.h>
#include <string.h>
#if defined(__unix__) || defined(__APPLE__)
#include <poll.h>
#endif

#if defined(__GNUC__) || defined(__clang__)
#define WXP__CURL_PRIVATE static __attribute__((unused))
#else
#define WXP__CURL_PRIVATE static
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* What one transfer's callbacks share. */
typedef struct wxp__curl_call {
    wxp_http_response *res;
    int                interim;     /* inside the headers of a 1xx answer */
    int                status;      /* the final status given to the sink; 0: none yet */
    int                sends;       /* times libcurl was about to send the request */
    int                max_sends;   /* 2 for a GET (one resend on a new connection), else 1 */
    int                stopped;     /* a resend was refused (CURL_PREREQFUNC_ABORT) */
} wxp__curl_call;

WXP__CURL_PRIVATE int wxp__curl_fail(char *errbuf, size_t cap, const char *a, const char *b)
{
    if (errbuf && cap) snprintf(errbuf, cap, "%s%s", a, b ? b : "");
    return WXP_TRANSPORT_ERROR;
}

/* The kind of a failed transfer (see the transport contract in wechatpay.h).
   sent: a byte of the request may have left. A TLS failure is a refused
   handshake ("nothing was sent") only before that: libcurl reconnects by
   itself when a kept connection dies, so the handshake that failed may be a
   second one, after the request went out on the first. */
WXP__CURL_PRIVATE int wxp__curl_kind(CURLcode rc, int sent)
{
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        return WXP_TRANSPORT_TIMEOUT;
    case CURLE_PEER_FAILED_VERIFICATION:    /* untrusted or misnamed server certificate */
    case CURLE_SSL_CONNECT_ERROR:           /* the handshake failed (client certificate refused) */
    case CURLE_SSL_CERTPROBLEM:             /* the client certificate is unusable */
    case CURLE_SSL_CACERT_BADFILE:          /* the CA bundle is unreadable */
        return sent ? WXP_TRANSPORT_ERROR : WXP_TRANSPORT_TLS;
    case CURLE_COULDNT_RESOLVE_HOST:        /* no connection: nothing of this request left */
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        return sent ? WXP_TRANSPORT_ERROR : WXP_TRANSPORT_NO_CONNECTION;
    default:
        return WXP_TRANSPORT_ERROR;
    }
}

#if WXP_CURL_PREREQ
/* Called by libcurl right before it sends the request, on a new or a kept
   connection. When a kept connection dies before the first byte of the answer
   libcurl sends the request again on a new one, whatever the method: only a
   GET may go twice (the contract), anything else is stopped here. */
WXP__CURL_PRIVATE int wxp__curl_on_prereq(void *user, char *primary_ip, char *local_ip, int primary_port,
                                          int local_port)
{
    wxp__curl_call *call = (wxp__curl_call *)user;
    (void)primary_ip;
    (void)local_ip;
    (void)primary_port;
    (void)local_port;
    if (call->sends >= call->max_sends) {
        call->stopped = 1;
        return CURL_PREREQFUNC_ABORT;
    }
    call->sends++;
    return CURL_PREREQFUNC_OK;
}
#endif

/* "HTTP/x[.y] NNN ...": NNN, or 0 when the line is not a status line. */
WXP__CURL_PRIVATE int wxp__curl_status(const char *p, size_t len)
{
    size_t i;
    for (i = 5; i < len && p[i] != ' '; i++) {}
    while (i < len && p[i] == ' ') i++;
    if (len - i < 3 || p[i] < '1' || p[i] > '5' || p[i + 1] < '0' || p[i + 1] > '9' || p[i + 2] < '0' ||
        p[i + 2] > '9' || (len - i > 3 && p[i + 3] != ' ' && p[i + 3] != '\r' && p[i + 3] != '\n'))
        return 0;
    return (p[i] - '0') * 100 + (p[i + 1] - '0') * 10 + (p[i + 2] - '0');
}

WXP__CURL_PRIVATE size_t wxp__curl_on_header(char *p, size_t size, size_t n, void *user)
{
    wxp__curl_call *call = (wxp__curl_call *)user;
    size_t len = size * n, i;
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {   /* a status line starts an answer */
        int st = wxp__curl_status(p, len);
        call->interim = st >= 100 && st < 200;
        /* The final status goes to the sink now, before its body: the sink
           streams a 200 (a bill) only once it knows the status. */
        if (st >= 200) {
            call->status = st;
            wxp_http_response_status(call->res, st);
        }
        return len;
    }
    if (call->interim || len == 0 || p[0] == ' ' || p[0] == '\t') return len; /* 1xx, folded */
    for (i = 0; i < len && p[i] != ':'; i++) {}
    if (i == 0 || i == len) return len;              /* the blank line, or no colon */
    wxp_http_response_header(call->res, p, i, p + i + 1, len - i - 1);
    return len;
}

WXP__CURL_PRIVATE size_t wxp__curl_on_body(char *p, size_t size, size_t n, void *user)
{
    wxp__curl_call *call = (wxp__curl_call *)user;
    size_t len = size * n;
    /* A short take means the I/O buffer is full: the sink counts every byte
       (result.needed) and the client fails with WXP_E_NOSPACE. Telling curl
       all was taken reads the body to its end, so that count is the real size. */
    (void)wxp_http_response_write(call->res, p, len);
    return len;
}

/* a[0..n) is exactly a loopback host: 127.b.c.d (four decimal numbers 0-255,
   no leading zero), localhost or [::1], then nothing or ":" and a port of
   1-5 digits (1-65535). Nothing else: no userinfo, no other spelling, because
   curl, not this check, decides where the URL goes. */
WXP__CURL_PRIVATE int wxp__curl_loopback(const char *a, size_t n)
{
    size_t h, i = 0;
    unsigned long port = 0;
    int octet;
    if (n >= 5 && memcmp(a, "[::1]", 5) == 0) h = 5;
    else if (n >= 9 && memcmp(a, "localhost", 9) == 0) h = 9;
    else {
        for (octet = 0; octet < 4; octet++) {
            size_t s;
            unsigned v = 0;
            if (octet && (i >= n || a[i++] != '.')) return 0;
            for (s = i; i < n && i - s < 3 && a[i] >= '0' && a[i] <= '9'; i++) v = v * 10 + (unsigned)(a[i] - '0');
            if (i == s || v > 255 || (i - s > 1 && a[s] == '0') || (octet == 0 && v != 127)) return 0;
        }
        h = i;
    }
    if (h == n) return 1;
    if (a[h] != ':' || n - h < 2 || n - h > 6) return 0;
    for (i = h + 1; i < n; i++) {
        if (a[i] < '0' || a[i] > '9') return 0;
        port = port * 10 + (unsigned long)(a[i] - '0');
    }
    return port >= 1 && port <= 65535;
}

/* NULL when this libcurl presents a PEM client certificate from memory, else why not. */
WXP__CURL_PRIVATE const char *wxp__curl_no_blobs(void)
{
#if LIBCURL_VERSION_NUM < 0x074700
    return "wechatpay_curl.h was built against libcurl < 7.71, which cannot take the client "
           "certificate from memory (CURLOPT_SSLCERT_BLOB)";
#else
    static const char *const ok[] = { "OpenSSL", "BoringSSL", "LibreSSL", "quictls", "AWS-LC" };
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    const char *s = v ? v->ssl_version : NULL;
    size_t i;
    if (!v || v->version_num < 0x074700)
        return "this libcurl is older than 7.71 and cannot take the client certificate from memory";
    /* A multi-backend build lists the inactive ones in parentheses. */
    while (s && *s) {
        while (*s == ' ') s++;
        if (*s != '(') break;
        while (*s && *s != ' ') s++;
    }
    for (i = 0; s && *s && i < sizeof ok / sizeof ok[0]; i++)
        if (strncmp(s, ok[i], strlen(ok[i])) == 0) return NULL;
    return "this libcurl's TLS backend cannot take a PEM client certificate and key from memory "
           "(CURLOPT_SSLKEY_BLOB needs OpenSSL: libcurl4-openssl-dev)";
#endif
}

WXP_CURL_API wxp_err wxp_curl_init(wxp_curl *t, CURL *easy)
{
    if (!t) return WXP_E_ARG;
    memset(t, 0, sizeof *t);
    if (!easy) {
        easy = curl_easy_init();
        if (!easy) return WXP_E_TRANSPORT;
        t->wxp__priv.owned = 1;
    }
    t->easy = easy;
    return WXP_OK;
}

WXP_CURL_API void wxp_curl_cleanup(wxp_curl *t)
{
    if (!t) return;
    if (t->wxp__priv.owned && t->easy) curl_easy_cleanup(t->easy);
    t->easy = NULL;
    t->wxp__priv.owned = 0;
}

WXP_CURL_API wxp_transport wxp_curl_as_transport(wxp_curl *t)
{
    wxp_transport tr;
    tr.fn = wxp_curl_transport;
    tr.user = t;
    return tr;
}

/* Sets an option unless an earlier one failed. */
#define WXP__CURL_SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(h, opt, val); } while (0)

/* Whether the handle's kept connection has something to read before a
   request was sent on it: the server closed it (or it is broken). */
WXP__CURL_PRIVATE int wxp__curl_kept_closed(CURL *h)
{
#if defined(__unix__) || defined(__APPLE__)
    curl_socket_t fd = CURL_SOCKET_BAD;
    struct pollfd p;
    if (curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK || fd == CURL_SOCKET_BAD) return 0;
    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    return poll(&p, 1, 0) > 0;
#else
    (void)h;
    return 0;
#endif
}

WXP_CURL_API int wxp_curl_transport(void *user, const wxp_http_request *req, wxp_http_response *res,
                                    char *errbuf, size_t errbuf_size)
{
    wxp_curl *t = (wxp_curl *)user;
    wxp__curl_call call;
    char url[WXP_CURL_URL_MAX], line[WXP_CURL_HEADER_MAX], cerr[CURL_ERROR_SIZE];
    struct curl_slist *hl = NULL, *nl, *rl = NULL;
    const char *base, *auth, *why;
    CURL *h;
    CURLcode rc = CURLE_OK;
    long status = 0, request_bytes = 0;
    size_t i, k, n, ulen;
    unsigned timeout, connect_ms;
    int plain, body, get, fresh = 0, ctype = 0, ret = WXP_TRANSPORT_ERROR;

    if (errbuf && errbuf_size) errbuf[0] = 0;
    if (!t || !t->easy || !req || !res || !req->method || !req->host)
        return wxp__curl_fail(errbuf, errbuf_size, "wxp_curl: not initialised, or no method or host", NULL);
    /* The path follows the authority: one that does not start with / would
       become part of it ("@host/..." is userinfo). */
    if (req->path.len == 0 || req->path.ptr[0] != '/')
        return wxp__curl_fail(errbuf, errbuf_size, "wxp_curl: the path must start with /", NULL);
    h = t->easy;
    get = strcmp(req->method, "GET") == 0;

    /* The URL: scheme://authority + path; plain http only to loopback, in test mode. */
    base = t->scheme_host_override;
    if (base) n = (size_t)snprintf(url, sizeof url, "%s", base);
    else n = (size_t)snprintf(url, sizeof url, "%s://%s", t->test_plain_http ? "http" : "https", req->host);
    if (n + req->path.len >= sizeof url)
        return wxp__curl_fail(errbuf, errbuf_size, "wxp_curl: the URL is longer than WXP_CURL_URL_MAX", NULL);
    memcpy(url + n, req->path.ptr, req->path.len);
    ulen = n + req->path.len;
    url[ulen] = 0;
    plain = strncmp(url, "http://", 7) == 0;
    if (!plain && strncmp(url, "https://", 8) != 0)
        return wxp__curl_fail(errbuf, errbuf_size, "wxp_curl: the URL must start with https://", NULL);
    if (plain) {
        /* The authority is all of req->host, or all of the override after
           http://; the path starts with /, so curl sees that same authority. */
        auth = base ? base + 7 : req->host;
        if (!t->test_plain_http || !wxp__curl_loopback(auth, strlen(auth)))
            return wxp__curl_fail(errbuf, errbuf_size,
                                  "wxp_curl: plain http is refused (test_plain_http, loopback only): ", url);
    }
    if (req->client_cert) {
        if (plain)
            return wxp__curl_fail(errbuf, errbuf_size,
                                  "wxp_curl: a client certificate (mutual TLS) needs https", NULL);
        if ((why = wxp__curl_no_blobs()) != NULL) return wxp__curl_fail(errbuf, errbuf_size, "wxp_curl: ", why);
    }

    /* Headers: "Name: value", or "Name;" for an empty value (curl's syntax). */
    nl = curl_slist_append(hl, "Expect:");
    if (!nl) return wxp__curl_fail(errbuf, errbuf_size, "wxp_curl: out of memory (curl_slist_append)", NULL);
    hl = nl;
    for (i = 0; i < req->header_count; i++) {
        wxp_str nm = req->headers[i].name, v = req->headers[i].value;
        int bad = nm.len == 0;
        for (k = 0; k < nm.len && !bad; k++)
            bad = nm.ptr[k] == ':' || nm.ptr[k] == ';' || (unsigned char)nm.ptr[k] <= ' ' ||
                  nm.ptr[k] == 0x7f;
        for (k = 0; k < v.len && !bad; k++) bad = v.ptr[k] == '\r' || v.ptr[k] == '\n' || v.ptr[k] == 0;
        if (bad) {
            curl_slist_free_all(hl);
            return wxp__curl_fail(errbuf, errbuf_size, "wxp_curl: a request header has a bad name or value", NULL);
        }
        if (nm.len + 2 + v.len >= sizeof line) {
            curl_slist_free_all(hl);
            return wxp__curl_fail(errbuf, errbuf_size,
                                  "wxp_curl: a request header is longer than WXP_CURL_HEADER_MAX", NULL);
        }
        if (nm.len == 12 && curl_strnequal(nm.ptr, "Content-Type", 12)) ctype = 1;
        memcpy(line, nm.ptr, nm.len);
        if (v.len) {
            line[nm.len] = ':';
            line[nm.len + 1] = ' ';
            memcpy(line + nm.len + 2, v.ptr, v.len);
            line[nm.len + 2 + v.len] = 0;
        } else {
            line[nm.len] = ';';
            line[nm.len + 1] = 0;
        }
        nl = curl_slist_append(hl, line);
        if (!nl) {
            curl_slist_free_all(hl);
            return wxp__curl_fail(errbuf, errbuf_size, "wxp_curl: out of memory (curl_slist_append)", NULL);
        }
        hl = nl;
    }
    body = req->body.len > 0 || strcmp(req->method, "POST") == 0 || strcmp(req->method, "PUT") == 0 ||
           strcmp(req->method, "PATCH") == 0;
    if (body && !ctype) {
        nl = curl_slist_append(hl, "Content-Type:");
        if (!nl) {
            curl_slist_free_all(hl);
            return wxp__curl_fail(errbuf, errbuf_size, "wxp_curl: out of memory (curl_slist_append)", NULL);
        }
        hl = nl;
    }

    timeout = req->timeout_ms ? req->timeout_ms : 10000;
    connect_ms = t->connect_timeout_ms ? t->connect_timeout_ms : (timeout < 5000 ? timeout : 5000);
    memset(&call, 0, sizeof call);
    call.res = res;
    call.max_sends = get ? 2 : 1;
    cerr[0] = 0;

    WXP__CURL_SET(CURLOPT_ERRORBUFFER, cerr);
    WXP__CURL_SET(CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
    WXP__CURL_SET(CURLOPT_PROTOCOLS_STR, plain ? "http" : "https");
#endif
    WXP__CURL_SET(CURLOPT_FOLLOWLOCATION, 0L);
    WXP__CURL_SET(CURLOPT_SSL_VERIFYPEER, t->test_insecure ? 0L : 1L);
    WXP__CURL_SET(CURLOPT_SSL_VERIFYHOST, t->test_insecure ? 0L : 2L);
    if (t->ca_file) WXP__CURL_SET(CURLOPT_CAINFO, t->ca_file);
    if (t->resolve) {
        if (!(rl = curl_slist_append(NULL, t->resolve))) {
            ret = wxp__curl_fail(errbuf, errbuf_size, "wxp_curl: out of memory (curl_slist_append)", NULL);
            goto detach; /* the error buffer set above must not outlive this call */
        }
        WXP__CURL_SET(CURLOPT_RESOLVE, rl);
    }
#if LIBCURL_VERSION_NUM >= 0x074700
    if (req->client_cert) {
        struct curl_blob cert, key;
        cert.data = (void *)req->client_cert->cert_pem.ptr;
        cert.len = req->client_cert->cert_pem.len;
        cert.flags = CURL_BLOB_COPY;
        key.data = (void *)req->client_cert->key_pem.ptr;
        key.len = req->client_cert->key_pem.len;
        key.flags = CURL_BLOB_COPY;
        WXP__CURL_SET(CURLOPT_SSLCERT_BLOB, &cert);
        WXP__CURL_SET(CURLOPT_SSLCERTTYPE, "PEM");
        WXP__CURL_SET(CURLOPT_SSLKEY_BLOB, &key);
        WXP__CURL_SET(CURLOPT_SSLKEYTYPE, "PEM");
        if (rc != CURLE_OK) {
            ret = wxp__curl_fail(errbuf, errbuf_size,
                                 "wxp_curl: this libcurl refused the client certificate blobs: ",
                                 curl_easy_strerror(rc));
            goto detach;
        }
    } else {
        WXP__CURL_SET(CURLOPT_SSLCERT_BLOB, (struct curl_blob *)NULL);
        WXP__CURL_SET(CURLOPT_SSLKEY_BLOB, (struct curl_blob *)NULL);
    }
#endif
    WXP__CURL_SET(CURLOPT_UPLOAD, 0L);
    if (body) {
        WXP__CURL_SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body.len);
        WXP__CURL_SET(CURLOPT_POSTFIELDS, req->body.len ? req->body.ptr : "");
        WXP__CURL_SET(CURLOPT_CUSTOMREQUEST, strcmp(req->method, "POST") == 0 ? NULL : req->method);
    } else {
        WXP__CURL_SET(CURLOPT_HTTPGET, 1L);
        WXP__CURL_SET(CURLOPT_CUSTOMREQUEST, strcmp(req->method, "GET") == 0 ? NULL : req->method);
    }
    WXP__CURL_SET(CURLOPT_HTTPHEADER, hl);
    WXP__CURL_SET(CURLOPT_TIMEOUT_MS, (long)timeout);
    WXP__CURL_SET(CURLOPT_CONNECTTIMEOUT_MS, (long)connect_ms);
    WXP__CURL_SET(CURLOPT_NOSIGNAL, 1L);
    WXP__CURL_SET(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    WXP__CURL_SET(CURLOPT_HEADERFUNCTION, wxp__curl_on_header);
    WXP__CURL_SET(CURLOPT_HEADERDATA, &call);
    WXP__CURL_SET(CURLOPT_WRITEFUNCTION, wxp__curl_on_body);
    WXP__CURL_SET(CURLOPT_WRITEDATA, &call);
#if WXP_CURL_PREREQ
    WXP__CURL_SET(CURLOPT_PREREQFUNCTION, wxp__curl_on_prereq);
    WXP__CURL_SET(CURLOPT_PREREQDATA, &call);
    /* A kept connection the server has closed (its close_notify or FIN waits
       to be read) takes the request and dies with it, and the resend it
       would need is refused above: a non-GET starts on a new one instead. */
    fresh = !get && wxp__curl_kept_closed(h);
    if (fresh) WXP__CURL_SET(CURLOPT_FRESH_CONNECT, 1L); /* for this call only (reset below) */
#else
    /* No way to stop libcurl's own resend: a non-GET never rides a kept
       connection, so there is none to resend it after (a new connection
       that dies is not retried), and its connection is not kept (a second
       idle one would let a GET be resent twice). */
    WXP__CURL_SET(CURLOPT_FRESH_CONNECT, get ? 0L : 1L);
    WXP__CURL_SET(CURLOPT_FORBID_REUSE, get ? 0L : 1L);
#endif
    if (rc != CURLE_OK) {
        ret = wxp__curl_fail(errbuf, errbuf_size, "wxp_curl: curl_easy_setopt: ", curl_easy_strerror(rc));
        goto detach;
    }

    rc = curl_easy_perform(h);
#if WXP_CURL_PREREQ
    if (fresh) (void)curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 0L);
#endif
    /* The status went to the sink with its status line; a final answer whose
       line the callback did not see (none known) still reports curl's. */
    if (rc == CURLE_OK && !call.status && curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK &&
        status >= 200) {
        call.status = (int)status;
        wxp_http_response_status(res, call.status);
    }
    if (rc != CURLE_OK && call.stopped) {
        ret = wxp__curl_fail(errbuf, errbuf_size, "wxp_curl: the connection closed before any answer, after the "
                             "request was sent; not sent again (it may have been processed)", NULL);
    } else if (rc != CURLE_OK) {
        /* Bytes of request headers sent (every attempt of this call): the
           older libcurl's sign that the request left. */
        if (curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &request_bytes) != CURLE_OK) request_bytes = 0;
        if (errbuf && errbuf_size)
            snprintf(errbuf, errbuf_size, "curl: (%d) %s", (int)rc, cerr[0] ? cerr : curl_easy_strerror(rc));
        ret = wxp__curl_kind(rc, call.sends > 0 || request_bytes > 0);
    } else if (!call.status) {
        ret = wxp__curl_fail(errbuf, errbuf_size, "wxp_curl: no HTTP status received", NULL);
    } else {
        ret = 0;
    }

detach:
    /* Leave no pointer into this call on the handle. */
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
    curl_easy_setopt(h, CURLOPT_RESOLVE, (struct curl_slist *)NULL);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, (char *)NULL);
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, (char *)NULL);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, (curl_write_callback)NULL);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, (void *)NULL);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, (curl_write_callback)NULL);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, (void *)stdout); /* curl's default */
#if WXP_CURL_PREREQ
    curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, (curl_prereq_callback)NULL);
    curl_easy_setopt(h, CURLOPT_PREREQDATA, (void *)NULL);
#endif
#if LIBCURL_VERSION_NUM >= 0x074700
    if (req->client_cert) {   /* curl copied the private key: drop it now, not next call */
        curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, (struct curl_blob *)NULL);
        curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, (struct curl_blob *)NULL);
    }
#endif
    curl_slist_free_all(hl);
    curl_slist_free_all(rl);
    return ret;
}

#undef WXP__CURL_SET

#ifdef __cplusplus
}
#endif
#endif /* WECHATPAY_CURL_IMPLEMENTATION */
