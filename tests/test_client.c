/* Tests of the client section: wxp_client_init's checks, APIv3 calls through the
   simulator (transports/wechatpay_fake.h) from signing to verification, the
   tampering a client must catch, the transport contract, the engine split, path
   templates, typed refunds and their safe retries, sensitive fields and the
   certificate download. The client, the simulator and their buffers are static:
   wxp_fake is about 270 KiB and neither may move while in use. */
#include "tests.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1795424693LL /* 2026-11-23 09:04:53Z, inside the test certificate's validity */
/* The vectors' order: out_trade_no and transaction_id alike. */
#define ORDER "1217752501201407033233368018"
#define ORDER_TOTAL 888
#define TRADE_PATH "/v3/pay/transactions/out-trade-no/" ORDER "?mchid=" TEST_MCHID
#define REFUNDS_PATH "/v3/refund/domestic/refunds"
#define UNKNOWN_CERT_SERIAL "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
/* UTF-8 spelled out so the source stays ASCII. */
#define ZH_SOLD_OUT "\xe5\x95\x86\xe5\x93\x81\xe5\xb7\xb2\xe5\x94\xae\xe5\xae\x8c"
#define ZH_CHANGE "\xe6\x94\xaf\xe4\xbb\x98\xe7\x94\xa8\xe6\x88\xb7\xe9\x9b\xb6\xe9\x92\xb1"
#define ZH_NAME "\xe5\xbc\xa0\xe4\xb8\x89"

/* Reports the call's error with what the result says about it. */
#define ASSERT_ERR(call, want, r)                                                        \
    do {                                                                                 \
        wxp_err got_ = (call);                                                           \
        if (got_ != (want))                                                              \
            fail_msg("line %d: got %s, want %s (field \"%s\", code \"%s\", message \"%s\")", \
                     __LINE__, wxp_strerror(got_), wxp_strerror(want), (r).field,         \
                     (r).code, (r).message);                                              \
    } while (0)
#define ASSERT_OK(call, r) ASSERT_ERR(call, WXP_OK, r)

static wxp_fake fake;
static wxp_client client;
static unsigned char io[WXP_IO_BUFSIZE_DEFAULT];
static wxp_pubkey slots[4];
static wxp_keystore keys;
static wxp_rsa_key platform;
static wxp_pubkey merchant_pub;
static char merchant_pem[4096], wechatpay_pub_pem[1024], platform_cert_pem[2048];

/* ---- helpers --------------------------------------------------------------- */

static void assert_view(wxp_str got, const char *want)
{
    if (got.len != strlen(want) || memcmp(got.ptr, want, got.len) != 0)
        fail_msg("got \"%.*s\"\nwant \"%s\"", (int)got.len, got.ptr, want);
}

static int view_has(wxp_str hay, const char *needle)
{
    return strstr(test_cstr(hay), needle) != NULL;
}

/* The simulator: checks requests against the merchant's public key, signs
   answers with the platform key under platform_serial, on the shared clock. */
static void fake_up(const char *platform_serial)
{
    wxp_fake_config fc = test_fake_config(&merchant_pub, &platform);
    fc.platform_serial = platform_serial;
    assert_int_equal(wxp_fake_init(&fake, &fc), WXP_OK);
    assert_int_equal(wxp_fake_add_order(&fake, ORDER, ORDER, ORDER_TOTAL), WXP_OK);
}

/* A configuration wired to a fresh simulator holding one paid order of 888
   fen; the key store holds the WeChat Pay public key. Deterministic clock and
   random. Tests change what they need, then call client_up(). */
static wxp_config env(void)
{
    wxp_config cfg;
    wxp_result r;
    test_now = T0;
    test_platform_key(&platform);
    test_merchant_pub(&merchant_pub);
    wxp_keystore_init(&keys, slots, 4);
    ASSERT_OK(wxp_keystore_add_pubkey(&keys, TEST_PUB_ID,
                                      test_keep_file("tests/vectors/keys/wechatpay_pub.pem", wechatpay_pub_pem,
                                                     sizeof wechatpay_pub_pem),
                                      &r),
              r);
    fake_up(TEST_PUB_ID);
    cfg = test_config(&keys, io, sizeof io);
    cfg.private_key_pem = test_keep_file("tests/vectors/keys/merchant_key.pem", merchant_pem, sizeof merchant_pem);
    cfg.apiv3_key = wxp_cstr(TEST_APIV3_KEY);
    cfg.transport = wxp_fake_as_transport(&fake);
    cfg.random.fn = test_random;
    return cfg;
}

static void client_up(const wxp_config *cfg)
{
    wxp_result r;
    ASSERT_OK(wxp_client_init(&client, cfg, &r), r);
}

/* The client on env() as it is. */
static void env_up(void)
{
    wxp_config cfg = env();
    client_up(&cfg);
}

static wxp_str platform_cert(void)
{
    return test_keep_file("tests/vectors/keys/platform_cert.pem", platform_cert_pem, sizeof platform_cert_pem);
}

/* The Authorization header, split into its quoted fields. */
typedef struct auth_fields {
    char mchid[40], nonce_str[64], signature[WXP_SIG_B64_MAX + 1], timestamp[24], serial_no[80];
} auth_fields;

