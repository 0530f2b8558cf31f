/* tests/fuzz/fuzz_response.c - libFuzzer target: the answer path, from the
   transport's status, headers and body through verification to the typed
   decoders.

   Input: one mode byte, then an HTTP-like answer that a transport replays
   into the library:
       STATUS\n            decimal; an empty line sets no status at all
       Name: value\n       any number of headers, until an empty line
       \n
       body...             the rest
   The client holds the test WeChat Pay public key
   (tests/vectors/keys/wechatpay_pub.pem, via examples/test_keys.h) and its
   clock stands where tests/vectors/v3_response_verify.json was signed, so
   those answers verify for real. Mode bits ('@' + bits keeps seeds readable):
     1   trusted: APIv3, a verifier that runs the real RSA check and then
         accepts anyway; APIv2, the transport re-signs the (parsed) answer
         with the test APIv2 key. Either way mutated bodies reach the decoders.
     2   a typed call: wxp_refund_query (APIv3) or wxp_v2_refundquery (APIv2);
         else the raw wxp_v3_request / wxp_v2_request
     4   the body goes to the library in 7-byte pieces
     8   the smallest I/O buffer (WXP_IO_BUFSIZE_MIN) instead of 16 KiB
     16  APIv2 instead of APIv3
     32  the transport fails after it has delivered everything, leaving a
         full, unterminated errbuf
     64  APIv3 typed: wxp_transaction_by_out_trade_no instead of the refund */
#define WECHATPAY_IMPLEMENTATION
#include "wechatpay.h"
#include "examples/test_keys.h"
#define FUZZ_NOW 1795425469LL /* within 300 s of every signed vector answer */

#include "fuzz.h"
#ifdef FUZZ_TRACE /* -DFUZZ_TRACE: say what each input led to */
#include <stdio.h>
#endif

enum { M_TRUSTED = 1, M_TYPED = 2, M_PIECES = 4, M_SMALL = 8, M_V2 = 16, M_FAIL = 32, M_TXN = 64 };

static struct {
    const uint8_t *p;
    size_t n;
    unsigned mode;
} in;

/* Request signing is not under test: a constant signature keeps it cheap. */
static wxp_err fake_sign(const wxp_signer_class **ctx, const unsigned char hash[32], unsigned char *sig,
                         size_t *sig_len)
{
    (void)ctx; (void)hash;
    if (*sig_len < 256) return WXP_E_NOSPACE;
    memset(sig, 0x5A, 256);
    *sig_len = 256;
    return WXP_OK;
}
static const wxp_signer_class fake_sign_class = { fake_sign, NULL };
static const wxp_signer_class *fake_signer = &fake_sign_class;

static size_t line_len(const uint8_t *p, size_t n, int *had_nl)
{
    const uint8_t *nl = (const uint8_t *)memchr(p, '\n', n);
    *had_nl = nl != NULL;
    return nl ? (size_t)(nl - p) : n;
}

static void write_body(wxp_http_response *res, const uint8_t *body, size_t n)
{
    size_t off = 0;
    if (!(in.mode & M_PIECES)) {
        (void)wxp_http_response_write(res, body, n);
        return;
    }
    while (off < n) {
        size_t k = n - off < 7 ? n - off : 7;
        (void)wxp_http_response_write(res, body + off, k);
        off += k;
    }
}

/* APIv2 trusted mode: the answer as parsed, signed again, written again. */
static int v2_resign(const uint8_t *body, size_t n, char *out, size_t cap, size_t *len)
{
    wxp_kv kv[64];
    size_t count = 0, i, k = 0;
    char sign[65];
    char *copy = (char *)malloc(n ? n : 1);
    wxp_result r;
    int ok = 0;
    CHECK(copy != NULL);
    if (n) memcpy(copy, body, n);
    if (wxp_xml_parse(copy, n, kv, 63, &count, &r) == WXP_OK) {
        for (i = 0; i < count; i++)
            if (!(kv[i].key.len == 4 && memcmp(kv[i].key.ptr, "sign", 4) == 0)) kv[k++] = kv[i];
        if (wxp_v2_sign(kv, k, wxp_cstr(WXP_TEST_APIV2_KEY), WXP_V2_HMAC_SHA256, sign, &r) == WXP_OK) {
            kv[k].key = wxp_cstr("sign");
            kv[k].value = wxp_cstr(sign);
            ok = wxp_xml_write(out, cap, kv, k + 1, len, &r) == WXP_OK;
        }
    }
    free(copy);
    return ok;
}

static int replay(void *user, const wxp_http_request *req, wxp_http_response *res, char *errbuf,
                  size_t errbuf_size)
{
    const uint8_t *p = in.p;
    size_t n = in.n, k, i;
    int nl;
    (void)user;
    CHECK(req->method && req->host && req->path.len && req->header_count >= 3);
    for (i = 0; i < req->header_count; i++) CHECK(req->headers[i].name.len && req->headers[i].value.ptr);
    /* Status line. */
    k = line_len(p, n, &nl);
    if (k > 0) {
        int status = 0;
        for (i = 0; i < k && i < 9; i++) status = status * 10 + (p[i] >= '0' && p[i] <= '9' ? p[i] - '0' : 0);
        wxp_http_response_status(res, status);
    }
    p += k + nl;
    n -= k + nl;
    /* Headers up to an empty line. */
    for (;;) {
        const uint8_t *colon;
        size_t nk, vk;
        k = line_len(p, n, &nl);
        if (k == 0) {
            p += nl;
            n -= (size_t)nl;
            break;
        }
        colon = (const uint8_t *)memchr(p, ':', k);
        nk = colon ? (size_t)(colon - p) : k;
        vk = colon ? k - nk - 1 : 0;
        wxp_http_response_header(res, (const char *)p, nk, colon ? (const char *)colon + 1 : "", vk);
        p += k + nl;
        n -= k + nl;
        if (!nl) break;
    }
    /* Body. */
    if ((in.mode & M_V2) && (in.mode & M_TRUSTED)) {
        size_t cap = n * 2 + 512, len = 0;
        char *signed_xml = (char *)malloc(cap);
        CHECK(signed_xml != NULL);
        if (v2_resign(p, n, signed_xml, cap, &len)) write_body(res, (const uint8_t *)signed_xml, len);
        else write_body(res, p, n);
        free(signed_xml);
    } else {
        write_body(res, p, n);
    }
    if (in.mode & M_FAIL) {
        memset(errbuf, 'x', errbuf_size);
        return 1;
    }
    return 0;
}

