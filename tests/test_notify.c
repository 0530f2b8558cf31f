/* Tests of the notify section: callbacks verified exactly as answers (headers,
   clock, serial, signature, probe), the replay guard, the AES-256-GCM resource,
   the refund resource decoder, callbacks made by the simulator end to end, and
   the merchant's answer to WeChat Pay. */
#include "tests.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1795425663LL /* the refund callback vector's timestamp */
/* UTF-8 spelled out so the source stays ASCII. */
#define ZH_REFUNDED "\xe9\x80\x80\xe6\xac\xbe\xe6\x88\x90\xe5\x8a\x9f"
#define ZH_CMB_CARD "\xe6\x8b\x9b\xe5\x95\x86\xe9\x93\xb6\xe8\xa1\x8c\xe4\xbf\xa1\xe7\x94\xa8\xe5\x8d\xa1" "0403"
#define ZH_CHANGE "\xe6\x94\xaf\xe4\xbb\x98\xe7\x94\xa8\xe6\x88\xb7\xe9\x9b\xb6\xe9\x92\xb1"

#define ASSERT_ERR(call, want, r)                                                        \
    do {                                                                                 \
        wxp_err got_ = (call);                                                           \
        if (got_ != (want))                                                              \
            fail_msg("line %d: got %s, want %s (field \"%s\", message \"%s\")", __LINE__, \
                     wxp_strerror(got_), wxp_strerror(want), (r).field, (r).message);     \
    } while (0)
#define ASSERT_OK(call, r) ASSERT_ERR(call, WXP_OK, r)

static wxp_fake fake;
static wxp_client client;
static unsigned char io[WXP_IO_BUFSIZE_MIN];
static wxp_pubkey slots[2];
static wxp_keystore keys;
static wxp_rsa_key platform;
static wxp_pubkey merchant_pub;
static char merchant_pem[4096], wechatpay_pub_pem[1024];
/* A callback as received: a writable body (parsing unescapes in place). */
static char body[8192];
static size_t body_len;
static unsigned char plain[4096];

/* ---- helpers --------------------------------------------------------------- */

static void assert_view(wxp_str got, const char *want)
{
    if (got.len != strlen(want) || memcmp(got.ptr, want, got.len) != 0)
        fail_msg("got \"%.*s\"\nwant \"%s\"", (int)got.len, got.ptr, want);
}

static void assert_views_equal(wxp_str got, wxp_str want)
{
    if (got.len != want.len || memcmp(got.ptr, want.ptr, want.len) != 0)
        fail_msg("got \"%.*s\"\nwant \"%.*s\"", (int)got.len, got.ptr, (int)want.len, want.ptr);
}

/* A merchant's client: the WeChat Pay public key, the APIv3 key, the shared
   clock. The simulator is its transport and makes callbacks. */