static void parse_auth(const char *h, auth_fields *a)
{
    static const char scheme[] = "WECHATPAY2-SHA256-RSA2048 ";
    const char *p;
    int seen = 0;
    memset(a, 0, sizeof *a);
    assert_non_null(h);
    assert_memory_equal(h, scheme, sizeof scheme - 1);
    p = h + sizeof scheme - 1;
    while (*p) {
        const char *eq = strchr(p, '='), *end;
        char *dst;
        size_t cap, n, kl;
        assert_non_null(eq);
        assert_int_equal(eq[1], '"');
        end = strchr(eq + 2, '"');
        assert_non_null(end);
        kl = (size_t)(eq - p);
#define AUTH_FIELD(name, bit)                                                   \
        if (kl == strlen(#name) && memcmp(p, #name, kl) == 0) {                 \
            dst = a->name; cap = sizeof a->name; seen |= bit;                   \
        } else
        AUTH_FIELD(mchid, 1) AUTH_FIELD(nonce_str, 2) AUTH_FIELD(signature, 4)
        AUTH_FIELD(timestamp, 8) AUTH_FIELD(serial_no, 16)
        { fail_msg("unknown Authorization field %.*s", (int)kl, p); return; }
#undef AUTH_FIELD
        n = (size_t)(end - eq - 2);
        assert_true(n < cap);
        memcpy(dst, eq + 2, n);
        dst[n] = 0;
        p = end + 1;
        if (*p == ',') p++;
        else assert_int_equal(*p, 0);
    }
    assert_int_equal(seen, 31);
}

/* The request's Authorization: this merchant, a fresh 32-character nonce, the
   clock's time, and a signature over METHOD\nPATH\nTS\nNONCE\nBODY\n that the
   merchant's public key verifies. */
static void assert_signed_request(const wxp_fake_record *rec, long long ts, auth_fields *a)
{
    char when[24];
    wxp_str parts[10];
    wxp_result r;
    size_t i;
    assert_non_null(rec);
    parse_auth(wxp_fake_record_header(rec, "Authorization"), a);
    assert_string_equal(a->mchid, TEST_MCHID);
    assert_int_equal(strlen(a->nonce_str), 32);
    for (i = 0; i < 32; i++)
        if (!strchr("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", a->nonce_str[i]))
            fail_msg("nonce_str character %c outside [0-9A-Za-z]", a->nonce_str[i]);
    snprintf(when, sizeof when, "%lld", ts);
    assert_string_equal(a->timestamp, when);
    assert_string_equal(a->serial_no, TEST_SERIAL);
    parts[0] = wxp_cstr(rec->method);    parts[1] = wxp_cstr("\n");
    parts[2] = wxp_cstr(rec->path);      parts[3] = parts[1];
    parts[4] = wxp_cstr(a->timestamp);   parts[5] = parts[1];
    parts[6] = wxp_cstr(a->nonce_str);   parts[7] = parts[1];
    parts[8].ptr = rec->body;            parts[8].len = rec->body_len;
    parts[9] = parts[1];
    ASSERT_OK(wxp_verify_base64(&merchant_pub, parts, 10, wxp_cstr(a->signature), &r), r);
}

/* Wechatpay-* headers of an answer signed by the platform key under serial,
   as WeChat Pay sends them: base64 RSA-SHA256 over TS\nNONCE\nBODY\n. */
typedef struct signed_headers {
    char ts[24], nonce[WXP_NONCE_LEN + 1], sig[WXP_SIG_B64_MAX + 1];
    wxp_http_header h[4];   /* Timestamp, Nonce, Signature, Serial */
} signed_headers;

static void sign_answer(signed_headers *s, const char *serial, wxp_str body)
{
    static char msg[8192];
    wxp_result r;
    size_t n, len = 0;
    snprintf(s->ts, sizeof s->ts, "%lld", test_now);
    strcpy(s->nonce, "5K8264ILTKCH16CQ2502SI8ZNMTM67VS");
    n = (size_t)snprintf(msg, sizeof msg, "%s\n%s\n", s->ts, s->nonce);
    assert_true(n + body.len + 1 < sizeof msg);
    memcpy(msg + n, body.ptr, body.len);
    n += body.len;
    msg[n++] = '\n';
    ASSERT_OK(wxp_sign_base64(&platform.vtable, msg, n, s->sig, sizeof s->sig, &len, &r), r);
    s->sig[len] = 0;
    s->h[0].name = wxp_cstr("Wechatpay-Timestamp"); s->h[0].value = wxp_cstr(s->ts);
    s->h[1].name = wxp_cstr("Wechatpay-Nonce");     s->h[1].value = wxp_cstr(s->nonce);
    s->h[2].name = wxp_cstr("Wechatpay-Signature"); s->h[2].value = wxp_cstr(s->sig);
    s->h[3].name = wxp_cstr("Wechatpay-Serial");    s->h[3].value = wxp_cstr(serial);
}

/* Queues a canned answer signed by hand (the fake adds no Wechatpay-* of its own). */
static void push_signed(int status, const char *serial, wxp_str body)
{
    signed_headers s;
    sign_answer(&s, serial, body);
    assert_int_equal(wxp_fake_push_raw(&fake, status, s.h, 4, body, WXP_FAKE_UNSIGNED), WXP_OK);
}

/* A hand-written server for the transport contract: one canned answer, sent
   however a test asks (in pieces, odd header spellings, no status). */
typedef struct canned {
    int status;                     /* 0: never calls wxp_http_response_status */
    const char *body;
    size_t piece;                   /* write size; 0: all at once */
    const wxp_http_header *headers;
    size_t nheaders;
    const char *fail;               /* non-NULL: fail with this text in errbuf */
    int fail_kind;                  /* what it returns then (0: WXP_TRANSPORT_ERROR) */
    unsigned calls;
    size_t offered, short_at;       /* bytes written; offset of the first short write */
    int short_seen;
} canned;

static int canned_transport(void *user, const wxp_http_request *req, wxp_http_response *res, char *errbuf,
                            size_t errbuf_size)
{
    canned *c = (canned *)user;
    size_t i, n = c->body ? strlen(c->body) : 0, piece = c->piece ? c->piece : n;
    (void)req;
    c->calls++;
    if (c->fail) {
        snprintf(errbuf, errbuf_size, "%s", c->fail);
        return c->fail_kind ? c->fail_kind : WXP_TRANSPORT_ERROR;
    }
    if (c->status) wxp_http_response_status(res, c->status);
    for (i = 0; i < c->nheaders; i++)
        wxp_http_response_header(res, c->headers[i].name.ptr, c->headers[i].name.len, c->headers[i].value.ptr,
                                 c->headers[i].value.len);
    /* The contract's SHOULD: go on writing after a short write, so that
       result.needed reports the full size. */
    for (i = 0; i < n; i += piece) {
        size_t k = n - i < piece ? n - i : piece;
        if (wxp_http_response_write(res, c->body + i, k) < k && !c->short_seen) {
            c->short_seen = 1;
            c->short_at = i;
        }
        c->offered += k;
    }
    return 0;
}

/* Sleeps of the retry loop: recorded, and the shared clock moves on. */
static struct { unsigned ms[8]; size_t n; } naps;

static void record_sleep(void *user, unsigned ms)
{
    (void)user;
    if (naps.n < 8) naps.ms[naps.n] = ms;
    naps.n++;
    test_now += (ms + 999) / 1000;
}

static wxp_config env_retrying(unsigned attempts)
{
    wxp_config cfg = env();
    memset(&naps, 0, sizeof naps);
    cfg.retry.attempts = attempts;
    cfg.retry.sleep = record_sleep;
    return cfg;
}

/* A refund of the order by out_trade_no. */
static wxp_refund_req refund_req(const char *out_refund_no, long long refund)
{
    wxp_refund_req q;
    memset(&q, 0, sizeof q);
    q.out_trade_no = ORDER;
    q.out_refund_no = out_refund_no;
    q.amount.refund = refund;
    q.amount.total = ORDER_TOTAL;
    return q;
}

/* An answer struct with room for two from[] entries and promotions. */
static wxp_refund_from out_from[4];
static wxp_refund_promotion out_promo[2];

static wxp_refund refund_out(size_t from_cap)
{
    wxp_refund o;
    /* Nested arrays are the caller's too: each promotion's goods_detail and
       its cap are read from these elements, so they start zeroed. */
    memset(out_promo, 0, sizeof out_promo);
    memset(&o, 0, sizeof o);
    o.amount.from = out_from;
    o.amount.from_cap = from_cap;
    o.promotion_detail = out_promo;
    o.promotion_detail_cap = 2;
    return o;
}

/* Poisons a result, so a call that does not clear it first shows. */
static void poison(wxp_result *r)
{
    memset(r, 0x5a, sizeof *r);
    r->code[sizeof r->code - 1] = 0;
    r->field[sizeof r->field - 1] = 0;
    r->message[sizeof r->message - 1] = 0;
    r->request_id[sizeof r->request_id - 1] = 0;
}

/* ---- wxp_client_init ------------------------------------------------------------- */

static void expect_init(const wxp_config *cfg, wxp_err want, const char *field)
{
    wxp_result r;
    wxp_err e = wxp_client_init(&client, cfg, &r);
    if (e != want)
        fail_msg("got %s, want %s (field \"%s\": %s)", wxp_strerror(e), wxp_strerror(want), r.field, r.message);
    if (field) assert_string_equal(r.field, field);
    if (want != WXP_OK) assert_true(r.message[0] != 0);
}

static void init_names_each_bad_field(void **state)
{
    static unsigned char small[WXP_IO_BUFSIZE_MIN - 1];
    wxp_config good, cfg;
    (void)state;
    good = env();
    cfg = good; cfg.mchid = NULL;               expect_init(&cfg, WXP_E_ARG, "mchid");
    cfg = good; cfg.mchid = "";                 expect_init(&cfg, WXP_E_ARG, "mchid");
    cfg = good; cfg.mchid = "19000x9191";       expect_init(&cfg, WXP_E_ARG, "mchid");
    cfg = good; cfg.mchid = " 1900009191";      expect_init(&cfg, WXP_E_ARG, "mchid");
    cfg = good; cfg.serial = NULL;              expect_init(&cfg, WXP_E_ARG, "serial");
    cfg = good; cfg.serial = "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8G"; expect_init(&cfg, WXP_E_ARG, "serial");
    cfg = good; cfg.serial = "PUB_KEY_ID_01";   expect_init(&cfg, WXP_E_ARG, "serial");
    cfg = good; cfg.transport.fn = NULL;        expect_init(&cfg, WXP_E_ARG, "transport");
    cfg = good; cfg.io_buf = NULL;              expect_init(&cfg, WXP_E_ARG, "io_buf");
    cfg = good; cfg.io_buf = small; cfg.io_buf_size = sizeof small; expect_init(&cfg, WXP_E_ARG, "io_buf");
    cfg = good; cfg.keys = NULL;                expect_init(&cfg, WXP_E_ARG, "keys");
    cfg = good; cfg.apiv3_key = wxp_cstr("a7cde1ZJB1kG2e7VfTs3jQzaWizur8G");   /* 31 */
    expect_init(&cfg, WXP_E_ARG, "apiv3_key");
    cfg = good; cfg.apiv3_key = wxp_cstr("a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gbx"); /* 33 */
    expect_init(&cfg, WXP_E_ARG, "apiv3_key");
    cfg = good; cfg.private_key_pem = wxp_cstr(""); expect_init(&cfg, WXP_E_ARG, "private_key_pem");
    /* What is not wrong: no APIv3 key (plain calls need none), the minimum io_buf. */
    cfg = good; cfg.apiv3_key = wxp_cstr("");   expect_init(&cfg, WXP_OK, NULL);
    cfg = good; cfg.io_buf_size = WXP_IO_BUFSIZE_MIN; expect_init(&cfg, WXP_OK, NULL);
    expect_init(&good, WXP_OK, NULL);
}

/* The frequent mix-up: the merchant's own certificate in the verification store. */
static void init_refuses_store_holding_merchant_serial(void **state)
{
    static char lower[64];
    wxp_config cfg;
    wxp_result r;
    size_t i;
    (void)state;
    cfg = env();
    ASSERT_OK(wxp_keystore_add_certs(&keys, platform_cert(), &r), r);
    cfg.serial = TEST_CERT_SERIAL;
    expect_init(&cfg, WXP_E_ARG, "keys");
    /* Serials are hex: the case does not hide the mix-up. */
    for (i = 0; TEST_CERT_SERIAL[i]; i++)
        lower[i] = (char)(TEST_CERT_SERIAL[i] >= 'A' && TEST_CERT_SERIAL[i] <= 'F' ? TEST_CERT_SERIAL[i] + 32
                                                                                 : TEST_CERT_SERIAL[i]);
    lower[i] = 0;
    cfg.serial = lower;
    expect_init(&cfg, WXP_E_ARG, "keys");
}

static void init_passes_key_errors_through(void **state)
{
    static wxp_rsa_key signer;
    static char ec[1024], enc[4096];
    wxp_config good, cfg;
    (void)state;
    good = env();
    cfg = good; cfg.private_key_pem = wxp_cstr("not a key at all");
    expect_init(&cfg, WXP_E_KEY, NULL);
    cfg = good; cfg.private_key_pem = test_keep_file("tests/fixtures/ec_key.pem", ec, sizeof ec);
    expect_init(&cfg, WXP_E_KEY_TYPE, NULL);
    cfg = good; cfg.private_key_pem = test_keep_file("tests/fixtures/rsa_key_pkcs8_encrypted.pem", enc, sizeof enc);
    expect_init(&cfg, WXP_E_KEY_ENCRYPTED, NULL);
    /* A signer alone is enough (an HSM keeps the key). */
    test_merchant_key(&signer);
    cfg = good; cfg.private_key_pem = wxp_cstr(""); cfg.signer = &signer.vtable;
    expect_init(&cfg, WXP_OK, NULL);
}

/* ---- one APIv3 call, end to end ---------------------------------------------- */

static void v3_call_signs_request_and_verifies_answer(void **state)
{
    static const char body[] = "{\"transaction_id\":\"" ORDER "\",\"out_refund_no\":\"R1\","
                               "\"amount\":{\"refund\":100,\"total\":888,\"currency\":\"CNY\"}}";
    const wxp_fake_record *rec;
    auth_fields a, b;
    wxp_result r;
    (void)state;
    env_up();
    ASSERT_OK(wxp_v3_request(&client, "POST", REFUNDS_PATH, wxp_cstr(body), &r), r);
    assert_int_equal(r.status, 200);
    assert_int_equal(strlen(r.request_id), 26);   /* the fake's 08F0... id */
    assert_memory_equal(r.request_id, "08F0", 4);
    assert_true(view_has(r.body, "\"out_refund_no\":\"R1\""));
    assert_true(view_has(r.body, "\"status\":\"PROCESSING\""));
    assert_int_equal(wxp_fake_refund_count(&fake), 1);

    rec = wxp_fake_last(&fake);
    assert_int_equal(rec->status, 200);   /* the simulator accepted the signature */
    assert_string_equal(rec->method, "POST");
    assert_string_equal(rec->host, WXP_DEFAULT_HOST);
    assert_string_equal(rec->path, REFUNDS_PATH);
    assert_int_equal(rec->timeout_ms, 10000);
    assert_int_equal(rec->client_cert, 0);
    assert_int_equal(rec->body_size, strlen(body));
    assert_memory_equal(rec->body, body, strlen(body));
    assert_signed_request(rec, T0, &a);
    assert_string_equal(wxp_fake_record_header(rec, "Accept"), "application/json");
    assert_non_null(strstr(wxp_fake_record_header(rec, "User-Agent"), "wechatpay.h/"));
    assert_string_equal(wxp_fake_record_header(rec, "Content-Type"), "application/json");
    assert_string_equal(wxp_fake_record_header(rec, "Wechatpay-Serial"), TEST_PUB_ID);

    /* A GET: no body, so no Content-Type; the signature covers the empty body. */
    test_now += 7;
    ASSERT_OK(wxp_v3_request(&client, "GET", REFUNDS_PATH "/R1", wxp_cstr(""), &r), r);
    assert_int_equal(r.status, 200);
    rec = wxp_fake_last(&fake);
    assert_int_equal(rec->body_size, 0);
    assert_signed_request(rec, T0 + 7, &b);
    assert_null(wxp_fake_record_header(rec, "Content-Type"));
    assert_string_equal(wxp_fake_record_header(rec, "Wechatpay-Serial"), TEST_PUB_ID);
    assert_true(strcmp(a.nonce_str, b.nonce_str) != 0);
}

/* Every case of v3_request_sign.json sent through the client: the Authorization
   the simulator received is the vector's, byte for byte. */
static void v3_authorization_on_the_wire_matches_vectors(void **state)
{
    test_vec v;
    int cases, c, n = 0;
    (void)state;
    env_up();
    test_vec_load(&v, "v3_request_sign.json");
    cases = wxp_json_get(&v.doc, 0, "cases");
    for (c = wxp_json_first(&v.doc, cases); c >= 0; c = wxp_json_next(&v.doc, cases, c)) {
        const wxp_fake_record *rec;
        wxp_result r;
        wxp_err e;
        test_now = strtoll(test_cstr(test_vec_str(&v, c, "timestamp")), NULL, 10);
        test_rand_nonce(test_cstr(test_vec_str(&v, c, "nonce")));
        e = wxp_v3_request(&client, test_cstr(test_vec_str(&v, c, "method")),
                           test_cstr(test_vec_str(&v, c, "url")), test_vec_str(&v, c, "body"), &r);
        /* Routes the fake does not serve answer a signed 404. */
        assert_true(e == WXP_OK || e == WXP_E_HTTP);
        rec = wxp_fake_last(&fake);
        assert_string_not_equal(rec->code, "SIGN_ERROR");
        assert_view(test_vec_str(&v, c, "authorization"), wxp_fake_record_header(rec, "Authorization"));
        n++;
    }
    assert_int_equal(n, 7);
}

static int vector_case(test_vec *v, const char *method, const char *url)
{
    int cases = wxp_json_get(&v->doc, 0, "cases"), c;
    for (c = wxp_json_first(&v->doc, cases); c >= 0; c = wxp_json_next(&v->doc, cases, c))
        if (strcmp(test_cstr(test_vec_str(v, c, "method")), method) == 0 &&
            strcmp(test_cstr(test_vec_str(v, c, "url")), url) == 0)
            return c;
    fail_msg("no vector for %s %s", method, url);
    return -1;
}

static void use_vector_stamp(test_vec *v, int c)
{
    test_now = strtoll(test_cstr(test_vec_str(v, c, "timestamp")), NULL, 10);
    test_rand_nonce(test_cstr(test_vec_str(v, c, "nonce")));
}

/* The typed calls build the same bytes as the vectors: refund create (the
   encoded body), refund query, transaction query and close (paths). */
static void typed_calls_match_vectors_byte_for_byte(void **state)
{
    wxp_refund_req q;
    wxp_refund out;
    wxp_transaction t;
    wxp_result r;
    test_vec v;
    int c;
    (void)state;
    env_up();
    test_vec_load(&v, "v3_request_sign.json");

    c = vector_case(&v, "POST", REFUNDS_PATH);
    memset(&q, 0, sizeof q);
    q.transaction_id = ORDER;
    q.out_refund_no = ORDER;
    q.reason = ZH_SOLD_OUT;
    q.notify_url = "https://weixin.qq.com";
    q.amount.refund = 888;
    q.amount.total = 888;
    out = refund_out(4);
    use_vector_stamp(&v, c);
    ASSERT_OK(wxp_refund_create(&client, &q, &out, &r), r);
    assert_view(test_vec_str(&v, c, "body"), wxp_fake_last(&fake)->body);
    assert_view(test_vec_str(&v, c, "authorization"), wxp_fake_record_header(wxp_fake_last(&fake), "Authorization"));

    c = vector_case(&v, "GET", REFUNDS_PATH "/" ORDER);
    use_vector_stamp(&v, c);
    ASSERT_OK(wxp_refund_query(&client, ORDER, NULL, &out, &r), r);
    assert_view(test_vec_str(&v, c, "authorization"), wxp_fake_record_header(wxp_fake_last(&fake), "Authorization"));

    c = vector_case(&v, "GET", TRADE_PATH);
    use_vector_stamp(&v, c);
    memset(&t, 0, sizeof t);
    ASSERT_OK(wxp_transaction_by_out_trade_no(&client, ORDER, &t, &r), r);
    assert_view(test_vec_str(&v, c, "authorization"), wxp_fake_record_header(wxp_fake_last(&fake), "Authorization"));

    /* Closing a paid order is refused (however the simulator words it); the
       request it received is what counts here. */
    c = vector_case(&v, "POST", "/v3/pay/transactions/out-trade-no/" ORDER "/close");
    use_vector_stamp(&v, c);
    {
        wxp_err e = wxp_transaction_close(&client, ORDER, &r);
        assert_true(e == WXP_OK || e == WXP_E_HTTP);
        assert_string_not_equal(wxp_fake_last(&fake)->code, "SIGN_ERROR");
    }
    assert_view(test_vec_str(&v, c, "body"), wxp_fake_last(&fake)->body);
    assert_view(test_vec_str(&v, c, "authorization"), wxp_fake_record_header(wxp_fake_last(&fake), "Authorization"));
}

/* ---- tampered answers ------------------------------------------------------------ */

/* The transaction query with the fake's faults on its answer: refused with
   want, and no body handed out. */
static void expect_fault(unsigned faults, wxp_err want, const char *field, wxp_result *r)
{
    wxp_config cfg = env();
    client_up(&cfg);
    wxp_fake_fault(&fake, faults);
    ASSERT_ERR(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), r), want, *r);
    assert_int_equal(wxp_fake_last(&fake)->faults, faults);
    assert_int_equal(r->status, 200);
    assert_int_equal(r->body.len, 0);
    if (field) assert_string_equal(r->field, field);
}

static void tampered_body_is_signature_error(void **state)
{
    wxp_result r;
    (void)state;
    expect_fault(WXP_FAKE_FLIP_BODY, WXP_E_SIGNATURE, NULL, &r);
}

static void changed_timestamp_header_is_signature_error(void **state)
{
    wxp_result r;
    (void)state;
    expect_fault(WXP_FAKE_BAD_TIMESTAMP, WXP_E_SIGNATURE, NULL, &r);
}

static void changed_nonce_header_is_signature_error(void **state)
{
    wxp_result r;
    (void)state;
    expect_fault(WXP_FAKE_BAD_NONCE, WXP_E_SIGNATURE, NULL, &r);
}

static void unknown_serial_names_both_serials(void **state)
{
    wxp_result r;
    (void)state;
    expect_fault(WXP_FAKE_UNKNOWN_SERIAL, WXP_E_SERIAL, "Wechatpay-Serial", &r);
    assert_non_null(strstr(r.message, "PUB_KEY_ID_0000000000000000000000000000000000")); /* what signed */
    assert_non_null(strstr(r.message, TEST_PUB_ID));                                    /* what is held */
}

static void signtest_probe_is_refused(void **state)
{
    wxp_result r;
    (void)state;
    expect_fault(WXP_FAKE_SIGNTEST, WXP_E_SIGNTEST, "Wechatpay-Signature", &r);
}

static void unsigned_2xx_is_header_error(void **state)
{
    wxp_result r;
    (void)state;
    expect_fault(WXP_FAKE_UNSIGNED, WXP_E_HEADER, "Wechatpay-Timestamp", &r);
}

static void aged_answer_is_clock_error_past_max_skew(void **state)
{
    wxp_config cfg;
    wxp_result r;
    (void)state;
    cfg = env();
    client_up(&cfg);
    wxp_fake_fault_age(&fake, 301);
    ASSERT_ERR(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), WXP_E_CLOCK, r);
    assert_string_equal(r.field, "Wechatpay-Timestamp");
    assert_non_null(strstr(r.message, "301"));
    wxp_fake_fault_age(&fake, -301);   /* from the future: as bad */
    ASSERT_ERR(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), WXP_E_CLOCK, r);
    wxp_fake_fault_age(&fake, 300);    /* the edge is allowed */
    ASSERT_OK(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), r);

    /* A wider window, configured. */
    cfg.max_skew_s = 900;
    client_up(&cfg);
    wxp_fake_fault_age(&fake, 301);
    ASSERT_OK(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), r);
    wxp_fake_fault_age(&fake, 901);
    ASSERT_ERR(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), WXP_E_CLOCK, r);
    /* wxp_fake_clear_script drops a path scope too: the next age applies to any path. */
    wxp_fake_fault_on(&fake, "/v3/elsewhere", WXP_FAKE_DROP, 1);
    wxp_fake_clear_script(&fake);
    wxp_fake_fault_age(&fake, 901);
    ASSERT_ERR(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), WXP_E_CLOCK, r);
}

