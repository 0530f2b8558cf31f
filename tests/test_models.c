/* Tests of the typed-model layer (tables, validation, indexed APIv2 lists),
   the XML reader's refusals and the client-side rate limits. */
#include "tests.h"
#include "examples/test_keys.h"
#include <stdio.h>
#include <string.h>

/* ---- APIv3 request encoding equals the seeds' bodies ---------------------- */

static wxp_str vector_body(const char *url)
{
    test_vec v;
    int cases, c;
    test_vec_load(&v, "v3_request_sign.json");
    cases = wxp_json_get(&v.doc, 0, "cases");
    for (c = wxp_json_first(&v.doc, cases); c >= 0; c = wxp_json_next(&v.doc, cases, c))
        if (strcmp(test_cstr(test_vec_str(&v, c, "url")), url) == 0) return test_vec_str(&v, c, "body");
    fail_msg("no vector for %s", url);
    return wxp_cstr("");
}

static void error_names_and_strings(void **state)
{
    int e;
    (void)state;
    for (e = 0; e < WXP_ERR_COUNT; e++) {
        const char *name = wxp_errname((wxp_err)e), *str = wxp_strerror((wxp_err)e);
        assert_true(strncmp(name, "WXP_", 4) == 0);
        assert_true(strncmp(str, name, strlen(name)) == 0 && str[strlen(name)] == ':');
    }
    assert_string_equal(wxp_errname(WXP_E_HTTP), "WXP_E_HTTP");
    assert_string_equal(wxp_errname((wxp_err)999), "WXP_UNKNOWN");
}

static void refund_encode_equals_seed_body(void **state)
{
    wxp_refund_req q;
    char buf[1024];
    size_t n;
    wxp_result r;
    wxp_str want = vector_body("/v3/refund/domestic/refunds");
    (void)state;
    memset(&q, 0, sizeof q);
    q.transaction_id = "1217752501201407033233368018";
    q.out_refund_no = "1217752501201407033233368018";
    q.reason = "商品已售完";
    q.notify_url = "https://weixin.qq.com";
    q.amount.refund = 888;
    q.amount.total = 888;
    assert_int_equal(wxp_refund_req_encode(buf, sizeof buf, &q, &n, &r), WXP_OK);
    assert_int_equal(n, want.len);
    assert_memory_equal(buf, want.ptr, n);
    /* NULL measures, and the same length comes back. */
    assert_int_equal(wxp_refund_req_encode(NULL, 0, &q, &n, &r), WXP_OK);
    assert_int_equal(n, want.len);
    assert_int_equal(wxp_refund_req_encode(buf, 10, &q, &n, &r), WXP_E_NOSPACE);
    assert_int_equal(r.needed, want.len);
}

static void refund_validation_names_the_field(void **state)
{
    static const struct { const char *field; } cases[] = {
        { "out_refund_no" }, { "out_refund_no" }, { "amount.refund" }, { "amount.refund" },
        { "amount.from" }, { "notify_url" }, { "notify_url" }, { "transaction_id" }, { "amount.from.0.account" },
        { "goods_detail.0.merchant_goods_id" }, { "amount.from.account" }, { "amount.from" }, { "amount.from.account" },
        { "funds_account" }, { "amount.currency" }, { "reason" },
    };
    wxp_refund_from_req from[2] = { { "AVAILABLE", 5 }, { "UNAVAILABLE", 6 } };
    wxp_refund_from_req twice[2] = { { "AVAILABLE", 5 }, { "AVAILABLE", 5 } };
    wxp_refund_from_req other[1] = { { "BASIC", 10 } };
    wxp_refund_from_req bad_from[1] = { { "available", 1 } };
    wxp_refund_goods_req goods[1];
    size_t i;
    (void)state;
    memset(goods, 0, sizeof goods);
    goods[0].refund_quantity = 1;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wxp_refund_req q;
        wxp_result r;
        size_t n;
        char reason[100];
        memset(&q, 0, sizeof q);
        q.out_trade_no = "T123456";
        q.out_refund_no = "R1";
        q.amount.refund = 10;
        q.amount.total = 10;
        switch (i) {
        case 0: q.out_refund_no = "R 1"; break;
        case 1: q.out_refund_no = "R1234567890123456789012345678901234567890123456789012345678901234"; break;
        case 2: q.amount.refund = 0; break;
        case 3: q.amount.refund = 11; break;
        case 4: q.amount.from = from; q.amount.from_count = 2; break;
        case 5: q.notify_url = "http://example.com/n"; break;
        case 6: q.notify_url = "https://example.com/n?x=1"; break;
        case 7: q.out_trade_no = NULL; break;
        case 8: q.amount.from = bad_from; q.amount.from_count = 1; break;
        case 9: q.goods_detail = goods; q.goods_detail_count = 1; break;
        case 10: q.amount.from = twice; q.amount.from_count = 2; break;              /* sums, but repeats */
        case 11: q.amount.from = from; q.amount.from_count = 1; break;               /* 5 of 10: must equal */
        case 12: q.amount.from = other; q.amount.from_count = 1; break;              /* not an account type */
        case 13: q.funds_account = "UNSETTLED"; break;                               /* answer-only value */
        case 14: q.amount.currency = "USD"; break;
        default: memset(reason, 'a', 81); reason[81] = 0; q.reason = reason; break;
        }
        assert_int_equal(wxp_refund_req_encode(NULL, 0, &q, &n, &r), WXP_E_ARG);
        assert_string_equal(r.field, cases[i].field);
        assert_true(r.message[0] != 0);
    }
}

static void coupon_and_subsidy_encode_equal_seed_bodies(void **state)
{
    wxp_coupon_return_req cq;
    wxp_subsidy_return_req sq;
    size_t n;
    wxp_result r;
    wxp_str want;
    (void)state;
    /* What the typed calls sent, as the simulator recorded it. */
    memset(&cq, 0, sizeof cq);
    cq.coupon_code = "sxxe34343434";
    cq.stock_id = "1234567891";
    cq.return_request_no = "1002600620019090123143254436";
    memset(&sq, 0, sizeof sq);
    sq.stock_id = "128888000000001";
    sq.coupon_code = "ABCD12345678";
    sq.transaction_id = "4200000913202101152566792388";
    sq.refund_id = "50100506732021010105138718375";
    sq.payer_merchant = "1900000001";
    sq.payee_merchant = "1800000001";
    sq.amount = 100;
    sq.description = "20210115DESCRIPTION";
    sq.out_subsidy_return_no = "subsidy-abc-2021010101";
    {
        static wxp_fake fake;
        static unsigned char io[WXP_IO_BUFSIZE_DEFAULT];
        static wxp_pubkey slots[1];
        static wxp_client c;
        wxp_keystore ks;
        wxp_config cfg;
        wxp_coupon_return_result cr;
        wxp_subsidy_return_receipt sr;
        const wxp_fake_record *rec;
        assert_int_equal(wxp_fake_init(&fake, NULL), WXP_OK);
        wxp_keystore_init(&ks, slots, 1);
        cfg = test_config(&ks, io, sizeof io);
        cfg.private_key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
        cfg.transport = wxp_fake_as_transport(&fake);
        assert_int_equal(wxp_client_init(&c, &cfg, &r), WXP_OK);
        /* Canned unsigned answers: the client must refuse them, but only after
           sending, which is what this test looks at. */
        assert_int_equal(wxp_fake_push(&fake, 200, "{}"), WXP_OK);
        assert_int_not_equal(wxp_coupon_return(&c, &cq, &cr, &r), WXP_OK);
        rec = wxp_fake_last(&fake);
        want = vector_body("/v3/marketing/busifavor/coupons/return");
        assert_int_equal(rec->body_len, want.len);
        assert_memory_equal(rec->body, want.ptr, want.len);
        assert_int_equal(wxp_fake_push(&fake, 200, "{}"), WXP_OK);
        assert_int_not_equal(wxp_subsidy_return(&c, &sq, &sr, &r), WXP_OK);
        rec = wxp_fake_last(&fake);
        want = vector_body("/v3/marketing/busifavor/subsidy/return-receipts");
        assert_int_equal(rec->body_len, want.len);
        assert_memory_equal(rec->body, want.ptr, want.len);
        /* A rule broken: nothing is sent. */
        n = wxp_fake_request_count(&fake);
        sq.amount = 0;
        assert_int_equal(wxp_subsidy_return(&c, &sq, &sr, &r), WXP_E_ARG);
        assert_string_equal(r.field, "amount");
        cq.stock_id = "12ab";
        assert_int_equal(wxp_coupon_return(&c, &cq, &cr, &r), WXP_E_ARG);
        assert_string_equal(r.field, "stock_id");
        /* The official pages' limits: coupon_code 1-32 (chapter9_2_13),
           transaction_id and refund_id 28-32, description 1-1024 (chapter9_2_17). */
        cq.stock_id = "1234567891";
        cq.coupon_code = "123456789012345678901234567890123";                 /* 33 */
        assert_int_equal(wxp_coupon_return(&c, &cq, &cr, &r), WXP_E_ARG);
        assert_string_equal(r.field, "coupon_code");
        sq.amount = 100;
        sq.transaction_id = "420000091320210115256679238";                     /* 27 */
        assert_int_equal(wxp_subsidy_return(&c, &sq, &sr, &r), WXP_E_ARG);
        assert_string_equal(r.field, "transaction_id");
        sq.transaction_id = "4200000913202101152566792388";
        sq.refund_id = "5010050673202101010513871837";                          /* 28: fine */
        {
            static char desc[1026];
            memset(desc, 'd', 1025);
            sq.description = desc;                                               /* 1025 */
            assert_int_equal(wxp_subsidy_return(&c, &sq, &sr, &r), WXP_E_ARG);
            assert_string_equal(r.field, "description");
            desc[1024] = 0;                                                      /* 1024: sent */
            assert_int_equal(wxp_fake_push(&fake, 200, "{}"), WXP_OK);
            assert_int_not_equal(wxp_subsidy_return(&c, &sq, &sr, &r), WXP_E_ARG);
            n++;
        }
        assert_int_equal(wxp_fake_request_count(&fake), n);
    }
}

