/* bench/bench.c - what a call costs, and how much of it is the library (make bench).

   In one run, with fixed iteration counts (about 15 s on a 2-vCPU AMD EPYC VM):
   1. bare RSA-2048 PKCS#1 v1.5 sign and verify of a SHA-256 digest with each
      backend: BearSSL i62 (skipped where the build has no 64x64->128
      multiply), i31, i15, and OpenSSL 3's EVP API;
   2. one whole APIv3 call, wxp_v3_request POST /v3/refund/domestic/refunds
      (build, sign, transport, verify the signed answer), through an
      in-process transport that replays a refund answer of about 1 KB signed
      once up front with the platform key, so each call costs only what the
      client does; with each backend as signer and verifier, next to the bare
      crypto of that backend: overhead = (call - sign - verify) / call. The
      same call with the RSA stubbed out measures the library's own work
      directly. Then the typed call (wxp_refund_create: encode, call, decode);
   3. a refund callback: wxp_notify_parse (verify, AES-256-GCM decrypt) and
      wxp_refund_notify_decode;
   4. payments: a typed Native order placement (wxp_transaction_create_native,
      through the same transport, which answers /v3/pay/transactions/native
      with a code_url signed once up front), and a payment callback
      (TRANSACTION.SUCCESS, a paid transaction with a coupon) through
      wxp_notify_parse and wxp_transaction_notify_decode;
   5. JSON parse throughput on the 1 KB refund answer;
   6. APIv2: the refund request's sign + XML (MD5 and HMAC-SHA256), one whole
      wxp_v2_refund through a transport replaying a signed XML answer (sign,
      XML, transport, parse, verify the sign, decode), and XML parse
      throughput on that answer.
   Each figure is the best of 5 batches (CLOCK_MONOTONIC). It prints a table
   and always exits 0 unless a call fails: it is a measurement, not a test.
   The keys are the throwaway test keys of examples/test_keys.h (the same as
   tests/vectors/keys).

   bench DIR also writes the calls' inputs to DIR (request_body, answer_body,
   callback_body, v2_answer, inputs.txt: the headers, keys and a check
   signature) for bench/node_sdk.mjs, the same calls through the published
   Node SDK in the same run of make bench, and its figures (ours.txt, or
   ours_osha.txt when built with WXP_SHA256_PARTS) for build/bench.json
   (bench/e2e.mjs).

   bench --profile N makes only N calls of the RSA-stubbed client (make
   bench-profile counts their instructions under callgrind). */
#define _POSIX_C_SOURCE 200809L
#define WECHATPAY_IMPLEMENTATION
#define WECHATPAY_OPENSSL_IMPLEMENTATION
#include "wechatpay.h"
#include "crypto/wechatpay_openssl.h"
#include "examples/test_keys.h"
#include "bench/refund_answer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#define BATCHES 5

/* make bench builds this file twice: build/bench with BearSSL's SHA-256 (the
   default build) and build/bench-osha with OpenSSL's through the hash seam
   (-DWXP_SHA256_PARTS=wxp_openssl_sha256_parts), which the OpenSSL backend's
   figures of build/bench.json come from. Each writes its own figures file. */
#ifdef WXP_SHA256_PARTS
#define BENCH_HASH "OpenSSL (WXP_SHA256_PARTS=wxp_openssl_sha256_parts)"
#define BENCH_FIGURES "ours_osha.txt"
#else
#define BENCH_HASH "BearSSL's portable code (the default)"
#define BENCH_FIGURES "ours.txt"
#endif
#define NOW 1795425372LL
#define V2_KEY WXP_TEST_APIV2_KEY

/* ---- timing -------------------------------------------------------------- */

typedef void (*op_fn)(void *ctx);

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* µs per op: the best of BATCHES batches of n, after one warm-up op. */
static double measure(op_fn op, void *ctx, unsigned n)
{
    double best = 1e300;
    unsigned b, i;
    op(ctx);
    for (b = 0; b < BATCHES; b++) {
        double t0 = now_us(), t;
        for (i = 0; i < n; i++) op(ctx);
        t = (now_us() - t0) / n;
        if (t < best) best = t;
    }
    return best;
}

static void die(const char *what, wxp_err e, const wxp_result *r)
{
    fprintf(stderr, "bench: %s: %s", what, wxp_strerror(e));
    if (r) fprintf(stderr, " [%s] %s %s", r->field, r->code, r->message);
    fputc('\n', stderr);
    exit(1);
}

/* ---- the machine --------------------------------------------------------- */

static void print_machine(void)
{
    struct utsname u;
    char line[256], model[256] = "unknown";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "model name", 10) == 0) {
                char *p = strchr(line, ':');
                if (p) {
                    p++;
                    while (*p == ' ' || *p == '\t') p++;
                    p[strcspn(p, "\n")] = 0;
                    snprintf(model, sizeof model, "%s", p);
                }
                break;
            }
        }
        fclose(f);
    }
    if (uname(&u) == 0) printf("machine   %s %s %s\n", u.sysname, u.release, u.machine);
    printf("cpu       %s, %ld online\n", model, sysconf(_SC_NPROCESSORS_ONLN));
#if defined(__clang__)
    printf("compiler  clang %s, -O2\n", __clang_version__);
#elif defined(__GNUC__)
    printf("compiler  gcc %s, -O2\n", __VERSION__);
#endif
    printf("libraries wechatpay.h %s, BearSSL (default RSA: %s), %s\n", WXP_VERSION,
           br_rsa_i62_pkcs1_sign_get() && br_rsa_pkcs1_sign_get_default() == br_rsa_i62_pkcs1_sign_get() ? "i62"
           : br_rsa_pkcs1_sign_get_default() == &br_rsa_i31_pkcs1_sign ? "i31" : "other",
           OpenSSL_version(OPENSSL_VERSION));
    printf("hash      SHA-256 of the signatures: %s\n", BENCH_HASH);
    printf("timing    CLOCK_MONOTONIC, best of %d batches, µs per operation\n", BATCHES);
}

/* ---- keys and the canned answer ------------------------------------------ */

static wxp_rsa_key merchant, platform;          /* BearSSL */
static wxp_pubkey wechatpay_pub, merchant_pub;
static wxp_openssl_key ossl_merchant;
static EVP_PKEY *ossl_wechatpay_pub;

/* A refund answer as WeChat Pay sends it (about 1 KB), and the request. */
static const char answer_body[] = BENCH_REFUND_ANSWER;
static const char request_body[] = BENCH_REFUND_REQUEST;

static struct {
    char ts[24], nonce[33], sig[WXP_SIG_B64_MAX + 1];
    unsigned char raw_sig[256];                 /* the same, decoded: bare verify */
} canned;

/* The answer to a Native order placement (POST /v3/pay/transactions/native),
   signed once with the platform key like the refund answer (same timestamp). */
static const char native_prefix[] = "/v3/pay/transactions/native";
static const char native_body[] = "{\"code_url\":\"weixin://wxpay/bizpayurl?pr=p4lpSuKzz\"}";
static struct {
    char nonce[33], sig[WXP_SIG_B64_MAX + 1];
    char request[1024];                         /* the first request's body, as encoded */
    size_t request_len;
} native;

/* The APIv2 refund answer, XML signed with the APIv2 key (made in setup_v2). */
static char v2_answer[2048];
static size_t v2_answer_len;

static int v2_replay(wxp_http_response *res)
{
    wxp_http_response_status(res, 200);
    wxp_http_response_header(res, "Content-Type", 12, "text/xml", 8);
    return wxp_http_response_write(res, v2_answer, v2_answer_len) == v2_answer_len ? 0 : 1;
}

