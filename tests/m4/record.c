/* tests/m4/record.c - runs on the host, before the Cortex-M4 images are built:
   the terminal of m4_app.h makes its refund and its POS sale against the
   simulator (transports/wechatpay_fake.h), which also builds a signed payment
   callback, and every answer is written out as C (argv[1], recorded.h) for
   the replay transport of the library images (replay.h). */
#define WECHATPAY_IMPLEMENTATION
#define WECHATPAY_FAKE_IMPLEMENTATION
#define WXP_EXAMPLE_SIM_FAKE_ONLY
#include "wechatpay.h"
#include "transports/wechatpay_fake.h"
#include "examples/example_sim.h"
#include "tests/m4/m4_app.h"
#include <stdio.h>

static wxp_fake fake;
static m4_terminal term;
static wxp_client client;
static unsigned char io[WXP_IO_BUFSIZE_DEFAULT];
static FILE *out;

static void c_string(const char *p, size_t n)
{
    size_t i;
    fputc('"', out);
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch == '"' || ch == '\\') fprintf(out, "\\%c", ch);
        else if (ch >= 0x20 && ch < 0x7f && ch != '?') fputc(ch, out);
        else fprintf(out, "\\%03o", ch);  /* octal: never runs into the next character */
        if (i % 100 == 99) fputs("\"\n    \"", out);
    }
    fputc('"', out);
}

static void c_kept(const wxp_http_response *res, const char *name)
{
    wxp_str v = wxp_http_response_kept(res, name);
    c_string(v.ptr, v.len);
    fputs(", ", out);
}

/* The simulator answers; the answer is written out as an m4_exchange row. */
static int recording_transport(void *user, const wxp_http_request *req, wxp_http_response *res, char *errbuf,
                               size_t errbuf_size)
{
    int rc = wxp_fake_transport(user, req, res, errbuf, errbuf_size);
    wxp_str body = wxp_http_response_body(res);
    if (rc != 0) {
        fprintf(stderr, "record: the simulator failed %s: %s\n", req->method, errbuf);
        exit(1);
    }
    fprintf(out, "  {\"%s\", ", req->method);
    c_string(req->path.ptr, req->path.len);
    fprintf(out, ", %d, ", wxp_http_response_get_status(res));
    c_kept(res, "Request-ID");
    c_kept(res, "Wechatpay-Timestamp");
    c_kept(res, "Wechatpay-Nonce");
    c_kept(res, "Wechatpay-Serial");
    c_kept(res, "Wechatpay-Signature");
    fputs("\n    ", out);
    c_string(body.ptr, body.len);
    fprintf(out, ", %lu},\n", (unsigned long)body.len);
    return rc;
}

static int fail(const char *what, wxp_err e, const wxp_result *r)
{
    fprintf(stderr, "record: %s: %s %s %s\n", what, wxp_strerror(e), r->field, r->message);
    return 1;
}

int main(int argc, char **argv)
{
    static wxp_pubkey merchant_pub;
    static wxp_rsa_key platform;
    static char body[8192];
    wxp_fake_config fc;
    wxp_config cfg;
    wxp_result r;
    wxp_refund_req rq;
    wxp_refund refund;
    wxp_micropay_req sq;
    wxp_sale_config sc;
    wxp_sale sale;
    wxp_notify_headers h;
    size_t len;
    wxp_err e;

    if (argc != 2 || !(out = fopen(argv[1], "w"))) {
        fprintf(stderr, "usage: record OUT.h\n");
        return 2;
    }
    if ((e = m4_config(&term, &cfg, io, sizeof io, &r)) || (e = example_fake_config(&fc, &merchant_pub, &platform, &r)))
        return fail("keys", e, &r);
    fc.clock.fn = m4_clock;
    fc.clock.user = &term;
    if ((e = wxp_fake_init(&fake, &fc)) || (e = wxp_fake_add_order(&fake, M4_ORDER, NULL, 500)) ||
        (e = wxp_fake_add_customer(&fake, M4_AUTH_CODE, WXP_FAKE_PAY_AFTER_POLLS, 1, 50000)))
        return fail("simulator", e, &r);
    m4_config_v2(&cfg);
    cfg.transport.fn = recording_transport;
    cfg.transport.user = &fake;
    if ((e = wxp_client_init(&client, &cfg, &r))) return fail("client", e, &r);

    fputs("/* build/m4/recorded.h - written by tests/m4/record.c: the simulator's answers. */\n", out);
    fputs("static const m4_exchange m4_refund_answers[] = {\n", out);
    m4_refund_req(&rq);
    if ((e = wxp_refund_create(&client, &rq, &refund, &r))) return fail("refund", e, &r);
    fputs("};\n\n/* The payment callback of the refunded order. */\n", out);
    if ((e = wxp_fake_notify_transaction(&fake, cfg.apiv3_key, M4_ORDER, body, sizeof body, &len, &h, &r)))
        return fail("callback", e, &r);
    fputs("static const char *const m4_callback_headers[4] = {", out);
    c_string(h.timestamp.ptr, h.timestamp.len), fputs(", ", out);
    c_string(h.nonce.ptr, h.nonce.len), fputs(", ", out);
    c_string(h.signature.ptr, h.signature.len), fputs(", ", out);
    c_string(h.serial.ptr, h.serial.len);
    fputs("};\nstatic const char m4_callback_body[] =\n    ", out);
    c_string(body, len);
    fputs(";\n\nstatic const m4_exchange m4_sale_answers[] = {\n", out);
    term.now = M4_NOW + 60;   /* the sale comes a minute later, on the same clock */
    m4_sale_req(&term, &sq, &sc);
    e = wxp_pos_sale(&client, &sq, &sc, &sale, &r);
    if (e || sale.outcome != WXP_SALE_PAID) return fail("POS sale", e, &r);
    fputs("};\n", out);
    return fclose(out) != 0;
}