/* ---- decoding: every field, arrays into caller arrays --------------------- */

static void refund_decode_every_field(void **state)
{
    char body[2048];
    wxp_str src;
    test_vec v;
    wxp_refund out;
    wxp_refund_from from[2];
    wxp_result r;
    (void)state;
    test_vec_load(&v, "v3_response_verify.json");
    src = test_vec_str(&v, wxp_json_first(&v.doc, wxp_json_get(&v.doc, 0, "cases")), "body");
    memcpy(body, src.ptr, src.len);
    memset(&out, 0, sizeof out);
    out.amount.from = from;
    out.amount.from_cap = 2;
    assert_int_equal(wxp_refund_decode(body, src.len, &out, &r), WXP_OK);
#define EQ(f, s) assert_true(out.f.len == strlen(s) && memcmp(out.f.ptr, s, out.f.len) == 0)
    EQ(refund_id, "50000000382019052709732678859");
    EQ(out_refund_no, "1217752501201407033233368018");
    EQ(transaction_id, "1217752501201407033233368018");
    EQ(out_trade_no, "1217752501201407033233368018");
    EQ(channel, "ORIGINAL");
    EQ(user_received_account, "招商银行信用卡0403");
    EQ(success_time, "2020-12-01T16:18:12+08:00");
    EQ(create_time, "2020-12-01T16:18:12+08:00");
    EQ(status, "SUCCESS");
    EQ(funds_account, "UNSETTLED");
    EQ(amount.currency, "CNY");
#undef EQ
    assert_int_equal(out.amount.total, 100);
    assert_int_equal(out.amount.refund, 100);
    assert_int_equal(out.amount.payer_total, 90);
    assert_int_equal(out.amount.payer_refund, 90);
    assert_int_equal(out.amount.settlement_refund, 100);
    assert_int_equal(out.amount.settlement_total, 100);
    assert_int_equal(out.amount.discount_refund, 10);
    assert_int_equal(out.amount.from_count, 1);
    assert_int_equal(out.amount.from[0].amount, 444);
    assert_int_equal(out.promotion_detail_count, 0);
}

/* A refund answer with every field the Go SDK treats as always present;
   H (head) and A (amount's required tail) are spliced into each case. */
#define H "\"transaction_id\":\"4200000001\",\"out_trade_no\":\"T1\",\"channel\":\"ORIGINAL\"," \
          "\"user_received_account\":\"x\",\"create_time\":\"2026-12-03T10:00:00+08:00\","
#define A ",\"payer_total\":1,\"payer_refund\":1,\"settlement_refund\":1,\"settlement_total\":1," \
          "\"discount_refund\":0,\"currency\":\"CNY\""
static void refund_decode_refusals(void **state)
{
    static const struct { const char *json; wxp_err e; const char *field; } cases[] = {
        { "{" H "\"out_refund_no\":\"R\",\"status\":\"S\",\"amount\":{\"total\":1,\"refund\":1" A "}}", WXP_E_NOTFOUND, "refund_id" },
        { "{" H "\"refund_id\":1,\"out_refund_no\":\"R\",\"status\":\"S\",\"amount\":{\"total\":1,\"refund\":1" A "}}", WXP_E_TYPE, "refund_id" },
        { "{" H "\"refund_id\":\"1\",\"out_refund_no\":\"R\",\"status\":\"S\",\"amount\":{\"total\":\"1\",\"refund\":1" A "}}", WXP_E_TYPE, "amount.total" },
        { "{" H "\"refund_id\":\"1\",\"out_refund_no\":\"R\",\"status\":\"S\",\"amount\":{\"total\":1.5,\"refund\":1" A "}}", WXP_E_RANGE, "amount.total" },
        { "{" H "\"refund_id\":\"1\",\"out_refund_no\":\"R\",\"status\":\"S\",\"amount\":[]}", WXP_E_TYPE, "amount" },
        { "{" H "\"refund_id\":\"1\",\"out_refund_no\":\"R\",\"status\":\"S\",\"amount\":{\"total\":1,\"refund\":1" A ",\"from\":[1]}}", WXP_E_TYPE, "amount.from.0" },
        { "{" H "\"refund_id\":\"1\",\"out_refund_no\":\"R\",\"status\":\"S\",\"amount\":{\"total\":1,\"refund\":1" A ",\"from\":[{\"account\":\"AVAILABLE\",\"amount\":1},{\"account\":\"UNAVAILABLE\",\"amount\":0},{}]}}", WXP_E_PARTIAL, "amount.from" },
        { "{" H "\"refund_id\":\"1\",\"out_refund_no\":\"R\",\"status\":\"S\",\"amount\":{\"total\":1,\"refund\":1" A ",\"from\":[{}]}}", WXP_E_NOTFOUND, "amount.from.0.account" },
        { "{" H "\"refund_id\":\"1\",\"out_refund_no\":\"R\",\"status\":\"\",\"amount\":{\"total\":1,\"refund\":1" A "}}", WXP_E_NOTFOUND, "status" },
        /* Always present in WeChat Pay's answers: their absence is an error. */
        { "{\"refund_id\":\"1\",\"out_refund_no\":\"R\",\"status\":\"S\",\"amount\":{\"total\":1,\"refund\":1" A "}}", WXP_E_NOTFOUND, "transaction_id" },
        { "{" H "\"refund_id\":\"1\",\"out_refund_no\":\"R\",\"status\":\"S\",\"amount\":{\"total\":1,\"refund\":1}}", WXP_E_NOTFOUND, "amount.payer_total" },
        { "[1]", WXP_E_TYPE, "json" },
        { "{\"refund_id\":\"1\"", WXP_E_PARSE, "json" },
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[512];
        wxp_refund out;
        wxp_refund_from from[2];
        wxp_result r;
        size_t n = strlen(cases[i].json);
        memcpy(buf, cases[i].json, n);
        memset(&out, 0, sizeof out);
        out.amount.from = from;
        out.amount.from_cap = 2;
        assert_int_equal(wxp_refund_decode(buf, n, &out, &r), cases[i].e);
        assert_string_equal(r.field, cases[i].field);
    }
}

#undef H
#undef A

/* ---- XML reader refusals (XXE-proof by construction) ---------------------- */

static void xml_reader_refusals(void **state)
{
    static const char *const bad[] = {
        "<!DOCTYPE xml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><xml><a>&x;</a></xml>",
        "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]><xml><a>&lol2;</a></xml>",
        "<xml><!ENTITY x \"y\"><a>1</a></xml>",
        "<xml><a>&x;</a></xml>",
        "<xml><!-- comment --><a>1</a></xml>",
        "<xml><?pi x?><a>1</a></xml>",
        "<xml><a><b>1</b></a></xml>",
        "<xml><a>1</b></xml>",
        "<xml><a>1</a></root>",
        "<xml><a>1</a>",
        "<xml><a>1",
        "<xml><a><![CDATA[1]]</a></xml>",
        "<xml a=\"1\"><a>1</a></xml>",
        "<xml>text<a>1</a></xml>",
        "<xml><a>&#0;</a></xml>",
        "<xml><a>&#xD800;</a></xml>",
        "<xml><a>&#x110000;</a></xml>",
        "<xml><a>1</a></xml><xml/>",
        "",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char buf[256];
        wxp_kv kv[8];
        size_t n, len = strlen(bad[i]);
        wxp_result r;
        memcpy(buf, bad[i], len);
        assert_int_equal(wxp_xml_parse(buf, len, kv, 8, &n, &r), WXP_E_PARSE);
        assert_true(r.offset <= len);
        assert_true(r.message[0] != 0);
    }
}

