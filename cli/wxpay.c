/* wxpay - the wechatpay.h command line: sign, verify and decrypt by hand.

   wxpay sign    --mchid M --serial S --key FILE --method METHOD --url URL
                 --timestamp TS --nonce NONCE [--body-file FILE]
   wxpay verify  --public-key FILE --timestamp TS --nonce N --signature B64
                 --body-file FILE [--now TS] [--max-skew S]
   wxpay decrypt --apiv3-key KEY --nonce N --associated-data AAD --ciphertext B64
   wxpay v2sign  --key APIV2KEY [--sign-type MD5|HMAC-SHA256] KEY=VALUE...
   wxpay v2xml   KEY=VALUE...

   Exit status: 0 success, 1 the operation failed (bad input, a signature that
   does not verify, a tag mismatch), 2 usage error. */
#define WECHATPAY_IMPLEMENTATION
#include "wechatpay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FILE_MAX (1u << 20)

typedef struct opt { const char *name, *value; } opt;

static int usage(const char *cmd)
{
    if (!cmd || strcmp(cmd, "sign") == 0)
        fputs("usage: wxpay sign --mchid M --serial S --key FILE --method METHOD --url URL\n"
              "                  --timestamp TS --nonce NONCE [--body-file FILE]\n"
              "  Prints the APIv3 Authorization header value for that request.\n", stderr);
    if (!cmd || strcmp(cmd, "verify") == 0)
        fputs("usage: wxpay verify --public-key FILE --timestamp TS --nonce N --signature B64\n"
              "                    --body-file FILE [--now TS] [--max-skew SECONDS]\n"
              "  Checks a WeChat Pay answer or callback signature (TS\\nN\\nBODY\\n). FILE is a\n"
              "  PEM public key or an X.509 certificate. Prints ok, or the reason.\n", stderr);
    if (!cmd || strcmp(cmd, "decrypt") == 0)
        fputs("usage: wxpay decrypt --apiv3-key KEY --nonce N --associated-data AAD --ciphertext B64\n"
              "  Decrypts an AEAD_AES_256_GCM resource (callbacks, certificates).\n", stderr);
    if (!cmd || strcmp(cmd, "v2sign") == 0)
        fputs("usage: wxpay v2sign --key APIV2KEY [--sign-type MD5|HMAC-SHA256] KEY=VALUE...\n"
              "  Prints the APIv2 sign of the parameters (default HMAC-SHA256).\n", stderr);
    if (!cmd || strcmp(cmd, "v2xml") == 0)
        fputs("usage: wxpay v2xml KEY=VALUE...\n"
              "  Prints the XML body those parameters make (CDATA where a value needs it).\n", stderr);
    if (!cmd)
        fputs("exit status: 0 ok, 1 failed, 2 usage\n", stderr);
    return 2;
}

/* Options are --name value pairs; each known name appears at most once. */
static int parse_opts(int argc, char **argv, opt *opts, size_t n)
{
    int i;
    for (i = 0; i < argc; i += 2) {
        size_t k;
        int known = 0;
        if (strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc) {
            fprintf(stderr, "wxpay: expected --option value at '%s'\n", argv[i]);
            return 0;
        }
        for (k = 0; k < n; k++)
            if (strcmp(argv[i] + 2, opts[k].name) == 0) {
                opts[k].value = argv[i + 1];
                known = 1;
            }
        if (!known) {
            fprintf(stderr, "wxpay: unknown option %s\n", argv[i]);
            return 0;
        }
    }
    return 1;
}

static const char *need(opt *opts, size_t n, const char *name)
{
    size_t k;
    for (k = 0; k < n; k++)
        if (strcmp(opts[k].name, name) == 0) return opts[k].value;
    return NULL;
}

static int missing(opt *opts, size_t n, const char *const *required)
{
    for (; *required; required++)
        if (!need(opts, n, *required)) {
            fprintf(stderr, "wxpay: --%s is required\n", *required);
            return 1;
        }
    return 0;
}

static int read_file(const char *path, char *buf, size_t cap, wxp_str *out)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    if (!f) {
        fprintf(stderr, "wxpay: cannot open %s\n", path);
        return 0;
    }
    n = fread(buf, 1, cap, f);
    if (n == cap && fgetc(f) != EOF) {
        fprintf(stderr, "wxpay: %s is larger than %u bytes\n", path, (unsigned)cap);
        fclose(f);
        return 0;
    }
    fclose(f);
    out->ptr = buf;
    out->len = n;
    return 1;
}

