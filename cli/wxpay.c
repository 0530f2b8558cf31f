/* wxpay - the wechatpay.h command line: call any WeChat Pay endpoint, fetch the
   platform certificates, and sign, verify and decrypt by hand.

   wxpay call METHOD PATH [--json BODY | --json-file FILE]   any APIv3 endpoint
   wxpay v2call PATH KEY=VALUE... [--cert]                   any APIv2 endpoint
   wxpay certificates [--out FILE]                           platform certificates
   wxpay sign | verify | decrypt | v2sign | v2xml            offline tools

   Merchant settings come from flags, then WXPAY_* environment variables, then
   a config file (--config FILE or WXPAY_CONFIG); `wxpay --help` lists them.
   Calls go to WeChat Pay through libcurl (transports/wechatpay_curl.h), or,
   with --simulator, to the in-process simulator (transports/wechatpay_fake.h)
   holding the throwaway test merchant of examples/test_keys.h.

   Exit status: 0 success; 1 the call or operation failed (WeChat Pay answered
   an error, an answer or signature did not verify, a tag mismatch, the
   transport failed); 2 usage error; 3 configuration or key error.

   Build: make (build/wxpay; links -lbearssl and libcurl). */
#include "wxpay_sim.h"   /* first: wechatpay.h, the simulator, its journal and server (wxpay serve) */
#define WECHATPAY_CURL_IMPLEMENTATION
#include "transports/wechatpay_curl.h"

#include <openssl/bn.h>          /* wxpay serve --init: throwaway keys and certificates */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#define FILE_MAX (1u << 20)
#define IO_SIZE  (1u << 18)   /* one call's request and answer (bills stay out: URLs only) */

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_CONFIG = 3 };

/* ==== settings ============================================================== */

/* One row per merchant setting: the config file key; the flag is the same
   with '-' for '_', the environment variable WXPAY_ and the upper case. */
enum { S_MCHID, S_SERIAL, S_KEY_FILE, S_APIV3_KEY, S_APIV2_KEY, S_V2_SIGN_TYPE, S_APPID,
       S_PUBKEY_ID, S_PUBKEY_FILE, S_CERTS_FILE, S_CLIENT_CERT, S_CLIENT_KEY, S_HOST,
       S_CA_FILE, S_RESOLVE, S_TIMEOUT, S_SIM_STATE, S_COUNT };

static const struct setting {
    const char *name, *arg;
    int         is_path;        /* relative paths in a config file: against its directory */
    const char *help;
} settings[S_COUNT] = {
    { "mchid", "ID", 0, "merchant id (digits)" },
    { "serial", "HEX", 0, "serial of the merchant API certificate" },
    { "key_file", "FILE", 1, "apiclient_key.pem, the merchant API key" },
    { "apiv3_key", "KEY", 0, "APIv3 key, 32 bytes (certificates)" },
    { "apiv2_key", "KEY", 0, "APIv2 key, 32 bytes (v2call)" },
    { "v2_sign_type", "TYPE", 0, "APIv2 sign: HMAC-SHA256 (default) or MD5" },
    { "appid", "ID", 0, "added to v2call parameters when absent" },
    { "pubkey_id", "ID", 0, "WeChat Pay public key id, PUB_KEY_ID_..." },
    { "pubkey_file", "FILE", 1, "WeChat Pay public key PEM (with pubkey_id)" },
    { "certs_file", "FILE", 1, "platform certificates PEM (certificates)" },
    { "client_cert", "FILE", 1, "apiclient_cert.pem, APIv2 mutual TLS" },
    { "client_key", "FILE", 1, "its key (default: key_file)" },
    { "host", "HOST", 0, "default api.mch.weixin.qq.com; simulator" },
    { "ca_file", "FILE", 1, "CA bundle (default: the system's)" },
    { "resolve", "H:P:ADDR", 0, "reach H:P at ADDR (as curl --resolve)" },
    { "timeout", "MS", 0, "milliseconds per call (default 10000)" },
    { "sim_state", "FILE", 1, "simulator journal: its book across runs" },
};

static const char *val[S_COUNT];     /* resolved value, NULL when unset */
static const char *origin[S_COUNT];  /* where it came from, for messages */

static char cfg_text[1u << 16];      /* the config file, split in place */
static char cfg_pool[1u << 14];      /* joined paths and origin strings */
static size_t cfg_pool_len;

static const char *pool_printf2(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *p;
    if (cfg_pool_len + n > sizeof cfg_pool) return NULL;
    p = cfg_pool + cfg_pool_len;
    sprintf(p, "%s%s%s", a, b, c);
    cfg_pool_len += n;
    return p;
}

static void env_name(int s, char *out)
{
    size_t i;
    strcpy(out, "WXPAY_");
    for (i = 0; settings[s].name[i]; i++)
        out[6 + i] = (char)(settings[s].name[i] >= 'a' && settings[s].name[i] <= 'z' ? settings[s].name[i] - 32
                                                                                     : settings[s].name[i]);
    out[6 + i] = 0;
}

static void flag_name(int s, char *out)
{
    size_t i;
    strcpy(out, "--");
    for (i = 0; settings[s].name[i]; i++) out[2 + i] = settings[s].name[i] == '_' ? '-' : settings[s].name[i];
    out[2 + i] = 0;
}

static char *trim(char *s)
{
    char *e;
    while (*s == ' ' || *s == '\t') s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) *--e = 0;
    return s;
}

/* Reads a whole file into buf (cap bytes, NUL-terminated). "-" is stdin. */
static int slurp(const char *path, char *buf, size_t cap, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    size_t n;
    if (!f) return 0;
    n = fread(buf, 1, cap - 1, f);
    if (ferror(f) || (n == cap - 1 && fgetc(f) != EOF)) {
        int e = ferror(f) ? EIO : EFBIG;   /* a read error is not a short file */
        if (f != stdin) fclose(f);
        errno = e;
        return 0;
    }
    if (f != stdin) fclose(f);
    buf[n] = 0;
    *len = n;
    return 1;
}

/* key = value lines; '#' starts a comment line; values may be "quoted". */
static int load_config_file(const char *path)
{
    char *line, *next, *dirend;
    size_t len, dirlen = 0;
    unsigned lineno = 0;
    char linebuf[16];
    if (!slurp(path, cfg_text, sizeof cfg_text, &len)) {
        fprintf(stderr, "wxpay: cannot read config file %s: %s\n", path, strerror(errno));
        return 0;
    }
    dirend = strrchr(path, '/');
    if (dirend) dirlen = (size_t)(dirend - path) + 1;
    for (line = cfg_text; line; line = next) {
        char *eq, *key, *value;
        int s, found = -1;
        lineno++;
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        line = trim(line);
        if (!*line || *line == '#') continue;
        sprintf(linebuf, ":%u", lineno);
        eq = strchr(line, '=');
        if (!eq) {
            fprintf(stderr, "wxpay: %s%s: expected key = value\n", path, linebuf);
            return 0;
        }
        *eq = 0;
        key = trim(line);
        value = trim(eq + 1);
        if (value[0] == '"' && strlen(value) >= 2 && value[strlen(value) - 1] == '"') {
            value[strlen(value) - 1] = 0;
            value++;
        }
        for (s = 0; s < S_COUNT; s++)
            if (strcmp(key, settings[s].name) == 0) found = s;
        if (found < 0) {
            fprintf(stderr, "wxpay: %s%s: unknown setting '%s' (wxpay --help lists them)\n", path, linebuf, key);
            return 0;
        }
        if (!*value) continue;
        if (settings[found].is_path && value[0] != '/' && dirlen) {
            char dir[4096];
            if (dirlen >= sizeof dir) {
                fprintf(stderr, "wxpay: %s%s: expected a config file directory of at most %lu bytes, found %lu\n",
                        path, linebuf, (unsigned long)sizeof dir - 1, (unsigned long)dirlen);
                return 0;
            }
            memcpy(dir, path, dirlen);
            dir[dirlen] = 0;
            value = (char *)pool_printf2(dir, value, "");
        }
        val[found] = value;
        origin[found] = pool_printf2(path, linebuf, "");
        if (!val[found] || !origin[found]) {
            fprintf(stderr, "wxpay: %s: too many settings\n", path);
            return 0;
        }
    }
    return 1;
}

/* File, then environment, then flags (flags[s] may be NULL). */
static int load_settings(const char *config_flag, const char *const *flags)
{
    const char *config = config_flag ? config_flag : getenv("WXPAY_CONFIG");
    int s;
    memset((void *)val, 0, sizeof val);
    memset((void *)origin, 0, sizeof origin);
    cfg_pool_len = 0;
    if (config && *config && !load_config_file(config)) return 0;
    for (s = 0; s < S_COUNT; s++) {
        char env[40];
        const char *v;
        env_name(s, env);
        v = getenv(env);
        if (v && *v) {
            val[s] = v;
            origin[s] = pool_printf2(env, "", "");
        }
        if (flags && flags[s]) {
            char flag[40];
            flag_name(s, flag);
            val[s] = flags[s];
            origin[s] = pool_printf2(flag, "", "");
        }
        if (val[s] && !origin[s]) {     /* messages print origin: never NULL */
            fprintf(stderr, "wxpay: configuration: too many settings (their names fill %lu bytes)\n",
                    (unsigned long)sizeof cfg_pool);
            return 0;
        }
    }
    return 1;
}

/* ==== files written ========================================================= */

/* A file the CLI writes (certificates --out) is replaced whole (the
   simulator's journal is appended to instead: cli/wxpay_sim.h): written to a
   fresh temporary file beside it, then renamed over it, so no reader sees
   half of it. The temporary file is created with
   O_CREAT|O_EXCL under an unpredictable name, so a link planted there is never
   followed (O_EXCL fails on any existing name, links included); a clash is
   retried under a new name. */
typedef struct out_file {
    FILE       *f;
    const char *path;
    char        tmp[4096];
} out_file;

/* Bits for a temporary name: /dev/urandom, else the clock (O_EXCL is the guard). */
static unsigned long tmp_salt(void)
{
    static unsigned long seq;
    unsigned char b[4] = { 0, 0, 0, 0 };
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) {
        if (fread(b, 1, sizeof b, f) != sizeof b) memset(b, 0, sizeof b);
        fclose(f);
    }
    seq++;
    return ((unsigned long)b[0] << 24 | (unsigned long)b[1] << 16 | (unsigned long)b[2] << 8 | b[3]) ^
           ((unsigned long)time(NULL) * 2654435761ul) ^ ((unsigned long)clock() << 8) ^ (seq * 40503ul);
}

/* Opens a temporary file for path: 1, or 0 with errno set and nothing created. */
static int out_open(out_file *o, const char *path, int mode)
{
    int fd = -1, tries, n, e;
    o->f = NULL;
    o->path = path;
    o->tmp[0] = 0;
    for (tries = 0; tries < 8 && fd < 0; tries++) {
        n = snprintf(o->tmp, sizeof o->tmp, "%s.tmp.%ld.%08lx", path, (long)getpid(), tmp_salt() & 0xFFFFFFFFul);
        if (n < 0 || (size_t)n >= sizeof o->tmp) {
            errno = ENAMETOOLONG;
            return 0;
        }
        fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL, (mode_t)mode);
        if (fd < 0 && errno != EEXIST) return 0;
    }
    if (fd < 0) return 0;       /* errno is EEXIST: 8 clashes */
    o->f = fdopen(fd, "wb");
    if (!o->f) {
        e = errno;
        close(fd);
        remove(o->tmp);
        errno = e;
        return 0;
    }
    return 1;
}