static void xml_reader_limits(void **state)
{
    static char big[WXP_XML_MAX_BYTES + 16];
    char buf[128];
    wxp_kv kv[2];
    size_t n;
    wxp_result r;
    const char *three = "<xml><a>1</a><b>2</b><c>3</c></xml>";
    (void)state;
    memset(big, ' ', sizeof big);
    assert_int_equal(wxp_xml_parse(big, sizeof big, kv, 2, &n, &r), WXP_E_PARSE);
    memcpy(buf, three, strlen(three));
    assert_int_equal(wxp_xml_parse(buf, strlen(three), kv, 2, &n, &r), WXP_E_NOSPACE);
    assert_int_equal(r.needed, 3);
}

static void xml_writer_splits_cdata_end(void **state)
{
    wxp_kv kv[1];
    char out[128];
    size_t n, m;
    wxp_kv back[2];
    wxp_result r;
    (void)state;
    kv[0].key = wxp_cstr("a");
    kv[0].value = wxp_cstr("x]]>y<");
    assert_int_equal(wxp_xml_write(out, sizeof out, kv, 1, &n, &r), WXP_OK);
    assert_string_equal(out, "<xml><a><![CDATA[x]]]]><![CDATA[>y<]]></a></xml>");
    assert_int_equal(wxp_xml_parse(out, n, back, 2, &m, &r), WXP_OK);
    assert_int_equal(m, 1);
    assert_int_equal(back[0].value.len, 6);
    assert_memory_equal(back[0].value.ptr, "x]]>y<", 6);
    kv[0].key = wxp_cstr("a-b");
    assert_int_equal(wxp_xml_write(out, sizeof out, kv, 1, &n, &r), WXP_E_ARG);
}

static void v2_sign_rejects_duplicates_and_verifies(void **state)
{
    wxp_kv kv[3];
    char sign[65];
    wxp_result r;
    (void)state;
    kv[0].key = wxp_cstr("a"); kv[0].value = wxp_cstr("1");
    kv[1].key = wxp_cstr("a"); kv[1].value = wxp_cstr("2");
    assert_int_equal(wxp_v2_sign(kv, 2, wxp_cstr(WXP_TEST_APIV2_KEY), WXP_V2_MD5, sign, &r), WXP_E_ARG);
    assert_string_equal(r.field, "a");
    kv[1].key = wxp_cstr("b");
    assert_int_equal(wxp_v2_sign(kv, 2, wxp_cstr(WXP_TEST_APIV2_KEY), WXP_V2_MD5, sign, &r), WXP_OK);
    kv[2].key = wxp_cstr("sign"); kv[2].value = wxp_cstr(sign);
    assert_int_equal(wxp_v2_verify(kv, 3, wxp_cstr(WXP_TEST_APIV2_KEY), WXP_V2_MD5, &r), WXP_OK);
    assert_int_equal(wxp_v2_verify(kv, 3, wxp_cstr(WXP_TEST_APIV2_KEY), WXP_V2_HMAC_SHA256, &r), WXP_E_SIGNATURE);
    assert_int_equal(wxp_v2_verify(kv, 2, wxp_cstr(WXP_TEST_APIV2_KEY), WXP_V2_MD5, &r), WXP_E_SIGNATURE);
    assert_int_equal(wxp_v2_sign(kv, 2, wxp_cstr(""), WXP_V2_MD5, sign, &r), WXP_E_ARG);
}

static void v2_req_info_vectors_and_wrong_key(void **state)
{
    test_vec v;
    int cases, c;
    wxp_str key;
    (void)state;
    test_vec_load(&v, "v2_refund_notify_req_info.json");
    key = test_vec_str(&v, 0, "apiv2_key");
    cases = wxp_json_get(&v.doc, 0, "cases");
    for (c = wxp_json_first(&v.doc, cases); c >= 0; c = wxp_json_next(&v.doc, cases, c)) {
        unsigned char out[2048];
        size_t n;
        wxp_result r;
        wxp_str want = test_vec_str(&v, c, "plaintext"), ri = test_vec_str(&v, c, "req_info");
        assert_int_equal(wxp_v2_decrypt_req_info(key, ri, out, sizeof out, &n, &r), WXP_OK);
        assert_int_equal(n, want.len);
        assert_memory_equal(out, want.ptr, n);
        assert_int_equal(wxp_v2_decrypt_req_info(wxp_cstr("0123456789abcdef0123456789abcdef"), ri, out, sizeof out,
                                                 &n, &r), WXP_E_DECRYPT);
        assert_int_equal(wxp_v2_decrypt_req_info(key, ri, out, 8, &n, &r), WXP_E_NOSPACE);
    }
    {
        unsigned char out[64];
        size_t n;
        wxp_result r;
        assert_int_equal(wxp_v2_decrypt_req_info(key, wxp_cstr("not base64!"), out, sizeof out, &n, &r), WXP_E_BASE64);
        assert_int_equal(wxp_v2_decrypt_req_info(key, wxp_cstr("AAAA"), out, sizeof out, &n, &r), WXP_E_DECRYPT);
    }
}

/* ---- APIv2 typed refund: indexed $n lists --------------------------------- */

static const char *v2_answer_body;
static int v2_transport(void *user, const wxp_http_request *req, wxp_http_response *res, char *eb, size_t en)
{
    static char xml[4096];
    wxp_kv kv[64];
    size_t n = 0, len;
    char sign[65];
    wxp_result r;
    const char *p = v2_answer_body;
    (void)user; (void)req; (void)eb; (void)en;
    /* v2_answer_body is "k=v;k=v;..." */
    while (*p) {
        const char *eq = strchr(p, '='), *end = strchr(p, ';');
        kv[n].key.ptr = p; kv[n].key.len = (size_t)(eq - p);
        kv[n].value.ptr = eq + 1; kv[n].value.len = (size_t)(end - eq - 1);
        n++;
        p = end + 1;
    }
    assert_int_equal(wxp_v2_sign(kv, n, wxp_cstr(WXP_TEST_APIV2_KEY), WXP_V2_HMAC_SHA256, sign, &r), WXP_OK);
    kv[n].key = wxp_cstr("sign"); kv[n++].value = wxp_cstr(sign);
    assert_int_equal(wxp_xml_write(xml, sizeof xml, kv, n, &len, &r), WXP_OK);
    wxp_http_response_status(res, 200);
    return wxp_http_response_write(res, xml, len) == len ? 0 : 1;
}

static void v2_client(wxp_client *c, wxp_transport_fn fn)
{
    static unsigned char io[WXP_IO_BUFSIZE_DEFAULT];
    static wxp_pubkey slots[1];
    static wxp_keystore ks;
    wxp_config cfg;
    wxp_result r;
    wxp_keystore_init(&ks, slots, 1);
    cfg = test_config(&ks, io, sizeof io);
    cfg.private_key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    cfg.apiv2_key = wxp_cstr(WXP_TEST_APIV2_KEY);
    cfg.client_cert.cert_pem = wxp_cstr("-----BEGIN CERTIFICATE-----");
    cfg.client_cert.key_pem = wxp_cstr("-----BEGIN PRIVATE KEY-----");
    cfg.random.fn = test_random;
    cfg.transport.fn = fn;
    assert_int_equal(wxp_client_init(c, &cfg, &r), WXP_OK);
}