static int replay_transport(void *user, const wxp_http_request *req, wxp_http_response *res, char *errbuf,
                            size_t errbuf_size)
{
    const char *body = answer_body, *nonce = canned.nonce, *sig = canned.sig;
    size_t len = sizeof answer_body - 1;
    (void)user; (void)errbuf; (void)errbuf_size;
    if (req->path.len && req->path.ptr[1] != 'v') return v2_replay(res); /* /secapi/..., /pay/... */
    if (req->path.len >= sizeof native_prefix - 1 &&
        memcmp(req->path.ptr, native_prefix, sizeof native_prefix - 1) == 0) {
        body = native_body;
        len = sizeof native_body - 1;
        nonce = native.nonce;
        sig = native.sig;
        if (!native.request_len && req->body.len < sizeof native.request) {  /* once: for the raw call */
            memcpy(native.request, req->body.ptr, req->body.len);
            native.request_len = req->body.len;
        }
    }
    wxp_http_response_status(res, 200);
    wxp_http_response_header(res, "Request-ID", 10, "08F0C4E8A40610C6021800", 22);
    wxp_http_response_header(res, "Content-Type", 12, "application/json", 16);
    wxp_http_response_header(res, "Wechatpay-Nonce", 15, nonce, strlen(nonce));
    wxp_http_response_header(res, "Wechatpay-Signature", 19, sig, strlen(sig));
    wxp_http_response_header(res, "Wechatpay-Timestamp", 19, canned.ts, strlen(canned.ts));
    wxp_http_response_header(res, "Wechatpay-Serial", 16, WXP_TEST_PUB_KEY_ID, sizeof WXP_TEST_PUB_KEY_ID - 1);
    wxp_http_response_header(res, "Wechatpay-Signature-Type", 24, "WECHATPAY2-SHA256-RSA2048", 25);
    return wxp_http_response_write(res, body, len) == len ? 0 : 1;
}

static EVP_PKEY *ossl_pubkey_pem(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *k = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return k;
}

static void setup_keys(void)
{
    wxp_result r;
    wxp_err e;
    char msg[2048];
    size_t n;
    if ((e = wxp_rsa_key_load(&merchant, wxp_cstr(WXP_TEST_MERCHANT_KEY), &r)) != WXP_OK) die("merchant key", e, &r);
    if ((e = wxp_rsa_key_load(&platform, wxp_cstr(WXP_TEST_PLATFORM_KEY), &r)) != WXP_OK) die("platform key", e, &r);
    if ((e = wxp_pubkey_load(&merchant_pub, wxp_cstr(WXP_TEST_MERCHANT_PUB), &r)) != WXP_OK) die("merchant pub", e, &r);
    if ((e = wxp_pubkey_load(&wechatpay_pub, wxp_cstr(WXP_TEST_WECHATPAY_PUB), &r)) != WXP_OK) die("wechatpay pub", e, &r);
    if ((e = wxp_openssl_key_load(&ossl_merchant, wxp_cstr(WXP_TEST_MERCHANT_KEY), &r)) != WXP_OK)
        die("OpenSSL merchant key", e, &r);
    if (!(ossl_wechatpay_pub = ossl_pubkey_pem(WXP_TEST_WECHATPAY_PUB))) die("OpenSSL public key", WXP_E_KEY, NULL);
    /* The answer, signed once with the platform key. */
    snprintf(canned.ts, sizeof canned.ts, "%lld", NOW);
    snprintf(canned.nonce, sizeof canned.nonce, "%s", "GusuEQ2NVJVwy3LNpJQmjpNedV2aX2AC");
    snprintf(msg, sizeof msg, "%s\n%s\n%s\n", canned.ts, canned.nonce, answer_body);
    if ((e = wxp_sign_base64(&platform.vtable, msg, strlen(msg), canned.sig, sizeof canned.sig, NULL, &r)) != WXP_OK)
        die("sign the canned answer", e, &r);
    if (wxp_base64_decode(canned.raw_sig, sizeof canned.raw_sig, canned.sig, strlen(canned.sig), &n) != WXP_OK ||
        n != sizeof canned.raw_sig)
        die("decode the canned signature", WXP_E_BASE64, NULL);
    /* The Native order's answer, the same way. */
    snprintf(native.nonce, sizeof native.nonce, "%s", "Qm4Tz8KpX2vRw7NcLh5YbJ9sEdA3fG6U");
    snprintf(msg, sizeof msg, "%s\n%s\n%s\n", canned.ts, native.nonce, native_body);
    if ((e = wxp_sign_base64(&platform.vtable, msg, strlen(msg), native.sig, sizeof native.sig, NULL, &r)) != WXP_OK)
        die("sign the Native answer", e, &r);
}

/* ---- 1. bare RSA ---------------------------------------------------------- */

static unsigned char digest[32];               /* of the canned answer's message */

typedef struct bssl_op {
    br_rsa_pkcs1_sign sign;
    br_rsa_pkcs1_vrfy vrfy;
    unsigned char sig[512];
} bssl_op;

static void op_bssl_sign(void *ctx)
{
    bssl_op *o = (bssl_op *)ctx;
    if (!o->sign(BR_HASH_OID_SHA256, digest, 32, &merchant.sk, o->sig)) die("BearSSL sign", WXP_E_CRYPTO, NULL);
}

static void op_bssl_vrfy(void *ctx)
{
    bssl_op *o = (bssl_op *)ctx;
    unsigned char got[32];
    if (!o->vrfy(canned.raw_sig, sizeof canned.raw_sig, BR_HASH_OID_SHA256, 32, &wechatpay_pub.pk, got) ||
        memcmp(got, digest, 32) != 0)
        die("BearSSL verify", WXP_E_SIGNATURE, NULL);
}

typedef struct ossl_op { EVP_PKEY_CTX *sign, *vrfy; unsigned char sig[512]; } ossl_op;

static void op_ossl_sign(void *ctx)
{
    ossl_op *o = (ossl_op *)ctx;
    size_t n = sizeof o->sig;
    if (EVP_PKEY_sign(o->sign, o->sig, &n, digest, 32) <= 0) die("OpenSSL sign", WXP_E_CRYPTO, NULL);
}

static void op_ossl_vrfy(void *ctx)
{
    ossl_op *o = (ossl_op *)ctx;
    if (EVP_PKEY_verify(o->vrfy, canned.raw_sig, sizeof canned.raw_sig, digest, 32) != 1)
        die("OpenSSL verify", WXP_E_SIGNATURE, NULL);
}

/* ---- signers and verifiers for the BearSSL engines the default does not pick */

typedef struct engine_signer {
    const wxp_signer_class *vtable;
    br_rsa_pkcs1_sign       sign;
} engine_signer;

static wxp_err engine_sign(const wxp_signer_class **ctx, const unsigned char hash[32], unsigned char *sig,
                           size_t *sig_len)
{
    const engine_signer *s = (const engine_signer *)(const void *)ctx;
    size_t n = (merchant.sk.n_bitlen + 7) / 8;
    if (*sig_len < n) return WXP_E_NOSPACE;
    if (!s->sign(BR_HASH_OID_SHA256, hash, 32, &merchant.sk, sig)) return WXP_E_CRYPTO;
    *sig_len = n;
    return WXP_OK;
}
static const wxp_signer_class engine_signer_class = { engine_sign, NULL };