/* A correctly signed answer missing one of the four headers: that header is named. */
static void missing_wechatpay_header_is_named(void **state)
{
    static const char *const names[] = { "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature",
                                         "Wechatpay-Serial" };
    static const char body[] = "{\"trade_state\":\"SUCCESS\"}";
    size_t skip;
    (void)state;
    env_up();
    for (skip = 0; skip < 4; skip++) {
        signed_headers s;
        wxp_http_header h[3];
        wxp_result r;
        size_t i, n = 0;
        sign_answer(&s, TEST_PUB_ID, wxp_cstr(body));
        for (i = 0; i < 4; i++)
            if (i != skip) h[n++] = s.h[i];
        assert_int_equal(wxp_fake_push_raw(&fake, 200, h, 3, wxp_cstr(body), WXP_FAKE_UNSIGNED), WXP_OK);
        ASSERT_ERR(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), WXP_E_HEADER, r);
        assert_string_equal(r.field, names[skip]);
        assert_int_equal(r.body.len, 0);
    }
    /* And all four present: the same canned answer verifies. */
    {
        wxp_result r;
        push_signed(200, TEST_PUB_ID, wxp_cstr(body));
        ASSERT_OK(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), r);
        assert_view(r.body, body);
    }
}

/* Errors need not be signed (gateways answer too); code and message are parsed. */
static void unsigned_4xx_is_http_error_with_code(void **state)
{
    static const char body[] = "{\"code\":\"PARAM_ERROR\",\"message\":\"amount.total is required\","
                               "\"detail\":{\"field\":\"amount.total\"}}";
    static const char html[] = "<html>502 Bad Gateway</html>";
    wxp_result r;
    (void)state;
    env_up();
    assert_int_equal(wxp_fake_push_raw(&fake, 400, NULL, 0, wxp_cstr(body), WXP_FAKE_UNSIGNED), WXP_OK);
    ASSERT_ERR(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), WXP_E_HTTP, r);
    assert_int_equal(r.status, 400);
    assert_string_equal(r.code, "PARAM_ERROR");
    assert_string_equal(r.message, "amount.total is required");
    assert_view(r.body, body);
    assert_true(r.request_id[0] != 0);
    /* Not JSON: a generic code, the body still there to log. */
    assert_int_equal(wxp_fake_push_raw(&fake, 502, NULL, 0, wxp_cstr(html), WXP_FAKE_UNSIGNED), WXP_OK);
    ASSERT_ERR(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), WXP_E_HTTP, r);
    assert_int_equal(r.status, 502);
    assert_string_equal(r.code, "HTTP_ERROR");
    assert_view(r.body, html);
    /* The simulator's own errors are signed and verified: a 404 for an unknown order. */
    ASSERT_ERR(wxp_v3_request(&client, "GET", "/v3/pay/transactions/out-trade-no/NOPE01?mchid=" TEST_MCHID,
                              wxp_cstr(""), &r), WXP_E_HTTP, r);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.code, "ORDER_NOT_EXIST");
}

/* A signed error is verified like any answer: tampering wins over the code. */
static void signed_4xx_tampered_is_signature_error(void **state)
{
    static const char body[] = "{\"code\":\"NOT_ENOUGH\",\"message\":\"not enough balance\"}";
    wxp_result r;
    (void)state;
    env_up();
    assert_int_equal(wxp_fake_push(&fake, 403, body), WXP_OK);
    wxp_fake_fault(&fake, WXP_FAKE_FLIP_BODY);
    ASSERT_ERR(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), WXP_E_SIGNATURE, r);
    assert_int_equal(r.status, 403);
    assert_string_equal(r.code, "");
    assert_int_equal(wxp_fake_push(&fake, 403, body), WXP_OK);
    wxp_fake_fault(&fake, WXP_FAKE_UNKNOWN_SERIAL);
    ASSERT_ERR(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), WXP_E_SERIAL, r);
    /* Untouched, the same answer is an HTTP error with its code. */
    assert_int_equal(wxp_fake_push(&fake, 403, body), WXP_OK);
    ASSERT_ERR(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), WXP_E_HTTP, r);
    assert_string_equal(r.code, "NOT_ENOUGH");
    assert_string_equal(r.message, "not enough balance");
}

/* ---- the transport contract -------------------------------------------------- */

static void transport_failure_reports_errbuf_text(void **state)
{
    wxp_config cfg;
    wxp_result r;
    size_t before;
    (void)state;
    cfg = env();
    client_up(&cfg);
    assert_int_equal(wxp_fake_push_fail(&fake, "connect: connection refused (api.mch.weixin.qq.com:443)"),
                     WXP_OK);
    before = wxp_fake_request_count(&fake);
    ASSERT_ERR(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), WXP_E_TRANSPORT, r);
    assert_string_equal(r.message, "connect: connection refused (api.mch.weixin.qq.com:443)");
    assert_int_equal(r.status, 0);
    assert_int_equal(wxp_fake_request_count(&fake), before + 1);
    /* Without a reason: the library's own words, never an empty message. */
    {
        canned srv;
        memset(&srv, 0, sizeof srv);
        srv.fail = "";
        cfg.transport.fn = canned_transport;
        cfg.transport.user = &srv;
        client_up(&cfg);
        ASSERT_ERR(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), WXP_E_TRANSPORT, r);
        assert_true(r.message[0] != 0);
    }
}

/* What the transport returns names the failure; no answer heard is retried
   with the same request, a refused TLS handshake (nothing sent) is not: it
   goes to the backup host instead. */
static void transport_failure_kinds(void **state)
{
    static const struct { int kind; wxp_err e; unsigned calls; } k[] = {
        { WXP_TRANSPORT_ERROR, WXP_E_TRANSPORT, 3 },
        { WXP_TRANSPORT_TIMEOUT, WXP_E_TIMEOUT, 3 },
        { WXP_TRANSPORT_TLS, WXP_E_TLS, 2 },       /* nothing sent: the backup host, once */
        { 42, WXP_E_TRANSPORT, 3 },                 /* any other nonzero value */
        { -1, WXP_E_TRANSPORT, 3 },
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof k / sizeof k[0]; i++) {
        wxp_config cfg = env_retrying(3);
        canned srv;
        wxp_refund_req q = refund_req("R-kind", 100);
        wxp_refund out = refund_out(4);
        wxp_result r;
        memset(&srv, 0, sizeof srv);
        srv.fail = "the transport's reason";
        srv.fail_kind = k[i].kind;
        cfg.apiv2_key = wxp_cstr("192006250b4c09247ec02edce69f6a2d");
        cfg.transport.fn = canned_transport;
        cfg.transport.user = &srv;
        client_up(&cfg);
        ASSERT_ERR(wxp_refund_create(&client, &q, &out, &r), k[i].e, r);
        assert_non_null(strstr(r.message, "the transport's reason"));
        assert_string_equal(r.field, "transport");
        assert_int_equal(srv.calls, k[i].calls);
        /* APIv2 maps them the same way. */
        srv.calls = 0;
        ASSERT_ERR(wxp_v2_request(&client, "/pay/orderquery", NULL, 0, 0, NULL, 0, NULL, &r), k[i].e, r);
        assert_int_equal(srv.calls, k[i].kind == WXP_TRANSPORT_TLS ? 2 : 1);
    }
}

/* Hosts up and down in front of the simulator: a request to a host that is
   down fails with kind (nothing sent), the others reach the simulator; the
   host of every call is kept. */
typedef struct hosts {
    const char *down[2];
    int         kind;
    char        seen[8][32];
    unsigned    calls;
} hosts;

static int hosts_transport(void *user, const wxp_http_request *req, wxp_http_response *res, char *eb, size_t en)
{
    hosts *h = (hosts *)user;
    if (h->calls < 8) snprintf(h->seen[h->calls], sizeof h->seen[0], "%s", req->host);
    h->calls++;
    if ((h->down[0] && strcmp(req->host, h->down[0]) == 0) || (h->down[1] && strcmp(req->host, h->down[1]) == 0)) {
        snprintf(eb, en, "%s is down", req->host);
        return h->kind;
    }
    return wxp_fake_transport(&fake, req, res, eb, en);
}

/* cfg (from env, or given) with its transport fn over h, h zeroed; the
   failure kind a host that is down answers with. */
static wxp_config hosts_env(wxp_config cfg, hosts *h, wxp_transport_fn fn, int kind)
{
    memset(h, 0, sizeof *h);
    h->kind = kind;
    cfg.transport.fn = fn;
    cfg.transport.user = h;
    return cfg;
}

static void log_host(void *user, const wxp_log_event *ev) { snprintf((char *)user, 32, "%s", ev->host); }

/* A transport that heard something and still says NO_CONNECTION (an answer
   came, then the connection failed): the request may have been processed,
   so it never goes to the other host and result.sent stays 1. */
static int heard_then_noconn(void *user, const wxp_http_request *req, wxp_http_response *res, char *eb, size_t en)
{
    hosts *h = (hosts *)user;
    if (h->calls < 8) snprintf(h->seen[h->calls], sizeof h->seen[0], "%s", req->host);
    h->calls++;
    if (h->kind) wxp_http_response_status(res, 502);
    else (void)wxp_http_response_write(res, "<", 1);
    snprintf(eb, en, "connection lost");
    return WXP_TRANSPORT_NO_CONNECTION;
}

static void failover_never_after_something_heard(void **state)
{
    int k;
    (void)state;
    for (k = 0; k < 2; k++) {
        hosts h;
        wxp_config cfg = hosts_env(env(), &h, heard_then_noconn, k);
        wxp_result r;
        client_up(&cfg);
        assert_int_not_equal(wxp_v3_request(&client, "POST", "/v3/refund/domestic/refunds", wxp_cstr("{}"), &r), WXP_OK);
        assert_int_equal(h.calls, 1);
        assert_true(r.sent);
        /* ...and the next request still goes to the primary. */
        assert_int_not_equal(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), WXP_OK);
        assert_int_equal(h.calls, 2);
        assert_string_equal(h.seen[1], WXP_DEFAULT_HOST);
    }
}

/* config.retry over the failover: the first attempt may have left (a
   timeout on the primary); the second finds both hosts refusing. The call
   still says sent 1, and no attempt went to the backup but the refused one. */
static int timeout_then_down(void *user, const wxp_http_request *req, wxp_http_response *res, char *eb, size_t en)
{
    hosts *h = (hosts *)user;
    (void)res;
    if (h->calls < 8) snprintf(h->seen[h->calls], sizeof h->seen[0], "%s", req->host);
    snprintf(eb, en, "%s", h->calls ? "refused" : "timed out");
    return h->calls++ ? WXP_TRANSPORT_NO_CONNECTION : WXP_TRANSPORT_TIMEOUT;
}

static void retry_over_failover_keeps_sent(void **state)
{
    hosts h;
    wxp_config cfg = hosts_env(env_retrying(2), &h, timeout_then_down, 0);
    wxp_result r;
    wxp_refund_req q = refund_req("R-retry-failover", 100);
    wxp_refund out = refund_out(0);
    (void)state;
    client_up(&cfg);
    assert_int_equal(wxp_refund_create(&client, &q, &out, &r), WXP_E_TRANSPORT);
    assert_int_equal(h.calls, 3);
    assert_string_equal(h.seen[0], WXP_DEFAULT_HOST);
    assert_string_equal(h.seen[1], WXP_DEFAULT_HOST);
    assert_string_equal(h.seen[2], WXP_BACKUP_HOST);
    assert_true(r.sent);
}

/* The bounds past 16 bits survive the packed rows: a refund's
   goods_detail[].refund_quantity is at most 10^6. */
static void packed_bounds_past_16_bits(void **state)
{
    wxp_config cfg = env();
    wxp_result r;
    wxp_refund_req q = refund_req("R-bounds", 100);
    wxp_refund out = refund_out(0);
    wxp_refund_goods_req g;
    (void)state;
    memset(&g, 0, sizeof g);
    g.merchant_goods_id = "G1";
    g.unit_price = 100;
    g.refund_amount = 100;
    g.refund_quantity = 1000001;
    q.goods_detail = &g;
    q.goods_detail_count = 1;
    client_up(&cfg);
    ASSERT_ERR(wxp_refund_create(&client, &q, &out, &r), WXP_E_ARG, r);
    assert_string_equal(r.field, "goods_detail.0.refund_quantity");
    assert_false(r.sent);
}

/* WeChat Pay's backup domain by default: a request no connection could carry
   (refused, or a refused TLS handshake) goes once, at once, to the other host,
   which keeps the following requests until it fails in turn; one that may
   have left never does; both down names both, sent 0. */
static void failover_to_the_backup_host(void **state)
{
    static const int kinds[] = { WXP_TRANSPORT_NO_CONNECTION, WXP_TRANSPORT_TLS };
    size_t i;
    (void)state;
    for (i = 0; i < 2; i++) {
        hosts h;
        wxp_config cfg = hosts_env(env(), &h, hosts_transport, kinds[i]);
        wxp_result r;
        char logged[32] = "";
        h.down[0] = WXP_DEFAULT_HOST;
        cfg.log.fn = log_host;
        cfg.log.user = logged;
        client_up(&cfg);
        ASSERT_OK(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), r);
        assert_int_equal(h.calls, 2);
        assert_string_equal(h.seen[0], WXP_DEFAULT_HOST);
        assert_string_equal(h.seen[1], WXP_BACKUP_HOST);
        assert_string_equal(logged, WXP_BACKUP_HOST);       /* the log names the host used */
        /* The backup keeps the requests (APIv2's too). */
        ASSERT_OK(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), r);
        assert_int_equal(h.calls, 3);
        assert_string_equal(h.seen[2], WXP_BACKUP_HOST);
        /* The backup goes down, the primary is back: back to it, once. */
        h.down[0] = WXP_BACKUP_HOST;
        ASSERT_OK(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), r);
        assert_int_equal(h.calls, 5);
        assert_string_equal(h.seen[4], WXP_DEFAULT_HOST);
        /* Both down: one call to each, the error names both, nothing sent. */
        h.down[1] = WXP_DEFAULT_HOST;
        ASSERT_ERR(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r),
                   kinds[i] == WXP_TRANSPORT_TLS ? WXP_E_TLS : WXP_E_TRANSPORT, r);
        assert_int_equal(h.calls, 7);
        assert_false(r.sent);
        assert_non_null(strstr(r.message, WXP_DEFAULT_HOST ": " WXP_DEFAULT_HOST " is down"));
        assert_non_null(strstr(r.message, WXP_BACKUP_HOST ": " WXP_BACKUP_HOST " is down"));
    }
    /* A request that may have left (the connection died after it): never sent
       to the other host. */
    {
        hosts h;
        wxp_config cfg = hosts_env(env(), &h, hosts_transport, WXP_TRANSPORT_ERROR);
        wxp_result r;
        h.down[0] = WXP_DEFAULT_HOST;
        client_up(&cfg);
        ASSERT_ERR(wxp_v3_request(&client, "POST", "/v3/refund/domestic/refunds", wxp_cstr("{}"), &r),
                   WXP_E_TRANSPORT, r);
        assert_int_equal(h.calls, 1);
        assert_true(r.sent);
    }
    /* Another host without a backup, or backup_host "": no failover. */
    {
        static const char *const set[] = { NULL, "" };
        size_t k;
        for (k = 0; k < 2; k++) {
            hosts h;
            wxp_config cfg = hosts_env(env(), &h, hosts_transport, WXP_TRANSPORT_NO_CONNECTION);
            wxp_result r;
            h.down[0] = k == 0 ? "pay.example.test" : WXP_DEFAULT_HOST;
            cfg.host = k == 0 ? "pay.example.test" : NULL;
            cfg.backup_host = set[k];
            client_up(&cfg);
            ASSERT_ERR(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), WXP_E_TRANSPORT, r);
            assert_int_equal(h.calls, 1);
            assert_false(r.sent);
        }
    }
}