static void v2_refundquery_decodes_nested_indexes(void **state)
{
    static wxp_client c;
    wxp_v2_refundquery_req q;
    wxp_v2_refundquery_result out;
    wxp_v2_refund_item items[2];
    wxp_v2_coupon coupons[2][2];
    wxp_result r;
    (void)state;
    v2_client(&c, v2_transport);
    v2_answer_body = "return_code=SUCCESS;result_code=SUCCESS;appid=wx1;mch_id=1900009191;nonce_str=n;"
                     "transaction_id=42;out_trade_no=T1;total_fee=100;cash_fee=100;refund_count=2;"
                     "out_refund_no_0=R1;refund_id_0=501;refund_fee_0=30;refund_status_0=SUCCESS;"
                     "coupon_refund_count_0=2;coupon_type_0_0=CASH;coupon_refund_fee_0_0=1;coupon_refund_id_0_0=C00;"
                     "coupon_type_0_1=NO_CASH;coupon_refund_fee_0_1=2;coupon_refund_id_0_1=C01;"
                     "out_refund_no_1=R2;refund_id_1=502;refund_fee_1=20;refund_status_1=PROCESSING;"
                     "refund_recv_accout_1=支付用户的零钱;";
    memset(&q, 0, sizeof q);
    q.appid = "wx1";
    q.out_trade_no = "T1";
    memset(&out, 0, sizeof out);
    out.refunds = items;
    out.refunds_cap = 2;
    items[0].coupon = coupons[0]; items[0].coupon_cap = 2;
    items[1].coupon = coupons[1]; items[1].coupon_cap = 2;
    assert_int_equal(wxp_v2_refundquery(&c, &q, &out, &r), WXP_OK);
    assert_int_equal(out.refund_count, 2);
    assert_int_equal(out.refunds_count, 2);
    assert_int_equal(items[0].refund_fee, 30);
    assert_int_equal(items[0].coupon_count, 2);
    assert_int_equal(coupons[0][1].coupon_refund_fee, 2);
    assert_memory_equal(coupons[0][1].coupon_refund_id.ptr, "C01", 3);
    assert_int_equal(items[1].coupon_count, 0);
    assert_memory_equal(items[1].refund_status.ptr, "PROCESSING", 10);
    /* Room for one refund only: the first is kept, the list and its length
       named (WXP_E_PARTIAL), never a silent cut nor a failed call. */
    out.refunds_cap = 1;
    assert_int_equal(wxp_v2_refundquery(&c, &q, &out, &r), WXP_E_PARTIAL);
    assert_string_equal(r.field, "refunds");
    assert_int_equal(r.needed, 2);
    assert_int_equal(out.refunds_count, 1);
    assert_int_equal(out.refund_count, 2);
    assert_int_equal(items[0].refund_fee, 30);
    /* None of the four identifiers: refused before sending. */
    q.out_trade_no = NULL;
    assert_int_equal(wxp_v2_refundquery(&c, &q, &out, &r), WXP_E_ARG);
}

/* The APIv2 refund of 10 fen of T1's 100 (R1), and the answer that accepts it. */
#define V2_REFUND_OK                                                                               \
    "return_code=SUCCESS;result_code=SUCCESS;transaction_id=42;out_refund_no=R1;refund_id=5;"      \
    "refund_fee=10;total_fee=100;"

static wxp_v2_refund_req v2_refund_req(void)
{
    wxp_v2_refund_req q;
    memset(&q, 0, sizeof q);
    q.appid = "wx1";
    q.out_trade_no = "T1";
    q.out_refund_no = "R1";
    q.total_fee = 100;
    q.refund_fee = 10;
    return q;
}

static void v2_result_fail_and_return_fail(void **state)
{
    static wxp_client c;
    wxp_v2_refund_req q;
    wxp_v2_refund_result out;
    wxp_result r;
    (void)state;
    v2_client(&c, v2_transport);
    q = v2_refund_req();
    memset(&out, 0, sizeof out);
    v2_answer_body = "return_code=SUCCESS;result_code=FAIL;err_code=NOTENOUGH;err_code_des=余额不足;";
    assert_int_equal(wxp_v2_refund(&c, &q, &out, &r), WXP_E_V2_RESULT);
    assert_string_equal(r.code, "NOTENOUGH");
    assert_string_equal(r.message, "余额不足");
    v2_answer_body = "return_code=FAIL;return_msg=签名错误;";
    assert_int_equal(wxp_v2_refund(&c, &q, &out, &r), WXP_E_V2_RETURN);
    assert_string_equal(r.message, "签名错误");
    /* A required field present but empty is as good as missing. */
    v2_answer_body = "return_code=SUCCESS;result_code=SUCCESS;transaction_id=42;out_refund_no=R1;refund_id=;"
                     "refund_fee=10;total_fee=100;";
    assert_int_equal(wxp_v2_refund(&c, &q, &out, &r), WXP_E_NOTFOUND);
    assert_string_equal(r.field, "refund_id");
    q.refund_fee = 101;
    assert_int_equal(wxp_v2_refund(&c, &q, &out, &r), WXP_E_ARG);
    assert_string_equal(r.field, "refund_fee");
    q.refund_fee = 10;
    assert_int_equal(wxp_v2_refundv2(&c, &q, &out, &r), WXP_E_ARG);
    assert_string_equal(r.field, "detail");
}

/* A transport that loses the first answer, then answers as v2_transport. */
static int v2_lost_once_calls;
static int v2_lost_once(void *user, const wxp_http_request *req, wxp_http_response *res, char *eb, size_t en)
{
    if (v2_lost_once_calls++ == 0) {
        strncpy(eb, "connection reset", en);
        return 1;
    }
    return v2_transport(user, req, res, eb, en);
}

static unsigned v2_waits[4], v2_nwaits;
static void v2_record_wait(void *user, unsigned ms)
{
    (void)user;
    if (v2_nwaits < 4) v2_waits[v2_nwaits++] = ms;
}

static void v2_refund_is_retried_with_the_same_request(void **state)
{
    static wxp_client c;
    wxp_v2_refund_req q;
    wxp_v2_refund_result out;
    wxp_result r;
    (void)state;
    v2_client(&c, v2_lost_once);
    q = v2_refund_req();
    memset(&out, 0, sizeof out);
    v2_answer_body = V2_REFUND_OK;
    /* Without retries the lost answer is the caller's to handle. */
    c.wxp__priv.cfg.retry.attempts = 1;
    v2_lost_once_calls = 0;
    assert_int_equal(wxp_v2_refund(&c, &q, &out, &r), WXP_E_TRANSPORT);
    v2_lost_once_calls = 0;
    v2_nwaits = 0;
    c.wxp__priv.cfg.retry.attempts = 3;
    c.wxp__priv.cfg.retry.sleep = v2_record_wait;
    assert_int_equal(wxp_v2_refund(&c, &q, &out, &r), WXP_OK);
    assert_int_equal(v2_lost_once_calls, 2);
    assert_int_equal(v2_nwaits, 1);
    assert_int_equal(v2_waits[0], 200);
    assert_memory_equal(out.out_refund_no.ptr, "R1", 2);
    /* SYSTEMERROR is retried; a business refusal is not. */
    v2_lost_once_calls = 1;
    v2_nwaits = 0;
    v2_answer_body = "return_code=SUCCESS;result_code=FAIL;err_code=SYSTEMERROR;err_code_des=busy;";
    assert_int_equal(wxp_v2_refund(&c, &q, &out, &r), WXP_E_V2_RESULT);
    assert_int_equal(v2_lost_once_calls, 4);
    assert_int_equal(v2_nwaits, 2);
    v2_lost_once_calls = 1;
    v2_answer_body = "return_code=SUCCESS;result_code=FAIL;err_code=REFUND_FEE_MISMATCH;err_code_des=x;";
    assert_int_equal(wxp_v2_refund(&c, &q, &out, &r), WXP_E_V2_RESULT);
    assert_int_equal(v2_lost_once_calls, 2);
}

/* ---- media upload and bill download --------------------------------------- */

static wxp_fake media_fake;

static void media_client(wxp_client *c)
{
    static unsigned char io[WXP_IO_BUFSIZE_DEFAULT];
    static wxp_pubkey slots[2], mpub;
    static wxp_rsa_key platform;
    static wxp_keystore ks;
    wxp_fake_config fc;
    wxp_config cfg;
    wxp_result r;
    test_merchant_pub(&mpub);
    test_platform_key(&platform);
    fc = test_fake_config(&mpub, &platform);
    assert_int_equal(wxp_fake_init(&media_fake, &fc), WXP_OK);
    wxp_keystore_init(&ks, slots, 2);
    assert_int_equal(wxp_keystore_add_pubkey(&ks, TEST_PUB_ID, test_file("tests/vectors/keys/wechatpay_pub.pem"), &r),
                     WXP_OK);
    cfg = test_config(&ks, io, sizeof io);
    cfg.private_key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    cfg.transport = wxp_fake_as_transport(&media_fake);
    assert_int_equal(wxp_client_init(c, &cfg, &r), WXP_OK);
}