/* Drops the temporary file (errno kept for the caller's message). */
static void out_abort(out_file *o)
{
    int e = errno;
    if (o->f) fclose(o->f);
    o->f = NULL;
    remove(o->tmp);
    errno = e;
}

/* Flushes the temporary file to disk and renames it over the path: 1, or 0
   with errno set and the temporary file removed. */
static int out_commit(out_file *o)
{
    int e = 0;
    if (fflush(o->f) != 0) e = errno;
    else if (ferror(o->f)) e = EIO;
    else if (fsync(fileno(o->f)) != 0) e = errno;
    if (fclose(o->f) != 0 && !e) e = errno;
    o->f = NULL;
    if (!e && rename(o->tmp, o->path) != 0) e = errno;
    if (e) {
        remove(o->tmp);
        errno = e;
        return 0;
    }
    return 1;
}

/* ==== output helpers ======================================================== */

/* What e means: wxp_strerror without the "WXP_E_NAME: " in front. */
static const char *err_meaning(wxp_err e)
{
    const char *colon = strchr(wxp_strerror(e), ':');
    return colon ? colon + 2 : "";
}

/* wxpay: WXP_E_NAME: message [field] (HTTP status, Request-ID id) */
static int report(wxp_err e, const wxp_result *r)
{
    fprintf(stderr, "wxpay: %s: ", wxp_errname(e));
    if (r && r->code[0]) fprintf(stderr, "%s: ", r->code);
    fputs(r && r->message[0] ? r->message : err_meaning(e), stderr);
    if (r && r->field[0]) fprintf(stderr, " [%s]", r->field);
    if (r && e == WXP_E_NOSPACE && r->needed) fprintf(stderr, " (needs %lu bytes)", (unsigned long)r->needed);
    if (r && e == WXP_E_PARSE) fprintf(stderr, " (at byte %lu)", (unsigned long)r->offset);
    if (r && (r->status || r->request_id[0]))
        fprintf(stderr, " (HTTP %d, Request-ID %s)", r->status, r->request_id[0] ? r->request_id : "-");
    fputc('\n', stderr);
    return EXIT_FAILED;
}

/* A setting's value that is not what it must be: both said, the value only
   when it is no secret (secret: its length instead). */
static int setting_error(int s, const char *expected, int secret)
{
    if (secret)
        fprintf(stderr, "wxpay: configuration: %s (from %s): expected %s, found %lu bytes\n", settings[s].name,
                origin[s], expected, (unsigned long)strlen(val[s]));
    else
        fprintf(stderr, "wxpay: configuration: %s (from %s): expected %s, found \"%s\"\n", settings[s].name,
                origin[s], expected, val[s]);
    return EXIT_CONFIG;
}

static int config_error(const char *what, const char *detail)
{
    fprintf(stderr, "wxpay: configuration: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    return EXIT_CONFIG;
}

/* Reads the file a setting names, or fails with exit code 3. */
static int read_setting_file(int s, char *buf, size_t cap, wxp_str *out)
{
    size_t n;
    if (!slurp(val[s], buf, cap, &n)) {
        fprintf(stderr, "wxpay: configuration: cannot read %s %s (from %s): %s\n", settings[s].name, val[s],
                origin[s], strerror(errno));
        return 0;
    }
    out->ptr = buf;
    out->len = n;
    return 1;
}

/* The PEM kinds each key setting takes, for "what was expected". */
#define PEM_PRIVATE "PRIVATE KEY or RSA PRIVATE KEY"
#define PEM_PUBLIC  "PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE"

/* " (expected KINDS)" after a key error that found no PEM object of the kind
   it wanted (the library's message says what it found instead). */
static const char *pem_expected(wxp_err e, const wxp_result *r, const char *expected)
{
    static char out[160];
    out[0] = 0;
    if (e == WXP_E_KEY && strstr(r->message, "expected kind")) snprintf(out, sizeof out, " (expected %s)", expected);
    return out;
}

static int key_error(int s, wxp_err e, const wxp_result *r)
{
    int path = settings[s].is_path && val[s];
    fprintf(stderr, "wxpay: configuration: %s %s%s(from %s): %s: %s%s\n", settings[s].name, path ? val[s] : "",
            path ? " " : "", origin[s] ? origin[s] : "the simulator", wxp_errname(e),
            r->message[0] ? r->message : err_meaning(e),
            pem_expected(e, r, s == S_KEY_FILE || s == S_CLIENT_KEY ? PEM_PRIVATE
                      : s == S_PUBKEY_FILE ? PEM_PUBLIC : "CERTIFICATE"));
    return EXIT_CONFIG;
}

/* ==== help ================================================================== */

static const char *const help_call =
    "usage: wxpay call METHOD PATH [--json BODY | --json-file FILE] [SETTINGS]\n"
    "  Calls any APIv3 endpoint: signs the request with the merchant key, sends it,\n"
    "  verifies the answer's Wechatpay-Signature under the WeChat Pay public key or\n"
    "  a platform certificate, and prints the verified answer body (JSON) to stdout\n"
    "  (nothing for 204). METHOD is GET POST PUT PATCH or DELETE; PATH is the path\n"
    "  with its query, percent-encoded: /v3/refund/domestic/refunds/R1.\n"
    "  --json BODY       the request body; --json-file FILE reads it (- is stdin).\n"
    "                    It must be valid JSON.\n"
    "  Needs mchid, serial, key_file and a verification key: pubkey_id +\n"
    "  pubkey_file, or certs_file (see wxpay certificates).\n"
    "  Errors go to stderr: wxpay: WXP_E_HTTP: NOT_ENOUGH: message (HTTP 403,\n"
    "  Request-ID ...); exit 1.\n"
    "  Examples (each works on a fresh --simulator: its demo book):\n"
    "    wxpay call GET '/v3/pay/transactions/out-trade-no/1217752501201407033233368018?mchid=1900009191' --simulator\n"
    "    wxpay call POST /v3/refund/domestic/refunds --simulator --json\n"
    "      '{\"out_trade_no\":\"1217752501201407033233368018\",\"out_refund_no\":\"R1\",\"amount\":{\"refund\":100,\"total\":888,\"currency\":\"CNY\"}}'\n";

static const char *const help_v2call =
    "usage: wxpay v2call PATH KEY=VALUE... [--cert] [SETTINGS]\n"
    "  Calls any APIv2 endpoint: adds mch_id (unless given), appid (when the\n"
    "  setting is set and the parameter absent), nonce_str, sign_type and sign,\n"
    "  posts the XML, checks the answer's sign and prints its fields as one JSON\n"
    "  object (also when result_code is FAIL: then exit 1).\n"
    "  Paths under /secapi/ (or --cert) present the client certificate (mutual\n"
    "  TLS): set client_cert (and client_key unless it is key_file).\n"
    "  Needs mchid, serial, key_file and apiv2_key; v2_sign_type picks the sign.\n"
    "  Examples (each works on a fresh --simulator: its demo book):\n"
    "    wxpay v2call /pay/orderquery out_trade_no=1415757673 --simulator\n"
    "    wxpay v2call /secapi/pay/refund out_trade_no=1415757673 out_refund_no=V2R1 total_fee=608 refund_fee=100 --simulator\n";

static const char *const help_certificates =
    "usage: wxpay certificates [--out FILE] [SETTINGS]\n"
    "  Downloads GET /v3/certificates, decrypts each certificate with the APIv3\n"
    "  key and verifies the answer: under a key already held (pubkey_id or\n"
    "  certs_file), else under a certificate it delivered (first download). Then\n"
    "  writes the certificates' PEM to FILE (replaced atomically) and one line per\n"
    "  certificate (serial, validity) to stdout; without --out the PEM goes to\n"
    "  stdout and the lines to stderr. Point certs_file at FILE afterwards.\n"
    "  Needs mchid, serial, key_file and apiv3_key.\n";

static const char *const help_sign =
    "usage: wxpay sign --mchid M --serial S --key FILE --method METHOD --url URL\n"
    "                  --timestamp TS --nonce NONCE [--body-file FILE] [--config FILE]\n"
    "  Prints the APIv3 Authorization header value for that request. --mchid,\n"
    "  --serial and --key default to the mchid, serial and key_file settings.\n";

static const char *const help_verify =
    "usage: wxpay verify --public-key FILE --timestamp TS --nonce N --signature B64\n"
    "                    --body-file FILE [--now TS] [--max-skew SECONDS] [--config FILE]\n"
    "  Checks a WeChat Pay answer or callback signature (TS\\nN\\nBODY\\n). FILE is a\n"
    "  PEM public key or an X.509 certificate (default: the pubkey_file setting).\n"
    "  Prints ok (exit 0), or the reason (exit 1).\n";

static const char *const help_decrypt =
    "usage: wxpay decrypt --apiv3-key KEY --nonce N --associated-data AAD --ciphertext B64\n"
    "                     [--config FILE]\n"
    "  Decrypts an AEAD_AES_256_GCM resource (callbacks, certificates) and prints\n"
    "  the plaintext. --apiv3-key defaults to the apiv3_key setting.\n";

static const char *const help_v2sign =
    "usage: wxpay v2sign [--key APIV2KEY] [--sign-type MD5|HMAC-SHA256] [--config FILE] KEY=VALUE...\n"
    "  Prints the APIv2 sign of the parameters. --key defaults to the apiv2_key\n"
    "  setting, --sign-type to v2_sign_type, then HMAC-SHA256.\n";

static const char *const help_v2xml =
    "usage: wxpay v2xml KEY=VALUE...\n"
    "  Prints the XML body those parameters make (CDATA where a value needs it).\n";

#define SERVE_PORT 8443u       /* wxpay serve --init's settings */
static const char *const help_serve =
    "usage: wxpay serve --init DIR\n"
    "       wxpay serve --state DIR/journal [--port N] [--now UNIX | --clock real] [--certs DIR]\n"
    "  The WeChat Pay simulator behind HTTPS on 127.0.0.1 only, for any SDK's tests\n"
    "  (docs/SIMULATOR.md): every route of the in-process simulator, APIv2 with\n"
    "  mutual TLS, the test endpoints /sim/... and the X-Sim-Fault header.\n"
    "  --init DIR  writes THROWAWAY keys: a CA (ca.pem) and the server certificate\n"
    "              for api.mch.weixin.qq.com, the merchant key and certificate\n"
    "              (apiclient_key.pem, apiclient_cert.pem: serial, mutual TLS), the\n"
    "              WeChat Pay public key (pub_key.pem) and its PUB_KEY_ID, the APIv3\n"
    "              and APIv2 keys, and DIR/settings for wxpay call --config.\n"
    "  --state F   the journal: every request the simulator took is appended to F\n"
    "              and replayed at the next start (the book lives on); the keys are\n"
    "              F's directory's unless --certs DIR names another.\n"
    "  --port N    default: the port of the settings' host (8443), 0: any free one\n"
    "              (printed as PORT n on stdout).\n"
    "  --clock real (default) or --now UNIX: the simulator's clock.\n"
    "  --allow-any-mchid: serve a merchant id outside the test range (19000xxxxx),\n"
    "              or a merchant certificate issued by Tenpay.com (a real one's).\n"
    "  The book starts with the demo orders of --simulator (wxpay --help).\n"
    "  Example: wxpay serve --init /tmp/wx && wxpay serve --state /tmp/wx/journal\n";

static void help_settings(FILE *f)
{
    int s;
    fputs("Merchant settings (flag / environment variable / config file key):\n", f);
    for (s = 0; s < S_COUNT; s++) {
        char flag[48], env[40];
        flag_name(s, flag);
        strcat(flag, " ");
        strcat(flag, settings[s].arg);
        env_name(s, env);
        fprintf(f, "  %-20s %-20s %-13s %s\n", flag, env, settings[s].name, settings[s].help);
    }
    fputs("  --config FILE        WXPAY_CONFIG         -             the config file: `key = value`\n"
          "                                                          lines, # comments, relative paths\n"
          "                                                          against the file's directory\n"
          "  A flag overrides the environment, which overrides the config file.\n"
          "  Secrets given as flags show in `ps`: prefer the file or the environment.\n"
          "  Where calls go:\n"
          "  --host HOST[:PORT]   HTTPS through libcurl; default api.mch.weixin.qq.com\n"
          "                       (api2.mch.weixin.qq.com is the backup). Server checks\n"
          "                       always on; --ca-file trusts a private CA and --resolve\n"
          "                       api.mch.weixin.qq.com:PORT:127.0.0.1 reaches a test server\n"
          "                       under WeChat Pay's name.\n"
          "  --verbose, -v        each exchange on stderr: method, path, attempt, status,\n"
          "                       Request-ID, time (never a key or a signature)\n"
          "  --simulator          (or --host simulator) the in-process WeChat Pay simulator,\n"
          "                       no network. Its merchant is the throwaway test merchant of\n"
          "                       examples/test_keys.h; every setting not given defaults to\n"
          "                       it. Its book: paid orders 1217752501201407033233368018\n"
          "                       (transaction 4200000000201407033233368018, 888 fen) and\n"
          "                       1415757673 (4006252001201705123297353072, 608 fen, a 50 fen\n"
          "                       CASH coupon), unpaid order T20261123 (100 fen), coupon\n"
          "                       stock 1234567891 code sxxe34343434 (USED); it also serves\n"
          "                       /v3/certificates. The book starts afresh each run unless\n"
          "                       sim_state names a journal file: each request is appended\n"
          "                       to it and replayed at the start of the next run.\n", f);
}

static int cmd_call(int argc, char **argv);
static int cmd_v2call(int argc, char **argv);
static int cmd_certificates(int argc, char **argv);
static int cmd_sign(int argc, char **argv);
static int cmd_verify(int argc, char **argv);
static int cmd_decrypt(int argc, char **argv);
static int cmd_v2sign(int argc, char **argv);
static int cmd_v2xml(int argc, char **argv);
static int cmd_serve(int argc, char **argv);

/* The commands, in the order --help lists them. */
static const struct command {
    const char *name;
    const char *const *help;
    int (*run)(int argc, char **argv);
} commands[] = {
    { "call", &help_call, cmd_call },
    { "v2call", &help_v2call, cmd_v2call },
    { "certificates", &help_certificates, cmd_certificates },
    { "sign", &help_sign, cmd_sign },
    { "verify", &help_verify, cmd_verify },
    { "decrypt", &help_decrypt, cmd_decrypt },
    { "v2sign", &help_v2sign, cmd_v2sign },
    { "v2xml", &help_v2xml, cmd_v2xml },
    { "serve", &help_serve, cmd_serve },
};

static const struct command *find_command(const char *name)
{
    size_t i;
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(name, commands[i].name) == 0) return &commands[i];
    return NULL;
}