/* A body larger than io_buf: WXP_E_NOSPACE with the full size, never a cut body. */
static void oversized_body_reports_full_size(void **state)
{
    static char big[5001];
    wxp_config cfg;
    canned srv;
    wxp_result r;
    (void)state;
    memset(big, 'x', 5000);
    big[5000] = 0;
    memset(&srv, 0, sizeof srv);
    srv.status = 200;
    srv.body = big;
    srv.piece = 7;
    cfg = env();
    cfg.io_buf_size = WXP_IO_BUFSIZE_MIN;
    cfg.transport.fn = canned_transport;
    cfg.transport.user = &srv;
    client_up(&cfg);
    ASSERT_ERR(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), WXP_E_NOSPACE, r);
    assert_int_equal(r.needed, 5000);
    assert_string_equal(r.field, "io_buf");
    assert_int_equal(r.body.len, 0);
    assert_int_equal(srv.offered, 5000);
    /* Pieces go in whole or not at all: the first one that does not fit is refused. */
    assert_true(srv.short_seen);
    assert_int_equal(srv.short_at, 7 * (WXP_IO_BUFSIZE_MIN / 7));
}

/* A signed answer that leaves less room after it than one token: WXP_E_NOSPACE,
   never a parse that only measured (it used to crash the typed call). */
static void answer_filling_io_buf_is_nospace(void **state)
{
    static char body[WXP_IO_BUFSIZE_MIN + 1];
    wxp_config cfg;
    wxp_transaction tx;
    wxp_result r;
    wxp_err e;
    size_t n, decoded = 0, nospace = 0;
    (void)state;
    cfg = env();
    cfg.io_buf_size = WXP_IO_BUFSIZE_MIN;
    client_up(&cfg);
    for (n = WXP_IO_BUFSIZE_MIN - 48; n <= WXP_IO_BUFSIZE_MIN; n++) { /* the fake sends 4096 at most */
        memset(body, 'x', n);
        memcpy(body, "{\"a\":\"", 6);
        memcpy(body + n - 2, "\"}", 2);
        body[n] = 0;
        assert_int_equal(wxp_fake_push(&fake, 200, body), WXP_OK);
        memset(&tx, 0, sizeof tx);
        e = wxp_transaction_by_id(&client, "4200000000000000000000000001", &tx, &r);
        if (e == WXP_E_NOTFOUND) {              /* the tokens fitted: the answer lacks the fields */
            assert_string_equal(r.field, "out_trade_no");
            decoded++;
        } else {
            assert_int_equal(e, WXP_E_NOSPACE);
            assert_true(strcmp(r.field, "json tokens") == 0 || strcmp(r.field, "io_buf") == 0);
            assert_true(r.needed > 0);
            nospace++;
        }
    }
    assert_true(decoded > 0 && nospace > 0);
}

static void transport_without_status_is_transport_error(void **state)
{
    wxp_config cfg;
    canned srv;
    wxp_result r;
    (void)state;
    memset(&srv, 0, sizeof srv);
    srv.body = "{}";
    cfg = env();
    cfg.transport.fn = canned_transport;
    cfg.transport.user = &srv;
    client_up(&cfg);
    ASSERT_ERR(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), WXP_E_TRANSPORT, r);
    assert_string_equal(r.field, "status");
}

/* HTTP header names are case-insensitive and values may carry spaces (HTTP/2
   sends lowercase names): both are accepted. */
static void headers_match_any_case_and_values_are_trimmed(void **state)
{
    static const char body[] = "{\"trade_state\":\"SUCCESS\"}";
    static char v[5][WXP_SIG_B64_MAX + 16];
    wxp_config cfg;
    canned srv;
    signed_headers s;
    wxp_http_header h[5];
    wxp_result r;
    (void)state;
    cfg = env();
    sign_answer(&s, TEST_PUB_ID, wxp_cstr(body));
    snprintf(v[0], sizeof v[0], "  %s \t", s.ts);
    snprintf(v[1], sizeof v[1], "\t%s", s.nonce);
    snprintf(v[2], sizeof v[2], " %s  \r\n", s.sig);
    snprintf(v[3], sizeof v[3], "%s   ", TEST_PUB_ID);
    snprintf(v[4], sizeof v[4], " 08F0TRIMMED ");
    h[0].name = wxp_cstr("wechatpay-timestamp"); h[0].value = wxp_cstr(v[0]);
    h[1].name = wxp_cstr("WECHATPAY-NONCE");     h[1].value = wxp_cstr(v[1]);
    h[2].name = wxp_cstr("wechatpay-signature"); h[2].value = wxp_cstr(v[2]);
    h[3].name = wxp_cstr("WeChatPay-Serial");    h[3].value = wxp_cstr(v[3]);
    h[4].name = wxp_cstr("request-id");          h[4].value = wxp_cstr(v[4]);
    memset(&srv, 0, sizeof srv);
    srv.status = 200;
    srv.body = body;
    srv.piece = 5;
    srv.headers = h;
    srv.nheaders = 5;
    cfg.transport.fn = canned_transport;
    cfg.transport.user = &srv;
    client_up(&cfg);
    ASSERT_OK(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), r);
    assert_string_equal(r.request_id, "08F0TRIMMED");
    assert_view(r.body, body);
    /* A signature header longer than any RSA signature is refused, not cut. */
    {
        static char longsig[WXP_SIG_B64_MAX + 64];
        memset(longsig, 'A', sizeof longsig - 1);
        longsig[sizeof longsig - 1] = 0;
        h[2].value = wxp_cstr(longsig);
        ASSERT_ERR(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), WXP_E_HEADER, r);
    }
}

/* What the client refuses before signing: nothing reaches the transport. */
static int failing_random(void *user, void *buf, size_t len)
{
    (void)user;
    (void)buf;
    (void)len;
    return -1;
}

static void v3_request_refuses_bad_method_path_and_random(void **state)
{
    wxp_config cfg;
    wxp_result r;
    (void)state;
    cfg = env();
    client_up(&cfg);
    ASSERT_ERR(wxp_v3_request(&client, "get", TRADE_PATH, wxp_cstr(""), &r), WXP_E_ARG, r);
    assert_string_equal(r.field, "method");
    ASSERT_ERR(wxp_v3_request(&client, "HEAD", TRADE_PATH, wxp_cstr(""), &r), WXP_E_ARG, r);
    assert_string_equal(r.field, "method");
    ASSERT_ERR(wxp_v3_request(&client, "GET", "v3/pay", wxp_cstr(""), &r), WXP_E_ARG, r);
    assert_string_equal(r.field, "path");
    ASSERT_ERR(wxp_v3_request(&client, "GET", "/v3/pay x", wxp_cstr(""), &r), WXP_E_ARG, r);
    assert_string_equal(r.field, "path");
    ASSERT_ERR(wxp_v3_request(&client, "GET", "", wxp_cstr(""), &r), WXP_E_ARG, r);
    cfg.random.fn = failing_random;
    client_up(&cfg);
    ASSERT_ERR(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), WXP_E_RANDOM, r);
    assert_int_equal(wxp_fake_request_count(&fake), 0);
}

/* The nonce's letters from random bytes, as the library maps them: 6 bits
   each (big-endian), 62 and 63 skipped. 0: the bytes ran out first. */
static int nonce_of(const unsigned char *b, size_t n, char out[WXP_NONCE_LEN + 1])
{
    static const char al[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    size_t o = 0, bit;
    for (bit = 0; bit + 6 <= n * 8 && o < WXP_NONCE_LEN; bit += 6) {
        unsigned v = ((unsigned)b[bit / 8] << 8 | (bit / 8 + 1 < n ? b[bit / 8 + 1] : 0u)) >> (10 - bit % 8) & 63u;
        if (v < 62) out[o++] = al[v];
    }
    out[o] = 0;
    return o == WXP_NONCE_LEN;
}

/* The default random source: the client's HMAC-DRBG, generating a pool at a
   time. Every byte is handed out once, in the DRBG's order (nothing repeated,
   nothing skipped), zeroed in the pool as it goes; a nonce takes 30 bytes;
   wxp_client_wipe leaves nothing of the pool or the DRBG. */
static void default_random_hands_out_each_pool_byte_once(void **state)
{
    static unsigned char want[4 * sizeof client.wxp__priv.pool.b], got[sizeof want];
    static const size_t draws[] = { 1, 7, 30, 256, 300, 2, 218 };
    const size_t pool = sizeof client.wxp__priv.pool.b;
    br_hmac_drbg_context ref;
    wxp_config cfg;
    wxp_random rnd;
    wxp_result r;
    auth_fields a;
    char nonce[WXP_NONCE_LEN + 1];
    size_t i, o = 0;
    const unsigned char *p;
    (void)state;
    cfg = env();
    cfg.random.fn = NULL;
    client_up(&cfg);
    assert_int_equal(client.wxp__priv.pool.left, 0); /* nothing generated yet */
    /* A known seed in place of the OS's, and a reference DRBG on it that
       generates pool-sized blocks, as the client does. */
    br_hmac_drbg_init(&client.wxp__priv.drbg, &br_sha256_vtable, "pool", 4);
    br_hmac_drbg_init(&ref, &br_sha256_vtable, "pool", 4);
    for (i = 0; i < sizeof want / pool; i++) br_hmac_drbg_generate(&ref, want + i * pool, pool);
    rnd = client.wxp__priv.cfg.random;
    for (i = 0; i < sizeof draws / sizeof draws[0]; i++) {
        size_t k, used;
        assert_int_equal(rnd.fn(rnd.user, got + o, draws[i]), 0);
        o += draws[i];
        used = pool - client.wxp__priv.pool.left;
        assert_int_equal(used, o % pool ? o % pool : pool);
        for (k = 0; k < used; k++) assert_int_equal(client.wxp__priv.pool.b[k], 0);
    }
    assert_int_equal(o, 814);
    assert_memory_equal(got, want, o);
    /* Two calls: each nonce is made of the next 30 bytes. */
    ASSERT_OK(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), r);
    parse_auth(wxp_fake_record_header(wxp_fake_last(&fake), "Authorization"), &a);
    assert_true(nonce_of(want + o, 30, nonce));
    assert_string_equal(a.nonce_str, nonce);
    ASSERT_OK(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), r);
    parse_auth(wxp_fake_record_header(wxp_fake_last(&fake), "Authorization"), &a);
    assert_true(nonce_of(want + o + 30, 30, nonce));
    assert_string_equal(a.nonce_str, nonce);
    assert_int_equal(client.wxp__priv.pool.left, 4 * pool - o - 60);
    wxp_client_wipe(&client);
    assert_int_equal(client.wxp__priv.pool.left, 0);
    p = (const unsigned char *)&client.wxp__priv.pool;
    for (i = 0; i < sizeof client.wxp__priv.pool; i++) assert_int_equal(p[i], 0);
    p = (const unsigned char *)&client.wxp__priv.drbg;
    for (i = 0; i < sizeof client.wxp__priv.drbg; i++) assert_int_equal(p[i], 0);
}

/* A caller's random source: draws counted; the first `skipped` draws give
   only bytes whose letters are all skipped (0xFF), the draw `fail_at` fails. */
typedef struct counted_random { unsigned draws, skipped, fail_at; size_t bytes; } counted_random;

static int counted(void *user, void *buf, size_t len)
{
    counted_random *c = (counted_random *)user;
    c->draws++;
    c->bytes += len;
    if (c->draws == c->fail_at) return -1;
    if (c->draws <= c->skipped) memset(buf, 0xFF, len);
    else return test_random(NULL, buf, len);
    return 0;
}

/* A caller's source is asked once per nonce (30 bytes); a draw whose letters
   are all skipped is topped up; a source that fails, or never gives letters,
   fails the call with WXP_E_RANDOM before anything is sent. */
static void nonce_draws_from_a_caller_source(void **state)
{
    counted_random cr;
    wxp_config cfg;
    wxp_result r;
    auth_fields a;
    (void)state;
    cfg = env();
    cfg.random.fn = counted;
    cfg.random.user = &cr;
    client_up(&cfg);
    memset(&cr, 0, sizeof cr);
    ASSERT_OK(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), r);
    assert_int_equal(cr.draws, 1);
    assert_int_equal(cr.bytes, 30);
    memset(&cr, 0, sizeof cr);
    cr.skipped = 1;
    ASSERT_OK(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), r);
    assert_int_equal(cr.draws, 2);
    assert_signed_request(wxp_fake_last(&fake), T0, &a);
    assert_int_equal(wxp_fake_request_count(&fake), 2);
    memset(&cr, 0, sizeof cr); /* the top-up fails */
    cr.skipped = 1;
    cr.fail_at = 2;
    ASSERT_ERR(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), WXP_E_RANDOM, r);
    assert_string_equal(r.field, "random");
    assert_int_equal(r.sent, 0);
    memset(&cr, 0, sizeof cr); /* never a letter: it gives up after 16 draws */
    cr.skipped = 1000;
    ASSERT_ERR(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), WXP_E_RANDOM, r);
    assert_int_equal(cr.draws, 16);
    assert_int_equal(r.sent, 0);
    assert_int_equal(wxp_fake_request_count(&fake), 2);
}

static void config_host_and_timeout_reach_the_transport(void **state)
{
    wxp_config cfg;
    wxp_result r;
    (void)state;
    cfg = env();
    cfg.host = WXP_BACKUP_HOST;
    cfg.timeout_ms = 2500;
    client_up(&cfg);
    ASSERT_OK(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), r);
    assert_string_equal(wxp_fake_last(&fake)->host, WXP_BACKUP_HOST);
    assert_int_equal(wxp_fake_last(&fake)->timeout_ms, 2500);
}

/* ---- the engine split ------------------------------------------------------------ */

static void prepare_transport_finish_equals_v3_request(void **state)
{
    static char first[4096];
    const wxp_http_request *req = NULL;
    wxp_http_response *resp = NULL;
    char errbuf[WXP_ERRBUF_SIZE];
    wxp_result r1, r2;
    auth_fields a;
    size_t n1, i;
    int has_auth = 0;
    (void)state;
    env_up();
    ASSERT_OK(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r1), r1);
    n1 = r1.body.len;
    assert_true(n1 < sizeof first);
    memcpy(first, r1.body.ptr, n1);

    ASSERT_OK(wxp_v3_prepare(&client, "GET", TRADE_PATH, wxp_cstr(""), &req, &resp, &r2), r2);
    assert_non_null(req);
    assert_non_null(resp);
    assert_string_equal(req->method, "GET");
    assert_string_equal(req->host, WXP_DEFAULT_HOST);
    assert_view(req->path, TRADE_PATH);
    assert_int_equal(req->body.len, 0);
    assert_int_equal(req->timeout_ms, 10000);
    assert_null(req->client_cert);
    for (i = 0; i < req->header_count; i++)
        has_auth |= req->headers[i].name.len == 13 && memcmp(req->headers[i].name.ptr, "Authorization", 13) == 0;
    assert_true(has_auth);
    assert_int_equal(wxp_fake_transport(&fake, req, resp, errbuf, sizeof errbuf), 0);
    ASSERT_OK(wxp_v3_finish(&client, &r2), r2);
    assert_int_equal(r2.status, r1.status);
    assert_true(r2.request_id[0] != 0);
    assert_string_not_equal(r2.request_id, r1.request_id);   /* two answers */
    assert_int_equal(r2.body.len, n1);
    assert_memory_equal(r2.body.ptr, first, n1);
    assert_signed_request(wxp_fake_last(&fake), T0, &a);

    /* finish checks exactly as the one-call form does. */
    ASSERT_OK(wxp_v3_prepare(&client, "GET", TRADE_PATH, wxp_cstr(""), &req, &resp, &r2), r2);
    wxp_fake_fault(&fake, WXP_FAKE_FLIP_BODY);
    assert_int_equal(wxp_fake_transport(&fake, req, resp, errbuf, sizeof errbuf), 0);
    ASSERT_ERR(wxp_v3_finish(&client, &r2), WXP_E_SIGNATURE, r2);
}