typedef struct engine_verifier {
    const wxp_verifier_class *vtable;
    br_rsa_pkcs1_vrfy         vrfy;
} engine_verifier;

static int engine_verify(const wxp_verifier_class *const *ctx, const br_rsa_public_key *pk,
                         const unsigned char hash[32], const unsigned char *sig, size_t sig_len)
{
    const engine_verifier *v = (const engine_verifier *)(const void *)ctx;
    unsigned char got[32];
    return v->vrfy(sig, sig_len, BR_HASH_OID_SHA256, 32, pk, got) && memcmp(got, hash, 32) == 0;
}

static wxp_err engine_oaep(const wxp_verifier_class *const *ctx, const br_rsa_public_key *pk, const wxp_random *rnd,
                           const void *plain, size_t len, unsigned char *out, size_t cap, size_t *out_len)
{
    const wxp_verifier_class *const *d = wxp_bearssl_verifier();
    (void)ctx;
    return (*d)->oaep_encrypt(d, pk, rnd, plain, len, out, cap, out_len);
}
static const wxp_verifier_class engine_verifier_class = { engine_verify, engine_oaep };

/* RSA stubbed out: a fixed signature, every signature accepted. What is left
   is the library: nonce, SHA-256, base64, headers, transport, checks. */
static wxp_err stub_sign(const wxp_signer_class **ctx, const unsigned char hash[32], unsigned char *sig,
                         size_t *sig_len)
{
    (void)ctx; (void)hash;
    if (*sig_len < sizeof canned.raw_sig) return WXP_E_NOSPACE;
    memcpy(sig, canned.raw_sig, sizeof canned.raw_sig);
    *sig_len = sizeof canned.raw_sig;
    return WXP_OK;
}
static const wxp_signer_class stub_signer_class = { stub_sign, NULL };

static int stub_verify(const wxp_verifier_class *const *ctx, const br_rsa_public_key *pk,
                       const unsigned char hash[32], const unsigned char *sig, size_t sig_len)
{
    (void)ctx; (void)pk; (void)hash; (void)sig; (void)sig_len;
    return 1;
}
static const wxp_verifier_class stub_verifier_class = { stub_verify, engine_oaep };

/* ---- 2. calls ------------------------------------------------------------- */

#define NCLIENTS 8
static unsigned char io[NCLIENTS][WXP_IO_BUFSIZE_DEFAULT];
static wxp_client clients[NCLIENTS];
static size_t nclients;
static wxp_pubkey slots[1];
static wxp_keystore keys;
static long long clock_now = NOW;

static long long fixed_clock(void *user) { return *(const long long *)user; }

/* A new client with this signer, verifier and random source (NULL signer: the
   BearSSL default from private_key_pem; NULL verifier: the BearSSL default;
   ossl_rand 0: the client's own HMAC-DRBG, 1: OpenSSL's RAND_bytes). */
static wxp_client *client_new(const wxp_signer_class **signer, const wxp_verifier_class *const *verifier,
                              int ossl_rand)
{
    wxp_client *c = &clients[nclients];
    wxp_config cfg;
    wxp_result r;
    wxp_err e;
    if (nclients == NCLIENTS) die("too many clients", WXP_E_FULL, NULL);
    memset(&cfg, 0, sizeof cfg);
    cfg.mchid = WXP_TEST_MCHID;
    cfg.serial = WXP_TEST_SERIAL;
    if (signer) cfg.signer = signer;
    else cfg.private_key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    cfg.verifier = verifier;
    if (ossl_rand) cfg.random = wxp_openssl_random();
    cfg.keys = &keys;
    cfg.apiv3_key = wxp_cstr(WXP_TEST_APIV3_KEY);
    cfg.apiv2_key = wxp_cstr(V2_KEY);
    cfg.client_cert.cert_pem = wxp_cstr("(the replay transport does no TLS)");
    cfg.client_cert.key_pem = cfg.client_cert.cert_pem;
    cfg.clock.fn = fixed_clock;
    cfg.clock.user = &clock_now;
    cfg.transport.fn = replay_transport;
    cfg.rate.off = 1;   /* the clock stands still: a bucket would never refill */
    cfg.io_buf = io[nclients];
    cfg.io_buf_size = sizeof io[0];
    if ((e = wxp_client_init(c, &cfg, &r)) != WXP_OK) die("client init", e, &r);
    nclients++;
    return c;
}

static void op_call(void *ctx)
{
    wxp_result r;
    wxp_err e = wxp_v3_request((wxp_client *)ctx, "POST", "/v3/refund/domestic/refunds",
                               wxp_cstr(request_body), &r);
    if (e) die("wxp_v3_request", e, &r);
}

static void op_typed_call(void *ctx)
{
    wxp_refund_req req;
    wxp_refund out;
    wxp_refund_from from[4];
    wxp_refund_promotion promo[4];
    wxp_refund_goods goods[4][4];
    wxp_result r;
    wxp_err e;
    size_t i;
    memset(&req, 0, sizeof req);
    req.out_trade_no = "1217752501201407033233368018";
    req.out_refund_no = "1217752501201407033233368018";
    req.reason = "商品已售完";
    req.notify_url = "https://weixin.qq.com";
    req.amount.refund = 100;
    req.amount.total = 100;
    memset(&out, 0, sizeof out);
    out.amount.from = from;
    out.amount.from_cap = 4;
    out.promotion_detail = promo;
    out.promotion_detail_cap = 4;
    memset(promo, 0, sizeof promo);
    for (i = 0; i < 4; i++) {
        promo[i].goods_detail = goods[i];
        promo[i].goods_detail_cap = 4;
    }
    e = wxp_refund_create((wxp_client *)ctx, &req, &out, &r);
    if (e) die("wxp_refund_create", e, &r);
}

/* A Native order placed: validate, encode, call, decode into wxp_prepay_native
   (a view into io_buf, checked once in main). */
static wxp_prepay_native native_out;

static void op_native(void *ctx)
{
    wxp_prepay_req req;
    wxp_result r;
    wxp_err e;
    memset(&req, 0, sizeof req);
    req.appid = "wxd678efh567hg6787";
    req.mchid = WXP_TEST_MCHID;
    req.description = "Image形象店-深圳腾大-QQ公仔";
    req.out_trade_no = "1217752501201407033233368018";
    req.time_expire = "2026-12-03T18:00:00+08:00";
    req.attach = "自定义数据";
    req.notify_url = "https://www.weixin.qq.com/wxpay/pay.php";
    req.amount.total = 100;
    req.amount.currency = "CNY";
    memset(&native_out, 0, sizeof native_out);
    e = wxp_transaction_create_native((wxp_client *)ctx, &req, &native_out, &r);
    if (e) die("wxp_transaction_create_native", e, &r);
}

/* The same request body (as the typed call encoded it), through wxp_v3_request. */
static void op_native_call(void *ctx)
{
    wxp_result r;
    wxp_str body;
    wxp_err e;
    body.ptr = native.request;
    body.len = native.request_len;
    e = wxp_v3_request((wxp_client *)ctx, "POST", native_prefix, body, &r);
    if (e) die("wxp_v3_request (Native)", e, &r);
}

/* ---- 3. callbacks --------------------------------------------------------- */

static struct {
    char body[2048], work[2048];
    size_t len;
    char ts[24], nonce[33], sig[WXP_SIG_B64_MAX + 1];
    wxp_notify_headers h;
} cb;