static const char *command_help(const char *cmd)
{
    const struct command *c = find_command(cmd);
    return c ? *c->help : NULL;
}

static void help_all(FILE *f)
{
    size_t i;
    fputs("wxpay " WXP_VERSION " - WeChat Pay from the command line (wechatpay.h)\n"
          "\n"
          "usage: wxpay COMMAND [ARGUMENTS] [OPTIONS]\n"
          "       wxpay COMMAND --help | wxpay help COMMAND | wxpay --version\n"
          "\n"
          "Calls (every request signed, every answer verified before it is printed):\n"
          "  call METHOD PATH [--json BODY | --json-file FILE]\n"
          "                       any APIv3 endpoint; prints the answer body (JSON)\n"
          "  v2call PATH KEY=VALUE... [--cert]\n"
          "                       any APIv2 endpoint; prints the answer's fields as JSON\n"
          "  certificates [--out FILE]\n"
          "                       download, verify and save the platform certificates\n"
          "Simulator:\n"
          "  serve --init DIR | serve --state DIR/journal\n"
          "                       a local WeChat Pay over HTTPS on 127.0.0.1, for any SDK's tests\n"
          "Offline tools:\n"
          "  sign                 the APIv3 Authorization header of a request\n"
          "  verify               check a WeChat Pay answer or callback signature\n"
          "  decrypt              decrypt an AEAD_AES_256_GCM resource\n"
          "  v2sign               the APIv2 sign of parameters\n"
          "  v2xml                the APIv2 XML body of parameters\n"
          "\n", f);
    help_settings(f);
    fputs("\n"
          "Exit status:\n"
          "  0  success\n"
          "  1  the call or operation failed: WeChat Pay answered an error, an answer or\n"
          "     signature did not verify, decryption failed, the transport failed\n"
          "  2  usage: unknown command or option, missing or malformed argument, bad JSON\n"
          "  3  configuration: a required setting is missing, a file cannot be read, a\n"
          "     key does not load, a setting is malformed\n"
          "Errors go to stderr as: wxpay: WXP_E_NAME: [CODE: ]message [field] (HTTP status,\n"
          "Request-ID id).\n"
          "\n"
          "Commands:\n", f);
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (i) fputs("\n", f);
        fputs(*commands[i].help, f);
    }
}

/* A usage error: the command's synopsis (its help up to the description). */
static int usage(const char *cmd)
{
    const char *h = cmd ? command_help(cmd) : NULL, *p;
    if (h) {
        for (p = h; *p && !(p != h && p[-1] == '\n' && p[0] == ' ' && p[1] == ' ' && p[2] != ' '); p++) {}
        fwrite(h, 1, (size_t)(p - h), stderr);
        fprintf(stderr, "  (wxpay %s --help tells more)\n", cmd);
    } else {
        fputs("usage: wxpay COMMAND [ARGUMENTS] [OPTIONS]; commands: call v2call certificates\n"
              "       sign verify decrypt v2sign v2xml serve; wxpay --help tells more.\n", stderr);
    }
    return EXIT_USAGE;
}

static int print_help(const char *cmd)
{
    const char *h = command_help(cmd);
    if (!h) {
        fprintf(stderr, "wxpay: unknown command %s\n", cmd);
        return usage(NULL);
    }
    fputs(h, stdout);
    if (strcmp(cmd, "call") == 0 || strcmp(cmd, "v2call") == 0 || strcmp(cmd, "certificates") == 0) {
        fputs("\n", stdout);
        help_settings(stdout);
    }
    return EXIT_OK;
}

/* ==== the simulator ========================================================= */

/* The throwaway platform certificate (tests/vectors/keys/platform_cert.pem):
   the key is WXP_TEST_PLATFORM_KEY, the one behind WXP_TEST_PUB_KEY_ID. */
#define SIM_CERT_SERIAL "3775B6A45ACD588826D15E583A95F5DD2C0F6A5A"
static const char sim_cert_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIDnTCCAoWgAwIBAgIUN3W2pFrNWIgm0V5YOpX13SwPalowDQYJKoZIhvcNAQEL\n"
    "BQAwXjELMAkGA1UEBhMCQ04xEzARBgNVBAoMClRlbnBheS5jb20xHTAbBgNVBAsM\n"
    "FFRlbnBheS5jb20gQ0EgQ2VudGVyMRswGQYDVQQDDBJUZW5wYXkuY29tIFJvb3Qg\n"
    "Q0EwHhcNMjYxMTIzMDgwNDUzWhcNMzYxMTIwMDgwNDUzWjBeMQswCQYDVQQGEwJD\n"
    "TjETMBEGA1UECgwKVGVucGF5LmNvbTEdMBsGA1UECwwUVGVucGF5LmNvbSBDQSBD\n"
    "ZW50ZXIxGzAZBgNVBAMMElRlbnBheS5jb20gUm9vdCBDQTCCASIwDQYJKoZIhvcN\n"
    "AQEBBQADggEPADCCAQoCggEBALPX1GCjucVX0WwG/01N6V+079FzjgKHid0RIbC/\n"
    "7KePP5cnFvLNHqsV7ekPDesGNe8FWulKmYsldJrX1+IZxGGV+Vg1Ny6h7qxLexRf\n"
    "xRSUYPoZfCCkaNlM7dBVVjVnysatlm9ThqPAU0KHT6NN0CRsTih4DWdePZ/xsVTv\n"
    "iVEmOKnC0ZjwyNfOV/BD12gnMuQfzCETgjyEejxWEEA7w+WMh2k1J2anNZa8nhPi\n"
    "m7lL2hnlkMghuTsRZT+8vmSWc/omtG8/8H/Y+rpHtrRewEgC9Gvl/XvoSwZregAU\n"
    "Q/CfGHACHfyhTyb+0mYmxhrohsgtdksOjmoWLh2uxlSEex8CAwEAAaNTMFEwHQYD\n"
    "VR0OBBYEFKy1NWXfoX4s8FVBGf9FtqYMkOWbMB8GA1UdIwQYMBaAFKy1NWXfoX4s\n"
    "8FVBGf9FtqYMkOWbMA8GA1UdEwEB/wQFMAMBAf8wDQYJKoZIhvcNAQELBQADggEB\n"
    "AJOGWF4XXYjTUKS3rLFt6kpxyK03Hz/hRnSGQKQTdyduXmYTtwKEbLuLjJdhESVQ\n"
    "5w5+Uw+UWXMrjHGstyooUOiqyWYF+9NFGR1O5K6renEaZW6UJGZPYMvsrcyv7xWD\n"
    "IUEjGptge8xJOPVZ2wPlNqMkKaZcYNVoIEWH1K+6+zuEe86Ent0NoTvRPENOaHfP\n"
    "ybgk7b/fb1V9/4ToFXMf19UWF+tRbDkff+d/wul3UHNhd739MC2fZqp5Dt8rURkF\n"
    "y2el0Ik19Ux4POaZd8bT3KII27WBfRwZ0opY/eqMQ4ppDuI97tJEHyukT3WDkBxI\n"
    "FinXnQHSwvRjR5ZsFXJ3D54=\n"
    "-----END CERTIFICATE-----\n";


typedef struct sim_t {
    wxp_fake     fake;
    wxp_pubkey   merchant_pub;
    wxp_rsa_key  platform;
    long long    now;
    const char  *journal;       /* sim_state, or NULL */
} sim_t;

static sim_t sim;
static char sim_scratch[1u << 16];

/* GET /v3/certificates, answered as WeChat Pay does: the certificate encrypted
   under the test APIv3 key, the answer signed by the certificate's key. */
