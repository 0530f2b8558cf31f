/* tests/m4/replay.h - the library images' transport: it answers each request
   with the answer the simulator gave to the same request on the host
   (record.c wrote them into build/m4/recorded.h), after checking that the
   method and path are the ones recorded. The answers carry the simulator's
   real signatures, so the image verifies them as it would WeChat Pay's; no
   simulator code is linked, and the image's figures are the library's. */
#ifndef M4_REPLAY_H
#define M4_REPLAY_H
#include <string.h>

typedef struct m4_exchange {
    const char *method, *path;
    int status;
    const char *request_id, *timestamp, *nonce, *serial, *signature;
    const char *body;
    size_t body_len;
} m4_exchange;

typedef struct m4_replay { const m4_exchange *x; size_t n, next; } m4_replay;

static void m4_header(wxp_http_response *res, const char *name, const char *value)
{
    if (*value) wxp_http_response_header(res, name, strlen(name), value, strlen(value));
}

static int m4_replay_transport(void *user, const wxp_http_request *req, wxp_http_response *res, char *errbuf,
                               size_t errbuf_size)
{
    m4_replay *rp = (m4_replay *)user;
    const m4_exchange *x = rp->next < rp->n ? &rp->x[rp->next++] : NULL;
    const char *why = NULL;
    if (!x) why = "replay: more requests than were recorded";
    else if (strcmp(req->method, x->method) != 0 || req->path.len != strlen(x->path) ||
             memcmp(req->path.ptr, x->path, req->path.len) != 0)
        why = "replay: not the request that was recorded";
    if (why) {
        if (errbuf_size) {
            strncpy(errbuf, why, errbuf_size - 1);
            errbuf[errbuf_size - 1] = 0;
        }
        return WXP_TRANSPORT_ERROR;
    }
    wxp_http_response_status(res, x->status);
    m4_header(res, "Request-ID", x->request_id);
    m4_header(res, "Wechatpay-Timestamp", x->timestamp);
    m4_header(res, "Wechatpay-Nonce", x->nonce);
    m4_header(res, "Wechatpay-Serial", x->serial);
    m4_header(res, "Wechatpay-Signature", x->signature);
    wxp_http_response_write(res, x->body, x->body_len); /* short: the library fails WXP_E_NOSPACE */
    return 0;
}
#endif