/* "Every call that takes one clears it first": finish too, since an
   event-driven caller may hand it a result of its own. */
static void v3_finish_clears_stale_result(void **state)
{
    const wxp_http_request *req = NULL;
    wxp_http_response *resp = NULL;
    char errbuf[WXP_ERRBUF_SIZE];
    wxp_result r1, r2;
    (void)state;
    env_up();
    ASSERT_OK(wxp_v3_prepare(&client, "GET", TRADE_PATH, wxp_cstr(""), &req, &resp, &r1), r1);
    assert_int_equal(wxp_fake_transport(&fake, req, resp, errbuf, sizeof errbuf), 0);
    poison(&r2);
    ASSERT_OK(wxp_v3_finish(&client, &r2), r2);
    assert_string_equal(r2.code, "");
    assert_string_equal(r2.field, "");
    assert_string_equal(r2.message, "");
    assert_int_equal(r2.needed, 0);
    assert_int_equal(r2.offset, 0);
}

/* ---- wxp_path_fill --------------------------------------------------------------- */

static void path_fill_encodes_and_names_missing_params(void **state)
{
    static const char *const ab[] = { "id", "a b/c", NULL };
    static const char *const zh[] = { "no", "\xe9\x80\x80\xe6\xac\xbe-_.~", "id", "x", NULL };
    static const char *const empty[] = { "id", "", NULL };
    static const char *const other[] = { "idx", "1", NULL };
    char out[128];
    wxp_result r;
    size_t len = 0;
    (void)state;
    ASSERT_OK(wxp_path_fill(out, sizeof out, "/v3/x/{id}/y", ab, &len, &r), r);
    assert_string_equal(out, "/v3/x/a%20b%2Fc/y");
    assert_int_equal(len, strlen(out));
    /* UTF-8 byte by byte, the unreserved set as is, names matched whole. */
    ASSERT_OK(wxp_path_fill(out, sizeof out, "/r/{no}/{id}", zh, &len, &r), r);
    assert_string_equal(out, "/r/%E9%80%80%E6%AC%BE-_.~/x");
    /* No placeholder: copied. */
    ASSERT_OK(wxp_path_fill(out, sizeof out, "/v3/certificates", NULL, &len, &r), r);
    assert_string_equal(out, "/v3/certificates");

    ASSERT_ERR(wxp_path_fill(out, sizeof out, "/v3/x/{id}", NULL, &len, &r), WXP_E_ARG, r);
    assert_string_equal(r.field, "id");
    ASSERT_ERR(wxp_path_fill(out, sizeof out, "/v3/x/{id}", empty, &len, &r), WXP_E_ARG, r);
    assert_string_equal(r.field, "id");
    ASSERT_ERR(wxp_path_fill(out, sizeof out, "/v3/x/{id}", other, &len, &r), WXP_E_ARG, r);
    assert_string_equal(r.field, "id");
    ASSERT_ERR(wxp_path_fill(out, sizeof out, "/v3/x/{id", ab, &len, &r), WXP_E_ARG, r);

    /* Too small: the size with the NUL; exactly that size fits. */
    ASSERT_ERR(wxp_path_fill(out, 10, "/v3/x/{id}/y", ab, &len, &r), WXP_E_NOSPACE, r);
    assert_int_equal(r.needed, strlen("/v3/x/a%20b%2Fc/y") + 1);
    ASSERT_OK(wxp_path_fill(out, strlen("/v3/x/a%20b%2Fc/y") + 1, "/v3/x/{id}/y", ab, &len, &r), r);
    assert_string_equal(out, "/v3/x/a%20b%2Fc/y");
}

/* ---- typed refunds ------------------------------------------------------------------ */

static void refund_encode_equals_vector_body(void **state)
{
    wxp_refund_req q;
    char buf[1024];
    size_t len = 0, measured = 0;
    wxp_result r;
    test_vec v;
    int c;
    (void)state;
    test_vec_load(&v, "v3_request_sign.json");
    c = vector_case(&v, "POST", REFUNDS_PATH);
    memset(&q, 0, sizeof q);
    q.transaction_id = ORDER;
    q.out_refund_no = ORDER;
    q.reason = ZH_SOLD_OUT;
    q.notify_url = "https://weixin.qq.com";
    q.amount.refund = 888;
    q.amount.total = 888;
    q.amount.currency = "CNY";
    ASSERT_OK(wxp_refund_req_encode(buf, sizeof buf, &q, &len, &r), r);
    assert_view(test_vec_str(&v, c, "body"), buf);
    assert_int_equal(len, strlen(buf));
    /* The currency defaults to CNY: the same bytes without it. */
    q.amount.currency = NULL;
    ASSERT_OK(wxp_refund_req_encode(buf, sizeof buf, &q, &len, &r), r);
    assert_view(test_vec_str(&v, c, "body"), buf);
    /* NULL measures. */
    ASSERT_OK(wxp_refund_req_encode(NULL, 0, &q, &measured, &r), r);
    assert_int_equal(measured, len);
}

static void refund_create_decodes_every_field(void **state)
{
    static char sent[1024];
    wxp_refund_req q;
    wxp_refund_from_req from[2];
    wxp_refund_goods_req goods[1];
    wxp_refund out;
    wxp_result r;
    const wxp_fake_refund *booked;
    size_t len = 0;
    (void)state;
    env_up();
    q = refund_req("R-create_1", 100);
    q.reason = ZH_SOLD_OUT;
    q.notify_url = "https://example.com/wxpay/refund";
    q.funds_account = "AVAILABLE";
    from[0].account = "AVAILABLE";   from[0].amount = 60;
    from[1].account = "UNAVAILABLE"; from[1].amount = 40;
    q.amount.from = from;
    q.amount.from_count = 2;
    goods[0].merchant_goods_id = "G1";
    goods[0].wechatpay_goods_id = NULL;
    goods[0].goods_name = "tea";
    goods[0].unit_price = 100;
    goods[0].refund_amount = 100;
    goods[0].refund_quantity = 1;
    q.goods_detail = goods;
    q.goods_detail_count = 1;
    ASSERT_OK(wxp_refund_req_encode(sent, sizeof sent, &q, &len, &r), r);

    out = refund_out(4);
    ASSERT_OK(wxp_refund_create(&client, &q, &out, &r), r);
    assert_int_equal(r.status, 200);
    /* What went out is the encoder's output, currency included. */
    assert_string_equal(wxp_fake_last(&fake)->body, sent);
    assert_non_null(strstr(sent, "\"currency\":\"CNY\""));
    assert_non_null(strstr(sent, "\"goods_detail\":[{\"merchant_goods_id\":\"G1\""));

    booked = wxp_fake_find_refund(&fake, "R-create_1");
    assert_non_null(booked);
    assert_view(out.refund_id, booked->refund_id);
    assert_int_equal(out.refund_id.len, 29);
    assert_view(out.out_refund_no, "R-create_1");
    assert_view(out.transaction_id, ORDER);
    assert_view(out.out_trade_no, ORDER);
    assert_view(out.channel, "ORIGINAL");
    assert_view(out.user_received_account, ZH_CHANGE);
    assert_view(out.success_time, "");
    assert_view(out.create_time, "2026-11-23T17:04:53+08:00");
    assert_view(out.status, "PROCESSING");
    assert_view(out.funds_account, "AVAILABLE");
    assert_int_equal(out.amount.total, 888);
    assert_int_equal(out.amount.refund, 100);
    assert_int_equal(out.amount.from_count, 2);
    assert_view(out.amount.from[0].account, "AVAILABLE");
    assert_int_equal(out.amount.from[0].amount, 60);
    assert_view(out.amount.from[1].account, "UNAVAILABLE");
    assert_int_equal(out.amount.from[1].amount, 40);
    assert_int_equal(out.amount.payer_total, 888);
    assert_int_equal(out.amount.payer_refund, 100);
    assert_int_equal(out.amount.settlement_refund, 100);
    assert_int_equal(out.amount.settlement_total, 888);
    assert_int_equal(out.amount.discount_refund, 0);
    assert_view(out.amount.currency, "CNY");
    assert_int_equal(out.amount.refund_fee, 0);
    assert_int_equal(out.promotion_detail_count, 0);
    assert_int_equal(booked->amount, 100);
    assert_int_equal(booked->from_count, 2);
    assert_int_equal(wxp_fake_find_order(&fake, ORDER)->refunded, 100);

    /* Queried later, the refund has succeeded. */
    test_now += 60;
    out = refund_out(4);
    ASSERT_OK(wxp_refund_query(&client, "R-create_1", NULL, &out, &r), r);
    assert_string_equal(wxp_fake_last(&fake)->path, REFUNDS_PATH "/R-create_1");
    assert_view(out.status, "SUCCESS");
    assert_view(out.success_time, "2026-11-23T17:05:53+08:00");
    assert_int_equal(out.amount.from_count, 2);
    assert_int_equal(out.amount.refund, 100);
    /* Unknown: the signed 404 as an HTTP error. */
    ASSERT_ERR(wxp_refund_query(&client, "R-none", NULL, &out, &r), WXP_E_HTTP, r);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.code, "RESOURCE_NOT_EXISTS");
}

/* Each refusal names the field and sends nothing. */
static void expect_refund_refused(const wxp_refund_req *q, const char *field)
{
    wxp_refund out = refund_out(4);
    wxp_result r;
    size_t before = wxp_fake_request_count(&fake);
    ASSERT_ERR(wxp_refund_create(&client, q, &out, &r), WXP_E_ARG, r);
    assert_string_equal(r.field, field);
    assert_int_equal(wxp_fake_request_count(&fake), before);
}

static void refund_validation_sends_nothing(void **state)
{
    static char long_no[66];
    wxp_refund_req q;
    wxp_refund_from_req from[2];
    (void)state;
    env_up();
    memset(long_no, 'R', 65);
    long_no[65] = 0;
    q = refund_req("R 1", 100);          expect_refund_refused(&q, "out_refund_no");
    q = refund_req("R#1", 100);          expect_refund_refused(&q, "out_refund_no");
    q = refund_req(long_no, 100);        expect_refund_refused(&q, "out_refund_no");
    q = refund_req(NULL, 100);           expect_refund_refused(&q, "out_refund_no");
    q = refund_req("R1", 0);             expect_refund_refused(&q, "amount.refund");
    q = refund_req("R1", -5);            expect_refund_refused(&q, "amount.refund");
    q = refund_req("R1", 889);           expect_refund_refused(&q, "amount.refund");
    q = refund_req("R1", 100); q.amount.total = 0; expect_refund_refused(&q, "amount.total");
    q = refund_req("R1", 100);
    from[0].account = "AVAILABLE";   from[0].amount = 60;
    from[1].account = "UNAVAILABLE"; from[1].amount = 41;
    q.amount.from = from;
    q.amount.from_count = 2;
    expect_refund_refused(&q, "amount.from");
    from[1].account = "unavailable"; from[1].amount = 40;
    expect_refund_refused(&q, "amount.from.1.account");
    q = refund_req("R1", 100); q.notify_url = "http://example.com/n";     expect_refund_refused(&q, "notify_url");
    q = refund_req("R1", 100); q.notify_url = "https://example.com/n?a=1"; expect_refund_refused(&q, "notify_url");
    q = refund_req("R1", 100); q.out_trade_no = NULL; expect_refund_refused(&q, "transaction_id");
    q = refund_req("R1", 100); q.out_trade_no = ""; q.transaction_id = ""; expect_refund_refused(&q, "transaction_id");
    q = refund_req("R1", 100); q.amount.currency = "cny"; expect_refund_refused(&q, "amount.currency");
    assert_int_equal(wxp_fake_request_count(&fake), 0);
    assert_int_equal(wxp_fake_refund_count(&fake), 0);
}

static void refund_currency_defaults_to_cny_on_the_wire(void **state)
{
    wxp_refund_req q;
    wxp_refund out;
    wxp_result r;
    (void)state;
    env_up();
    q = refund_req("R-cny", 10);
    assert_null(q.amount.currency);
    out = refund_out(4);
    ASSERT_OK(wxp_refund_create(&client, &q, &out, &r), r);
    assert_non_null(strstr(wxp_fake_last(&fake)->body, "\"amount\":{\"refund\":10,\"total\":888,\"currency\":\"CNY\"}"));
    assert_view(out.amount.currency, "CNY");
}

/* More from[] elements than the caller's array: the refund is booked, so the
   call says WXP_E_PARTIAL (never a failure, never a silent cut): every scalar
   and the first _cap elements decoded, the list and its length named. */
static void refund_decode_more_from_than_cap_is_partial(void **state)
{
    wxp_refund_req q;
    wxp_refund_from_req from[2];
    wxp_refund out;
    wxp_result r;
    (void)state;
    env_up();
    q = refund_req("R-from", 100);
    from[0].account = "AVAILABLE";   from[0].amount = 50;
    from[1].account = "UNAVAILABLE"; from[1].amount = 50;
    q.amount.from = from;
    q.amount.from_count = 2;
    out = refund_out(1);
    ASSERT_ERR(wxp_refund_create(&client, &q, &out, &r), WXP_E_PARTIAL, r);
    assert_string_equal(r.field, "amount.from");
    assert_int_equal(r.needed, 2);
    assert_int_equal(r.status, 200);   /* the refund itself went through */
    assert_int_equal(r.sent, 1);
    assert_true(out.refund_id.len > 0);
    assert_view(out.out_refund_no, "R-from");
    assert_view(out.status, "PROCESSING");
    assert_int_equal(out.amount.refund, 100);
    assert_int_equal(out.amount.from_count, 1);
    assert_view(out.amount.from[0].account, "AVAILABLE");
    assert_int_equal(out.amount.from[0].amount, 50);
    assert_int_equal(wxp_fake_refund_count(&fake), 1);
    /* The layer under the call says the same about the same body; with no
       array at all, nothing of the list is kept but the rest is. */
    {
        static char copy[4096];
        memcpy(copy, r.body.ptr, r.body.len);
        out = refund_out(1);
        out.amount.from = NULL;
        ASSERT_ERR(wxp_refund_decode(copy, r.body.len, &out, &r), WXP_E_PARTIAL, r);
        assert_string_equal(r.field, "amount.from");
        assert_int_equal(out.amount.from_count, 0);
        assert_view(out.out_refund_no, "R-from");
    }
}