static int sim_certificates(wxp_http_response *res, char *errbuf, size_t cap)
{
    static char ct[4096], body[8192], msg[8300], sig[WXP_SIG_B64_MAX + 1];
    static const char nonce[] = "3a6cc5a1d8f9e2b7c4d0a1e5f6b8c9d0";
    char ts[24];
    wxp_json_writer w;
    wxp_result r;
    size_t ctlen = 0, len = 0, siglen = 0;
    wxp_str v;
    int m;
    if (wxp_aes_gcm_encrypt(wxp_cstr(WXP_TEST_APIV3_KEY), wxp_cstr("9c3f1a2b7d4e"), wxp_cstr("certificate"),
                            wxp_cstr(sim_cert_pem), ct, sizeof ct, &ctlen, &r) != WXP_OK) {
        snprintf(errbuf, cap, "simulator: %s", r.message);
        return 1;
    }
    v.ptr = ct;
    v.len = ctlen;
    wxp_jw_init(&w, body, sizeof body);
    wxp_jw_object_begin(&w);
    wxp_jw_key(&w, "data");
    wxp_jw_array_begin(&w);
    wxp_jw_object_begin(&w);
    wxp_jw_key(&w, "serial_no");      wxp_jw_cstring(&w, SIM_CERT_SERIAL);
    wxp_jw_key(&w, "effective_time"); wxp_jw_cstring(&w, "2026-11-23T16:04:53+08:00");
    wxp_jw_key(&w, "expire_time");    wxp_jw_cstring(&w, "2036-11-20T16:04:53+08:00");
    wxp_jw_key(&w, "encrypt_certificate");
    wxp_jw_object_begin(&w);
    wxp_jw_key(&w, "algorithm");       wxp_jw_cstring(&w, "AEAD_AES_256_GCM");
    wxp_jw_key(&w, "nonce");           wxp_jw_cstring(&w, "9c3f1a2b7d4e");
    wxp_jw_key(&w, "associated_data"); wxp_jw_cstring(&w, "certificate");
    wxp_jw_key(&w, "ciphertext");      wxp_jw_string(&w, v);
    wxp_jw_object_end(&w);
    wxp_jw_object_end(&w);
    wxp_jw_array_end(&w);
    wxp_jw_object_end(&w);
    if (wxp_jw_finish(&w, &len, &r) != WXP_OK) {
        snprintf(errbuf, cap, "simulator: certificate answer: %s", r.message);
        return 1;
    }
    sprintf(ts, "%lld", sim.now);
    m = snprintf(msg, sizeof msg, "%s\n%s\n%.*s\n", ts, nonce, (int)len, body);  /* a full body has no NUL */
    if (m < 0 || (size_t)m >= sizeof msg ||
        wxp_sign_base64(&sim.platform.vtable, msg, (size_t)m, sig, sizeof sig, &siglen, &r) != WXP_OK) {
        snprintf(errbuf, cap, "simulator: cannot sign the certificate answer");
        return 1;
    }
    wxp_http_response_status(res, 200);
    wxp_http_response_header(res, "Request-ID", 10, "SIM-CERTIFICATES-0001", 21);
    wxp_http_response_header(res, "Content-Type", 12, "application/json", 16);
    wxp_http_response_header(res, "Wechatpay-Timestamp", 19, ts, strlen(ts));
    wxp_http_response_header(res, "Wechatpay-Nonce", 15, nonce, strlen(nonce));
    wxp_http_response_header(res, "Wechatpay-Signature", 19, sig, siglen);
    wxp_http_response_header(res, "Wechatpay-Serial", 16, SIM_CERT_SERIAL, strlen(SIM_CERT_SERIAL));
    wxp_http_response_header(res, "Wechatpay-Signature-Type", 24, "WECHATPAY2-SHA256-RSA2048", 25);
    wxp_http_response_write(res, body, len);
    return 0;
}

/* A journaled request into the in-process simulator, at its clock. */
static void sim_feed_cli(void *user, const wxp_http_request *req, long long now)
{
    wxp_http_response resp;
    char errbuf[WXP_ERRBUF_SIZE];
    (void)user;
    sim.now = now;
    wxp_http_response_init(&resp, sim_scratch, sizeof sim_scratch);
    (void)wxp_fake_transport(&sim.fake, req, &resp, errbuf, sizeof errbuf);
}

static int sim_transport(void *user, const wxp_http_request *req, wxp_http_response *res, char *errbuf,
                         size_t errbuf_size)
{
    int rc;
    (void)user;
    if (strcmp(req->method, "GET") == 0 && req->path.len == 16 && memcmp(req->path.ptr, "/v3/certificates", 16) == 0)
        return sim_certificates(res, errbuf, errbuf_size);
    /* Checked first: the simulator must not book what the journal cannot keep. */
    if (sim.journal && !journal_format(req, sim.now)) {
        fprintf(stderr, "wxpay: simulator: journal %s: cannot record this request: expected %s\n", sim.journal,
                jl_why);
        snprintf(errbuf, errbuf_size, "simulator: the request was not sent: the journal cannot record it");
        return WXP_TRANSPORT_ERROR;
    }
    rc = wxp_fake_transport(&sim.fake, req, res, errbuf, errbuf_size);
    if (sim.journal && !journal_append(sim.journal)) {
        snprintf(errbuf, errbuf_size, "simulator: the request is not in the journal");
        return WXP_TRANSPORT_ERROR;
    }
    return rc;
}

/* platform_serial: the serial the simulator signs under (the public key id,
   or the certificate's when the client holds only that). */
static int sim_start(const char *journal, const char *platform_serial)
{
    wxp_fake_config fc;
    wxp_result r;
    wxp_err e;
    sim.now = SIM_NOW;
    sim.journal = journal;
    if ((e = example_fake_config(&fc, &sim.merchant_pub, &sim.platform, &r))) return report(e, &r), 0;
    fc.platform_serial = platform_serial;
    fc.clock.fn = wxp_fake_fixed_clock;
    fc.clock.user = &sim.now;
    if ((e = wxp_fake_init(&sim.fake, &fc)) || (e = sim_demo_book(&sim.fake))) {
        memset(&r, 0, sizeof r);
        return report(e, &r), 0;
    }
    if (journal && !journal_replay(journal, sim_feed_cli, NULL)) {
        fprintf(stderr, "wxpay: configuration: cannot replay sim_state %s\n", journal);
        return 0;
    }
    sim.now = SIM_NOW;          /* the replay ran each request at its own clock */
    return 1;
}

/* ==== the client ============================================================ */

static wxp_client client;
static wxp_curl http;
static int http_up;
static wxp_keystore keys;
static wxp_pubkey slots[16];
static unsigned char io[IO_SIZE];
static char key_pem[16384], pub_pem[16384], certs_pem[65536], ccert_pem[16384], ckey_pem[16384];

enum { NEED_PUBKEYS = 1, NEED_APIV3 = 2, NEED_APIV2 = 4 };

static void teardown(void)
{
    wxp_client_wipe(&client);
    memset(key_pem, 0, sizeof key_pem);
    memset(ckey_pem, 0, sizeof ckey_pem);
    if (http_up) {
        wxp_curl_cleanup(&http);
        curl_global_cleanup();
        http_up = 0;
    }
}

/* HOST:PORT:ADDRESS (the address may be [IPv6]): a typo is caught before any call. */
static int resolve_ok(const char *v)
{
    int colons = 0;
    for (; *v; v++) colons += *v == ':';
    return colons >= 2;
}

/* Builds the client from the resolved settings: 0, or exit code 3. */
/* --verbose: each exchange on stderr, from the library's log hook (which
   never carries a secret). */
static int verbose;
static struct timespec log_epoch;

static unsigned cli_now_ms(void *user)
{
    struct timespec t;
    (void)user;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (unsigned)((t.tv_sec - log_epoch.tv_sec) * 1000 + (t.tv_nsec - log_epoch.tv_nsec) / 1000000);
}

static void cli_log(void *user, const wxp_log_event *ev)
{
    (void)user;
    fprintf(stderr, "wxpay: %s %.*s attempt %u: %s, HTTP %d%s%s, Request-ID %s, %u ms, sent %d%s%s\n", ev->method,
            (int)ev->path.len, ev->path.ptr, ev->attempt, wxp_errname(ev->err), ev->status, ev->code[0] ? " " : "",
            ev->code, ev->request_id[0] ? ev->request_id : "-", ev->elapsed_ms, ev->sent, ev->message[0] ? ": " : "",
            ev->message);
}