static void media_upload_signs_the_meta_and_sends_multipart(void **state)
{
    static wxp_client c;
    static const unsigned char png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 1, 2, 3 };
    static const char want_head[] =
        "--wechatpay-h-5f3a9c1e7b2d4086\r\nContent-Disposition: form-data; name=\"meta\";\r\n"
        "Content-Type: application/json\r\n\r\n{\"filename\":\"logo.png\",\"sha256\":\"";
    static const char want_file[] =
        "\"}\r\n--wechatpay-h-5f3a9c1e7b2d4086\r\nContent-Disposition: form-data; name=\"file\"; "
        "filename=\"logo.png\";\r\nContent-Type: image/png\r\n\r\n";
    const wxp_fake_record *rec;
    const char *ct, *auth, *sig;
    char meta[128], msg[512];
    wxp_str id, parts[1];
    wxp_pubkey mpub;
    wxp_result r;
    size_t mlen;
    (void)state;
    media_client(&c);
    assert_int_equal(wxp_fake_push(&media_fake, 200, "{\"media_id\":\"6uqyGjGrCf2GtyXP8bxrbuH9-aAoTjH-rKeSl3Lf\"}"),
                     WXP_OK);
    assert_int_equal(wxp_media_upload(&c, NULL, "logo.png", png, sizeof png, &id, &r), WXP_OK);
    assert_int_equal(id.len, 40);
    assert_memory_equal(id.ptr, "6uqyGjGrCf2GtyXP8bxrbuH9-aAoTjH-rKeSl3Lf", 40);
    rec = wxp_fake_last(&media_fake);
    assert_string_equal(rec->path, "/v3/merchant/media/upload");
    ct = wxp_fake_record_header(rec, "content-type");
    assert_string_equal(ct, "multipart/form-data; boundary=wechatpay-h-5f3a9c1e7b2d4086");
    /* Byte layout: head, meta JSON with the file's SHA-256, file part, file, end. */
    assert_memory_equal(rec->body, want_head, sizeof want_head - 1);
    assert_memory_equal(rec->body + sizeof want_head - 1 + 64, want_file, sizeof want_file - 1);
    assert_memory_equal(rec->body + sizeof want_head - 1 + 64 + sizeof want_file - 1, png, sizeof png);
    assert_memory_equal(rec->body + rec->body_len - 36, "\r\n--wechatpay-h-5f3a9c1e7b2d4086--\r\n", 36);
    /* The signature covers the meta JSON only. */
    mlen = (size_t)snprintf(meta, sizeof meta, "{\"filename\":\"logo.png\",\"sha256\":\"%.64s\"}",
                            rec->body + sizeof want_head - 1);
    auth = wxp_fake_record_header(rec, "authorization");
    sig = strstr(auth, "signature=\"") + 11;
    {
        char ts[16], nonce[40], sigb[400];
        sscanf(strstr(auth, "timestamp=\"") + 11, "%15[0-9]", ts);
        sscanf(strstr(auth, "nonce_str=\"") + 11, "%39[0-9A-Za-z]", nonce);
        sscanf(sig, "%399[^\"]", sigb);
        snprintf(msg, sizeof msg, "POST\n/v3/merchant/media/upload\n%s\n%s\n%.*s\n", ts, nonce, (int)mlen, meta);
        parts[0] = wxp_cstr(msg);
        test_merchant_pub(&mpub);
        assert_int_equal(wxp_verify_base64(&mpub, parts, 1, wxp_cstr(sigb), &r), WXP_OK);
    }
    /* The marketing upload answers media_url. */
    assert_int_equal(wxp_fake_push(&media_fake, 200, "{\"media_url\":\"https://qpic.cn/x.png\"}"), WXP_OK);
    assert_int_equal(wxp_media_upload(&c, "/v3/marketing/favor/media/image-upload", "x.png", png, sizeof png, &id, &r),
                     WXP_OK);
    assert_int_equal(id.len, 21);
    /* Refusals before sending. */
    assert_int_equal(wxp_media_upload(&c, NULL, "a\"b.png", png, sizeof png, &id, &r), WXP_E_ARG);
    assert_string_equal(r.field, "filename");
    assert_int_equal(wxp_media_upload(&c, NULL, "a.png", png, 0, &id, &r), WXP_E_ARG);
    {
        static unsigned char big[WXP_IO_BUFSIZE_DEFAULT];
        assert_int_equal(wxp_media_upload(&c, NULL, "big.png", big, sizeof big, &id, &r), WXP_E_NOSPACE);
    }
}

/* Sends the bill in 5-byte pieces, as a slow link would. */
static const char *piece_body;
static int piecewise(void *user, const wxp_http_request *req, wxp_http_response *res, char *eb, size_t en)
{
    size_t n = strlen(piece_body), i;
    (void)user; (void)req; (void)eb; (void)en;
    wxp_http_response_status(res, 200);
    for (i = 0; i < n; i += 5)
        if (wxp_http_response_write(res, piece_body + i, n - i < 5 ? n - i : 5) != (n - i < 5 ? n - i : 5)) return 1;
    return 0;
}

typedef struct bill_sink { unsigned char got[256]; size_t len, calls; } bill_sink;
static void bill_collect(void *user, const void *data, size_t len)
{
    bill_sink *b = (bill_sink *)user;
    assert_true(b->len + len <= sizeof b->got);
    memcpy(b->got + b->len, data, len);
    b->len += len;
    b->calls++;
}

static void bill_download_checks_the_hash(void **state)
{
    static wxp_client c;
    static const char csv[] = "交易时间,公众账号ID,商户号\n`2026-11-22 10:00:00,`wx1,`1900009191\n总交易单数\n`1\n";
    static char answer[512];
    char sha1[41], sha256[65];
    wxp_bill bill;
    bill_sink sink;
    wxp_result r;
    const wxp_fake_record *rec;
    size_t i;
    (void)state;
    {   /* The expected digests, computed here with BearSSL directly. */
        static const char hex[] = "0123456789abcdef";
        br_sha1_context h1;
        br_sha256_context h2;
        unsigned char d[32];
        br_sha1_init(&h1);
        br_sha1_update(&h1, csv, sizeof csv - 1);
        br_sha1_out(&h1, d);
        for (i = 0; i < 20; i++) { sha1[2 * i] = hex[d[i] >> 4]; sha1[2 * i + 1] = hex[d[i] & 15]; }
        sha1[40] = 0;
        br_sha256_init(&h2);
        br_sha256_update(&h2, csv, sizeof csv - 1);
        br_sha256_out(&h2, d);
        for (i = 0; i < 32; i++) { sha256[2 * i] = hex[d[i] >> 4]; sha256[2 * i + 1] = hex[d[i] & 15]; }
        sha256[64] = 0;
    }
    media_client(&c);
    snprintf(answer, sizeof answer, "{\"hash_type\":\"SHA1\",\"hash_value\":\"%s\",\"download_url\":"
             "\"https://api.mch.weixin.qq.com/v3/billdownload/file?token=6XIv5TUPto7pByrTQKhd6kwvyKLG2uY2wMMR8cNX\"}",
             sha1);
    assert_int_equal(wxp_fake_push(&media_fake, 200,
                                   answer), WXP_OK);
    assert_int_equal(wxp_bill_trade(&c, "2026-11-22", "ALL", NULL, NULL, &bill, &r), WXP_OK);
    assert_string_equal(wxp_fake_last(&media_fake)->path, "/v3/bill/tradebill?bill_date=2026-11-22&bill_type=ALL");
    /* The file: unsigned, as WeChat Pay sends it; streamed in pieces to the sink. */
    assert_int_equal(wxp_fake_push_raw(&media_fake, 200, NULL, 0, wxp_cstr(csv), WXP_FAKE_UNSIGNED), WXP_OK);
    memset(&sink, 0, sizeof sink);
    assert_int_equal(wxp_bill_download(&c, &bill, bill_collect, &sink, &r), WXP_OK);
    assert_int_equal(sink.len, sizeof csv - 1);
    assert_memory_equal(sink.got, csv, sink.len);
    rec = wxp_fake_last(&media_fake);
    assert_string_equal(rec->host, "api.mch.weixin.qq.com");
    assert_string_equal(rec->path, "/v3/billdownload/file?token=6XIv5TUPto7pByrTQKhd6kwvyKLG2uY2wMMR8cNX");
    assert_non_null(wxp_fake_record_header(rec, "authorization")); /* the download is signed */
    /* SHA256, upper-case hex accepted; one changed byte is WXP_E_HASH. */
    {
        wxp_bill b2;
        char up[65], bad[sizeof csv];
        for (i = 0; i < 64; i++) up[i] = (char)(sha256[i] >= 'a' ? sha256[i] - 32 : sha256[i]);
        up[64] = 0;
        b2.hash_type = wxp_cstr("SHA256");
        b2.hash_value = wxp_cstr(up);
        b2.download_url = wxp_cstr("https://api.mch.weixin.qq.com/v3/billdownload/file?token=T2");
        assert_int_equal(wxp_fake_push_raw(&media_fake, 200, NULL, 0, wxp_cstr(csv), WXP_FAKE_UNSIGNED), WXP_OK);
        memset(&sink, 0, sizeof sink);
        assert_int_equal(wxp_bill_download(&c, &b2, bill_collect, &sink, &r), WXP_OK);
        wxp_str bad_view;
        memcpy(bad, csv, sizeof csv);
        bad[3] ^= 1;
        bad_view.ptr = bad;
        bad_view.len = sizeof csv - 1;
        assert_int_equal(wxp_fake_push_raw(&media_fake, 200, NULL, 0, bad_view, WXP_FAKE_UNSIGNED),
                         WXP_OK);
        memset(&sink, 0, sizeof sink);
        assert_int_equal(wxp_bill_download(&c, &b2, bill_collect, &sink, &r), WXP_E_HASH);
        /* An error answer is JSON, signed, and not streamed. */
        assert_int_equal(wxp_fake_push(&media_fake, 400, "{\"code\":\"PARAM_ERROR\",\"message\":\"token expired\"}"),
                         WXP_OK);
        memset(&sink, 0, sizeof sink);
        assert_int_equal(wxp_bill_download(&c, &b2, bill_collect, &sink, &r), WXP_E_HTTP);
        assert_string_equal(r.code, "PARAM_ERROR");
        assert_int_equal(sink.len, 0);
        b2.hash_type = wxp_cstr("MD5");
        assert_int_equal(wxp_bill_download(&c, &b2, bill_collect, &sink, &r), WXP_E_ARG);
        b2.hash_type = wxp_cstr("SHA256");
        b2.download_url = wxp_cstr("http://api.mch.weixin.qq.com/x");
        assert_int_equal(wxp_bill_download(&c, &b2, bill_collect, &sink, &r), WXP_E_ARG);
    }
    {   /* In small pieces: the sink gets them all, the hash is over all of them. */
        wxp_transport keep = c.wxp__priv.cfg.transport;
        wxp_bill b3;
        b3.hash_type = wxp_cstr("SHA1");
        b3.hash_value = wxp_cstr(sha1);
        b3.download_url = wxp_cstr("https://api.mch.weixin.qq.com/v3/billdownload/file?token=T3");
        piece_body = csv;
        c.wxp__priv.cfg.transport.fn = piecewise;
        memset(&sink, 0, sizeof sink);
        assert_int_equal(wxp_bill_download(&c, &b3, bill_collect, &sink, &r), WXP_OK);
        assert_int_equal(sink.calls, (sizeof csv - 1 + 4) / 5);
        assert_memory_equal(sink.got, csv, sizeof csv - 1);
        c.wxp__priv.cfg.transport = keep;
    }
    assert_int_equal(wxp_bill_trade(&c, "2026/11/22", NULL, NULL, NULL, &bill, &r), WXP_E_ARG);
    assert_string_equal(r.field, "bill_date");
    assert_int_equal(wxp_bill_fundflow(&c, "2026-11-22", "BASIC", "ZIP", &bill, &r), WXP_E_ARG);
    assert_string_equal(r.field, "tar_type");
}

