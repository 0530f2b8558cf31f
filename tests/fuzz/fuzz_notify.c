/* tests/fuzz/fuzz_notify.c - libFuzzer target: the APIv3 callback parser.

   Input: one mode byte, then four lines (Wechatpay-Timestamp, -Nonce,
   -Signature, -Serial), then the body. The client holds the test WeChat Pay
   public key (tests/vectors/keys/wechatpay_pub.pem, via examples/test_keys.h)
   and the test APIv3 key; its clock stands where the vectors' callbacks were
   signed. Mode bits ('@' + bits, so seeds stay readable):
     1  trusted: a verifier that runs the real RSA check and then accepts
        anyway, so mutated bodies reach the JSON and AES-GCM code (a fuzzer
        cannot forge a signature)
     2  the replay guard says "seen before"
     4  a plaintext buffer of 32 bytes instead of 8 KiB
     8  no APIv3 key in the config
   A callback that decrypts is then decoded with wxp_refund_notify_decode,
   and a copy of its plaintext with wxp_transaction_notify_decode. */
#define WECHATPAY_IMPLEMENTATION
#include "wechatpay.h"
#include "examples/test_keys.h"
#define FUZZ_NOW 1795425700LL /* between the vectors' two callbacks */

#include "fuzz.h"
#ifdef FUZZ_TRACE /* -DFUZZ_TRACE: say what each input led to */
#include <stdio.h>
#endif

static int seen_before(void *user, wxp_str nonce, long long ts)
{
    (void)user; (void)nonce; (void)ts;
    return 1;
}

/* The library never signs here; a signer is still required by init. */
static wxp_err no_sign(const wxp_signer_class **ctx, const unsigned char hash[32], unsigned char *sig,
                       size_t *sig_len)
{
    (void)ctx; (void)hash;
    memset(sig, 0, 256);
    *sig_len = 256;
    return WXP_OK;
}
static const wxp_signer_class no_sign_class = { no_sign, NULL };
static const wxp_signer_class *no_signer = &no_sign_class;

static int transport_unused(void *user, const wxp_http_request *req, wxp_http_response *res, char *errbuf,
                            size_t errbuf_size)
{
    (void)user; (void)req; (void)res; (void)errbuf; (void)errbuf_size;
    return 1;
}

/* The next line of the input as a view (without its '\n'). */
static wxp_str line(const uint8_t **p, size_t *n)
{
    wxp_str v;
    const uint8_t *nl = (const uint8_t *)memchr(*p, '\n', *n);
    size_t k = nl ? (size_t)(nl - *p) : *n;
    v.ptr = (const char *)*p;
    v.len = k;
    *p += k + (nl ? 1 : 0);
    *n -= k + (nl ? 1 : 0);
    return v;
}

static wxp_str heap_view(wxp_str v, char **keep)
{
    *keep = (char *)malloc(v.len ? v.len : 1);
    CHECK(*keep != NULL);
    if (v.len) memcpy(*keep, v.ptr, v.len);
    v.ptr = *keep;
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned char io[WXP_IO_BUFSIZE_MIN];
    wxp_keystore *keys = wechatpay_keys();
    wxp_config cfg;
    wxp_client c;
    wxp_result r;
    wxp_notify_headers h;
    wxp_notification n;
    unsigned char *plain;
    size_t plain_cap;
    char *body, *hk[4];
    unsigned mode;
    wxp_err e;

    if (size < 1 || size > 65536) return 0;
    mode = (unsigned)(unsigned char)(data[0] - '@');
    data++;
    size--;

    memset(&cfg, 0, sizeof cfg);
    cfg.mchid = WXP_TEST_MCHID;
    cfg.serial = WXP_TEST_SERIAL;
    cfg.signer = &no_signer;
    if (mode & 1) cfg.verifier = &trusting;
    cfg.keys = keys;
    if (!(mode & 8)) cfg.apiv3_key = wxp_cstr(WXP_TEST_APIV3_KEY);
    cfg.transport.fn = transport_unused;
    cfg.clock.fn = fixed_clock;
    cfg.random.fn = fixed_random;
    if (mode & 2) cfg.replay.fn = seen_before;
    cfg.io_buf = io;
    cfg.io_buf_size = sizeof io;
    CHECK(wxp_client_init(&c, &cfg, &r) == WXP_OK);

    h.timestamp = heap_view(line(&data, &size), &hk[0]);
    h.nonce = heap_view(line(&data, &size), &hk[1]);
    h.signature = heap_view(line(&data, &size), &hk[2]);
    h.serial = heap_view(line(&data, &size), &hk[3]);
    body = dup_exact(data, size);
    plain_cap = (mode & 4) ? 32 : 8192;
    plain = (unsigned char *)malloc(plain_cap);
    CHECK(plain != NULL);

    e = wxp_notify_parse(&c, &h, body, size, plain, plain_cap, &n, &r);
#ifdef FUZZ_TRACE
    fprintf(stderr, "notify: %s [%s] %s\n", wxp_strerror(e), r.field, r.message);
#endif
    if (e == WXP_OK) {
        wxp_refund_notify rn;
        wxp_transaction tx;
        wxp_promotion promo[2];
        wxp_promotion_goods goods[2];
        wxp_notification n2 = n;
        char *copy = dup_exact((const uint8_t *)n.plaintext.ptr, n.plaintext.len);
        CHECK(n.plaintext.ptr == (const char *)plain && n.plaintext.len <= plain_cap);
        CHECK(n.id.len && n.event_type.len && n.algorithm.len && n.nonce.len);
        (void)wxp_refund_notify_decode(&n, &rn, &r);
        /* The same plaintext as a payment callback, with small lists. */
        n2.plaintext.ptr = copy;
        memset(&tx, 0, sizeof tx);
        memset(promo, 0, sizeof promo);
        promo[0].goods_detail = goods;
        promo[0].goods_detail_cap = 2;
        tx.promotion_detail = promo;
        tx.promotion_detail_cap = 2;
        e = wxp_transaction_notify_decode(&c, &n2, &tx, &r);
        if (e == WXP_OK || e == WXP_E_PARTIAL)
            CHECK(tx.trade_state.len && tx.out_trade_no.len && tx.promotion_detail_count <= 2 &&
                  goods[0].quantity >= 0);
        free(copy);
    } else {
        CHECK(e < WXP_ERR_COUNT && r.field[0] != 0);
    }
    free(plain);
    free(body);
    free(hk[0]); free(hk[1]); free(hk[2]); free(hk[3]);
    wxp_client_wipe(&c);
    return 0;
}