static int setup(int simulate, unsigned need)
{
    wxp_config cfg;
    wxp_result r;
    wxp_err e;
    wxp_str pem;
    memset(&cfg, 0, sizeof cfg);
    memset(&r, 0, sizeof r);
    if (simulate) {
        if (!val[S_MCHID]) val[S_MCHID] = WXP_TEST_MCHID, origin[S_MCHID] = "simulator";
        if (!val[S_SERIAL]) val[S_SERIAL] = WXP_TEST_SERIAL, origin[S_SERIAL] = "simulator";
        if (!val[S_APIV3_KEY]) val[S_APIV3_KEY] = WXP_TEST_APIV3_KEY, origin[S_APIV3_KEY] = "simulator";
        if (!val[S_APIV2_KEY]) val[S_APIV2_KEY] = WXP_TEST_APIV2_KEY, origin[S_APIV2_KEY] = "simulator";
        if (!val[S_APPID]) val[S_APPID] = WXP_EXAMPLE_APPID, origin[S_APPID] = "simulator";
    }
    if (!val[S_MCHID]) return config_error("mchid is not set", "--mchid, WXPAY_MCHID or mchid in the config file");
    if (!val[S_SERIAL]) return config_error("serial is not set", "--serial, WXPAY_SERIAL or serial in the config file");
    cfg.mchid = val[S_MCHID];
    cfg.serial = val[S_SERIAL];
    /* The merchant key. */
    if (val[S_KEY_FILE]) {
        if (!read_setting_file(S_KEY_FILE, key_pem, sizeof key_pem, &cfg.private_key_pem)) return EXIT_CONFIG;
    } else if (simulate) {
        cfg.private_key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    } else {
        return config_error("key_file is not set", "--key-file, WXPAY_KEY_FILE or key_file (apiclient_key.pem)");
    }
    /* Verification keys. */
    wxp_keystore_init(&keys, slots, sizeof slots / sizeof slots[0]);
    if (!val[S_PUBKEY_ID] != !val[S_PUBKEY_FILE])
        return config_error("pubkey_id and pubkey_file go together", val[S_PUBKEY_ID] ? "pubkey_file is not set"
                                                                                      : "pubkey_id is not set");
    if (val[S_PUBKEY_FILE]) {
        if (!read_setting_file(S_PUBKEY_FILE, pub_pem, sizeof pub_pem, &pem)) return EXIT_CONFIG;
        if ((e = wxp_keystore_add_pubkey(&keys, val[S_PUBKEY_ID], pem, &r)) != WXP_OK)
            return key_error(S_PUBKEY_FILE, e, &r);
    }
    if (val[S_CERTS_FILE]) {
        if (!read_setting_file(S_CERTS_FILE, certs_pem, sizeof certs_pem, &pem)) return EXIT_CONFIG;
        if ((e = wxp_keystore_add_certs(&keys, pem, &r)) != WXP_OK) return key_error(S_CERTS_FILE, e, &r);
    }
    if (simulate && !val[S_PUBKEY_FILE] && !val[S_CERTS_FILE] &&
        (e = wxp_keystore_add_pubkey(&keys, WXP_TEST_PUB_KEY_ID, wxp_cstr(WXP_TEST_WECHATPAY_PUB), &r)) != WXP_OK)
        return report(e, &r), EXIT_CONFIG;
    if ((need & NEED_PUBKEYS) && keys.count == 0)
        return config_error("no WeChat Pay key to verify answers with",
                            "set pubkey_id + pubkey_file, or certs_file (wxpay certificates --out FILE)");
    /* Symmetric keys. */
    if (val[S_APIV3_KEY]) {
        cfg.apiv3_key = wxp_cstr(val[S_APIV3_KEY]);
        if (cfg.apiv3_key.len != 32) return setting_error(S_APIV3_KEY, "exactly 32 bytes", 1);
    } else if (need & NEED_APIV3) {
        return config_error("apiv3_key is not set", "--apiv3-key, WXPAY_APIV3_KEY or apiv3_key");
    }
    if (val[S_APIV2_KEY]) cfg.apiv2_key = wxp_cstr(val[S_APIV2_KEY]);
    else if (need & NEED_APIV2) return config_error("apiv2_key is not set", "--apiv2-key, WXPAY_APIV2_KEY or apiv2_key");
    if (val[S_V2_SIGN_TYPE]) {
        if (strcmp(val[S_V2_SIGN_TYPE], "MD5") == 0) cfg.v2_sign_type = WXP_V2_MD5;
        else if (strcmp(val[S_V2_SIGN_TYPE], "HMAC-SHA256") == 0) cfg.v2_sign_type = WXP_V2_HMAC_SHA256;
        else return setting_error(S_V2_SIGN_TYPE, "MD5 or HMAC-SHA256", 0);
    }
    /* The client certificate (APIv2 mutual TLS). */
    if (val[S_CLIENT_CERT]) {
        if (!read_setting_file(S_CLIENT_CERT, ccert_pem, sizeof ccert_pem, &cfg.client_cert.cert_pem))
            return EXIT_CONFIG;
        if (val[S_CLIENT_KEY]) {
            if (!read_setting_file(S_CLIENT_KEY, ckey_pem, sizeof ckey_pem, &cfg.client_cert.key_pem))
                return EXIT_CONFIG;
        } else {
            cfg.client_cert.key_pem = cfg.private_key_pem;
        }
    } else if (val[S_CLIENT_KEY]) {
        return config_error("client_key without client_cert", origin[S_CLIENT_KEY]);
    } else if (simulate) {
        cfg.client_cert.cert_pem = wxp_cstr(SIM_CLIENT_CERT);
        cfg.client_cert.key_pem = cfg.private_key_pem;
    }
    if (val[S_TIMEOUT]) {
        char *end;
        unsigned long t = strtoul(val[S_TIMEOUT], &end, 10);
        if (*end || !*val[S_TIMEOUT] || t == 0 || t > 600000)
            return setting_error(S_TIMEOUT, "milliseconds, 1 to 600000", 0);
        cfg.timeout_ms = (unsigned)t;
    }
    /* Where the calls go. */
    if (simulate) {
        const char *serial = WXP_TEST_PUB_KEY_ID;
        if (!wxp_keystore_find(&keys, wxp_cstr(serial)) && wxp_keystore_find(&keys, wxp_cstr(SIM_CERT_SERIAL)))
            serial = SIM_CERT_SERIAL;
        if (!sim_start(val[S_SIM_STATE], serial)) return EXIT_CONFIG;
        cfg.transport.fn = sim_transport;
        cfg.transport.user = &sim;
        cfg.clock.fn = wxp_fake_fixed_clock;
        cfg.clock.user = &sim.now;
    } else {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return config_error("libcurl does not start", NULL);
        if (wxp_curl_init(&http, NULL) != WXP_OK) {
            curl_global_cleanup();
            return config_error("libcurl does not start", NULL);
        }
        http_up = 1;
        http.ca_file = val[S_CA_FILE];
        if (val[S_RESOLVE] && !resolve_ok(val[S_RESOLVE]))
            return setting_error(S_RESOLVE, "HOST:PORT:ADDRESS", 0);
        http.resolve = val[S_RESOLVE];     /* applied by the transport on each call */
        cfg.host = val[S_HOST];
        cfg.transport = wxp_curl_as_transport(&http);
    }
    cfg.keys = &keys;
    cfg.io_buf = io;
    cfg.io_buf_size = sizeof io;
    if (verbose) {
        clock_gettime(CLOCK_MONOTONIC, &log_epoch);
        cfg.log.fn = cli_log;
        cfg.log.now_ms = cli_now_ms;
    }
    e = wxp_client_init(&client, &cfg, &r);    /* key_pem stays: the client certificate's key may be it */
    if (e) {
        int s, which = e == WXP_E_ARG ? -1 : S_KEY_FILE;   /* key errors are the merchant key's */
        for (s = 0; s < S_COUNT; s++)
            if (strcmp(r.field, settings[s].name) == 0) which = s;
        if (which >= 0 && (val[which] || simulate)) return key_error(which, e, &r);
        fprintf(stderr, "wxpay: configuration: %s%s%s%s\n", r.field, r.field[0] ? ": " : "",
                r.message[0] ? r.message : wxp_strerror(e), "");
        return EXIT_CONFIG;
    }
    return EXIT_OK;
}

/* ==== command lines of the calls ============================================ */

typedef struct cmdline {
    const char *pos[256];
    int         npos;
    const char *flags[S_COUNT];
    const char *config, *json, *json_file, *out;
    int         simulate, cert;
} cmdline;

/* Options anywhere after the command; extra names the command's own ones. */
static int parse_cmdline(const char *cmd, int argc, char **argv, const char *extra, cmdline *cl)
{
    int i, s, rest = 0;
    memset(cl, 0, sizeof *cl);
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        int found = -1;
        if (!rest && (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0)) {
            verbose = 1;
            continue;
        }
        if (rest || strncmp(a, "--", 2) != 0 || a[2] == 0) {
            if (!rest && strcmp(a, "--") == 0) {
                rest = 1;
                continue;
            }
            if (cl->npos == (int)(sizeof cl->pos / sizeof cl->pos[0])) {
                fprintf(stderr, "wxpay: too many arguments\n");
                return 0;
            }
            cl->pos[cl->npos++] = a;
            continue;
        }
        if (strcmp(a, "--simulator") == 0) {
            cl->simulate = 1;
            continue;
        }
        if (strcmp(a, "--cert") == 0 && strstr(extra, " cert ")) {
            cl->cert = 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "wxpay %s: %s needs a value\n", cmd, a);
            return 0;
        }
        for (s = 0; s < S_COUNT; s++) {
            char flag[40];
            flag_name(s, flag);
            if (strcmp(a, flag) == 0) found = s;
        }
        if (found >= 0) cl->flags[found] = argv[++i];
        else if (strcmp(a, "--config") == 0) cl->config = argv[++i];
        else if (strcmp(a, "--json") == 0 && strstr(extra, " json ")) cl->json = argv[++i];
        else if (strcmp(a, "--json-file") == 0 && strstr(extra, " json-file ")) cl->json_file = argv[++i];
        else if (strcmp(a, "--out") == 0 && strstr(extra, " out ")) cl->out = argv[++i];
        else {
            fprintf(stderr, "wxpay %s: unknown option %s\n", cmd, a);
            return 0;
        }
    }
    return 1;
}

static int simulating(const cmdline *cl)
{
    return cl->simulate || (val[S_HOST] && strcmp(val[S_HOST], "simulator") == 0);
}

static char body_buf[FILE_MAX];

static int cmd_call(int argc, char **argv)
{
    static const char *const methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE" };
    cmdline cl;
    wxp_str body = { "", 0 };
    wxp_json doc;
    wxp_result r;
    wxp_err e;
    size_t i, n;
    int known = 0, rc;
    if (!parse_cmdline("call", argc, argv, " json json-file ", &cl)) return usage("call");
    if (cl.npos != 2) {
        fprintf(stderr, "wxpay call: expected METHOD and PATH, found %d argument%s%s%s\n", cl.npos,
                cl.npos == 1 ? "" : "s", cl.npos ? ": " : "", cl.npos ? cl.pos[0] : "");
        return usage("call");
    }
    for (i = 0; i < sizeof methods / sizeof methods[0]; i++) known |= strcmp(cl.pos[0], methods[i]) == 0;
    if (!known) {
        fprintf(stderr, "wxpay call: expected METHOD GET, POST, PUT, PATCH or DELETE, found %s\n", cl.pos[0]);
        return usage("call");
    }
    if (cl.pos[1][0] != '/') {
        fprintf(stderr, "wxpay call: expected a PATH starting with /, such as /v3/refund/domestic/refunds, found %s\n",
                cl.pos[1]);
        return usage("call");
    }
    if (cl.json && cl.json_file) {
        fprintf(stderr, "wxpay call: --json or --json-file, not both\n");
        return usage("call");
    }
    if (cl.json) {
        body = wxp_cstr(cl.json);
        if (!body.len) {
            fputs("wxpay call: --json: expected a JSON body, found an empty string (leave --json out to send none)\n",
                  stderr);
            return EXIT_USAGE;
        }
    } else if (cl.json_file) {
        if (!slurp(cl.json_file, body_buf, sizeof body_buf, &n)) {
            fprintf(stderr, "wxpay call: cannot read --json-file %s: %s\n", cl.json_file, strerror(errno));
            return EXIT_USAGE;
        }
        while (n && (body_buf[n - 1] == '\n' || body_buf[n - 1] == '\r')) body_buf[--n] = 0;
        if (!n) {
            fprintf(stderr, "wxpay call: --json-file %s: expected a JSON body, found an empty file (leave "
                            "--json-file out to send none)\n", cl.json_file);
            return EXIT_USAGE;
        }
        body.ptr = body_buf;
        body.len = n;
    }
    if (body.len) {
        memset(&r, 0, sizeof r);
        /* Measuring validates without tokens (and changes nothing). */
        e = wxp_json_parse(&doc, (char *)(uintptr_t)body.ptr, body.len, NULL, 0, &r);
        if (e) {
            fprintf(stderr, "wxpay call: the body is not valid JSON (at byte %lu)\n", (unsigned long)r.offset);
            return EXIT_USAGE;
        }
    }
    if (!load_settings(cl.config, cl.flags)) return EXIT_CONFIG;
    rc = setup(simulating(&cl), NEED_PUBKEYS);
    if (rc) return teardown(), rc;
    e = wxp_v3_request(&client, cl.pos[0], cl.pos[1], body, &r);
    if (e) {
        rc = e == WXP_E_ARG ? (report(e, &r), EXIT_USAGE) : report(e, &r);
    } else {
        if (r.body.len) {
            fwrite(r.body.ptr, 1, r.body.len, stdout);
            fputc('\n', stdout);
        }
        rc = EXIT_OK;
    }
    teardown();
    return rc;
}

/* KEY=VALUE arguments into a parameter list (views into argv). */
static int parse_kv(int argc, const char *const *argv, wxp_kv *kv, size_t cap, size_t *n)
{
    int i;
    *n = 0;
    for (i = 0; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        if (!eq || eq == argv[i] || *n == cap) {
            if (*n == cap) fprintf(stderr, "wxpay: expected at most %lu KEY=VALUE parameters, found more\n", (unsigned long)cap);
            else fprintf(stderr, "wxpay: expected KEY=VALUE, found '%s'\n", argv[i]);
            return 0;
        }
        kv[*n].key.ptr = argv[i];
        kv[*n].key.len = (size_t)(eq - argv[i]);
        kv[*n].value = wxp_cstr(eq + 1);
        (*n)++;
    }
    return 1;
}