static wxp_config env(void)
{
    wxp_config cfg;
    wxp_fake_config fc;
    wxp_result r;
    test_now = T0;
    test_platform_key(&platform);
    test_merchant_pub(&merchant_pub);
    wxp_keystore_init(&keys, slots, 2);
    ASSERT_OK(wxp_keystore_add_pubkey(&keys, TEST_PUB_ID,
                                      test_keep_file("tests/vectors/keys/wechatpay_pub.pem", wechatpay_pub_pem,
                                                     sizeof wechatpay_pub_pem),
                                      &r),
              r);
    fc = test_fake_config(&merchant_pub, &platform);
    assert_int_equal(wxp_fake_init(&fake, &fc), WXP_OK);
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

/* The vector case whose resource has this associated_data and a callback. */
static int callback_case(test_vec *v, const char *aad)
{
    int cases = wxp_json_get(&v->doc, 0, "cases"), c;
    for (c = wxp_json_first(&v->doc, cases); c >= 0; c = wxp_json_next(&v->doc, cases, c))
        if (wxp_json_get(&v->doc, c, "callback") >= 0 &&
            strcmp(test_cstr(test_vec_str(v, c, "associated_data")), aad) == 0)
            return c;
    fail_msg("no callback vector with associated_data \"%s\"", aad);
    return -1;
}

/* Headers and a writable copy of the body of a vector callback; the clock is
   set to its timestamp. */
static wxp_notify_headers load_callback(test_vec *v, int c)
{
    wxp_notify_headers h;
    wxp_str b = test_vec_str(v, c, "callback.body");
    h.timestamp = test_vec_str(v, c, "callback.headers.Wechatpay-Timestamp");
    h.nonce = test_vec_str(v, c, "callback.headers.Wechatpay-Nonce");
    h.signature = test_vec_str(v, c, "callback.headers.Wechatpay-Signature");
    h.serial = test_vec_str(v, c, "callback.headers.Wechatpay-Serial");
    assert_true(b.len < sizeof body);
    memcpy(body, b.ptr, b.len);
    body_len = b.len;
    test_now = strtoll(test_cstr(h.timestamp), NULL, 10);
    return h;
}

/* The refund callback of the vectors, ready to parse. */
static wxp_notify_headers refund_callback(test_vec *v)
{
    test_vec_load(v, "v3_notify_decrypt.json");
    return load_callback(v, callback_case(v, "refund"));
}

static wxp_err parse(const wxp_notify_headers *h, wxp_notification *n, wxp_result *r)
{
    return wxp_notify_parse(&client, h, body, body_len, plain, sizeof plain, n, r);
}

/* A callback body signed by hand with the platform key, for bodies WeChat Pay
   would never send (the signature must be right to reach the later checks). */
static char cb_ts[24], cb_sig[WXP_SIG_B64_MAX + 1];

static wxp_notify_headers sign_callback(const char *text)
{
    static char msg[8192];
    static const char nonce[] = "Kq2jeTwpP0oqtr1eJ6Bzb7AWD0AwYxPf";
    wxp_notify_headers h;
    wxp_result r;
    size_t n, len = 0;
    body_len = strlen(text);
    assert_true(body_len < sizeof body);
    memcpy(body, text, body_len);
    snprintf(cb_ts, sizeof cb_ts, "%lld", test_now);
    n = (size_t)snprintf(msg, sizeof msg, "%s\n%s\n%s\n", cb_ts, nonce, text);
    assert_true(n < sizeof msg);
    ASSERT_OK(wxp_sign_base64(&platform.vtable, msg, n, cb_sig, sizeof cb_sig, &len, &r), r);
    cb_sig[len] = 0;
    h.timestamp = wxp_cstr(cb_ts);
    h.nonce = wxp_cstr(nonce);
    h.signature = wxp_cstr(cb_sig);
    h.serial = wxp_cstr(TEST_PUB_ID);
    return h;
}

/* A resource body around the vector's small transaction ciphertext. */
static const char *resource_body(const char *algorithm, int with_ciphertext)
{
    static char text[1024];
    snprintf(text, sizeof text,
             "{\"id\":\"EV-1\",\"create_time\":\"2026-11-23T17:04:53+08:00\",\"resource_type\":\"encrypt-resource\","
             "\"event_type\":\"TRANSACTION.SUCCESS\",\"summary\":\"ok\",\"resource\":{\"original_type\":"
             "\"transaction\",\"algorithm\":\"%s\",%s\"associated_data\":\"\",\"nonce\":\"2qGhyf09ikT6\"}}",
             algorithm, with_ciphertext ? "\"ciphertext\":\"uFBf8JKh8YZISadzLNRex3d36iBQleTbQGIT\"," : "");
    return text;
}

/* ---- the vectors -------------------------------------------------------------------- */

/* Every vector callback: verified and decrypted to the vector's plaintext. */
static void vector_callbacks_parse_and_decrypt(void **state)
{
    test_vec v;
    int cases, c, n = 0;
    (void)state;
    env_up();
    test_vec_load(&v, "v3_notify_decrypt.json");
    cases = wxp_json_get(&v.doc, 0, "cases");
    for (c = wxp_json_first(&v.doc, cases); c >= 0; c = wxp_json_next(&v.doc, cases, c)) {
        wxp_notify_headers h;
        wxp_notification note;
        wxp_result r;
        if (wxp_json_get(&v.doc, c, "callback") < 0) continue;
        h = load_callback(&v, c);
        ASSERT_OK(parse(&h, &note, &r), r);
        assert_views_equal(note.plaintext, test_vec_str(&v, c, "plaintext"));
        assert_true(note.plaintext.ptr == (const char *)plain);
        assert_view(note.id, "EV-2018022511223320873");
        assert_view(note.create_time, "2015-05-20T13:29:35+08:00");
        assert_view(note.resource_type, "encrypt-resource");
        assert_view(note.summary, ZH_REFUNDED);
        assert_view(note.algorithm, "AEAD_AES_256_GCM");
        assert_views_equal(note.associated_data, test_vec_str(&v, c, "associated_data"));
        assert_views_equal(note.nonce, test_vec_str(&v, c, "nonce"));
        if (note.associated_data.len) {
            assert_view(note.event_type, "REFUND.SUCCESS");
            assert_view(note.original_type, "refund");
        } else {
            assert_view(note.event_type, "TRANSACTION.SUCCESS");
            assert_view(note.original_type, "transaction");
        }
        n++;
    }
    assert_int_equal(n, 2);
}

static void vector_refund_resource_decodes_every_field(void **state)
{
    wxp_notify_headers h;
    wxp_notification note;
    wxp_refund_notify rn;
    wxp_result r;
    test_vec v;
    (void)state;
    env_up();
    h = refund_callback(&v);
    ASSERT_OK(parse(&h, &note, &r), r);
    ASSERT_OK(wxp_refund_notify_decode(&note, &rn, &r), r);
    assert_view(rn.mchid, TEST_MCHID);
    assert_view(rn.sp_mchid, "");
    assert_view(rn.sub_mchid, "");
    assert_view(rn.out_trade_no, "1217752501201407033233368018");
    assert_view(rn.transaction_id, "1217752501201407033233368018");
    assert_view(rn.out_refund_no, "1217752501201407033233368018");
    assert_view(rn.refund_id, "1217752501201407033233368018");
    assert_view(rn.refund_status, "SUCCESS");
    assert_view(rn.success_time, "2018-06-08T10:34:56+08:00");
    assert_view(rn.user_received_account, ZH_CMB_CARD);
    assert_int_equal(rn.amount.total, 999);
    assert_int_equal(rn.amount.refund, 999);
    assert_int_equal(rn.amount.payer_total, 999);
    assert_int_equal(rn.amount.payer_refund, 999);
}

/* ---- each failure, its own error ---------------------------------------------------- */

static void changed_body_is_signature_error(void **state)
{
    wxp_notify_headers h;
    wxp_notification note;
    wxp_result r;
    test_vec v;
    char *p;
    (void)state;
    env_up();
    h = refund_callback(&v);
    p = strstr(body, "REFUND.SUCCESS");
    assert_non_null(p);
    memcpy(p, "REFUND.CLOSED ", 14);
    ASSERT_ERR(parse(&h, &note, &r), WXP_E_SIGNATURE, r);
    assert_int_equal(note.plaintext.len, 0);
    assert_int_equal(note.event_type.len, 0);
    /* A changed header is as bad: the nonce is signed too. */
    h = refund_callback(&v);
    h.nonce = wxp_cstr("m9kiwlWRHRxK2J6swSRwK8Rl7nx5d7f9");
    ASSERT_ERR(parse(&h, &note, &r), WXP_E_SIGNATURE, r);
}

static void clock_301_seconds_off_is_clock_error(void **state)
{
    wxp_notify_headers h;
    wxp_notification note;
    wxp_result r;
    test_vec v;
    (void)state;
    env_up();
    h = refund_callback(&v);
    test_now = T0 + 301;
    ASSERT_ERR(parse(&h, &note, &r), WXP_E_CLOCK, r);
    assert_string_equal(r.field, "Wechatpay-Timestamp");
    test_now = T0 - 301;
    ASSERT_ERR(parse(&h, &note, &r), WXP_E_CLOCK, r);
    test_now = T0 + 300;   /* the edges are allowed */
    ASSERT_OK(parse(&h, &note, &r), r);
    h = refund_callback(&v);   /* a fresh copy: parsing may unescape in place */
    test_now = T0 - 300;
    ASSERT_OK(parse(&h, &note, &r), r);
}

static void unknown_serial_is_serial_error(void **state)
{
    wxp_notify_headers h;
    wxp_notification note;
    wxp_result r;
    test_vec v;
    (void)state;
    env_up();
    h = refund_callback(&v);
    h.serial = wxp_cstr("PUB_KEY_ID_0119000091912025010100000000000002");
    ASSERT_ERR(parse(&h, &note, &r), WXP_E_SERIAL, r);
    assert_string_equal(r.field, "Wechatpay-Serial");
    assert_non_null(strstr(r.message, "PUB_KEY_ID_0119000091912025010100000000000002"));
    assert_non_null(strstr(r.message, TEST_PUB_ID));
}

static void missing_header_is_header_error(void **state)
{
    wxp_notify_headers h;
    wxp_notification note;
    wxp_result r;
    test_vec v;
    (void)state;
    env_up();
    h = refund_callback(&v);
    h.timestamp = wxp_cstr("");
    ASSERT_ERR(parse(&h, &note, &r), WXP_E_HEADER, r);
    assert_string_equal(r.field, "Wechatpay-Timestamp");
    h = refund_callback(&v);
    h.nonce = wxp_cstr(NULL);
    ASSERT_ERR(parse(&h, &note, &r), WXP_E_HEADER, r);
    assert_string_equal(r.field, "Wechatpay-Nonce");
    h = refund_callback(&v);
    h.signature = wxp_cstr("");
    ASSERT_ERR(parse(&h, &note, &r), WXP_E_HEADER, r);
    assert_string_equal(r.field, "Wechatpay-Signature");
    h = refund_callback(&v);
    h.serial = wxp_cstr("");
    ASSERT_ERR(parse(&h, &note, &r), WXP_E_HEADER, r);
    assert_string_equal(r.field, "Wechatpay-Serial");
    /* Present but not a time. */
    h = refund_callback(&v);
    h.timestamp = wxp_cstr("17954256x3");
    ASSERT_ERR(parse(&h, &note, &r), WXP_E_HEADER, r);
    assert_string_equal(r.field, "Wechatpay-Timestamp");
}

static void signtest_probe_is_refused(void **state)
{
    static char probe[WXP_SIG_B64_MAX + 1];
    wxp_notify_headers h;
    wxp_notification note;
    wxp_result r;
    test_vec v;
    (void)state;
    env_up();
    h = refund_callback(&v);
    assert_true(h.signature.len < sizeof probe);
    memcpy(probe, h.signature.ptr, h.signature.len);
    memcpy(probe, "WECHATPAY/SIGNTEST/", 19);
    h.signature.ptr = probe;
    ASSERT_ERR(parse(&h, &note, &r), WXP_E_SIGNTEST, r);
    assert_string_equal(r.field, "Wechatpay-Signature");
}

static int replay_always(void *user, wxp_str nonce, long long ts)
{
    (void)user;
    (void)nonce;
    (void)ts;
    return 1;
}

static int replay_down(void *user, wxp_str nonce, long long ts)
{
    (void)user;
    (void)nonce;
    (void)ts;
    return -1;
}

/* A replay guard that remembers what it saw (a real one would expire entries
   after the clock window). */
typedef struct seen_set { char nonce[4][64]; long long ts[4]; size_t n; } seen_set;

static int replay_remember(void *user, wxp_str nonce, long long ts)
{
    seen_set *s = (seen_set *)user;
    size_t i;
    for (i = 0; i < s->n; i++)
        if (s->ts[i] == ts && strlen(s->nonce[i]) == nonce.len && memcmp(s->nonce[i], nonce.ptr, nonce.len) == 0)
            return 1;
    assert_true(s->n < 4 && nonce.len < sizeof s->nonce[0]);
    memcpy(s->nonce[s->n], nonce.ptr, nonce.len);
    s->nonce[s->n][nonce.len] = 0;
    s->ts[s->n++] = ts;
    return 0;
}

static void replay_hook_refuses_seen_callbacks(void **state)
{
    wxp_config cfg;
    wxp_notify_headers h;
    wxp_notification note;
    wxp_result r;
    seen_set seen;
    test_vec v;
    (void)state;
    cfg = env();
    cfg.replay.fn = replay_always;
    client_up(&cfg);
    h = refund_callback(&v);
    ASSERT_ERR(parse(&h, &note, &r), WXP_E_REPLAY, r);
    assert_int_equal(note.plaintext.len, 0);

    /* A guard that cannot tell (its store is down): not a replay, not handled. */
    cfg.replay.fn = replay_down;
    client_up(&cfg);
    h = refund_callback(&v);
    ASSERT_ERR(parse(&h, &note, &r), WXP_E_UNCHECKED, r);
    assert_int_equal(note.plaintext.len, 0);
    assert_string_equal(r.field, "Wechatpay-Nonce");

    memset(&seen, 0, sizeof seen);
    cfg.replay.fn = replay_remember;
    cfg.replay.user = &seen;
    client_up(&cfg);
    h = refund_callback(&v);
    ASSERT_OK(parse(&h, &note, &r), r);
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.nonce[0], "m9kiwlWRHRxK2J6swSRwK8Rl7nx5d7f8");
    assert_int_equal(seen.ts[0], T0);
    h = refund_callback(&v);   /* the same delivery again */
    ASSERT_ERR(parse(&h, &note, &r), WXP_E_REPLAY, r);
    assert_int_equal(note.plaintext.len, 0);
    assert_int_equal(note.id.len, 0);
    /* A delivery that fails after the signature (no room for the plaintext) is
       not remembered: handled again with room, it goes through once. */
    memset(&seen, 0, sizeof seen);
    client_up(&cfg);
    h = refund_callback(&v);
    ASSERT_ERR(wxp_notify_parse(&client, &h, body, body_len, plain, 8, &note, &r), WXP_E_NOSPACE, r);
    assert_int_equal(seen.n, 0);
    h = refund_callback(&v);
    ASSERT_OK(parse(&h, &note, &r), r);
    assert_int_equal(seen.n, 1);
    h = refund_callback(&v);
    ASSERT_ERR(parse(&h, &note, &r), WXP_E_REPLAY, r);
    /* The guard sees only verified callbacks: a forgery does not poison it. */
    h = refund_callback(&v);
    h.nonce = wxp_cstr("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    ASSERT_ERR(parse(&h, &note, &r), WXP_E_SIGNATURE, r);
    assert_int_equal(seen.n, 1);
}

static void missing_apiv3_key_is_arg_error(void **state)
{
    wxp_config cfg;
    wxp_notify_headers h;
    wxp_notification note;
    wxp_result r;
    test_vec v;
    (void)state;
    cfg = env();
    cfg.apiv3_key = wxp_cstr("");
    client_up(&cfg);
    h = refund_callback(&v);
    ASSERT_ERR(parse(&h, &note, &r), WXP_E_ARG, r);
    assert_string_equal(r.field, "apiv3_key");
}

static void wrong_apiv3_key_is_decrypt_error(void **state)
{
    wxp_config cfg;
    wxp_notify_headers h;
    wxp_notification note;
    wxp_result r;
    test_vec v;
    (void)state;
    cfg = env();
    cfg.apiv3_key = wxp_cstr("b7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb");
    client_up(&cfg);
    h = refund_callback(&v);
    ASSERT_ERR(parse(&h, &note, &r), WXP_E_DECRYPT, r);
    assert_int_equal(note.plaintext.len, 0);
}

static void other_algorithm_is_unsupported(void **state)
{
    wxp_notify_headers h;
    wxp_notification note;
    wxp_result r;
    (void)state;
    env_up();
    h = sign_callback(resource_body("AEAD_AES_128_GCM", 1));
    ASSERT_ERR(parse(&h, &note, &r), WXP_E_UNSUPPORTED, r);
    assert_string_equal(r.field, "resource.algorithm");
    /* The same body with the one algorithm: accepted (the signing helper is right). */
    h = sign_callback(resource_body("AEAD_AES_256_GCM", 1));
    ASSERT_OK(parse(&h, &note, &r), r);
    assert_view(note.plaintext, "{\"ok\":true}");
}

static void small_plaintext_buffer_is_nospace(void **state)
{
    wxp_notify_headers h;
    wxp_notification note;
    wxp_result r;
    test_vec v;
    (void)state;
    env_up();
    h = refund_callback(&v);
    ASSERT_ERR(wxp_notify_parse(&client, &h, body, body_len, plain, 64, &note, &r), WXP_E_NOSPACE, r);
    assert_true(r.needed > 64);
    /* What it asked for is enough. */
    {
        size_t need = r.needed;
        h = refund_callback(&v);
        ASSERT_OK(wxp_notify_parse(&client, &h, body, body_len, plain, need, &note, &r), r);
    }
}

static void malformed_signed_json_is_parse_error(void **state)
{
    wxp_notify_headers h;
    wxp_notification note;
    wxp_result r;
    (void)state;
    env_up();
    h = sign_callback("{\"id\":\"EV-1\",\"resource\":{\"algorithm\":\"AEAD_AES_256_GCM\",}");
    ASSERT_ERR(parse(&h, &note, &r), WXP_E_PARSE, r);
    assert_true(r.offset > 0 && r.offset <= body_len);
}

static void missing_or_empty_fields_are_named(void **state)
{
    wxp_notify_headers h;
    wxp_notification note;
    wxp_result r;
    (void)state;
    env_up();
    h = sign_callback(resource_body("AEAD_AES_256_GCM", 0));
    ASSERT_ERR(parse(&h, &note, &r), WXP_E_NOTFOUND, r);
    assert_string_equal(r.field, "resource.ciphertext");
    /* The same with no resource at all names the first field it needs. */
    h = sign_callback("{\"id\":\"EV-1\",\"event_type\":\"TRANSACTION.SUCCESS\"}");
    ASSERT_ERR(parse(&h, &note, &r), WXP_E_NOTFOUND, r);
    assert_string_equal(r.field, "resource.algorithm");
    /* Present but empty is as good as missing. */
    h = sign_callback("{\"id\":\"\",\"event_type\":\"TRANSACTION.SUCCESS\"}");
    ASSERT_ERR(parse(&h, &note, &r), WXP_E_NOTFOUND, r);
    assert_string_equal(r.field, "id");
}

/* Escaped strings in the body are unescaped in place: the views are the text. */
static void escaped_fields_are_unescaped_views(void **state)
{
    static const char text[] =
        "{\"id\":\"EV-\\u0031\",\"create_time\":\"2026-11-23T17:04:53+08:00\",\"resource_type\":"
        "\"encrypt-resource\",\"event_type\":\"TRANSACTION.SUCCESS\",\"summary\":\"\\u9000\\u6b3e\\n\","
        "\"resource\":{\"original_type\":\"transaction\",\"algorithm\":\"AEAD_AES_256_GCM\",\"ciphertext\":"
        "\"uFBf8JKh8YZISadzLNRex3d36iBQleTbQGIT\",\"associated_data\":\"\",\"nonce\":\"2qGhyf09ikT6\"}}";
    wxp_notify_headers h;
    wxp_notification note;
    wxp_result r;
    (void)state;
    env_up();
    h = sign_callback(text);
    ASSERT_OK(parse(&h, &note, &r), r);
    assert_view(note.id, "EV-1");
    assert_view(note.summary, "\xe9\x80\x80\xe6\xac\xbe\n");
    assert_true(note.summary.ptr >= body && note.summary.ptr < body + body_len);
    assert_view(note.plaintext, "{\"ok\":true}");
}

/* ---- callbacks made by the simulator ------------------------------------------------- */

static void simulator_refund_callback_parses_end_to_end(void **state)
{
    wxp_refund_req q;
    wxp_refund out;
    wxp_refund_from from[2];
    wxp_refund_promotion promo[1];
    wxp_notify_headers h;
    wxp_notification note;
    wxp_refund_notify rn;
    const wxp_fake_refund *booked;
    wxp_result r;
    (void)state;
    env_up();
    assert_int_equal(wxp_fake_add_order(&fake, "T-notify-1", NULL, 500), WXP_OK);
    memset(&q, 0, sizeof q);
    q.out_trade_no = "T-notify-1";
    q.out_refund_no = "R-notify-1";
    q.amount.refund = 120;
    q.amount.total = 500;
    memset(&out, 0, sizeof out);
    out.amount.from = from;
    out.amount.from_cap = 2;
    out.promotion_detail = promo;
    out.promotion_detail_cap = 1;
    ASSERT_OK(wxp_refund_create(&client, &q, &out, &r), r);
    booked = wxp_fake_find_refund(&fake, "R-notify-1");
    assert_non_null(booked);

    test_now += 5;
    ASSERT_OK(wxp_fake_notify_refund(&fake, wxp_cstr(TEST_APIV3_KEY), "R-notify-1", body, sizeof body, &body_len,
                                     &h, &r), r);
    ASSERT_OK(parse(&h, &note, &r), r);
    assert_view(note.event_type, "REFUND.SUCCESS");
    assert_view(note.original_type, "refund");
    assert_view(note.associated_data, "refund");
    assert_view(note.resource_type, "encrypt-resource");
    assert_view(note.summary, ZH_REFUNDED);
    assert_int_equal(note.nonce.len, 12);
    ASSERT_OK(wxp_refund_notify_decode(&note, &rn, &r), r);
    assert_view(rn.mchid, TEST_MCHID);
    assert_view(rn.out_trade_no, "T-notify-1");
    assert_view(rn.transaction_id, wxp_fake_find_order(&fake, "T-notify-1")->transaction_id);
    assert_view(rn.out_refund_no, "R-notify-1");
    assert_view(rn.refund_id, booked->refund_id);
    assert_view(rn.refund_status, "SUCCESS");
    assert_true(rn.success_time.len == 25);
    assert_view(rn.user_received_account, ZH_CHANGE);
    assert_int_equal(rn.amount.total, 500);
    assert_int_equal(rn.amount.refund, 120);
    assert_int_equal(rn.amount.payer_total, 500);
    assert_int_equal(rn.amount.payer_refund, 120);

    /* A closed refund calls back REFUND.CLOSED, with no success_time. */
    assert_int_equal(wxp_fake_set_refund_status(&fake, "R-notify-1", "CLOSED"), WXP_OK);
    ASSERT_OK(wxp_fake_notify_refund(&fake, wxp_cstr(TEST_APIV3_KEY), "R-notify-1", body, sizeof body, &body_len,
                                     &h, &r), r);
    ASSERT_OK(parse(&h, &note, &r), r);
    assert_view(note.event_type, "REFUND.CLOSED");
    ASSERT_OK(wxp_refund_notify_decode(&note, &rn, &r), r);
    assert_view(rn.refund_status, "CLOSED");
    assert_view(rn.success_time, "");
}

/* Any event through wxp_fake_notify; and the simulator's faults reach callbacks too. */
static void simulator_event_callback_and_its_faults(void **state)
{
    static const char resource[] = "{\"out_trade_no\":\"T1\",\"trade_state\":\"SUCCESS\"}";
    static const struct { unsigned fault; wxp_err want; } faults[] = {
        { WXP_FAKE_FLIP_BODY, WXP_E_SIGNATURE },
        { WXP_FAKE_BAD_TIMESTAMP, WXP_E_SIGNATURE },
        { WXP_FAKE_BAD_NONCE, WXP_E_SIGNATURE },
        { WXP_FAKE_UNKNOWN_SERIAL, WXP_E_SERIAL },
        { WXP_FAKE_SIGNTEST, WXP_E_SIGNTEST },
        { WXP_FAKE_UNSIGNED, WXP_E_HEADER },
    };
    wxp_fake_event ev;
    wxp_notify_headers h;
    wxp_notification note;
    wxp_result r;
    size_t i;
    (void)state;
    env_up();
    memset(&ev, 0, sizeof ev);
    ev.event_type = "TRANSACTION.SUCCESS";
    ev.summary = "paid";
    ev.id = "EV-42";
    ev.plaintext = wxp_cstr(resource);
    ASSERT_OK(wxp_fake_notify(&fake, wxp_cstr(TEST_APIV3_KEY), &ev, body, sizeof body, &body_len, &h, &r), r);
    ASSERT_OK(parse(&h, &note, &r), r);
    assert_view(note.plaintext, resource);
    assert_view(note.id, "EV-42");
    assert_view(note.event_type, "TRANSACTION.SUCCESS");
    assert_view(note.summary, "paid");
    assert_view(note.original_type, "transaction");
    assert_view(note.associated_data, "transaction");
    for (i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        wxp_fake_fault(&fake, faults[i].fault);
        ASSERT_OK(wxp_fake_notify(&fake, wxp_cstr(TEST_APIV3_KEY), &ev, body, sizeof body, &body_len, &h, &r), r);
        ASSERT_ERR(parse(&h, &note, &r), faults[i].want, r);
    }
    wxp_fake_fault_age(&fake, 301);
    ASSERT_OK(wxp_fake_notify(&fake, wxp_cstr(TEST_APIV3_KEY), &ev, body, sizeof body, &body_len, &h, &r), r);
    ASSERT_ERR(parse(&h, &note, &r), WXP_E_CLOCK, r);
    /* Encrypted under another APIv3 key. */
    ASSERT_OK(wxp_fake_notify(&fake, wxp_cstr("0123456789abcdef0123456789abcdef"), &ev, body, sizeof body,
                              &body_len, &h, &r), r);
    ASSERT_ERR(parse(&h, &note, &r), WXP_E_DECRYPT, r);
}

/* ---- the merchant's answer ------------------------------------------------------------ */

static void notify_answer_ok_and_fail(void **state)
{
    char out[128];
    size_t len = 99;
    int status = 0;
    (void)state;
    memset(out, 'x', sizeof out);
    assert_int_equal(wxp_notify_answer(1, NULL, out, sizeof out, &len, &status), WXP_OK);
    assert_int_equal(status, 204);
    assert_int_equal(len, 0);
    assert_string_equal(out, "");

    assert_int_equal(wxp_notify_answer(0, "bad \"sig\"\n\\", out, sizeof out, &len, &status), WXP_OK);
    assert_int_equal(status, 500);
    assert_string_equal(out, "{\"code\":\"FAIL\",\"message\":\"bad \\\"sig\\\"\\n\\\\\"}");
    assert_int_equal(len, strlen(out));
    assert_int_equal(wxp_notify_answer(0, ZH_REFUNDED, out, sizeof out, &len, &status), WXP_OK);
    assert_string_equal(out, "{\"code\":\"FAIL\",\"message\":\"" ZH_REFUNDED "\"}");
    /* No message: still a message, never an empty one. */
    assert_int_equal(wxp_notify_answer(0, NULL, out, sizeof out, &len, &status), WXP_OK);
    assert_non_null(strstr(out, "{\"code\":\"FAIL\",\"message\":\""));
    assert_true(strlen(out) > strlen("{\"code\":\"FAIL\",\"message\":\"\"}"));

    /* Too small, by one byte or by far. The body goes out by length, so an
       exact fit is enough (the NUL only when room allows, as the writer does). */
    {
        static const char want[] = "{\"code\":\"FAIL\",\"message\":\"x\"}";
        assert_int_equal(wxp_notify_answer(0, "x", out, sizeof want - 2, &len, &status), WXP_E_NOSPACE);
        assert_int_equal(wxp_notify_answer(0, "x", out, 4, &len, &status), WXP_E_NOSPACE);
        assert_int_equal(wxp_notify_answer(0, "x", NULL, 0, &len, &status), WXP_OK);   /* measures */
        assert_int_equal(len, sizeof want - 1);
        memset(out, 'x', sizeof out);
        assert_int_equal(wxp_notify_answer(0, "x", out, sizeof want - 1, &len, &status), WXP_OK);
        assert_int_equal(len, sizeof want - 1);
        assert_memory_equal(out, want, sizeof want - 1);
    }
}

int test_group_notify(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vector_callbacks_parse_and_decrypt),
        cmocka_unit_test(vector_refund_resource_decodes_every_field),
        cmocka_unit_test(changed_body_is_signature_error),
        cmocka_unit_test(clock_301_seconds_off_is_clock_error),
        cmocka_unit_test(unknown_serial_is_serial_error),
        cmocka_unit_test(missing_header_is_header_error),
        cmocka_unit_test(signtest_probe_is_refused),
        cmocka_unit_test(replay_hook_refuses_seen_callbacks),
        cmocka_unit_test(missing_apiv3_key_is_arg_error),
        cmocka_unit_test(wrong_apiv3_key_is_decrypt_error),
        cmocka_unit_test(other_algorithm_is_unsupported),
        cmocka_unit_test(small_plaintext_buffer_is_nospace),
        cmocka_unit_test(malformed_signed_json_is_parse_error),
        cmocka_unit_test(missing_or_empty_fields_are_named),
        cmocka_unit_test(escaped_fields_are_unescaped_views),
        cmocka_unit_test(simulator_refund_callback_parses_end_to_end),
        cmocka_unit_test(simulator_event_callback_and_its_faults),
        cmocka_unit_test(notify_answer_ok_and_fail),
    };
    return cmocka_run_group_tests_name("notify", tests, NULL, NULL);
}