/* More than is left on the order is a business-rule refusal, 400
   INVALID_REQUEST (NOT_ENOUGH is the merchant's balance being short). */
static void refund_over_the_rest_is_refused(void **state)
{
    wxp_refund_req q;
    wxp_refund out;
    wxp_result r;
    (void)state;
    env_up();
    q = refund_req("R-600", 600);
    out = refund_out(4);
    ASSERT_OK(wxp_refund_create(&client, &q, &out, &r), r);
    q = refund_req("R-300", 300);
    ASSERT_ERR(wxp_refund_create(&client, &q, &out, &r), WXP_E_HTTP, r);
    assert_int_equal(r.status, 400);
    assert_string_equal(r.code, "INVALID_REQUEST");
    assert_non_null(strstr(r.message, "288"));
    assert_int_equal(wxp_fake_refund_count(&fake), 1);
    assert_int_equal(wxp_fake_find_order(&fake, ORDER)->refunded, 600);
}

/* out_refund_no makes a refund idempotent: asked twice, booked once. */
static void refund_same_number_twice_is_booked_once(void **state)
{
    static char first_id[40];
    wxp_refund_req q;
    wxp_refund out;
    wxp_result r;
    (void)state;
    env_up();
    q = refund_req("R-twice", 100);
    out = refund_out(4);
    ASSERT_OK(wxp_refund_create(&client, &q, &out, &r), r);
    assert_true(out.refund_id.len < sizeof first_id);
    memcpy(first_id, out.refund_id.ptr, out.refund_id.len);
    first_id[out.refund_id.len] = 0;
    test_now += 30;
    out = refund_out(4);
    ASSERT_OK(wxp_refund_create(&client, &q, &out, &r), r);
    assert_view(out.refund_id, first_id);
    assert_int_equal(wxp_fake_refund_count(&fake), 1);
    assert_int_equal(wxp_fake_find_order(&fake, ORDER)->refunded, 100);
    assert_int_equal(wxp_fake_request_count(&fake), 2);
}

/* ---- safe retries ----------------------------------------------------------------- */

/* The answer is lost after WeChat Pay booked the refund: the retry repeats
   the same out_refund_no and gets the same refund, never a second one. */
static void retry_after_lost_answer_books_once(void **state)
{
    wxp_config cfg;
    wxp_refund_req q;
    wxp_refund out;
    wxp_result r;
    auth_fields a, b;
    (void)state;
    cfg = env_retrying(3);
    client_up(&cfg);
    wxp_fake_fault(&fake, WXP_FAKE_LOST_ANSWER);
    q = refund_req("R-lost", 100);
    out = refund_out(4);
    ASSERT_OK(wxp_refund_create(&client, &q, &out, &r), r);
    assert_view(out.out_refund_no, "R-lost");
    assert_int_equal(wxp_fake_request_count(&fake), 2);
    assert_int_equal(wxp_fake_record_at(&fake, 0)->status, 0);    /* never heard */
    assert_int_equal(wxp_fake_record_at(&fake, 1)->status, 200);
    assert_int_equal(naps.n, 1);
    assert_int_equal(naps.ms[0], 200);
    assert_int_equal(wxp_fake_refund_count(&fake), 1);
    assert_int_equal(wxp_fake_find_refund(&fake, "R-lost")->amount, 100);
    assert_int_equal(wxp_fake_find_order(&fake, ORDER)->refunded, 100);
    /* The same body, freshly signed (the clock moved while sleeping). */
    assert_string_equal(wxp_fake_record_at(&fake, 0)->body, wxp_fake_record_at(&fake, 1)->body);
    assert_signed_request(wxp_fake_record_at(&fake, 0), T0, &a);
    assert_signed_request(wxp_fake_record_at(&fake, 1), T0 + 1, &b);
    assert_string_not_equal(a.nonce_str, b.nonce_str);
}

static void retry_after_system_error_succeeds(void **state)
{
    static const char limited[] = "{\"code\":\"FREQUENCY_LIMITED\",\"message\":\"slow down\"}";
    wxp_config cfg;
    wxp_refund_req q;
    wxp_refund out;
    wxp_result r;
    (void)state;
    cfg = env_retrying(3);
    client_up(&cfg);
    wxp_fake_fault(&fake, WXP_FAKE_SYSTEM_ERROR);
    q = refund_req("R-500", 100);
    out = refund_out(4);
    ASSERT_OK(wxp_refund_create(&client, &q, &out, &r), r);
    assert_int_equal(wxp_fake_request_count(&fake), 2);
    assert_int_equal(wxp_fake_record_at(&fake, 0)->status, 500);
    assert_int_equal(naps.n, 1);
    assert_int_equal(wxp_fake_refund_count(&fake), 1);
    /* FREQUENCY_LIMITED (a signed 429) is retried too, and so is a query. */
    assert_int_equal(wxp_fake_push(&fake, 429, limited), WXP_OK);
    out = refund_out(4);
    ASSERT_OK(wxp_refund_query(&client, "R-500", NULL, &out, &r), r);
    assert_int_equal(wxp_fake_request_count(&fake), 4);
    assert_int_equal(naps.n, 2);
}

/* The log hook: one event per exchange with its attempt, status, Request-ID,
   code and verdict; nothing secret in any of its strings. */
typedef struct log_seen {
    unsigned n, attempt[4], elapsed[4];
    int status[4], sent[4];
    wxp_err err[4];
    char path[4][64], code[4][32], rid[4][64], all[2048];
    unsigned clock_ms;
} log_seen;

static void log_hook(void *user, const wxp_log_event *ev)
{
    log_seen *l = (log_seen *)user;
    size_t k = strlen(l->all);
    if (l->n < 4) {
        l->attempt[l->n] = ev->attempt;
        l->elapsed[l->n] = ev->elapsed_ms;
        l->status[l->n] = ev->status;
        l->sent[l->n] = ev->sent;
        l->err[l->n] = ev->err;
        snprintf(l->path[l->n], sizeof l->path[0], "%.*s", (int)ev->path.len, ev->path.ptr);
        snprintf(l->code[l->n], sizeof l->code[0], "%s", ev->code);
        snprintf(l->rid[l->n], sizeof l->rid[0], "%s", ev->request_id);
    }
    l->n++;
    snprintf(l->all + k, sizeof l->all - k, "%s %.*s %s %s|", ev->method, (int)ev->path.len, ev->path.ptr,
             ev->code, ev->message);
}

static unsigned log_clock(void *user)
{
    log_seen *l = (log_seen *)user;
    return l->clock_ms += 7;   /* each reading 7 ms later */
}

static void log_hook_sees_each_attempt_and_no_secret(void **state)
{
    wxp_config cfg;
    wxp_refund_req q;
    wxp_refund out;
    wxp_result r;
    log_seen l;
    (void)state;
    memset(&l, 0, sizeof l);
    cfg = env_retrying(3);
    cfg.log.fn = log_hook;
    cfg.log.now_ms = log_clock;
    cfg.log.user = &l;
    client_up(&cfg);
    wxp_fake_fault(&fake, WXP_FAKE_SYSTEM_ERROR);
    q = refund_req("R-LOG", 100);
    out = refund_out(4);
    ASSERT_OK(wxp_refund_create(&client, &q, &out, &r), r);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.attempt[0], 1);
    assert_int_equal(l.attempt[1], 2);
    assert_int_equal(l.status[0], 500);
    assert_int_equal(l.err[0], WXP_E_HTTP);
    assert_string_equal(l.code[0], "SYSTEM_ERROR");
    assert_int_equal(l.status[1], 200);
    assert_int_equal(l.err[1], WXP_OK);
    assert_true(l.sent[0] && l.sent[1]);
    assert_string_equal(l.path[1], "/v3/refund/domestic/refunds");
    assert_true(l.rid[1][0] != 0);
    assert_int_equal(l.elapsed[0], 7);
    /* A call refused before anything is sent is not an exchange: no event. */
    q.out_refund_no = "R LOG";
    assert_int_equal(wxp_refund_create(&client, &q, &out, &r), WXP_E_ARG);
    assert_int_equal(l.n, 2);
    /* Nothing secret: no Authorization, no signature, no key. */
    assert_null(strstr(l.all, "WECHATPAY2-SHA256"));
    assert_null(strstr(l.all, "signature="));
    assert_null(strstr(l.all, TEST_APIV3_KEY));
    assert_null(strstr(l.all, "PRIVATE KEY"));
}

static void retries_are_bounded_and_back_off(void **state)
{
    wxp_config cfg;
    wxp_refund_req q;
    wxp_refund out;
    wxp_result r;
    (void)state;
    cfg = env_retrying(3);
    client_up(&cfg);
    wxp_fake_fault_times(&fake, WXP_FAKE_SYSTEM_ERROR, 10);
    q = refund_req("R-down", 100);
    out = refund_out(4);
    ASSERT_ERR(wxp_refund_create(&client, &q, &out, &r), WXP_E_HTTP, r);
    assert_int_equal(r.status, 500);
    assert_string_equal(r.code, "SYSTEM_ERROR");
    assert_int_equal(wxp_fake_request_count(&fake), 3);
    assert_int_equal(naps.n, 2);
    assert_int_equal(naps.ms[0], 200);
    assert_int_equal(naps.ms[1], 400);
    assert_int_equal(wxp_fake_refund_count(&fake), 0);
    wxp_fake_clear_script(&fake);

    /* Transport failures: the last one is reported; a custom backoff doubles. */
    cfg = env_retrying(4);
    cfg.retry.backoff_ms = 50;
    client_up(&cfg);
    assert_int_equal(wxp_fake_push_fail(&fake, "reset 1"), WXP_OK);
    assert_int_equal(wxp_fake_push_fail(&fake, "reset 2"), WXP_OK);
    assert_int_equal(wxp_fake_push_fail(&fake, "reset 3"), WXP_OK);
    assert_int_equal(wxp_fake_push_fail(&fake, "reset 4"), WXP_OK);
    assert_int_equal(wxp_fake_push_fail(&fake, "reset 5"), WXP_OK);
    ASSERT_ERR(wxp_refund_create(&client, &q, &out, &r), WXP_E_TRANSPORT, r);
    assert_string_equal(r.message, "reset 4");
    assert_int_equal(wxp_fake_request_count(&fake), 4);
    assert_int_equal(wxp_fake_pending(&fake), 1);
    assert_int_equal(naps.n, 3);
    assert_int_equal(naps.ms[0], 50);
    assert_int_equal(naps.ms[1], 100);
    assert_int_equal(naps.ms[2], 200);

    /* attempts 1: no retry. */
    cfg = env();
    cfg.retry.attempts = 1;
    client_up(&cfg);
    wxp_fake_fault(&fake, WXP_FAKE_SYSTEM_ERROR);
    ASSERT_ERR(wxp_refund_create(&client, &q, &out, &r), WXP_E_HTTP, r);
    assert_int_equal(wxp_fake_request_count(&fake), 1);

    /* The default: 3 attempts, paced by the platform's sleep (200 + 400 ms). */
    cfg = env();
    client_up(&cfg);
    assert_int_equal(wxp_fake_push_fail(&fake, "reset 1"), WXP_OK);
    assert_int_equal(wxp_fake_push_fail(&fake, "reset 2"), WXP_OK);
    assert_int_equal(wxp_fake_push_fail(&fake, "reset 3"), WXP_OK);
    ASSERT_ERR(wxp_refund_create(&client, &q, &out, &r), WXP_E_TRANSPORT, r);
    assert_string_equal(r.message, "reset 3");
    assert_int_equal(wxp_fake_request_count(&fake), 3);
}

/* A request WeChat Pay refused is refused again: not retried. */
static void param_error_is_not_retried(void **state)
{
    wxp_config cfg;
    wxp_refund_req q;
    wxp_refund out;
    wxp_result r;
    (void)state;
    cfg = env_retrying(3);
    client_up(&cfg);
    q = refund_req("R-param", 100);
    q.amount.total = 999;   /* not the order's total: 400 PARAM_ERROR */
    out = refund_out(4);
    ASSERT_ERR(wxp_refund_create(&client, &q, &out, &r), WXP_E_HTTP, r);
    assert_int_equal(r.status, 400);
    assert_string_equal(r.code, "PARAM_ERROR");
    assert_int_equal(wxp_fake_request_count(&fake), 1);
    assert_int_equal(naps.n, 0);
    /* Nor is a business-rule refusal (nothing left to refund: 400 INVALID_REQUEST). */
    q = refund_req("R-param", 888);
    ASSERT_OK(wxp_refund_create(&client, &q, &out, &r), r);
    q = refund_req("R-param2", 1);
    ASSERT_ERR(wxp_refund_create(&client, &q, &out, &r), WXP_E_HTTP, r);
    assert_string_equal(r.code, "INVALID_REQUEST");
    assert_int_equal(wxp_fake_request_count(&fake), 3);
    assert_int_equal(naps.n, 0);
}

/* A refusal before sending leaves no stale fields of an earlier call behind. */
static void refund_query_refusal_clears_stale_result(void **state)
{
    wxp_refund out;
    wxp_result r;
    (void)state;
    env_up();
    out = refund_out(4);
    poison(&r);
    ASSERT_ERR(wxp_refund_query(&client, "R 1", NULL, &out, &r), WXP_E_ARG, r);
    assert_string_equal(r.field, "out_refund_no");
    assert_string_equal(r.code, "");
    assert_int_equal(r.status, 0);
    assert_int_equal(wxp_fake_request_count(&fake), 0);
}

/* Arrays inside array elements: each element's own array and cap are used
   (zero cap: NOSPACE naming the nested path), then every field decodes. */
static void refund_decode_nested_promotion_goods(void **state)
{
    static const char answer[] =
        "{\"refund_id\":\"50300000202611230000000000001\",\"out_refund_no\":\"R-promo\","
        "\"transaction_id\":\"" ORDER "\",\"out_trade_no\":\"" ORDER "\",\"channel\":\"ORIGINAL\","
        "\"user_received_account\":\"x\",\"success_time\":\"\",\"create_time\":\"2026-11-23T17:04:53+08:00\","
        "\"status\":\"PROCESSING\",\"funds_account\":\"AVAILABLE\",\"amount\":{\"total\":888,\"refund\":100,"
        "\"from\":[],\"payer_total\":788,\"payer_refund\":90,\"settlement_refund\":100,\"settlement_total\":888,"
        "\"discount_refund\":10,\"currency\":\"CNY\",\"refund_fee\":1},\"promotion_detail\":[{\"promotion_id\":"
        "\"109519\",\"scope\":\"SINGLE\",\"type\":\"DISCOUNT\",\"amount\":10,\"refund_amount\":10,"
        "\"goods_detail\":[{\"merchant_goods_id\":\"G1\",\"wechatpay_goods_id\":\"1001\",\"goods_name\":"
        "\"tea\",\"unit_price\":100,\"refund_amount\":100,\"refund_quantity\":1}]}]}";
    wxp_refund_goods goods[2];
    wxp_refund out;
    wxp_result r;
    (void)state;
    env_up();
    assert_int_equal(wxp_fake_push(&fake, 200, answer), WXP_OK);
    out = refund_out(4);
    ASSERT_ERR(wxp_refund_query(&client, "R-promo", NULL, &out, &r), WXP_E_PARTIAL, r);
    assert_string_equal(r.field, "promotion_detail.0.goods_detail");
    assert_int_equal(r.needed, 1);
    assert_int_equal(out.promotion_detail_count, 1);
    assert_int_equal(out_promo[0].refund_amount, 10);
    assert_int_equal(out_promo[0].goods_detail_count, 0);

    assert_int_equal(wxp_fake_push(&fake, 200, answer), WXP_OK);
    out = refund_out(4);
    memset(goods, 0, sizeof goods);
    out_promo[0].goods_detail = goods;
    out_promo[0].goods_detail_cap = 2;
    ASSERT_OK(wxp_refund_query(&client, "R-promo", NULL, &out, &r), r);
    assert_int_equal(out.amount.from_count, 0);
    assert_int_equal(out.amount.discount_refund, 10);
    assert_int_equal(out.amount.refund_fee, 1);
    assert_int_equal(out.promotion_detail_count, 1);
    assert_view(out.promotion_detail[0].promotion_id, "109519");
    assert_view(out.promotion_detail[0].scope, "SINGLE");
    assert_view(out.promotion_detail[0].type, "DISCOUNT");
    assert_int_equal(out.promotion_detail[0].amount, 10);
    assert_int_equal(out.promotion_detail[0].refund_amount, 10);
    assert_int_equal(out.promotion_detail[0].goods_detail_count, 1);
    assert_view(goods[0].merchant_goods_id, "G1");
    assert_view(goods[0].wechatpay_goods_id, "1001");
    assert_view(goods[0].goods_name, "tea");
    assert_int_equal(goods[0].unit_price, 100);
    assert_int_equal(goods[0].refund_amount, 100);
    assert_int_equal(goods[0].refund_quantity, 1);
}