static char json_out[1u << 18];

static int print_kv_json(const wxp_kv *kv, size_t n)
{
    wxp_json_writer w;
    wxp_result r;
    size_t i, len;
    char key[128];
    wxp_err e;
    wxp_jw_init(&w, json_out, sizeof json_out);
    wxp_jw_object_begin(&w);
    for (i = 0; i < n; i++) {
        size_t kl = kv[i].key.len;
        if (kl >= sizeof key) {     /* refused, not cut: a cut name would be another field */
            fprintf(stderr, "wxpay: expected answer field names of at most %lu bytes, found one of %lu\n",
                    (unsigned long)sizeof key - 1, (unsigned long)kl);
            return EXIT_FAILED;
        }
        memcpy(key, kv[i].key.ptr, kl);
        key[kl] = 0;
        wxp_jw_key(&w, key);
        wxp_jw_string(&w, kv[i].value);
    }
    wxp_jw_object_end(&w);
    e = wxp_jw_finish(&w, &len, &r);
    if (e) return report(e, &r);
    fwrite(json_out, 1, len, stdout);
    fputc('\n', stdout);
    return EXIT_OK;
}

static int cmd_v2call(int argc, char **argv)
{
    static wxp_kv params[130], out[1024];
    cmdline cl;
    size_t n, count = 0, i;
    wxp_result r;
    wxp_err e;
    int rc;
    if (!parse_cmdline("v2call", argc, argv, " cert ", &cl)) return usage("v2call");
    if (cl.npos < 1 || cl.pos[0][0] != '/') {
        fprintf(stderr, "wxpay v2call: expected PATH (such as /pay/refundquery), then KEY=VALUE..., found %s\n",
                cl.npos ? cl.pos[0] : "nothing");
        return usage("v2call");
    }
    if (!parse_kv(cl.npos - 1, cl.pos + 1, params, 128, &n)) return usage("v2call");
    for (i = 0; i < 3; i++) {
        static const char *const ours[] = { "nonce_str", "sign_type", "sign" };
        if (wxp_kv_get(params, n, ours[i])) {
            fprintf(stderr, "wxpay v2call: %s is added by wxpay (v2_sign_type chooses the sign)\n", ours[i]);
            return usage("v2call");
        }
    }
    if (!load_settings(cl.config, cl.flags)) return EXIT_CONFIG;
    rc = setup(simulating(&cl), NEED_APIV2);
    if (rc) return teardown(), rc;
    if (val[S_APPID] && !wxp_kv_get(params, n, "appid")) {
        params[n].key = wxp_cstr("appid");
        params[n++].value = wxp_cstr(val[S_APPID]);
    }
    e = wxp_v2_request(&client, cl.pos[0], params, n, cl.cert ? WXP_V2_CERT : 0, out, sizeof out / sizeof out[0],
                       &count, &r);
    if (e == WXP_OK || e == WXP_E_V2_RESULT) {
        rc = print_kv_json(out, count);
        if (e) rc = report(e, &r);
    } else if (e == WXP_E_ARG) {
        /* A missing client certificate is configuration; a bad parameter, usage. */
        report(e, &r);
        rc = strcmp(r.field, "client_cert") == 0 || strcmp(r.field, "apiv2_key") == 0 ? EXIT_CONFIG : EXIT_USAGE;
    } else {
        rc = report(e, &r);
    }
    teardown();
    return rc;
}

/* ==== certificates ========================================================== */

typedef struct cert_saver {
    FILE     *f;
    int       failed;
    unsigned  count;
    char      serial[8][WXP_SERIAL_MAX];
    long long not_before[8], not_after[8];
} cert_saver;

static void save_cert(void *user, const wxp_pubkey *cert, wxp_str pem)
{
    cert_saver *s = (cert_saver *)user;
    if (fwrite(pem.ptr, 1, pem.len, s->f) != pem.len) s->failed = 1;
    if (pem.len && pem.ptr[pem.len - 1] != '\n' && fputc('\n', s->f) == EOF) s->failed = 1;
    if (cert && s->count < 8) {
        strcpy(s->serial[s->count], cert->serial);
        s->not_before[s->count] = cert->not_before;
        s->not_after[s->count] = cert->not_after;
    }
    s->count++;
}

static void utc(long long t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm *tm = gmtime(&tt);
    if (!tm || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", tm)) strcpy(out, "?");
}

static int cmd_certificates(int argc, char **argv)
{
    static out_file out;
    cmdline cl;
    cert_saver saver;
    wxp_cert_sink sink;
    wxp_result r;
    wxp_err e;
    unsigned i;
    int rc;
    if (!parse_cmdline("certificates", argc, argv, " out ", &cl)) return usage("certificates");
    if (cl.npos != 0) {
        fprintf(stderr, "wxpay certificates: unexpected argument %s\n", cl.pos[0]);
        return usage("certificates");
    }
    if (!load_settings(cl.config, cl.flags)) return EXIT_CONFIG;
    rc = setup(simulating(&cl), NEED_APIV3);
    if (rc) return teardown(), rc;
    memset(&saver, 0, sizeof saver);
    saver.f = stdout;
    if (cl.out) {
        /* Public certificates: 0644 (less the umask), as services read them. */
        if (!out_open(&out, cl.out, 0644)) {
            fprintf(stderr, "wxpay certificates: cannot create a temporary file beside %s: %s\n", cl.out,
                    strerror(errno));
            teardown();
            return EXIT_FAILED;
        }
        saver.f = out.f;
    }
    sink.fn = save_cert;
    sink.user = &saver;
    e = wxp_certificates_fetch(&client, sink, &r);
    if (cl.out) {
        int ok = !e && !saver.failed && saver.count > 0;
        if (!ok) out_abort(&out);
        else ok = out_commit(&out);
        if (!ok && !e) {
            fprintf(stderr, "wxpay certificates: cannot write %s: %s\n", cl.out,
                    saver.count ? strerror(errno) : "no certificate in the answer");
            saver.failed = 1;
        }
    } else if (fflush(stdout) != 0) {
        saver.failed = 1;
    }
    if (e) rc = e == WXP_E_ARG ? (report(e, &r), EXIT_CONFIG) : report(e, &r);
    else if (saver.failed) rc = EXIT_FAILED;
    else {
        FILE *f = cl.out ? stdout : stderr;
        for (i = 0; i < saver.count && i < 8; i++) {
            char a[32], b[32];
            utc(saver.not_before[i], a);
            utc(saver.not_after[i], b);
            fprintf(f, "%s valid %s to %s\n", saver.serial[i], a, b);
        }
        if (saver.count > 8) fprintf(f, "(and %u more, in the PEM)\n", saver.count - 8);
        if (cl.out) fprintf(f, "%u certificate%s verified and saved to %s\n", saver.count,
                            saver.count == 1 ? "" : "s", cl.out);
        rc = EXIT_OK;
    }
    teardown();
    return rc;
}

/* ==== wxpay serve ============================================================ */

/* --init: every file a client and the server need, made with OpenSSL's
   libcrypto (BearSSL writes no certificates; the CLI links libcrypto rather
   than running the openssl tool, whose flags differ between versions and
   whose errors we could not name). */
typedef struct init_key { EVP_PKEY *key; X509 *cert; } init_key;

static int init_fail(const char *what)
{
    fprintf(stderr, "wxpay serve --init: %s failed (OpenSSL)\n", what);
    return 0;
}

/* A certificate for k->key, signed by ca (NULL: self-signed), valid
   2025-01-01 to 2099-12-31 (the tests' fixed clock and the real one). serial:
   hex, or NULL for a random one. */
static int init_cert(init_key *k, const init_key *ca, const char *cn, const char *serial_hex, const char *san,
                     const char *ku, const char *eku)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    BIGNUM *bn = NULL;
    X509V3_CTX ctx;
    const char *exts[4][2];
    int i, ok = x && name;
    exts[0][0] = "basicConstraints"; exts[0][1] = ca ? "critical,CA:FALSE" : "critical,CA:TRUE";
    exts[1][0] = "keyUsage";         exts[1][1] = ku;
    exts[2][0] = "subjectAltName";   exts[2][1] = san;
    exts[3][0] = "extendedKeyUsage"; exts[3][1] = eku;
    if (ok) ok = X509_set_version(x, 2) && BN_hex2bn(&bn, serial_hex) > 0 && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
    if (ok) ok = ASN1_TIME_set_string(X509_getm_notBefore(x), "20250101000000Z") &&
                 ASN1_TIME_set_string(X509_getm_notAfter(x), "20991231235959Z");
    if (ok) ok = X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"THROWAWAY wxpay serve", -1, -1, 0) &&
                 X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) &&
                 X509_set_subject_name(x, name) && X509_set_issuer_name(x, ca ? X509_get_subject_name(ca->cert) : name) &&
                 X509_set_pubkey(x, k->key);
    X509V3_set_ctx(&ctx, ca ? ca->cert : x, x, NULL, NULL, 0);
    for (i = 0; ok && i < 4; i++) {
        X509_EXTENSION *ext;
        if (!exts[i][1]) continue;
        ext = X509V3_EXT_conf(NULL, &ctx, exts[i][0], exts[i][1]);
        ok = ext && X509_add_ext(x, ext, -1);
        X509_EXTENSION_free(ext);
    }
    if (ok) ok = X509_sign(x, ca ? ca->key : k->key, EVP_sha256()) > 0;
    BN_free(bn);
    X509_NAME_free(name);
    if (!ok) {
        X509_free(x);
        return init_fail(cn);
    }
    k->cert = x;
    return 1;
}

/* dir/name, created new (O_EXCL) with mode: the stream, or NULL after a message. */
static FILE *init_open(const char *dir, const char *name, int mode)
{
    char path[4096];
    int fd;
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, (mode_t)mode);
    if (fd < 0 || !(f = fdopen(fd, "w"))) {
        fprintf(stderr, "wxpay serve --init: cannot create %s: %s\n", path, strerror(errno));
        if (fd >= 0) close(fd);
        return NULL;
    }
    return f;
}

static int init_close(FILE *f, const char *name)
{
    if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0) {
        fprintf(stderr, "wxpay serve --init: cannot write %s: %s\n", name, strerror(errno));
        fclose(f);
        return 0;
    }
    return fclose(f) == 0;
}

/* name: the key's PEM (private: PKCS#8, 0600), its certificate's, or its public key's. */
static int init_write(const char *dir, const char *name, const init_key *k, char what)
{
    FILE *f = init_open(dir, name, what == 'k' ? 0600 : 0644);
    int ok;
    if (!f) return 0;
    ok = what == 'k' ? PEM_write_PrivateKey(f, k->key, NULL, NULL, 0, NULL, NULL)
       : what == 'c' ? PEM_write_X509(f, k->cert) : PEM_write_PUBKEY(f, k->key);
    return init_close(f, name) && (ok || init_fail(name));
}

/* n random characters of alphabet into out (NUL-terminated). */
static int init_random(char *out, size_t n, const char *alphabet)
{
    unsigned char b[64];
    size_t i, m = strlen(alphabet);
    if (n > sizeof b || RAND_bytes(b, (int)n) != 1) return init_fail("random");
    for (i = 0; i < n; i++) out[i] = alphabet[b[i] % m];     /* 256 % 62 bias: keys for a simulator */
    out[n] = 0;
    return 1;
}