static void setup_callback(void)
{
    static const char resource[] =
        "{\"mchid\":\"1900009191\",\"out_trade_no\":\"1217752501201407033233368018\","
        "\"transaction_id\":\"1217752501201407033233368018\",\"out_refund_no\":\"1217752501201407033233368018\","
        "\"refund_id\":\"1217752501201407033233368018\",\"refund_status\":\"SUCCESS\","
        "\"success_time\":\"2018-06-08T10:34:56+08:00\",\"user_received_account\":\"招商银行信用卡0403\","
        "\"amount\":{\"total\":999,\"refund\":999,\"payer_total\":999,\"payer_refund\":999}}";
    char ct[1024], msg[2200];
    size_t n;
    wxp_result r;
    wxp_err e;
    e = wxp_aes_gcm_encrypt(wxp_cstr(WXP_TEST_APIV3_KEY), wxp_cstr("8gOicl9CThug"), wxp_cstr("refund"),
                            wxp_cstr(resource), ct, sizeof ct, &n, &r);
    if (e) die("encrypt the callback", e, &r);
    cb.len = (size_t)snprintf(cb.body, sizeof cb.body,
        "{\"id\":\"EV-2018022511223320873\",\"create_time\":\"2015-05-20T13:29:35+08:00\","
        "\"resource_type\":\"encrypt-resource\",\"event_type\":\"REFUND.SUCCESS\",\"summary\":\"退款成功\","
        "\"resource\":{\"original_type\":\"refund\",\"algorithm\":\"AEAD_AES_256_GCM\",\"ciphertext\":\"%s\","
        "\"associated_data\":\"refund\",\"nonce\":\"8gOicl9CThug\"}}", ct);
    snprintf(cb.ts, sizeof cb.ts, "%lld", NOW);
    snprintf(cb.nonce, sizeof cb.nonce, "%s", "m9kiwlWRHRxK2J6swSRwK8Rl7nx5d7f8");
    snprintf(msg, sizeof msg, "%s\n%s\n%s\n", cb.ts, cb.nonce, cb.body);
    if ((e = wxp_sign_base64(&platform.vtable, msg, strlen(msg), cb.sig, sizeof cb.sig, NULL, &r)) != WXP_OK)
        die("sign the callback", e, &r);
    cb.h.timestamp = wxp_cstr(cb.ts);
    cb.h.nonce = wxp_cstr(cb.nonce);
    cb.h.signature = wxp_cstr(cb.sig);
    cb.h.serial = wxp_cstr(WXP_TEST_PUB_KEY_ID);
}

static void op_notify(void *ctx)
{
    unsigned char plain[1024];
    wxp_notification n;
    wxp_refund_notify rn;
    wxp_result r;
    wxp_err e;
    memcpy(cb.work, cb.body, cb.len); /* parsing unescapes in place */
    e = wxp_notify_parse((wxp_client *)ctx, &cb.h, cb.work, cb.len, plain, sizeof plain, &n, &r);
    if (e) die("wxp_notify_parse", e, &r);
    e = wxp_refund_notify_decode(&n, &rn, &r);
    if (e) die("wxp_refund_notify_decode", e, &r);
}

/* ---- 4. the payment callback: TRANSACTION.SUCCESS, a paid Native order ---- */

static struct {
    char body[4096], work[4096];
    size_t len, plain_len;
    char ts[24], nonce[33], sig[WXP_SIG_B64_MAX + 1];
    wxp_notify_headers h;
} pay;

static void setup_pay_callback(void)
{
    /* As WeChat Pay sends it: paid with a merchant-funded single-item coupon. */
    static const char resource[] =
        "{\"appid\":\"wxd678efh567hg6787\",\"mchid\":\"" WXP_TEST_MCHID "\","
        "\"out_trade_no\":\"1217752501201407033233368018\",\"transaction_id\":\"4200002016202611238541863492\","
        "\"trade_type\":\"NATIVE\",\"trade_state\":\"SUCCESS\",\"trade_state_desc\":\"支付成功\","
        "\"bank_type\":\"OTHERS\",\"attach\":\"自定义数据\",\"success_time\":\"2026-11-23T10:34:56+08:00\","
        "\"payer\":{\"openid\":\"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o\"},"
        "\"amount\":{\"total\":100,\"payer_total\":90,\"currency\":\"CNY\",\"payer_currency\":\"CNY\"},"
        "\"promotion_detail\":[{\"coupon_id\":\"109519\",\"name\":\"单品惠-6\",\"scope\":\"SINGLE\","
        "\"type\":\"CASH\",\"amount\":10,\"stock_id\":\"931386\",\"wechatpay_contribute\":0,"
        "\"merchant_contribute\":10,\"other_contribute\":0,\"currency\":\"CNY\",\"goods_detail\":["
        "{\"goods_id\":\"M1006\",\"quantity\":1,\"unit_price\":100,\"discount_amount\":10,"
        "\"goods_remark\":\"商品备注信息\"}]}]}";
    char ct[2048], msg[4200];
    size_t n;
    wxp_result r;
    wxp_err e;
    pay.plain_len = sizeof resource - 1;
    e = wxp_aes_gcm_encrypt(wxp_cstr(WXP_TEST_APIV3_KEY), wxp_cstr("Hk3v9QmT2xLp"), wxp_cstr("transaction"),
                            wxp_cstr(resource), ct, sizeof ct, &n, &r);
    if (e) die("encrypt the payment callback", e, &r);
    pay.len = (size_t)snprintf(pay.body, sizeof pay.body,
        "{\"id\":\"EV-2026112310345612345\",\"create_time\":\"2026-11-23T10:34:57+08:00\","
        "\"resource_type\":\"encrypt-resource\",\"event_type\":\"TRANSACTION.SUCCESS\",\"summary\":\"支付成功\","
        "\"resource\":{\"original_type\":\"transaction\",\"algorithm\":\"AEAD_AES_256_GCM\",\"ciphertext\":\"%s\","
        "\"associated_data\":\"transaction\",\"nonce\":\"Hk3v9QmT2xLp\"}}", ct);
    if (pay.len >= sizeof pay.body) die("the payment callback's body", WXP_E_NOSPACE, NULL);
    snprintf(pay.ts, sizeof pay.ts, "%lld", NOW);
    snprintf(pay.nonce, sizeof pay.nonce, "%s", "c7Rz2WnE5qTx8LbV3mKa9PfY6hDj4sGu");
    snprintf(msg, sizeof msg, "%s\n%s\n%s\n", pay.ts, pay.nonce, pay.body);
    if ((e = wxp_sign_base64(&platform.vtable, msg, strlen(msg), pay.sig, sizeof pay.sig, NULL, &r)) != WXP_OK)
        die("sign the payment callback", e, &r);
    pay.h.timestamp = wxp_cstr(pay.ts);
    pay.h.nonce = wxp_cstr(pay.nonce);
    pay.h.signature = wxp_cstr(pay.sig);
    pay.h.serial = wxp_cstr(WXP_TEST_PUB_KEY_ID);
}

/* The decoded transaction, kept for the check in main. plain is on the stack,
   not in io_buf, where the decoder keeps its tokens. */
static wxp_transaction pay_tx;
static wxp_promotion pay_promo[4];
static wxp_promotion_goods pay_goods[4][4];