static int parse_ll(const char *s, long long *v)
{
    char *end;
    if (!s || !*s) return 0;
    *v = strtoll(s, &end, 10);
    return *end == 0;
}

static int fail(wxp_err e, const wxp_result *r)
{
    fprintf(stderr, "wxpay: %s", wxp_strerror(e));
    if (r->field[0]) fprintf(stderr, " [%s]", r->field);
    if (r->message[0]) fprintf(stderr, ": %s", r->message);
    fputc('\n', stderr);
    return 1;
}

static char file_a[FILE_MAX], file_b[FILE_MAX];

static int cmd_sign(int argc, char **argv)
{
    static const char *const req[] = { "mchid", "serial", "key", "method", "url", "timestamp", "nonce", NULL };
    opt o[] = { { "mchid", 0 }, { "serial", 0 }, { "key", 0 }, { "method", 0 }, { "url", 0 },
                { "timestamp", 0 }, { "nonce", 0 }, { "body-file", 0 } };
    size_t n = sizeof o / sizeof o[0], len;
    static wxp_rsa_key key;
    static char out[2048];
    wxp_str pem, body = { "", 0 };
    wxp_result r;
    wxp_err e;
    long long ts;
    if (!parse_opts(argc, argv, o, n) || missing(o, n, req)) return usage("sign");
    if (!parse_ll(need(o, n, "timestamp"), &ts)) {
        fputs("wxpay: --timestamp must be a decimal Unix time\n", stderr);
        return 1;
    }
    if (!read_file(need(o, n, "key"), file_a, sizeof file_a, &pem)) return 1;
    if (need(o, n, "body-file") && !read_file(need(o, n, "body-file"), file_b, sizeof file_b, &body)) return 1;
    e = wxp_rsa_key_load(&key, pem, &r);
    memset(file_a, 0, sizeof file_a); /* the key PEM leaves no copy */
    if (e) return fail(e, &r);
    e = wxp_v3_authorization(&key.vtable, need(o, n, "mchid"), need(o, n, "serial"), need(o, n, "method"),
                             wxp_cstr(need(o, n, "url")), ts, wxp_cstr(need(o, n, "nonce")), body,
                             out, sizeof out, &len, &r);
    wxp_rsa_key_wipe(&key);
    if (e) return fail(e, &r);
    printf("%s\n", out);
    return 0;
}

static int cmd_verify(int argc, char **argv)
{
    static const char *const req[] = { "public-key", "timestamp", "nonce", "signature", "body-file", NULL };
    opt o[] = { { "public-key", 0 }, { "timestamp", 0 }, { "nonce", 0 }, { "signature", 0 },
                { "body-file", 0 }, { "now", 0 }, { "max-skew", 0 } };
    size_t n = sizeof o / sizeof o[0];
    static wxp_pubkey key;
    wxp_str pem, body, parts[6];
    wxp_result r;
    wxp_err e;
    long long ts, now = (long long)time(NULL), skew = 300;
    if (!parse_opts(argc, argv, o, n) || missing(o, n, req)) return usage("verify");
    if (!parse_ll(need(o, n, "timestamp"), &ts) || (need(o, n, "now") && !parse_ll(need(o, n, "now"), &now)) ||
        (need(o, n, "max-skew") && !parse_ll(need(o, n, "max-skew"), &skew))) {
        fputs("wxpay: --timestamp, --now and --max-skew are decimal numbers\n", stderr);
        return 1;
    }
    if (!read_file(need(o, n, "public-key"), file_a, sizeof file_a, &pem) ||
        !read_file(need(o, n, "body-file"), file_b, sizeof file_b, &body))
        return 1;
    memset(&r, 0, sizeof r);
    e = wxp_pubkey_load(&key, pem, &r);
    if (e) return fail(e, &r);
    if (ts - now > skew || now - ts > skew) {
        printf("clock: timestamp %lld is %lld s from now %lld (allowed %lld)\n", ts,
               ts > now ? ts - now : now - ts, now, skew);
        return 1;
    }
    parts[0] = wxp_cstr(need(o, n, "timestamp")); parts[1] = wxp_cstr("\n");
    parts[2] = wxp_cstr(need(o, n, "nonce"));     parts[3] = parts[1];
    parts[4] = body;                              parts[5] = parts[1];
    e = wxp_verify_base64(&key, parts, 6, wxp_cstr(need(o, n, "signature")), &r);
    if (e) {
        printf("%s: %s\n", wxp_strerror(e), r.message);
        return 1;
    }
    printf("ok\n");
    return 0;
}