static void v3_call(wxp_client *c)
{
    wxp_result r;
    wxp_err e;
    if (in.mode & M_TYPED) {
        if (in.mode & M_TXN) {
            wxp_transaction t;
            memset(&t, 0x77, sizeof t);
            e = wxp_transaction_by_out_trade_no(c, "1217752501201407033233368018", &t, &r);
            if (e == WXP_OK) CHECK(t.out_trade_no.ptr != NULL);
        } else {
            refund_room room;
            wxp_refund out;
            refund_out(&out, &room);
            e = wxp_refund_query(c, "1217752501201407033233368018", NULL, &out, &r);
            if (e == WXP_OK) CHECK(out.refund_id.len && out.amount.from_count <= 3);
        }
    } else {
        e = wxp_v3_request(c, "GET", "/v3/refund/domestic/refunds/1217752501201407033233368018",
                           wxp_cstr(NULL), &r);
    }
#ifdef FUZZ_TRACE
    fprintf(stderr, "v3: %s status=%d [%s] %s %s\n", wxp_strerror(e), r.status, r.field, r.code, r.message);
#endif
    CHECK(e < WXP_ERR_COUNT && strlen(r.message) < sizeof r.message && strlen(r.code) < sizeof r.code);
    if (e == WXP_OK) CHECK(r.status >= 200 && r.status < 300);
    /* A failed transport, or one that set no (valid) status. */
    if (e == WXP_E_TRANSPORT) CHECK((in.mode & M_FAIL) || strcmp(r.field, "status") == 0);
}

static void v2_call(wxp_client *c)
{
    wxp_result r;
    wxp_err e;
    if (in.mode & M_TYPED) {
        wxp_v2_refundquery_req q;
        wxp_v2_refundquery_result out;
        wxp_v2_refund_item items[3];
        wxp_v2_coupon coupons[3][2];
        size_t i;
        memset(&q, 0, sizeof q);
        q.appid = "wx2421b1c4370ec43b";
        q.out_refund_no = "1415701182";
        memset(&out, 0, sizeof out);
        memset(items, 0, sizeof items);
        out.refunds = items;
        out.refunds_cap = 3;
        for (i = 0; i < 3; i++) {
            items[i].coupon = coupons[i];
            items[i].coupon_cap = 2;
        }
        e = wxp_v2_refundquery(c, &q, &out, &r);
        if (e == WXP_OK) CHECK(out.refunds_count <= 3);
    } else {
        wxp_kv params[2], answer[32];
        size_t count = 0;
        params[0].key = wxp_cstr("appid");
        params[0].value = wxp_cstr("wx2421b1c4370ec43b");
        params[1].key = wxp_cstr("out_refund_no");
        params[1].value = wxp_cstr("1415701182");
        e = wxp_v2_request(c, "/pay/refundquery", params, 2, 0, answer, 32, &count, &r);
        if (e == WXP_OK) CHECK(count <= 32);
    }
#ifdef FUZZ_TRACE
    fprintf(stderr, "v2: %s status=%d [%s] %s %s\n", wxp_strerror(e), r.status, r.field, r.code, r.message);
#endif
    CHECK(e < WXP_ERR_COUNT && strlen(r.message) < sizeof r.message);
    if (e == WXP_E_TRANSPORT) CHECK(in.mode & M_FAIL);
    if (e == WXP_OK) CHECK(r.status == 200);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wxp_keystore *keys = wechatpay_keys();
    wxp_config cfg;
    wxp_client c;
    wxp_result r;
    unsigned char *io;

    if (size < 1 || size > 65536) return 0;
    in.mode = (unsigned)(unsigned char)(data[0] - '@');
    in.p = data + 1;
    in.n = size - 1;

    memset(&cfg, 0, sizeof cfg);
    cfg.mchid = WXP_TEST_MCHID;
    cfg.serial = WXP_TEST_SERIAL;
    cfg.signer = &fake_signer;
    if (in.mode & M_TRUSTED) cfg.verifier = &trusting;
    cfg.keys = keys;
    cfg.apiv3_key = wxp_cstr(WXP_TEST_APIV3_KEY);
    cfg.apiv2_key = wxp_cstr(WXP_TEST_APIV2_KEY);
    cfg.transport.fn = replay;
    cfg.clock.fn = fixed_clock;
    cfg.random.fn = fixed_random;
    /* A heap block of exactly io_buf_size: ASan sees a write past it. */
    cfg.io_buf_size = (in.mode & M_SMALL) ? WXP_IO_BUFSIZE_MIN : WXP_IO_BUFSIZE_DEFAULT;
    io = (unsigned char *)malloc(cfg.io_buf_size);
    CHECK(io != NULL);
    cfg.io_buf = io;
    CHECK(wxp_client_init(&c, &cfg, &r) == WXP_OK);
    if (in.mode & M_V2) v2_call(&c);
    else v3_call(&c);
    wxp_client_wipe(&c);
    free(io);
    return 0;
}