static int serve_init(const char *dir)
{
    static const char *const names[5] = { "ca", "server", "merchant", "wechatpay", NULL };
    init_key k[4];
    char mchid[11], appid[19], v3[33], v2[33], serial[41], platform_serial[41], pubkey_id[64], day[9], path[4096];
    time_t t = time(NULL);
    struct stat st;
    FILE *f;
    int i, ok = 1;
    snprintf(path, sizeof path, "%s/settings", dir);
    if (stat(path, &st) == 0) {
        fprintf(stderr, "wxpay serve --init: expected a new or empty directory, found %s (remove the directory "
                        "to start afresh)\n", path);
        return EXIT_USAGE;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "wxpay serve --init: cannot create %s: %s\n", dir, strerror(errno));
        return EXIT_FAILED;
    }
    memset(k, 0, sizeof k);
    strcpy(mchid, "19000");
    ok = init_random(mchid + 5, 5, "0123456789") && init_random(appid + 2, 16, "0123456789abcdef") &&
         init_random(v3, 32, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") &&
         init_random(v2, 32, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") &&
         init_random(serial + 1, 39, "0123456789ABCDEF") && init_random(platform_serial + 1, 39, "0123456789ABCDEF");
    appid[0] = 'w', appid[1] = 'x';
    serial[0] = platform_serial[0] = '5';       /* a positive serial of 20 bytes, as WeChat Pay's */
    strftime(day, sizeof day, "%Y%m%d", gmtime(&t));
    snprintf(pubkey_id, sizeof pubkey_id, "PUB_KEY_ID_01%s%s00000000000001", mchid, day);
    for (i = 0; ok && names[i]; i++) ok = (k[i].key = EVP_RSA_gen(2048)) != NULL || init_fail("RSA key");
    ok = ok && init_cert(&k[0], NULL, "wxpay serve THROWAWAY CA", "01", NULL, "critical,keyCertSign,cRLSign", NULL) &&
         init_cert(&k[1], &k[0], "api.mch.weixin.qq.com", "02",
                   "DNS:api.mch.weixin.qq.com,DNS:api2.mch.weixin.qq.com,DNS:localhost,IP:127.0.0.1",
                   "critical,digitalSignature,keyEncipherment", "serverAuth") &&
         init_cert(&k[2], &k[0], mchid, serial, NULL, "critical,digitalSignature,keyEncipherment", "clientAuth") &&
         init_cert(&k[3], &k[0], "wxpay serve THROWAWAY WeChat Pay platform", platform_serial, NULL,
                   "critical,digitalSignature", NULL);
    ok = ok && init_write(dir, "ca.pem", &k[0], 'c') && init_write(dir, "server.pem", &k[1], 'c') &&
         init_write(dir, "server_key.pem", &k[1], 'k') && init_write(dir, "apiclient_key.pem", &k[2], 'k') &&
         init_write(dir, "apiclient_cert.pem", &k[2], 'c') && init_write(dir, "pub_key.pem", &k[3], 'p') &&
         init_write(dir, "wechatpay_private_key.pem", &k[3], 'k') && init_write(dir, "wechatpay_cert.pem", &k[3], 'c');
    if (ok && (f = init_open(dir, "README", 0644)) != NULL) {
        fprintf(f, "THROWAWAY keys for the WeChat Pay simulator (wxpay serve --init %s).\n"
                   "Nothing here is a real merchant's, nothing here is secret, and nothing here\n"
                   "works with WeChat Pay: never trust ca.pem outside tests. See docs/SIMULATOR.md.\n\n"
                   "settings                   the client's settings (wxpay call --config %s/settings)\n"
                   "ca.pem                     the CA to trust (server.pem and apiclient_cert.pem are its)\n"
                   "server.pem, server_key.pem the server's: api.mch.weixin.qq.com, api2..., localhost, 127.0.0.1\n"
                   "apiclient_key.pem          the merchant key (signs requests; mutual TLS key)\n"
                   "apiclient_cert.pem         the merchant certificate: serial = the settings' serial; the\n"
                   "                           client certificate of APIv2 mutual TLS\n"
                   "pub_key.pem                the WeChat Pay public key (pubkey_id in settings)\n"
                   "wechatpay_cert.pem         a platform certificate over the same key (GET /v3/certificates)\n"
                   "wechatpay_private_key.pem  the simulator's: signs its answers and callbacks\n"
                   "journal                    the simulator's book (wxpay serve --state %s/journal)\n",
                dir, dir, dir);
        ok = init_close(f, "README");
    } else {
        ok = 0;
    }
    if (ok && (f = init_open(dir, "settings", 0600)) != NULL) {
        fprintf(f, "# THROWAWAY merchant of the WeChat Pay simulator: wxpay serve --state %s/journal\n"
                   "# (wxpay serve --init). Not a real merchant; these keys protect nothing.\n"
                   "mchid = %s\nserial = %s\nkey_file = apiclient_key.pem\n"
                   "apiv3_key = %s\napiv2_key = %s\nappid = %s\n"
                   "pubkey_id = %s\npubkey_file = pub_key.pem\nclient_cert = apiclient_cert.pem\n"
                   "# Where the simulator listens (wxpay serve takes its port from here):\n"
                   "host = api.mch.weixin.qq.com:%u\nresolve = api.mch.weixin.qq.com:%u:127.0.0.1\nca_file = ca.pem\n",
                dir, mchid, serial, v3, v2, appid, pubkey_id, SERVE_PORT, SERVE_PORT);
        ok = init_close(f, "settings");
    } else {
        ok = 0;
    }
    for (i = 0; i < 4; i++) {
        X509_free(k[i].cert);
        EVP_PKEY_free(k[i].key);
    }
    if (!ok) return EXIT_FAILED;
    printf("THROWAWAY simulator keys written to %s (mchid %s). Next:\n"
           "  wxpay serve --state %s/journal\n"
           "  wxpay call GET '/v3/pay/transactions/out-trade-no/1217752501201407033233368018?mchid=%s' "
           "--config %s/settings\n", dir, mchid, dir, mchid, dir);
    return EXIT_OK;
}

/* The merchant of a --init directory's settings (as sim_keys; the files stay
   in static buffers while the server runs). */
static int serve_keys(const char *dir, sim_keys *k, unsigned *port)
{
    static char settings_path[4096], cert[16384], pkey[16384], pcert[16384];
    static const int required[] = { S_MCHID, S_SERIAL, S_APIV3_KEY, S_APIV2_KEY, S_PUBKEY_ID, S_CLIENT_CERT };
    wxp_str ignored;
    size_t i;
    char *colon;
    snprintf(settings_path, sizeof settings_path, "%s/settings", dir);
    memset((void *)val, 0, sizeof val);       /* the directory's file only: no WXPAY_* from the environment */
    memset((void *)origin, 0, sizeof origin);
    cfg_pool_len = 0;
    if (!load_config_file(settings_path)) return EXIT_CONFIG;
    for (i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!val[required[i]]) {
            fprintf(stderr, "wxpay serve: %s: expected a %s setting (wxpay serve --init writes one), found none\n",
                    settings_path, settings[required[i]].name);
            return EXIT_CONFIG;
        }
    memset(k, 0, sizeof *k);
    k->mchid = val[S_MCHID];
    k->serial = val[S_SERIAL];
    k->appid = val[S_APPID];
    k->pubkey_id = val[S_PUBKEY_ID];
    k->apiv3_key = wxp_cstr(val[S_APIV3_KEY]);
    k->apiv2_key = wxp_cstr(val[S_APIV2_KEY]);
    if (!read_setting_file(S_CLIENT_CERT, cert, sizeof cert, &k->merchant_pub_pem) ||
        !sim_read(dir, "wechatpay_private_key.pem", pkey, sizeof pkey, &k->platform_key_pem))
        return EXIT_CONFIG;
    if (sim_read(dir, "wechatpay_cert.pem", pcert, sizeof pcert, &ignored)) k->platform_cert_pem = ignored;
    if (*port > 65535 && val[S_HOST] && (colon = strrchr(val[S_HOST], ':')) != NULL) *port = (unsigned)atoi(colon + 1);
    return EXIT_OK;
}

static int cmd_serve(int argc, char **argv)
{
    static sim_opts o;
    static char dirbuf[4096];
    char path[4096];
    struct stat st;
    int rc;
    if (argc >= 1 && strcmp(argv[0], "--init") == 0) {
        if (argc != 2) {
            fprintf(stderr, "wxpay serve: expected --init DIR and nothing else, found %d arguments\n", argc);
            return usage("serve");
        }
        return serve_init(argv[1]);
    }
    o.now = SIM_NOW;
    o.clock_real = 1;
    o.demo_book = 1;
    o.port = 65536;               /* unset: the settings' port, else the kernel's pick */
    if (!sim_serve_args(argc, argv, &o)) return EXIT_USAGE;
    if (!o.certs && o.journal) {  /* --state DIR/journal: the keys are DIR's */
        const char *slash = strrchr(o.journal, '/');
        snprintf(dirbuf, sizeof dirbuf, "%.*s", slash ? (int)(slash - o.journal) : 1, slash ? o.journal : ".");
        o.certs = dirbuf;
    }
    if (!o.certs) {
        fprintf(stderr, "wxpay serve: expected --state DIR/journal or --certs DIR (keys from wxpay serve --init "
                        "DIR), found neither\n");
        return usage("serve");
    }
    snprintf(path, sizeof path, "%s/settings", o.certs);
    if (stat(path, &st) == 0) {
        if ((rc = serve_keys(o.certs, &o.keys, &o.port)) != EXIT_OK) return rc;
    } else {
        sim_test_keys(&o.keys);   /* a bare certificates directory (tests/server/certs): the test merchant */
    }
    if (o.port > 65535) o.port = 0;
    fprintf(stderr, "wxpay serve: THROWAWAY WeChat Pay simulator for merchant %s, keys in %s, clock %s, "
                    "journal %s; 127.0.0.1 only\n", o.keys.mchid, o.certs, o.clock_real ? "real" : "fixed",
            o.journal ? o.journal : "none (the book ends with the process)");
    return sim_serve(&o);
}

/* ==== offline tools ========================================================= */

typedef struct opt { const char *name, *value; } opt;

/* Options are --name value pairs; each known name appears at most once. */
static int parse_opts(int argc, char **argv, opt *opts, size_t n)
{
    int i;
    for (i = 0; i < argc; i += 2) {
        size_t k;
        int known = 0;
        if (strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc) {
            fprintf(stderr, "wxpay: expected --option value, found '%s'%s\n", argv[i],
                    i + 1 >= argc && strncmp(argv[i], "--", 2) == 0 ? " without a value" : "");
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

/* An option left out takes the setting's value (config file, environment). */
static void fallback(opt *opts, size_t n, const char *name, int s)
{
    size_t k;
    for (k = 0; k < n; k++)
        if (strcmp(opts[k].name, name) == 0 && !opts[k].value) opts[k].value = val[s];
}

static int missing(opt *opts, size_t n, const char *const *required)
{
    for (; *required; required++)
        if (!need(opts, n, *required)) {
            fprintf(stderr, "wxpay: expected --%s, found none\n", *required);
            return 1;
        }
    return 0;
}

static int read_input(const char *what, const char *path, char *buf, size_t cap, wxp_str *out)
{
    size_t n;
    if (!slurp(path, buf, cap, &n)) {
        fprintf(stderr, "wxpay: cannot read %s %s: %s\n", what, path, strerror(errno));
        return 0;
    }
    out->ptr = buf;
    out->len = n;
    return 1;
}

static int parse_ll(const char *s, long long *v)
{
    char *end;
    if (!s || !*s) return 0;
    errno = 0;
    *v = strtoll(s, &end, 10);
    return *end == 0 && errno == 0;
}

static char file_a[FILE_MAX], file_b[FILE_MAX];

/* An offline tool's key that does not load: exit 3, naming the file. */
static int key_file_error(const char *flag, const char *path, const char *expected, wxp_err e, const wxp_result *r)
{
    fprintf(stderr, "wxpay: %s %s: %s: %s%s\n", flag, path, wxp_errname(e), r->message[0] ? r->message : err_meaning(e),
            pem_expected(e, r, expected));
    return EXIT_CONFIG;
}

static int cmd_sign(int argc, char **argv)
{
    static const char *const req[] = { "mchid", "serial", "key", "method", "url", "timestamp", "nonce", NULL };
    opt o[] = { { "mchid", 0 }, { "serial", 0 }, { "key", 0 }, { "method", 0 }, { "url", 0 },
                { "timestamp", 0 }, { "nonce", 0 }, { "body-file", 0 }, { "config", 0 } };
    size_t n = sizeof o / sizeof o[0], len;
    static wxp_rsa_key key;
    static char out[2048];
    wxp_str pem, body = { "", 0 };
    wxp_result r;
    wxp_err e;
    long long ts;
    if (!parse_opts(argc, argv, o, n)) return usage("sign");
    if (!load_settings(need(o, n, "config"), NULL)) return EXIT_CONFIG;
    fallback(o, n, "mchid", S_MCHID);
    fallback(o, n, "serial", S_SERIAL);
    fallback(o, n, "key", S_KEY_FILE);
    if (missing(o, n, req)) return usage("sign");
    if (!parse_ll(need(o, n, "timestamp"), &ts)) {
        fprintf(stderr, "wxpay: --timestamp: expected a decimal Unix time, found \"%s\"\n", need(o, n, "timestamp"));
        return EXIT_USAGE;
    }
    if (!read_input("key", need(o, n, "key"), file_a, sizeof file_a, &pem)) return EXIT_CONFIG;
    if (need(o, n, "body-file") && !read_input("body file", need(o, n, "body-file"), file_b, sizeof file_b, &body))
        return EXIT_FAILED;
    e = wxp_rsa_key_load(&key, pem, &r);
    memset(file_a, 0, sizeof file_a); /* the key PEM leaves no copy */
    if (e) return key_file_error("--key", need(o, n, "key"), PEM_PRIVATE, e, &r);
    e = wxp_v3_authorization(&key.vtable, need(o, n, "mchid"), need(o, n, "serial"), need(o, n, "method"),
                             wxp_cstr(need(o, n, "url")), ts, wxp_cstr(need(o, n, "nonce")), body,
                             out, sizeof out, &len, &r);
    wxp_rsa_key_wipe(&key);
    if (e) return report(e, &r);
    printf("%s\n", out);
    return EXIT_OK;
}

static int cmd_verify(int argc, char **argv)
{
    static const char *const req[] = { "public-key", "timestamp", "nonce", "signature", "body-file", NULL };
    opt o[] = { { "public-key", 0 }, { "timestamp", 0 }, { "nonce", 0 }, { "signature", 0 },
                { "body-file", 0 }, { "now", 0 }, { "max-skew", 0 }, { "config", 0 } };
    size_t n = sizeof o / sizeof o[0];
    static wxp_pubkey key;
    wxp_str pem, body, parts[6];
    wxp_result r;
    wxp_err e;
    long long ts, now = (long long)time(NULL), skew = 300;
    if (!parse_opts(argc, argv, o, n)) return usage("verify");
    if (!load_settings(need(o, n, "config"), NULL)) return EXIT_CONFIG;
    fallback(o, n, "public-key", S_PUBKEY_FILE);
    if (missing(o, n, req)) return usage("verify");
    if (!parse_ll(need(o, n, "timestamp"), &ts) || (need(o, n, "now") && !parse_ll(need(o, n, "now"), &now)) ||
        (need(o, n, "max-skew") && !parse_ll(need(o, n, "max-skew"), &skew))) {
        fprintf(stderr, "wxpay: --timestamp, --now and --max-skew: expected decimal numbers, found \"%s\", \"%s\", \"%s\"\n",
                need(o, n, "timestamp"), need(o, n, "now") ? need(o, n, "now") : "(unset)",
                need(o, n, "max-skew") ? need(o, n, "max-skew") : "(unset)");
        return EXIT_USAGE;
    }
    if (!read_input("public key", need(o, n, "public-key"), file_a, sizeof file_a, &pem)) return EXIT_CONFIG;
    if (!read_input("body file", need(o, n, "body-file"), file_b, sizeof file_b, &body)) return EXIT_FAILED;
    memset(&r, 0, sizeof r);
    e = wxp_pubkey_load(&key, pem, &r);
    if (e) return key_file_error("--public-key", need(o, n, "public-key"), PEM_PUBLIC, e, &r);
    if (ts - now > skew || now - ts > skew) {
        printf("clock: timestamp %lld is %lld s from now %lld (allowed %lld)\n", ts,
               ts > now ? ts - now : now - ts, now, skew);
        return EXIT_FAILED;
    }
    parts[0] = wxp_cstr(need(o, n, "timestamp")); parts[1] = wxp_cstr("\n");
    parts[2] = wxp_cstr(need(o, n, "nonce"));     parts[3] = parts[1];
    parts[4] = body;                              parts[5] = parts[1];
    e = wxp_verify_base64(&key, parts, 6, wxp_cstr(need(o, n, "signature")), &r);
    if (e) {
        printf("%s: %s\n", wxp_strerror(e), r.message);
        return EXIT_FAILED;
    }
    printf("ok\n");
    return EXIT_OK;
}

static int cmd_decrypt(int argc, char **argv)
{
    static const char *const req[] = { "apiv3-key", "nonce", "associated-data", "ciphertext", NULL };
    opt o[] = { { "apiv3-key", 0 }, { "nonce", 0 }, { "associated-data", 0 }, { "ciphertext", 0 }, { "config", 0 } };
    size_t n = sizeof o / sizeof o[0], len;
    wxp_result r;
    wxp_err e;
    if (!parse_opts(argc, argv, o, n)) return usage("decrypt");
    if (!load_settings(need(o, n, "config"), NULL)) return EXIT_CONFIG;
    fallback(o, n, "apiv3-key", S_APIV3_KEY);
    if (missing(o, n, req)) return usage("decrypt");
    memset(&r, 0, sizeof r);
    e = wxp_aes_gcm_decrypt(wxp_cstr(need(o, n, "apiv3-key")), wxp_cstr(need(o, n, "nonce")),
                            wxp_cstr(need(o, n, "associated-data")), wxp_cstr(need(o, n, "ciphertext")),
                            (unsigned char *)file_a, sizeof file_a, &len, &r);
    if (e) return e == WXP_E_ARG ? (report(e, &r), EXIT_CONFIG) : report(e, &r);
    fwrite(file_a, 1, len, stdout);
    fputc('\n', stdout);
    return EXIT_OK;
}

static int cmd_v2sign(int argc, char **argv)
{
    wxp_kv kv[128];
    size_t n;
    const char *key = NULL, *type = NULL, *config = NULL;
    char sign[65];
    wxp_result r;
    wxp_err e;
    int i, npos = 0;
    for (i = 0; i < argc; i++) {          /* options anywhere; the rest are KEY=VALUE */
        if (strncmp(argv[i], "--", 2) != 0) {
            argv[npos++] = argv[i];
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "wxpay v2sign: %s: expected a value, found none\n", argv[i]);
            return usage("v2sign");
        }
        if (strcmp(argv[i], "--key") == 0) key = argv[++i];
        else if (strcmp(argv[i], "--sign-type") == 0) type = argv[++i];
        else if (strcmp(argv[i], "--config") == 0) config = argv[++i];
        else {
            fprintf(stderr, "wxpay: unknown option %s\n", argv[i]);
            return usage("v2sign");
        }
    }
    argc = npos;
    if (!load_settings(config, NULL)) return EXIT_CONFIG;
    if (!key) key = val[S_APIV2_KEY];
    if (!type) type = val[S_V2_SIGN_TYPE] ? val[S_V2_SIGN_TYPE] : "HMAC-SHA256";
    if (!key) {
        fputs("wxpay: expected --key (or the apiv2_key setting), found neither\n", stderr);
        return usage("v2sign");
    }
    if (strcmp(type, "MD5") != 0 && strcmp(type, "HMAC-SHA256") != 0) {
        fprintf(stderr, "wxpay: --sign-type is MD5 or HMAC-SHA256, not %s\n", type);
        return usage("v2sign");
    }
    if (!parse_kv(argc, (const char *const *)argv, kv, 128, &n)) return usage("v2sign");
    e = wxp_v2_sign(kv, n, wxp_cstr(key), strcmp(type, "MD5") == 0 ? WXP_V2_MD5 : WXP_V2_HMAC_SHA256, sign, &r);
    if (e) return report(e, &r);
    printf("%s\n", sign);
    return EXIT_OK;
}

static int cmd_v2xml(int argc, char **argv)
{
    wxp_kv kv[128];
    size_t n, len;
    wxp_result r;
    wxp_err e;
    if (!parse_kv(argc, (const char *const *)argv, kv, 128, &n)) return usage("v2xml");
    e = wxp_xml_write(file_a, sizeof file_a, kv, n, &len, &r);
    if (e) return report(e, &r);
    printf("%s\n", file_a);
    return EXIT_OK;
}

/* Options before the command go right after it (wxpay --simulator call ... is
   wxpay call --simulator ...): every command reads its options there. Options
   take a value, except --simulator, --cert and --verbose (-v). 0: no command was found. */
static int command_first(int argc, char **argv)
{
    int i = 1, k;
    char *cmd;
    while (i < argc && (strncmp(argv[i], "--", 2) == 0 || strcmp(argv[i], "-v") == 0) &&
           strcmp(argv[i], "--help") != 0 && strcmp(argv[i], "--version") != 0)
        i += strcmp(argv[i], "--simulator") == 0 || strcmp(argv[i], "--cert") == 0 ||
                     strcmp(argv[i], "--verbose") == 0 || strcmp(argv[i], "-v") == 0 ? 1 : 2;
    if (i == 1) return 1;
    if (i >= argc) {
        fprintf(stderr, "wxpay: expected a COMMAND after the options, found none\n");
        return 0;
    }
    cmd = argv[i];
    for (k = i; k > 1; k--) argv[k] = argv[k - 1];
    argv[1] = cmd;
    return 1;
}

int main(int argc, char **argv)
{
    const char *cmd;
    const struct command *command;
    int i;
    if (argc < 2) return usage(NULL);
    if (!command_first(argc, argv)) return usage(NULL);
    cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || (strcmp(cmd, "help") == 0 && argc == 2)) {
        help_all(stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0) return print_help(argv[2]);
    if (strcmp(cmd, "--version") == 0) {
        printf("wxpay %s (wechatpay.h)\n", WXP_VERSION);
        return EXIT_OK;
    }
    if (!(command = find_command(cmd))) {
        fprintf(stderr, "wxpay: unknown command %s\n", cmd);
        return usage(NULL);
    }
    for (i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return print_help(cmd);
    return command->run(argc - 2, argv + 2);
}