static void op_pay_notify(void *ctx)
{
    unsigned char plain[2048];
    wxp_notification n;
    wxp_result r;
    wxp_err e;
    size_t i;
    memcpy(pay.work, pay.body, pay.len); /* parsing unescapes in place */
    e = wxp_notify_parse((wxp_client *)ctx, &pay.h, pay.work, pay.len, plain, sizeof plain, &n, &r);
    if (e) die("wxp_notify_parse (payment)", e, &r);
    memset(&pay_tx, 0, sizeof pay_tx);
    memset(pay_promo, 0, sizeof pay_promo);
    pay_tx.promotion_detail = pay_promo;
    pay_tx.promotion_detail_cap = 4;
    for (i = 0; i < 4; i++) {
        pay_promo[i].goods_detail = pay_goods[i];
        pay_promo[i].goods_detail_cap = 4;
    }
    e = wxp_transaction_notify_decode((wxp_client *)ctx, &n, &pay_tx, &r);
    if (e) die("wxp_transaction_notify_decode", e, &r);
}

static int str_is(wxp_str s, const char *z) { return s.len == strlen(z) && memcmp(s.ptr, z, s.len) == 0; }

/* Once per client, before the figures: the calls answer what they should. */
static void check_payments(wxp_client *c)
{
    op_native(c);
    if (!str_is(native_out.code_url, "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"))
        die("wxp_transaction_create_native: code_url", WXP_E_NOTFOUND, NULL);
    op_pay_notify(c);
    if (!str_is(pay_tx.trade_state, "SUCCESS") || !str_is(pay_tx.trade_type, "NATIVE") ||
        !str_is(pay_tx.payer.openid, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o") || pay_tx.amount.total != 100 ||
        pay_tx.amount.payer_total != 90 || pay_tx.promotion_detail_count != 1 ||
        pay_promo[0].goods_detail_count != 1 || pay_goods[0][0].discount_amount != 10 ||
        !str_is(pay_goods[0][0].goods_remark, "商品备注信息"))
        die("wxp_transaction_notify_decode: the decoded transaction", WXP_E_NOTFOUND, NULL);
}

/* The CPU feature probes behind AES-GCM, which a client makes once, at init. */
static void op_probe(void *ctx)
{
    volatile const void *a = br_aes_x86ni_ctr_get_vtable();
    volatile br_ghash g = br_ghash_pclmul_get();
    (void)ctx; (void)a; (void)g;
}

/* ---- 4. JSON -------------------------------------------------------------- */

static void op_json(void *ctx)
{
    static wxp_json_tok tok[256];
    wxp_json doc;
    wxp_err e = wxp_json_parse(&doc, (char *)ctx, sizeof answer_body - 1, tok, 256, NULL);
    if (e) die("wxp_json_parse", e, NULL);
}

/* ---- 5. APIv2 ------------------------------------------------------------- */

static wxp_kv v2_params[] = {
    { { "appid", 5 }, { "wx2421b1c4370ec43b", 18 } },
    { { "mch_id", 6 }, { "1900009191", 10 } },
    { { "nonce_str", 9 }, { "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", 32 } },
    { { "out_refund_no", 13 }, { "1217752501201407033233368018", 28 } },
    { { "out_trade_no", 12 }, { "1217752501201407033233368018", 28 } },
    { { "refund_fee", 10 }, { "100", 3 } },
    { { "sign_type", 9 }, { "HMAC-SHA256", 11 } },
    { { "total_fee", 9 }, { "500", 3 } },
};
static int v2_sign_type;

static void setup_v2(void)
{
    static const char *const kv[][2] = {
        { "return_code", "SUCCESS" }, { "return_msg", "OK" }, { "appid", "wx2421b1c4370ec43b" },
        { "mch_id", WXP_TEST_MCHID }, { "nonce_str", "NfsMFbUFpdbEhPXP" }, { "result_code", "SUCCESS" },
        { "transaction_id", "4200000000202611230000000001" }, { "out_trade_no", "1217752501201407033233368018" },
        { "out_refund_no", "1217752501201407033233368018" }, { "refund_id", "50000000382019052709732678859" },
        { "refund_channel", "" }, { "refund_fee", "100" }, { "coupon_refund_fee", "0" }, { "total_fee", "500" },
        { "cash_fee", "500" }, { "coupon_refund_count", "0" }, { "cash_refund_fee", "100" }, { "sign", "" },
    };
    wxp_kv a[sizeof kv / sizeof kv[0]];
    char sign[65];
    size_t i, n = sizeof kv / sizeof kv[0];
    wxp_result r;
    wxp_err e;
    for (i = 0; i < n; i++) { a[i].key = wxp_cstr(kv[i][0]); a[i].value = wxp_cstr(kv[i][1]); }
    if ((e = wxp_v2_sign(a, n, wxp_cstr(V2_KEY), WXP_V2_HMAC_SHA256, sign, &r))) die("wxp_v2_sign", e, &r);
    a[n - 1].value = wxp_cstr(sign);
    if ((e = wxp_xml_write(v2_answer, sizeof v2_answer, a, n, &v2_answer_len, &r))) die("wxp_xml_write", e, &r);
}

/* What a v2 request costs the client before the network: sign, then XML. */
static void op_v2_sign_xml(void *ctx)
{
    char sign[65], xml[1024];
    wxp_kv kv[sizeof v2_params / sizeof v2_params[0] + 1];
    size_t n = sizeof v2_params / sizeof v2_params[0], len;
    wxp_result r;
    wxp_err e;
    (void)ctx;
    memcpy(kv, v2_params, sizeof v2_params);
    if ((e = wxp_v2_sign(kv, n, wxp_cstr(V2_KEY), v2_sign_type, sign, &r))) die("wxp_v2_sign", e, &r);
    kv[n].key = wxp_cstr("sign");
    kv[n].value = wxp_cstr(sign);
    if ((e = wxp_xml_write(xml, sizeof xml, kv, n + 1, &len, &r))) die("wxp_xml_write", e, &r);
}

static void op_v2_refund(void *ctx)
{
    wxp_v2_refund_req q;
    wxp_v2_refund_result out;
    wxp_result r;
    wxp_err e;
    memset(&q, 0, sizeof q);
    memset(&out, 0, sizeof out);
    q.appid = "wx2421b1c4370ec43b";
    q.out_trade_no = "1217752501201407033233368018";
    q.out_refund_no = "1217752501201407033233368018";
    q.total_fee = 500;
    q.refund_fee = 100;
    if ((e = wxp_v2_refund((wxp_client *)ctx, &q, &out, &r))) die("wxp_v2_refund", e, &r);
}

static void op_xml(void *ctx)
{
    static char text[sizeof v2_answer];
    wxp_kv kv[32];
    size_t n;
    wxp_err e;
    memcpy(text, ctx, v2_answer_len); /* parsed in place: each parse gets the original */
    if ((e = wxp_xml_parse(text, v2_answer_len, kv, 32, &n, NULL))) die("wxp_xml_parse", e, NULL);
}

/* ---- inputs and figures for bench/node_sdk.mjs ---------------------------- */

static void write_file(const char *dir, const char *name, const char *text, size_t len)
{
    char path[1024];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!(f = fopen(path, "wb")) || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "bench: cannot write %s\n", path);
        exit(1);
    }
}

/* The request body, the answer and its headers; and the merchant key's
   signature of one request message, so that the Node side can check that it
   signs with the same key (PKCS#1 v1.5 is deterministic). */