/* Request numbers may hold | * @: percent-encoded in the path (and signed so),
   decoded by the server; sub_mchid rides in the query. */
static void refund_query_encodes_number_and_sub_mchid(void **state)
{
    wxp_refund_req q;
    wxp_refund out;
    wxp_result r;
    auth_fields a;
    (void)state;
    env_up();
    q = refund_req("R|1*@x", 10);
    out = refund_out(4);
    ASSERT_OK(wxp_refund_create(&client, &q, &out, &r), r);
    ASSERT_OK(wxp_refund_query(&client, "R|1*@x", NULL, &out, &r), r);
    assert_string_equal(wxp_fake_last(&fake)->path, REFUNDS_PATH "/R%7C1%2A%40x");
    assert_signed_request(wxp_fake_last(&fake), T0, &a);
    assert_view(out.out_refund_no, "R|1*@x");
    ASSERT_OK(wxp_refund_query(&client, "R|1*@x", "1900000109", &out, &r), r);
    assert_string_equal(wxp_fake_last(&fake)->path, REFUNDS_PATH "/R%7C1%2A%40x?sub_mchid=1900000109");
    assert_signed_request(wxp_fake_last(&fake), T0, &a);
    ASSERT_ERR(wxp_refund_query(&client, "R1", "19000x", &out, &r), WXP_E_ARG, r);
    assert_string_equal(r.field, "sub_mchid");
    ASSERT_ERR(wxp_refund_query(&client, NULL, NULL, &out, &r), WXP_E_ARG, r);
    assert_string_equal(r.field, "out_refund_no");
    ASSERT_ERR(wxp_refund_query(&client, "", NULL, &out, &r), WXP_E_ARG, r);
    assert_string_equal(r.field, "out_refund_no");
    assert_int_equal(wxp_fake_request_count(&fake), 3);
}

/* ---- transactions ------------------------------------------------------------------ */

static void transaction_query_decodes_state_amount_payer(void **state)
{
    wxp_transaction t;
    wxp_refund_req q;
    wxp_refund out;
    wxp_result r;
    (void)state;
    env_up();
    memset(&t, 0, sizeof t);
    ASSERT_OK(wxp_transaction_by_out_trade_no(&client, ORDER, &t, &r), r);
    assert_string_equal(wxp_fake_last(&fake)->path, TRADE_PATH);
    assert_view(t.trade_state, "SUCCESS");
    assert_view(t.out_trade_no, ORDER);
    assert_view(t.transaction_id, ORDER);
    assert_view(t.appid, WXP_FAKE_APPID);
    assert_view(t.mchid, TEST_MCHID);
    assert_view(t.trade_type, "NATIVE");
    assert_view(t.success_time, "2026-11-23T17:04:53+08:00");
    assert_int_equal(t.amount.total, 888);
    assert_int_equal(t.amount.payer_total, 888);
    assert_view(t.amount.currency, "CNY");
    assert_view(t.payer.openid, WXP_FAKE_OPENID);
    /* Once refunded, the state says so; by id gives the same. */
    q = refund_req("R-t", 88);
    out = refund_out(4);
    ASSERT_OK(wxp_refund_create(&client, &q, &out, &r), r);
    memset(&t, 0, sizeof t);
    ASSERT_OK(wxp_transaction_by_id(&client, ORDER, &t, &r), r);
    assert_view(t.trade_state, "REFUND");
    assert_string_equal(wxp_fake_last(&fake)->path, "/v3/pay/transactions/id/" ORDER "?mchid=" TEST_MCHID);
    /* An unknown order is the signed 404; a number outside the API's
       characters is refused before sending. */
    ASSERT_ERR(wxp_transaction_by_out_trade_no(&client, "T-404", &t, &r), WXP_E_HTTP, r);
    assert_string_equal(wxp_fake_last(&fake)->path, "/v3/pay/transactions/out-trade-no/T-404?mchid=" TEST_MCHID);
    assert_string_equal(r.code, "ORDER_NOT_EXIST");
    ASSERT_ERR(wxp_transaction_by_out_trade_no(&client, "T 404", &t, &r), WXP_E_ARG, r);
    assert_string_equal(r.field, "out_trade_no");
    assert_int_equal(r.sent, 0);
}

/* ---- sensitive fields ---------------------------------------------------------------- */

/* Wechatpay-Serial names the encrypting key on the next request only. The
   store first holds only the certificate (so the encryption picks it), then
   gains the public key (which pick() prefers): the two serials tell apart
   "the encryption's" from "the default". */
static void encrypt_sets_serial_for_the_next_request_only(void **state)
{
    static char ct[WXP_SIG_B64_MAX + 1];
    wxp_config cfg;
    unsigned char plain[64];
    size_t len = 0, n = 0;
    wxp_result r;
    (void)state;
    cfg = env();
    fake_up(TEST_CERT_SERIAL);   /* answers signed under the certificate's serial */
    wxp_keystore_init(&keys, slots, 4);
    ASSERT_OK(wxp_keystore_add_certs(&keys, platform_cert(), &r), r);
    client_up(&cfg);
    ASSERT_OK(wxp_client_encrypt(&client, wxp_cstr(ZH_NAME), ct, sizeof ct, &len, &r), r);
    assert_int_equal(len, 344);
    /* The platform's private key reads it back. */
    ASSERT_OK(wxp_oaep_decrypt(&platform.vtable, wxp_cstr(ct), plain, sizeof plain, &n, &r), r);
    assert_int_equal(n, strlen(ZH_NAME));
    assert_memory_equal(plain, ZH_NAME, n);

    ASSERT_OK(wxp_keystore_add_pubkey(&keys, TEST_PUB_ID, wxp_cstr(wechatpay_pub_pem), &r), r);
    ASSERT_OK(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), r);
    assert_string_equal(wxp_fake_record_header(wxp_fake_last(&fake), "Wechatpay-Serial"), TEST_CERT_SERIAL);
    ASSERT_OK(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), r);
    assert_string_equal(wxp_fake_record_header(wxp_fake_last(&fake), "Wechatpay-Serial"), TEST_PUB_ID);

    /* A failed request uses it up as well: the one after is back to the default. */
    wxp_keystore_init(&keys, slots, 4);
    ASSERT_OK(wxp_keystore_add_certs(&keys, platform_cert(), &r), r);
    ASSERT_OK(wxp_client_encrypt(&client, wxp_cstr(ZH_NAME), ct, sizeof ct, &len, &r), r);
    ASSERT_OK(wxp_keystore_add_pubkey(&keys, TEST_PUB_ID, wxp_cstr(wechatpay_pub_pem), &r), r);
    assert_int_equal(wxp_fake_push_fail(&fake, "reset"), WXP_OK);
    ASSERT_ERR(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), WXP_E_TRANSPORT, r);
    assert_string_equal(wxp_fake_record_header(wxp_fake_last(&fake), "Wechatpay-Serial"), TEST_CERT_SERIAL);
    ASSERT_OK(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), r);
    assert_string_equal(wxp_fake_record_header(wxp_fake_last(&fake), "Wechatpay-Serial"), TEST_PUB_ID);

    /* Nothing to encrypt with. */
    wxp_keystore_init(&keys, slots, 4);
    ASSERT_ERR(wxp_client_encrypt(&client, wxp_cstr(ZH_NAME), ct, sizeof ct, &len, &r), WXP_E_ARG, r);
    assert_string_equal(r.field, "keys");
}

static void client_decrypt_reads_fields_encrypted_to_the_merchant(void **state)
{
    static char ct[WXP_SIG_B64_MAX + 1];
    wxp_random rnd;
    unsigned char plain[64];
    size_t len = 0, n = 0;
    wxp_result r;
    (void)state;
    env_up();
    rnd.fn = test_random;
    rnd.user = NULL;
    ASSERT_OK(wxp_oaep_encrypt(&merchant_pub, &rnd, wxp_cstr("6222020200000000000"), ct, sizeof ct, &len, &r), r);
    ASSERT_OK(wxp_client_decrypt(&client, wxp_cstr(ct), plain, sizeof plain, &n, &r), r);
    assert_int_equal(n, 19);
    assert_memory_equal(plain, "6222020200000000000", 19);
    /* Encrypted to someone else: refused. */
    ASSERT_OK(wxp_client_encrypt(&client, wxp_cstr("x"), ct, sizeof ct, &len, &r), r);
    assert_int_not_equal(wxp_client_decrypt(&client, wxp_cstr(ct), plain, sizeof plain, &n, &r), WXP_OK);
}

/* ---- certificate download ------------------------------------------------------ */

#define CERT_NONCE "61f9c719728a"

/* A /v3/certificates answer delivering the platform certificate, encrypted
   under the APIv3 key; tamper flips a ciphertext character before signing. */
static wxp_str cert_answer(int tamper)
{
    static char ct[4096], body[4096];
    wxp_json_writer w;
    wxp_result r;
    wxp_str v;
    size_t ctlen = 0, len = 0;
    ASSERT_OK(wxp_aes_gcm_encrypt(wxp_cstr(TEST_APIV3_KEY), wxp_cstr(CERT_NONCE), wxp_cstr("certificate"),
                                  platform_cert(), ct, sizeof ct, &ctlen, &r), r);
    if (tamper) ct[ctlen / 2] = (char)(ct[ctlen / 2] == 'A' ? 'B' : 'A');
    v.ptr = ct;
    v.len = ctlen;
    wxp_jw_init(&w, body, sizeof body);
    wxp_jw_object_begin(&w);
    wxp_jw_key(&w, "data");
    wxp_jw_array_begin(&w);
    wxp_jw_object_begin(&w);
    wxp_jw_key(&w, "serial_no");      wxp_jw_cstring(&w, TEST_CERT_SERIAL);
    wxp_jw_key(&w, "effective_time"); wxp_jw_cstring(&w, "2026-11-23T16:04:53+08:00");
    wxp_jw_key(&w, "expire_time");    wxp_jw_cstring(&w, "2036-11-20T16:04:53+08:00");
    wxp_jw_key(&w, "encrypt_certificate");
    wxp_jw_object_begin(&w);
    wxp_jw_key(&w, "algorithm");       wxp_jw_cstring(&w, "AEAD_AES_256_GCM");
    wxp_jw_key(&w, "nonce");           wxp_jw_cstring(&w, CERT_NONCE);
    wxp_jw_key(&w, "associated_data"); wxp_jw_cstring(&w, "certificate");
    wxp_jw_key(&w, "ciphertext");      wxp_jw_string(&w, v);
    wxp_jw_object_end(&w);
    wxp_jw_object_end(&w);
    wxp_jw_array_end(&w);
    wxp_jw_object_end(&w);
    ASSERT_OK(wxp_jw_finish(&w, &len, &r), r);
    v.ptr = body;
    v.len = len;
    return v;
}

/* A client whose key store starts empty (the bootstrap). */
static void cert_client_up(void)
{
    wxp_config cfg = env();
    wxp_keystore_init(&keys, slots, 4);
    client_up(&cfg);
}

static void certificates_download_bootstraps_empty_store(void **state)
{
    const wxp_fake_record *rec;
    wxp_result r;
    (void)state;
    cert_client_up();
    push_signed(200, TEST_CERT_SERIAL, cert_answer(0));
    ASSERT_OK(wxp_certificates_download(&client, &r), r);
    assert_int_equal(r.status, 200);
    rec = wxp_fake_last(&fake);
    assert_string_equal(rec->method, "GET");
    assert_string_equal(rec->path, "/v3/certificates");
    assert_null(wxp_fake_record_header(rec, "Wechatpay-Serial"));   /* no key to name yet */
    assert_int_equal(keys.count, 1);
    assert_string_equal(keys.keys[0].serial, TEST_CERT_SERIAL);
    assert_int_equal(keys.keys[0].kind, WXP_KEY_CERT);
    /* The store now verifies answers signed under the certificate, and names it. */
    fake_up(TEST_CERT_SERIAL);
    ASSERT_OK(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), r);
    assert_string_equal(wxp_fake_record_header(wxp_fake_last(&fake), "Wechatpay-Serial"), TEST_CERT_SERIAL);
    /* Downloading again replaces, never duplicates. */
    push_signed(200, TEST_CERT_SERIAL, cert_answer(0));
    ASSERT_OK(wxp_certificates_download(&client, &r), r);
    assert_int_equal(keys.count, 1);
}

/* wxp_keystore_refresh: a download when the store is empty, then every 12 h
   (on the client's clock), a failed one tried again 5 min later, never one
   for a store of public keys. */
