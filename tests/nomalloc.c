/* Proof that the library never touches the heap: this program is linked with
   -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free, so any call from
   the library's object (or a static BearSSL) lands in a wrapper that aborts.
   It drives every path that handles bytes: key and certificate loading, an
   APIv3 call through a transport that answers signed, an error answer, a
   callback with its decryption, RSA-OAEP both ways, JSAPI signing. */
#define WECHATPAY_IMPLEMENTATION
#include "wechatpay.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what)
{
    fprintf(stderr, "nomalloc: the library called %s\n", what);
    abort();
}
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t a, size_t b);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
void *__wrap_malloc(size_t n) { (void)n; die("malloc"); return NULL; }
void *__wrap_calloc(size_t a, size_t b) { (void)a; (void)b; die("calloc"); return NULL; }
void *__wrap_realloc(void *p, size_t n) { (void)p; (void)n; die("realloc"); return NULL; }
void __wrap_free(void *p) { if (p) die("free"); }

static wxp_str slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb"); /* glibc's own allocations are not wrapped */
    wxp_str s = { buf, 0 };
    if (!f) { fprintf(stderr, "nomalloc: cannot open %s\n", path); exit(1); }
    s.len = fread(buf, 1, cap, f);
    fclose(f);
    return s;
}

static void check(wxp_err e, const char *what)
{
    if (e != WXP_OK) {
        fprintf(stderr, "nomalloc: %s failed: %s\n", what, wxp_strerror(e));
        exit(1);
    }
}

static long long now_fn(void *u) { (void)u; return 1795424693; }
static int rand_fn(void *u, void *b, size_t n) { (void)u; memset(b, 7, n); return 0; }

/* Answers every request with a body signed by the platform key. */
typedef struct fake { wxp_rsa_key platform; const char *body; int status; } fake;

static int transport(void *user, const wxp_http_request *req, wxp_http_response *res, char *err, size_t errn)
{
    fake *f = (fake *)user;
    static char sig[WXP_SIG_B64_MAX + 1], msg[1024];
    int n = snprintf(msg, sizeof msg, "1795424693\nNONCE\n%s\n", f->body);
    (void)req; (void)err; (void)errn;
    if (wxp_sign_base64(&f->platform.vtable, msg, (size_t)n, sig, sizeof sig, NULL, NULL)) return 1;
    wxp_http_response_status(res, f->status);
    wxp_http_response_header(res, "Wechatpay-Timestamp", 19, "1795424693", 10);
    wxp_http_response_header(res, "Wechatpay-Nonce", 15, "NONCE", 5);
    wxp_http_response_header(res, "Wechatpay-Serial", 16, "PUB_KEY_ID_0001", 15);
    wxp_http_response_header(res, "Wechatpay-Signature", 19, sig, strlen(sig));
    wxp_http_response_header(res, "Request-ID", 10, "RID-1", 5);
    return wxp_http_response_write(res, f->body, strlen(f->body)) == strlen(f->body) ? 0 : 1;
}

static char f1[8192], f2[8192], f3[8192], f4[8192];
static unsigned char io[WXP_IO_BUFSIZE_DEFAULT];