static void write_inputs(const char *dir)
{
    static const char check_nonce[] = "5K8264ILTKCH16CQ2502SI8ZNMTM67VS";
    char msg[1024], sig[WXP_SIG_B64_MAX + 1], text[4096];
    wxp_result r;
    wxp_err e;
    int n;
    write_file(dir, "request_body", request_body, sizeof request_body - 1);
    write_file(dir, "answer_body", answer_body, sizeof answer_body - 1);
    snprintf(msg, sizeof msg, "POST\n/v3/refund/domestic/refunds\n%lld\n%s\n%s\n", NOW, check_nonce, request_body);
    if ((e = wxp_sign_base64(&merchant.vtable, msg, strlen(msg), sig, sizeof sig, NULL, &r)) != WXP_OK)
        die("sign the check message", e, &r);
    n = snprintf(text, sizeof text,
                 "mchid=%s\nserial_no=%s\nmethod=POST\nurl=/v3/refund/domestic/refunds\nnow=%lld\n"
                 "wechatpay_timestamp=%s\nwechatpay_nonce=%s\nwechatpay_signature=%s\nwechatpay_serial=%s\n"
                 "check_nonce=%s\ncheck_signature=%s\n",
                 WXP_TEST_MCHID, WXP_TEST_SERIAL, NOW, canned.ts, canned.nonce, canned.sig, WXP_TEST_PUB_KEY_ID,
                 check_nonce, sig);
    /* The refund callback of 3 and the APIv2 refund answer of 6. */
    n += snprintf(text + n, sizeof text - (size_t)n,
                  "callback_timestamp=%s\ncallback_nonce=%s\ncallback_signature=%s\napiv3_key=%s\napiv2_key=%s\n",
                  cb.ts, cb.nonce, cb.sig, WXP_TEST_APIV3_KEY, V2_KEY);
    write_file(dir, "inputs.txt", text, (size_t)n);
    write_file(dir, "callback_body", cb.body, cb.len);
    write_file(dir, "v2_answer", v2_answer, v2_answer_len);
}

/* ---- the run -------------------------------------------------------------- */

#define ROUNDS 5

/* One row of sections 1 and 2: the bare operations and the call, measured in
   turns (round by round) so that a busy machine slows them alike. */
typedef struct row {
    const char *name;
    unsigned    n;                  /* signs and calls per batch; verifies: 10 n */
    op_fn       sign, vrfy;         /* bare; NULL: no bare figures of its own */
    void       *ctx;
    wxp_client *client;
    int         typed;              /* also the typed wxp_refund_create, in the same turns */
    double      sign_us, vrfy_us, call_us, typed_us;
    double      call_floor[ROUNDS], typed_floor[ROUNDS]; /* call / (sign + verify), each round's */
} row;

static double batch(op_fn op, void *ctx, unsigned n)
{
    double t0 = now_us();
    unsigned i;
    for (i = 0; i < n; i++) op(ctx);
    return (now_us() - t0) / n;
}

static void keep_min(double *m, double v) { if (*m == 0 || v < *m) *m = v; }

/* The median of ROUNDS figures (sorts them). */
static double median(double *v)
{
    int i, j;
    for (i = 1; i < ROUNDS; i++)
        for (j = i; j > 0 && v[j] < v[j - 1]; j--) { double t = v[j]; v[j] = v[j - 1]; v[j - 1] = t; }
    return v[ROUNDS / 2];
}