/* ---- client-side rate limits ---------------------------------------------- */

static int fail_transport(void *user, const wxp_http_request *req, wxp_http_response *res, char *eb, size_t en)
{
    (void)user; (void)req; (void)res;
    strncpy(eb, "network down", en);
    (*(int *)user)++;
    return 1;
}

static void no_nap(void *user, unsigned ms);

static int offline_transport(void *user, const wxp_http_request *req, wxp_http_response *res, char *eb, size_t en)
{
    (void)req; (void)res;
    strncpy(eb, "cannot connect", en);
    (*(int *)user)++;
    return WXP_TRANSPORT_NO_CONNECTION;
}

/* A client whose refunds go to fn (counting into *count), failing fast on
   the rate limit, attempts as given (0: the default); and a 1-fen refund. */
static void failing_refund_client(wxp_client *c, wxp_transport_fn fn, int *count, unsigned attempts)
{
    static unsigned char io[WXP_IO_BUFSIZE_DEFAULT];
    static wxp_pubkey slots[1];
    static wxp_keystore ks;
    wxp_config cfg;
    wxp_result r;
    wxp_keystore_init(&ks, slots, 1);
    cfg = test_config(&ks, io, sizeof io);
    cfg.private_key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    cfg.transport.fn = fn;
    cfg.transport.user = count;
    cfg.retry.sleep = no_nap;
    cfg.retry.attempts = attempts;
    cfg.rate.fail_fast = 1;
    assert_int_equal(wxp_client_init(c, &cfg, &r), WXP_OK);
}

static wxp_refund_req one_fen_refund(void)
{
    wxp_refund_req q;
    memset(&q, 0, sizeof q);
    q.out_trade_no = "T123456";
    q.out_refund_no = "R1";
    q.amount.refund = 1;
    q.amount.total = 1;
    return q;
}

/* No connection at all: nothing left, so nothing is reported sent, however
   often it was retried, and no token of the failing-refund budget is spent. */
static void offline_refunds_are_not_sent_and_spend_nothing(void **state)
{
    static wxp_client c;
    wxp_refund_req q = one_fen_refund();
    wxp_refund out;
    wxp_result r;
    int tries = 0, i;
    (void)state;
    failing_refund_client(&c, offline_transport, &tries, 0);    /* the default 3 attempts */
    memset(&out, 0, sizeof out);
    for (i = 0; i < 10; i++) {
        assert_int_equal(wxp_refund_create(&c, &q, &out, &r), WXP_E_TRANSPORT);
        assert_false(r.sent);
    }
    assert_int_equal(tries, 60);    /* 3 attempts, each on both hosts (the backup's failover) */
}

static unsigned slept;
static void sleep_advances_clock(void *user, unsigned ms)
{
    (void)user;
    slept += ms;
    if (slept % 1000 == 0) test_now++;
}

static void no_nap(void *user, unsigned ms)
{
    (void)user;
    (void)ms;
}

static void rate_limit_failing_v3_refunds(void **state)
{
    static wxp_client c;
    wxp_refund_req q = one_fen_refund();
    wxp_refund out;
    wxp_result r;
    int sent = 0, i;
    (void)state;
    failing_refund_client(&c, fail_transport, &sent, 1);
    memset(&out, 0, sizeof out);
    for (i = 0; i < 6; i++) assert_int_equal(wxp_refund_create(&c, &q, &out, &r), WXP_E_TRANSPORT);
    /* The seventh failing refund within the second is held back, unsent. */
    assert_int_equal(wxp_refund_create(&c, &q, &out, &r), WXP_E_RATE);
    assert_int_equal(sent, 6);
    /* A second later the budget is back. */
    test_now++;
    assert_int_equal(wxp_refund_create(&c, &q, &out, &r), WXP_E_TRANSPORT);
    assert_int_equal(sent, 7);
    /* Retries count too: each failing attempt spends a token, and a retry with
       none left is not sent (the last answer stands). */
    test_now++;
    c.wxp__priv.cfg.retry.attempts = 4;
    c.wxp__priv.cfg.retry.sleep = no_nap;
    assert_int_equal(wxp_refund_create(&c, &q, &out, &r), WXP_E_TRANSPORT);
    assert_int_equal(sent, 7 + 4);
    assert_int_equal(wxp_refund_create(&c, &q, &out, &r), WXP_E_TRANSPORT);
    assert_int_equal(sent, 7 + 4 + 2);
    assert_int_equal(wxp_refund_create(&c, &q, &out, &r), WXP_E_RATE);
    assert_int_equal(sent, 7 + 4 + 2);
    test_now -= 2;
}

static void rate_limit_v2_refunds_wait(void **state)
{
    static wxp_client c;
    wxp_v2_refund_req q;
    wxp_v2_refund_result out;
    wxp_result r;
    int i;
    long long start = test_now;
    (void)state;
    v2_client(&c, v2_transport);
    c.wxp__priv.cfg.rate.fail_fast = 1;
    c.wxp__priv.cfg.rate.v2_refund_qps = 3;
    q = v2_refund_req();
    memset(&out, 0, sizeof out);
    v2_answer_body = V2_REFUND_OK;
    /* A request refused locally spends nothing. */
    q.refund_fee = 101;
    assert_int_equal(wxp_v2_refund(&c, &q, &out, &r), WXP_E_ARG);
    q.refund_fee = 10;
    for (i = 0; i < 3; i++) assert_int_equal(wxp_v2_refund(&c, &q, &out, &r), WXP_OK);
    assert_int_equal(wxp_v2_refund(&c, &q, &out, &r), WXP_E_RATE);
    assert_string_equal(r.field, "v2_refund_qps");
    c.wxp__priv.cfg.rate.fail_fast = 0;
    c.wxp__priv.cfg.rate.sleep = sleep_advances_clock;
    slept = 0;
    assert_int_equal(wxp_v2_refund(&c, &q, &out, &r), WXP_OK);
    assert_true(slept > 0 && slept <= 2000);
    test_now = start;
}