static void keystore_refresh_downloads_when_due(void **state)
{
    wxp_result r;
    wxp_cert_sink none;
    int got;
    size_t before;
    (void)state;
    memset(&none, 0, sizeof none);
    cert_client_up();
    push_signed(200, TEST_CERT_SERIAL, cert_answer(0));
    ASSERT_OK(wxp_keystore_refresh(&client, none, &got, &r), r);
    assert_int_equal(got, 1);
    assert_int_equal(keys.count, 1);
    before = wxp_fake_request_count(&fake);
    ASSERT_OK(wxp_keystore_refresh(&client, none, &got, &r), r);             /* not due: nothing */
    assert_int_equal(got, 0);
    assert_int_equal(wxp_fake_request_count(&fake), before);
    test_now += WXP_CERT_REFRESH_S - 1;
    ASSERT_OK(wxp_keystore_refresh(&client, none, &got, &r), r);
    assert_int_equal(got, 0);
    test_now += 1;
    push_signed(200, TEST_CERT_SERIAL, cert_answer(0));
    ASSERT_OK(wxp_keystore_refresh(&client, none, &got, &r), r);             /* 12 h on: again */
    assert_int_equal(got, 1);
    assert_int_equal(keys.count, 1);
    /* A failed download is not tried on every call. */
    test_now += WXP_CERT_REFRESH_S;
    wxp_fake_fault(&fake, WXP_FAKE_SYSTEM_ERROR);
    assert_int_not_equal(wxp_keystore_refresh(&client, none, &got, &r), WXP_OK);
    assert_int_equal(got, 0);
    before = wxp_fake_request_count(&fake);
    ASSERT_OK(wxp_keystore_refresh(&client, none, &got, &r), r);
    assert_int_equal(wxp_fake_request_count(&fake), before);
    test_now += WXP_CERT_RETRY_S;
    push_signed(200, TEST_CERT_SERIAL, cert_answer(0));
    ASSERT_OK(wxp_keystore_refresh(&client, none, &got, &r), r);
    assert_int_equal(got, 1);
    /* Public keys only: nothing expires, nothing is fetched. */
    env_up();
    assert_true(keys.count > 0 && keys.keys[0].kind == WXP_KEY_PUBLIC);
    before = wxp_fake_request_count(&fake);
    ASSERT_OK(wxp_keystore_refresh(&client, none, &got, &r), r);
    assert_int_equal(got, 0);
    assert_int_equal(wxp_fake_request_count(&fake), before);
}

/* Signed by a key already held (merchants moving to the public key). */
static void certificates_download_verified_by_held_key(void **state)
{
    wxp_config cfg;
    wxp_result r;
    (void)state;
    cfg = env();   /* the store holds the public key */
    client_up(&cfg);
    push_signed(200, TEST_PUB_ID, cert_answer(0));
    ASSERT_OK(wxp_certificates_download(&client, &r), r);
    assert_int_equal(r.status, 200);            /* loading the keys keeps the answer's record */
    assert_true(r.request_id[0] != 0);
    assert_true(r.body.len > 0);
    assert_int_equal(keys.count, 2);
    assert_non_null(wxp_keystore_find(&keys, wxp_cstr(TEST_CERT_SERIAL)));
}

static void certificates_download_unknown_signer_changes_nothing(void **state)
{
    wxp_result r;
    (void)state;
    cert_client_up();
    push_signed(200, UNKNOWN_CERT_SERIAL, cert_answer(0));
    ASSERT_ERR(wxp_certificates_download(&client, &r), WXP_E_SERIAL, r);
    assert_non_null(strstr(r.message, UNKNOWN_CERT_SERIAL));
    assert_int_equal(keys.count, 0);
    /* Signed under the delivered serial, then a field outside the ciphertext
       changed: the certificate decrypts, the signature does not verify. */
    {
        static char changed[4096];
        signed_headers s;
        wxp_str body = cert_answer(0);
        char *year;
        sign_answer(&s, TEST_CERT_SERIAL, body);
        memcpy(changed, body.ptr, body.len);
        changed[body.len] = 0;
        year = strstr(changed, "2036-11-20");
        assert_non_null(year);
        year[3] = '7';
        body.ptr = changed;
        assert_int_equal(wxp_fake_push_raw(&fake, 200, s.h, 4, body, WXP_FAKE_UNSIGNED), WXP_OK);
        ASSERT_ERR(wxp_certificates_download(&client, &r), WXP_E_SIGNATURE, r);
        assert_int_equal(keys.count, 0);
    }
}

/* When the answer's signer is already held, nothing of it is read before it
   verifies: a tampered body is a signature error, not a decryption error that
   blames the APIv3 key. */
static void certificates_download_verifies_held_signer_first(void **state)
{
    wxp_config cfg;
    wxp_result r;
    (void)state;
    cfg = env();   /* the store holds the public key */
    client_up(&cfg);
    push_signed(200, TEST_PUB_ID, cert_answer(0));
    wxp_fake_fault(&fake, WXP_FAKE_FLIP_BODY);   /* flips a ciphertext byte */
    ASSERT_ERR(wxp_certificates_download(&client, &r), WXP_E_SIGNATURE, r);
    assert_int_equal(keys.count, 1);
}

static void certificates_download_tampered_ciphertext_changes_nothing(void **state)
{
    wxp_result r;
    (void)state;
    cert_client_up();
    push_signed(200, TEST_CERT_SERIAL, cert_answer(1));
    ASSERT_ERR(wxp_certificates_download(&client, &r), WXP_E_DECRYPT, r);
    assert_int_equal(keys.count, 0);
    /* A wrong APIv3 key looks the same. */
    {
        wxp_config cfg = env();
        wxp_keystore_init(&keys, slots, 4);
        cfg.apiv3_key = wxp_cstr("0123456789abcdef0123456789abcdef");
        client_up(&cfg);
        push_signed(200, TEST_CERT_SERIAL, cert_answer(0));
        ASSERT_ERR(wxp_certificates_download(&client, &r), WXP_E_DECRYPT, r);
        assert_int_equal(keys.count, 0);
    }
}

static void certificates_download_needs_apiv3_key(void **state)
{
    wxp_config cfg;
    wxp_result r;
    (void)state;
    cfg = env();
    cfg.apiv3_key = wxp_cstr("");
    client_up(&cfg);
    poison(&r);
    ASSERT_ERR(wxp_certificates_download(&client, &r), WXP_E_ARG, r);
    assert_string_equal(r.field, "apiv3_key");
    assert_string_equal(r.code, "");   /* cleared first, like every call */
    assert_int_equal(wxp_fake_request_count(&fake), 0);
}

/* ---- integrity: counts that cannot wrap, paths that cannot be cut or bent,
   certificates that cannot sign out of their dates ------------------------ */

/* The body count saturates: on a 32-bit size_t it wrapped after 4 GiB back under
   cap, and the next piece was copied past the buffer (test-m32 runs this). */
static void response_count_saturates(void **state)
{
    static char buf[16];
    wxp_http_response resp;
    size_t half = (size_t)-1 / 2 + 1;
    (void)state;
    memset(buf, 0, sizeof buf);
    wxp_http_response_init(&resp, buf, 8);
    wxp_http_response_status(&resp, 200);
    assert_int_equal(wxp_http_response_write(&resp, "abcd", 4), 4);
    /* Pieces that are counted, never copied: their bytes are not read. */
    assert_int_equal(wxp_http_response_write(&resp, buf, half), 0);
    assert_int_equal(wxp_http_response_write(&resp, buf, half), 0);
    assert_int_equal(wxp_http_response_write(&resp, "wxyz", 4), 0);
    assert_int_equal(wxp_http_response_body(&resp).len, 4);
    assert_memory_equal(buf, "abcd\0\0\0\0\0\0\0\0\0\0\0\0", 16);
}

/* A path parameter or query value longer than the API allows is refused
   before signing; the query (with mchid) was cut silently at 512 bytes. Past
   validation, a path that outgrows WXP_PATH_MAX is WXP_E_NOSPACE. */
static void long_path_is_refused_not_cut(void **state)
{
    char id[WXP_PATH_MAX];
    const char *params[3];
    wxp_transaction t;
    wxp_result r;
    (void)state;
    env_up();
    memset(id, 'A', sizeof id);
    id[WXP_PATH_MAX - 40] = 0; /* the path would fit, the query not */
    memset(&t, 0, sizeof t);
    ASSERT_ERR(wxp_transaction_by_out_trade_no(&client, id, &t, &r), WXP_E_ARG, r);
    assert_string_equal(r.field, "out_trade_no");
    assert_int_equal(r.sent, 0);
    assert_int_equal(wxp_fake_request_count(&fake), 0);
    id[32] = 0;
    ASSERT_ERR(wxp_transaction_by_out_trade_no(&client, id, &t, &r), WXP_E_HTTP, r); /* sent whole: unknown order */
    assert_int_equal(r.sent, 1);
    assert_non_null(strstr(wxp_fake_last(&fake)->path, "?mchid=" TEST_MCHID));
    memset(id, 'A', sizeof id - 1);
    id[sizeof id - 1] = 0;
    params[0] = "id"; params[1] = id; params[2] = NULL;
    ASSERT_ERR(wxp_path_fill(client.wxp__priv.path, sizeof client.wxp__priv.path, "/v3/x/{id}", params, NULL, &r),
               WXP_E_NOSPACE, r);
    assert_string_equal(r.field, "path");
}

/* "." and ".." as a path parameter are dot segments that a client drops
   (curl does): the path sent would differ from the path signed. */
static void dot_segments_are_refused(void **state)
{
    static const char *const dots[] = { ".", "..", NULL };
    char out[64];
    size_t i;
    wxp_transaction t;
    wxp_result r;
    (void)state;
    for (i = 0; dots[i]; i++) {
        const char *params[] = { "id", dots[i], NULL };
        ASSERT_ERR(wxp_path_fill(out, sizeof out, "/v3/x/{id}/y", params, NULL, &r), WXP_E_ARG, r);
        assert_string_equal(r.field, "id");
        assert_non_null(strstr(r.message, "\"..\""));
    }
    {
        const char *params[] = { "id", "...", "no", ".a.", NULL };
        ASSERT_OK(wxp_path_fill(out, sizeof out, "/v3/x/{id}/{no}", params, NULL, &r), r);
        assert_string_equal(out, "/v3/x/.../.a.");
    }
    env_up();
    memset(&t, 0, sizeof t);
    ASSERT_ERR(wxp_transaction_by_id(&client, "..", &t, &r), WXP_E_ARG, r);
    assert_int_equal(wxp_fake_request_count(&fake), 0);
}

/* An answer signed by a platform certificate outside its dates: refused, with
   its own error naming the serial and the dates (the store already refused
   such a certificate for encryption). */
static void expired_certificate_signs_nothing(void **state)
{
    static const struct { long long now; const char *needle; } when[] = {
        { 1795421093LL - 1, "2026-11-23T08:04:52Z" },   /* a second before notBefore */
        { 2110781093LL + 1, "2036-11-20T08:04:54Z" },   /* a second after notAfter */
    };
    wxp_config cfg;
    wxp_result r;
    size_t i;
    (void)state;
    for (i = 0; i < 2; i++) {
        cfg = env();
        fake_up(TEST_CERT_SERIAL);
        wxp_keystore_init(&keys, slots, 4);
        ASSERT_OK(wxp_keystore_add_certs(&keys, platform_cert(), &r), r);
        client_up(&cfg);
        test_now = when[i].now;
        ASSERT_ERR(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), WXP_E_EXPIRED, r);
        assert_string_equal(r.field, "Wechatpay-Serial");
        assert_non_null(strstr(r.message, TEST_CERT_SERIAL));
        assert_non_null(strstr(r.message, "valid from 2026-11-23T08:04:53Z to 2036-11-20T08:04:53Z"));
        assert_non_null(strstr(r.message, when[i].needle));
        assert_int_equal(r.sent, 1);
        assert_int_equal(r.status, 200);
        test_now = T0;
        ASSERT_OK(wxp_v3_request(&client, "GET", TRADE_PATH, wxp_cstr(""), &r), r);
    }
}

int test_group_client(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(init_names_each_bad_field),
        cmocka_unit_test(init_refuses_store_holding_merchant_serial),
        cmocka_unit_test(init_passes_key_errors_through),
        cmocka_unit_test(v3_call_signs_request_and_verifies_answer),
        cmocka_unit_test(v3_authorization_on_the_wire_matches_vectors),
        cmocka_unit_test(typed_calls_match_vectors_byte_for_byte),
        cmocka_unit_test(tampered_body_is_signature_error),
        cmocka_unit_test(changed_timestamp_header_is_signature_error),
        cmocka_unit_test(changed_nonce_header_is_signature_error),
        cmocka_unit_test(unknown_serial_names_both_serials),
        cmocka_unit_test(signtest_probe_is_refused),
        cmocka_unit_test(unsigned_2xx_is_header_error),
        cmocka_unit_test(aged_answer_is_clock_error_past_max_skew),
        cmocka_unit_test(missing_wechatpay_header_is_named),
        cmocka_unit_test(unsigned_4xx_is_http_error_with_code),
        cmocka_unit_test(signed_4xx_tampered_is_signature_error),
        cmocka_unit_test(transport_failure_reports_errbuf_text),
        cmocka_unit_test(transport_failure_kinds),
        cmocka_unit_test(failover_to_the_backup_host),
        cmocka_unit_test(packed_bounds_past_16_bits),
        cmocka_unit_test(retry_over_failover_keeps_sent),
        cmocka_unit_test(failover_never_after_something_heard),
        cmocka_unit_test(answer_filling_io_buf_is_nospace),
        cmocka_unit_test(oversized_body_reports_full_size),
        cmocka_unit_test(transport_without_status_is_transport_error),
        cmocka_unit_test(headers_match_any_case_and_values_are_trimmed),
        cmocka_unit_test(v3_request_refuses_bad_method_path_and_random),
        cmocka_unit_test(default_random_hands_out_each_pool_byte_once),
        cmocka_unit_test(nonce_draws_from_a_caller_source),
        cmocka_unit_test(config_host_and_timeout_reach_the_transport),
        cmocka_unit_test(prepare_transport_finish_equals_v3_request),
        cmocka_unit_test(v3_finish_clears_stale_result),
        cmocka_unit_test(path_fill_encodes_and_names_missing_params),
        cmocka_unit_test(refund_encode_equals_vector_body),
        cmocka_unit_test(refund_create_decodes_every_field),
        cmocka_unit_test(refund_validation_sends_nothing),
        cmocka_unit_test(refund_currency_defaults_to_cny_on_the_wire),
        cmocka_unit_test(refund_decode_more_from_than_cap_is_partial),
        cmocka_unit_test(refund_decode_nested_promotion_goods),
        cmocka_unit_test(refund_query_encodes_number_and_sub_mchid),
        cmocka_unit_test(refund_over_the_rest_is_refused),
        cmocka_unit_test(refund_same_number_twice_is_booked_once),
        cmocka_unit_test(retry_after_lost_answer_books_once),
        cmocka_unit_test(retry_after_system_error_succeeds),
        cmocka_unit_test(retries_are_bounded_and_back_off),
        cmocka_unit_test(log_hook_sees_each_attempt_and_no_secret),
        cmocka_unit_test(param_error_is_not_retried),
        cmocka_unit_test(refund_query_refusal_clears_stale_result),
        cmocka_unit_test(transaction_query_decodes_state_amount_payer),
        cmocka_unit_test(encrypt_sets_serial_for_the_next_request_only),
        cmocka_unit_test(client_decrypt_reads_fields_encrypted_to_the_merchant),
        cmocka_unit_test(certificates_download_bootstraps_empty_store),
        cmocka_unit_test(keystore_refresh_downloads_when_due),
        cmocka_unit_test(certificates_download_verified_by_held_key),
        cmocka_unit_test(certificates_download_unknown_signer_changes_nothing),
        cmocka_unit_test(certificates_download_verifies_held_signer_first),
        cmocka_unit_test(certificates_download_tampered_ciphertext_changes_nothing),
        cmocka_unit_test(certificates_download_needs_apiv3_key),
        cmocka_unit_test(response_count_saturates),
        cmocka_unit_test(long_path_is_refused_not_cut),
        cmocka_unit_test(dot_segments_are_refused),
        cmocka_unit_test(expired_certificate_signs_nothing),
    };
    return cmocka_run_group_tests_name("client", tests, NULL, NULL);
}