int main(void)
{
    wxp_pubkey slots[3], mpub;
    wxp_keystore ks;
    wxp_client c;
    wxp_config cfg;
    wxp_result r;
    fake f;
    wxp_err e;
    char ct[1024], body[2048];
    unsigned char plain[1024];
    size_t n;
    wxp_notify_headers h;
    wxp_notification note;
    wxp_jsapi_params js;
    int status;

    memset(&cfg, 0, sizeof cfg);
    wxp_keystore_init(&ks, slots, 3);
    check(wxp_keystore_add_pubkey(&ks, "PUB_KEY_ID_0001", slurp("tests/vectors/keys/wechatpay_pub.pem", f1, sizeof f1), &r), "public key");
    check(wxp_keystore_add_certs(&ks, slurp("tests/vectors/keys/platform_cert.pem", f2, sizeof f2), &r), "certificate");
    check(wxp_rsa_key_load(&f.platform, slurp("tests/vectors/keys/platform_key.pem", f3, sizeof f3), &r), "platform key");
    check(wxp_pubkey_load(&mpub, slurp("tests/vectors/keys/merchant_pub.pem", f4, sizeof f4), &r), "merchant public key");
    cfg.mchid = "1900009191";
    cfg.serial = "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C";
    cfg.private_key_pem = slurp("tests/vectors/keys/merchant_key_pkcs1.pem", f4, sizeof f4);
    cfg.apiv3_key = wxp_cstr("a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb");
    cfg.keys = &ks;
    cfg.transport.fn = transport;
    cfg.transport.user = &f;
    cfg.io_buf = io;
    cfg.io_buf_size = sizeof io;
    cfg.clock.fn = now_fn;
    check(wxp_client_init(&c, &cfg, &r), "client init");

    f.status = 200;
    f.body = "{\"refund_id\":\"5000\",\"status\":\"PROCESSING\",\"amount\":{\"total\":100,\"refund\":1}}";
    check(wxp_v3_request(&c, "POST", "/v3/refund/domestic/refunds", wxp_cstr("{\"out_refund_no\":\"R1\"}"), &r), "v3 call");
    f.status = 400;
    f.body = "{\"code\":\"PARAM_ERROR\",\"message\":\"\\u53c2\\u6570\\u9519\\u8bef\"}";
    e = wxp_v3_request(&c, "GET", "/v3/refund/domestic/refunds/R1", wxp_cstr(""), &r);
    if (e != WXP_E_HTTP || strcmp(r.code, "PARAM_ERROR") != 0) check(WXP_E_ARG, "error answer");

    /* A callback: encrypt a resource, sign the body as WeChat Pay would, parse it. */
    check(wxp_aes_gcm_encrypt(cfg.apiv3_key, wxp_cstr("0123456789ab"), wxp_cstr("refund"),
                              wxp_cstr("{\"out_trade_no\":\"T\",\"transaction_id\":\"4\",\"out_refund_no\":\"R1\","
                                       "\"refund_id\":\"5\",\"refund_status\":\"SUCCESS\",\"amount\":{\"total\":1,"
                                       "\"refund\":1,\"payer_total\":1,\"payer_refund\":1}}"),
                              ct, sizeof ct, &n, &r), "gcm encrypt");
    n = (size_t)snprintf(body, sizeof body, "{\"id\":\"EV-1\",\"event_type\":\"REFUND.SUCCESS\",\"resource\":"
                         "{\"algorithm\":\"AEAD_AES_256_GCM\",\"ciphertext\":\"%s\",\"associated_data\":"
                         "\"refund\",\"nonce\":\"0123456789ab\"}}", ct);
    {
        static char msg[2200], sig[WXP_SIG_B64_MAX + 1];
        int m = snprintf(msg, sizeof msg, "1795424693\nN1\n%s\n", body);
        check(wxp_sign_base64(&f.platform.vtable, msg, (size_t)m, sig, sizeof sig, NULL, &r), "sign callback");
        h.timestamp = wxp_cstr("1795424693");
        h.nonce = wxp_cstr("N1");
        h.signature = wxp_cstr(sig);
        h.serial = wxp_cstr("PUB_KEY_ID_0001");
        check(wxp_notify_parse(&c, &h, body, n, plain, sizeof plain, &note, &r), "callback");
    }
    {
        wxp_refund_notify rn;
        check(wxp_refund_notify_decode(&note, &rn, &r), "refund callback decode");
    }
    check(wxp_notify_answer(0, "busy", body, sizeof body, &n, &status), "callback answer");

    {
        wxp_random rnd;
        rnd.fn = rand_fn;
        rnd.user = NULL;
        check(wxp_oaep_encrypt(&mpub, &rnd, wxp_cstr("13800138000"), ct, sizeof ct, &n, &r), "oaep encrypt");
        check(wxp_client_decrypt(&c, wxp_cstr(ct), plain, sizeof plain, &n, &r), "oaep decrypt");
    }
    check(wxp_jsapi_sign(&c, "wx8888888888888888", "wx2014", &js, &r), "jsapi sign");
    wxp_client_wipe(&c);
    puts("nomalloc: the library made no heap allocation");
    return 0;
}