#define assert_view(v, want) assert_string_equal(test_cstr(v), (want))

/* Indexed lists are whole or an error: a gap in the $n indexes, or a count
   that disagrees with the elements present, never reads as a shorter list. */
static void v2_lists_with_gaps_or_wrong_counts_fail(void **state)
{
    static wxp_client c;
    static const struct { const char *body; wxp_err e; const char *field; } cases[] = {
        { "return_code=SUCCESS;result_code=SUCCESS;transaction_id=42;total_fee=100;refund_count=2;"
          "out_refund_no_0=R1;refund_id_0=501;refund_fee_0=30;", WXP_E_RANGE, "refund_count" },
        { "return_code=SUCCESS;result_code=SUCCESS;transaction_id=42;total_fee=100;refund_count=2;"
          "out_refund_no_0=R1;refund_id_0=501;out_refund_no_2=R3;refund_id_2=503;", WXP_E_NOTFOUND, "out_refund_no_1" },
        { "return_code=SUCCESS;result_code=SUCCESS;transaction_id=42;total_fee=100;refund_count=1;"
          "out_refund_no_0=R1;refund_id_0=501;coupon_refund_count_0=2;coupon_type_0_0=CASH;coupon_refund_fee_0_0=1;",
          WXP_E_RANGE, "coupon_refund_count_0" },
        { "return_code=SUCCESS;result_code=SUCCESS;transaction_id=42;total_fee=100;refund_count=1;"
          "out_refund_no_0=R1;refund_id_0=501;coupon_refund_fee_0_1=1;", WXP_E_NOTFOUND, "coupon_refund_fee_0_0" },
    };
    wxp_v2_refundquery_req q;
    wxp_v2_refundquery_result out;
    wxp_v2_refund_item items[4];
    wxp_v2_coupon coupons[4];
    wxp_result r;
    size_t i;
    (void)state;
    v2_client(&c, v2_transport);
    memset(&q, 0, sizeof q);
    q.appid = "wx1";
    q.out_trade_no = "T1";
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(&out, 0, sizeof out);
        memset(items, 0, sizeof items);
        out.refunds = items;
        out.refunds_cap = 4;
        items[0].coupon = coupons;
        items[0].coupon_cap = 4;
        v2_answer_body = cases[i].body;
        assert_int_equal(wxp_v2_refundqueryv2(&c, &q, &out, &r), cases[i].e);
        assert_string_equal(r.field, cases[i].field);
        assert_true(r.message[0] != 0);
    }
    /* And whole, the protocol fields come with the typed result. */
    v2_answer_body = "return_code=SUCCESS;return_msg=OK;result_code=SUCCESS;transaction_id=42;total_fee=100;"
                     "refund_count=1;total_refund_count=3;out_refund_no_0=R1;refund_id_0=501;";
    memset(&out, 0, sizeof out);
    out.refunds = items;
    out.refunds_cap = 4;
    assert_int_equal(wxp_v2_refundqueryv2(&c, &q, &out, &r), WXP_OK);
    assert_view(out.return_code, "SUCCESS");
    assert_view(out.result_code, "SUCCESS");
    assert_view(out.return_msg, "OK");
    assert_int_equal(out.total_refund_count, 3);
}

/* A request's own sign_type signs that call (and checks its answer). */
static const char *v2_seen_sign_type;
static int v2_sign_type_transport(void *user, const wxp_http_request *req, wxp_http_response *res, char *eb,
                                  size_t en)
{
    static char body[2048];
    wxp_kv kv[16], out[4];
    size_t n, len;
    char sign[65], xml[1024];
    wxp_result r;
    int md5;
    (void)user; (void)eb; (void)en;
    memcpy(body, req->body.ptr, req->body.len);
    assert_int_equal(wxp_xml_parse(body, req->body.len, kv, 16, &n, &r), WXP_OK);
    md5 = wxp_kv_get(kv, n, "sign_type") && wxp_kv_get(kv, n, "sign_type")->len == 3;
    v2_seen_sign_type = md5 ? "MD5" : "HMAC-SHA256";
    /* The request verifies under the type it names. */
    assert_int_equal(wxp_v2_verify(kv, n, wxp_cstr(WXP_TEST_APIV2_KEY), md5 ? WXP_V2_MD5 : WXP_V2_HMAC_SHA256, &r), WXP_OK);
    out[0].key = wxp_cstr("return_code"); out[0].value = wxp_cstr("SUCCESS");
    out[1].key = wxp_cstr("result_code"); out[1].value = wxp_cstr("SUCCESS");
    out[2].key = wxp_cstr("refund_count"); out[2].value = wxp_cstr("0");
    assert_int_equal(wxp_v2_sign(out, 3, wxp_cstr(WXP_TEST_APIV2_KEY), md5 ? WXP_V2_MD5 : WXP_V2_HMAC_SHA256, sign, &r),
                     WXP_OK);
    out[3].key = wxp_cstr("sign"); out[3].value = wxp_cstr(sign);
    assert_int_equal(wxp_xml_write(xml, sizeof xml, out, 4, &len, &r), WXP_OK);
    wxp_http_response_status(res, 200);
    return wxp_http_response_write(res, xml, len) == len ? 0 : 1;
}

static void v2_sign_type_per_call(void **state)
{
    static wxp_client c;
    wxp_v2_refundquery_req q;
    wxp_v2_refundquery_result out;
    wxp_result r;
    (void)state;
    v2_client(&c, v2_sign_type_transport);
    memset(&q, 0, sizeof q);
    memset(&out, 0, sizeof out);
    q.appid = "wx1";
    q.out_trade_no = "T1";
    /* The answer is signed MD5 too: it checks out only under the call's type. */
    q.sign_type = "MD5";
    assert_int_equal(wxp_v2_refundquery(&c, &q, &out, &r), WXP_OK);
    assert_string_equal(v2_seen_sign_type, "MD5");
    q.sign_type = NULL;
    assert_int_equal(wxp_v2_refundquery(&c, &q, &out, &r), WXP_OK);
    assert_string_equal(v2_seen_sign_type, "HMAC-SHA256");
    q.sign_type = "SHA1";
    assert_int_equal(wxp_v2_refundquery(&c, &q, &out, &r), WXP_E_ARG);
    assert_string_equal(r.field, "sign_type");
}

/* The refund window: a year after the pay time, in either API's format. */
static void refund_window_is_a_year(void **state)
{
    static wxp_client c;
    wxp_result r;
    long long saved = test_now;
    (void)state;
    v2_client(&c, v2_transport);
    test_now = 1764727200;                     /* 2025-12-03T02:00:00Z = 10:00 in Beijing */
    assert_int_equal(wxp_refund_window(&c, wxp_cstr("2024-12-03T10:00:01+08:00"), &r), WXP_OK);
    assert_int_equal(wxp_refund_window(&c, wxp_cstr("2024-12-03T10:00:00+08:00"), &r), WXP_E_ARG);
    assert_string_equal(r.field, "paid_at");
    assert_non_null(strstr(r.message, "2025-12-03T02:00:00Z"));
    assert_int_equal(wxp_refund_window(&c, wxp_cstr("2024-12-03T02:00:01Z"), &r), WXP_OK);
    assert_int_equal(wxp_refund_window(&c, wxp_cstr("2024-12-03T10:00:01.500+08:00"), &r), WXP_OK);
    assert_int_equal(wxp_refund_window(&c, wxp_cstr("20241203100001"), &r), WXP_OK);   /* APIv2 time_end */
    assert_int_equal(wxp_refund_window(&c, wxp_cstr("20241203095959"), &r), WXP_E_ARG);
    /* 29 February: the window closes on 1 March of the next year. */
    test_now = 1740758400;                     /* 2025-02-28T16:00:00Z = 1 March 00:00 in Beijing */
    assert_int_equal(wxp_refund_window(&c, wxp_cstr("2024-02-29T00:00:00+08:00"), &r), WXP_E_ARG);
    test_now -= 1;
    assert_int_equal(wxp_refund_window(&c, wxp_cstr("2024-02-29T00:00:00+08:00"), &r), WXP_OK);
    assert_int_equal(wxp_refund_window(&c, wxp_cstr("2024-13-01T00:00:00+08:00"), &r), WXP_E_ARG);
    assert_int_equal(wxp_refund_window(&c, wxp_cstr("yesterday"), &r), WXP_E_ARG);
    assert_int_equal(wxp_refund_window(&c, wxp_cstr("2024-12-03T10:00:00+0800"), &r), WXP_E_ARG);
    test_now = saved;
}