int main(int argc, char **argv)
{
    static row rows[8];
    static bssl_op bop[3];
    static engine_signer esig[3];
    static engine_verifier evf[3];
    static wxp_openssl_verifier ovf;
    static ossl_op oop;
    static char json_text[sizeof answer_body];
    static const wxp_signer_class *stub = &stub_signer_class; /* config.signer is not const */
    const wxp_verifier_class *const stubv = &stub_verifier_class;
    br_sha256_context h;
    double t0 = now_us();
    size_t i, nr = 0, nbare, r_ossl, r_def = 0, r_stub, r_stub_ossl;
    wxp_client *c_default, *c_ossl, *c_stub;
    double typed_default, typed_ossl, notify_default, notify_ossl, v2_call;
    wxp_result res;
    wxp_err e;

    if (argc > 2 && strcmp(argv[1], "--profile") == 0) { /* make bench-profile: the stubbed call only */
        unsigned n = (unsigned)strtoul(argv[2], NULL, 10);
        setup_keys();
        wxp_keystore_init(&keys, slots, 1);
        if ((e = wxp_keystore_add_pubkey(&keys, WXP_TEST_PUB_KEY_ID, wxp_cstr(WXP_TEST_WECHATPAY_PUB), &res)))
            die("key store", e, &res);
        c_stub = client_new(&stub, &stubv, 0);
        for (i = 0; i < n; i++) op_call(c_stub);
        wxp_client_wipe(c_stub);
        return 0;
    }
    puts("wechatpay.h bench: RSA backends, one APIv3 call, callbacks, JSON");
    puts("===================================================================");
    print_machine();
    setup_keys();
    setup_callback();
    setup_pay_callback();
    setup_v2();
    wxp_keystore_init(&keys, slots, 1);
    if ((e = wxp_keystore_add_pubkey(&keys, WXP_TEST_PUB_KEY_ID, wxp_cstr(WXP_TEST_WECHATPAY_PUB), &res)) != WXP_OK)
        die("key store", e, &res);
    br_sha256_init(&h);
    br_sha256_update(&h, canned.ts, strlen(canned.ts));
    br_sha256_update(&h, "\n", 1);
    br_sha256_update(&h, canned.nonce, strlen(canned.nonce));
    br_sha256_update(&h, "\n", 1);
    br_sha256_update(&h, answer_body, sizeof answer_body - 1);
    br_sha256_update(&h, "\n", 1);
    br_sha256_out(&h, digest);
    oop.sign = EVP_PKEY_CTX_new(ossl_merchant.pkey, NULL);
    oop.vrfy = EVP_PKEY_CTX_new(ossl_wechatpay_pub, NULL);
    if (!oop.sign || !oop.vrfy || EVP_PKEY_sign_init(oop.sign) <= 0 ||
        EVP_PKEY_CTX_set_rsa_padding(oop.sign, RSA_PKCS1_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_signature_md(oop.sign, EVP_sha256()) <= 0 || EVP_PKEY_verify_init(oop.vrfy) <= 0 ||
        EVP_PKEY_CTX_set_rsa_padding(oop.vrfy, RSA_PKCS1_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_signature_md(oop.vrfy, EVP_sha256()) <= 0)
        die("OpenSSL contexts", WXP_E_CRYPTO, NULL);
    wxp_openssl_verifier_init(&ovf);
    if (argc > 1) write_inputs(argv[1]);

    /* The BearSSL engines: i62 when the build has it (the library's default,
       through its own key and verifier), i31 and i15 through bench vtables. */
    {
        static const char *names[3] = { "BearSSL i62", "BearSSL i31", "BearSSL i15" };
        static const unsigned ns[3] = { 100, 60, 20 };
        br_rsa_pkcs1_sign sg[3];
        br_rsa_pkcs1_vrfy vf[3];
        sg[0] = br_rsa_i62_pkcs1_sign_get(); vf[0] = br_rsa_i62_pkcs1_vrfy_get();
        sg[1] = &br_rsa_i31_pkcs1_sign;     vf[1] = &br_rsa_i31_pkcs1_vrfy;
        sg[2] = &br_rsa_i15_pkcs1_sign;     vf[2] = &br_rsa_i15_pkcs1_vrfy;
        for (i = 0; i < 3; i++) {
            row *w;
            if (!sg[i]) continue;
            w = &rows[nr++];
            bop[i].sign = sg[i];
            bop[i].vrfy = vf[i];
            w->name = names[i];
            w->n = ns[i];
            w->sign = op_bssl_sign;
            w->vrfy = op_bssl_vrfy;
            w->ctx = &bop[i];
            if (sg[i] == br_rsa_pkcs1_sign_get_default() && vf[i] == br_rsa_pkcs1_vrfy_get_default()) {
                w->client = client_new(NULL, NULL, 0);
                r_def = nr - 1;
            } else {
                esig[i].vtable = &engine_signer_class;
                esig[i].sign = sg[i];
                evf[i].vtable = &engine_verifier_class;
                evf[i].vrfy = vf[i];
                w->client = client_new(&esig[i].vtable, &evf[i].vtable, 0);
            }
        }
    }
    r_ossl = nr;
    rows[nr].name = "OpenSSL EVP";
    rows[nr].n = 400;
    rows[nr].sign = op_ossl_sign;
    rows[nr].vrfy = op_ossl_vrfy;
    rows[nr].ctx = &oop;
    rows[nr++].client = client_new(&ossl_merchant.vtable, &ovf.vtable, 1);
    nbare = nr;
    rows[nr].name = "OpenSSL EVP / BearSSL default";
    rows[nr].n = 400;
    rows[nr++].client = client_new(&ossl_merchant.vtable, NULL, 0);
    r_stub = nr;
    rows[nr].name = "RSA stubbed, HMAC-DRBG nonces";
    rows[nr].n = 2000;
    rows[nr++].client = c_stub = client_new(&stub, &stubv, 0);
    r_stub_ossl = nr;
    rows[nr].name = "RSA stubbed, RAND_bytes nonces";
    rows[nr].n = 2000;
    rows[nr++].client = client_new(&stub, &stubv, 1);
    rows[r_def].typed = rows[r_ossl].typed = 1;
    c_default = rows[r_def].client;
    c_ossl = rows[r_ossl].client;

    {   /* Warm up, then the rounds. */
        unsigned k;
        for (i = 0; i < nr; i++) {
            if (rows[i].sign) { rows[i].sign(rows[i].ctx); rows[i].vrfy(rows[i].ctx); }
            op_call(rows[i].client);
        }
        for (k = 0; k < ROUNDS; k++) {
            for (i = 0; i < nr; i++) {
                double bare = 0, call, typed;
                if (rows[i].sign) {
                    double sg = batch(rows[i].sign, rows[i].ctx, rows[i].n);
                    double vf = batch(rows[i].vrfy, rows[i].ctx, 10 * rows[i].n);
                    keep_min(&rows[i].sign_us, sg);
                    keep_min(&rows[i].vrfy_us, vf);
                    bare = sg + vf;
                }
                keep_min(&rows[i].call_us, call = batch(op_call, rows[i].client, rows[i].n));
                if (bare > 0) rows[i].call_floor[k] = call / bare;
                if (rows[i].typed) {
                    keep_min(&rows[i].typed_us, typed = batch(op_typed_call, rows[i].client, rows[i].n));
                    rows[i].typed_floor[k] = typed / bare;
                }
            }
        }
    }
    /* The mixed row: OpenSSL signs, BearSSL's default verifies. */
    rows[nbare].sign_us = rows[r_ossl].sign_us;
    rows[nbare].vrfy_us = rows[r_def].vrfy_us;

    /* 1. */
    printf("\n1. Bare RSA-2048, PKCS#1 v1.5 over a SHA-256 digest (sign: merchant key, verify: WeChat Pay key)\n\n");
    printf("   %-24s %12s %12s\n", "backend", "sign µs", "verify µs");
    for (i = 0; i < nbare; i++) printf("   %-24s %12.1f %12.1f\n", rows[i].name, rows[i].sign_us, rows[i].vrfy_us);
    if (!br_rsa_i62_pkcs1_sign_get()) printf("   (BearSSL i62: not in this build, skipped)\n");
    printf("   OpenSSL: one prepared EVP_PKEY_CTX per key, reused (as wxp_openssl_key and _verifier do).\n");

    /* 2. */
    printf("\n2. One APIv3 call: wxp_v3_request POST /v3/refund/domestic/refunds, %u-byte request body,\n"
           "   in-process transport replaying a %u-byte answer signed once up front (per call: build, sign,\n"
           "   transport, verify). overhead = (call - sign - verify) / call, with the bare figures of 1,\n"
           "   measured in turns with them. Signer = config.signer, verifier = config.verifier.\n\n",
           (unsigned)(sizeof request_body - 1), (unsigned)(sizeof answer_body - 1));
    printf("   %-38s %10s %10s %10s %10s\n", "signer / verifier", "call µs", "RSA µs", "library µs", "overhead");
    for (i = 0; i < nr; i++) {
        double rsa = rows[i].sign_us + rows[i].vrfy_us;
        char name[64];
        if (i == r_def) snprintf(name, sizeof name, "%s (the default)", rows[i].name);
        else if (i == r_ossl) snprintf(name, sizeof name, "%s (key, verifier, random)", rows[i].name);
        else if (i < nbare) snprintf(name, sizeof name, "%s (bench vtables)", rows[i].name);
        else snprintf(name, sizeof name, "%s", rows[i].name);
        if (i >= r_stub)
            printf("   %-38s %10.1f %10s %10.1f\n", name, rows[i].call_us, "-", rows[i].call_us);
        else
            printf("   %-38s %10.1f %10.1f %10.1f %9.2f%%\n", name, rows[i].call_us, rsa, rows[i].call_us - rsa,
                   100.0 * (rows[i].call_us - rsa) / rows[i].call_us);
    }
    printf("   Call / bare sign + verify, the median of the %d rounds' ratios (each measured in turns):\n"
           "   %s %.3f (typed call %.3f), %s %.3f (typed call %.3f)\n", ROUNDS,
           rows[r_def].name, median(rows[r_def].call_floor), median(rows[r_def].typed_floor),
           rows[r_ossl].name, median(rows[r_ossl].call_floor), median(rows[r_ossl].typed_floor));
    printf("   (A difference of a few µs is within the noise of the bare figures: the rows below,\n"
           "   with the RSA stubbed out, measure the library's part directly.)\n");
    printf("\n   The library's own work, measured directly (RSA stubbed out), against bare RSA + it:\n");
    {
        double lib = rows[r_stub].call_us, lib_o = rows[r_stub_ossl].call_us;
        double all = lib + rows[r_def].sign_us + rows[r_def].vrfy_us;
        double all_o = lib_o + rows[r_ossl].sign_us + rows[r_ossl].vrfy_us;
        printf("   %-38s %9.2f%%   (%.1f µs of %.1f µs)\n", rows[r_def].name, 100.0 * lib / all, lib, all);
        printf("   %-38s %9.2f%%   (%.1f µs of %.1f µs)\n", "OpenSSL EVP + RAND_bytes", 100.0 * lib_o / all_o, lib_o,
               all_o);
    }
    printf("   Most of the library's part is SHA-256 (BearSSL's portable code: the request, the 1 KB\n"
           "   answer, and the HMAC-DRBG behind the nonce when RAND_bytes is not used), then base64.\n");

    printf("\n   Typed call wxp_refund_create (validate, encode, call, decode into wxp_refund):\n");
    {
        double typed_stub = measure(op_typed_call, c_stub, 2000);
        typed_default = rows[r_def].typed_us;
        typed_ossl = rows[r_ossl].typed_us;
        printf("   %-38s %10.1f\n", rows[r_def].name, typed_default);
        printf("   %-38s %10.1f\n", "OpenSSL EVP", typed_ossl);
        printf("   %-38s %10.1f   (validate + encode + decode: %.1f µs)\n", "RSA stubbed out", typed_stub,
               typed_stub - measure(op_call, c_stub, 2000));
    }

    /* 3. */
    printf("\n3. Refund callback, %u-byte body: wxp_notify_parse (headers, clock, RSA verify, AES-256-GCM)\n"
           "   + wxp_refund_notify_decode\n\n", (unsigned)cb.len);
    notify_default = measure(op_notify, c_default, 1000);
    notify_ossl = measure(op_notify, c_ossl, 4000);
    printf("   %-38s %10.1f µs\n", "BearSSL default verifier", notify_default);
    printf("   %-38s %10.1f µs\n", "OpenSSL verifier", notify_ossl);
    printf("   %-38s %10.1f µs\n", "RSA stubbed out", measure(op_notify, c_stub, 4000));
    printf("   %-38s %10.1f µs\n", "AES-NI + PCLMUL probes (not per call)", measure(op_probe, NULL, 4000));
    printf("   (BearSSL's br_aes_x86ni_ctr_get_vtable and br_ghash_pclmul_get run CPUID, which a hypervisor\n"
           "   may trap: the client probes once, in wxp_client_init, and keeps the answer.)\n");

    /* 4. */
    check_payments(c_default);
    check_payments(c_ossl);
    check_payments(c_stub);
    printf("\n4. Payments: a Native order placed, and its payment callback\n\n");
    printf("   Typed call wxp_transaction_create_native (validate, encode, call POST %s,\n"
           "   decode into wxp_prepay_native): %u-byte request body, the transport replaying a %u-byte\n"
           "   code_url answer signed once up front:\n", native_prefix, (unsigned)native.request_len,
           (unsigned)(sizeof native_body - 1));
    {
        double typed_stub = measure(op_native, c_stub, 2000);
        printf("   %-38s %10.1f µs\n", rows[r_def].name, measure(op_native, c_default, rows[r_def].n));
        printf("   %-38s %10.1f µs\n", "OpenSSL EVP", measure(op_native, c_ossl, rows[r_ossl].n));
        printf("   %-38s %10.1f µs   (validate + encode + decode: %.1f µs)\n", "RSA stubbed out", typed_stub,
               typed_stub - measure(op_native_call, c_stub, 2000));
    }
    printf("\n   Payment callback (TRANSACTION.SUCCESS), %u-byte body, %u-byte transaction with one coupon\n"
           "   and one goods item: wxp_notify_parse (headers, clock, RSA verify, AES-256-GCM)\n"
           "   + wxp_transaction_notify_decode (its JSON tokens in the client's io_buf)\n",
           (unsigned)pay.len, (unsigned)pay.plain_len);
    printf("   %-38s %10.1f µs\n", "BearSSL default verifier", measure(op_pay_notify, c_default, 1000));
    printf("   %-38s %10.1f µs\n", "OpenSSL verifier", measure(op_pay_notify, c_ossl, 4000));
    printf("   %-38s %10.1f µs\n", "RSA stubbed out", measure(op_pay_notify, c_stub, 4000));

    /* 5. */
    memcpy(json_text, answer_body, sizeof answer_body);
    {
        double us = measure(op_json, json_text, 20000);
        printf("\n5. JSON: wxp_json_parse of the %u-byte refund answer (validate + tokens)\n\n",
               (unsigned)(sizeof answer_body - 1));
        printf("   %.2f µs per parse, %.0f MB/s\n", us, (double)(sizeof answer_body - 1) / us);
    }

    /* 6. */
    {
        double md5, hmac, xml;
        v2_sign_type = WXP_V2_MD5;
        md5 = measure(op_v2_sign_xml, NULL, 20000);
        v2_sign_type = WXP_V2_HMAC_SHA256;
        hmac = measure(op_v2_sign_xml, NULL, 20000);
        v2_call = measure(op_v2_refund, c_default, 20000);
        xml = measure(op_xml, v2_answer, 20000);
        printf("\n6. APIv2 refund (/secapi/pay/refund): the request's sign + XML, the whole call through a\n"
               "   transport replaying a signed %u-byte XML answer, and the XML reader\n\n",
               (unsigned)v2_answer_len);
        printf("   %-38s %10.2f µs\n", "sign (MD5) + XML", md5);
        printf("   %-38s %10.2f µs\n", "sign (HMAC-SHA256) + XML", hmac);
        printf("   %-38s %10.2f µs   (validate, sign, XML, parse, verify, decode)\n", "wxp_v2_refund, whole call", v2_call);
        printf("   %-38s %10.2f µs, %.0f MB/s   (with a copy of the text: parsing unescapes in place)\n",
               "wxp_xml_parse of the answer", xml, (double)v2_answer_len / xml);
    }

    if (argc > 1) {   /* for build/bench.json (bench/e2e.mjs): ratios to the bare RSA of the same backend */
        char text[1024];
        double floor_def = rows[r_def].sign_us + rows[r_def].vrfy_us;
        double floor_ossl = rows[r_ossl].sign_us + rows[r_ossl].vrfy_us;
        (void)floor_def; (void)floor_ossl;
#ifdef WXP_SHA256_PARTS
        int n;
        (void)typed_default; (void)notify_default; (void)v2_call;
        n = snprintf(text, sizeof text,
                         "json_v3_call_vs_floor_openssl=%.4f\njson_typed_refund_vs_floor_openssl=%.4f\n"
                         "json_v3_call_openssl_us=%.1f\njson_rsa_floor_openssl_us=%.1f\n"
                         "json_library_share_us=%.2f\njson_library_share_drbg_us=%.2f\n"
                         "json_callback_openssl_us=%.2f\n",
                         median(rows[r_ossl].call_floor), median(rows[r_ossl].typed_floor), rows[r_ossl].call_us,
                         floor_ossl, rows[r_stub_ossl].call_us, rows[r_stub].call_us, notify_ossl);
#else
        int n = snprintf(text, sizeof text,
                         "json_v3_call_vs_floor_bearssl=%.4f\njson_typed_refund_vs_floor_bearssl=%.4f\n"
                         "json_v3_call_bearssl_us=%.1f\njson_rsa_floor_bearssl_us=%.1f\n"
                         "json_library_share_bearssl_us=%.2f\njson_library_share_bearssl_rand_bytes_us=%.2f\n"
                         "json_v3_call_vs_floor_openssl_bearssl_hash=%.4f\njson_callback_bearssl_us=%.2f\n"
                         "json_callback_openssl_bearssl_hash_us=%.2f\njson_v2_call_us=%.2f\n",
                         median(rows[r_def].call_floor), median(rows[r_def].typed_floor), rows[r_def].call_us, floor_def,
                         rows[r_stub].call_us, rows[r_stub_ossl].call_us, median(rows[r_ossl].call_floor),
                         notify_default, notify_ossl, v2_call);
#endif
        write_file(argv[1], BENCH_FIGURES, text, (size_t)n);
    }
    printf("\nwhole bench: %.1f s\n", (now_us() - t0) / 1e6);
    for (i = 0; i < nclients; i++) wxp_client_wipe(&clients[i]);
    wxp_openssl_verifier_free(&ovf);
    wxp_openssl_key_free(&ossl_merchant);
    EVP_PKEY_free(ossl_wechatpay_pub);
    EVP_PKEY_CTX_free(oop.sign);
    EVP_PKEY_CTX_free(oop.vrfy);
    wxp_rsa_key_wipe(&merchant);
    wxp_rsa_key_wipe(&platform);
    return 0;
}