static int cmd_decrypt(int argc, char **argv)
{
    static const char *const req[] = { "apiv3-key", "nonce", "associated-data", "ciphertext", NULL };
    opt o[] = { { "apiv3-key", 0 }, { "nonce", 0 }, { "associated-data", 0 }, { "ciphertext", 0 } };
    size_t n = sizeof o / sizeof o[0], len;
    wxp_result r;
    wxp_err e;
    if (!parse_opts(argc, argv, o, n) || missing(o, n, req)) return usage("decrypt");
    memset(&r, 0, sizeof r);
    e = wxp_aes_gcm_decrypt(wxp_cstr(need(o, n, "apiv3-key")), wxp_cstr(need(o, n, "nonce")),
                            wxp_cstr(need(o, n, "associated-data")), wxp_cstr(need(o, n, "ciphertext")),
                            (unsigned char *)file_a, sizeof file_a, &len, &r);
    if (e) return fail(e, &r);
    fwrite(file_a, 1, len, stdout);
    fputc('\n', stdout);
    return 0;
}

/* KEY=VALUE arguments into a parameter list (views into argv). */
static int parse_kv(int argc, char **argv, wxp_kv *kv, size_t cap, size_t *n)
{
    int i;
    *n = 0;
    for (i = 0; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        if (!eq || eq == argv[i] || *n == cap) {
            fprintf(stderr, "wxpay: expected KEY=VALUE at '%s'\n", argv[i]);
            return 0;
        }
        kv[*n].key.ptr = argv[i];
        kv[*n].key.len = (size_t)(eq - argv[i]);
        kv[*n].value = wxp_cstr(eq + 1);
        (*n)++;
    }
    return 1;
}

static int cmd_v2sign(int argc, char **argv)
{
    wxp_kv kv[128];
    size_t n;
    const char *key = NULL, *type = "HMAC-SHA256";
    char sign[65];
    wxp_result r;
    wxp_err e;
    while (argc >= 2 && strncmp(argv[0], "--", 2) == 0) {
        if (strcmp(argv[0], "--key") == 0) key = argv[1];
        else if (strcmp(argv[0], "--sign-type") == 0) type = argv[1];
        else return usage("v2sign");
        argc -= 2;
        argv += 2;
    }
    if (!key || (strcmp(type, "MD5") != 0 && strcmp(type, "HMAC-SHA256") != 0)) return usage("v2sign");
    if (!parse_kv(argc, argv, kv, 128, &n)) return usage("v2sign");
    e = wxp_v2_sign(kv, n, wxp_cstr(key), strcmp(type, "MD5") == 0 ? WXP_V2_MD5 : WXP_V2_HMAC_SHA256, sign, &r);
    if (e) return fail(e, &r);
    printf("%s\n", sign);
    return 0;
}

static int cmd_v2xml(int argc, char **argv)
{
    wxp_kv kv[128];
    size_t n, len;
    wxp_result r;
    wxp_err e;
    if (!parse_kv(argc, argv, kv, 128, &n)) return usage("v2xml");
    e = wxp_xml_write(file_a, sizeof file_a, kv, n, &len, &r);
    if (e) return fail(e, &r);
    printf("%s\n", file_a);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(NULL);
        return argc < 2 ? 2 : 0;
    }
    if (argc == 3 && strcmp(argv[2], "--help") == 0) {
        usage(argv[1]);
        return 0;
    }
    if (strcmp(argv[1], "sign") == 0) return cmd_sign(argc - 2, argv + 2);
    if (strcmp(argv[1], "verify") == 0) return cmd_verify(argc - 2, argv + 2);
    if (strcmp(argv[1], "decrypt") == 0) return cmd_decrypt(argc - 2, argv + 2);
    if (strcmp(argv[1], "v2sign") == 0) return cmd_v2sign(argc - 2, argv + 2);
    if (strcmp(argv[1], "v2xml") == 0) return cmd_v2xml(argc - 2, argv + 2);
    fprintf(stderr, "wxpay: unknown command %s\n", argv[1]);
    return usage(NULL);
}