/* The APIv2 refund callback, whole: outer XML, req_info decrypted, typed. */
static void v2_refund_notify_decodes_req_info(void **state)
{
    static wxp_client c;
    static unsigned char io[WXP_IO_BUFSIZE_DEFAULT];
    static wxp_pubkey slots[1];
    static wxp_keystore ks;
    static char body[4096];
    test_vec v;
    wxp_config cfg;
    wxp_v2_refund_notify out;
    wxp_result r;
    wxp_str ri;
    int cs, k;
    size_t n;
    (void)state;
    test_vec_load(&v, "v2_refund_notify_req_info.json");
    wxp_keystore_init(&ks, slots, 1);
    cfg = test_config(&ks, io, sizeof io);
    cfg.private_key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    cfg.apiv2_key = test_vec_str(&v, 0, "apiv2_key");
    cfg.transport.fn = v2_transport;
    assert_int_equal(wxp_client_init(&c, &cfg, &r), WXP_OK);
    cs = wxp_json_get(&v.doc, 0, "cases");
    k = wxp_json_first(&v.doc, cs);
    ri = test_vec_str(&v, k, "req_info");
    n = (size_t)snprintf(body, sizeof body, "<xml><return_code>SUCCESS</return_code><appid>wx1</appid><mch_id>%s"
                         "</mch_id><nonce_str>n</nonce_str><req_info><![CDATA[%.*s]]></req_info></xml>",
                         cfg.mchid, (int)ri.len, ri.ptr);
    memset(&out, 0, sizeof out);
    if (wxp_v2_refund_notify_decode(&c, body, n, &out, &r) != WXP_OK) fail_msg("%s: %s", r.field, r.message);
    assert_view(out.out_refund_no, "131811191610442717309");
    assert_view(out.out_trade_no, "71106718111915575302817");
    assert_true(out.refund_fee > 0);
    assert_true(out.refund_status.len > 0);
    /* Another merchant's callback, a wrong key, a FAIL: each its own error. */
    n = (size_t)snprintf(body, sizeof body, "<xml><return_code>SUCCESS</return_code><mch_id>1</mch_id>"
                         "<req_info>%.*s</req_info></xml>", (int)ri.len, ri.ptr);
    assert_int_equal(wxp_v2_refund_notify_decode(&c, body, n, &out, &r), WXP_E_ARG);
    assert_string_equal(r.field, "mch_id");
    c.wxp__priv.cfg.apiv2_key = wxp_cstr("0123456789abcdef0123456789abcdef");
    n = (size_t)snprintf(body, sizeof body, "<xml><return_code>SUCCESS</return_code><mch_id>%s</mch_id>"
                         "<req_info>%.*s</req_info></xml>", cfg.mchid, (int)ri.len, ri.ptr);
    assert_int_equal(wxp_v2_refund_notify_decode(&c, body, n, &out, &r), WXP_E_DECRYPT);
    n = (size_t)snprintf(body, sizeof body, "<xml><return_code>FAIL</return_code><return_msg>x</return_msg></xml>");
    assert_int_equal(wxp_v2_refund_notify_decode(&c, body, n, &out, &r), WXP_E_V2_RETURN);
    n = (size_t)snprintf(body, sizeof body, "<xml><return_code>SUCCESS</return_code><mch_id>%s</mch_id></xml>",
                         cfg.mchid);
    assert_int_equal(wxp_v2_refund_notify_decode(&c, body, n, &out, &r), WXP_E_NOTFOUND);
}

/* A shared budget (config.rate.budget) is asked instead of the client's own
   buckets, with the budget's name, limit and spend; a store that does not
   answer fails the call before anything is sent. */
static struct { int answer, calls, spends; char name[32]; unsigned qps; } shared;

static int shared_take(void *user, const char *name, unsigned qps, int spend, long long now)
{
    (void)user;
    (void)now;
    shared.calls++;
    shared.spends += spend;
    snprintf(shared.name, sizeof shared.name, "%s", name);
    shared.qps = qps;
    return shared.answer;
}

static void rate_budget_is_asked_instead_of_the_buckets(void **state)
{
    static wxp_client c;
    wxp_v2_refund_req q;
    wxp_v2_refund_result out;
    wxp_result r;
    int i;
    (void)state;
    v2_client(&c, v2_transport);
    c.wxp__priv.cfg.rate.fail_fast = 1;
    c.wxp__priv.cfg.rate.budget.take = shared_take;
    q = v2_refund_req();
    memset(&out, 0, sizeof out);
    memset(&shared, 0, sizeof shared);
    v2_answer_body = V2_REFUND_OK;
    /* Far past the client's own 150/s: the shared budget alone decides. */
    shared.answer = 1;
    for (i = 0; i < 200; i++) assert_int_equal(wxp_v2_refund(&c, &q, &out, &r), WXP_OK);
    assert_int_equal(shared.calls, 200);
    assert_int_equal(shared.spends, 200);
    assert_string_equal(shared.name, "v2_refund");
    assert_int_equal(shared.qps, 150);
    shared.answer = 0;
    assert_int_equal(wxp_v2_refund(&c, &q, &out, &r), WXP_E_RATE);
    assert_false(r.sent);
    shared.answer = -1;
    assert_int_equal(wxp_v2_refund(&c, &q, &out, &r), WXP_E_RATE);
    assert_false(r.sent);
    assert_non_null(strstr(r.message, "did not answer"));
    /* off: nobody is asked. */
    c.wxp__priv.cfg.rate.off = 1;
    shared.calls = 0;
    assert_int_equal(wxp_v2_refund(&c, &q, &out, &r), WXP_OK);
    assert_int_equal(shared.calls, 0);
}

/* The version's string and numbers say the same. */
static void version_numbers_match_the_string(void **state)
{
    char v[32];
    (void)state;
    snprintf(v, sizeof v, "%d.%d.%d", WXP_VERSION_MAJOR, WXP_VERSION_MINOR, WXP_VERSION_PATCH);
    assert_string_equal(v, WXP_VERSION);
#if WXP_VERSION_NUM < 200
#error "WXP_VERSION_NUM must be usable in #if"
#endif
    assert_int_equal(WXP_VERSION_NUM, WXP_VERSION_MAJOR * 10000 + WXP_VERSION_MINOR * 100 + WXP_VERSION_PATCH);
}

int test_group_models(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(error_names_and_strings),
        cmocka_unit_test(refund_encode_equals_seed_body),
        cmocka_unit_test(refund_validation_names_the_field),
        cmocka_unit_test(coupon_and_subsidy_encode_equal_seed_bodies),
        cmocka_unit_test(refund_decode_every_field),
        cmocka_unit_test(refund_decode_refusals),
        cmocka_unit_test(xml_reader_refusals),
        cmocka_unit_test(xml_reader_limits),
        cmocka_unit_test(xml_writer_splits_cdata_end),
        cmocka_unit_test(v2_sign_rejects_duplicates_and_verifies),
        cmocka_unit_test(v2_req_info_vectors_and_wrong_key),
        cmocka_unit_test(v2_refundquery_decodes_nested_indexes),
        cmocka_unit_test(v2_result_fail_and_return_fail),
        cmocka_unit_test(v2_refund_is_retried_with_the_same_request),
        cmocka_unit_test(media_upload_signs_the_meta_and_sends_multipart),
        cmocka_unit_test(bill_download_checks_the_hash),
        cmocka_unit_test(rate_limit_failing_v3_refunds),
        cmocka_unit_test(rate_limit_v2_refunds_wait),
        cmocka_unit_test(rate_budget_is_asked_instead_of_the_buckets),
        cmocka_unit_test(v2_lists_with_gaps_or_wrong_counts_fail),
        cmocka_unit_test(v2_sign_type_per_call),
        cmocka_unit_test(refund_window_is_a_year),
        cmocka_unit_test(v2_refund_notify_decodes_req_info),
        cmocka_unit_test(version_numbers_match_the_string),
        cmocka_unit_test(offline_refunds_are_not_sent_and_spend_nothing),
    };
    return cmocka_run_group_tests_name("models", tests, NULL, NULL);
}
