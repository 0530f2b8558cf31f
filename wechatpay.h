/* wechatpay.h - v0.2.0 - WeChat Pay (微信支付) APIv3 + APIv2 client in one C99 header - MIT (see end of file)

   Do this:
       #define WECHATPAY_IMPLEMENTATION
   before you include this file in *one* C or C++ file to create the
   implementation. Link with BearSSL (-lbearssl). The library never allocates.

   CONTENTS (every section is marked `>>name` in both halves: grep '>>name')
       basics       wxp_str, errors, wxp_result, clock and randomness
       base64 json  codecs: base64, a JSON writer and an in-place JSON reader
       keys         RSA keys, WeChat Pay public keys and certificates, key store
       crypto       RSA-SHA256 sign/verify, AES-256-GCM, RSA-OAEP
       transport    the HTTP seam: request, response sink, TRANSPORT CONTRACT
       retry-rate   callback replay guard, retries of safe calls, rate budgets
       client       wxp_config, wxp_client, init (defaults in one place)
       v3-call      APIv3 signing (Authorization), any endpoint, the engine split
       v3-verify    (implementation) the check every answer and callback passes
       notify       callbacks: verify, replay, decrypt, answer
       paysign      JSAPI / mini-program / App payment signatures
       models       the X-macro model rows and what they generate
       v2           APIv2: XML, MD5 / HMAC-SHA256 sign, mutual TLS, req_info
       certificates platform certificate download (bootstrap)
       calls-v3     typed APIv3 calls, one cluster per endpoint
       media-bill   media upload, bill download (streamed, hash-checked)
       calls-v2     typed APIv2 calls
       pos          the POS sale (barcode payment) over APIv2 or APIv3 code-pay

   FUNCTION MAP
       basics       wxp_cstr wxp_strerror wxp_errname
       base64       wxp_base64_encode wxp_base64_decode
       json         wxp_jw_* (init, object/array begin/end, key, string, int, bool,
                    null, finish) wxp_json_parse wxp_json_get wxp_json_first
                    wxp_json_next wxp_json_count wxp_json_key wxp_json_string
                    wxp_json_int wxp_json_bool wxp_json_text
       keys         wxp_rsa_key_load wxp_rsa_key_wipe wxp_pubkey_load
                    wxp_keystore_init wxp_keystore_add_pubkey wxp_keystore_add_certs
                    wxp_keystore_find wxp_keystore_pick wxp_bearssl_verifier
       crypto       wxp_sign_base64 wxp_verify_base64 wxp_aes_gcm_decrypt
                    wxp_aes_gcm_encrypt wxp_oaep_encrypt wxp_oaep_decrypt
       transport    wxp_http_response_init/_status/_header/_write (for transports),
                    wxp_http_response_get_status/_body/_kept
       client       wxp_client_init wxp_client_wipe wxp_client_encrypt wxp_client_decrypt
       v3-call      wxp_v3_request wxp_v3_prepare wxp_v3_finish wxp_v3_authorization
                    wxp_path_fill
       notify       wxp_notify_parse wxp_notify_answer wxp_refund_notify_decode
       paysign      wxp_jsapi_sign wxp_app_sign
       v2           wxp_v2_request wxp_v2_sign wxp_v2_verify wxp_xml_write
                    wxp_xml_parse wxp_kv_get wxp_v2_decrypt_req_info
       certificates wxp_certificates_download wxp_certificates_fetch
       calls-v3     wxp_transaction_create_{jsapi,app,h5,native} wxp_jsapi_checkout
                    wxp_app_checkout wxp_transaction_by_out_trade_no
                    wxp_transaction_by_id wxp_transaction_close
                    wxp_transaction_notify_decode wxp_transaction_codepay
                    wxp_transaction_reverse; wxp_partner_transaction_create_{jsapi,
                    app,h5,native} wxp_partner_jsapi_checkout
                    wxp_partner_transaction_by_out_trade_no
                    wxp_partner_transaction_by_id wxp_partner_transaction_close
                    wxp_partner_transaction_notify_decode
                    wxp_partner_transaction_codepay wxp_partner_transaction_reverse;
                    wxp_refund_create wxp_refund_query wxp_refund_abnormal
                    wxp_refund_req_encode wxp_refund_decode wxp_coupon_return
                    wxp_subsidy_pay wxp_subsidy_pay_query wxp_subsidy_return
       media-bill   wxp_media_upload wxp_bill_trade wxp_bill_fundflow wxp_bill_download
       calls-v2     wxp_v2_refund wxp_v2_refundv2 wxp_v2_refundquery
       pos          wxp_v2_micropay wxp_v2_orderquery wxp_v2_reverse wxp_pos_sale
                    wxp_pos_sale_v3

   NAMES
       wxp_<resource>_<action>[_<variant>]: wxp_refund_create, wxp_transaction_close,
       wxp_keystore_add_certs; APIv2 calls carry v2 after the prefix (wxp_v2_refund).
       Types are wxp_<thing>; a request model is wxp_<resource>_req, its answer
       wxp_<resource> or wxp_<resource>_result. WXP_E_* are errors, WXP_* options
       and constants. Everything private starts wxp__ / WXP__.

   QUICK START (a refund, every byte of memory owned by the caller; README's
   Quick start is the same as a complete program against the simulator)

       static unsigned char io[WXP_IO_BUFSIZE_MIN];
       wxp_pubkey slots[2]; wxp_keystore keys; wxp_client c; wxp_result r;
       wxp_config cfg = {0};
       wxp_keystore_init(&keys, slots, 2);
       if (wxp_keystore_add_pubkey(&keys, "PUB_KEY_ID_01...", wechatpay_pub_pem, &r)) fail(&r);
       cfg.mchid = "1900000001";
       cfg.serial = "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"; // merchant cert serial
       cfg.private_key_pem = apiclient_key_pem;                   // PKCS#8 or PKCS#1
       cfg.keys = &keys;                                          // verifies every answer
       cfg.transport.fn = my_transport; cfg.transport.user = &conn;
       cfg.io_buf = io; cfg.io_buf_size = sizeof io;
       if (wxp_client_init(&c, &cfg, &r) != WXP_OK) fail(&r);
       wxp_str body = WXP_STR("{\"out_trade_no\":\"T1\",\"out_refund_no\":\"R1\","
                              "\"amount\":{\"refund\":1,\"total\":1,\"currency\":\"CNY\"}}");
       wxp_err e = wxp_v3_request(&c, "POST", "/v3/refund/domestic/refunds", body, &r);
       if (e != WXP_OK) printf("%s %d %s %s\n", wxp_strerror(e), r.status, r.code, r.message);
       else             printf("%.*s\n", (int)r.body.len, r.body.ptr);  // verified JSON

   BUILD OPTIONS (define before including; each has a default)
       WECHATPAY_STATIC     make every function static (one TU uses the library)
       WXP_API              linkage of public functions (default extern)
       WXP_ASSERT(c)        precondition check (default assert(c); without an OS,
                            a trap: no stdio, no malloc)
       WXP_NO_PRECONDITIONS remove the precondition asserts (size builds)
       WXP_NO_TIME          no time(): the caller must set config.clock
       WXP_NO_SLEEP         no poll() as the default sleep of retries and rate
                            waits (not POSIX: none anyway; set config.retry.sleep)
       WXP_NO_SYSTEM_RANDOM no OS entropy: the caller must set config.random
       WXP_NO_ERROR_STRINGS wxp_strerror() returns "" (saves the message table)
       WXP_MAX_RSA_BITS     largest RSA key held (default 4096); sizes the key structs
       WXP_JSON_MAX_DEPTH   JSON nesting limit (default 32)
       WXP_XML_MAX_BYTES    largest APIv2 XML accepted (default 65536)
       WXP_PATH_MAX         longest path + query a typed call builds (default 512;
                            longer: WXP_E_NOSPACE naming "path", nothing sent)
       WXP_NO_V2            leave out APIv2 (XML, MD5/HMAC sign, AES-ECB)
       WXP_RSA_I15 / WXP_RSA_I31  force a BearSSL RSA implementation (default: the
                            fastest the build offers, i62 where the compiler has
                            64x64->128 multiplication)
       WXP_SHA256_PARTS     the signatures' SHA-256 (default BearSSL's); e.g.
                            wxp_openssl_sha256_parts of crypto/wechatpay_openssl.h
       There is no WXP_MALLOC: the library never allocates.

   MEMORY
       Every struct is the caller's: place it on the stack, in static storage or in a
       pool. Structs that hold keys or point into themselves (wxp_rsa_key, wxp_client)
       must not move or be copied after init. The client's I/O buffer (config.io_buf,
       at least WXP_IO_BUFSIZE_MIN bytes from an 8-aligned start: a char array may
       lose up to 7; WXP_IO_BUFSIZE_DEFAULT recommended) holds one
       call's response body and the JSON tokens decoded from it; every view (wxp_str)
       a call returns points into it and stays valid until the next call on the same
       client. Views are never NUL-terminated: print them with "%.*s".
       Sizes on x86-64 at WXP_MAX_RSA_BITS 4096 (2048): wxp_client 4968 (3640)
       bytes, wxp_pubkey (a key store slot) 648 (392), wxp_rsa_key 1376 (736),
       wxp_result 488. One call's I/O buffer holds its request body, the answer
       and the answer's JSON tokens (16 bytes each; about one per field): 4 KiB
       covers a refund, WXP_IO_BUFSIZE_DEFAULT (16 KiB) anything but uploads
       (the file plus 400 bytes) and long refund queries. Stack: an APIv3 call
       peaks at about 5.6 KiB on x86-64 (5.0 KiB at WXP_MAX_RSA_BITS 2048), an
       APIv2 call at 4.7 KiB, BearSSL's RSA included, plus the transport's own
       (measured: tests/footprint/stack.c, README "Footprint"); 4.4 KiB on a
       Cortex-M4 (make m4).
       The library never calls malloc and keeps no global or static state: two
       clients in two threads are independent.

   SECRETS IN MEMORY
       The library wipes every copy of a key it makes (its RSA key and PEM
       decoder, the HMAC, MD5 and AES-GCM/ECB contexts of the APIv2 and APIv3
       keys, decrypted scratch) before a call returns; wxp_client_wipe() clears
       the client. What it cannot reach: BearSSL's own stack frames, which keep
       key-derived words after they return (RSA-CRT intermediates of a
       signature or OAEP decryption, the expanded AES key of its constant-time
       code, HMAC's padded key block, MD5/SHA words of a hashed key). A device
       that must not keep them can run the calls on a stack of its own and
       clear it afterwards, or overwrite a few KiB of stack below the caller
       after each call (the README gives the peak stack of a call).

   TRANSPORT CONTRACT (config.transport.fn, called once per request and host)
       The callback receives a wxp_http_request and a wxp_http_response sink:
       - it MUST send req->method to https://req->host + req->path (req->host may
         carry ":port"), with every header of req->headers and req->body;
       - it MUST call wxp_http_response_status() once with the HTTP status,
         before it writes any of the body;
       - it MUST pass every response header to wxp_http_response_header(); the
         library keeps the ones it needs (Request-ID, Wechatpay-*), matched
         case-insensitively;
       - it MUST pass the body to wxp_http_response_write(), in as many pieces as it
         likes; a return value smaller than the piece means the buffer is full: the
         call will fail with WXP_E_NOSPACE (never truncated data). It SHOULD go on
         writing to the end so that result.needed reports the full size;
       - it MUST pass only the final answer's headers (not those of a 1xx), and
         MUST NOT follow redirects;
       - it MAY send a GET once more on a new connection when a kept connection
         closed before any byte of the answer; it MUST NOT resend other methods
         (the library's retries resend refunds with the same request number);
       - it MUST present the merchant client certificate when req->client_cert is
         not NULL, and fail the request (return nonzero) if it cannot;
       - it SHOULD honour req->timeout_ms for the whole exchange;
       - it returns 0 when a complete answer was received, otherwise the kind of
         failure, and MAY write a NUL-terminated reason into errbuf
         (errbuf_size bytes): WXP_TRANSPORT_TIMEOUT when req->timeout_ms passed
         first (WXP_E_TIMEOUT), WXP_TRANSPORT_TLS only when the TLS handshake
         was refused and no byte of the request has left in this call: an
         untrusted or misnamed server certificate, or the client certificate
         refused (WXP_E_TLS; result.sent is then 0, and a POS sale ends
         NOT_SENT on it). A handshake that fails on a new connection after the
         request was written on another one is WXP_TRANSPORT_ERROR.
         WXP_TRANSPORT_NO_CONNECTION when no connection could be made (name
         not resolved, connection refused) and no byte of the request left in
         this call (WXP_E_TRANSPORT with result.sent 0: an offline terminal's
         sale ends NOT_SENT). Any other nonzero value is for the rest: the
         connection closed early, an I/O error (WXP_E_TRANSPORT, sent 1).
       It MAY keep a connection open between calls. The library never sees sockets.

   HOSTS AND FAILOVER
       A request goes to config.host (api.mch.weixin.qq.com) or its backup,
       config.backup_host (WeChat Pay's cross-city backup domain
       api2.mch.weixin.qq.com, which serves every APIv3 and APIv2 path with the
       same keys: the default when host is). When the transport answers
       WXP_TRANSPORT_NO_CONNECTION or WXP_TRANSPORT_TLS with nothing heard (no
       byte of the request left) the client hands the same request, at once
       and once, to the other host of the pair, which then takes the following
       requests until it fails in turn (no connection again: back to the
       first). A request that may have left (an answer cut off, a timeout) is
       never sent to the other host: that is config.retry's, with the same
       request number. log events name the host used. Each host gets the
       whole timeout_ms: a call that fails over waits up to the first host's
       connect time longer. A transport that dials one fixed address for any
       host (wxp_sock_config.connect_to) makes both hosts the same: give it
       none, or a way to resolve both names.

   ERRORS
       Every function that can fail returns wxp_err (WXP_OK is 0); wxp_strerror()
       names each code and the wxp_result passed to the call says more: the field
       (WXP_E_ARG), the size needed (WXP_E_NOSPACE), the byte offset (WXP_E_PARSE),
       WeChat Pay's code and message (WXP_E_HTTP), the Request-ID.

   ERROR HANDLING IN ONE LINE
       printf("%s HTTP %d %s %s field=%s Request-ID=%s\n", wxp_strerror(e),
              r.status, r.code, r.message, r.field, r.request_id);

   REVISION HISTORY (CHANGELOG.md has it all)
       0.2.0  payments (order placement, callbacks, APIv3 code-pay, the POS
              sale over APIv3); result.sent on every call; retries and rate
              limits on by default, a shared rate budget seam; seed fidelity
              (limits, rules and codes as WeChat Pay's pages); the APIv2
              refund callback and refundqueryv2 typed; WXP_VERSION_NUM.
       0.1.0  first release: APIv3 signing and verification, key store, JSON,
              callbacks (AES-256-GCM), RSA-OAEP fields, JSAPI/App signatures,
              typed models from X-macro tables (refunds, coupon and subsidy
              returns, transactions, bills, media upload), retries and rate
              limits, APIv2 (XML, MD5/HMAC-SHA256, mutual TLS, refunds, the POS
              sale), signer and verifier seams (HSM, OpenSSL).
*/
#ifndef WECHATPAY_H
#define WECHATPAY_H

#include <stddef.h>
#include <stdint.h>
#include <bearssl.h>

#ifdef WXP_MALLOC
#error "wechatpay.h never allocates: remove WXP_MALLOC; every buffer is the caller's"
#endif

/* The version: a string, and numbers for #if (WXP_VERSION_NUM is major *
   10000 + minor * 100 + patch: 0.2.0 is 200; `#if WXP_VERSION_NUM >= 200`). */
#define WXP_VERSION_MAJOR 0
#define WXP_VERSION_MINOR 2
#define WXP_VERSION_PATCH 0
#define WXP_VERSION_NUM (WXP_VERSION_MAJOR * 10000 + WXP_VERSION_MINOR * 100 + WXP_VERSION_PATCH)
#define WXP_VERSION "0.2.0"

#ifndef WXP_API
#if defined(WECHATPAY_STATIC) && (defined(__GNUC__) || defined(__clang__))
#define WXP_API static __attribute__((unused)) /* a TU calls only what it needs */
#elif defined(WECHATPAY_STATIC)
#define WXP_API static
#else
#define WXP_API extern
#endif
#endif

#if defined(__GNUC__) || defined(__clang__)
#define WXP_NODISCARD __attribute__((warn_unused_result))
#else
#define WXP_NODISCARD
#endif

#ifndef WXP_MAX_RSA_BITS
#define WXP_MAX_RSA_BITS 4096
#endif
#if WXP_MAX_RSA_BITS > 4096
#error "BearSSL decodes RSA keys of at most 4096 bits: WXP_MAX_RSA_BITS must be <= 4096"
#endif
#ifndef WXP_JSON_MAX_DEPTH
#define WXP_JSON_MAX_DEPTH 32
#endif
#ifndef WXP_XML_MAX_BYTES
#define WXP_XML_MAX_BYTES 65536
#endif
#ifndef WXP_PATH_MAX
#define WXP_PATH_MAX 512
#endif

/* Sizes derived from the options. */
#define WXP_RSA_BYTES       ((WXP_MAX_RSA_BITS + 7) / 8)
#define WXP_B64_LEN(n)      ((((n) + 2) / 3) * 4)
#define WXP_SIG_B64_MAX     WXP_B64_LEN(WXP_RSA_BYTES)
#define WXP_SERIAL_MAX      72      /* certificate serial (hex) or PUB_KEY_ID_... */
#define WXP_NONCE_LEN       32
#define WXP_IO_BUFSIZE_MIN      4096
#define WXP_IO_BUFSIZE_DEFAULT  16384
#define WXP_ERRBUF_SIZE     256
#define WXP_DEFAULT_HOST    "api.mch.weixin.qq.com"
#define WXP_BACKUP_HOST     "api2.mch.weixin.qq.com"

#ifdef __cplusplus
extern "C" {
#endif

/* ==== >>basics ======================================================== api */

/* A byte view: pointer and length, never NUL-terminated. */
typedef struct wxp_str { const char *ptr; size_t len; } wxp_str;
#define WXP_STR(lit) { (lit), sizeof(lit) - 1 }
/* A view of a NUL-terminated string (NULL gives the empty view). */
WXP_API wxp_str wxp_cstr(const char *s);

#define WXP_ERRORS(X)                                                                 \
  X(OK,            "ok")                                                              \
  X(E_ARG,         "invalid argument or model field (see result.field)")              \
  X(E_NOSPACE,     "caller buffer too small (see result.needed)")                     \
  X(E_KEY,         "no usable key or certificate in the input")                       \
  X(E_KEY_ENCRYPTED, "the PEM key is encrypted; store it decrypted (openssl pkey)")   \
  X(E_KEY_TYPE,    "the key is not RSA (EC and other key types are not supported)")   \
  X(E_KEY_TRUNCATED, "the PEM or DER data ends early")                                \
  X(E_KEY_SIZE,    "the RSA key is larger than WXP_MAX_RSA_BITS")                     \
  X(E_BASE64,      "malformed base64")                                                \
  X(E_PARSE,       "malformed JSON (see result.offset)")                              \
  X(E_NOTFOUND,    "the field is missing, or required and empty (see result.field)")  \
  X(E_TYPE,        "the field has the wrong JSON type (see result.field)")            \
  X(E_RANGE,       "the number does not fit its field (see result.field)")            \
  X(E_TRANSPORT,   "the transport failed (see result.message)")                       \
  X(E_TIMEOUT,     "no answer in time: the request may have been processed")          \
  X(E_TLS,         "the TLS handshake was refused (certificate): nothing was sent")    \
  X(E_HTTP,        "WeChat Pay answered with an error (see result.code)")             \
  X(E_HEADER,      "a Wechatpay-* header is missing or malformed (see result.field)")  \
  X(E_SERIAL,      "signed by a key the key store does not hold (see result.message)") \
  X(E_SIGNATURE,   "the signature does not verify")                                   \
  X(E_SIGNTEST,    "WeChat Pay's signature probe (WECHATPAY/SIGNTEST/) never verifies")\
  X(E_CLOCK,       "the timestamp is outside the allowed clock skew")                 \
  X(E_REPLAY,      "the callback was seen before (replay check)")                     \
  X(E_DECRYPT,     "decryption failed: wrong key or tampered ciphertext")             \
  X(E_CRYPTO,      "the RSA operation failed (key does not fit the data)")            \
  X(E_RANDOM,      "the random source failed")                                        \
  X(E_FULL,        "the key store is full")                                           \
  X(E_UNSUPPORTED, "the transport or signer cannot do what the call needs")         \
  X(E_RATE,        "the local rate limit is reached: try again later")               \
  X(E_HASH,        "the downloaded bill does not match its hash_value")               \
  X(E_V2_RETURN,   "APIv2 return_code is FAIL (see result.message)")                  \
  X(E_V2_RESULT,   "APIv2 result_code is FAIL (see result.code, result.message)")     \
  X(E_PARTIAL,     "done (WeChat Pay accepted the call; every field is decoded), but a list had more elements than its array: the first _cap are kept (see result.field, result.needed)") \
  X(E_EXPIRED,     "the platform certificate that signed is not valid at this time (see result.message)") \
  X(E_UNCHECKED,   "the replay guard could not check the callback (its store is down): not handled; answer 5xx so it comes again")

#define WXP__ENUM(name, msg) WXP_##name,
typedef enum wxp_err { WXP_ERRORS(WXP__ENUM) WXP_ERR_COUNT } wxp_err;
#undef WXP__ENUM

/* The name and meaning of an error code ("" with WXP_NO_ERROR_STRINGS). */
WXP_API const char *wxp_strerror(wxp_err e);
/* Just the name, "WXP_E_HTTP" (kept with WXP_NO_ERROR_STRINGS: logs need it). */
WXP_API const char *wxp_errname(wxp_err e);

/* What a call learnt, success or not. Every call that takes one clears it
   first; it may be NULL where a function says so. */
typedef struct wxp_result {
    int      status;            /* HTTP status; 0 if nothing was received */
    int      sent;              /* 1 once the request was handed to the transport
                                   (it may have been processed, whatever the
                                   error); 0: the call stopped before, nothing left */
    char     request_id[64];    /* Request-ID header: support asks for it */
    char     code[64];          /* WeChat Pay "code", e.g. "PARAM_ERROR" */
    char     message[256];      /* WeChat Pay "message", or the library's own words */
    char     field[64];         /* the field, header or parameter at fault */
    size_t   needed;            /* WXP_E_NOSPACE: bytes the buffer should have;
                                   WXP_E_PARTIAL: elements of the list named */
    size_t   offset;            /* WXP_E_PARSE: byte offset in the input */
    wxp_str  body;              /* the response body (view into the I/O buffer) */
} wxp_result;

/* Injected clock (seconds since the Unix epoch) and randomness. */
typedef struct wxp_clock { long long (*fn)(void *user); void *user; } wxp_clock;
/* Fills buf with len unpredictable bytes; returns 0 on success. */
typedef struct wxp_random { int (*fn)(void *user, void *buf, size_t len); void *user; } wxp_random;

/* ==== >>base64 ======================================================== api */

/* Standard base64 with padding. dst may be NULL to measure; *len gets the size
   (encode: without the NUL it also writes when room allows). */
WXP_API WXP_NODISCARD wxp_err wxp_base64_encode(char *dst, size_t cap, const void *src,
                                                size_t n, size_t *len);
/* Strict: the standard alphabet, canonical padding, no whitespace. */
WXP_API WXP_NODISCARD wxp_err wxp_base64_decode(void *dst, size_t cap, const char *src,
                                                size_t n, size_t *len);

/* ==== >>json ========================================================== api */

/* JSON writer ("jw"): appends to a caller buffer and counts what it needed, so a
   NULL buffer measures. Errors stick until wxp_jw_finish() reports them. It
   nests up to 31 levels (WeChat Pay's bodies use 4). */
typedef struct wxp_json_writer {
    char    *buf;
    size_t   cap, len;          /* len counts every byte, even those past cap */
    unsigned depth;
    uint32_t first;             /* bit d: nothing written yet at depth d */
    uint32_t in_object;         /* bit d: depth d is an object */
    int      after_key;
    wxp_err  err;
} wxp_json_writer;

WXP_API void wxp_jw_init(wxp_json_writer *w, char *buf, size_t cap);
WXP_API void wxp_jw_object_begin(wxp_json_writer *w);
WXP_API void wxp_jw_object_end(wxp_json_writer *w);
WXP_API void wxp_jw_array_begin(wxp_json_writer *w);
WXP_API void wxp_jw_array_end(wxp_json_writer *w);
WXP_API void wxp_jw_key(wxp_json_writer *w, const char *key);
/* Escapes as JSON.stringify does; invalid UTF-8 is WXP_E_ARG. */
WXP_API void wxp_jw_string(wxp_json_writer *w, wxp_str s);
WXP_API void wxp_jw_cstring(wxp_json_writer *w, const char *s);
WXP_API void wxp_jw_int(wxp_json_writer *w, long long v);
WXP_API void wxp_jw_bool(wxp_json_writer *w, int v);
WXP_API void wxp_jw_null(wxp_json_writer *w);
/* WXP_OK with *len set; WXP_E_NOSPACE (res->needed) or WXP_E_ARG. NUL-terminates
   when room allows. res may be NULL. */
WXP_API WXP_NODISCARD wxp_err wxp_jw_finish(wxp_json_writer *w, size_t *len, wxp_result *res);

/* JSON reader: one validating pass builds a token array (jsmn-style) over the
   caller's text, unescaping every string in place; lookups then walk tokens.
   Token 0 is the root value. */
enum { WXP_JSON_OBJECT = 1, WXP_JSON_ARRAY, WXP_JSON_STRING, WXP_JSON_NUMBER,
       WXP_JSON_TRUE, WXP_JSON_FALSE, WXP_JSON_NULL };

typedef struct wxp_json_tok {
    uint32_t start, len;        /* text span; strings: the unescaped bytes */
    uint32_t next;              /* index of the token after this subtree */
    uint16_t type, flags;       /* flags: WXP__TOK_KEY, WXP__TOK_ESC (not yet unescaped) */
} wxp_json_tok;

typedef struct wxp_json {
    char         *text;
    size_t        len;
    wxp_json_tok *tok;
    size_t        count;
} wxp_json;

/* Validates text[0..len) and records its tokens. tok may be NULL to measure:
   WXP_OK with doc->count set; too few tokens is WXP_E_NOSPACE with res->needed.
   Rejects everything RFC 8259 does, invalid UTF-8, lone surrogates and nesting
   deeper than WXP_JSON_MAX_DEPTH (WXP_E_PARSE with res->offset). The text is not
   changed by parsing; a string is unescaped in place the first time it is read
   (wxp_json_string, or a key during wxp_json_get), so keep text writable and the
   doc unmoved. res may be NULL. */
WXP_API WXP_NODISCARD wxp_err wxp_json_parse(wxp_json *doc, char *text, size_t len,
                                             wxp_json_tok *tok, size_t cap, wxp_result *res);
/* The token at a dotted path below an object token ("amount.from"), -1 if absent.
   Members are looked up by their unescaped key. */
WXP_API int wxp_json_get(const wxp_json *doc, int obj, const char *path);
/* A path segment that is a number indexes an array: "amount.from.0.account". */
/* Children of an object (the values) or array, in order: first, then next; -1 ends. */
WXP_API int wxp_json_first(const wxp_json *doc, int parent);
WXP_API int wxp_json_next(const wxp_json *doc, int parent, int child);
WXP_API size_t wxp_json_count(const wxp_json *doc, int parent);
/* The key of an object member, given the member's value token. */
WXP_API wxp_str wxp_json_key(const wxp_json *doc, int value);
/* Typed reads of one token: WXP_E_TYPE for another type, WXP_E_RANGE for an
   integer outside int64 (or a number with a fraction or exponent). */
WXP_API WXP_NODISCARD wxp_err wxp_json_string(const wxp_json *doc, int tok, wxp_str *out);
WXP_API WXP_NODISCARD wxp_err wxp_json_int(const wxp_json *doc, int tok, long long *out);
WXP_API WXP_NODISCARD wxp_err wxp_json_bool(const wxp_json *doc, int tok, int *out);
/* Raw text of any token (strings: unescaped bytes). */
WXP_API wxp_str wxp_json_text(const wxp_json *doc, int tok);

/* ==== >>keys ========================================================== api */

/* Private-key operations go through this vtable, in BearSSL's manner, so a
   secure element or another crypto library can hold the key. ctx points at the
   implementation's first field. */
typedef struct wxp_signer_class_ wxp_signer_class;
struct wxp_signer_class_ {
    /* RSA PKCS#1 v1.5 signature of a SHA-256 digest. *sig_len: capacity in,
       length out. */
    wxp_err (*sign_sha256)(const wxp_signer_class **ctx, const unsigned char hash[32],
                           unsigned char *sig, size_t *sig_len);
    /* RSA-OAEP (SHA-1, MGF1-SHA-1) decryption in place; NULL if unsupported. */
    wxp_err (*oaep_decrypt)(const wxp_signer_class **ctx, unsigned char *data,
                            size_t *len);
};

/* Public-key operations go through the same kind of seam, so a server can
   verify answers and encrypt fields with OpenSSL (crypto/wechatpay_openssl.h). */
typedef struct wxp_verifier_class_ wxp_verifier_class;
struct wxp_verifier_class_ {
    /* Nonzero when sig is a PKCS#1 v1.5 signature of the SHA-256 digest under pk. */
    int (*verify_sha256)(const wxp_verifier_class *const *ctx, const br_rsa_public_key *pk,
                         const unsigned char hash[32], const unsigned char *sig, size_t sig_len);
    /* RSA-OAEP (SHA-1, MGF1-SHA-1) of plain under pk into out (*out_len: its
       length); the seed comes from rnd. WXP_E_RANDOM when rnd fails. */
    wxp_err (*oaep_encrypt)(const wxp_verifier_class *const *ctx, const br_rsa_public_key *pk,
                            const wxp_random *rnd, const void *plain, size_t len,
                            unsigned char *out, size_t cap, size_t *out_len);
};
/* The default: BearSSL, with the RSA code chosen as for signing. */
WXP_API const wxp_verifier_class *const *wxp_bearssl_verifier(void);

/* The default signer: an RSA private key decoded by BearSSL. Must not move. */
typedef struct wxp_rsa_key {
    const wxp_signer_class *vtable;
    br_rsa_private_key      sk;         /* points into buf */
    unsigned char           buf[5 * ((WXP_MAX_RSA_BITS + 15) / 16)];
} wxp_rsa_key;

/* Loads a PEM private key: PKCS#8 ("PRIVATE KEY") or PKCS#1 ("RSA PRIVATE KEY").
   Errors: WXP_E_KEY (no key), WXP_E_KEY_ENCRYPTED, WXP_E_KEY_TYPE (EC...),
   WXP_E_KEY_TRUNCATED, WXP_E_KEY_SIZE. Scratch copies are wiped. */
WXP_API WXP_NODISCARD wxp_err wxp_rsa_key_load(wxp_rsa_key *k, wxp_str pem, wxp_result *res);
WXP_API void wxp_rsa_key_wipe(wxp_rsa_key *k);

/* A verification key: a WeChat Pay platform certificate or public key. */
enum { WXP_KEY_CERT = 1, WXP_KEY_PUBLIC = 2 };
typedef struct wxp_pubkey {
    char               serial[WXP_SERIAL_MAX];  /* uppercase hex, or PUB_KEY_ID_... */
    int                kind;                    /* WXP_KEY_CERT or WXP_KEY_PUBLIC */
    long long          not_before, not_after;   /* certificates: validity (Unix s) */
    br_rsa_public_key  pk;                      /* points into n and e */
    unsigned char      n[WXP_RSA_BYTES], e[8];
} wxp_pubkey;

/* Loads one key from PEM: "PUBLIC KEY" (SPKI), "RSA PUBLIC KEY" or
   "CERTIFICATE" (the certificate's serial then fills k->serial). */
WXP_API WXP_NODISCARD wxp_err wxp_pubkey_load(wxp_pubkey *k, wxp_str pem, wxp_result *res);

/* A fixed-capacity set of verification keys found by serial. Both kinds may be
   held at once (merchants moving from certificates to the public key). */
typedef struct wxp_keystore { wxp_pubkey *keys; size_t cap, count, slot_size; } wxp_keystore;

/* A macro: it passes this file's sizeof(wxp_pubkey), so slots sized under
   another WXP_MAX_RSA_BITS than the library's are never written (every add
   then fails with WXP_E_ARG naming WXP_MAX_RSA_BITS). */
#define wxp_keystore_init(ks, slots, cap) wxp_keystore_init_sized((ks), (slots), (cap), sizeof(wxp_pubkey))
WXP_API void wxp_keystore_init_sized(wxp_keystore *ks, wxp_pubkey *slots, size_t cap, size_t slot_size);
/* A WeChat Pay public key; id must start with "PUB_KEY_ID_". */
WXP_API WXP_NODISCARD wxp_err wxp_keystore_add_pubkey(wxp_keystore *ks, const char *id,
                                                      wxp_str pem, wxp_result *res);
/* Every certificate of a PEM bundle. A serial already held is replaced. */
WXP_API WXP_NODISCARD wxp_err wxp_keystore_add_certs(wxp_keystore *ks, wxp_str pem,
                                                     wxp_result *res);
WXP_API const wxp_pubkey *wxp_keystore_find(const wxp_keystore *ks, wxp_str serial);
/* The key to encrypt sensitive fields with: the public key if one is held, else
   the certificate valid at `now` with the latest not_before. NULL if none. */
WXP_API const wxp_pubkey *wxp_keystore_pick(const wxp_keystore *ks, long long now);

/* ==== >>crypto ======================================================== api */

/* base64(RSA-PKCS1-v1_5-SHA256(msg)) through a signer. */
WXP_API WXP_NODISCARD wxp_err wxp_sign_base64(const wxp_signer_class **signer,
                                              const void *msg, size_t len,
                                              char *out, size_t cap, size_t *out_len,
                                              wxp_result *res);
/* Verifies base64 signature sig over the concatenation of parts. Returns
   WXP_E_SIGNTEST for WeChat's probe, WXP_E_BASE64, WXP_E_SIGNATURE. */
WXP_API WXP_NODISCARD wxp_err wxp_verify_base64(const wxp_pubkey *k, const wxp_str *parts,
                                                size_t nparts, wxp_str sig, wxp_result *res);
/* AEAD_AES_256_GCM as WeChat Pay uses it: key is the 32-byte APIv3 key,
   ciphertext is base64(ct || 16-byte tag). out gets the plaintext (room for the
   decoded size, which is at most 3/4 of the base64). Errors: WXP_E_ARG (key not
   32 bytes), WXP_E_BASE64, WXP_E_DECRYPT (tag mismatch or too short). */
WXP_API WXP_NODISCARD wxp_err wxp_aes_gcm_decrypt(wxp_str key, wxp_str nonce, wxp_str aad,
                                                  wxp_str ciphertext_b64, unsigned char *out,
                                                  size_t cap, size_t *len, wxp_result *res);
/* The inverse (for simulators and tests): writes base64(ct || tag). */
WXP_API WXP_NODISCARD wxp_err wxp_aes_gcm_encrypt(wxp_str key, wxp_str nonce, wxp_str aad,
                                                  wxp_str plaintext, char *out, size_t cap,
                                                  size_t *len, wxp_result *res);
/* RSA-OAEP (SHA-1, MGF1-SHA-1) of a sensitive field under a WeChat Pay key,
   base64 into out. */
WXP_API WXP_NODISCARD wxp_err wxp_oaep_encrypt(const wxp_pubkey *k, const wxp_random *rnd,
                                               wxp_str plain, char *out, size_t cap,
                                               size_t *len, wxp_result *res);
/* Decrypts a base64 OAEP field with the merchant's key into out. */
WXP_API WXP_NODISCARD wxp_err wxp_oaep_decrypt(const wxp_signer_class **signer,
                                               wxp_str b64, unsigned char *out, size_t cap,
                                               size_t *len, wxp_result *res);

/* ==== >>transport ===================================================== api */

typedef struct wxp_http_header { wxp_str name, value; } wxp_http_header;

/* The merchant's client certificate for APIv2 mutual TLS (PEM blobs). */
typedef struct wxp_client_cert { wxp_str cert_pem, key_pem; } wxp_client_cert;

typedef struct wxp_http_request {
    const char            *method;      /* "GET" "POST" "PUT" "PATCH" "DELETE" */
    const char            *host;        /* "api.mch.weixin.qq.com", may end in ":port" */
    wxp_str                path;        /* "/v3/refund/domestic/refunds?x=y" */
    const wxp_http_header *headers;
    size_t                 header_count;
    wxp_str                body;
    unsigned               timeout_ms;
    const wxp_client_cert *client_cert; /* APIv2 mutual TLS; else NULL */
} wxp_http_request;

/* The response sink. Transports use only the three functions below. */
typedef struct wxp_http_response {
    struct {
        int            status;
        char          *buf;
        size_t         cap, len, needed;
        unsigned       seen;            /* bit per kept header; WXP__H_LONG if cut */
        char           request_id[64];
        char           timestamp[24];
        char           nonce[64];
        char           serial[WXP_SERIAL_MAX];
        char           signature[WXP_SIG_B64_MAX + 1];
        /* A 200 body streamed past the buffer (bill downloads). */
        void         (*stream)(void *user, const void *data, size_t len);
        void          *stream_user;
    } wxp__priv;
} wxp_http_response;

/* For transports tested on their own: a sink over buf (the library sets up
   its own), and what landed in it. */
WXP_API void   wxp_http_response_init(wxp_http_response *r, void *buf, size_t cap);
WXP_API int    wxp_http_response_get_status(const wxp_http_response *r);
WXP_API wxp_str wxp_http_response_body(const wxp_http_response *r);
/* The kept copy of a header the sink keeps (Request-ID, Wechatpay-*),
   NUL-terminated; empty when it was not seen. */
WXP_API wxp_str wxp_http_response_kept(const wxp_http_response *r, const char *name);

WXP_API void   wxp_http_response_status(wxp_http_response *r, int status);
WXP_API void   wxp_http_response_header(wxp_http_response *r, const char *name,
                                        size_t name_len, const char *value, size_t value_len);
/* Appends body bytes; returns how many were taken (less than len: buffer full). */
WXP_API size_t wxp_http_response_write(wxp_http_response *r, const void *data, size_t len);

/* What a transport returns (see TRANSPORT CONTRACT). */
enum { WXP_TRANSPORT_OK = 0, WXP_TRANSPORT_ERROR, WXP_TRANSPORT_TIMEOUT, WXP_TRANSPORT_TLS,
       WXP_TRANSPORT_NO_CONNECTION = 0x4E4F434E }; /* far from any errno a transport might return */

typedef int (*wxp_transport_fn)(void *user, const wxp_http_request *req,
                                wxp_http_response *res, char *errbuf, size_t errbuf_size);
typedef struct wxp_transport { wxp_transport_fn fn; void *user; } wxp_transport;

/* ==== >>retry-rate ==================================================== api */

/* Optional replay guard for callbacks, asked once the callback verified and
   decrypted, before the application handles it: return 0 if (nonce,
   timestamp) is new (and remember it), > 0 if it was seen before
   (WXP_E_REPLAY), < 0 if the guard could not tell, its store being down or
   slow (WXP_E_UNCHECKED: the callback is not handled; answer 5xx and WeChat
   Pay delivers it again). A guard shared by several instances should forget
   a callback whose handling failed, so that its redelivery is handled
   (adapters/wechatpay_redis.h: claim, done, forget). */
typedef struct wxp_replay {
    int (*fn)(void *user, wxp_str nonce, long long timestamp);
    void *user;
} wxp_replay;

/* Retries of the typed calls that are safe to repeat (refunds, coupon and
   subsidy returns), ON by default: the same request, with the same request
   number (out_refund_no, return_request_no, out_subsidy_return_no...), is
   sent again after no answer (WXP_E_TRANSPORT, WXP_E_TIMEOUT), a 5xx,
   SYSTEM_ERROR or FREQUENCY_LIMITED, at most `attempts` times in all,
   sleeping backoff_ms, then twice that, and so on. The pause needs a sleep:
   retry.sleep, else the platform's (poll() on POSIX; elsewhere, Windows
   included, there is none: give retry.sleep); built with WXP_NO_SLEEP and no
   retry.sleep, a call is sent once. */
typedef struct wxp_retry {
    unsigned attempts;                          /* 0 -> 3; 1 -> no retry */
    unsigned backoff_ms;                        /* 0 -> 200 */
    void (*sleep)(void *user, unsigned ms);     /* 0 -> the platform's */
    void *user;
} wxp_retry;

/* A rate budget kept elsewhere (Redis, shared memory: one budget for every
   instance of a merchant), asked instead of the client's own token buckets.
   name is "v2_refund" or "v3_refund_fail", qps its limit, now the client's
   clock (seconds). spend 0 asks "is a token left?" without taking one (a v3
   refund asks before it is sent, and each one that fails then spends a token
   with spend 1, after the fact); spend 1 takes one (a v2 refund, before it is
   sent). Return 1: a token was there (and is taken when spend); 0: the budget
   is spent; -1: the store did not answer, and the call fails with WXP_E_RATE
   before anything is sent (return 1 instead to fail open). */
typedef struct wxp_budget {
    int (*take)(void *user, const char *name, unsigned qps, int spend, long long now);
    void *user;
} wxp_budget;

/* Client-side rate limits, ON by default at the published limits: APIv2
   refunds 150 requests/s; APIv3 refunds that fail 6/s (WeChat Pay limits
   erroneous refund requests, so each failed refund spends a token and a
   refund waits while none is left). Token buckets on the injected clock, in
   the client unless a shared budget is given. When the budget is spent a call
   sleeps (rate.sleep, else the platform's: see wxp_retry) up to max_wait_ms
   for a token, then fails with WXP_E_RATE, before anything is sent;
   fail_fast (or no sleep at all) fails at once. */
typedef struct wxp_rate {
    int        off;                             /* 1 -> no local rate limits */
    int        fail_fast;                       /* 1 -> WXP_E_RATE at once, no wait */
    unsigned   v2_refund_qps;                   /* 0 -> 150 */
    unsigned   v3_refund_fail_qps;              /* 0 -> 6 */
    unsigned   max_wait_ms;                     /* 0 -> 2000 */
    void     (*sleep)(void *user, unsigned ms); /* 0 -> the platform's */
    void      *user;
    wxp_budget budget;                          /* 0 -> the client's own buckets */
} wxp_rate;

/* ==== >>client ======================================================== api */

/* What a log hook (config.log) receives after each HTTP exchange, every
   attempt of a call: never a secret. It holds no header (Authorization's
   signature, Wechatpay-*), no body, no key, no decrypted plaintext. */
typedef struct wxp_log_event {
    const char *method;        /* "POST" */
    const char *host;          /* where it went: config.host, or its backup after a failover */
    wxp_str     path;          /* "/v3/refund/domestic/refunds", without its query (a
                                  bill's download token stays out of logs) */
    unsigned    attempt;       /* 1, then 2, 3... when config.retry repeats the call */
    wxp_err     err;           /* the exchange's outcome, verification included */
    int         sent;          /* result.sent: the request may have reached WeChat Pay */
    int         status;        /* the HTTP status; 0 when no answer was heard */
    const char *request_id;    /* WeChat Pay's Request-ID, "" when none */
    const char *code;          /* WeChat Pay's code (APIv2: err_code), "" when none */
    const char *message;       /* what went wrong, "" on success */
    unsigned    elapsed_ms;    /* request to verdict, on log.now_ms (0 without it) */
} wxp_log_event;
typedef struct wxp_log {
    void     (*fn)(void *user, const wxp_log_event *ev);
    unsigned (*now_ms)(void *user);             /* optional: a millisecond clock */
    void      *user;
} wxp_log;

/* Zero-initialise, then set what you need: every 0 means "the default". */
typedef struct wxp_config {
    const char              *mchid;          /* required: "1900000001" */
    const char              *serial;         /* required: merchant certificate serial */
    const char              *appid;          /* the AppID orders belong to: the default of
                                                every request's appid (sp_appid for a
                                                service provider); 0 -> give it per call */
    wxp_str                  private_key_pem;/* PKCS#8 or PKCS#1, or else: */
    const wxp_signer_class **signer;         /* a signer that keeps the key (HSM) */
    const wxp_verifier_class *const *verifier; /* 0 -> wxp_bearssl_verifier() */
    wxp_keystore            *keys;           /* verification keys (may start empty) */
    wxp_str                  apiv3_key;      /* 32 bytes; callbacks and certificates */
    wxp_str                  apiv2_key;      /* 32 bytes; APIv2 sign (WXP_NO_V2 drops it) */
    int                      v2_sign_type;   /* 0 -> WXP_V2_HMAC_SHA256, or WXP_V2_MD5 */
    wxp_client_cert          client_cert;    /* apiclient_cert.pem + apiclient_key.pem */
    const char              *host;           /* 0 -> WXP_DEFAULT_HOST */
    const char              *backup_host;    /* 0 -> WXP_BACKUP_HOST when host is the default,
                                                else none; "" none (HOSTS AND FAILOVER) */
    unsigned                 timeout_ms;     /* 0 -> 10000 */
    unsigned                 max_skew_s;     /* 0 -> 300 */
    wxp_transport            transport;      /* required */
    wxp_clock                clock;          /* 0 -> time() */
    wxp_random               random;         /* 0 -> OS entropy + HMAC-DRBG, seeded at
                                                init: a server that forks after init
                                                must set its own (nonces would repeat) */
    wxp_replay               replay;         /* 0 -> no replay check */
    wxp_retry                retry;          /* 0 -> 3 attempts of the calls safe to repeat */
    wxp_rate                 rate;           /* 0 -> WeChat Pay's published limits */
    wxp_log                  log;            /* 0 -> no log */
    void                    *io_buf;         /* required, >= WXP_IO_BUFSIZE_MIN once 8-aligned */
    size_t                   io_buf_size;
} wxp_config;

/* Caller-owned; must not move or be copied after wxp_client_init. */
typedef struct wxp_client {
    struct {
        wxp_config               cfg;
        wxp_rsa_key              key;        /* cfg.signer when cfg.private_key_pem is set */
        br_hmac_drbg_context     drbg;       /* default random source */
#ifndef WXP_NO_SYSTEM_RANDOM
        struct { unsigned char b[256]; size_t left; } pool; /* its next bytes: the last left of b */
#endif
        const br_block_ctr_class *aes_ctr;   /* AES and GHASH code, probed at the first decryption */
        br_ghash                 ghash;
        wxp_http_request         req;
        wxp_http_header          hdr[6];
        char                     auth[160 + WXP_SIG_B64_MAX + 2 * WXP_SERIAL_MAX];
        const wxp_pubkey        *wp_key;     /* encrypted with: the next request names it */
        wxp_http_response        resp;
        char                     path[WXP_PATH_MAX]; /* a typed call's filled-in path and query */
        struct { long long at; unsigned tokens; } bucket[2]; /* v2 refunds, failing v3 refunds */
        int                      in_sale;    /* a sale polls on its own: its calls are sent once */
        unsigned                 attempt;    /* of the call in progress (log); 0: its first */
        unsigned                 log_t0;     /* log.now_ms when the exchange began */
        int                      log_open;   /* an exchange was handed to the transport */
        long long                certs_due;  /* wxp_keystore_refresh: the next download (0: now) */
        int                      on_backup;  /* requests go to cfg.backup_host: it took the last */
    } wxp__priv;
} wxp_client;

/* Checks cfg (WXP_E_ARG names the field), loads the key, seeds the random
   source. cfg's strings and keys must outlive the client. Refuses a key store
   that holds the merchant's own serial (a frequent mix-up). */
WXP_API WXP_NODISCARD wxp_err wxp_client_init_sized(wxp_client *c, const wxp_config *cfg, wxp_result *res,
                                                    size_t client_size, size_t pubkey_size);
/* A macro: it passes this file's struct sizes, so a caller built with other
   options than the library (WXP_MAX_RSA_BITS, WXP_PATH_MAX,
   WXP_NO_SYSTEM_RANDOM) gets WXP_E_ARG naming WXP_MAX_RSA_BITS before a byte
   of c is written. */
#define wxp_client_init(c, cfg, res) \
    wxp_client_init_sized((c), (cfg), (res), sizeof(wxp_client), sizeof(wxp_pubkey))
/* Wipes the key and the random state. */
WXP_API void wxp_client_wipe(wxp_client *c);

/* ==== >>v3-call ======================================================= api */

/* The APIv3 Authorization header value for explicit inputs (CLI, tests):
   WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…"
   over METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n. NUL-terminated into out. */
WXP_API WXP_NODISCARD wxp_err wxp_v3_authorization(const wxp_signer_class **signer,
        const char *mchid, const char *serial, const char *method, wxp_str url,
        long long timestamp, wxp_str nonce, wxp_str body, char *out, size_t cap,
        size_t *len, wxp_result *res);

/* One APIv3 call: signs, sends through the transport, verifies the answer
   (always, for 2xx; for others when signed) and, for non-2xx, parses
   {"code","message","detail"} into res (WXP_E_HTTP). path is the URL path with
   its query; body may be empty. res->body is the verified body (a view into
   io_buf, valid until the next call). */
WXP_API WXP_NODISCARD wxp_err wxp_v3_request(wxp_client *c, const char *method,
                                             const char *path, wxp_str body, wxp_result *res);

/* The same call split around the transport, for event-driven stacks:
   prepare signs and fills *req and *resp (pass them to your I/O), finish checks
   the answer exactly as wxp_v3_request does. method, path and body must stay
   valid until finish. */
WXP_API WXP_NODISCARD wxp_err wxp_v3_prepare(wxp_client *c, const char *method,
                                             const char *path, wxp_str body,
                                             const wxp_http_request **req,
                                             wxp_http_response **resp, wxp_result *res);
WXP_API WXP_NODISCARD wxp_err wxp_v3_finish(wxp_client *c, wxp_result *res);

/* Fills {name} placeholders of a path template, percent-encoding each value.
   params: name, value, name, value, ..., NULL. A placeholder without a value is
   WXP_E_ARG naming it. NUL-terminates. */
WXP_API WXP_NODISCARD wxp_err wxp_path_fill(char *out, size_t cap, const char *tmpl,
                                            const char *const *params, size_t *len,
                                            wxp_result *res);

/* Encrypts a sensitive field for the next request under the key the store
   picks, and sets that request's Wechatpay-Serial header to the key's serial. */
WXP_API WXP_NODISCARD wxp_err wxp_client_encrypt(wxp_client *c, wxp_str plain, char *out,
                                                 size_t cap, size_t *len, wxp_result *res);
/* Decrypts a sensitive field of an answer with the merchant key. */
WXP_API WXP_NODISCARD wxp_err wxp_client_decrypt(wxp_client *c, wxp_str b64,
                                                 unsigned char *out, size_t cap,
                                                 size_t *len, wxp_result *res);

/* ==== >>notify ======================================================== api */

/* The four headers of a callback, as received. */
typedef struct wxp_notify_headers { wxp_str timestamp, nonce, signature, serial; } wxp_notify_headers;

typedef struct wxp_notification {
    wxp_str id, create_time, event_type, resource_type, summary;
    wxp_str original_type, algorithm, associated_data, nonce;
    wxp_str plaintext;          /* the decrypted resource (view into plain) */
} wxp_notification;

/* Verifies a callback's signature and clock exactly as an answer's, decrypts
   resource into plain, then asks the replay guard (when configured), so only
   a callback handled to the end is remembered. body is modified (unescaped in
   place); views point into body and plain. */
WXP_API WXP_NODISCARD wxp_err wxp_notify_parse(wxp_client *c, const wxp_notify_headers *h,
                                               char *body, size_t body_len,
                                               unsigned char *plain, size_t plain_cap,
                                               wxp_notification *out, wxp_result *res);

/* The decrypted refund notification: wxp_refund_notify_decode (a model,
   declared with the others below). */

/* What the merchant answers to a callback: success is status 204, no body;
   failure is status 500 with {"code":"FAIL","message":…} written into out. */
WXP_API WXP_NODISCARD wxp_err wxp_notify_answer(int ok, const char *message, char *out,
                                                size_t cap, size_t *len, int *status);

/* ==== >>paysign ======================================================= api */

/* The parameters a JSAPI / mini-program page passes to requestPayment. */
typedef struct wxp_jsapi_params {
    char appId[40], timeStamp[24], nonceStr[WXP_NONCE_LEN + 1];
    char package[160], signType[4];
    char paySign[WXP_SIG_B64_MAX + 1];
} wxp_jsapi_params;
/* paySign over appId\ntimeStamp\nnonceStr\npackage\n, package = "prepay_id=…". */
WXP_API WXP_NODISCARD wxp_err wxp_jsapi_sign(wxp_client *c, const char *appid,
                                             const char *prepay_id, wxp_jsapi_params *out,
                                             wxp_result *res);

/* The parameters an App passes to the WeChat SDK. */
typedef struct wxp_app_params {
    char appid[40], partnerid[40], prepayid[72], package[16];
    char noncestr[WXP_NONCE_LEN + 1], timestamp[24];
    char sign[WXP_SIG_B64_MAX + 1];
} wxp_app_params;
/* sign over appid\ntimestamp\nnoncestr\nprepayid\n; partnerid is the mchid. */
WXP_API WXP_NODISCARD wxp_err wxp_app_sign(wxp_client *c, const char *appid,
                                           const char *prepay_id, wxp_app_params *out,
                                           wxp_result *res);

/* ==== >>models ======================================================== api */

/* Each model is declared once, as a list of fields (X-macro); that list makes
   the struct here and, in the implementation, the table that drives the
   generic validator, encoder and decoder. A row reads:
       X(S, TYPE, name, required, min, max, extra)
   TYPE STR: a string; min/max bound its length in bytes (in characters with
             WXP_CS_TEXT, as the pages that say 字符 mean); extra is a charset.
             In an answer, a required string with min 1 that comes empty is
             WXP_E_NOTFOUND, like a missing one; other bounds are not checked
             on answers (WeChat Pay may lengthen a field).
   TYPE INT: an integer; min/max bound its value (an optional 0 is omitted).
   TYPE BOOL: an int sent as true when nonzero (an optional 0 is omitted:
             false is the API's default); in an answer true is 1.
   TYPE OBJ: a nested object; extra is its model. In a request an optional
             object is sent, and checked, only when one of its fields is set.
   TYPE ARR: an array of objects; min/max bound the count; extra is the model.
   Requests hold `const char *` strings and `const T *` arrays with a count;
   answers hold wxp_str views into io_buf and caller-provided arrays: set
   `name` and `name_cap` before the call, read `name_count` after. More
   elements than room never fails a call WeChat Pay carried out: the first
   `name_cap` are kept, every other field is decoded, and the call returns
   WXP_E_PARTIAL naming the list (result.needed: its length).
   Arrays nest: an element's own array pointer and cap are read from it, so
   zero the elements (or set their arrays) before the call. */
enum { WXP_CS_ANY = 0,      /* any UTF-8 */
       WXP_CS_OUTNO,        /* [0-9A-Za-z_|*@-], merchant request numbers */
       WXP_CS_TRADENO,      /* [0-9A-Za-z_|*-], order numbers (no @, unlike refunds) */
       WXP_CS_TEXT,         /* any UTF-8; min/max count characters, not bytes */
       WXP_CS_DIGITS,       /* [0-9] */
       WXP_CS_ALNUM,        /* [0-9A-Za-z] */
       WXP_CS_ENUM,         /* [A-Z_], WeChat Pay enumerations */
       WXP_CS_HTTPS,        /* https://… without a query, for notify_url */
       WXP_CS_URL };        /* http:// or https://… without a query (APIv2 notify_url) */

#define WXP__REQ_STR(name, x)  const char *name;
#define WXP__REQ_INT(name, x)  long long name;
#define WXP__REQ_BOOL(name, x) int name;
#define WXP__REQ_OBJ(name, T)  T name;
#define WXP__REQ_ARR(name, T)  const T *name; size_t name##_count;
#define WXP__RES_STR(name, x)  wxp_str name;
#define WXP__RES_INT(name, x)  long long name;
#define WXP__RES_BOOL(name, x) int name;
#define WXP__RES_OBJ(name, T)  T name;
#define WXP__RES_ARR(name, T)  T *name; size_t name##_count, name##_cap;
#define WXP__MEMBER_REQ(S, TYPE, name, req, lo, hi, x) WXP__REQ_##TYPE(name, x)
#define WXP__MEMBER_RES(S, TYPE, name, req, lo, hi, x) WXP__RES_##TYPE(name, x)


/* ==== >>v2 ============================================================ api */
#ifndef WXP_NO_V2

/* A flat APIv2 parameter: key and value views. */
typedef struct wxp_kv { wxp_str key, value; } wxp_kv;

enum { WXP_V2_HMAC_SHA256 = 0, WXP_V2_MD5 = 1 };   /* 0: the default */

/* <xml><k>v</k>…</xml> in the given order; a value holding one of < > & " '
   goes in CDATA (a "]]>" inside is split across two sections), as the published
   SDKs write it. Keys must be [A-Za-z0-9_]. NUL-terminates; out NULL measures. */
WXP_API WXP_NODISCARD wxp_err wxp_xml_write(char *out, size_t cap, const wxp_kv *kv, size_t n,
                                            size_t *len, wxp_result *res);
/* Reads WeChat's flat answers: one root element whose children hold text,
   CDATA, the five predefined entities and character references. Anything else
   is WXP_E_PARSE by construction: DOCTYPE, ENTITY, comments, processing
   instructions other than a leading <?xml …?>, attributes, deeper nesting,
   mismatched or unclosed tags, input over WXP_XML_MAX_BYTES. Values are views
   into text, unescaped in place. More children than cap is WXP_E_NOSPACE. */
WXP_API WXP_NODISCARD wxp_err wxp_xml_parse(char *text, size_t len, wxp_kv *out, size_t cap,
                                            size_t *count, wxp_result *res);
/* The value of key in a parsed map, or NULL. */
WXP_API const wxp_str *wxp_kv_get(const wxp_kv *kv, size_t n, const char *key);

/* APIv2 sign: keys sorted by byte value, empty values and "sign" skipped,
   k=v joined with &, then &key=APIV2KEY; MD5 or HMAC-SHA256 keyed with the
   APIv2 key; uppercase hex into out (NUL-terminated, 65 bytes). Duplicate keys
   are WXP_E_ARG. */
WXP_API WXP_NODISCARD wxp_err wxp_v2_sign(const wxp_kv *kv, size_t n, wxp_str apiv2_key,
                                          int sign_type, char out[65], wxp_result *res);
/* Checks the "sign" of a parsed answer or callback in constant time:
   WXP_E_SIGNATURE if absent or wrong, or if an element repeats. sign_type as
   the request used. */
WXP_API WXP_NODISCARD wxp_err wxp_v2_verify(const wxp_kv *kv, size_t n, wxp_str apiv2_key,
                                            int sign_type, wxp_result *res);

/* One APIv2 call: adds mch_id (from the config, unless given), nonce_str,
   sign_type and sign, posts the XML to path, and parses the answer into out
   (views into io_buf). Paths under /secapi/ (or flags & WXP_V2_CERT) carry the
   client certificate for mutual TLS. Errors: WXP_E_V2_RETURN (return_code FAIL:
   result.message has return_msg), WXP_E_SIGNATURE (the answer's sign),
   WXP_E_V2_RESULT (result_code FAIL: result.code has err_code, result.message
   err_code_des). out stays filled on those errors so fields can be read. */
#define WXP_V2_CERT 1u
WXP_API WXP_NODISCARD wxp_err wxp_v2_request(wxp_client *c, const char *path, const wxp_kv *params,
                                             size_t n, unsigned flags, wxp_kv *out, size_t cap,
                                             size_t *count, wxp_result *res);

/* The refund callback's req_info: base64 → AES-256-ECB, key = lowercase hex
   MD5 of the APIv2 key → PKCS#7. out gets the inner XML (parse it with
   wxp_xml_parse). Bad padding or a wrong key: WXP_E_DECRYPT. */
WXP_API WXP_NODISCARD wxp_err wxp_v2_decrypt_req_info(wxp_str apiv2_key, wxp_str req_info,
                                                      unsigned char *out, size_t cap, size_t *len,
                                                      wxp_result *res);
#endif /* WXP_NO_V2 */

/* ==== >>certificates ================================================== api */

/* GET /v3/certificates: decrypts every certificate, adds them to the client's key
   store, and accepts the answer only if one of them verifies it (bootstrap), or,
   when a key already held signed it, only after that key verified it. */
WXP_API WXP_NODISCARD wxp_err wxp_certificates_download(wxp_client *c, wxp_result *res);
/* The same, and then each certificate's PEM (in io_buf, valid during the
   call) is handed to save, once the answer is verified: to store them. */
typedef struct wxp_cert_sink {
    void (*fn)(void *user, const wxp_pubkey *cert, wxp_str pem);
    void *user;
} wxp_cert_sink;
WXP_API WXP_NODISCARD wxp_err wxp_certificates_fetch(wxp_client *c, wxp_cert_sink save, wxp_result *res);

/* Keeps the platform certificates fresh without a heap or a thread, as the
   official Go and Java SDKs do with theirs: call it from the application's
   own loop (each minute, or before each call: most calls do nothing). It
   downloads (wxp_certificates_fetch, save as there) when the key store holds
   no key at all, or holds certificates and the last download by this client
   is WXP_CERT_REFRESH_S old (12 h; 1 h once the newest certificate expires
   within WXP_CERT_RENEW_S, 30 days), on the client's clock. A failed download
   is tried again WXP_CERT_RETRY_S (5 min) later, not on every call. A store
   of public keys only (PUB_KEY_ID_...) needs nothing: 0 downloads.
   *downloaded (may be NULL): 1 when it downloaded. Moving to the public key:
   add it beside the certificates (wxp_keystore_add_pubkey: answers verify
   under whichever key WeChat Pay names), switch on the merchant platform,
   then start a store with the public key only; this call then stops. */
#define WXP_CERT_REFRESH_S (12 * 3600)
#define WXP_CERT_RENEW_S   (30 * 86400)
#define WXP_CERT_RETRY_S   300
WXP_API WXP_NODISCARD wxp_err wxp_keystore_refresh(wxp_client *c, wxp_cert_sink save, int *downloaded,
                                                   wxp_result *res);

#ifdef __cplusplus
}
#endif
#endif /* WECHATPAY_H */

/* ==== >>models (read twice) =========================================== api
   Models and typed calls, one cluster per endpoint: its rows, its structs,
   its descriptor and its declaration. Written once, this part is read twice:
   on the first inclusion it declares (structs, prototypes), and where
   WECHATPAY_IMPLEMENTATION is defined it defines (the tables that drive the
   generic validator, encoder and decoder, each endpoint's constant
   descriptor, and the typed call, which runs the descriptor through
   wxp__call). So wechatpay.h may be included before the implementation is,
   as the stb rule asks. */
#if !defined(WXP__MODELS_DECLARED) || (defined(WECHATPAY_IMPLEMENTATION) && !defined(WXP__MODELS_DEFINED))
#undef WXP__M_DECL
#undef WXP__M_DEF
#undef WXP__C_DECL
#undef WXP__E_DEF
#undef WXP__C_DEF
#ifndef WXP__MODELS_DECLARED
#define WXP__MODELS_DECLARED
#define WXP__M_DECL(T, LIST, KIND) typedef struct T { LIST(WXP__MEMBER_##KIND, T) } T;
#define WXP__C_DECL(name, method, path, Req, Out, rules, flags) \
    WXP_API WXP_NODISCARD wxp_err name(wxp_client *c, const Req *req, Out *out, wxp_result *res);
#else
#define WXP__M_DECL(T, LIST, KIND)
#define WXP__C_DECL(name, method, path, Req, Out, rules, flags)
#endif
#ifdef WECHATPAY_IMPLEMENTATION
#define WXP__MODELS_DEFINED
#ifndef WXP__PREAMBLE_DONE
#define WXP__PREAMBLE_DONE
/* ==== >>config ======================================================= impl */

#include <string.h>
#ifndef WXP_NO_TIME
#include <time.h>
#endif

#ifndef WXP_ASSERT
#if !defined(NDEBUG) && (defined(__GNUC__) || defined(__clang__)) && !defined(__unix__) && \
    !defined(__APPLE__) && !defined(_WIN32)
/* No OS (a board): assert() would print through stdio, and newlib's pulls in
   malloc with it (about 6 KiB). A failed precondition traps instead. */
#define WXP_ASSERT(c) ((c) ? (void)0 : __builtin_trap())
#else
#include <assert.h>
#define WXP_ASSERT(c) assert(c)
#endif
#endif
#ifdef WXP_NO_PRECONDITIONS
#define WXP__REQUIRE(c) ((void)0)
#else
#define WXP__REQUIRE(c) WXP_ASSERT(c)
#endif

#if defined(__GNUC__) || defined(__clang__)
#define WXP__PRIVATE static __attribute__((unused))
#else
#define WXP__PRIVATE static
#endif

/* The one place each default lives (sokol's _sg_def). */
#define WXP__DEF(v, d) ((v) ? (v) : (d))
#define WXP__USER_AGENT "wechatpay.h/" WXP_VERSION " (C99; BearSSL)"
#define WXP__SIGNTEST "WECHATPAY/SIGNTEST/"

/* The tables the models make, and the endpoint descriptors. */
enum { WXP__T_STR = 1, WXP__T_INT, WXP__T_BOOL, WXP__T_OBJ, WXP__T_ARR };

typedef struct wxp__model wxp__model;
/* One row, packed (16 bytes on a 32-bit target, 24 on x86-64): the tables
   are most of a firmware image's read-only data. Each key is an array of its
   own, so a model no call of the image uses leaves its keys out too. */
typedef struct wxp__field {
    const char        *key;
    const wxp__model  *sub;          /* OBJ/ARR: the element's model */
    uint16_t           hi;           /* STR: length; INT: value; ARR: count (WXP__HI) */
    uint16_t           off;          /* the member; ARR: its _count (then _cap) follows it */
    unsigned char      lo, type, req, cs;
} wxp__field;
struct wxp__model { const wxp__field *f; uint16_t n, elem; /* elem: sizeof the struct */ };
/* The upper bounds past 16 bits, each a code of its own (wxp__hi reads them
   back): 65536 (promotion_detail) is 0, 10^6 0xFFFD, 10^8 0xFFFE, the fen cap
   10^11 0xFFFF. Any other bound past 0xFFFC, and any lo past 255, is refused
   at compile time (WXP__KEY). */
#define WXP__HI(v) ((unsigned)((v) == 65536 ? 0 : (v) == WXP__FEN_MAX ? 0xFFFF : (v) == 100000000 ? 0xFFFE : \
                               (v) == 1000000 ? 0xFFFD : (v)))
#define WXP__BOUNDS_OK(lo, hi) ((lo) >= 0 && (lo) <= 255 && ((hi) <= 0xFFFC || (hi) == 65536 || \
                                (hi) == 1000000 || (hi) == 100000000 || (hi) == WXP__FEN_MAX))
/* Where an array's _count lies: right after its pointer (checked per row). */
#define WXP__COUNT_OFF(f) ((size_t)(f)->off + sizeof(void *))

/* One table row per X-macro row; the same lists made the structs. Each row
   also declares its key, and refuses at compile time a model whose members
   lie past what uint16_t offsets reach or an array whose _count does not
   follow its pointer. */
#define WXP__ROW_STR(S, name, req, lo, hi, cs) { S##__k_##name, NULL, WXP__HI(hi), offsetof(S, name), lo, WXP__T_STR, req, cs },
#define WXP__ROW_INT(S, name, req, lo, hi, x)  { S##__k_##name, NULL, WXP__HI(hi), offsetof(S, name), lo, WXP__T_INT, req, 0 },
#define WXP__ROW_BOOL(S, name, req, lo, hi, x) { S##__k_##name, NULL, WXP__HI(hi), offsetof(S, name), lo, WXP__T_BOOL, req, 0 },
#define WXP__ROW_OBJ(S, name, req, lo, hi, T)  { S##__k_##name, &T##__model, WXP__HI(hi), offsetof(S, name), lo, WXP__T_OBJ, req, 0 },
#define WXP__ROW_ARR(S, name, req, lo, hi, T)  { S##__k_##name, &T##__model, WXP__HI(hi), offsetof(S, name), lo, WXP__T_ARR, req, 0 },
#define WXP__ROW(S, TYPE, name, req, lo, hi, x) WXP__ROW_##TYPE(S, name, req, lo, hi, x)
#define WXP__KEY(S, TYPE, name, req, lo, hi, x) static const char S##__k_##name[] = #name; \
    typedef char S##__bounds_of_##name[WXP__BOUNDS_OK(lo, hi) ? 1 : -1]; WXP__KEY_##TYPE(S, name)
#define WXP__KEY_STR(S, name)
#define WXP__KEY_INT(S, name)
#define WXP__KEY_BOOL(S, name)
#define WXP__KEY_OBJ(S, name)
#define WXP__KEY_ARR(S, name) \
    typedef char S##__count_of_##name[offsetof(S, name##_count) == offsetof(S, name) + sizeof(void *) ? 1 : -1];

/* Rules of a model that one table row cannot say (wxp__no_rules: none). */
typedef wxp_err (*wxp__rules_fn)(const void *req, wxp_result *res);

/* How a typed call may repeat itself (WXP__RETRY: config.retry, for calls
   safe to repeat: the same request number), whether it counts against the
   refund rate budget (WXP__RATED). */
enum { WXP__RETRY = 1, WXP__RATED = 2 };

/* One endpoint: everything its typed call knows, made by WXP_CALL or
   WXP_ENDPOINT in its cluster. The path template's {name} is filled from the
   request's field of that name; a GET sends the other fields as its query, a
   POST as its body (APIv3 JSON, APIv2 XML). out: the answer's model
   (wxp__none: no answer, as a 204). */
typedef struct wxp__endpoint {
    const char       *method, *path;
    const wxp__model *req, *out;
    wxp__rules_fn     rules;
    unsigned          flags;
} wxp__endpoint;
static const wxp__model wxp__none__model = { NULL, 0, 0 };
/* The methods as arrays of their own: a literal "POST" would share a
   section with another function's strings and keep them all linked. */
static const char wxp__GET[] = "GET", wxp__POST[] = "POST", wxp__PUT[] = "PUT", wxp__PATCH[] = "PATCH",
                  wxp__DELETE[] = "DELETE";
WXP__PRIVATE wxp_err wxp__call(wxp_client *c, const wxp__endpoint *ep, const void *req, void *out, wxp_result *res);
#ifndef WXP_NO_V2
WXP__PRIVATE wxp_err wxp__v2_typed(wxp_client *c, const wxp__endpoint *ep, const void *req, void *out, wxp_result *res);
#endif
#endif /* WXP__PREAMBLE_DONE */
#define WXP__M_DEF(T, LIST, KIND) \
    typedef char T##__fits_uint16[sizeof(T) < 65536 ? 1 : -1]; \
    LIST(WXP__KEY, T) \
    static const wxp__field T##__fields[] = { LIST(WXP__ROW, T) }; \
    static const wxp__model T##__model = { T##__fields, sizeof T##__fields / sizeof T##__fields[0], sizeof(T) };
#define WXP__E_DEF(name, method, path, Req, Out, rules, flags) \
    WXP__PRIVATE wxp_err rules(const void *req, wxp_result *res); \
    static const char name##__path[] = path; \
    static const wxp__endpoint name##__ep = { wxp__##method, name##__path, &Req##__model, &Out##__model, rules, flags };
#define WXP__C_DEF(run, name, method, path, Req, Out, rules, flags) \
    WXP__E_DEF(name, method, path, Req, Out, rules, flags) \
    WXP_API wxp_err name(wxp_client *c, const Req *req, Out *out, wxp_result *res) \
    { \
        WXP__REQUIRE(c && req && out); \
        return run(c, &name##__ep, req, out, res); \
    }
#else
#define WXP__M_DEF(T, LIST, KIND)
#define WXP__E_DEF(name, method, path, Req, Out, rules, flags)
#define WXP__C_DEF(run, name, method, path, Req, Out, rules, flags)
#endif
#undef WXP_MODEL_REQUEST
#undef WXP_MODEL_RESPONSE
#define WXP_MODEL_REQUEST(T, LIST)  WXP__M_DECL(T, LIST, REQ) WXP__M_DEF(T, LIST, REQ)
#define WXP_MODEL_RESPONSE(T, LIST) WXP__M_DECL(T, LIST, RES) WXP__M_DEF(T, LIST, RES)
/* A typed call: wxp_err name(wxp_client *, const Req *, Out *, wxp_result *),
   declared here and defined (with its descriptor) in the implementation.
   WXP_ENDPOINT makes the descriptor alone, for a call whose public form
   takes plain arguments (its wrapper fills the request and runs wxp__call). */
#undef WXP_CALL
#undef WXP_V2_CALL
#undef WXP_ENDPOINT
#define WXP_CALL(name, method, path, Req, Out, rules, flags) \
    WXP__C_DECL(name, method, path, Req, Out, rules, flags) \
    WXP__C_DEF(wxp__call, name, method, path, Req, Out, rules, flags)
/* The same for an APIv2 endpoint (a POST of signed XML). */
#define WXP_V2_CALL(name, path, Req, Out, rules, flags) \
    WXP__C_DECL(name, POST, path, Req, Out, rules, flags) \
    WXP__C_DEF(wxp__v2_typed, name, POST, path, Req, Out, rules, flags)
#define WXP_ENDPOINT(name, method, path, Req, Out, rules, flags) WXP__E_DEF(name, method, path, Req, Out, rules, flags)

#ifdef __cplusplus
extern "C" {
#endif

#define WXP__FEN_MAX 100000000000LL   /* amounts are fen (0.01 CNY) */

/* ==== >>calls-v3 ====================================================== api */

/* -- POST /v3/refund/domestic/refunds (and the partner variant with sub_mchid) */
#define WXP_REFUND_FROM(X, S) \
    X(S, STR, account, 1, 1, 32, WXP_CS_ENUM) \
    X(S, INT, amount, 1, 1, WXP__FEN_MAX, 0)
WXP_MODEL_REQUEST(wxp_refund_from_req, WXP_REFUND_FROM)
WXP_MODEL_RESPONSE(wxp_refund_from, WXP_REFUND_FROM)

#define WXP_REFUND_REQ_AMOUNT(X, S) \
    X(S, INT, refund, 1, 1, WXP__FEN_MAX, 0) \
    X(S, ARR, from, 0, 0, 16, wxp_refund_from_req) \
    X(S, INT, total, 1, 1, WXP__FEN_MAX, 0) \
    X(S, STR, currency, 0, 3, 16, WXP_CS_ENUM)
WXP_MODEL_REQUEST(wxp_refund_req_amount, WXP_REFUND_REQ_AMOUNT)

#define WXP_REFUND_GOODS(X, S) \
    X(S, STR, merchant_goods_id, 1, 1, 32, WXP_CS_ANY) \
    X(S, STR, wechatpay_goods_id, 0, 1, 32, WXP_CS_ANY) \
    X(S, STR, goods_name, 0, 1, 256, WXP_CS_ANY) \
    X(S, INT, unit_price, 1, 0, WXP__FEN_MAX, 0) \
    X(S, INT, refund_amount, 1, 0, WXP__FEN_MAX, 0) \
    X(S, INT, refund_quantity, 1, 1, 1000000, 0)
WXP_MODEL_REQUEST(wxp_refund_goods_req, WXP_REFUND_GOODS)
WXP_MODEL_RESPONSE(wxp_refund_goods, WXP_REFUND_GOODS)

#define WXP_REFUND_REQ(X, S) \
    X(S, STR, sub_mchid, 0, 1, 32, WXP_CS_DIGITS) \
    X(S, STR, transaction_id, 0, 1, 32, WXP_CS_ALNUM) \
    X(S, STR, out_trade_no, 0, 6, 32, WXP_CS_TRADENO) \
    X(S, STR, out_refund_no, 1, 1, 64, WXP_CS_OUTNO) \
    X(S, STR, reason, 0, 1, 80, WXP_CS_ANY) \
    X(S, STR, notify_url, 0, 9, 256, WXP_CS_HTTPS) \
    X(S, STR, funds_account, 0, 1, 32, WXP_CS_ENUM) \
    X(S, OBJ, amount, 1, 0, 0, wxp_refund_req_amount) \
    X(S, ARR, goods_detail, 0, 0, 100, wxp_refund_goods_req)
/* Rules beyond the table, from the official page (pay.weixin.qq.com/wiki/doc/
   apiv3/apis/chapter3_5_9.shtml) and the Go SDK's AmountReq: one of
   transaction_id / out_trade_no; amount.refund <= amount.total; when from[]
   is given its amounts sum to amount.refund exactly, each account
   (AVAILABLE, UNAVAILABLE) at most once; funds_account, when given, is
   AVAILABLE; currency is required by the page and only "CNY" exists: it is
   always sent, "CNY" unless set. */
WXP_MODEL_REQUEST(wxp_refund_req, WXP_REFUND_REQ)

#define WXP_REFUND_AMOUNT(X, S) \
    X(S, INT, total, 1, 0, WXP__FEN_MAX, 0) \
    X(S, INT, refund, 1, 0, WXP__FEN_MAX, 0) \
    X(S, ARR, from, 0, 0, 16, wxp_refund_from) \
    X(S, INT, payer_total, 1, 0, WXP__FEN_MAX, 0) \
    X(S, INT, payer_refund, 1, 0, WXP__FEN_MAX, 0) \
    X(S, INT, settlement_refund, 1, 0, WXP__FEN_MAX, 0) \
    X(S, INT, settlement_total, 1, 0, WXP__FEN_MAX, 0) \
    X(S, INT, discount_refund, 1, 0, WXP__FEN_MAX, 0) \
    X(S, STR, currency, 1, 1, 16, WXP_CS_ANY) \
    X(S, INT, refund_fee, 0, 0, WXP__FEN_MAX, 0)
WXP_MODEL_RESPONSE(wxp_refund_amount, WXP_REFUND_AMOUNT)

#define WXP_REFUND_PROMOTION(X, S) \
    X(S, STR, promotion_id, 0, 0, 64, WXP_CS_ANY) \
    X(S, STR, scope, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, type, 0, 0, 32, WXP_CS_ANY) \
    X(S, INT, amount, 0, 0, WXP__FEN_MAX, 0) \
    X(S, INT, refund_amount, 0, 0, WXP__FEN_MAX, 0) \
    X(S, ARR, goods_detail, 0, 0, 100, wxp_refund_goods)
WXP_MODEL_RESPONSE(wxp_refund_promotion, WXP_REFUND_PROMOTION)

/* Required here as in the official Go SDK's Refund (no omitempty):
   everything but success_time (SUCCESS only), funds_account, amount.from and
   promotion_detail. A PROCESSING refund has no success_time. */
#define WXP_REFUND(X, S) \
    X(S, STR, refund_id, 1, 1, 64, WXP_CS_ANY) \
    X(S, STR, out_refund_no, 1, 1, 64, WXP_CS_ANY) \
    X(S, STR, transaction_id, 1, 1, 64, WXP_CS_ANY) \
    X(S, STR, out_trade_no, 1, 1, 64, WXP_CS_ANY) \
    X(S, STR, channel, 1, 1, 32, WXP_CS_ANY) \
    X(S, STR, user_received_account, 1, 1, 256, WXP_CS_ANY) \
    X(S, STR, success_time, 0, 0, 64, WXP_CS_ANY) \
    X(S, STR, create_time, 1, 1, 64, WXP_CS_ANY) \
    X(S, STR, status, 1, 1, 32, WXP_CS_ANY) \
    X(S, STR, funds_account, 0, 0, 32, WXP_CS_ANY) \
    X(S, OBJ, amount, 1, 0, 0, wxp_refund_amount) \
    X(S, ARR, promotion_detail, 0, 0, 64, wxp_refund_promotion)
WXP_MODEL_RESPONSE(wxp_refund, WXP_REFUND)
/* Safe to retry (the same out_refund_no is the same refund); each failing
   request spends a token of the refund rate budget. After an error:
   result.sent 0, nothing left (fix the request; any number may be used);
   result.sent 1, the refund may be booked whatever the error: send the same
   out_refund_no again or ask wxp_refund_query, never a new number.
   WXP_E_PARTIAL: booked; a list was longer than its array. */
WXP_CALL(wxp_refund_create, POST, "/v3/refund/domestic/refunds", wxp_refund_req, wxp_refund, wxp__refund_rules,
         WXP__RETRY | WXP__RATED)

/* WeChat Pay's refund rules that a request alone cannot show: an order paid
   more than a year ago cannot be refunded, and one order at most
   WXP_REFUNDS_PER_ORDER_MAX times (APIv2 refundquery's total_refund_count
   says how many it has). wxp_refund_window checks the first, locally, before
   anything is sent: paid_at is the order's success_time (RFC 3339, APIv3
   wxp_transaction) or time_end (yyyyMMddHHmmss, Beijing time, APIv2); now is
   the client's clock. WXP_E_ARG naming "paid_at": not a time, or paid over a
   year ago (the message gives the day the window closed). */
#define WXP_REFUNDS_PER_ORDER_MAX 50
WXP_API WXP_NODISCARD wxp_err wxp_refund_window(wxp_client *c, wxp_str paid_at, wxp_result *res);

/* -- GET /v3/refund/domestic/refunds/{out_refund_no}[?sub_mchid=] */
#define WXP_REFUND_QUERY_REQ(X, S) \
    X(S, STR, out_refund_no, 1, 1, 64, WXP_CS_OUTNO) \
    X(S, STR, sub_mchid, 0, 1, 32, WXP_CS_DIGITS)
WXP_MODEL_REQUEST(wxp_refund_query_req, WXP_REFUND_QUERY_REQ)
WXP_ENDPOINT(wxp_refund_query, GET, "/v3/refund/domestic/refunds/{out_refund_no}", wxp_refund_query_req, wxp_refund,
             wxp__no_rules, WXP__RETRY)
WXP_API WXP_NODISCARD wxp_err wxp_refund_query(wxp_client *c, const char *out_refund_no, const char *sub_mchid,
                                               wxp_refund *out, wxp_result *res);

/* -- POST /v3/refund/domestic/refunds/{refund_id}/apply-abnormal-refund.
   bank_account and real_name must be RSA-OAEP encrypted (wxp_client_encrypt,
   which also sets the Wechatpay-Serial header for this call). */
#define WXP_REFUND_ABNORMAL_REQ(X, S) \
    X(S, STR, refund_id, 1, 1, 32, WXP_CS_ANY) \
    X(S, STR, sub_mchid, 0, 1, 32, WXP_CS_DIGITS) \
    X(S, STR, out_refund_no, 1, 1, 64, WXP_CS_OUTNO) \
    X(S, STR, type, 1, 1, 32, WXP_CS_ENUM) \
    X(S, STR, bank_type, 0, 1, 32, WXP_CS_ANY) \
    X(S, STR, bank_account, 0, 1, 1024, WXP_CS_ANY) \
    X(S, STR, real_name, 0, 1, 1024, WXP_CS_ANY)
WXP_MODEL_REQUEST(wxp_refund_abnormal_req, WXP_REFUND_ABNORMAL_REQ)
/* Not retried: the encrypted fields' Wechatpay-Serial is for one request.
   refund_id goes in the path (the argument; req->refund_id is not read). */
WXP_ENDPOINT(wxp_refund_abnormal, POST, "/v3/refund/domestic/refunds/{refund_id}/apply-abnormal-refund",
             wxp_refund_abnormal_req, wxp_refund, wxp__no_rules, 0)
WXP_API WXP_NODISCARD wxp_err wxp_refund_abnormal(wxp_client *c, const char *refund_id,
                                                  const wxp_refund_abnormal_req *req, wxp_refund *out,
                                                  wxp_result *res);

/* -- POST /v3/marketing/busifavor/coupons/return. Limits: the official page
   (pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter9_2_13.shtml): coupon_code
   string[1,32], stock_id string[1,20], return_request_no string[1,128]. */
#define WXP_COUPON_RETURN_REQ(X, S) \
    X(S, STR, coupon_code, 1, 1, 32, WXP_CS_ANY) \
    X(S, STR, stock_id, 1, 1, 20, WXP_CS_DIGITS) \
    X(S, STR, return_request_no, 1, 1, 128, WXP_CS_OUTNO)
WXP_MODEL_REQUEST(wxp_coupon_return_req, WXP_COUPON_RETURN_REQ)
#define WXP_COUPON_RETURN(X, S) \
    X(S, STR, wechatpay_return_time, 1, 1, 64, WXP_CS_ANY)
WXP_MODEL_RESPONSE(wxp_coupon_return_result, WXP_COUPON_RETURN)
/* Safe to retry: the same return_request_no is the same return. */
WXP_CALL(wxp_coupon_return, POST, "/v3/marketing/busifavor/coupons/return", wxp_coupon_return_req,
         wxp_coupon_return_result, wxp__no_rules, WXP__RETRY)

/* -- POST /v3/marketing/busifavor/subsidy/return-receipts. Limits: the
   official page (pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter9_2_17.shtml):
   transaction_id and refund_id string[28,32], description string[1,1024],
   out_subsidy_return_no string[1,128] of letters, digits and |_*-. */
#define WXP_SUBSIDY_RETURN_REQ(X, S) \
    X(S, STR, stock_id, 1, 1, 20, WXP_CS_DIGITS) \
    X(S, STR, coupon_code, 1, 1, 128, WXP_CS_ANY) \
    X(S, STR, transaction_id, 1, 28, 32, WXP_CS_DIGITS) \
    X(S, STR, refund_id, 1, 28, 32, WXP_CS_DIGITS) \
    X(S, STR, payer_merchant, 1, 1, 32, WXP_CS_DIGITS) \
    X(S, STR, payee_merchant, 1, 1, 32, WXP_CS_DIGITS) \
    X(S, INT, amount, 1, 1, WXP__FEN_MAX, 0) \
    X(S, STR, description, 1, 1, 1024, WXP_CS_ANY) \
    X(S, STR, out_subsidy_return_no, 1, 1, 128, WXP_CS_OUTNO)
WXP_MODEL_REQUEST(wxp_subsidy_return_req, WXP_SUBSIDY_RETURN_REQ)
/* subsidy_return_receipt_id comes only once the return succeeded; status is
   RETURN_RECEIPT_ACCEPTED, RETURN_RECEIPT_SUCCESS or RETURN_RECEIPT_FAIL
   (fail_reason then). */
#define WXP_SUBSIDY_RETURN(X, S) \
    X(S, STR, subsidy_return_receipt_id, 0, 0, 64, WXP_CS_ANY) \
    X(S, STR, stock_id, 0, 0, 20, WXP_CS_ANY) \
    X(S, STR, coupon_code, 0, 0, 128, WXP_CS_ANY) \
    X(S, STR, transaction_id, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, refund_id, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, payer_merchant, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, payee_merchant, 0, 0, 32, WXP_CS_ANY) \
    X(S, INT, amount, 0, 0, WXP__FEN_MAX, 0) \
    X(S, STR, description, 0, 0, 1024, WXP_CS_ANY) \
    X(S, STR, status, 1, 1, 32, WXP_CS_ANY) \
    X(S, STR, fail_reason, 0, 0, 64, WXP_CS_ANY) \
    X(S, STR, return_done_time, 0, 0, 64, WXP_CS_ANY) \
    X(S, STR, subsidy_receipt_id, 0, 0, 64, WXP_CS_ANY) \
    X(S, STR, out_subsidy_return_no, 0, 0, 128, WXP_CS_ANY) \
    X(S, STR, return_create_time, 0, 0, 64, WXP_CS_ANY)
WXP_MODEL_RESPONSE(wxp_subsidy_return_receipt, WXP_SUBSIDY_RETURN)
/* Safe to retry: the same out_subsidy_return_no is the same return. */
WXP_CALL(wxp_subsidy_return, POST, "/v3/marketing/busifavor/subsidy/return-receipts", wxp_subsidy_return_req,
         wxp_subsidy_return_receipt, wxp__no_rules, WXP__RETRY)

/* -- POST /v3/marketing/busifavor/subsidy/pay-receipts and
      GET  /v3/marketing/busifavor/subsidy/pay-receipts/{subsidy_receipt_id} */
#define WXP_SUBSIDY_PAY_REQ(X, S) \
    X(S, STR, stock_id, 1, 1, 20, WXP_CS_DIGITS) \
    X(S, STR, coupon_code, 1, 1, 128, WXP_CS_ANY) \
    X(S, STR, transaction_id, 1, 1, 32, WXP_CS_DIGITS) \
    X(S, STR, payer_merchant, 1, 1, 32, WXP_CS_DIGITS) \
    X(S, STR, payee_merchant, 1, 1, 32, WXP_CS_DIGITS) \
    X(S, INT, amount, 1, 1, WXP__FEN_MAX, 0) \
    X(S, STR, description, 1, 1, 4096, WXP_CS_ANY) \
    X(S, STR, out_subsidy_no, 1, 1, 128, WXP_CS_OUTNO)
WXP_MODEL_REQUEST(wxp_subsidy_pay_req, WXP_SUBSIDY_PAY_REQ)
#define WXP_SUBSIDY_PAY(X, S) \
    X(S, STR, subsidy_receipt_id, 1, 1, 64, WXP_CS_ANY) \
    X(S, STR, stock_id, 0, 0, 20, WXP_CS_ANY) \
    X(S, STR, coupon_code, 0, 0, 128, WXP_CS_ANY) \
    X(S, STR, transaction_id, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, payer_merchant, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, payee_merchant, 0, 0, 32, WXP_CS_ANY) \
    X(S, INT, amount, 0, 0, WXP__FEN_MAX, 0) \
    X(S, STR, description, 0, 0, 4096, WXP_CS_ANY) \
    X(S, STR, status, 1, 1, 32, WXP_CS_ANY) \
    X(S, STR, fail_reason, 0, 0, 64, WXP_CS_ANY) \
    X(S, STR, success_time, 0, 0, 64, WXP_CS_ANY) \
    X(S, STR, out_subsidy_no, 0, 0, 128, WXP_CS_ANY) \
    X(S, STR, create_time, 0, 0, 64, WXP_CS_ANY)
WXP_MODEL_RESPONSE(wxp_subsidy_pay_receipt, WXP_SUBSIDY_PAY)
/* Safe to retry: the same out_subsidy_no is the same payment. */
WXP_CALL(wxp_subsidy_pay, POST, "/v3/marketing/busifavor/subsidy/pay-receipts", wxp_subsidy_pay_req,
         wxp_subsidy_pay_receipt, wxp__no_rules, WXP__RETRY)
#define WXP_SUBSIDY_PAY_QUERY_REQ(X, S) X(S, STR, subsidy_receipt_id, 1, 1, 64, WXP_CS_OUTNO)
WXP_MODEL_REQUEST(wxp_subsidy_pay_query_req, WXP_SUBSIDY_PAY_QUERY_REQ)
WXP_ENDPOINT(wxp_subsidy_pay_query, GET, "/v3/marketing/busifavor/subsidy/pay-receipts/{subsidy_receipt_id}",
             wxp_subsidy_pay_query_req, wxp_subsidy_pay_receipt, wxp__no_rules, WXP__RETRY)
WXP_API WXP_NODISCARD wxp_err wxp_subsidy_pay_query(wxp_client *c, const char *subsidy_receipt_id,
                                                    wxp_subsidy_pay_receipt *out, wxp_result *res);

/* -- Payments (APIv3). Limits and enumerations from the official pages
   (pay.weixin.qq.com/doc/v3/merchant: 4012525167 JSAPI下单, 4012791877 Native
   下单, 4012556352 查询订单, 4012556398 关闭订单; docs/partner: 服务商下单,
   查询, 关单; code-payment-v3: 付款码支付, 撤销) and wechatpay-go's models
   (services/payments, services/partnerpayments). The direct merchant's and
   the service provider's (partner: sp_mchid + sub_mchid) forms each have
   their own models and calls. */

/* ---- what WeChat Pay answers about an order: query, the payment callback,
   code-pay. An unpaid order (NOTPAY) has no transaction_id, payer,
   success_time or payer_total. trade_state: SUCCESS, REFUND, NOTPAY, CLOSED,
   REVOKED (code-pay reversed), USERPAYING (code-pay, the customer is typing
   a password), PAYERROR. trade_type: JSAPI, NATIVE, APP, MICROPAY, MWEB (H5),
   FACEPAY. */
#define WXP_TRANSACTION_PAYER(X, S) X(S, STR, openid, 0, 0, 128, WXP_CS_ANY)
WXP_MODEL_RESPONSE(wxp_transaction_payer, WXP_TRANSACTION_PAYER)
#define WXP_TRANSACTION_AMOUNT(X, S) \
    X(S, INT, total, 0, 0, WXP__FEN_MAX, 0) \
    X(S, INT, payer_total, 0, 0, WXP__FEN_MAX, 0) \
    X(S, STR, currency, 0, 0, 16, WXP_CS_ANY) \
    X(S, STR, payer_currency, 0, 0, 16, WXP_CS_ANY)
WXP_MODEL_RESPONSE(wxp_transaction_amount, WXP_TRANSACTION_AMOUNT)
#define WXP_TRANSACTION_SCENE(X, S) X(S, STR, device_id, 0, 0, 32, WXP_CS_ANY)
WXP_MODEL_RESPONSE(wxp_transaction_scene, WXP_TRANSACTION_SCENE)
#define WXP_PROMOTION_GOODS(X, S) \
    X(S, STR, goods_id, 0, 0, 32, WXP_CS_ANY) \
    X(S, INT, quantity, 0, 0, 100000000, 0) \
    X(S, INT, unit_price, 0, 0, WXP__FEN_MAX, 0) \
    X(S, INT, discount_amount, 0, 0, WXP__FEN_MAX, 0) \
    X(S, STR, goods_remark, 0, 0, 128, WXP_CS_ANY)
WXP_MODEL_RESPONSE(wxp_promotion_goods, WXP_PROMOTION_GOODS)
/* scope GLOBAL or SINGLE; type CASH or NOCASH. */
#define WXP_PROMOTION(X, S) \
    X(S, STR, coupon_id, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, name, 0, 0, 64, WXP_CS_ANY) \
    X(S, STR, scope, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, type, 0, 0, 32, WXP_CS_ANY) \
    X(S, INT, amount, 0, 0, WXP__FEN_MAX, 0) \
    X(S, STR, stock_id, 0, 0, 32, WXP_CS_ANY) \
    X(S, INT, wechatpay_contribute, 0, 0, WXP__FEN_MAX, 0) \
    X(S, INT, merchant_contribute, 0, 0, WXP__FEN_MAX, 0) \
    X(S, INT, other_contribute, 0, 0, WXP__FEN_MAX, 0) \
    X(S, STR, currency, 0, 0, 16, WXP_CS_ANY) \
    X(S, ARR, goods_detail, 0, 0, 1000, wxp_promotion_goods)
WXP_MODEL_RESPONSE(wxp_promotion, WXP_PROMOTION)
#define WXP__TRANSACTION_STATE(X, S) \
    X(S, STR, out_trade_no, 1, 1, 32, WXP_CS_ANY) \
    X(S, STR, transaction_id, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, trade_type, 0, 0, 16, WXP_CS_ANY) \
    X(S, STR, trade_state, 1, 1, 32, WXP_CS_ANY) \
    X(S, STR, trade_state_desc, 0, 0, 256, WXP_CS_ANY) \
    X(S, STR, bank_type, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, attach, 0, 0, 128, WXP_CS_ANY) \
    X(S, STR, success_time, 0, 0, 64, WXP_CS_ANY) \
    X(S, OBJ, amount, 0, 0, 0, wxp_transaction_amount) \
    X(S, OBJ, scene_info, 0, 0, 0, wxp_transaction_scene) \
    X(S, ARR, promotion_detail, 0, 0, 100, wxp_promotion)
#define WXP_TRANSACTION(X, S) \
    X(S, STR, appid, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, mchid, 0, 0, 32, WXP_CS_ANY) \
    WXP__TRANSACTION_STATE(X, S) \
    X(S, OBJ, payer, 0, 0, 0, wxp_transaction_payer)
WXP_MODEL_RESPONSE(wxp_transaction, WXP_TRANSACTION)

#define WXP_PARTNER_PAYER(X, S) \
    X(S, STR, sp_openid, 0, 0, 128, WXP_CS_ANY) \
    X(S, STR, sub_openid, 0, 0, 128, WXP_CS_ANY)
WXP_MODEL_RESPONSE(wxp_partner_payer, WXP_PARTNER_PAYER)
#define WXP_PARTNER_TRANSACTION(X, S) \
    X(S, STR, sp_appid, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, sp_mchid, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, sub_appid, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, sub_mchid, 0, 0, 32, WXP_CS_ANY) \
    WXP__TRANSACTION_STATE(X, S) \
    X(S, OBJ, payer, 0, 0, 0, wxp_partner_payer)
WXP_MODEL_RESPONSE(wxp_partner_transaction, WXP_PARTNER_TRANSACTION)

/* The payment callback (event_type TRANSACTION.SUCCESS), once wxp_notify_parse
   has verified and decrypted it: n->plaintext (modified in place) decoded,
   with the JSON tokens in the client's io_buf (so a callback with many
   promotions still decodes; plain must not lie in io_buf). */
WXP_API WXP_NODISCARD wxp_err wxp_transaction_notify_decode(wxp_client *c, wxp_notification *n,
                                                            wxp_transaction *out, wxp_result *res);
WXP_API WXP_NODISCARD wxp_err wxp_partner_transaction_notify_decode(wxp_client *c, wxp_notification *n,
                                                                    wxp_partner_transaction *out, wxp_result *res);

/* ---- GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=…,
        GET /v3/pay/transactions/id/{transaction_id}?mchid=…,
        POST …/out-trade-no/{out_trade_no}/close {"mchid"} (204, still signed).
   An unpaid order can be queried by out_trade_no only. All safe to repeat. */
#define WXP_TRANSACTION_REF(X, S) \
    X(S, STR, transaction_id, 0, 1, 32, WXP_CS_ALNUM) \
    X(S, STR, out_trade_no, 0, 1, 32, WXP_CS_TRADENO) \
    X(S, STR, mchid, 1, 1, 32, WXP_CS_DIGITS)
WXP_MODEL_REQUEST(wxp_transaction_ref, WXP_TRANSACTION_REF)
WXP_ENDPOINT(wxp_transaction_by_out_trade_no, GET, "/v3/pay/transactions/out-trade-no/{out_trade_no}",
             wxp_transaction_ref, wxp_transaction, wxp__no_rules, WXP__RETRY)
WXP_ENDPOINT(wxp_transaction_by_id, GET, "/v3/pay/transactions/id/{transaction_id}", wxp_transaction_ref,
             wxp_transaction, wxp__no_rules, WXP__RETRY)
WXP_ENDPOINT(wxp_transaction_close, POST, "/v3/pay/transactions/out-trade-no/{out_trade_no}/close",
             wxp_transaction_ref, wxp__none, wxp__no_rules, WXP__RETRY)
WXP_API WXP_NODISCARD wxp_err wxp_transaction_by_out_trade_no(wxp_client *c, const char *out_trade_no,
                                                              wxp_transaction *out, wxp_result *res);
WXP_API WXP_NODISCARD wxp_err wxp_transaction_by_id(wxp_client *c, const char *transaction_id,
                                                    wxp_transaction *out, wxp_result *res);
WXP_API WXP_NODISCARD wxp_err wxp_transaction_close(wxp_client *c, const char *out_trade_no, wxp_result *res);

/* ---- the same for a service provider: GET /v3/pay/partner/transactions/
   {id/{transaction_id} | out-trade-no/{out_trade_no}}?sp_mchid=…&sub_mchid=…,
   POST …/out-trade-no/{out_trade_no}/close {"sp_mchid","sub_mchid"}. sp_mchid
   is config.mchid. */
#define WXP_PARTNER_TRANSACTION_REF(X, S) \
    X(S, STR, transaction_id, 0, 1, 32, WXP_CS_ALNUM) \
    X(S, STR, out_trade_no, 0, 1, 32, WXP_CS_TRADENO) \
    X(S, STR, sp_mchid, 1, 1, 32, WXP_CS_DIGITS) \
    X(S, STR, sub_mchid, 1, 1, 32, WXP_CS_DIGITS)
WXP_MODEL_REQUEST(wxp_partner_transaction_ref, WXP_PARTNER_TRANSACTION_REF)
WXP_ENDPOINT(wxp_partner_transaction_by_out_trade_no, GET,
             "/v3/pay/partner/transactions/out-trade-no/{out_trade_no}", wxp_partner_transaction_ref,
             wxp_partner_transaction, wxp__no_rules, WXP__RETRY)
WXP_ENDPOINT(wxp_partner_transaction_by_id, GET, "/v3/pay/partner/transactions/id/{transaction_id}",
             wxp_partner_transaction_ref, wxp_partner_transaction, wxp__no_rules, WXP__RETRY)
WXP_ENDPOINT(wxp_partner_transaction_close, POST, "/v3/pay/partner/transactions/out-trade-no/{out_trade_no}/close",
             wxp_partner_transaction_ref, wxp__none, wxp__no_rules, WXP__RETRY)
WXP_API WXP_NODISCARD wxp_err wxp_partner_transaction_by_out_trade_no(wxp_client *c, const char *sub_mchid,
                                                                      const char *out_trade_no,
                                                                      wxp_partner_transaction *out,
                                                                      wxp_result *res);
WXP_API WXP_NODISCARD wxp_err wxp_partner_transaction_by_id(wxp_client *c, const char *sub_mchid,
                                                            const char *transaction_id,
                                                            wxp_partner_transaction *out, wxp_result *res);
WXP_API WXP_NODISCARD wxp_err wxp_partner_transaction_close(wxp_client *c, const char *sub_mchid,
                                                            const char *out_trade_no, wxp_result *res);

/* ---- POST /v3/pay/transactions/{jsapi,app,h5,native}: places an order (it is
   booked NOTPAY) and answers what the front end needs to pay it: prepay_id
   (JSAPI and mini program, App; valid 2 hours), h5_url (H5), code_url
   (Native: a QR code, valid 2 hours). appid and mchid default to the
   config's, amount.currency to CNY. Safe to repeat: the same out_trade_no
   with the same fields answers the order's latest prepay_id; with other
   fields WeChat Pay refuses it (INVALID_REQUEST "201 商户订单号重复").
   time_expire is RFC 3339 ("2026-12-03T18:00:00+08:00"); past it the order
   cannot be paid (it stays NOTPAY until closed). JSAPI needs payer.openid, H5
   scene_info with payer_client_ip and h5_info.type (iOS, Android, Wap). */
#define WXP_GOODS_DETAIL_REQ(X, S) \
    X(S, STR, merchant_goods_id, 1, 1, 32, WXP_CS_ANY) \
    X(S, STR, wechatpay_goods_id, 0, 1, 32, WXP_CS_ANY) \
    X(S, STR, goods_name, 0, 1, 256, WXP_CS_ANY) \
    X(S, INT, quantity, 1, 1, 100000000, 0) \
    X(S, INT, unit_price, 1, 0, WXP__FEN_MAX, 0)
WXP_MODEL_REQUEST(wxp_goods_detail_req, WXP_GOODS_DETAIL_REQ)
/* The whole detail, compacted, may not pass 6144 bytes (WeChat Pay checks). */
#define WXP_ORDER_DETAIL_REQ(X, S) \
    X(S, INT, cost_price, 0, 1, WXP__FEN_MAX, 0) \
    X(S, STR, invoice_id, 0, 1, 32, WXP_CS_ANY) \
    X(S, ARR, goods_detail, 0, 0, 100, wxp_goods_detail_req)
WXP_MODEL_REQUEST(wxp_order_detail_req, WXP_ORDER_DETAIL_REQ)
#define WXP_STORE_INFO_REQ(X, S) \
    X(S, STR, id, 1, 1, 32, WXP_CS_ANY) \
    X(S, STR, name, 0, 1, 256, WXP_CS_ANY) \
    X(S, STR, area_code, 0, 1, 32, WXP_CS_ANY) \
    X(S, STR, address, 0, 1, 512, WXP_CS_ANY)
WXP_MODEL_REQUEST(wxp_store_info_req, WXP_STORE_INFO_REQ)
#define WXP_H5_INFO_REQ(X, S) \
    X(S, STR, type, 1, 1, 32, WXP_CS_ANY) \
    X(S, STR, app_name, 0, 1, 64, WXP_CS_ANY) \
    X(S, STR, app_url, 0, 1, 512, WXP_CS_ANY) \
    X(S, STR, bundle_id, 0, 1, 256, WXP_CS_ANY) \
    X(S, STR, package_name, 0, 1, 256, WXP_CS_ANY)
WXP_MODEL_REQUEST(wxp_h5_info_req, WXP_H5_INFO_REQ)
#define WXP_SCENE_INFO_REQ(X, S) \
    X(S, STR, payer_client_ip, 1, 1, 45, WXP_CS_ANY) \
    X(S, STR, device_id, 0, 1, 32, WXP_CS_ANY) \
    X(S, OBJ, store_info, 0, 0, 0, wxp_store_info_req) \
    X(S, OBJ, h5_info, 0, 0, 0, wxp_h5_info_req)
WXP_MODEL_REQUEST(wxp_scene_info_req, WXP_SCENE_INFO_REQ)
#define WXP_PAY_AMOUNT_REQ(X, S) \
    X(S, INT, total, 1, 1, WXP__FEN_MAX, 0) \
    X(S, STR, currency, 0, 1, 16, WXP_CS_ENUM)
WXP_MODEL_REQUEST(wxp_pay_amount_req, WXP_PAY_AMOUNT_REQ)
#define WXP_PAYER_REQ(X, S) X(S, STR, openid, 0, 1, 128, WXP_CS_ANY)
WXP_MODEL_REQUEST(wxp_payer_req, WXP_PAYER_REQ)
#define WXP_SETTLE_INFO_REQ(X, S) X(S, BOOL, profit_sharing, 0, 0, 1, 0)
WXP_MODEL_REQUEST(wxp_settle_info_req, WXP_SETTLE_INFO_REQ)
/* The rows every order placement has after who places it. */
#define WXP__PREPAY_ORDER(X, S) \
    X(S, STR, description, 1, 1, 127, WXP_CS_TEXT) \
    X(S, STR, out_trade_no, 1, 6, 32, WXP_CS_TRADENO) \
    X(S, STR, time_expire, 0, 20, 64, WXP_CS_ANY) \
    X(S, STR, attach, 0, 1, 128, WXP_CS_TEXT) \
    X(S, STR, notify_url, 1, 9, 255, WXP_CS_HTTPS) \
    X(S, STR, goods_tag, 0, 1, 32, WXP_CS_ANY) \
    X(S, BOOL, support_fapiao, 0, 0, 1, 0) \
    X(S, OBJ, amount, 1, 0, 0, wxp_pay_amount_req)
#define WXP__PREPAY_EXTRA(X, S) \
    X(S, OBJ, detail, 0, 0, 0, wxp_order_detail_req) \
    X(S, OBJ, scene_info, 0, 0, 0, wxp_scene_info_req) \
    X(S, OBJ, settle_info, 0, 0, 0, wxp_settle_info_req)
#define WXP_PREPAY_REQ(X, S) \
    X(S, STR, appid, 1, 1, 32, WXP_CS_ALNUM) \
    X(S, STR, mchid, 1, 1, 32, WXP_CS_DIGITS) \
    WXP__PREPAY_ORDER(X, S) \
    X(S, OBJ, payer, 0, 0, 0, wxp_payer_req) \
    WXP__PREPAY_EXTRA(X, S)
WXP_MODEL_REQUEST(wxp_prepay_req, WXP_PREPAY_REQ)
#define WXP_PREPAY(X, S) X(S, STR, prepay_id, 1, 1, 64, WXP_CS_ANY)
WXP_MODEL_RESPONSE(wxp_prepay, WXP_PREPAY)
#define WXP_PREPAY_H5(X, S) X(S, STR, h5_url, 1, 1, 2048, WXP_CS_ANY)
WXP_MODEL_RESPONSE(wxp_prepay_h5, WXP_PREPAY_H5)
#define WXP_PREPAY_NATIVE(X, S) X(S, STR, code_url, 1, 1, 256, WXP_CS_ANY)
WXP_MODEL_RESPONSE(wxp_prepay_native, WXP_PREPAY_NATIVE)
WXP_CALL(wxp_transaction_create_jsapi, POST, "/v3/pay/transactions/jsapi", wxp_prepay_req, wxp_prepay,
         wxp__jsapi_rules, WXP__RETRY)
WXP_CALL(wxp_transaction_create_app, POST, "/v3/pay/transactions/app", wxp_prepay_req, wxp_prepay,
         wxp__prepay_rules, WXP__RETRY)
WXP_CALL(wxp_transaction_create_h5, POST, "/v3/pay/transactions/h5", wxp_prepay_req, wxp_prepay_h5, wxp__h5_rules,
         WXP__RETRY)
WXP_CALL(wxp_transaction_create_native, POST, "/v3/pay/transactions/native", wxp_prepay_req, wxp_prepay_native,
         wxp__prepay_rules, WXP__RETRY)

/* ---- the same for a service provider: POST /v3/pay/partner/transactions/
   {jsapi,app,h5,native}. sp_appid and sp_mchid default to the config's. JSAPI
   needs payer.sp_openid or payer.sub_openid; sub_openid needs sub_appid. */
#define WXP_PARTNER_PAYER_REQ(X, S) \
    X(S, STR, sp_openid, 0, 1, 128, WXP_CS_ANY) \
    X(S, STR, sub_openid, 0, 1, 128, WXP_CS_ANY)
WXP_MODEL_REQUEST(wxp_partner_payer_req, WXP_PARTNER_PAYER_REQ)
#define WXP_PARTNER_PREPAY_REQ(X, S) \
    X(S, STR, sp_appid, 1, 1, 32, WXP_CS_ALNUM) \
    X(S, STR, sp_mchid, 1, 1, 32, WXP_CS_DIGITS) \
    X(S, STR, sub_appid, 0, 1, 32, WXP_CS_ALNUM) \
    X(S, STR, sub_mchid, 1, 1, 32, WXP_CS_DIGITS) \
    WXP__PREPAY_ORDER(X, S) \
    X(S, OBJ, payer, 0, 0, 0, wxp_partner_payer_req) \
    WXP__PREPAY_EXTRA(X, S)
WXP_MODEL_REQUEST(wxp_partner_prepay_req, WXP_PARTNER_PREPAY_REQ)
WXP_CALL(wxp_partner_transaction_create_jsapi, POST, "/v3/pay/partner/transactions/jsapi", wxp_partner_prepay_req,
         wxp_prepay, wxp__partner_jsapi_rules, WXP__RETRY)
WXP_CALL(wxp_partner_transaction_create_app, POST, "/v3/pay/partner/transactions/app", wxp_partner_prepay_req,
         wxp_prepay, wxp__partner_prepay_rules, WXP__RETRY)
WXP_CALL(wxp_partner_transaction_create_h5, POST, "/v3/pay/partner/transactions/h5", wxp_partner_prepay_req,
         wxp_prepay_h5, wxp__partner_h5_rules, WXP__RETRY)
WXP_CALL(wxp_partner_transaction_create_native, POST, "/v3/pay/partner/transactions/native",
         wxp_partner_prepay_req, wxp_prepay_native, wxp__partner_prepay_rules, WXP__RETRY)

/* ---- from the placed order to what the front end needs, in one call: places
   the JSAPI / App order, then signs the parameters the page passes to
   requestPayment (wxp_jsapi_sign) or the App to the WeChat SDK (wxp_app_sign)
   with the order's appid (partner: sub_appid when given, else sp_appid).
   *prepay, when not NULL, gets the answer (a view into io_buf). */
WXP_API WXP_NODISCARD wxp_err wxp_jsapi_checkout(wxp_client *c, const wxp_prepay_req *req, wxp_jsapi_params *out,
                                                 wxp_prepay *prepay, wxp_result *res);
WXP_API WXP_NODISCARD wxp_err wxp_app_checkout(wxp_client *c, const wxp_prepay_req *req, wxp_app_params *out,
                                               wxp_prepay *prepay, wxp_result *res);
WXP_API WXP_NODISCARD wxp_err wxp_partner_jsapi_checkout(wxp_client *c, const wxp_partner_prepay_req *req,
                                                         wxp_jsapi_params *out, wxp_prepay *prepay,
                                                         wxp_result *res);

/* ---- POST /v3/pay/transactions/codepay (付款码支付, APIv3): the terminal scans
   the customer's payment code. 200 with trade_state SUCCESS is paid; 202 with
   USERPAYING means the customer is typing a password: poll the order
   (wxp_transaction_by_out_trade_no) every 5 s for 30 s, then reverse.
   wxp_pos_sale_v3 does all of it. Not retried: a lost answer is settled by
   query or reverse, never by paying again. */
#define WXP_CODEPAY_PAYER_REQ(X, S) X(S, STR, auth_code, 1, 18, 32, WXP_CS_DIGITS)
WXP_MODEL_REQUEST(wxp_codepay_payer_req, WXP_CODEPAY_PAYER_REQ)
#define WXP_CODEPAY_STORE_REQ(X, S) \
    X(S, STR, id, 0, 1, 32, WXP_CS_ANY) \
    X(S, STR, out_id, 0, 1, 32, WXP_CS_ANY)
WXP_MODEL_REQUEST(wxp_codepay_store_req, WXP_CODEPAY_STORE_REQ)
#define WXP_CODEPAY_SCENE_REQ(X, S) \
    X(S, STR, device_id, 0, 1, 32, WXP_CS_ANY) \
    X(S, STR, device_ip, 0, 1, 45, WXP_CS_ANY) \
    X(S, OBJ, store_info, 1, 0, 0, wxp_codepay_store_req)
WXP_MODEL_REQUEST(wxp_codepay_scene_req, WXP_CODEPAY_SCENE_REQ)
#define WXP__CODEPAY_ORDER(X, S) \
    X(S, STR, description, 1, 1, 127, WXP_CS_TEXT) \
    X(S, STR, out_trade_no, 1, 6, 32, WXP_CS_TRADENO) \
    X(S, STR, attach, 0, 1, 128, WXP_CS_TEXT) \
    X(S, STR, goods_tag, 0, 1, 32, WXP_CS_ANY) \
    X(S, BOOL, support_fapiao, 0, 0, 1, 0) \
    X(S, OBJ, payer, 1, 0, 0, wxp_codepay_payer_req) \
    X(S, OBJ, amount, 1, 0, 0, wxp_pay_amount_req) \
    X(S, OBJ, scene_info, 1, 0, 0, wxp_codepay_scene_req) \
    X(S, OBJ, detail, 0, 0, 0, wxp_order_detail_req) \
    X(S, OBJ, settle_info, 0, 0, 0, wxp_settle_info_req)
#define WXP_CODEPAY_REQ(X, S) \
    X(S, STR, appid, 1, 1, 32, WXP_CS_ALNUM) \
    X(S, STR, mchid, 1, 1, 32, WXP_CS_DIGITS) \
    WXP__CODEPAY_ORDER(X, S)
/* payer.auth_code: the customer's payment code, digits starting 10 to 15. */
WXP_MODEL_REQUEST(wxp_codepay_req, WXP_CODEPAY_REQ)
WXP_CALL(wxp_transaction_codepay, POST, "/v3/pay/transactions/codepay", wxp_codepay_req, wxp_transaction,
         wxp__codepay_rules, 0)
/* The service provider's: POST /v3/pay/partner/transactions/codepay, with
   sp_appid and sp_mchid (the config's), sub_mchid and optionally sub_appid. */
#define WXP_PARTNER_CODEPAY_REQ(X, S) \
    X(S, STR, sp_appid, 1, 1, 32, WXP_CS_ALNUM) \
    X(S, STR, sp_mchid, 1, 1, 32, WXP_CS_DIGITS) \
    X(S, STR, sub_appid, 0, 1, 32, WXP_CS_ALNUM) \
    X(S, STR, sub_mchid, 1, 1, 32, WXP_CS_DIGITS) \
    WXP__CODEPAY_ORDER(X, S)
WXP_MODEL_REQUEST(wxp_partner_codepay_req, WXP_PARTNER_CODEPAY_REQ)
WXP_CALL(wxp_partner_transaction_codepay, POST, "/v3/pay/partner/transactions/codepay", wxp_partner_codepay_req,
         wxp_partner_transaction, wxp__partner_codepay_rules, 0)

/* ---- POST /v3/pay/transactions/out-trade-no/{out_trade_no}/reverse
   {"appid","mchid"} (撤销): a code-pay order not paid is closed; one paid is
   refunded to the customer. Answers 200 {appid, mchid, out_trade_no}. As
   WeChat Pay asks, wxp_pos_sale_v3 reverses no sooner than 15 s after paying. */
#define WXP_REVERSE_REQ(X, S) \
    X(S, STR, out_trade_no, 1, 1, 32, WXP_CS_TRADENO) \
    X(S, STR, appid, 1, 1, 32, WXP_CS_ALNUM) \
    X(S, STR, mchid, 1, 1, 32, WXP_CS_DIGITS)
WXP_MODEL_REQUEST(wxp_reverse_req, WXP_REVERSE_REQ)
#define WXP_REVERSE(X, S) \
    X(S, STR, appid, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, mchid, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, out_trade_no, 1, 1, 32, WXP_CS_ANY)
WXP_MODEL_RESPONSE(wxp_reverse_result, WXP_REVERSE)
WXP_ENDPOINT(wxp_transaction_reverse, POST, "/v3/pay/transactions/out-trade-no/{out_trade_no}/reverse",
             wxp_reverse_req, wxp_reverse_result, wxp__no_rules, 0)
WXP_API WXP_NODISCARD wxp_err wxp_transaction_reverse(wxp_client *c, const char *out_trade_no,
                                                      wxp_reverse_result *out, wxp_result *res);
/* The service provider's: POST /v3/pay/partner/transactions/out-trade-no/
   {out_trade_no}/reverse {"sp_mchid","sub_mchid"} (sp_mchid: the config's),
   answering 200 {sp_mchid, sub_mchid, out_trade_no}. */
#define WXP_PARTNER_REVERSE(X, S) \
    X(S, STR, sp_appid, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, sp_mchid, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, sub_appid, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, sub_mchid, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, out_trade_no, 1, 1, 32, WXP_CS_ANY)
WXP_MODEL_RESPONSE(wxp_partner_reverse_result, WXP_PARTNER_REVERSE)
WXP_ENDPOINT(wxp_partner_transaction_reverse, POST,
             "/v3/pay/partner/transactions/out-trade-no/{out_trade_no}/reverse", wxp_partner_transaction_ref,
             wxp_partner_reverse_result, wxp__no_rules, 0)
WXP_API WXP_NODISCARD wxp_err wxp_partner_transaction_reverse(wxp_client *c, const char *sub_mchid,
                                                              const char *out_trade_no,
                                                              wxp_partner_reverse_result *out, wxp_result *res);

/* -- the decrypted refund notification (REFUND.SUCCESS / ABNORMAL / CLOSED) */
#define WXP_REFUND_NOTIFY_AMOUNT(X, S) \
    X(S, INT, total, 1, 0, WXP__FEN_MAX, 0) \
    X(S, INT, refund, 1, 0, WXP__FEN_MAX, 0) \
    X(S, INT, payer_total, 1, 0, WXP__FEN_MAX, 0) \
    X(S, INT, payer_refund, 1, 0, WXP__FEN_MAX, 0)
WXP_MODEL_RESPONSE(wxp_refund_notify_amount, WXP_REFUND_NOTIFY_AMOUNT)
#define WXP_REFUND_NOTIFY(X, S) \
    X(S, STR, mchid, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, sp_mchid, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, sub_mchid, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, out_trade_no, 1, 1, 32, WXP_CS_ANY) \
    X(S, STR, transaction_id, 1, 1, 32, WXP_CS_ANY) \
    X(S, STR, out_refund_no, 1, 1, 64, WXP_CS_ANY) \
    X(S, STR, refund_id, 1, 1, 32, WXP_CS_ANY) \
    X(S, STR, refund_status, 1, 1, 16, WXP_CS_ANY) \
    X(S, STR, success_time, 0, 0, 64, WXP_CS_ANY) \
    X(S, STR, user_received_account, 0, 0, 64, WXP_CS_ANY) \
    X(S, OBJ, amount, 1, 0, 0, wxp_refund_notify_amount)
WXP_MODEL_RESPONSE(wxp_refund_notify, WXP_REFUND_NOTIFY)
/* Decodes n->plaintext (a wxp_notify_parse result; modified in place). */
WXP_API WXP_NODISCARD wxp_err wxp_refund_notify_decode(wxp_notification *n, wxp_refund_notify *out,
                                                       wxp_result *res);

/* The layers under the calls, usable without a client. Encoding validates
   first; buf NULL measures (*len). */
WXP_API WXP_NODISCARD wxp_err wxp_refund_req_encode(char *buf, size_t cap, const wxp_refund_req *req,
                                                    size_t *len, wxp_result *res);
WXP_API WXP_NODISCARD wxp_err wxp_refund_decode(char *json, size_t len, wxp_refund *out, wxp_result *res);


/* ==== >>media-bill ==================================================== api */

/* POST /v3/merchant/media/upload (path NULL) or another upload path such as
   /v3/marketing/favor/media/image-upload: multipart/form-data with a `meta`
   part {"filename","sha256"} and the file; the signature covers the meta JSON
   only. The whole body is built in io_buf (it needs the file size plus about
   400 bytes). *id gets media_id, or media_url for the marketing upload. The
   content type follows the file name (jpg, jpeg, png, bmp, mp4). */
WXP_API WXP_NODISCARD wxp_err wxp_media_upload(wxp_client *c, const char *path, const char *filename,
                                               const void *data, size_t len, wxp_str *id, wxp_result *res);

#define WXP_BILL(X, S) \
    X(S, STR, hash_type, 1, 1, 16, WXP_CS_ANY) \
    X(S, STR, hash_value, 1, 1, 128, WXP_CS_ANY) \
    X(S, STR, download_url, 1, 1, 2048, WXP_CS_ANY)
WXP_MODEL_RESPONSE(wxp_bill, WXP_BILL)
#define WXP_BILL_REQ(X, S) \
    X(S, STR, bill_date, 1, 10, 10, WXP_CS_ANY) \
    X(S, STR, sub_mchid, 0, 1, 32, WXP_CS_DIGITS) \
    X(S, STR, bill_type, 0, 1, 16, WXP_CS_ENUM) \
    X(S, STR, account_type, 0, 1, 16, WXP_CS_ENUM) \
    X(S, STR, tar_type, 0, 1, 8, WXP_CS_ENUM)
WXP_MODEL_REQUEST(wxp_bill_req, WXP_BILL_REQ)
WXP_ENDPOINT(wxp_bill_trade, GET, "/v3/bill/tradebill", wxp_bill_req, wxp_bill, wxp__bill_rules, WXP__RETRY)
WXP_ENDPOINT(wxp_bill_fundflow, GET, "/v3/bill/fundflowbill", wxp_bill_req, wxp_bill, wxp__bill_rules, WXP__RETRY)

/* GET /v3/bill/tradebill?bill_date=YYYY-MM-DD[&bill_type=ALL|SUCCESS|REFUND]
   [&tar_type=GZIP][&sub_mchid=…] and GET /v3/bill/fundflowbill?bill_date=…
   [&account_type=BASIC|OPERATION|FEES][&tar_type=GZIP]. NULL leaves a
   parameter out (WeChat Pay's defaults: ALL, BASIC, not compressed). */
WXP_API WXP_NODISCARD wxp_err wxp_bill_trade(wxp_client *c, const char *bill_date, const char *bill_type,
                                             const char *tar_type, const char *sub_mchid, wxp_bill *out,
                                             wxp_result *res);
WXP_API WXP_NODISCARD wxp_err wxp_bill_fundflow(wxp_client *c, const char *bill_date, const char *account_type,
                                                const char *tar_type, wxp_bill *out, wxp_result *res);
/* Downloads bill->download_url (signed request; the answer is not signed, so
   the bytes are checked against hash_value, SHA1 or SHA256, instead). The
   bytes go to sink as they arrive, so a large bill needs no large buffer;
   WXP_E_HASH at the end means they must be thrown away. With tar_type=GZIP
   they are the gzip file as delivered: the library does not inflate it. bill
   may be the answer of wxp_bill_trade as it is (views into io_buf): what this
   call needs is copied before io_buf is reused. */
WXP_API WXP_NODISCARD wxp_err wxp_bill_download(wxp_client *c, const wxp_bill *bill,
                                                void (*sink)(void *user, const void *data, size_t len),
                                                void *user, wxp_result *res);

/* ==== >>calls-v2 ====================================================== api */
#ifndef WXP_NO_V2
/* -- APIv2 typed calls. The same X-macro rows as the APIv3 models; an ARR row
   is an indexed list: its fields arrive as key_$n (key_$n_$m one level down),
   as refund answers send coupon_type_0, coupon_refund_fee_0, ...; an INT row
   named ..._count right before an ARR row is its count, and must agree with
   the elements found (a gap in the indexes is WXP_E_NOTFOUND, a count that
   disagrees WXP_E_RANGE: never a silently short list). The fields nonce_str,
   sign and mch_id are the library's; sign_type is config.v2_sign_type unless
   a request sets it ("MD5" or "HMAC-SHA256": some endpoints take only one). */

/* The rows every APIv2 request about an order starts with: the app and (for a
   service provider) the sub-merchant, then the order by one of its two ids. */
#define WXP__V2_PAYEE(X, S) \
    X(S, STR, appid, 1, 1, 32, WXP_CS_ANY) \
    X(S, STR, sub_appid, 0, 1, 32, WXP_CS_ANY) \
    X(S, STR, sub_mch_id, 0, 1, 32, WXP_CS_DIGITS)
#define WXP_V2_ORDER_REF(X, S) WXP__V2_PAYEE(X, S) \
    X(S, STR, transaction_id, 0, 1, 32, WXP_CS_ALNUM) \
    X(S, STR, out_trade_no, 0, 1, 32, WXP_CS_TRADENO)
/* The last row of every APIv2 request (last: positional initialisers of the
   rows before it stay valid): "MD5" or "HMAC-SHA256" for this call. */
#define WXP__V2_SIGN_TYPE(X, S) X(S, STR, sign_type, 0, 3, 11, WXP_CS_ANY)

/* Limits: the official refund pages (pay.weixin.qq.com/wiki/doc/api/
   micropay.php?chapter=9_4 and danpin.php?chapter=9_103 for refundv2). */
#define WXP_V2_REFUND_REQ(X, S) WXP_V2_ORDER_REF(X, S) \
    X(S, STR, out_refund_no, 1, 1, 64, WXP_CS_OUTNO) \
    X(S, INT, total_fee, 1, 1, WXP__FEN_MAX, 0) \
    X(S, INT, refund_fee, 1, 1, WXP__FEN_MAX, 0) \
    X(S, STR, refund_fee_type, 0, 3, 8, WXP_CS_ENUM) \
    X(S, STR, refund_desc, 0, 1, 80, WXP_CS_ANY) \
    X(S, STR, refund_account, 0, 1, 32, WXP_CS_ENUM) \
    X(S, STR, notify_url, 0, 9, 256, WXP_CS_URL) \
    X(S, STR, detail, 0, 1, 6000, WXP_CS_ANY) \
    WXP__V2_SIGN_TYPE(X, S)
/* detail (the single-item JSON) is required by refundv2 and not sent by refund.
   notify_url: reachable from outside, no query (it overrides the one set on
   the merchant platform). Orders paid over a year ago cannot be refunded
   (wxp_refund_window), nor more than WXP_REFUNDS_PER_ORDER_MAX times. */
WXP_MODEL_REQUEST(wxp_v2_refund_req, WXP_V2_REFUND_REQ)

#define WXP_V2_COUPON(X, S) \
    X(S, STR, coupon_type, 0, 0, 16, WXP_CS_ANY) \
    X(S, INT, coupon_refund_fee, 0, 0, WXP__FEN_MAX, 0) \
    X(S, STR, coupon_refund_id, 0, 0, 64, WXP_CS_ANY)
WXP_MODEL_RESPONSE(wxp_v2_coupon, WXP_V2_COUPON)

#define WXP__V2_PROTOCOL(X, S) \
    X(S, STR, return_code, 0, 0, 16, WXP_CS_ANY) \
    X(S, STR, return_msg, 0, 0, 128, WXP_CS_ANY) \
    X(S, STR, result_code, 0, 0, 16, WXP_CS_ANY) \
    X(S, STR, err_code, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, err_code_des, 0, 0, 128, WXP_CS_ANY)
#define WXP_V2_REFUND(X, S) WXP__V2_PROTOCOL(X, S) \
    X(S, STR, appid, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, mch_id, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, sub_appid, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, sub_mch_id, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, transaction_id, 1, 1, 32, WXP_CS_ANY) \
    X(S, STR, out_trade_no, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, out_refund_no, 1, 1, 64, WXP_CS_ANY) \
    X(S, STR, refund_id, 1, 1, 32, WXP_CS_ANY) \
    X(S, INT, refund_fee, 1, 0, WXP__FEN_MAX, 0) \
    X(S, INT, settlement_refund_fee, 0, 0, WXP__FEN_MAX, 0) \
    X(S, INT, total_fee, 1, 0, WXP__FEN_MAX, 0) \
    X(S, INT, settlement_total_fee, 0, 0, WXP__FEN_MAX, 0) \
    X(S, STR, fee_type, 0, 0, 8, WXP_CS_ANY) \
    X(S, INT, cash_fee, 0, 0, WXP__FEN_MAX, 0) \
    X(S, STR, cash_fee_type, 0, 0, 8, WXP_CS_ANY) \
    X(S, INT, cash_refund_fee, 0, 0, WXP__FEN_MAX, 0) \
    X(S, INT, coupon_refund_fee, 0, 0, WXP__FEN_MAX, 0) \
    X(S, INT, coupon_refund_count, 0, 0, 1000, 0) \
    X(S, ARR, coupon, 0, 0, 1000, wxp_v2_coupon) \
    X(S, STR, promotion_detail, 0, 0, 65536, WXP_CS_ANY)
WXP_MODEL_RESPONSE(wxp_v2_refund_result, WXP_V2_REFUND)

#define WXP_V2_REFUNDQUERY_REQ(X, S) WXP_V2_ORDER_REF(X, S) \
    X(S, STR, out_refund_no, 0, 1, 64, WXP_CS_OUTNO) \
    X(S, STR, refund_id, 0, 1, 32, WXP_CS_ALNUM) \
    X(S, INT, offset, 0, 0, 1000, 0) \
    WXP__V2_SIGN_TYPE(X, S)
/* One of transaction_id, out_trade_no, out_refund_no, refund_id is required. */
WXP_MODEL_REQUEST(wxp_v2_refundquery_req, WXP_V2_REFUNDQUERY_REQ)

#define WXP_V2_REFUND_ITEM(X, S) \
    X(S, STR, out_refund_no, 0, 0, 64, WXP_CS_ANY) \
    X(S, STR, refund_id, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, refund_channel, 0, 0, 16, WXP_CS_ANY) \
    X(S, INT, refund_fee, 0, 0, WXP__FEN_MAX, 0) \
    X(S, INT, settlement_refund_fee, 0, 0, WXP__FEN_MAX, 0) \
    X(S, INT, coupon_refund_fee, 0, 0, WXP__FEN_MAX, 0) \
    X(S, INT, coupon_refund_count, 0, 0, 1000, 0) \
    X(S, ARR, coupon, 0, 0, 1000, wxp_v2_coupon) \
    X(S, STR, refund_status, 0, 0, 16, WXP_CS_ANY) \
    X(S, STR, refund_account, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, refund_recv_accout, 0, 0, 64, WXP_CS_ANY) \
    X(S, STR, refund_success_time, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, promotion_detail, 0, 0, 65536, WXP_CS_ANY)
WXP_MODEL_RESPONSE(wxp_v2_refund_item, WXP_V2_REFUND_ITEM)

/* refund_count: the refunds in this answer (at most 10 a page: offset pages
   on); total_refund_count: all of the order's, which WeChat Pay caps at
   WXP_REFUNDS_PER_ORDER_MAX. */
#define WXP_V2_REFUNDQUERY(X, S) WXP__V2_PROTOCOL(X, S) \
    X(S, STR, appid, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, mch_id, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, sub_appid, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, sub_mch_id, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, transaction_id, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, out_trade_no, 0, 0, 32, WXP_CS_ANY) \
    X(S, INT, total_fee, 0, 0, WXP__FEN_MAX, 0) \
    X(S, INT, settlement_total_fee, 0, 0, WXP__FEN_MAX, 0) \
    X(S, STR, fee_type, 0, 0, 8, WXP_CS_ANY) \
    X(S, INT, cash_fee, 0, 0, WXP__FEN_MAX, 0) \
    X(S, INT, total_refund_count, 0, 0, 1000000, 0) \
    X(S, INT, refund_count, 1, 0, 1000, 0) \
    X(S, ARR, refunds, 0, 0, 1000, wxp_v2_refund_item)
WXP_MODEL_RESPONSE(wxp_v2_refundquery_result, WXP_V2_REFUNDQUERY)

/* POST /secapi/pay/refund and /secapi/pay/refundv2 (single-item discounts,
   detail required), both with the client certificate; POST /pay/refundquery.
   Validation as for APIv3 (WXP_E_ARG naming the field; nothing sent); answer
   errors as wxp_v2_request (out is filled only on WXP_OK); indexed lists go
   into the caller's arrays. config.retry applies: the same request (the same
   out_refund_no) is sent again after no answer (WXP_E_TRANSPORT,
   WXP_E_TIMEOUT), a 5xx, or SYSTEMERROR / BIZERR_NEED_RETRY / FREQUENCY_LIMITED.
   After an error as for wxp_refund_create: result.sent 1 means the refund
   may be booked (the same out_refund_no again, or wxp_v2_refundquery);
   WXP_E_PARTIAL means booked, with a coupon list longer than its array. */
WXP_ENDPOINT(wxp_v2_refund, POST, "/secapi/pay/refund", wxp_v2_refund_req, wxp_v2_refund_result,
             wxp__v2_refund_rules, WXP__RETRY | WXP__RATED)
WXP_ENDPOINT(wxp_v2_refundv2, POST, "/secapi/pay/refundv2", wxp_v2_refund_req, wxp_v2_refund_result,
             wxp__v2_refund_rules, WXP__RETRY | WXP__RATED)
WXP_API WXP_NODISCARD wxp_err wxp_v2_refund(wxp_client *c, const wxp_v2_refund_req *req, wxp_v2_refund_result *out,
                                            wxp_result *res);
WXP_API WXP_NODISCARD wxp_err wxp_v2_refundv2(wxp_client *c, const wxp_v2_refund_req *req, wxp_v2_refund_result *out,
                                              wxp_result *res);
WXP_V2_CALL(wxp_v2_refundquery, "/pay/refundquery", wxp_v2_refundquery_req, wxp_v2_refundquery_result,
            wxp__v2_refundquery_rules, WXP__RETRY)
/* -- The APIv2 refund callback (退款结果通知): an XML body whose req_info,
   AES-256-ECB under the MD5 of the APIv2 key, holds the refund. Fields from
   the official page (pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_16). */
#define WXP_V2_REFUND_NOTIFY(X, S) \
    X(S, STR, transaction_id, 1, 1, 32, WXP_CS_ANY) \
    X(S, STR, out_trade_no, 1, 1, 32, WXP_CS_ANY) \
    X(S, STR, refund_id, 1, 1, 32, WXP_CS_ANY) \
    X(S, STR, out_refund_no, 1, 1, 64, WXP_CS_ANY) \
    X(S, INT, total_fee, 1, 0, WXP__FEN_MAX, 0) \
    X(S, INT, settlement_total_fee, 0, 0, WXP__FEN_MAX, 0) \
    X(S, INT, refund_fee, 1, 0, WXP__FEN_MAX, 0) \
    X(S, INT, settlement_refund_fee, 1, 0, WXP__FEN_MAX, 0) \
    X(S, STR, refund_status, 1, 1, 16, WXP_CS_ANY) \
    X(S, STR, success_time, 0, 0, 20, WXP_CS_ANY) \
    X(S, STR, refund_recv_accout, 1, 1, 64, WXP_CS_ANY) \
    X(S, STR, refund_account, 1, 1, 30, WXP_CS_ANY) \
    X(S, STR, refund_request_source, 1, 1, 30, WXP_CS_ANY)
/* refund_status SUCCESS, CHANGE (abnormal: the merchant platform or
   wxp_refund_abnormal) or REFUNDCLOSE; success_time only on SUCCESS. */
WXP_MODEL_RESPONSE(wxp_v2_refund_notify, WXP_V2_REFUND_NOTIFY)
/* Decodes a refund callback's body (in place: views into body and io_buf):
   return_code must be SUCCESS and mch_id the client's, then req_info is
   decrypted into io_buf and its fields into out. There is no sign: only the
   APIv2 key authenticates it (a req_info that does not decrypt to the
   expected XML is WXP_E_DECRYPT). Answer WeChat Pay with
   <xml><return_code>SUCCESS</return_code></xml> once the refund is stored. */
WXP_API WXP_NODISCARD wxp_err wxp_v2_refund_notify_decode(wxp_client *c, char *body, size_t len,
                                                          wxp_v2_refund_notify *out, wxp_result *res);

/* POST /pay/refundqueryv2: the same for single-item discount orders, each
   refund's promotion_detail (JSON) included. */
WXP_V2_CALL(wxp_v2_refundqueryv2, "/pay/refundqueryv2", wxp_v2_refundquery_req, wxp_v2_refundquery_result,
            wxp__v2_refundquery_rules, WXP__RETRY)

/* ==== >>pos =========================================================== api */

/* -- The POS sale: barcode payment (付款码支付) over APIv2.
   POST /pay/micropay, POST /pay/orderquery, POST /secapi/pay/reverse. */
#define WXP_MICROPAY_REQ(X, S) WXP__V2_PAYEE(X, S) \
    X(S, STR, device_info, 0, 1, 32, WXP_CS_ANY) \
    X(S, STR, body, 1, 1, 128, WXP_CS_ANY) \
    X(S, STR, detail, 0, 1, 6000, WXP_CS_ANY) \
    X(S, STR, attach, 0, 1, 127, WXP_CS_ANY) \
    X(S, STR, out_trade_no, 1, 1, 32, WXP_CS_TRADENO) \
    X(S, INT, total_fee, 1, 1, WXP__FEN_MAX, 0) \
    X(S, STR, fee_type, 0, 3, 16, WXP_CS_ENUM) \
    X(S, STR, spbill_create_ip, 1, 7, 64, WXP_CS_ANY) \
    X(S, STR, goods_tag, 0, 1, 32, WXP_CS_ANY) \
    X(S, STR, limit_pay, 0, 1, 32, WXP_CS_ANY) \
    X(S, STR, time_start, 0, 14, 14, WXP_CS_DIGITS) \
    X(S, STR, time_expire, 0, 14, 14, WXP_CS_DIGITS) \
    X(S, STR, auth_code, 1, 18, 18, WXP_CS_DIGITS) \
    X(S, STR, scene_info, 0, 1, 256, WXP_CS_ANY) \
    WXP__V2_SIGN_TYPE(X, S)
/* auth_code: the customer's payment code, 18 digits starting 10 to 15. */
WXP_MODEL_REQUEST(wxp_micropay_req, WXP_MICROPAY_REQ)

/* What micropay and orderquery answer about the payment. */
#define WXP_V2_ORDER(X, S) \
    X(S, STR, appid, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, mch_id, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, device_info, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, openid, 0, 0, 128, WXP_CS_ANY) \
    X(S, STR, is_subscribe, 0, 0, 1, WXP_CS_ANY) \
    X(S, STR, trade_type, 0, 0, 16, WXP_CS_ANY) \
    X(S, STR, trade_state, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, trade_state_desc, 0, 0, 256, WXP_CS_ANY) \
    X(S, STR, bank_type, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, fee_type, 0, 0, 8, WXP_CS_ANY) \
    X(S, INT, total_fee, 0, 0, WXP__FEN_MAX, 0) \
    X(S, INT, settlement_total_fee, 0, 0, WXP__FEN_MAX, 0) \
    X(S, INT, coupon_fee, 0, 0, WXP__FEN_MAX, 0) \
    X(S, STR, cash_fee_type, 0, 0, 8, WXP_CS_ANY) \
    X(S, INT, cash_fee, 0, 0, WXP__FEN_MAX, 0) \
    X(S, STR, transaction_id, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, out_trade_no, 0, 0, 32, WXP_CS_ANY) \
    X(S, STR, attach, 0, 0, 128, WXP_CS_ANY) \
    X(S, STR, time_end, 0, 0, 14, WXP_CS_ANY) \
    X(S, STR, promotion_detail, 0, 0, 65536, WXP_CS_ANY)
WXP_MODEL_RESPONSE(wxp_v2_order, WXP_V2_ORDER)

/* Names an order for orderquery and reverse: one of the two ids. */
#define WXP_V2_ORDER_REF_REQ(X, S) WXP_V2_ORDER_REF(X, S) WXP__V2_SIGN_TYPE(X, S)
WXP_MODEL_REQUEST(wxp_v2_order_ref, WXP_V2_ORDER_REF_REQ)

/* recall is required: a reverse that does not say N may have to be repeated. */
#define WXP_V2_REVERSE(X, S) X(S, STR, recall, 1, 1, 1, WXP_CS_ANY)
WXP_MODEL_RESPONSE(wxp_v2_reverse_result, WXP_V2_REVERSE)

/* Not retried: a lost micropay answer is settled by wxp_pos_sale (query, reverse). */
WXP_V2_CALL(wxp_v2_micropay, "/pay/micropay", wxp_micropay_req, wxp_v2_order, wxp__micropay_rules, 0)
WXP_V2_CALL(wxp_v2_orderquery, "/pay/orderquery", wxp_v2_order_ref, wxp_v2_order, wxp__order_ref_rules, WXP__RETRY)
/* Mutual TLS. recall "Y" means: call reverse again (wxp_pos_sale does). */
WXP_V2_CALL(wxp_v2_reverse, "/secapi/pay/reverse", wxp_v2_order_ref, wxp_v2_reverse_result, wxp__order_ref_rules, 0)

#endif /* WXP_NO_V2 */

/* -- The whole sale a terminal drives to the end, over APIv2 (wxp_pos_sale:
   micropay, orderquery, reverse with mutual TLS) or APIv3 (wxp_pos_sale_v3:
   codepay, the query by out_trade_no, reverse); the terminal chooses by the
   call it makes, the state machine is the same. After the payment answers
   USERPAYING (the customer is typing a password), a system or bank error, or
   nothing that can be trusted, it polls the order every poll_interval_ms
   until total_wait_s has passed; a sale it cannot confirm is reversed, and
   reverse is repeated while WeChat Pay asks (APIv2 recall=Y; a 5xx or
   USERPAYING). A definite refusal (not enough money, an expired code, ...)
   is reversed too, so the order is closed. As WeChat Pay asks, the first
   reverse waits until reverse_after_s (15 s) have passed since paying.
   The outcome is always one of PAID (transaction_id set), REVERSED (not paid;
   money, if any moved, goes back), or UNKNOWN (reverse could not be confirmed:
   reconcile later with orderquery; last_error and err_code say what is known).
   NOT_SENT means the payment never left (result.sent is 0): refused locally
   (WXP_E_ARG, WXP_E_NOSPACE, WXP_E_RANDOM...) or by the TLS handshake
   (WXP_E_TLS, the transport's word that no byte left). Once it was handed to
   the transport the outcome is never NOT_SENT: an answer that does not
   verify, parse or decode is confirmed by a query, then reversed. */
#ifndef WXP__SALE_TYPES /* this part is read twice: types once */
#define WXP__SALE_TYPES
enum { WXP_SALE_NOT_SENT = 0, WXP_SALE_PAID, WXP_SALE_REVERSED, WXP_SALE_UNKNOWN };

typedef struct wxp_sale_config {
    unsigned total_wait_s;          /* 0 -> 30, the official guidance */
    unsigned poll_interval_ms;      /* 0 -> 5000 */
    unsigned reverse_attempts;      /* 0 -> 5 */
    unsigned reverse_interval_ms;   /* 0 -> 1000 */
    unsigned reverse_after_s;       /* 0 -> 15: no reverse sooner after micropay */
    void (*sleep)(void *user, unsigned ms);             /* required */
    void (*on_state)(void *user, const char *state);    /* optional: each step, for the display */
    void *user;
} wxp_sale_config;

typedef struct wxp_sale {
    int      outcome;               /* WXP_SALE_* */
    char     transaction_id[40];    /* PAID */
    char     trade_state[24];       /* the last trade_state seen */
    char     err_code[48];          /* the last err_code seen */
    unsigned queries, reverses;
    wxp_err  last_error;            /* of the last call made */
} wxp_sale;
#endif


/* Returns as wxp_pos_sale. UNKNOWN ends with the last call's error, or
   WXP_E_HTTP when codepay refused the number as used and the order under it
   is paid (a reverse would refund it: err_code says what WeChat Pay
   answered), or WXP_E_RANGE with err_code TOTAL_MISMATCH (paid, another
   amount). A number refused as used whose order is not paid is REVERSED with
   no reverse sent. No client certificate is needed. */
WXP_API WXP_NODISCARD wxp_err wxp_pos_sale_v3(wxp_client *c, const wxp_codepay_req *req, const wxp_sale_config *sc,
                                              wxp_sale *out, wxp_result *res);

#ifndef WXP_NO_V2
/* Returns WXP_OK once the sale reached PAID or REVERSED. NOT_SENT (result.sent
   0) returns the error that stopped micropay before it left (WXP_E_ARG also
   when config.client_cert is missing: a sale may need a reverse): fix it and
   sell again, with the same out_trade_no or a new one. Otherwise the outcome
   is UNKNOWN with an error: the last call's, or WXP_E_V2_RESULT with err_code
   ORDERPAID (the number was paid before: a reverse would refund it) or
   TOTAL_FEE_MISMATCH (paid, another amount); do not take the money again:
   reconcile with orderquery (or the bill) before the customer leaves, and
   reverse or refund by hand. A number used by another order
   (OUT_TRADE_NO_USED) is REVERSED with no reverse sent: this customer was not
   charged. */
WXP_API WXP_NODISCARD wxp_err wxp_pos_sale(wxp_client *c, const wxp_micropay_req *req, const wxp_sale_config *sc,
                                           wxp_sale *out, wxp_result *res);
#endif /* WXP_NO_V2 */

#ifdef __cplusplus
}
#endif
#endif /* >>models */


/* ========================================================================== */
/*                              IMPLEMENTATION                                */
/* ========================================================================== */
#if defined(WECHATPAY_IMPLEMENTATION) && !defined(WECHATPAY_IMPLEMENTATION_INCLUDED)
#define WECHATPAY_IMPLEMENTATION_INCLUDED

/* ==== >>basics ======================================================= impl */

WXP_API const char *wxp_strerror(wxp_err e)
{
#ifdef WXP_NO_ERROR_STRINGS
    (void)e;
    return "";
#else
    /* One array rather than a table of literals: an image that never calls
       wxp_strerror links none of its text (3 KB; literals share a section). */
#define WXP__STR(name, msg) "WXP_" #name ": " msg "\0"
    static const char text[] = WXP_ERRORS(WXP__STR);
#undef WXP__STR
    const char *s = text;
    unsigned i;
    if ((unsigned)e >= (unsigned)WXP_ERR_COUNT) return "unknown wxp_err";
    for (i = 0; i < (unsigned)e; i++) s += strlen(s) + 1;
    return s;
#endif
}

WXP_API const char *wxp_errname(wxp_err e)
{
#define WXP__NAME(name, msg) "WXP_" #name,
    static const char *const names[] = { WXP_ERRORS(WXP__NAME) };
#undef WXP__NAME
    return (unsigned)e < (unsigned)WXP_ERR_COUNT ? names[e] : "WXP_UNKNOWN";
}

WXP_API wxp_str wxp_cstr(const char *s)
{
    wxp_str v;
    v.ptr = s ? s : "";
    v.len = s ? strlen(s) : 0;
    return v;
}

/* Bounded copy that always terminates (diagnostic strings only). */
WXP__PRIVATE void wxp__copy(char *dst, size_t cap, const char *src, size_t n)
{
    if (cap == 0) return;
    if (n >= cap) n = cap - 1;
    if (n) memcpy(dst, src, n);
    dst[n] = 0;
}

WXP__PRIVATE void wxp__append(char *dst, size_t cap, const char *src, size_t n)
{
    size_t l = strlen(dst);
    if (l < cap) wxp__copy(dst + l, cap - l, src, n);
}

WXP__PRIVATE void wxp__res_clear(wxp_result *res)
{
    if (res) memset(res, 0, sizeof *res);
}

/* Records an error: the field at fault and a message, both optional. */
WXP__PRIVATE wxp_err wxp__fail(wxp_result *res, wxp_err e, const char *field, const char *msg)
{
    if (res) {
        if (field) wxp__copy(res->field, sizeof res->field, field, strlen(field));
        if (msg) wxp__copy(res->message, sizeof res->message, msg, strlen(msg));
    }
    return e;
}
#ifdef WXP_NO_ERROR_STRINGS /* result.message stays empty: the messages are not linked */
#define wxp__fail(res, e, field, msg) (wxp__fail)((res), (e), (field), NULL)
#define WXP__MESSAGES 0 /* nor the code that composes the longer ones */
#else
#define WXP__MESSAGES 1
#endif

/* WeChat Pay's probe (a signature starting WECHATPAY/SIGNTEST/): it must
   never verify, and says so with its own error. */
WXP__PRIVATE int wxp__signtest(wxp_str sig, wxp_result *res)
{
    size_t n = sizeof WXP__SIGNTEST - 1;
    if (sig.len < n || memcmp(sig.ptr, WXP__SIGNTEST, n) != 0) return 0;
    (void)wxp__fail(res, WXP_E_SIGNTEST, "Wechatpay-Signature", "WeChat Pay's signature probe: a client must refuse it");
    return 1;
}

WXP__PRIVATE wxp_err wxp__nospace(wxp_result *res, size_t needed, const char *field)
{
    if (res) res->needed = needed;
    return wxp__fail(res, WXP_E_NOSPACE, field, "output buffer too small");
}

/* Secrets leave no copy behind: a volatile store the compiler cannot drop. */
WXP__PRIVATE void wxp__wipe(void *p, size_t n)
{
    volatile unsigned char *v = (volatile unsigned char *)p;
    while (n--) *v++ = 0;
}

/* Constant-time equality of two byte strings of the same length. */
WXP__PRIVATE int wxp__ct_equal(const void *a, const void *b, size_t n)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    unsigned char d = 0;
    size_t i;
    for (i = 0; i < n; i++) d |= (unsigned char)(x[i] ^ y[i]);
    return d == 0;
}

WXP__PRIVATE int wxp__lower(int ch)
{
    return (ch >= 'A' && ch <= 'Z') ? ch + 32 : ch;
}

WXP__PRIVATE int wxp__ieq(const char *a, size_t an, const char *b)
{
    size_t i;
    for (i = 0; i < an; i++)
        if (!b[i] || wxp__lower((unsigned char)a[i]) != wxp__lower((unsigned char)b[i])) return 0;
    return b[an] == 0;
}

WXP__PRIVATE int wxp__str_eq(wxp_str a, const char *b)
{
    size_t n = strlen(b);
    return a.len == n && memcmp(a.ptr, b, n) == 0;
}

/* Decimal text of v into out (>= 21 bytes); returns the length. */
WXP__PRIVATE size_t wxp__itoa(char *out, long long v)
{
    char tmp[24];
    size_t n = 0, i;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do { tmp[n++] = (char)('0' + (int)(u % 10)); u /= 10; } while (u);
    i = 0;
    if (v < 0) out[i++] = '-';
    while (n) out[i++] = tmp[--n];
    out[i] = 0;
    return i;
}

/* Hex of n bytes into out (2n + 1 bytes, NUL-terminated). */
WXP__PRIVATE void wxp__hex(char *out, const unsigned char *d, size_t n, int upper)
{
    const char *digit = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    size_t i;
    for (i = 0; i < n; i++) {
        out[2 * i] = digit[d[i] >> 4];
        out[2 * i + 1] = digit[d[i] & 15];
    }
    out[2 * n] = 0;
}

/* A non-negative decimal with no sign, no space, no overflow. */
WXP__PRIVATE int wxp__parse_uint(const char *s, size_t n, long long *out)
{
    long long v = 0;
    size_t i;
    if (n == 0 || n > 18) return 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

/* ==== >>base64 ======================================================= impl */

static const char wxp__b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

WXP__PRIVATE wxp_err wxp__b64_encode(char *dst, size_t cap, const void *src, size_t n, size_t *len)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t need = WXP_B64_LEN(n), i, o = 0;
    if (len) *len = need;
    if (!dst) return WXP_OK;
    if (cap < need) return WXP_E_NOSPACE;
    for (i = 0; i + 2 < n; i += 3) {
        unsigned long v = ((unsigned long)s[i] << 16) | ((unsigned long)s[i + 1] << 8) | s[i + 2];
        dst[o++] = wxp__b64[(v >> 18) & 63];
        dst[o++] = wxp__b64[(v >> 12) & 63];
        dst[o++] = wxp__b64[(v >> 6) & 63];
        dst[o++] = wxp__b64[v & 63];
    }
    if (i < n) {
        unsigned long v = (unsigned long)s[i] << 16;
        if (i + 1 < n) v |= (unsigned long)s[i + 1] << 8;
        dst[o++] = wxp__b64[(v >> 18) & 63];
        dst[o++] = wxp__b64[(v >> 12) & 63];
        dst[o++] = i + 1 < n ? wxp__b64[(v >> 6) & 63] : '=';
        dst[o++] = '=';
    }
    if (o < cap) dst[o] = 0;
    return WXP_OK;
}

WXP__PRIVATE int wxp__b64_val(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

WXP__PRIVATE wxp_err wxp__b64_decode(void *dst, size_t cap, const char *src, size_t n, size_t *len)
{
    unsigned char *d = (unsigned char *)dst;
    size_t pad = 0, need, i, o = 0;
    if (len) *len = 0;
    if (n % 4 != 0) return WXP_E_BASE64;
    if (n && src[n - 1] == '=') pad++;
    if (n > 1 && src[n - 2] == '=') pad++;
    need = n / 4 * 3 - pad;
    if (len) *len = need;
    if (dst && need > cap) return WXP_E_NOSPACE; /* before a byte is written */
    for (i = 0; i < n; i += 4) {
        int a = wxp__b64_val((unsigned char)src[i]), b = wxp__b64_val((unsigned char)src[i + 1]);
        int c = wxp__b64_val((unsigned char)src[i + 2]), e = wxp__b64_val((unsigned char)src[i + 3]);
        int last = i + 4 == n;
        unsigned long v;
        if (a < 0 || b < 0) return WXP_E_BASE64;
        if (c < 0 && !(last && pad == 2)) return WXP_E_BASE64;
        if (e < 0 && !(last && pad >= 1)) return WXP_E_BASE64;
        /* Canonical: the bits that padding drops must be zero. */
        if (last && pad == 2 && (b & 15)) return WXP_E_BASE64;
        if (last && pad == 1 && (c & 3)) return WXP_E_BASE64;
        v = ((unsigned long)a << 18) | ((unsigned long)b << 12) |
            ((unsigned long)(c < 0 ? 0 : c) << 6) | (unsigned long)(e < 0 ? 0 : e);
        if (dst) {
            d[o] = (unsigned char)(v >> 16);
            if (!(last && pad == 2)) d[o + 1] = (unsigned char)(v >> 8);
            if (!(last && pad >= 1)) d[o + 2] = (unsigned char)v;
        }
        o += 3;
    }
    return WXP_OK;
}

WXP_API wxp_err wxp_base64_encode(char *dst, size_t cap, const void *src, size_t n, size_t *len)
{
    return wxp__b64_encode(dst, cap, src, n, len);
}

WXP_API wxp_err wxp_base64_decode(void *dst, size_t cap, const char *src, size_t n, size_t *len)
{
    return wxp__b64_decode(dst, cap, src, n, len);
}

/* ==== >>utf8 ========================================================= impl */

/* Length of the well-formed UTF-8 sequence at s (no overlongs, no surrogates,
   nothing past U+10FFFF), or 0. */
WXP__PRIVATE size_t wxp__utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return (n >= 2 && (s[1] & 0xC0) == 0x80) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && s[1] < 0xA0) return 0;
        if (c == 0xED && s[1] >= 0xA0) return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90) return 0;
        if (c == 0xF4 && s[1] >= 0x90) return 0;
        return 4;
    }
    return 0;
}

/* Encodes a code point (a JSON u-escape, an XML character reference) as
   UTF-8 at o; returns its length. */
WXP__PRIVATE size_t wxp__utf8_put(char *o, unsigned long cp)
{
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 63)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 63));
        o[2] = (char)(0x80 | (cp & 63));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 63));
    o[2] = (char)(0x80 | ((cp >> 6) & 63)); o[3] = (char)(0x80 | (cp & 63));
    return 4;
}

/* ==== >>json ========================================================= impl */

WXP_API void wxp_jw_init(wxp_json_writer *w, char *buf, size_t cap)
{
    WXP__REQUIRE(w);
    memset(w, 0, sizeof *w);
    w->buf = buf;
    w->cap = buf ? cap : 0;
    w->first = 1;
}

WXP__PRIVATE void wxp__jw_put(wxp_json_writer *w, const char *s, size_t n)
{
    if (n && w->len + n <= w->cap) memcpy(w->buf + w->len, s, n);
    w->len += n; /* past cap it only counts, so finish can report the need */
}

/* Separator before a value or key; refuses a value where a key is due. */
WXP__PRIVATE int wxp__jw_pre(wxp_json_writer *w, int is_key)
{
    uint32_t bit = (uint32_t)1 << w->depth;
    int in_obj = (w->in_object & bit) != 0;
    if (w->err) return 0;
    if (w->after_key) {
        if (is_key) { w->err = WXP_E_ARG; return 0; }
        w->after_key = 0;
        return 1;
    }
    if (in_obj != is_key) { w->err = WXP_E_ARG; return 0; }
    if (!(w->first & bit)) {
        if (w->depth == 0) { w->err = WXP_E_ARG; return 0; } /* one root value */
        wxp__jw_put(w, ",", 1);
    }
    w->first &= ~bit;
    return 1;
}

WXP__PRIVATE void wxp__jw_open(wxp_json_writer *w, char ch, int obj)
{
    uint32_t bit;
    if (!wxp__jw_pre(w, 0)) return;
    if (w->depth + 1 >= 32) { w->err = WXP_E_ARG; return; }
    wxp__jw_put(w, &ch, 1);
    w->depth++;
    bit = (uint32_t)1 << w->depth;
    w->first |= bit;
    if (obj) w->in_object |= bit; else w->in_object &= ~bit;
}

WXP__PRIVATE void wxp__jw_close(wxp_json_writer *w, char ch, int obj)
{
    uint32_t bit = (uint32_t)1 << w->depth;
    if (w->err) return;
    if (w->depth == 0 || w->after_key || ((w->in_object & bit) != 0) != obj) {
        w->err = WXP_E_ARG;
        return;
    }
    wxp__jw_put(w, &ch, 1);
    w->depth--;
}

WXP_API void wxp_jw_object_begin(wxp_json_writer *w) { wxp__jw_open(w, '{', 1); }
WXP_API void wxp_jw_object_end(wxp_json_writer *w) { wxp__jw_close(w, '}', 1); }
WXP_API void wxp_jw_array_begin(wxp_json_writer *w) { wxp__jw_open(w, '[', 0); }
WXP_API void wxp_jw_array_end(wxp_json_writer *w) { wxp__jw_close(w, ']', 0); }

/* The string body, escaped as JSON.stringify does. */
WXP__PRIVATE void wxp__jw_quoted(wxp_json_writer *w, wxp_str s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s.ptr;
    size_t i = 0, run = 0;
    wxp__jw_put(w, "\"", 1);
    while (i < s.len) {
        unsigned c = p[i];
        const char *esc = 0;
        char u[6];
        size_t k;
        if (c >= 0x80) {
            k = wxp__utf8_seq(p + i, s.len - i);
            if (!k) { w->err = WXP_E_ARG; return; }
            i += k;
            continue;
        }
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default: break;
        }
        if (!esc && c >= 0x20) { i++; continue; }
        wxp__jw_put(w, s.ptr + run, i - run);
        if (esc) wxp__jw_put(w, esc, 2);
        else {
            u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0';
            u[4] = hex[c >> 4]; u[5] = hex[c & 15];
            wxp__jw_put(w, u, 6);
        }
        run = ++i;
    }
    wxp__jw_put(w, s.ptr + run, i - run);
    wxp__jw_put(w, "\"", 1);
}

WXP_API void wxp_jw_key(wxp_json_writer *w, const char *key)
{
    if (!wxp__jw_pre(w, 1)) return;
    wxp__jw_quoted(w, wxp_cstr(key));
    wxp__jw_put(w, ":", 1);
    w->after_key = 1;
}

WXP_API void wxp_jw_string(wxp_json_writer *w, wxp_str s)
{
    if (!s.ptr) s.ptr = ""; /* the empty view of a zeroed wxp_str */
    if (!wxp__jw_pre(w, 0)) return;
    wxp__jw_quoted(w, s);
}

WXP_API void wxp_jw_cstring(wxp_json_writer *w, const char *s) { wxp_jw_string(w, wxp_cstr(s)); }

WXP_API void wxp_jw_int(wxp_json_writer *w, long long v)
{
    char num[24];
    size_t n = wxp__itoa(num, v);
    if (!wxp__jw_pre(w, 0)) return;
    wxp__jw_put(w, num, n);
}

WXP_API void wxp_jw_bool(wxp_json_writer *w, int v)
{
    if (!wxp__jw_pre(w, 0)) return;
    if (v) wxp__jw_put(w, "true", 4); else wxp__jw_put(w, "false", 5);
}

WXP_API void wxp_jw_null(wxp_json_writer *w)
{
    if (!wxp__jw_pre(w, 0)) return;
    wxp__jw_put(w, "null", 4);
}

WXP__PRIVATE wxp_err wxp__jw_finish(wxp_json_writer *w, size_t *len, wxp_result *res)
{
    if (len) *len = w->len;
    if (w->err) return wxp__fail(res, w->err, "json", "invalid JSON construction or UTF-8");
    if (w->depth != 0 || (w->first & 1u))
        return wxp__fail(res, WXP_E_ARG, "json", "unbalanced JSON: an object or array is open");
    if (w->buf && w->len <= w->cap) {
        if (w->len < w->cap) w->buf[w->len] = 0;
        return WXP_OK;
    }
    if (!w->buf) return WXP_OK; /* measuring */
    return wxp__nospace(res, w->len, "json");
}

/* -- the reader -- */

#define WXP__TOK_KEY 1u
#define WXP__TOK_ESC 2u

typedef struct wxp__jp {
    const char   *s;
    size_t        n, i, count;
    wxp_json_tok *tok;
    size_t        cap;
    const char   *why;
} wxp__jp;

WXP__PRIVATE void wxp__jp_ws(wxp__jp *p)
{
    while (p->i < p->n) {
        char c = p->s[p->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->i++;
    }
}

WXP__PRIVATE size_t wxp__jp_tok(wxp__jp *p, unsigned type, size_t start)
{
    size_t t = p->count++;
    if (p->tok && t < p->cap) {
        p->tok[t].type = (uint16_t)type;
        p->tok[t].flags = 0;
        p->tok[t].start = (uint32_t)start;
        p->tok[t].len = 0;
        p->tok[t].next = (uint32_t)(t + 1);
    }
    return t;
}

WXP__PRIVATE void wxp__jp_end(wxp__jp *p, size_t t, size_t end)
{
    if (p->tok && t < p->cap) {
        p->tok[t].len = (uint32_t)(end - p->tok[t].start);
        p->tok[t].next = (uint32_t)p->count;
    }
}

WXP__PRIVATE int wxp__hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    int i;
    for (i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

/* A string token: validates escapes and UTF-8; unescaping waits for a read. */
WXP__PRIVATE int wxp__jp_string(wxp__jp *p, unsigned flags)
{
    size_t t, start;
    unsigned esc = 0;
    p->i++; /* opening quote */
    start = p->i;
    t = wxp__jp_tok(p, WXP_JSON_STRING, start);
    for (;;) {
        unsigned char c;
        if (p->i >= p->n) { p->why = "unterminated string"; return 0; }
        c = (unsigned char)p->s[p->i];
        if (c == '"') break;
        if (c < 0x20) { p->why = "control character in string"; return 0; }
        if (c == '\\') {
            char e;
            esc = WXP__TOK_ESC;
            if (p->i + 1 >= p->n) { p->why = "unterminated escape"; return 0; }
            e = p->s[p->i + 1];
            if (e == 'u') {
                unsigned u, lo;
                if (p->i + 6 > p->n || !wxp__hex4(p->s + p->i + 2, &u)) {
                    p->why = "bad \\u escape";
                    return 0;
                }
                p->i += 6;
                if (u >= 0xDC00 && u <= 0xDFFF) { p->why = "lone low surrogate"; return 0; }
                if (u >= 0xD800 && u <= 0xDBFF) {
                    if (p->i + 6 > p->n || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u' ||
                        !wxp__hex4(p->s + p->i + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                        p->why = "lone high surrogate";
                        return 0;
                    }
                    p->i += 6;
                }
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || e == 0) { p->why = "bad escape"; return 0; }
            p->i += 2;
            continue;
        }
        if (c >= 0x80) {
            size_t k = wxp__utf8_seq((const unsigned char *)p->s + p->i, p->n - p->i);
            if (!k) { p->why = "invalid UTF-8"; return 0; }
            p->i += k;
            continue;
        }
        p->i++;
    }
    wxp__jp_end(p, t, p->i);
    if (p->tok && t < p->cap) p->tok[t].flags = (uint16_t)(flags | esc);
    p->i++; /* closing quote */
    return 1;
}

WXP__PRIVATE int wxp__jp_digits(wxp__jp *p)
{
    size_t s = p->i;
    while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    return p->i > s;
}

WXP__PRIVATE int wxp__jp_number(wxp__jp *p)
{
    size_t t = wxp__jp_tok(p, WXP_JSON_NUMBER, p->i);
    if (p->s[p->i] == '-') p->i++;
    if (p->i < p->n && p->s[p->i] == '0') p->i++;
    else if (!wxp__jp_digits(p)) { p->why = "bad number"; return 0; }
    if (p->i < p->n && p->s[p->i] == '.') {
        p->i++;
        if (!wxp__jp_digits(p)) { p->why = "bad fraction"; return 0; }
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-')) p->i++;
        if (!wxp__jp_digits(p)) { p->why = "bad exponent"; return 0; }
    }
    wxp__jp_end(p, t, p->i);
    return 1;
}

WXP__PRIVATE int wxp__jp_value(wxp__jp *p, unsigned depth)
{
    char c;
    if (p->i >= p->n) { p->why = "unexpected end"; return 0; }
    c = p->s[p->i];
    if (c == '{' || c == '[') {
        int obj = c == '{';
        char close = obj ? '}' : ']';
        size_t t;
        if (depth >= WXP_JSON_MAX_DEPTH) { p->why = "nesting deeper than WXP_JSON_MAX_DEPTH"; return 0; }
        t = wxp__jp_tok(p, obj ? WXP_JSON_OBJECT : WXP_JSON_ARRAY, p->i);
        p->i++;
        wxp__jp_ws(p);
        if (p->i < p->n && p->s[p->i] == close) {
            p->i++;
            wxp__jp_end(p, t, p->i);
            return 1;
        }
        for (;;) {
            if (obj) {
                if (p->i >= p->n || p->s[p->i] != '"') { p->why = "expected a key"; return 0; }
                if (!wxp__jp_string(p, WXP__TOK_KEY)) return 0;
                wxp__jp_ws(p);
                if (p->i >= p->n || p->s[p->i] != ':') { p->why = "expected ':'"; return 0; }
                p->i++;
                wxp__jp_ws(p);
            }
            if (!wxp__jp_value(p, depth + 1)) return 0;
            wxp__jp_ws(p);
            if (p->i >= p->n) { p->why = "unexpected end"; return 0; }
            if (p->s[p->i] == ',') { p->i++; wxp__jp_ws(p); continue; }
            if (p->s[p->i] == close) { p->i++; break; }
            p->why = obj ? "expected ',' or '}'" : "expected ',' or ']'";
            return 0;
        }
        wxp__jp_end(p, t, p->i);
        return 1;
    }
    if (c == '"') return wxp__jp_string(p, 0);
    if (c == '-' || (c >= '0' && c <= '9')) return wxp__jp_number(p);
    {
        static const char *const lit[] = { "true", "false", "null" };
        static const unsigned type[] = { WXP_JSON_TRUE, WXP_JSON_FALSE, WXP_JSON_NULL };
        int k;
        for (k = 0; k < 3; k++) {
            size_t l = strlen(lit[k]);
            if (p->n - p->i >= l && memcmp(p->s + p->i, lit[k], l) == 0) {
                size_t t = wxp__jp_tok(p, type[k], p->i);
                p->i += l;
                wxp__jp_end(p, t, p->i);
                return 1;
            }
        }
    }
    p->why = "unexpected character";
    return 0;
}

WXP__PRIVATE wxp_err wxp__json_parse(wxp_json *doc, char *text, size_t len, wxp_json_tok *tok,
                                    size_t cap, wxp_result *res)
{
    wxp__jp p;
    WXP__REQUIRE(doc && (text || !len));
    memset(doc, 0, sizeof *doc);
    if (len >= 0xFFFFFFFFu) return wxp__fail(res, WXP_E_ARG, "json", "JSON text over 4 GiB");
    memset(&p, 0, sizeof p);
    p.s = text;
    p.n = len;
    p.tok = tok;
    p.cap = tok ? cap : 0;
    wxp__jp_ws(&p);
    if (!wxp__jp_value(&p, 0)) {
        if (!p.why) p.why = "malformed JSON";
    } else {
        wxp__jp_ws(&p);
        if (p.i != p.n) p.why = "trailing characters";
    }
    if (p.why) {
        if (res) res->offset = p.i;
        return wxp__fail(res, WXP_E_PARSE, "json", p.why);
    }
    doc->text = text;
    doc->len = len;
    doc->tok = tok;
    doc->count = p.count;
    if (tok && p.count > cap) {
        doc->count = 0;
        return wxp__nospace(res, p.count, "json tokens");
    }
    return WXP_OK;
}

WXP_API wxp_err wxp_jw_finish(wxp_json_writer *w, size_t *len, wxp_result *res)
{
    wxp__res_clear(res);
    return wxp__jw_finish(w, len, res);
}

WXP_API wxp_err wxp_json_parse(wxp_json *doc, char *text, size_t len, wxp_json_tok *tok,
                               size_t cap, wxp_result *res)
{
    wxp__res_clear(res);
    return wxp__json_parse(doc, text, len, tok, cap, res);
}

/* Unescapes a string token in place, once. UTF-8 is never longer than the
   escape it came from, so the bytes fit where the escape was. */
WXP__PRIVATE void wxp__json_unescape(const wxp_json *doc, wxp_json_tok *t)
{
    char *s = doc->text + t->start;
    size_t n = t->len, i = 0, o = 0;
    if (!(t->flags & WXP__TOK_ESC)) return;
    while (i < n) {
        unsigned cp = 0, lo = 0;
        if (s[i] != '\\') { s[o++] = s[i++]; continue; }
        switch (s[i + 1]) {
        case 'b': s[o++] = '\b'; i += 2; continue;
        case 'f': s[o++] = '\f'; i += 2; continue;
        case 'n': s[o++] = '\n'; i += 2; continue;
        case 'r': s[o++] = '\r'; i += 2; continue;
        case 't': s[o++] = '\t'; i += 2; continue;
        case 'u': break;
        default: s[o++] = s[i + 1]; i += 2; continue;
        }
        (void)wxp__hex4(s + i + 2, &cp); /* validated by the parser */
        i += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            (void)wxp__hex4(s + i + 2, &lo);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
        }
        o += wxp__utf8_put(s + o, cp);
    }
    t->len = (uint32_t)o;
    t->flags &= (uint16_t)~WXP__TOK_ESC;
}

WXP__PRIVATE int wxp__json_ok(const wxp_json *doc, int t)
{
    return doc && doc->tok && t >= 0 && (size_t)t < doc->count; /* a measured doc has no tokens */
}

WXP_API wxp_str wxp_json_text(const wxp_json *doc, int t)
{
    wxp_str v = { "", 0 };
    if (!wxp__json_ok(doc, t)) return v;
    if (doc->tok[t].type == WXP_JSON_STRING) wxp__json_unescape(doc, &doc->tok[t]);
    v.ptr = doc->text + doc->tok[t].start;
    v.len = doc->tok[t].len;
    return v;
}

WXP_API int wxp_json_first(const wxp_json *doc, int parent)
{
    const wxp_json_tok *p;
    if (!wxp__json_ok(doc, parent)) return -1;
    p = &doc->tok[parent];
    if (p->type == WXP_JSON_OBJECT) return (size_t)parent + 2 <= p->next ? parent + 2 : -1;
    if (p->type == WXP_JSON_ARRAY) return (size_t)parent + 1 < p->next ? parent + 1 : -1;
    return -1;
}

WXP_API int wxp_json_next(const wxp_json *doc, int parent, int child)
{
    uint32_t n;
    if (!wxp__json_ok(doc, parent) || !wxp__json_ok(doc, child)) return -1;
    n = doc->tok[child].next;
    if (doc->tok[parent].type == WXP_JSON_OBJECT) n++; /* skip the next key */
    return n < doc->tok[parent].next ? (int)n : -1;
}

WXP_API size_t wxp_json_count(const wxp_json *doc, int parent)
{
    size_t k = 0;
    int c;
    for (c = wxp_json_first(doc, parent); c >= 0; c = wxp_json_next(doc, parent, c)) k++;
    return k;
}

WXP_API wxp_str wxp_json_key(const wxp_json *doc, int value)
{
    wxp_str none = { "", 0 };
    if (!wxp__json_ok(doc, value) || value == 0 || !(doc->tok[value - 1].flags & WXP__TOK_KEY))
        return none;
    return wxp_json_text(doc, value - 1);
}

WXP_API int wxp_json_get(const wxp_json *doc, int obj, const char *path)
{
    int cur = obj;
    while (*path && wxp__json_ok(doc, cur)) {
        const char *dot = strchr(path, '.');
        size_t seg = dot ? (size_t)(dot - path) : strlen(path);
        int c, found = -1;
        if (doc->tok[cur].type == WXP_JSON_OBJECT) {
            for (c = wxp_json_first(doc, cur); c >= 0; c = wxp_json_next(doc, cur, c)) {
                wxp_str k = wxp_json_key(doc, c);
                if (k.len == seg && memcmp(k.ptr, path, seg) == 0) { found = c; break; }
            }
        } else if (doc->tok[cur].type == WXP_JSON_ARRAY) {
            long long idx;
            if (wxp__parse_uint(path, seg, &idx)) {
                for (c = wxp_json_first(doc, cur); c >= 0 && idx > 0; c = wxp_json_next(doc, cur, c))
                    idx--;
                found = c;
            }
        }
        if (found < 0) return -1;
        cur = found;
        path += seg;
        if (*path == '.') path++;
    }
    return wxp__json_ok(doc, cur) ? cur : -1;
}

WXP_API wxp_err wxp_json_string(const wxp_json *doc, int t, wxp_str *out)
{
    if (!wxp__json_ok(doc, t)) return WXP_E_NOTFOUND;
    if (doc->tok[t].type != WXP_JSON_STRING) return WXP_E_TYPE;
    *out = wxp_json_text(doc, t);
    return WXP_OK;
}

WXP_API wxp_err wxp_json_int(const wxp_json *doc, int t, long long *out)
{
    wxp_str v;
    size_t i = 0;
    unsigned long long acc = 0, lim;
    int neg;
    if (!wxp__json_ok(doc, t)) return WXP_E_NOTFOUND;
    if (doc->tok[t].type != WXP_JSON_NUMBER) return WXP_E_TYPE;
    v = wxp_json_text(doc, t);
    neg = v.ptr[0] == '-';
    if (neg) i++;
    lim = neg ? (unsigned long long)9223372036854775807LL + 1 : 9223372036854775807ULL;
    for (; i < v.len; i++) {
        unsigned d;
        if (v.ptr[i] < '0' || v.ptr[i] > '9') return WXP_E_RANGE; /* fraction or exponent */
        d = (unsigned)(v.ptr[i] - '0');
        if (acc > (lim - d) / 10) return WXP_E_RANGE;
        acc = acc * 10 + d;
    }
    *out = neg ? (acc == lim ? (-9223372036854775807LL - 1) : -(long long)acc) : (long long)acc;
    return WXP_OK;
}

WXP_API wxp_err wxp_json_bool(const wxp_json *doc, int t, int *out)
{
    if (!wxp__json_ok(doc, t)) return WXP_E_NOTFOUND;
    if (doc->tok[t].type != WXP_JSON_TRUE && doc->tok[t].type != WXP_JSON_FALSE) return WXP_E_TYPE;
    *out = doc->tok[t].type == WXP_JSON_TRUE;
    return WXP_OK;
}

/* Reads the string at path below obj, naming the path on failure. An optional
   absent or null field gives the empty view; a required one must not be empty. */
WXP__PRIVATE wxp_err wxp__json_field_str(const wxp_json *doc, int obj, const char *path,
                                         int required, wxp_str *out, wxp_result *res)
{
    int t = wxp_json_get(doc, obj, path);
    wxp_err e;
    out->ptr = "";
    out->len = 0;
    if (t < 0 || doc->tok[t].type == WXP_JSON_NULL)
        return required ? wxp__fail(res, WXP_E_NOTFOUND, path, "required field missing") : WXP_OK;
    if ((e = wxp_json_string(doc, t, out)) != WXP_OK) return wxp__fail(res, e, path, "expected a string");
    return required && !out->len ? wxp__fail(res, WXP_E_NOTFOUND, path, "required field empty") : WXP_OK;
}

/* ==== >>keys ========================================================= impl */

/* BearSSL offers three big-integer engines; the default getters pick i62 where
   the compiler has 64x64->128 multiplication, else i31. i15 suits small cores
   whose multiplier is slow or not constant-time. */
#if defined(WXP_RSA_I15)
#define WXP__RSA_FN(op) (&br_rsa_i15_##op)
#elif defined(WXP_RSA_I31)
#define WXP__RSA_FN(op) (&br_rsa_i31_##op)
#else
#define WXP__RSA_FN(op) (br_rsa_##op##_get_default())
#endif

/* -- PEM -- */

/* The PEM reader streams each object's bytes to a sink; no DER copy is kept
   unless the sink keeps one. */
typedef struct wxp__pem {
    br_pem_decoder_context pc;
    const char *p;
    size_t n;
    char name[32];
} wxp__pem;

typedef struct wxp__sink {
    unsigned char *buf;         /* optional copy of the DER */
    size_t cap, len;
    void (*push)(void *ctx, const void *data, size_t len);
    void *ctx;
} wxp__sink;

WXP__PRIVATE void wxp__sink_push(void *ctx, const void *data, size_t len)
{
    wxp__sink *s = (wxp__sink *)ctx;
    if (s->buf && s->len < s->cap) /* keep the head: a certificate's serial is there */
        memcpy(s->buf + s->len, data, s->cap - s->len < len ? s->cap - s->len : len);
    s->len += len;
    if (s->push) s->push(s->ctx, data, len);
}

WXP__PRIVATE int wxp__find(const char *h, size_t n, const char *needle)
{
    size_t k = strlen(needle), i;
    for (i = 0; i + k <= n; i++)
        if (memcmp(h + i, needle, k) == 0) return 1;
    return 0;
}

/* Next PEM object into sink. WXP_E_NOTFOUND: no more objects. */
WXP__PRIVATE wxp_err wxp__pem_next(wxp__pem *r, wxp__sink *sink)
{
    int inside = 0;
    while (r->n > 0) {
        size_t k = br_pem_decoder_push(&r->pc, r->p, r->n);
        r->p += k;
        r->n -= k;
        switch (br_pem_decoder_event(&r->pc)) {
        case BR_PEM_BEGIN_OBJ: {
            const char *nm = br_pem_decoder_name(&r->pc);
            size_t nl = strlen(nm);
            /* BearSSL 0.6 keeps the dashes of a CRLF-ended BEGIN line. */
            if (nl >= 5 && memcmp(nm + nl - 5, "-----", 5) == 0) nl -= 5;
            wxp__copy(r->name, sizeof r->name, nm, nl);
            br_pem_decoder_setdest(&r->pc, wxp__sink_push, sink);
            inside = 1;
            break;
        }
        case BR_PEM_END_OBJ:
            if (inside) return WXP_OK;
            break;
        case BR_PEM_ERROR:
            return WXP_E_KEY;
        default:
            if (k == 0) return WXP_E_KEY;
            break;
        }
    }
    /* The decoder needs a final newline to close an END line. */
    if (inside) {
        size_t k = br_pem_decoder_push(&r->pc, "\n", 1);
        if (k == 1 && br_pem_decoder_event(&r->pc) == BR_PEM_END_OBJ) return WXP_OK;
        return WXP_E_KEY_TRUNCATED;
    }
    return WXP_E_NOTFOUND;
}

WXP__PRIVATE void wxp__pem_init(wxp__pem *r, wxp_str pem)
{
    br_pem_decoder_init(&r->pc);
    r->p = pem.ptr;
    r->n = pem.len;
    r->name[0] = 0;
}

/* r->name is the last object read: on WXP_E_NOTFOUND, what was found instead. */
WXP__PRIVATE wxp_err wxp__pem_error(wxp_result *res, wxp_err e, const char *what, const wxp__pem *r)
{
    if (e == WXP_E_KEY_TRUNCATED) return wxp__fail(res, e, what, "the PEM data ends inside an object");
    if (e == WXP_E_NOTFOUND) {
        const char *found = r->name[0] ? r->name : "no PEM object at all";
        (void)wxp__fail(res, WXP_E_KEY, what, "no PEM object of the expected kind; found ");
        if (WXP__MESSAGES && res) wxp__append(res->message, sizeof res->message, found, strlen(found));
        return WXP_E_KEY;
    }
    return wxp__fail(res, WXP_E_KEY, what, "malformed PEM");
}

/* -- DER -- */

/* One DER TLV at *p: tag, content pointer and length; advances past it. */
WXP__PRIVATE int wxp__der(const unsigned char **p, size_t *n, unsigned tag,
                          const unsigned char **v, size_t *vlen)
{
    const unsigned char *s = *p;
    size_t len, h = 2;
    if (*n < 2 || s[0] != tag) return 0;
    len = s[1];
    if (len & 0x80) {
        size_t k = len & 0x7F, i;
        if (k == 0 || k > 3 || *n < 2 + k) return 0;
        len = 0;
        for (i = 0; i < k; i++) len = (len << 8) | s[2 + i];
        h += k;
    }
    if (len > *n - h) return 0;
    *v = s + h;
    *vlen = len;
    *p = s + h + len;
    *n -= h + len;
    return 1;
}

/* A positive INTEGER's magnitude without its leading zeros. */
WXP__PRIVATE int wxp__der_uint(const unsigned char **p, size_t *n, const unsigned char **v,
                               size_t *vlen)
{
    if (!wxp__der(p, n, 0x02, v, vlen) || *vlen == 0 || ((*v)[0] & 0x80)) return 0;
    while (*vlen > 1 && (*v)[0] == 0) { (*v)++; (*vlen)--; }
    return 1;
}

/* -- keys -- */

WXP__PRIVATE wxp_err wxp__rsa_key_sign(const wxp_signer_class **ctx, const unsigned char hash[32],
                                       unsigned char *sig, size_t *sig_len)
{
    const wxp_rsa_key *k = (const wxp_rsa_key *)(const void *)ctx;
    size_t len = (k->sk.n_bitlen + 7) / 8;
    if (*sig_len < len) return WXP_E_NOSPACE;
    if (!WXP__RSA_FN(pkcs1_sign)(BR_HASH_OID_SHA256, hash, 32, &k->sk, sig)) return WXP_E_CRYPTO;
    *sig_len = len;
    return WXP_OK;
}

WXP__PRIVATE wxp_err wxp__rsa_key_oaep(const wxp_signer_class **ctx, unsigned char *data, size_t *len)
{
    const wxp_rsa_key *k = (const wxp_rsa_key *)(const void *)ctx;
    if (*len != (k->sk.n_bitlen + 7) / 8) return WXP_E_DECRYPT;
    if (!WXP__RSA_FN(oaep_decrypt)(&br_sha1_vtable, NULL, 0, &k->sk, data, len)) return WXP_E_DECRYPT;
    return WXP_OK;
}

static const wxp_signer_class wxp__rsa_key_class = { wxp__rsa_key_sign, wxp__rsa_key_oaep };

/* A BearSSL decoder must not run again once it has failed (it would crash). */
WXP__PRIVATE void wxp__skey_push(void *ctx, const void *data, size_t len)
{
    br_skey_decoder_context *dc = (br_skey_decoder_context *)ctx;
    if (dc->err == 0) br_skey_decoder_push(dc, data, len);
}

/* The key into k; r and dc are the caller's, which wipes them (both hold key
   bytes) whatever the outcome. */
WXP__PRIVATE wxp_err wxp__rsa_key_decode(wxp_rsa_key *k, wxp_str pem, wxp__pem *r, br_skey_decoder_context *dc,
                                         wxp_result *res)
{
    wxp__sink sink;
    wxp_err e;
    const br_rsa_private_key *sk;
    unsigned char *o;
    if (wxp__find(pem.ptr, pem.len, "-----BEGIN ENCRYPTED") ||
        wxp__find(pem.ptr, pem.len, "Proc-Type: 4,ENCRYPTED"))
        return wxp__fail(res, WXP_E_KEY_ENCRYPTED, "private_key",
                         "encrypted PEM: decrypt it with `openssl pkey -in key.pem -out plain.pem`");
    /* First find the key object and measure it: BearSSL's key decoder has room
       for 4096-bit keys only and must never see a larger one. */
    wxp__pem_init(r, pem);
    for (;;) {
        const char *start = r->p;
        memset(&sink, 0, sizeof sink);
        e = wxp__pem_next(r, &sink);
        if (e) return wxp__pem_error(res, e, "private_key", r);
        if (strcmp(r->name, "PRIVATE KEY") == 0 || strcmp(r->name, "RSA PRIVATE KEY") == 0 ||
            strcmp(r->name, "EC PRIVATE KEY") == 0) {
            pem.ptr = start;
            pem.len = (size_t)(r->p - start);
            break;
        }
    }
    if (sink.len > WXP_RSA_BYTES * 9 / 2 + 128)
        return wxp__fail(res, WXP_E_KEY_SIZE, "private_key", "RSA key over WXP_MAX_RSA_BITS");
    wxp__pem_init(r, pem);
    memset(&sink, 0, sizeof sink);
    br_skey_decoder_init(dc);
    sink.push = wxp__skey_push;
    sink.ctx = dc;
    e = wxp__pem_next(r, &sink);
    if (e) return wxp__pem_error(res, e, "private_key", r);
    if (br_skey_decoder_last_error(dc) != 0) {
        int err = br_skey_decoder_last_error(dc);
        if (err == BR_ERR_X509_TRUNCATED || err == BR_ERR_X509_INNER_TRUNC)
            return wxp__fail(res, WXP_E_KEY_TRUNCATED, "private_key", "the key's DER data ends early");
        if (err == BR_ERR_X509_UNSUPPORTED)
            return wxp__fail(res, WXP_E_KEY_TYPE, "private_key", "unsupported key algorithm");
        return wxp__fail(res, WXP_E_KEY, "private_key", "the key's DER data is malformed");
    }
    if (br_skey_decoder_key_type(dc) != BR_KEYTYPE_RSA)
        return wxp__fail(res, WXP_E_KEY_TYPE, "private_key", "an EC key: WeChat Pay needs RSA");
    sk = br_skey_decoder_get_rsa(dc);
    if (sk->n_bitlen > WXP_MAX_RSA_BITS ||
        sk->plen + sk->qlen + sk->dplen + sk->dqlen + sk->iqlen > sizeof k->buf)
        return wxp__fail(res, WXP_E_KEY_SIZE, "private_key", "RSA key over WXP_MAX_RSA_BITS");
    o = k->buf;
    k->sk.n_bitlen = sk->n_bitlen;
#define WXP__TAKE(f) k->sk.f = o; k->sk.f##len = sk->f##len; memcpy(o, sk->f, sk->f##len); o += sk->f##len
    WXP__TAKE(p); WXP__TAKE(q); WXP__TAKE(dp); WXP__TAKE(dq); WXP__TAKE(iq);
#undef WXP__TAKE
    k->vtable = &wxp__rsa_key_class;
    return WXP_OK;
}

WXP_API wxp_err wxp_rsa_key_load(wxp_rsa_key *k, wxp_str pem, wxp_result *res)
{
    wxp__pem r;
    br_skey_decoder_context dc;
    wxp_err e;
    WXP__REQUIRE(k);
    wxp__res_clear(res);
    memset(k, 0, sizeof *k);
    memset(&dc, 0, sizeof dc);
    e = wxp__rsa_key_decode(k, pem, &r, &dc, res);
    wxp__wipe(&r, sizeof r);
    wxp__wipe(&dc, sizeof dc);
    return e;
}

WXP_API void wxp_rsa_key_wipe(wxp_rsa_key *k)
{
    if (k) wxp__wipe(k, sizeof *k);
}

WXP__PRIVATE wxp_err wxp__pubkey_set(wxp_pubkey *k, const unsigned char *n, size_t nlen,
                                     const unsigned char *e, size_t elen, wxp_result *res)
{
    while (nlen > 0 && n[0] == 0) { n++; nlen--; }
    while (elen > 0 && e[0] == 0) { e++; elen--; }
    if (nlen == 0 || elen == 0) return wxp__fail(res, WXP_E_KEY, "public_key", "empty modulus or exponent");
    if (nlen > sizeof k->n || elen > sizeof k->e)
        return wxp__fail(res, WXP_E_KEY_SIZE, "public_key", "RSA key over WXP_MAX_RSA_BITS");
    memcpy(k->n, n, nlen);
    memcpy(k->e, e, elen);
    k->pk.n = k->n;
    k->pk.nlen = nlen;
    k->pk.e = k->e;
    k->pk.elen = elen;
    return WXP_OK;
}

/* RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } */
WXP__PRIVATE wxp_err wxp__pubkey_pkcs1(wxp_pubkey *k, const unsigned char *d, size_t n, wxp_result *res)
{
    const unsigned char *seq, *m, *e;
    size_t seqlen, mlen, elen;
    if (!wxp__der(&d, &n, 0x30, &seq, &seqlen) || !wxp__der_uint(&seq, &seqlen, &m, &mlen) ||
        !wxp__der_uint(&seq, &seqlen, &e, &elen) || seqlen != 0)
        return wxp__fail(res, WXP_E_KEY, "public_key", "malformed RSA public key DER");
    return wxp__pubkey_set(k, m, mlen, e, elen, res);
}

/* SubjectPublicKeyInfo with the rsaEncryption algorithm. */
WXP__PRIVATE wxp_err wxp__pubkey_spki(wxp_pubkey *k, const unsigned char *d, size_t n, wxp_result *res)
{
    static const unsigned char rsa_oid[] = { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01 };
    const unsigned char *spki, *alg, *oid, *bits;
    size_t spkilen, alglen, oidlen, bitslen;
    if (!wxp__der(&d, &n, 0x30, &spki, &spkilen) || !wxp__der(&spki, &spkilen, 0x30, &alg, &alglen) ||
        !wxp__der(&alg, &alglen, 0x06, &oid, &oidlen))
        return wxp__fail(res, WXP_E_KEY, "public_key", "malformed SubjectPublicKeyInfo");
    if (oidlen != sizeof rsa_oid || memcmp(oid, rsa_oid, oidlen) != 0)
        return wxp__fail(res, WXP_E_KEY_TYPE, "public_key", "not an RSA public key");
    if (!wxp__der(&spki, &spkilen, 0x03, &bits, &bitslen) || bitslen < 1 || bits[0] != 0)
        return wxp__fail(res, WXP_E_KEY, "public_key", "malformed public key BIT STRING");
    return wxp__pubkey_pkcs1(k, bits + 1, bitslen - 1, res);
}

WXP__PRIVATE void wxp__x509_push(void *ctx, const void *data, size_t len)
{
    br_x509_decoder_context *xc = (br_x509_decoder_context *)ctx;
    if (xc->err == 0) br_x509_decoder_push(xc, data, len);
}

/* Days since 0000-01-01 (BearSSL's count) to Unix seconds. */
/* "2026-11-23T09:04:53Z" of Unix time t into out (>= 21 bytes); returns the
   length. Days to civil date as in H. Hinnant's "chrono-compatible
   low-level date algorithms". */
WXP__PRIVATE size_t wxp__utc(char *out, long long t)
{
    long long z = (t >= 0 ? t : t - 86399) / 86400, s = t - z * 86400, era, doe, yoe, y, doy, mp, d, m;
    int v[6], i;
    size_t n = 0;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    v[0] = (int)(y + (m <= 2)); v[1] = (int)m; v[2] = (int)d;
    v[3] = (int)(s / 3600); v[4] = (int)(s / 60 % 60); v[5] = (int)(s % 60);
    if (v[0] < 0 || v[0] > 9999) return wxp__itoa(out, t); /* no such date: the number */
    for (i = 0; i < 6; i++) {
        int w = i ? 2 : 4, k;
        for (k = w - 1; k >= 0; k--, v[i] /= 10) out[n + (size_t)k] = (char)('0' + v[i] % 10);
        n += (size_t)w;
        out[n++] = "--T::Z"[i];
    }
    out[n] = 0;
    return n;
}

WXP__PRIVATE long long wxp__x509_time(uint32_t days, uint32_t secs)
{
    return ((long long)days - 719528LL) * 86400LL + (long long)secs;
}

/* The certificate's serial, uppercase hex, from the start of its DER. */
WXP__PRIVATE int wxp__cert_serial(const unsigned char *d, size_t n, char *out, size_t cap)
{
    const unsigned char *cert, *tbs, *ver, *ser;
    size_t certlen, tbslen, verlen, serlen;
    /* d holds only a prefix: accept lengths that run past it. */
    if (n < 4 || d[0] != 0x30) return 0;
    cert = d + 2 + ((d[1] & 0x80) ? (d[1] & 0x7F) : 0);
    certlen = n - (size_t)(cert - d);
    if (certlen < 4 || cert[0] != 0x30) return 0;
    tbs = cert + 2 + ((cert[1] & 0x80) ? (cert[1] & 0x7F) : 0);
    tbslen = certlen - (size_t)(tbs - cert);
    if (tbslen > 0 && tbs[0] == 0xA0 && !wxp__der(&tbs, &tbslen, 0xA0, &ver, &verlen)) return 0;
    if (!wxp__der_uint(&tbs, &tbslen, &ser, &serlen) || serlen * 2 + 1 > cap) return 0;
    wxp__hex(out, ser, serlen, 1);
    return 1;
}

/* wxp_pubkey_load without clearing res (inside calls that keep the status). */
WXP__PRIVATE wxp_err wxp__pubkey_load(wxp_pubkey *k, wxp_str pem, wxp_result *res)
{
    wxp__pem r;
    wxp__sink sink;
    wxp_err e;
    memset(k, 0, sizeof *k);
    wxp__pem_init(&r, pem);
    for (;;) {
        unsigned char der[WXP_RSA_BYTES + 64]; /* keys whole; certificates: the head */
        br_x509_decoder_context xc;
        memset(&sink, 0, sizeof sink);
        sink.buf = der;
        sink.cap = sizeof der;
        br_x509_decoder_init(&xc, NULL, NULL);
        sink.push = wxp__x509_push;
        sink.ctx = &xc;
        e = wxp__pem_next(&r, &sink);
        if (e) return wxp__pem_error(res, e, "public_key", &r);
        if (strcmp(r.name, "CERTIFICATE") == 0 || strcmp(r.name, "X509 CERTIFICATE") == 0) {
            const br_x509_pkey *pk;
            int err = br_x509_decoder_last_error(&xc);
            if (err == BR_ERR_X509_TRUNCATED || err == BR_ERR_X509_INNER_TRUNC)
                return wxp__fail(res, WXP_E_KEY_TRUNCATED, "certificate", "the certificate ends early");
            if (err) return wxp__fail(res, WXP_E_KEY, "certificate", "malformed X.509 certificate");
            pk = br_x509_decoder_get_pkey(&xc);
            if (!pk || pk->key_type != BR_KEYTYPE_RSA)
                return wxp__fail(res, WXP_E_KEY_TYPE, "certificate", "the certificate's key is not RSA");
            if (!wxp__cert_serial(der, sink.len < sizeof der ? sink.len : sizeof der, k->serial,
                                  sizeof k->serial))
                return wxp__fail(res, WXP_E_KEY, "certificate", "unreadable serial number");
            e = wxp__pubkey_set(k, pk->key.rsa.n, pk->key.rsa.nlen, pk->key.rsa.e, pk->key.rsa.elen, res);
            if (e) return e;
            k->kind = WXP_KEY_CERT;
            k->not_before = wxp__x509_time(xc.notbefore_days, xc.notbefore_seconds);
            k->not_after = wxp__x509_time(xc.notafter_days, xc.notafter_seconds);
            return WXP_OK;
        }
        if (strcmp(r.name, "PUBLIC KEY") == 0 || strcmp(r.name, "RSA PUBLIC KEY") == 0) {
            if (sink.len > sizeof der)
                return wxp__fail(res, WXP_E_KEY_SIZE, "public_key", "RSA key over WXP_MAX_RSA_BITS");
            e = r.name[0] == 'P' ? wxp__pubkey_spki(k, der, sink.len, res)
                                 : wxp__pubkey_pkcs1(k, der, sink.len, res);
            if (!e) k->kind = WXP_KEY_PUBLIC;
            return e;
        }
    }
}

WXP_API wxp_err wxp_pubkey_load(wxp_pubkey *k, wxp_str pem, wxp_result *res)
{
    WXP__REQUIRE(k);
    wxp__res_clear(res);
    return wxp__pubkey_load(k, pem, res);
}

/* -- the key store -- */

WXP_API void wxp_keystore_init_sized(wxp_keystore *ks, wxp_pubkey *slots, size_t cap, size_t slot_size)
{
    WXP__REQUIRE(ks && (slots || !cap));
    ks->keys = slots;
    ks->cap = cap;
    ks->count = 0;
    ks->slot_size = slot_size; /* another size: every add is refused (wxp__keystore_put) */
}

/* Structs laid out under other build options than the library's (the caller
   compiled with another WXP_MAX_RSA_BITS, WXP_PATH_MAX or
   WXP_NO_SYSTEM_RANDOM): refused before a byte of them is written. */
WXP__PRIVATE wxp_err wxp__layout(size_t got, size_t want, const char *what, wxp_result *res)
{
    char msg[160], num[24];
    if (got == want) return WXP_OK;
    msg[0] = 0;
    if (WXP__MESSAGES) {
        wxp__append(msg, sizeof msg, what, strlen(what));
        wxp__append(msg, sizeof msg, " is ", 4);
        wxp__append(msg, sizeof msg, num, wxp__itoa(num, (long long)got));
        wxp__append(msg, sizeof msg, " bytes in the caller, ", 22);
        wxp__append(msg, sizeof msg, num, wxp__itoa(num, (long long)want));
        wxp__append(msg, sizeof msg, " in the library: build both with the same WXP_MAX_RSA_BITS, WXP_PATH_MAX and "
                                     "WXP_NO_SYSTEM_RANDOM", 97);
    }
    return wxp__fail(res, WXP_E_ARG, "WXP_MAX_RSA_BITS", msg);
}

WXP_API const wxp_pubkey *wxp_keystore_find(const wxp_keystore *ks, wxp_str serial)
{
    size_t i;
    if (!ks) return NULL;
    for (i = 0; i < ks->count; i++)
        if (serial.len == strlen(ks->keys[i].serial) &&
            memcmp(ks->keys[i].serial, serial.ptr, serial.len) == 0)
            return &ks->keys[i];
    return NULL;
}

/* Adds k, or replaces the key with the same serial. The pk pointers are
   re-aimed at the slot's own arrays. */
WXP__PRIVATE wxp_err wxp__keystore_put(wxp_keystore *ks, const wxp_pubkey *k, wxp_result *res)
{
    wxp_err e = wxp__layout(ks->slot_size, sizeof *k, "wxp_pubkey", res);
    if (e) return e;
    wxp_pubkey *slot = (wxp_pubkey *)wxp_keystore_find(ks, wxp_cstr(k->serial));
    if (!slot) {
        if (ks->count >= ks->cap) return wxp__fail(res, WXP_E_FULL, k->serial, "no free slot in the key store");
        slot = &ks->keys[ks->count++];
    }
    *slot = *k;
    slot->pk.n = slot->n;
    slot->pk.e = slot->e;
    return WXP_OK;
}

WXP_API wxp_err wxp_keystore_add_pubkey(wxp_keystore *ks, const char *id, wxp_str pem, wxp_result *res)
{
    wxp_pubkey k;
    wxp_err e;
    WXP__REQUIRE(ks);
    wxp__res_clear(res);
    if (!id || strncmp(id, "PUB_KEY_ID_", 11) != 0 || strlen(id) >= sizeof k.serial)
        return wxp__fail(res, WXP_E_ARG, "public_key_id", "expected PUB_KEY_ID_... as shown in the merchant platform");
    e = wxp__pubkey_load(&k, pem, res);
    if (e) return e;
    if (k.kind != WXP_KEY_PUBLIC)
        return wxp__fail(res, WXP_E_ARG, "public_key", "expected a PUBLIC KEY, got a certificate");
    wxp__copy(k.serial, sizeof k.serial, id, strlen(id));
    return wxp__keystore_put(ks, &k, res);
}

WXP_API wxp_err wxp_keystore_add_certs(wxp_keystore *ks, wxp_str pem, wxp_result *res)
{
    wxp__pem r;
    wxp_err e;
    size_t added = 0;
    WXP__REQUIRE(ks);
    wxp__res_clear(res);
    /* Walk the bundle object by object; each certificate is loaded on its own. */
    wxp__pem_init(&r, pem);
    for (;;) {
        const char *start = r.p;
        wxp__sink sink;
        wxp_pubkey k;
        wxp_str one;
        memset(&sink, 0, sizeof sink);
        e = wxp__pem_next(&r, &sink);
        if (e == WXP_E_NOTFOUND) break;
        if (e) return wxp__pem_error(res, e, "certificate", &r);
        if (strcmp(r.name, "CERTIFICATE") != 0 && strcmp(r.name, "X509 CERTIFICATE") != 0) continue;
        one.ptr = start;
        one.len = (size_t)(r.p - start);
        e = wxp__pubkey_load(&k, one, res);
        if (e) return e;
        e = wxp__keystore_put(ks, &k, res);
        if (e) return e;
        added++;
    }
    if (!added) return wxp__fail(res, WXP_E_KEY, "certificate", "no CERTIFICATE in the PEM data");
    return WXP_OK;
}

WXP_API const wxp_pubkey *wxp_keystore_pick(const wxp_keystore *ks, long long now)
{
    const wxp_pubkey *best = NULL;
    size_t i;
    if (!ks) return NULL;
    for (i = 0; i < ks->count; i++) {
        const wxp_pubkey *k = &ks->keys[i];
        if (k->kind == WXP_KEY_PUBLIC) return k;
        if (now < k->not_before || now > k->not_after) continue;
        if (!best || k->not_before > best->not_before) best = k;
    }
    return best;
}

/* ==== >>crypto ======================================================= impl */

/* SHA-256 of the parts one after the other (a signed message). The seam:
   a build that defines WXP_SHA256_PARTS to a function of this shape hashes
   with it (crypto/wechatpay_openssl.h's wxp_openssl_sha256_parts uses the
   CPU's SHA instructions where BearSSL's portable code does not). */
#ifdef WXP_SHA256_PARTS
WXP_API void WXP_SHA256_PARTS(const wxp_str *parts, size_t n, unsigned char hash[32]);
#define wxp__sha256_parts WXP_SHA256_PARTS
#else
WXP__PRIVATE void wxp__sha256_parts(const wxp_str *parts, size_t n, unsigned char hash[32])
{
    br_sha256_context h;
    size_t i;
    br_sha256_init(&h);
    for (i = 0; i < n; i++) br_sha256_update(&h, parts[i].ptr, parts[i].len);
    br_sha256_out(&h, hash);
}
#endif

/* Signs SHA-256 over the concatenated parts; base64 into out (NUL-terminated). */
WXP__PRIVATE wxp_err wxp__sign_parts(const wxp_signer_class **signer, const wxp_str *parts,
                                     size_t nparts, char *out, size_t cap, size_t *out_len,
                                     wxp_result *res)
{
    unsigned char hash[32], sig[WXP_RSA_BYTES];
    size_t siglen = sizeof sig, need;
    wxp_err e;
    WXP__REQUIRE(signer && *signer);
    wxp__sha256_parts(parts, nparts, hash);
    e = (*signer)->sign_sha256(signer, hash, sig, &siglen);
    if (e) return wxp__fail(res, e, "signature", "the signer failed");
    need = WXP_B64_LEN(siglen);
    if (out_len) *out_len = need;
    if (cap < need + 1) return wxp__nospace(res, need + 1, "signature");
    (void)wxp__b64_encode(out, cap, sig, siglen, NULL);
    return WXP_OK;
}

WXP_API wxp_err wxp_sign_base64(const wxp_signer_class **signer, const void *msg, size_t len,
                                char *out, size_t cap, size_t *out_len, wxp_result *res)
{
    wxp_str part;
    wxp__res_clear(res);
    part.ptr = (const char *)msg;
    part.len = len;
    return wxp__sign_parts(signer, &part, 1, out, cap, out_len, res);
}

/* BearSSL wants randomness as a br_prng_class; this one reads the caller's. */
typedef struct wxp__rng {
    const br_prng_class *vtable;
    const wxp_random *src;
    int failed;
} wxp__rng;

WXP__PRIVATE void wxp__rng_init(const br_prng_class **ctx, const void *params, const void *seed, size_t n)
{
    (void)ctx; (void)params; (void)seed; (void)n;
}

WXP__PRIVATE void wxp__rng_generate(const br_prng_class **ctx, void *out, size_t len)
{
    wxp__rng *r = (wxp__rng *)(void *)ctx;
    if (r->src->fn(r->src->user, out, len) != 0) {
        r->failed = 1;
        memset(out, 0, len);
    }
}

WXP__PRIVATE void wxp__rng_update(const br_prng_class **ctx, const void *seed, size_t n)
{
    (void)ctx; (void)seed; (void)n;
}

static const br_prng_class wxp__rng_class = {
    sizeof(wxp__rng), wxp__rng_init, wxp__rng_generate, wxp__rng_update
};

WXP__PRIVATE int wxp__bearssl_verify(const wxp_verifier_class *const *ctx, const br_rsa_public_key *pk,
                                     const unsigned char hash[32], const unsigned char *sig, size_t sig_len)
{
    unsigned char got[32];
    (void)ctx;
    return WXP__RSA_FN(pkcs1_vrfy)(sig, sig_len, BR_HASH_OID_SHA256, 32, pk, got) && wxp__ct_equal(got, hash, 32);
}

WXP__PRIVATE wxp_err wxp__bearssl_oaep(const wxp_verifier_class *const *ctx, const br_rsa_public_key *pk,
                                       const wxp_random *rnd, const void *plain, size_t len, unsigned char *out,
                                       size_t cap, size_t *out_len)
{
    wxp__rng r;
    (void)ctx;
    r.vtable = &wxp__rng_class;
    r.src = rnd;
    r.failed = 0;
    *out_len = WXP__RSA_FN(oaep_encrypt)(&r.vtable, &br_sha1_vtable, NULL, 0, pk, out, cap, plain, len);
    if (r.failed) return WXP_E_RANDOM;
    return *out_len ? WXP_OK : WXP_E_CRYPTO;
}

static const wxp_verifier_class wxp__bearssl_vclass = { wxp__bearssl_verify, wxp__bearssl_oaep };
static const wxp_verifier_class *const wxp__bearssl_vctx = &wxp__bearssl_vclass;

WXP_API const wxp_verifier_class *const *wxp_bearssl_verifier(void) { return &wxp__bearssl_vctx; }

WXP__PRIVATE wxp_err wxp__verify(const wxp_verifier_class *const *vf, const wxp_pubkey *k, const wxp_str *parts,
                                 size_t nparts, wxp_str sig, wxp_result *res)
{
    unsigned char hash[32], raw[WXP_RSA_BYTES];
    size_t rawlen;
    WXP__REQUIRE(vf && *vf && k);
    if (sig.len > WXP_B64_LEN(sizeof raw) ||
        wxp__b64_decode(raw, sizeof raw, sig.ptr, sig.len, &rawlen) != WXP_OK)
        return wxp__fail(res, WXP_E_BASE64, "Wechatpay-Signature", "the signature is not base64 of an RSA block");
    if (rawlen != k->pk.nlen)
        return wxp__fail(res, WXP_E_SIGNATURE, "Wechatpay-Signature", "the signature length does not match the key");
    wxp__sha256_parts(parts, nparts, hash);
    if (!(*vf)->verify_sha256(vf, &k->pk, hash, raw, rawlen))
        return wxp__fail(res, WXP_E_SIGNATURE, "Wechatpay-Signature", "the signature does not verify");
    return WXP_OK;
}

/* AES-256-GCM over the best AES and GHASH code the build offers. */
typedef struct wxp__gcm {
    br_aes_gen_ctr_keys aes;
    br_gcm_context gcm;
} wxp__gcm;

/* Without AES-NI and PCLMUL, the constant-time code for the word size: ct64
   and ctmul64 work on 64-bit registers; on a 32-bit core ct and ctmul32 are
   smaller and faster (ctmul32 multiplies 32x32->32 only, constant-time even
   on cores whose long multiply is not, Cortex-M3). */
#if UINTPTR_MAX > 0xFFFFFFFFu
#define WXP__AES_SOFT(mode) (&br_aes_ct64_##mode##_vtable)
#define WXP__GHASH_SOFT     (&br_ghash_ctmul64)
#else
#define WXP__AES_SOFT(mode) (&br_aes_ct_##mode##_vtable)
#define WXP__GHASH_SOFT     (&br_ghash_ctmul32)
#endif

/* Probing the CPU executes CPUID, which some hypervisors trap (tens of µs):
   a client probes once, at its first decryption, and keeps the answer. */
WXP__PRIVATE void wxp__gcm_pick(const br_block_ctr_class **vt, br_ghash *gh)
{
    *vt = br_aes_x86ni_ctr_get_vtable();
    *gh = br_ghash_pclmul_get();
    if (!*vt) *vt = WXP__AES_SOFT(ctr);
    if (!*gh) *gh = WXP__GHASH_SOFT;
}

WXP__PRIVATE void wxp__gcm_init(wxp__gcm *g, const br_block_ctr_class *vt, br_ghash gh, wxp_str key, wxp_str nonce,
                                wxp_str aad)
{
    if (!vt) wxp__gcm_pick(&vt, &gh);
    vt->init(&g->aes.vtable, key.ptr, key.len);
    br_gcm_init(&g->gcm, &g->aes.vtable, gh);
    br_gcm_reset(&g->gcm, nonce.ptr, nonce.len);
    br_gcm_aad_inject(&g->gcm, aad.ptr, aad.len);
    br_gcm_flip(&g->gcm);
}

WXP__PRIVATE wxp_err wxp__gcm_args(wxp_str key, wxp_str nonce, wxp_result *res)
{
    if (key.len != 32)
        return wxp__fail(res, WXP_E_ARG, "apiv3_key", "the APIv3 key must be exactly 32 bytes");
    if (nonce.len == 0)
        return wxp__fail(res, WXP_E_ARG, "nonce", "empty GCM nonce");
    return WXP_OK;
}

WXP_API wxp_err wxp_verify_base64(const wxp_pubkey *k, const wxp_str *parts, size_t nparts,
                                  wxp_str sig, wxp_result *res)
{
    wxp__res_clear(res);
    if (wxp__signtest(sig, res)) return WXP_E_SIGNTEST;
    return wxp__verify(wxp_bearssl_verifier(), k, parts, nparts, sig, res);
}

/* vt NULL: probe now. */
WXP__PRIVATE wxp_err wxp__gcm_decrypt(const br_block_ctr_class *vt, br_ghash gh, wxp_str key, wxp_str nonce,
                                      wxp_str aad, wxp_str ct_b64, unsigned char *out, size_t cap, size_t *len,
                                      wxp_result *res)
{
    wxp__gcm g;
    unsigned char tag[16];
    size_t n;
    uint32_t ok;
    wxp_err e = wxp__gcm_args(key, nonce, res);
    if (len) *len = 0;
    if (e) return e;
    e = wxp__b64_decode(out, cap, ct_b64.ptr, ct_b64.len, &n); /* n: the size, known before decoding */
    if (e == WXP_E_NOSPACE) return wxp__nospace(res, n, "plaintext");
    if (e) return wxp__fail(res, WXP_E_BASE64, "ciphertext", "the ciphertext is not base64");
    if (n < 16) return wxp__fail(res, WXP_E_DECRYPT, "ciphertext", "shorter than the 16-byte tag");
    n -= 16;
    memcpy(tag, out + n, 16);
    wxp__gcm_init(&g, vt, gh, key, nonce, aad);
    br_gcm_run(&g.gcm, 0, out, n);
    ok = br_gcm_check_tag(&g.gcm, tag);
    wxp__wipe(&g, sizeof g);
    if (!ok) {
        wxp__wipe(out, n + 16);
        return wxp__fail(res, WXP_E_DECRYPT, "ciphertext",
                         "AES-GCM tag mismatch: wrong APIv3 key, nonce, associated_data or tampered data");
    }
    wxp__wipe(out + n, 16);
    if (len) *len = n;
    return WXP_OK;
}

/* A client's decryption with its APIv3 key: the AES and GHASH code is chosen
   here, not at init, so that a build that decrypts nothing links no GCM. */
WXP__PRIVATE wxp_err wxp__client_gcm_decrypt(wxp_client *c, wxp_str nonce, wxp_str aad, wxp_str ct_b64,
                                             unsigned char *out, size_t cap, size_t *len, wxp_result *res)
{
    if (!c->wxp__priv.aes_ctr) wxp__gcm_pick(&c->wxp__priv.aes_ctr, &c->wxp__priv.ghash);
    return wxp__gcm_decrypt(c->wxp__priv.aes_ctr, c->wxp__priv.ghash, c->wxp__priv.cfg.apiv3_key, nonce, aad,
                            ct_b64, out, cap, len, res);
}

WXP_API wxp_err wxp_aes_gcm_decrypt(wxp_str key, wxp_str nonce, wxp_str aad, wxp_str ct_b64,
                                    unsigned char *out, size_t cap, size_t *len, wxp_result *res)
{
    wxp__res_clear(res);
    return wxp__gcm_decrypt(NULL, NULL, key, nonce, aad, ct_b64, out, cap, len, res);
}

WXP_API wxp_err wxp_aes_gcm_encrypt(wxp_str key, wxp_str nonce, wxp_str aad, wxp_str plain,
                                    char *out, size_t cap, size_t *len, wxp_result *res)
{
    wxp__gcm g;
    size_t need = WXP_B64_LEN(plain.len + 16), done = 0;
    unsigned char blk[48 + 16]; /* a chunk, and room for the tag after a short one */
    wxp_err e;
    wxp__res_clear(res);
    e = wxp__gcm_args(key, nonce, res);
    if (len) *len = need;
    if (e) return e;
    if (cap < need + 1) return wxp__nospace(res, need + 1, "ciphertext");
    wxp__gcm_init(&g, NULL, NULL, key, nonce, aad);
    /* Encrypt and encode 48 bytes at a time (a whole number of base64 quanta). */
    while (done < plain.len) {
        size_t k = plain.len - done < 48 ? plain.len - done : 48;
        memcpy(blk, plain.ptr + done, k);
        br_gcm_run(&g.gcm, 1, blk, k);
        if (k == 48) {
            (void)wxp__b64_encode(out + done / 3 * 4, cap - done / 3 * 4, blk, k, NULL);
            done += k;
            continue;
        }
        /* The tail joins the tag. */
        br_gcm_get_tag(&g.gcm, blk + k);
        (void)wxp__b64_encode(out + done / 3 * 4, cap - done / 3 * 4, blk, k + 16, NULL);
        wxp__wipe(&g, sizeof g);
        wxp__wipe(blk, sizeof blk);
        return WXP_OK;
    }
    br_gcm_get_tag(&g.gcm, blk);
    (void)wxp__b64_encode(out + done / 3 * 4, cap - done / 3 * 4, blk, 16, NULL);
    wxp__wipe(&g, sizeof g);
    wxp__wipe(blk, sizeof blk);
    return WXP_OK;
}


WXP__PRIVATE wxp_err wxp__oaep_encrypt(const wxp_verifier_class *const *vf, const wxp_pubkey *k,
                                       const wxp_random *rnd, wxp_str plain, char *out, size_t cap, size_t *len,
                                       wxp_result *res)
{
    unsigned char ct[WXP_RSA_BYTES];
    size_t n, need;
    wxp_err e;
    WXP__REQUIRE(vf && *vf && k && rnd && rnd->fn);
    need = WXP_B64_LEN(k->pk.nlen);
    if (len) *len = need;
    /* OAEP with SHA-1 carries at most nlen - 42 bytes. */
    if (k->pk.nlen < 42 || plain.len > k->pk.nlen - 42)
        return wxp__fail(res, WXP_E_ARG, "plaintext", "too long for RSA-OAEP under this key");
    if (cap < need + 1) return wxp__nospace(res, need + 1, "ciphertext");
    e = (*vf)->oaep_encrypt(vf, &k->pk, rnd, plain.ptr, plain.len, ct, sizeof ct, &n);
    if (e == WXP_E_RANDOM) return wxp__fail(res, e, "random", "the random source failed");
    if (e) return wxp__fail(res, e, "plaintext", "RSA-OAEP encryption failed");
    (void)wxp__b64_encode(out, cap, ct, n, len);
    return WXP_OK;
}

WXP_API wxp_err wxp_oaep_encrypt(const wxp_pubkey *k, const wxp_random *rnd, wxp_str plain, char *out, size_t cap,
                                 size_t *len, wxp_result *res)
{
    wxp__res_clear(res);
    return wxp__oaep_encrypt(wxp_bearssl_verifier(), k, rnd, plain, out, cap, len, res);
}

WXP_API wxp_err wxp_oaep_decrypt(const wxp_signer_class **signer, wxp_str b64, unsigned char *out,
                                 size_t cap, size_t *len, wxp_result *res)
{
    unsigned char buf[WXP_RSA_BYTES];
    size_t n;
    wxp_err e;
    WXP__REQUIRE(signer && *signer);
    wxp__res_clear(res);
    if (len) *len = 0;
    if (!(*signer)->oaep_decrypt)
        return wxp__fail(res, WXP_E_UNSUPPORTED, "signer", "this signer cannot decrypt RSA-OAEP");
    if (b64.len > WXP_B64_LEN(sizeof buf) || wxp__b64_decode(buf, sizeof buf, b64.ptr, b64.len, &n))
        return wxp__fail(res, WXP_E_BASE64, "ciphertext", "not base64 of an RSA block");
    e = (*signer)->oaep_decrypt(signer, buf, &n);
    if (e) {
        wxp__wipe(buf, sizeof buf);
        return wxp__fail(res, e, "ciphertext", "RSA-OAEP decryption failed: wrong key or corrupt data");
    }
    if (n > cap) {
        wxp__wipe(buf, sizeof buf);
        return wxp__nospace(res, n, "plaintext");
    }
    memcpy(out, buf, n);
    wxp__wipe(buf, sizeof buf);
    if (len) *len = n;
    return WXP_OK;
}

/* ==== >>transport ==================================================== impl */

enum { WXP__H_REQID = 1, WXP__H_TS = 2, WXP__H_NONCE = 4, WXP__H_SERIAL = 8, WXP__H_SIG = 16,
       WXP__H_LONG = 32 /* shifted by the header's bit */ };

WXP_API void wxp_http_response_init(wxp_http_response *r, void *buf, size_t cap)
{
    WXP__REQUIRE(r && (buf || !cap));
    memset(r, 0, sizeof *r);
    r->wxp__priv.buf = (char *)buf;
    r->wxp__priv.cap = cap;
}

WXP_API int wxp_http_response_get_status(const wxp_http_response *r) { return r->wxp__priv.status; }

WXP_API wxp_str wxp_http_response_body(const wxp_http_response *r)
{
    wxp_str v;
    v.ptr = r->wxp__priv.buf ? r->wxp__priv.buf : "";
    v.len = r->wxp__priv.len;
    return v;
}

WXP_API void wxp_http_response_status(wxp_http_response *r, int status)
{
    WXP__REQUIRE(r);
    r->wxp__priv.status = status;
}

/* The headers the sink keeps: name, bit, where the copy lives. */
#define WXP__KEPT(X) \
    X("Request-ID", WXP__H_REQID, request_id) \
    X("Wechatpay-Timestamp", WXP__H_TS, timestamp) \
    X("Wechatpay-Nonce", WXP__H_NONCE, nonce) \
    X("Wechatpay-Serial", WXP__H_SERIAL, serial) \
    X("Wechatpay-Signature", WXP__H_SIG, signature)

WXP_API wxp_str wxp_http_response_kept(const wxp_http_response *r, const char *name)
{
#define WXP__GET(hname, bit, field) \
    if (wxp__ieq(name, strlen(name), hname)) return wxp_cstr(r->wxp__priv.field);
    WXP__KEPT(WXP__GET)
#undef WXP__GET
    return wxp_cstr("");
}

WXP_API void wxp_http_response_header(wxp_http_response *r, const char *name, size_t name_len,
                                      const char *value, size_t value_len)
{
#define WXP__ROW_KEPT(hname, bit, field) \
    { hname, bit, offsetof(wxp_http_response, wxp__priv.field), sizeof ((wxp_http_response *)0)->wxp__priv.field },
    static const struct { const char *name; unsigned bit; size_t off, cap; } kept[] = { WXP__KEPT(WXP__ROW_KEPT) };
#undef WXP__ROW_KEPT
    size_t i;
    WXP__REQUIRE(r && (name || !name_len) && (value || !value_len));
    while (value_len && (*value == ' ' || *value == '\t')) { value++; value_len--; }
    while (value_len && (value[value_len - 1] == ' ' || value[value_len - 1] == '\t' ||
                         value[value_len - 1] == '\r' || value[value_len - 1] == '\n'))
        value_len--;
    for (i = 0; i < sizeof kept / sizeof kept[0]; i++) {
        if (!wxp__ieq(name, name_len, kept[i].name)) continue;
        r->wxp__priv.seen |= kept[i].bit;
        if (value_len >= kept[i].cap) r->wxp__priv.seen |= kept[i].bit * WXP__H_LONG;
        wxp__copy((char *)r + kept[i].off, kept[i].cap, value, value_len);
        return;
    }
}

WXP_API size_t wxp_http_response_write(wxp_http_response *r, const void *data, size_t len)
{
    size_t take;
    WXP__REQUIRE(r && (data || !len));
    if (r->wxp__priv.stream && r->wxp__priv.status == 200) {
        r->wxp__priv.stream(r->wxp__priv.stream_user, data, len);
        return len;
    }
    /* Saturates: on a 32-bit size_t a body past 4 GiB must not wrap the count
       back under cap and be copied past the buffer. */
    r->wxp__priv.needed = len > (size_t)-1 - r->wxp__priv.needed ? (size_t)-1 : r->wxp__priv.needed + len;
    take = r->wxp__priv.needed > r->wxp__priv.cap ? 0 : len; /* all or nothing, so the rest is counted */
    if (take) {
        memcpy(r->wxp__priv.buf + r->wxp__priv.len, data, take);
        r->wxp__priv.len += take;
    }
    return take;
}

/* What the answer says of itself, into the result: status and Request-ID. */
WXP__PRIVATE void wxp__res_heard(wxp_result *res, const wxp_http_response *r)
{
    if (!res) return;
    res->status = r->wxp__priv.status;
    wxp__copy(res->request_id, sizeof res->request_id, r->wxp__priv.request_id, strlen(r->wxp__priv.request_id));
}

/* ==== >>client ======================================================= impl */

/* A bounded string builder: past cap it only counts. */
typedef struct wxp__sb { char *p; size_t cap, len; } wxp__sb;

WXP__PRIVATE void wxp__sb_put(wxp__sb *b, const char *s, size_t n)
{
    if (b->len + n < b->cap) memcpy(b->p + b->len, s, n);
    b->len += n;
}

WXP__PRIVATE void wxp__sb_cstr(wxp__sb *b, const char *s) { wxp__sb_put(b, s, strlen(s)); }

/* v percent-encoded: every byte but RFC 3986's unreserved ones. */
WXP__PRIVATE void wxp__sb_pct(wxp__sb *b, const char *v)
{
    for (; *v; v++) {
        unsigned char ch = (unsigned char)*v;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
            ch == '.' || ch == '_' || ch == '~') {
            wxp__sb_put(b, v, 1);
        } else {
            char pct[3];
            pct[0] = '%'; pct[1] = "0123456789ABCDEF"[ch >> 4]; pct[2] = "0123456789ABCDEF"[ch & 15];
            wxp__sb_put(b, pct, 3);
        }
    }
}

/* Terminates, or reports the size needed (with the NUL). */
WXP__PRIVATE wxp_err wxp__sb_end(wxp__sb *b, size_t *len, wxp_result *res, const char *field)
{
    if (len) *len = b->len;
    if (b->len >= b->cap) return wxp__nospace(res, b->len + 1, field);
    b->p[b->len] = 0;
    return WXP_OK;
}

#ifndef WXP_NO_TIME
WXP__PRIVATE long long wxp__time(void *user)
{
    (void)user;
    return (long long)time(NULL);
}
#endif

/* The platform's sleep, the default of retry.sleep and rate.sleep. */
#if !defined(WXP_NO_SLEEP) && (defined(__unix__) || defined(__APPLE__))
#include <poll.h>
WXP__PRIVATE void wxp__sleep(void *user, unsigned ms)
{
    (void)user;
    (void)poll(NULL, 0, ms > 2147483647u ? 2147483647 : (int)ms);
}
#define WXP__SLEEP wxp__sleep
#else
#define WXP__SLEEP NULL
#endif

/* The default random source. A generate costs 8 SHA-256 blocks of re-keying
   plus 2 per 32 bytes out, so the client generates a pool at a time; a byte
   handed out is zeroed in it (never handed out twice, nor kept). */
#ifndef WXP_NO_SYSTEM_RANDOM
WXP__PRIVATE int wxp__drbg(void *user, void *buf, size_t len)
{
    wxp_client *c = (wxp_client *)user;
    unsigned char *out = (unsigned char *)buf, *b = c->wxp__priv.pool.b;
    size_t *left = &c->wxp__priv.pool.left, n;
    while (len) {
        if (!*left) {
            br_hmac_drbg_generate(&c->wxp__priv.drbg, b, sizeof c->wxp__priv.pool.b);
            *left = sizeof c->wxp__priv.pool.b;
        }
        n = len < *left ? len : *left;
        memcpy(out, b + sizeof c->wxp__priv.pool.b - *left, n);
        memset(b + sizeof c->wxp__priv.pool.b - *left, 0, n);
        *left -= n;
        out += n;
        len -= n;
    }
    return 0;
}
#endif

/* Every default of the configuration, in one place. */
WXP__PRIVATE wxp_err wxp__config_defaults(wxp_client *c, wxp_result *res)
{
    wxp_config *cfg = &c->wxp__priv.cfg;
    cfg->host = WXP__DEF(cfg->host, WXP_DEFAULT_HOST);
    if (!cfg->backup_host) cfg->backup_host = strcmp(cfg->host, WXP_DEFAULT_HOST) == 0 ? WXP_BACKUP_HOST : "";
    cfg->timeout_ms = WXP__DEF(cfg->timeout_ms, 10000u);
    cfg->max_skew_s = WXP__DEF(cfg->max_skew_s, 300u);
    cfg->verifier = WXP__DEF(cfg->verifier, wxp_bearssl_verifier());
    if (!cfg->clock.fn) {
#ifdef WXP_NO_TIME
        return wxp__fail(res, WXP_E_ARG, "clock", "built with WXP_NO_TIME: set config.clock");
#else
        cfg->clock.fn = wxp__time;
#endif
    }
    if (!cfg->retry.sleep) cfg->retry.sleep = WXP__SLEEP;
    if (!cfg->rate.sleep) cfg->rate.sleep = WXP__SLEEP;
    if (!cfg->random.fn) {
#ifdef WXP_NO_SYSTEM_RANDOM
        return wxp__fail(res, WXP_E_ARG, "random", "built with WXP_NO_SYSTEM_RANDOM: set config.random");
#else
        br_prng_seeder seeder = br_prng_seeder_system(NULL);
        br_hmac_drbg_init(&c->wxp__priv.drbg, &br_sha256_vtable, NULL, 0);
        if (!seeder || !seeder(&c->wxp__priv.drbg.vtable))
            return wxp__fail(res, WXP_E_RANDOM, "random", "no OS entropy source: set config.random");
        cfg->random.fn = wxp__drbg;
        cfg->random.user = c;
#endif
    }
    return WXP_OK;
}

WXP__PRIVATE int wxp__all_in(const char *s, const char *set, size_t min, size_t max)
{
    size_t n = s ? strlen(s) : 0, i;
    if (n < min || n > max) return 0;
    for (i = 0; i < n; i++)
        if (!strchr(set, s[i])) return 0;
    return 1;
}

#define WXP__DIGITS "0123456789"
#define WXP__HEX "0123456789ABCDEFabcdef"

WXP_API wxp_err wxp_client_init_sized(wxp_client *c, const wxp_config *cfg, wxp_result *res, size_t client_size,
                                      size_t pubkey_size)
{
    wxp_config *k;
    wxp_err e;
    size_t i;
    WXP__REQUIRE(c && cfg);
    wxp__res_clear(res);
    if ((e = wxp__layout(client_size, sizeof *c, "wxp_client", res)) != WXP_OK ||
        (e = wxp__layout(pubkey_size, sizeof(wxp_pubkey), "wxp_pubkey", res)) != WXP_OK ||
        (cfg->keys && (e = wxp__layout(cfg->keys->slot_size, sizeof(wxp_pubkey), "key store slot", res)) != WXP_OK))
        return e;
    memset(c, 0, sizeof *c);
    c->wxp__priv.cfg = *cfg;
    k = &c->wxp__priv.cfg;
    if (!wxp__all_in(k->mchid, WXP__DIGITS, 1, 32))
        return wxp__fail(res, WXP_E_ARG, "mchid", "the merchant id is 1-32 digits");
    if (!wxp__all_in(k->serial, WXP__HEX, 1, 64))
        return wxp__fail(res, WXP_E_ARG, "serial", "the merchant certificate serial is hex (openssl x509 -serial)");
    if (k->appid && !wxp__all_in(k->appid, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 1, 32))
        return wxp__fail(res, WXP_E_ARG, "appid", "an AppID is 1-32 letters and digits (wx8888888888888888)");
    if (!k->transport.fn) return wxp__fail(res, WXP_E_ARG, "transport", "no transport callback");
    if (k->io_buf) { /* 8-aligned: JSON tokens and APIv2 pairs are laid out from its
                        start, and a Cortex-M faults on an unaligned LDRD/STRD */
        size_t skip = (size_t)((8u - (uintptr_t)k->io_buf % 8u) % 8u);
        k->io_buf = (unsigned char *)k->io_buf + skip;
        k->io_buf_size = k->io_buf_size > skip ? k->io_buf_size - skip : 0;
    }
    if (!k->io_buf || k->io_buf_size < WXP_IO_BUFSIZE_MIN)
        return wxp__fail(res, WXP_E_ARG, "io_buf", "io_buf must hold at least WXP_IO_BUFSIZE_MIN bytes "
                                                   "(after aligning its start to 8)");
    if (!k->keys)
        return wxp__fail(res, WXP_E_ARG, "keys", "a key store is required: answers are always verified");
    for (i = 0; i < k->keys->count; i++)
        if (wxp__ieq(k->serial, strlen(k->serial), k->keys->keys[i].serial))
            return wxp__fail(res, WXP_E_ARG, "keys",
                             "the key store holds the merchant's own serial: it needs WeChat Pay's "
                             "platform certificate or public key");
    if (k->apiv3_key.len != 0 && k->apiv3_key.len != 32)
        return wxp__fail(res, WXP_E_ARG, "apiv3_key", "the APIv3 key must be exactly 32 bytes");
    e = wxp__config_defaults(c, res);
    if (e) return e;
    if (!k->signer) { /* the client's copy of the config signs with the loaded key */
        if (!k->private_key_pem.len)
            return wxp__fail(res, WXP_E_ARG, "private_key_pem", "set private_key_pem or signer");
        e = wxp_rsa_key_load(&c->wxp__priv.key, k->private_key_pem, res);
        if (e) return e;
        k->signer = &c->wxp__priv.key.vtable;
    }
    return WXP_OK;
}

WXP_API void wxp_client_wipe(wxp_client *c)
{
    if (c) wxp__wipe(c, sizeof *c);
}

WXP__PRIVATE long long wxp__now(const wxp_client *c)
{
    return c->wxp__priv.cfg.clock.fn(c->wxp__priv.cfg.clock.user);
}

/* 32 characters of [0-9A-Za-z], unbiased: 6 bits a letter, 62 and 63 are
   skipped. One draw of 30 bytes (40 letters) nearly always suffices (9 of them
   skipped: 3 in a million), so a nonce costs one call of the random source; a
   short draw is topped up. */
WXP__PRIVATE wxp_err wxp__nonce(const wxp_random *rnd, char out[WXP_NONCE_LEN + 1], wxp_result *res)
{
    static const char al[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    unsigned char b[(WXP_NONCE_LEN + 8) * 6 / 8];
    size_t o = 0, i, rounds = 0;
    while (o < WXP_NONCE_LEN) {
        unsigned w = 0, bits = 0; /* the next bits, big-endian */
        if (++rounds > 16 || rnd->fn(rnd->user, b, sizeof b) != 0)
            return wxp__fail(res, WXP_E_RANDOM, "random", "the random source failed");
        for (i = 0; i < sizeof b && o < WXP_NONCE_LEN; i++) {
            w = (w << 8 | b[i]) & 0x3FFFu;
            for (bits += 8; bits >= 6 && o < WXP_NONCE_LEN; bits -= 6)
                if ((w >> (bits - 6) & 63u) < 62) out[o++] = al[w >> (bits - 6) & 63u];
        }
    }
    out[WXP_NONCE_LEN] = 0;
    return WXP_OK;
}

/* Quoted header values must not break out of their quotes. */
WXP__PRIVATE int wxp__header_safe(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7E || s[i] == '"' || s[i] == '\\')
            return 0;
    return 1;
}

WXP_API wxp_err wxp_v3_authorization(const wxp_signer_class **signer, const char *mchid,
                                     const char *serial, const char *method, wxp_str url,
                                     long long timestamp, wxp_str nonce, wxp_str body,
                                     char *out, size_t cap, size_t *len, wxp_result *res)
{
    char ts[24], sig[WXP_SIG_B64_MAX + 1];
    wxp_str parts[10];
    wxp__sb b;
    wxp_err e;
    WXP__REQUIRE(signer && mchid && serial && method);
    wxp__res_clear(res);
    if (!wxp__header_safe(mchid, strlen(mchid)) || !*mchid)
        return wxp__fail(res, WXP_E_ARG, "mchid", "empty or not printable ASCII");
    if (!wxp__header_safe(serial, strlen(serial)) || !*serial)
        return wxp__fail(res, WXP_E_ARG, "serial", "empty or not printable ASCII");
    if (!wxp__header_safe(nonce.ptr, nonce.len) || !nonce.len)
        return wxp__fail(res, WXP_E_ARG, "nonce", "empty or not printable ASCII");
    if (timestamp < 0) return wxp__fail(res, WXP_E_ARG, "timestamp", "negative timestamp");
    wxp__itoa(ts, timestamp);
    parts[0] = wxp_cstr(method); parts[1] = wxp_cstr("\n");
    parts[2] = url;              parts[3] = parts[1];
    parts[4] = wxp_cstr(ts);     parts[5] = parts[1];
    parts[6] = nonce;            parts[7] = parts[1];
    parts[8] = body;             parts[9] = parts[1];
    e = wxp__sign_parts(signer, parts, 10, sig, sizeof sig, NULL, res);
    if (e) return e;
    b.p = out; b.cap = out ? cap : 0; b.len = 0;
    wxp__sb_cstr(&b, "WECHATPAY2-SHA256-RSA2048 mchid=\"");
    wxp__sb_cstr(&b, mchid);
    wxp__sb_cstr(&b, "\",nonce_str=\"");
    wxp__sb_put(&b, nonce.ptr, nonce.len);
    wxp__sb_cstr(&b, "\",signature=\"");
    wxp__sb_cstr(&b, sig);
    wxp__sb_cstr(&b, "\",timestamp=\"");
    wxp__sb_cstr(&b, ts);
    wxp__sb_cstr(&b, "\",serial_no=\"");
    wxp__sb_cstr(&b, serial);
    wxp__sb_cstr(&b, "\"");
    return wxp__sb_end(&b, len, res, "authorization");
}

WXP_API wxp_err wxp_path_fill(char *out, size_t cap, const char *tmpl, const char *const *params,
                              size_t *len, wxp_result *res)
{
    wxp__sb b;
    const char *t = tmpl;
    WXP__REQUIRE(tmpl);
    wxp__res_clear(res);
    b.p = out; b.cap = out ? cap : 0; b.len = 0;
    while (*t) {
        const char *close, *v = NULL;
        size_t nl, i;
        if (*t != '{') { wxp__sb_put(&b, t++, 1); continue; }
        close = strchr(t, '}');
        if (!close) return wxp__fail(res, WXP_E_ARG, "template", "unclosed '{' in the path template");
        nl = (size_t)(close - t - 1);
        for (i = 0; params && params[i]; i += 2)
            if (strlen(params[i]) == nl && memcmp(params[i], t + 1, nl) == 0) { v = params[i + 1]; break; }
        /* "." and ".." would be dot segments: a client or proxy drops them, and
           the path sent would differ from the path signed. */
        if (!v || !*v || strcmp(v, ".") == 0 || strcmp(v, "..") == 0) {
            char name[64];
            wxp__copy(name, sizeof name, t + 1, nl);
            return wxp__fail(res, WXP_E_ARG, name, !v || !*v ? "path parameter missing or empty"
                                                             : "a path parameter may not be \".\" or \"..\"");
        }
        wxp__sb_pct(&b, v);
        t = close + 1;
    }
    return wxp__sb_end(&b, len, res, "path");
}

/* ==== >>v3-verify ==================================================== impl */

/* The one check every answer and callback passes before a field is read:
   headers present, no probe, clock within the window, known key, signature
   over TIMESTAMP\nNONCE\nBODY\n. */
WXP__PRIVATE wxp_err wxp__v3_check(const wxp_client *c, wxp_str ts, wxp_str nonce, wxp_str sig,
                                   wxp_str serial, wxp_str body, long long *signed_at, wxp_result *res)
{
    const wxp_config *cfg = &c->wxp__priv.cfg;
    const wxp_pubkey *key;
    long long t, now, skew;
    wxp_str parts[6];
    if (!ts.len) return wxp__fail(res, WXP_E_HEADER, "Wechatpay-Timestamp", "header missing");
    if (!nonce.len) return wxp__fail(res, WXP_E_HEADER, "Wechatpay-Nonce", "header missing");
    if (!sig.len) return wxp__fail(res, WXP_E_HEADER, "Wechatpay-Signature", "header missing");
    if (!serial.len) return wxp__fail(res, WXP_E_HEADER, "Wechatpay-Serial", "header missing");
    if (wxp__signtest(sig, res)) return WXP_E_SIGNTEST;
    if (!wxp__parse_uint(ts.ptr, ts.len, &t))
        return wxp__fail(res, WXP_E_HEADER, "Wechatpay-Timestamp", "not a decimal Unix time");
    if (signed_at) *signed_at = t;
    now = wxp__now(c);
    skew = now > t ? now - t : t - now;
    if (skew > (long long)cfg->max_skew_s) {
        char msg[128], num[24];
        msg[0] = 0;
        if (WXP__MESSAGES) {
            wxp__append(msg, sizeof msg, "Wechatpay-Timestamp is ", 23);
            wxp__append(msg, sizeof msg, num, wxp__itoa(num, skew));
            wxp__append(msg, sizeof msg, " s from the local clock (allowed ", 33);
            wxp__append(msg, sizeof msg, num, wxp__itoa(num, (long long)cfg->max_skew_s));
            wxp__append(msg, sizeof msg, " s): check the system time", 26);
        }
        return wxp__fail(res, WXP_E_CLOCK, "Wechatpay-Timestamp", msg);
    }
    key = wxp_keystore_find(cfg->keys, serial);
    if (!key) {
        size_t i;
        (void)wxp__fail(res, WXP_E_SERIAL, "Wechatpay-Serial", NULL);
        if (WXP__MESSAGES && res) {
            wxp__copy(res->message, sizeof res->message, "signed by ", 10);
            wxp__append(res->message, sizeof res->message, serial.ptr, serial.len);
            wxp__append(res->message, sizeof res->message, "; the key store holds:", 22);
            for (i = 0; cfg->keys && i < cfg->keys->count; i++) {
                wxp__append(res->message, sizeof res->message, " ", 1);
                wxp__append(res->message, sizeof res->message, cfg->keys->keys[i].serial,
                            strlen(cfg->keys->keys[i].serial));
            }
            if (!cfg->keys || !cfg->keys->count)
                wxp__append(res->message, sizeof res->message, " nothing", 8);
        }
        return WXP_E_SERIAL;
    }
    /* A certificate out of its dates signs nothing, as it encrypts nothing. */
    if (key->kind == WXP_KEY_CERT && (now < key->not_before || now > key->not_after)) {
        (void)wxp__fail(res, WXP_E_EXPIRED, "Wechatpay-Serial", NULL);
        if (WXP__MESSAGES && res) {
            char when[24];
            wxp__copy(res->message, sizeof res->message, "platform certificate ", 21);
            wxp__append(res->message, sizeof res->message, key->serial, strlen(key->serial));
            wxp__append(res->message, sizeof res->message, " is valid from ", 15);
            wxp__append(res->message, sizeof res->message, when, wxp__utc(when, key->not_before));
            wxp__append(res->message, sizeof res->message, " to ", 4);
            wxp__append(res->message, sizeof res->message, when, wxp__utc(when, key->not_after));
            wxp__append(res->message, sizeof res->message, ", not now (", 11);
            wxp__append(res->message, sizeof res->message, when, wxp__utc(when, now));
            wxp__append(res->message, sizeof res->message, "): download the current ones", 29);
        }
        return WXP_E_EXPIRED;
    }
    parts[0] = ts; parts[1] = wxp_cstr("\n");
    parts[2] = nonce; parts[3] = parts[1];
    parts[4] = body; parts[5] = parts[1];
    return wxp__verify(cfg->verifier, key, parts, 6, sig, res);
}

/* ==== >>v3-call ====================================================== impl */

/* Sets up the client's request (headers: the first nh of hdr) and points
   its response at io_buf from resp_off on. */
WXP__PRIVATE wxp_http_request *wxp__req_init(wxp_client *c, const char *method, const char *path, size_t nh,
                                             wxp_str body, size_t resp_off)
{
    const wxp_config *cfg = &c->wxp__priv.cfg;
    wxp_http_request *q = &c->wxp__priv.req;
    memset(q, 0, sizeof *q);
    q->method = method;
    q->host = c->wxp__priv.on_backup && *cfg->backup_host ? cfg->backup_host : cfg->host;
    q->path = wxp_cstr(path);
    q->headers = c->wxp__priv.hdr;
    q->header_count = nh;
    q->body = body;
    q->timeout_ms = cfg->timeout_ms;
    wxp_http_response_init(&c->wxp__priv.resp, (char *)cfg->io_buf + resp_off, cfg->io_buf_size - resp_off);
    return q;
}

/* Prepares a call whose answer lands at io_buf + resp_off (a typed call keeps
   its request body in front of it). A body is sent as content_type, NULL for
   JSON. */
WXP__PRIVATE wxp_err wxp__v3_prepare(wxp_client *c, const char *method, const char *path, wxp_str body,
                                     const char *content_type, size_t resp_off, const wxp_http_request **req,
                                     wxp_http_response **resp, wxp_result *res)
{
    static const char *const methods[] = { wxp__GET, wxp__POST, wxp__PUT, wxp__PATCH, wxp__DELETE };
    wxp_config *cfg;
    wxp_http_header *h;
    const wxp_pubkey *wp_key;
    char nonce[WXP_NONCE_LEN + 1];
    wxp_str nonce_v;
    long long now;
    size_t i, n;
    int known = 0;
    wxp_err e;
    WXP__REQUIRE(c && method && path);
    wxp__res_clear(res);
    cfg = &c->wxp__priv.cfg;
    wp_key = c->wxp__priv.wp_key; /* an encrypted field's key is for this request only, sent or not */
    c->wxp__priv.wp_key = NULL;
    for (i = 0; i < sizeof methods / sizeof methods[0]; i++) known |= strcmp(method, methods[i]) == 0;
    if (!known) return wxp__fail(res, WXP_E_ARG, "method", "one of GET POST PUT PATCH DELETE");
    n = strlen(path);
    if (n == 0 || path[0] != '/' || !wxp__header_safe(path, n) || strchr(path, '#'))
        return wxp__fail(res, WXP_E_ARG, "path", "an absolute path with percent-encoded characters");
    if (resp_off >= cfg->io_buf_size) return wxp__nospace(res, resp_off + 1, "io_buf"); /* before signing */
    now = wxp__now(c);
    e = wxp__nonce(&cfg->random, nonce, res);
    if (e) return e;
    nonce_v.ptr = nonce;
    nonce_v.len = WXP_NONCE_LEN;
    e = wxp_v3_authorization(c->wxp__priv.cfg.signer, cfg->mchid, cfg->serial, method, wxp_cstr(path),
                             now, nonce_v, body, c->wxp__priv.auth, sizeof c->wxp__priv.auth,
                             NULL, res);
    if (e) return e;
    h = c->wxp__priv.hdr;
    n = 0;
    h[n].name = wxp_cstr("Authorization"); h[n++].value = wxp_cstr(c->wxp__priv.auth);
    h[n].name = wxp_cstr("Accept");        h[n++].value = wxp_cstr("application/json");
    h[n].name = wxp_cstr("User-Agent");    h[n++].value = wxp_cstr(WXP__USER_AGENT);
    if (body.len) {
        h[n].name = wxp_cstr("Content-Type");
        h[n++].value = wxp_cstr(content_type ? content_type : "application/json");
    }
    /* Wechatpay-Serial names the key that encrypted a field, else the key the
       answer should be signed with (what merchants on the public key send). */
    if (!wp_key) wp_key = wxp_keystore_pick(cfg->keys, now);
    if (wp_key) {
        h[n].name = wxp_cstr("Wechatpay-Serial"); h[n++].value = wxp_cstr(wp_key->serial);
    }
    wxp__req_init(c, method, path, n, body, resp_off);
    if (req) *req = &c->wxp__priv.req;
    if (resp) *resp = &c->wxp__priv.resp;
    return WXP_OK;
}

WXP_API wxp_err wxp_v3_prepare(wxp_client *c, const char *method, const char *path, wxp_str body,
                               const wxp_http_request **req, wxp_http_response **resp, wxp_result *res)
{
    return wxp__v3_prepare(c, method, path, body, NULL, 0, req, resp, res);
}

/* The io_buf space after the answer, aligned to align: room for *cap elements
   of elem bytes (none when the answer fills io_buf). */
WXP__PRIVATE void *wxp__io_after_answer(wxp_client *c, size_t align, size_t elem, size_t *cap)
{
    const wxp_http_response *r = &c->wxp__priv.resp;
    char *base = (char *)c->wxp__priv.cfg.io_buf, *end = base + c->wxp__priv.cfg.io_buf_size;
    size_t off = (size_t)(r->wxp__priv.buf + r->wxp__priv.len - base);
    off = (off + align - 1) / align * align;
    if (off > (size_t)(end - base)) off = (size_t)(end - base);
    *cap = (size_t)(end - (base + off)) / elem;
    return base + off;
}

/* Parses the JSON answer in io_buf, with the tokens in the io_buf space after it. */
WXP__PRIVATE wxp_err wxp__parse_in_io(wxp_client *c, wxp_json *doc, wxp_result *res)
{
    const wxp_http_response *r = &c->wxp__priv.resp;
    size_t cap;
    wxp_json_tok none, /* no room at all is too little room, never "measure only" */
        *tok = (wxp_json_tok *)wxp__io_after_answer(c, sizeof(uint32_t), sizeof(wxp_json_tok), &cap);
    return wxp__json_parse(doc, r->wxp__priv.buf, r->wxp__priv.len, cap ? tok : &none, cap, res);
}

WXP_API wxp_err wxp_v3_finish(wxp_client *c, wxp_result *res)
{
    wxp_http_response *r;
    wxp_str body;
    unsigned seen, sigbits = WXP__H_TS | WXP__H_NONCE | WXP__H_SERIAL | WXP__H_SIG;
    int status;
    wxp_err e = WXP_OK;
    WXP__REQUIRE(c);
    wxp__res_clear(res);
    if (res) res->sent = 1; /* an answer to finish: the request went out */
    r = &c->wxp__priv.resp;
    status = r->wxp__priv.status;
    seen = r->wxp__priv.seen;
    wxp__res_heard(res, r);
    if (status < 100 || status > 599)
        return wxp__fail(res, WXP_E_TRANSPORT, "status", "the transport set no HTTP status");
    if (r->wxp__priv.needed > r->wxp__priv.cap)
        return wxp__nospace(res, r->wxp__priv.needed, "io_buf");
    body.ptr = r->wxp__priv.buf;
    body.len = r->wxp__priv.len;
    if ((seen & (sigbits * WXP__H_LONG)) != 0)
        return wxp__fail(res, WXP_E_HEADER, "Wechatpay-*", "a signature header is longer than any valid one");
    if ((status >= 200 && status < 300) || (seen & sigbits)) {
        e = wxp__v3_check(c, wxp_cstr(r->wxp__priv.timestamp), wxp_cstr(r->wxp__priv.nonce),
                          wxp_cstr(r->wxp__priv.signature), wxp_cstr(r->wxp__priv.serial), body, NULL, res);
        if (e) return e;
    }
    if (res) res->body = body;
    if (status >= 200 && status < 300) return WXP_OK;
    /* {"code":"PARAM_ERROR","message":"…","detail":{…}}: keep code and message. */
    if (res) {
        wxp_json doc;
        wxp_str code, msg;
        if (wxp__parse_in_io(c, &doc, NULL) == WXP_OK) {
            if (wxp__json_field_str(&doc, 0, "code", 1, &code, NULL) == WXP_OK)
                wxp__copy(res->code, sizeof res->code, code.ptr, code.len);
            if (wxp__json_field_str(&doc, 0, "message", 1, &msg, NULL) == WXP_OK)
                wxp__copy(res->message, sizeof res->message, msg.ptr, msg.len);
        }
        if (!res->code[0]) wxp__copy(res->code, sizeof res->code, "HTTP_ERROR", 10);
    }
    return WXP_E_HTTP;
}

/* Calls the transport with the client's request: WXP_OK, or its failure as
   WXP_E_TRANSPORT, WXP_E_TIMEOUT or WXP_E_TLS with its reason in
   res->message. A request nothing of which left goes once to the other host
   of config.host and config.backup_host (HOSTS AND FAILOVER); the first
   host's reason waits in res->message meanwhile. */
WXP__PRIVATE wxp_err wxp__transport(wxp_client *c, wxp_result *res)
{
    const wxp_config *cfg = &c->wxp__priv.cfg;
    wxp_http_request *req = &c->wxp__priv.req;
    wxp_http_response *resp = &c->wxp__priv.resp;
    char errbuf[WXP_ERRBUF_SIZE];
    const char *other = NULL;
    wxp_err e;
    int rc, unsent = 0, failed_over = 0;
    if (*cfg->backup_host && strcmp(req->host, cfg->host) == 0) other = cfg->backup_host;
    else if (*cfg->backup_host && strcmp(req->host, cfg->backup_host) == 0) other = cfg->host;
    for (;;) {
        errbuf[0] = 0;
        /* From here on the request may reach WeChat Pay, whatever goes wrong;
           only the transport's word that no byte of it left says otherwise. */
        if (res) res->sent = 1;
        rc = cfg->transport.fn(cfg->transport.user, req, resp, errbuf, sizeof errbuf);
        if (rc == WXP_TRANSPORT_OK) break;
        errbuf[sizeof errbuf - 1] = 0;
        unsent = rc == WXP_TRANSPORT_TLS ||
                 (rc == WXP_TRANSPORT_NO_CONNECTION && !resp->wxp__priv.status && !resp->wxp__priv.len);
        if (!unsent || resp->wxp__priv.status || resp->wxp__priv.len || !other) break;
        /* Nothing left, nothing heard: the same request, once, to the other host. */
        if (WXP__MESSAGES && res) {
            wxp__copy(res->message, sizeof res->message, req->host, strlen(req->host));
            wxp__append(res->message, sizeof res->message, ": ", 2);
            wxp__append(res->message, sizeof res->message, errbuf, strlen(errbuf));
        }
        req->host = other;
        other = NULL;
        failed_over = 1;
    }
    if (failed_over && (rc == WXP_TRANSPORT_OK || !unsent)) /* the other host took it, and what follows */
        c->wxp__priv.on_backup = req->host == cfg->backup_host;
    if (rc == WXP_TRANSPORT_OK) {
        if (res && failed_over) res->message[0] = 0;   /* the first host's reason: not this call's */
        return WXP_OK;
    }
    wxp__res_heard(res, resp);
    if (res && unsent) res->sent = 0;
    e = rc == WXP_TRANSPORT_TIMEOUT ? WXP_E_TIMEOUT : rc == WXP_TRANSPORT_TLS ? WXP_E_TLS : WXP_E_TRANSPORT;
    if (!failed_over) return wxp__fail(res, e, "transport", errbuf[0] ? errbuf : "the transport failed");
    (void)wxp__fail(res, e, "transport", NULL);
    if (WXP__MESSAGES && res) { /* both hosts: the first's reason, then this one's */
        wxp__append(res->message, sizeof res->message, "; ", 2);
        wxp__append(res->message, sizeof res->message, req->host, strlen(req->host));
        wxp__append(res->message, sizeof res->message, ": ", 2);
        wxp__append(res->message, sizeof res->message, errbuf, strlen(errbuf));
    }
    return e;
}

/* The log's view of an exchange: opened as the request goes to the
   transport, reported (once) with the call's verdict on it. */
WXP__PRIVATE void wxp__log_open(wxp_client *c)
{
    const wxp_log *l = &c->wxp__priv.cfg.log;
    c->wxp__priv.log_open = l->fn != NULL;
    c->wxp__priv.log_t0 = l->fn && l->now_ms ? l->now_ms(l->user) : 0;
}

WXP__PRIVATE wxp_err wxp__logged(wxp_client *c, wxp_err e, const wxp_result *res)
{
    const wxp_log *l = &c->wxp__priv.cfg.log;
    wxp_log_event ev;
    if (!c->wxp__priv.log_open) return e;
    c->wxp__priv.log_open = 0;
    memset(&ev, 0, sizeof ev);
    ev.method = c->wxp__priv.req.method;
    ev.host = c->wxp__priv.req.host;
    ev.path = c->wxp__priv.req.path;
    {
        const char *q = ev.path.ptr ? (const char *)memchr(ev.path.ptr, '?', ev.path.len) : NULL;
        if (q) ev.path.len = (size_t)(q - ev.path.ptr);
    }
    ev.attempt = WXP__DEF(c->wxp__priv.attempt, 1u);
    ev.err = e;
    ev.sent = res ? res->sent : 1;
    ev.status = res ? res->status : c->wxp__priv.resp.wxp__priv.status;
    ev.request_id = res ? res->request_id : "";
    ev.code = res ? res->code : "";
    ev.message = res && e ? res->message : "";
    ev.elapsed_ms = l->now_ms ? l->now_ms(l->user) - c->wxp__priv.log_t0 : 0;
    l->fn(l->user, &ev);
    return e;
}

/* Runs the prepared request through the transport. */
WXP__PRIVATE wxp_err wxp__v3_transport(wxp_client *c, wxp_result *res)
{
    wxp__log_open(c);
    return wxp__transport(c, res);
}

/* The transport, then the answer checked. */
WXP__PRIVATE wxp_err wxp__v3_send(wxp_client *c, wxp_result *res)
{
    wxp_err e = wxp__v3_transport(c, res);
    return wxp__logged(c, e ? e : wxp_v3_finish(c, res), res);
}

WXP_API wxp_err wxp_v3_request(wxp_client *c, const char *method, const char *path, wxp_str body,
                               wxp_result *res)
{
    wxp_err e = wxp_v3_prepare(c, method, path, body, NULL, NULL, res);
    return e ? e : wxp__v3_send(c, res);
}

WXP_API wxp_err wxp_client_encrypt(wxp_client *c, wxp_str plain, char *out, size_t cap, size_t *len,
                                   wxp_result *res)
{
    const wxp_pubkey *k;
    wxp_err e;
    WXP__REQUIRE(c);
    wxp__res_clear(res);
    k = wxp_keystore_pick(c->wxp__priv.cfg.keys, wxp__now(c));
    if (!k) return wxp__fail(res, WXP_E_ARG, "keys", "no WeChat Pay key valid now to encrypt with");
    e = wxp__oaep_encrypt(c->wxp__priv.cfg.verifier, k, &c->wxp__priv.cfg.random, plain, out, cap, len, res);
    if (e) return e;
    c->wxp__priv.wp_key = k;
    return WXP_OK;
}

WXP_API wxp_err wxp_client_decrypt(wxp_client *c, wxp_str b64, unsigned char *out, size_t cap,
                                   size_t *len, wxp_result *res)
{
    WXP__REQUIRE(c);
    wxp__res_clear(res);
    return wxp_oaep_decrypt(c->wxp__priv.cfg.signer, b64, out, cap, len, res);
}

/* ==== >>notify ======================================================= impl */

#define WXP__SMALL_DOC 64 /* tokens for callbacks and their resources */

WXP_API wxp_err wxp_notify_parse(wxp_client *c, const wxp_notify_headers *h, char *body,
                                 size_t body_len, unsigned char *plain, size_t plain_cap,
                                 wxp_notification *out, wxp_result *res)
{
    const wxp_config *cfg;
    wxp_json doc;
    wxp_json_tok tok[WXP__SMALL_DOC];
    wxp_str b, ct;
    size_t n;
    wxp_err e;
    long long ts;
    int seen;
    WXP__REQUIRE(c && h && out && (body || !body_len));
    wxp__res_clear(res);
    memset(out, 0, sizeof *out);
    cfg = &c->wxp__priv.cfg;
    if (cfg->apiv3_key.len != 32)
        return wxp__fail(res, WXP_E_ARG, "apiv3_key", "callbacks need the 32-byte APIv3 key in the config");
    b.ptr = body;
    b.len = body_len;
    e = wxp__v3_check(c, h->timestamp, h->nonce, h->signature, h->serial, b, &ts, res);
    if (e) return e;
    e = wxp__json_parse(&doc, body, body_len, tok, WXP__SMALL_DOC, res);
    if (e) return e;
#define WXP__F(path, req, dst) if ((e = wxp__json_field_str(&doc, 0, path, req, dst, res)) != WXP_OK) return e
    WXP__F("id", 1, &out->id);
    WXP__F("create_time", 0, &out->create_time);
    WXP__F("event_type", 1, &out->event_type);
    WXP__F("resource_type", 0, &out->resource_type);
    WXP__F("summary", 0, &out->summary);
    WXP__F("resource.original_type", 0, &out->original_type);
    WXP__F("resource.algorithm", 1, &out->algorithm);
    WXP__F("resource.associated_data", 0, &out->associated_data);
    WXP__F("resource.nonce", 1, &out->nonce);
    WXP__F("resource.ciphertext", 1, &ct);
#undef WXP__F
    if (!wxp__str_eq(out->algorithm, "AEAD_AES_256_GCM"))
        return wxp__fail(res, WXP_E_UNSUPPORTED, "resource.algorithm", "only AEAD_AES_256_GCM is defined");
    e = wxp__client_gcm_decrypt(c, out->nonce, out->associated_data, ct, plain, plain_cap, &n, res);
    if (e) return e;
    /* Asked last: a delivery that failed before here (no room in plain...)
       was not recorded and may come again. */
    if (cfg->replay.fn && (seen = cfg->replay.fn(cfg->replay.user, h->nonce, ts)) != 0) {
        wxp__wipe(plain, n);
        memset(out, 0, sizeof *out);
        if (seen < 0)
            return wxp__fail(res, WXP_E_UNCHECKED, "Wechatpay-Nonce",
                             "the replay guard could not check this callback: answer 5xx, it comes again");
        return wxp__fail(res, WXP_E_REPLAY, "Wechatpay-Nonce", "this callback was delivered before");
    }
    out->plaintext.ptr = (const char *)plain;
    out->plaintext.len = n;
    return WXP_OK;
}

WXP_API wxp_err wxp_notify_answer(int ok, const char *message, char *out, size_t cap, size_t *len,
                                  int *status)
{
    wxp_json_writer w;
    if (ok) {
        if (status) *status = 204;
        if (len) *len = 0;
        if (out && cap) out[0] = 0;
        return WXP_OK;
    }
    if (status) *status = 500;
    wxp_jw_init(&w, out, cap);
    wxp_jw_object_begin(&w);
    wxp_jw_key(&w, "code");
    wxp_jw_cstring(&w, "FAIL");
    wxp_jw_key(&w, "message");
    wxp_jw_cstring(&w, message && *message ? message : "failed");
    wxp_jw_object_end(&w);
    return wxp_jw_finish(&w, len, NULL);
}

/* ==== >>paysign ====================================================== impl */

/* Signs four lines, each ended by \n, with the client's key. */
WXP__PRIVATE wxp_err wxp__sign_lines(wxp_client *c, const char *a, const char *b, const char *d,
                                     const char *e4, char *sig, size_t cap, wxp_result *res)
{
    wxp_str parts[8];
    parts[0] = wxp_cstr(a);  parts[1] = wxp_cstr("\n");
    parts[2] = wxp_cstr(b);  parts[3] = parts[1];
    parts[4] = wxp_cstr(d);  parts[5] = parts[1];
    parts[6] = wxp_cstr(e4); parts[7] = parts[1];
    return wxp__sign_parts(c->wxp__priv.cfg.signer, parts, 8, sig, cap, NULL, res);
}

/* Fresh timestamp and nonce into the caller's fields. */
WXP__PRIVATE wxp_err wxp__stamp(wxp_client *c, char *ts, char *nonce, wxp_result *res)
{
    wxp__itoa(ts, wxp__now(c));
    return wxp__nonce(&c->wxp__priv.cfg.random, nonce, res);
}

WXP_API wxp_err wxp_jsapi_sign(wxp_client *c, const char *appid, const char *prepay_id,
                               wxp_jsapi_params *out, wxp_result *res)
{
    wxp_err e;
    WXP__REQUIRE(c && out);
    wxp__res_clear(res);
    memset(out, 0, sizeof *out);
    if (!appid || !*appid || strlen(appid) >= sizeof out->appId || !wxp__header_safe(appid, strlen(appid)))
        return wxp__fail(res, WXP_E_ARG, "appid", "1-39 printable characters");
    if (!prepay_id || !*prepay_id || strlen(prepay_id) + 11 >= sizeof out->package)
        return wxp__fail(res, WXP_E_ARG, "prepay_id", "1-148 characters");
    wxp__copy(out->appId, sizeof out->appId, appid, strlen(appid));
    wxp__copy(out->package, sizeof out->package, "prepay_id=", 10);
    wxp__append(out->package, sizeof out->package, prepay_id, strlen(prepay_id));
    wxp__copy(out->signType, sizeof out->signType, "RSA", 3);
    e = wxp__stamp(c, out->timeStamp, out->nonceStr, res);
    if (e) return e;
    return wxp__sign_lines(c, out->appId, out->timeStamp, out->nonceStr, out->package, out->paySign,
                           sizeof out->paySign, res);
}

WXP_API wxp_err wxp_app_sign(wxp_client *c, const char *appid, const char *prepay_id,
                             wxp_app_params *out, wxp_result *res)
{
    wxp_err e;
    const char *mchid;
    WXP__REQUIRE(c && out);
    wxp__res_clear(res);
    memset(out, 0, sizeof *out);
    mchid = c->wxp__priv.cfg.mchid;
    if (!appid || !*appid || strlen(appid) >= sizeof out->appid || !wxp__header_safe(appid, strlen(appid)))
        return wxp__fail(res, WXP_E_ARG, "appid", "1-39 printable characters");
    if (!prepay_id || !*prepay_id || strlen(prepay_id) >= sizeof out->prepayid)
        return wxp__fail(res, WXP_E_ARG, "prepay_id", "1-71 characters");
    wxp__copy(out->appid, sizeof out->appid, appid, strlen(appid));
    wxp__copy(out->partnerid, sizeof out->partnerid, mchid, strlen(mchid));
    wxp__copy(out->prepayid, sizeof out->prepayid, prepay_id, strlen(prepay_id));
    wxp__copy(out->package, sizeof out->package, "Sign=WXPay", 10);
    e = wxp__stamp(c, out->timestamp, out->noncestr, res);
    if (e) return e;
    return wxp__sign_lines(c, out->appid, out->timestamp, out->noncestr, out->prepayid, out->sign,
                           sizeof out->sign, res);
}

/* ==== >>certificates ================================================= impl */

#ifndef WXP_CERT_DOWNLOAD_MAX
#define WXP_CERT_DOWNLOAD_MAX 4
#endif

/* A string read without unescaping, so the body stays as signed. */
WXP__PRIVATE wxp_err wxp__json_field_raw(const wxp_json *doc, int obj, const char *path, wxp_str *out,
                                         wxp_result *res)
{
    int t = wxp_json_get(doc, obj, path);
    if (t < 0) return wxp__fail(res, WXP_E_NOTFOUND, path, "required field missing");
    if (doc->tok[t].type != WXP_JSON_STRING || (doc->tok[t].flags & WXP__TOK_ESC))
        return wxp__fail(res, WXP_E_TYPE, path, "expected a plain string");
    out->ptr = doc->text + doc->tok[t].start;
    out->len = doc->tok[t].len;
    return WXP_OK;
}

/* Decrypts the certificate of the list item into scratch. */
WXP__PRIVATE wxp_err wxp__cert_open(wxp_client *c, const wxp_json *doc, int item, unsigned char *scratch,
                                    size_t room, size_t *n, wxp_result *res)
{
    wxp_str nonce, aad, ct;
    wxp_err e;
    if ((e = wxp__json_field_raw(doc, item, "encrypt_certificate.nonce", &nonce, res)) != WXP_OK ||
        (e = wxp__json_field_raw(doc, item, "encrypt_certificate.associated_data", &aad, res)) != WXP_OK ||
        (e = wxp__json_field_raw(doc, item, "encrypt_certificate.ciphertext", &ct, res)) != WXP_OK)
        return e;
    return wxp__client_gcm_decrypt(c, nonce, aad, ct, scratch, room, n, res);
}

WXP__PRIVATE wxp_err wxp__certificates_fetch(wxp_client *c, wxp_cert_sink save, wxp_result *res)
{
    wxp_http_response *resp;
    wxp_pubkey got[WXP_CERT_DOWNLOAD_MAX];
    size_t ngot = 0, i, n;
    wxp_json doc;
    wxp_str serial, pem;
    unsigned char *scratch;
    size_t room;
    int data, item, verified = 0;
    wxp_keystore tmp;
    wxp_err e;
    wxp_config *cfg;
    WXP__REQUIRE(c);
    wxp__res_clear(res);
    cfg = &c->wxp__priv.cfg;
    if (cfg->apiv3_key.len != 32)
        return wxp__fail(res, WXP_E_ARG, "apiv3_key", "certificates are encrypted with the APIv3 key");
    e = wxp_v3_prepare(c, "GET", "/v3/certificates", wxp_cstr(""), NULL, &resp, res);
    if (!e) e = wxp__v3_transport(c, res);
    if (e) return e;
    /* An answer signed by a key already held is checked before anything in it
       is read; only a first download must decrypt before it can verify. */
    if (resp->wxp__priv.status != 200 || resp->wxp__priv.needed > resp->wxp__priv.cap ||
        wxp_keystore_find(cfg->keys, wxp_cstr(resp->wxp__priv.serial))) {
        e = wxp_v3_finish(c, res);
        if (e) return e;
        verified = 1;
    }
    if (res) res->status = 200;
    e = wxp__parse_in_io(c, &doc, res);
    if (e) return e;
    data = wxp_json_get(&doc, 0, "data");
    if (data < 0 || doc.tok[data].type != WXP_JSON_ARRAY)
        return wxp__fail(res, WXP_E_NOTFOUND, "data", "no certificate list in the answer");
    /* Decrypt each certificate into the io_buf space past the tokens. */
    scratch = (unsigned char *)(doc.tok + doc.count);
    room = (size_t)((char *)cfg->io_buf + cfg->io_buf_size - (char *)scratch);
    for (item = wxp_json_first(&doc, data); item >= 0; item = wxp_json_next(&doc, data, item)) {
        if (ngot == WXP_CERT_DOWNLOAD_MAX)
            return wxp__fail(res, WXP_E_FULL, "data", "more certificates than WXP_CERT_DOWNLOAD_MAX");
        if ((e = wxp__json_field_raw(&doc, item, "serial_no", &serial, res)) != WXP_OK ||
            (e = wxp__cert_open(c, &doc, item, scratch, room, &n, res)) != WXP_OK)
            return e;
        pem.ptr = (const char *)scratch;
        pem.len = n;
        e = wxp__pubkey_load(&got[ngot], pem, res);
        if (e) return e;
        if (!wxp__str_eq(serial, got[ngot].serial))
            return wxp__fail(res, WXP_E_KEY, "serial_no", "the certificate's serial differs from serial_no");
        ngot++;
    }
    /* Bootstrap: the answer must verify under a certificate it delivered. */
    if (!verified) {
        wxp_keystore *held = cfg->keys;
        wxp_keystore_init(&tmp, got, ngot);
        tmp.count = ngot;
        cfg->keys = &tmp;
        e = wxp_v3_finish(c, res);
        cfg->keys = held;
        if (e) return e;
    }
    for (i = 0; i < ngot; i++) {
        e = wxp__keystore_put(cfg->keys, &got[i], res);
        if (e) return e;
    }
    /* Verified: decrypt again (same bytes) for whoever stores the PEMs. */
    for (i = 0, item = wxp_json_first(&doc, data); save.fn && item >= 0; i++, item = wxp_json_next(&doc, data, item)) {
        if (wxp__cert_open(c, &doc, item, scratch, room, &n, NULL) != WXP_OK) continue;
        pem.ptr = (const char *)scratch;
        pem.len = n;
        save.fn(save.user, wxp_keystore_find(cfg->keys, wxp_cstr(got[i].serial)), pem);
        wxp__wipe(scratch, n);
    }
    return WXP_OK;
}

WXP_API wxp_err wxp_certificates_fetch(wxp_client *c, wxp_cert_sink save, wxp_result *res)
{
    return wxp__logged(c, wxp__certificates_fetch(c, save, res), res);
}

WXP_API wxp_err wxp_keystore_refresh(wxp_client *c, wxp_cert_sink save, int *downloaded, wxp_result *res)
{
    const wxp_keystore *ks;
    long long now, newest = 0;
    size_t i, certs = 0;
    wxp_err e;
    WXP__REQUIRE(c);
    wxp__res_clear(res);
    if (downloaded) *downloaded = 0;
    ks = c->wxp__priv.cfg.keys;
    for (i = 0; i < ks->count; i++) certs += ks->keys[i].kind == WXP_KEY_CERT;
    if (ks->count && !certs) return WXP_OK; /* public keys only: nothing to fetch */
    now = wxp__now(c);
    if (now < c->wxp__priv.certs_due) return WXP_OK;
    e = wxp_certificates_fetch(c, save, res);
    if (e) {
        c->wxp__priv.certs_due = now + WXP_CERT_RETRY_S;
        return e;
    }
    if (downloaded) *downloaded = 1;
    for (i = 0; i < ks->count; i++)
        if (ks->keys[i].kind == WXP_KEY_CERT && ks->keys[i].not_after > newest) newest = ks->keys[i].not_after;
    c->wxp__priv.certs_due = now + (newest - now < WXP_CERT_RENEW_S ? 3600 : WXP_CERT_REFRESH_S);
    return WXP_OK;
}

WXP_API wxp_err wxp_certificates_download(wxp_client *c, wxp_result *res)
{
    wxp_cert_sink none;
    none.fn = NULL;
    none.user = NULL;
    return wxp_certificates_fetch(c, none, res);
}

/* ==== >>models ======================================================= impl */

/* "prefix.key" or "prefix.index" into path (error messages name the field). */
WXP__PRIVATE void wxp__path_join(char *path, size_t cap, const char *prefix, const char *key, long long index)
{
    char num[24];
    path[0] = 0;
    if (prefix && *prefix) {
        wxp__append(path, cap, prefix, strlen(prefix));
        wxp__append(path, cap, ".", 1);
    }
    if (key) wxp__append(path, cap, key, strlen(key));
    else wxp__append(path, cap, num, wxp__itoa(num, index));
}

WXP__PRIVATE int wxp__charset_ok(int cs, const char *s, size_t n)
{
    size_t i;
    if (cs == WXP_CS_HTTPS || cs == WXP_CS_URL)
        return ((n > 8 && memcmp(s, "https://", 8) == 0) ||
                (cs == WXP_CS_URL && n > 7 && memcmp(s, "http://", 7) == 0)) &&
               !memchr(s, '?', n) && !memchr(s, '#', n) && wxp__header_safe(s, n);
    for (i = 0; i < n;) {
        unsigned char ch = (unsigned char)s[i];
        int ok;
        switch (cs) {
        case WXP_CS_OUTNO: ok = (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                                strchr("_|*@-", ch) != NULL; break;
        case WXP_CS_TRADENO: ok = (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                                  strchr("_|*-", ch) != NULL; break;
        case WXP_CS_DIGITS: ok = ch >= '0' && ch <= '9'; break;
        case WXP_CS_ALNUM: ok = (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z'); break;
        case WXP_CS_ENUM: ok = (ch >= 'A' && ch <= 'Z') || ch == '_'; break;
        default: {
            size_t k = wxp__utf8_seq((const unsigned char *)s + i, n - i);
            if (!k || ch < 0x20 || ch == 0x7F) return 0;
            i += k;
            continue;
        }
        }
        if (!ok || ch == 0) return 0;
        i++;
    }
    return 1;
}

#define WXP__AT(obj, off, T) ((T)(void *)((char *)(obj) + (off)))
#define WXP__CAT(obj, off, T) ((T)(const void *)((const char *)(obj) + (off)))

/* The value a request field takes when the caller leaves it empty, for every
   endpoint in one place: the merchant's ids from the config, "CNY". cfg may
   be NULL (encoding without a client). */
WXP__PRIVATE const char *wxp__default(const wxp_config *cfg, const char *key)
{
    if (strcmp(key, "currency") == 0) return "CNY";
    if (!cfg) return NULL;
    if (strcmp(key, "mchid") == 0 || strcmp(key, "sp_mchid") == 0) return cfg->mchid;
    if (strcmp(key, "appid") == 0 || strcmp(key, "sp_appid") == 0) return cfg->appid;
    return NULL;
}

/* A request string as sent: the caller's, or the default; NULL when neither. */
WXP__PRIVATE const char *wxp__req_str(const wxp_config *cfg, const wxp__field *f, const void *obj)
{
    const char *s = *WXP__CAT(obj, f->off, const char *const *);
    return s && *s ? s : wxp__default(cfg, f->key);
}

/* Whether the caller set any field of a request object (defaults aside):
   an optional object is sent only then. */
WXP__PRIVATE int wxp__obj_set(const wxp__model *m, const void *obj)
{
    size_t i;
    for (i = 0; i < m->n; i++) {
        const wxp__field *f = &m->f[i];
        const char *s;
        switch (f->type) {
        case WXP__T_STR: s = *WXP__CAT(obj, f->off, const char *const *); if (s && *s) return 1; break;
        case WXP__T_INT: if (*WXP__CAT(obj, f->off, const long long *)) return 1; break;
        case WXP__T_BOOL: if (*WXP__CAT(obj, f->off, const int *)) return 1; break;
        case WXP__T_OBJ: if (wxp__obj_set(f->sub, WXP__CAT(obj, f->off, const char *))) return 1; break;
        case WXP__T_ARR: if (*WXP__CAT(obj, WXP__COUNT_OFF(f), const size_t *)) return 1; break;
        default: break;
        }
    }
    return 0;
}

/* A row's upper bound (WXP__HI). */
WXP__PRIVATE long long wxp__hi(const wxp__field *f)
{
    switch (f->hi) {
    case 0: return 65536;
    case 0xFFFD: return 1000000;
    case 0xFFFE: return 100000000;
    case 0xFFFF: return WXP__FEN_MAX;
    default: return (long long)f->hi;
    }
}

/* Every rule of the table, before anything is signed or sent. */
WXP__PRIVATE wxp_err wxp__validate(const wxp__model *m, const void *obj, const wxp_config *cfg, const char *prefix,
                                   wxp_result *res)
{
    char path[64];
    size_t i, k;
    wxp_err e;
    for (i = 0; i < m->n; i++) {
        const wxp__field *f = &m->f[i];
        wxp__path_join(path, sizeof path, prefix, f->key, 0);
        switch (f->type) {
        case WXP__T_STR: {
            const char *s = wxp__req_str(cfg, f, obj);
            size_t n = s ? strlen(s) : 0, len = n, b;
            if (!n) {
                if (f->req) return wxp__fail(res, WXP_E_ARG, path, "required");
                break;
            }
            if (f->cs == WXP_CS_TEXT) /* characters: every byte but UTF-8 continuations */
                for (len = 0, b = 0; b < n; b++) len += ((unsigned char)s[b] & 0xC0) != 0x80;
            if ((long long)len < f->lo || (long long)len > wxp__hi(f))
                return wxp__fail(res, WXP_E_ARG, path, f->cs == WXP_CS_TEXT ? "more characters than the API allows"
                                 : "length out of the range the API allows");
            if (!wxp__charset_ok(f->cs, s, n))
                return wxp__fail(res, WXP_E_ARG, path, f->cs == WXP_CS_HTTPS ? "an https URL without a query"
                                 : f->cs == WXP_CS_URL ? "an http(s) URL without a query"
                                 : "characters outside the set the API allows");
            break;
        }
        case WXP__T_INT: {
            long long v = *WXP__CAT(obj, f->off, const long long *);
            if (!f->req && v == 0) break;
            if (v < (long long)f->lo || v > wxp__hi(f)) return wxp__fail(res, WXP_E_ARG, path, "value out of range");
            break;
        }
        case WXP__T_OBJ:
            if (!f->req && !wxp__obj_set(f->sub, WXP__CAT(obj, f->off, const char *))) break;
            if ((e = wxp__validate(f->sub, WXP__CAT(obj, f->off, const char *), cfg, path, res)) != WXP_OK) return e;
            break;
        case WXP__T_ARR: {
            const char *arr = *WXP__CAT(obj, f->off, const char *const *);
            size_t n = *WXP__CAT(obj, WXP__COUNT_OFF(f), const size_t *);
            if (f->req && n == 0) return wxp__fail(res, WXP_E_ARG, path, "required");
            if ((long long)n > wxp__hi(f)) return wxp__fail(res, WXP_E_ARG, path, "more elements than the API allows");
            if (n && !arr) return wxp__fail(res, WXP_E_ARG, path, "count set but no array");
            for (k = 0; k < n; k++) {
                char item[64];
                wxp__path_join(item, sizeof item, path, NULL, (long long)k);
                if ((e = wxp__validate(f->sub, arr + k * f->sub->elem, cfg, item, res)) != WXP_OK) return e;
            }
            break;
        }
        default: break;
        }
    }
    return WXP_OK;
}

/* Whether "{key}" stands in the path template (its value goes there). */
WXP__PRIVATE int wxp__in_path(const char *tmpl, const char *key)
{
    size_t n = strlen(key);
    for (; tmpl && (tmpl = strchr(tmpl, '{')) != NULL; tmpl++)
        if (strncmp(tmpl + 1, key, n) == 0 && tmpl[n + 1] == '}') return 1;
    return 0;
}

/* The JSON body of a request: every set field (or its default), but those
   the path template carries. */
WXP__PRIVATE void wxp__encode(const wxp__model *m, const void *obj, const wxp_config *cfg, const char *tmpl,
                              wxp_json_writer *w)
{
    size_t i, k;
    wxp_jw_object_begin(w);
    for (i = 0; i < m->n; i++) {
        const wxp__field *f = &m->f[i];
        if (wxp__in_path(tmpl, f->key)) continue;
        if (f->type == WXP__T_STR) {
            const char *s = wxp__req_str(cfg, f, obj);
            if (!s || !*s) continue;
            wxp_jw_key(w, f->key);
            wxp_jw_cstring(w, s);
        } else if (f->type == WXP__T_INT) {
            long long v = *WXP__CAT(obj, f->off, const long long *);
            if (!f->req && v == 0) continue;
            wxp_jw_key(w, f->key);
            wxp_jw_int(w, v);
        } else if (f->type == WXP__T_BOOL) {
            int v = *WXP__CAT(obj, f->off, const int *);
            if (!f->req && !v) continue;
            wxp_jw_key(w, f->key);
            wxp_jw_bool(w, v != 0);
        } else if (f->type == WXP__T_OBJ) {
            if (!f->req && !wxp__obj_set(f->sub, WXP__CAT(obj, f->off, const char *))) continue;
            wxp_jw_key(w, f->key);
            wxp__encode(f->sub, WXP__CAT(obj, f->off, const char *), cfg, NULL, w);
        } else {
            const char *arr = *WXP__CAT(obj, f->off, const char *const *);
            size_t n = *WXP__CAT(obj, WXP__COUNT_OFF(f), const size_t *);
            if (!n) continue;
            wxp_jw_key(w, f->key);
            wxp_jw_array_begin(w);
            for (k = 0; k < n; k++) wxp__encode(f->sub, arr + k * f->sub->elem, cfg, NULL, w);
            wxp_jw_array_end(w);
        }
    }
    wxp_jw_object_end(w);
}

/* A required answer string whose row asks for at least one byte came empty:
   as useless as a missing one (a refund with status "" decides nothing). */
WXP__PRIVATE int wxp__empty_required(const wxp__field *f, const wxp_str *s)
{
    return f->req && f->lo > 0 && s->len == 0;
}

/* A list longer than the caller's array does not fail a call WeChat Pay has
   carried out (a booked refund must not look like a failed one): what fits is
   kept, decoding goes on, and the call ends WXP_E_PARTIAL naming the first
   such list (needed: its length). Nonzero: e is another error, stop. */
WXP__PRIVATE int wxp__partial(wxp_err e, wxp_err *partial, size_t n, const char *path, wxp_result *res)
{
    if (e != WXP_E_PARTIAL) return e != WXP_OK;
    if (n && res && !res->field[0]) {
        res->needed = n;
        (void)wxp__fail(res, e, path, "more elements than the array's _cap: the first _cap are kept");
    }
    *partial = e;
    return 0;
}

/* Fills obj from the object token tok. Arrays go into the caller's arrays. */
WXP__PRIVATE wxp_err wxp__decode(const wxp__model *m, const wxp_json *doc, int tok, void *obj,
                                 const char *prefix, wxp_result *res)
{
    char path[64];
    size_t i;
    wxp_err e, partial = WXP_OK;
    for (i = 0; i < m->n; i++) {
        const wxp__field *f = &m->f[i];
        int t = wxp_json_get(doc, tok, f->key);
        int absent = t < 0 || doc->tok[t].type == WXP_JSON_NULL;
        wxp__path_join(path, sizeof path, prefix, f->key, 0);
        if (absent && f->req) return wxp__fail(res, WXP_E_NOTFOUND, path, "required field missing in the answer");
        switch (f->type) {
        case WXP__T_STR: {
            wxp_str *s = WXP__AT(obj, f->off, wxp_str *);
            s->ptr = "";
            s->len = 0;
            if (!absent && (e = wxp_json_string(doc, t, s)) != WXP_OK)
                return wxp__fail(res, e, path, "expected a string");
            if (wxp__empty_required(f, s))
                return wxp__fail(res, WXP_E_NOTFOUND, path, "required field empty in the answer");
            break;
        }
        case WXP__T_INT: {
            long long *v = WXP__AT(obj, f->off, long long *);
            *v = 0;
            if (!absent && (e = wxp_json_int(doc, t, v)) != WXP_OK)
                return wxp__fail(res, e, path, e == WXP_E_TYPE ? "expected a number" : "not an int64");
            break;
        }
        case WXP__T_BOOL: {
            int *v = WXP__AT(obj, f->off, int *);
            *v = 0;
            if (!absent && (e = wxp_json_bool(doc, t, v)) != WXP_OK) return wxp__fail(res, e, path, "expected true or false");
            break;
        }
        case WXP__T_OBJ:
            /* absent: every field reset; arrays keep the caller's pointer and _cap */
            if (!absent && doc->tok[t].type != WXP_JSON_OBJECT)
                return wxp__fail(res, WXP_E_TYPE, path, "expected an object");
            e = wxp__decode(f->sub, doc, absent ? -1 : t, WXP__AT(obj, f->off, char *), path, res);
            if (wxp__partial(e, &partial, 0, path, res)) return e;
            break;
        case WXP__T_ARR: {
            char *arr = *WXP__AT(obj, f->off, char **);
            size_t *count = WXP__AT(obj, WXP__COUNT_OFF(f), size_t *), cap = arr ? count[1] : 0, k = 0;
            int el;
            *count = 0;
            if (absent) break;
            if (doc->tok[t].type != WXP_JSON_ARRAY) return wxp__fail(res, WXP_E_TYPE, path, "expected an array");
            for (el = wxp_json_first(doc, t); el >= 0; el = wxp_json_next(doc, t, el), k++) {
                char item[64];
                wxp__path_join(item, sizeof item, path, NULL, (long long)k);
                if (doc->tok[el].type != WXP_JSON_OBJECT) return wxp__fail(res, WXP_E_TYPE, item, "expected an object");
                if (k >= cap) continue; /* checked, not kept */
                e = wxp__decode(f->sub, doc, el, arr + k * f->sub->elem, item, res);
                if (wxp__partial(e, &partial, 0, path, res)) return e;
                *count = k + 1;
            }
            if (k > cap) (void)wxp__partial(WXP_E_PARTIAL, &partial, k, path, res);
            break;
        }
        default: break;
        }
    }
    return partial;
}

/* Fills obj from a whole answer, which must be an object. */
WXP__PRIVATE wxp_err wxp__decode_root(const wxp__model *m, const wxp_json *doc, void *obj, wxp_result *res)
{
    if (doc->tok[0].type != WXP_JSON_OBJECT) return wxp__fail(res, WXP_E_TYPE, "json", "expected an object");
    return wxp__decode(m, doc, 0, obj, "", res);
}

WXP_API wxp_err wxp_refund_notify_decode(wxp_notification *n, wxp_refund_notify *out, wxp_result *res)
{
    wxp_json doc;
    wxp_json_tok tok[WXP__SMALL_DOC];
    wxp_err e;
    WXP__REQUIRE(n && out);
    wxp__res_clear(res);
    /* The plaintext lies in the caller's writable plain buffer. */
    e = wxp__json_parse(&doc, (char *)(size_t)n->plaintext.ptr, n->plaintext.len, tok, WXP__SMALL_DOC, res);
    if (e) return e;
    return wxp__decode_root(&wxp_refund_notify__model, &doc, out, res);
}


/* A request model's fields, then its cross-field rules. */
WXP__PRIVATE wxp_err wxp__check_req(const wxp__model *m, wxp__rules_fn rules, const void *req, const wxp_config *cfg,
                                    wxp_result *res)
{
    wxp_err e = wxp__validate(m, req, cfg, "", res);
    return !e && rules ? rules(req, res) : e;
}

/* Validates (the table, then the model's own rules) and encodes a request
   into buf (NULL measures). */
WXP__PRIVATE wxp_err wxp__encode_req(const wxp__model *m, wxp__rules_fn rules, const void *req,
                                     const wxp_config *cfg, const char *tmpl, char *buf, size_t cap, size_t *len,
                                     wxp_result *res)
{
    wxp_json_writer w;
    wxp_err e = wxp__check_req(m, rules, req, cfg, res);
    if (e) return e;
    wxp_jw_init(&w, buf, cap);
    wxp__encode(m, req, cfg, tmpl, &w);
    return wxp__jw_finish(&w, len, res);
}

WXP__PRIVATE wxp_err wxp__refund_rules(const void *req, wxp_result *res)
{
    const wxp_refund_req *r = (const wxp_refund_req *)req;
    long long from = 0;
    unsigned seen = 0;
    size_t i;
    if ((!r->transaction_id || !*r->transaction_id) && (!r->out_trade_no || !*r->out_trade_no))
        return wxp__fail(res, WXP_E_ARG, "transaction_id", "one of transaction_id and out_trade_no is required");
    if (r->amount.refund > r->amount.total)
        return wxp__fail(res, WXP_E_ARG, "amount.refund", "the refund exceeds amount.total");
    if (r->funds_account && *r->funds_account && strcmp(r->funds_account, "AVAILABLE") != 0)
        return wxp__fail(res, WXP_E_ARG, "funds_account", "expected AVAILABLE (or unset: the order's own funds)");
    if (r->amount.currency && *r->amount.currency && strcmp(r->amount.currency, "CNY") != 0)
        return wxp__fail(res, WXP_E_ARG, "amount.currency", "expected CNY, the only currency of this API");
    for (i = 0; i < r->amount.from_count && r->amount.from; i++) {
        const char *a = r->amount.from[i].account;
        unsigned bit = a && strcmp(a, "AVAILABLE") == 0 ? 1u : a && strcmp(a, "UNAVAILABLE") == 0 ? 2u : 0u;
        if (!bit) return wxp__fail(res, WXP_E_ARG, "amount.from.account", "expected AVAILABLE or UNAVAILABLE");
        if (seen & bit) return wxp__fail(res, WXP_E_ARG, "amount.from.account", "an account appears twice in from[]");
        seen |= bit;
        from += r->amount.from[i].amount;
    }
    if (r->amount.from_count && from != r->amount.refund)
        return wxp__fail(res, WXP_E_ARG, "amount.from",
                         "the from[] amounts must sum to amount.refund exactly (WeChat Pay refuses any other sum)");
    return WXP_OK;
}

/* Days from 1970-01-01 to y-m-d (m 1-12; d may run past the month's end,
   which counts on into the next: 29 February of a common year is 1 March). */
WXP__PRIVATE long long wxp__days(long long y, long long m, long long d)
{
    long long era, yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* n digits of s as a number, or -1. */
WXP__PRIVATE long long wxp__digits(const char *s, size_t n)
{
    long long v = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* "2026-12-03T10:00:00+08:00" (fraction, Z or another offset allowed) or
   "20261203100000" (Beijing time) to Unix seconds and the date's fields. */
WXP__PRIVATE int wxp__parse_time(wxp_str t, long long f[6], long long *unix_s)
{
    static const unsigned char at14[6] = { 0, 4, 6, 8, 10, 12 }, at19[6] = { 0, 5, 8, 11, 14, 17 };
    int rfc = t.len >= 20 && t.ptr[4] == '-' && t.ptr[10] == 'T';
    long long off = 8 * 3600;
    size_t i, z = 19;
    if (!rfc && t.len != 14) return 0;
    for (i = 0; i < 6; i++)
        if ((f[i] = wxp__digits(t.ptr + (rfc ? at19 : at14)[i], i ? 2 : 4)) < 0) return 0;
    if (rfc) {
        if (t.ptr[7] != '-' || t.ptr[13] != ':' || t.ptr[16] != ':') return 0;
        if (z < t.len && t.ptr[z] == '.') for (z++; z < t.len && t.ptr[z] >= '0' && t.ptr[z] <= '9'; z++) {}
        if (z + 1 == t.len && t.ptr[z] == 'Z') off = 0;
        else if (z + 6 == t.len && (t.ptr[z] == '+' || t.ptr[z] == '-') && t.ptr[z + 3] == ':' &&
                 wxp__digits(t.ptr + z + 1, 2) >= 0 && wxp__digits(t.ptr + z + 4, 2) >= 0)
            off = (t.ptr[z] == '-' ? -1 : 1) * (wxp__digits(t.ptr + z + 1, 2) * 3600 + wxp__digits(t.ptr + z + 4, 2) * 60);
        else return 0;
    }
    if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 || f[4] > 59 || f[5] > 60) return 0;
    *unix_s = wxp__days(f[0], f[1], f[2]) * 86400 + f[3] * 3600 + f[4] * 60 + f[5] - off;
    return 1;
}

WXP_API wxp_err wxp_refund_window(wxp_client *c, wxp_str paid_at, wxp_result *res)
{
    long long f[6], paid, closes;
    char when[32];
    WXP__REQUIRE(c);
    wxp__res_clear(res);
    if (!paid_at.ptr || !wxp__parse_time(paid_at, f, &paid))
        return wxp__fail(res, WXP_E_ARG, "paid_at",
                         "expected the order's pay time: 2026-12-03T10:00:00+08:00 or 20261203100000");
    /* The same wall-clock time a year later, in the pay time's own zone. */
    closes = paid + (wxp__days(f[0] + 1, f[1], f[2]) - wxp__days(f[0], f[1], f[2])) * 86400;
    if (wxp__now(c) < closes) return WXP_OK;
    (void)wxp__fail(res, WXP_E_ARG, "paid_at", "paid more than a year ago: WeChat Pay refuses the refund (the "
                                               "window closed at ");
    if (WXP__MESSAGES && res) {
        wxp__append(res->message, sizeof res->message, when, wxp__utc(when, closes));
        wxp__append(res->message, sizeof res->message, ")", 1);
    }
    return WXP_E_ARG;
}

WXP_API wxp_err wxp_refund_req_encode(char *buf, size_t cap, const wxp_refund_req *req, size_t *len, wxp_result *res)
{
    WXP__REQUIRE(req);
    wxp__res_clear(res);
    return wxp__encode_req(&wxp_refund_req__model, wxp__refund_rules, req, NULL, NULL, buf, cap, len, res);
}

WXP_API wxp_err wxp_refund_decode(char *json, size_t len, wxp_refund *out, wxp_result *res)
{
    wxp_json doc;
    wxp_json_tok tok[256];
    wxp_err e;
    WXP__REQUIRE(out);
    wxp__res_clear(res);
    e = wxp__json_parse(&doc, json, len, tok, 256, res);
    if (e) return e;
    return wxp__decode_root(&wxp_refund__model, &doc, out, res);
}

/* ==== >>retry-rate =================================================== impl */

/* Token buckets of whole requests on the seconds clock. */
enum { WXP__RATE_V2_REFUND = 0, WXP__RATE_V3_REFUND_FAIL = 1 };
static const char *const wxp__rate_name[2] = { "v2_refund", "v3_refund_fail" };

WXP__PRIVATE unsigned wxp__rate_qps(const wxp_rate *rt, int which)
{
    return which == WXP__RATE_V2_REFUND ? WXP__DEF(rt->v2_refund_qps, 150u) : WXP__DEF(rt->v3_refund_fail_qps, 6u);
}

/* The client's own bucket: refilled, then asked as wxp_budget.take is. */
WXP__PRIVATE int wxp__bucket_take(wxp_client *c, int which, unsigned qps, int spend, long long now)
{
    long long *at = &c->wxp__priv.bucket[which].at;
    unsigned *tokens = &c->wxp__priv.bucket[which].tokens;
    if (*at == 0 || now < *at) {
        *at = now;
        *tokens = qps;
    } else if (now > *at) {
        unsigned long long t = (unsigned long long)*tokens + (unsigned long long)(now - *at) * qps;
        *tokens = t > qps ? qps : (unsigned)t;
        *at = now;
    }
    if (*tokens == 0) return 0;
    if (spend) (*tokens)--;
    return 1;
}

WXP__PRIVATE int wxp__budget_take(wxp_client *c, int which, int spend)
{
    const wxp_rate *rt = &c->wxp__priv.cfg.rate;
    unsigned qps = wxp__rate_qps(rt, which);
    long long now = wxp__now(c);
    if (rt->budget.take) return rt->budget.take(rt->budget.user, wxp__rate_name[which], qps, spend, now);
    return wxp__bucket_take(c, which, qps, spend, now);
}

/* Waits for (or refuses without) a token of the budget; spend takes it. */
WXP__PRIVATE wxp_err wxp__rate_take(wxp_client *c, int which, int spend, wxp_result *res)
{
    const wxp_rate *rt = &c->wxp__priv.cfg.rate;
    unsigned waited = 0, limit = WXP__DEF(rt->max_wait_ms, 2000u);
    int got;
    if (rt->off) return WXP_OK;
    while ((got = wxp__budget_take(c, which, spend)) == 0) {
        if (rt->fail_fast || !rt->sleep || waited >= limit)
            return wxp__fail(res, WXP_E_RATE, which == WXP__RATE_V2_REFUND ? "v2_refund_qps" : "v3_refund_fail_qps",
                             "the client-side rate limit is spent; nothing was sent");
        rt->sleep(rt->user, 250);
        waited += 250;
    }
    if (got < 0)
        return wxp__fail(res, WXP_E_RATE, wxp__rate_name[which],
                         "the shared rate budget (config.rate.budget) did not answer; nothing was sent");
    return WXP_OK;
}

/* After a failed APIv3 refund: it spends a token of the failure budget. */
WXP__PRIVATE void wxp__rate_failed(wxp_client *c)
{
    if (!c->wxp__priv.cfg.rate.off) (void)wxp__budget_take(c, WXP__RATE_V3_REFUND_FAIL, 1);
}

/* No answer heard: the request may or may not have been processed. (Not
   WXP_E_TLS: nothing was sent, and a refused certificate stays refused.) */
#define WXP__UNHEARD(e) ((e) == WXP_E_TRANSPORT || (e) == WXP_E_TIMEOUT)

/* A code that says "try again with the same request". */
WXP__PRIVATE int wxp__retryable(wxp_err e, const wxp_result *r)
{
    if (WXP__UNHEARD(e)) return 1;
    if (e != WXP_E_HTTP || !r) return 0;
    return r->status >= 500 || strcmp(r->code, "SYSTEM_ERROR") == 0 || strcmp(r->code, "FREQUENCY_LIMITED") == 0;
}


/* The attempts of one typed call, APIv3 or APIv2 alike. */
typedef struct wxp__attempts { wxp_client *c; unsigned flags, n, max, wait; int sent; } wxp__attempts;

WXP__PRIVATE void wxp__attempts_init(wxp__attempts *a, wxp_client *c, unsigned flags)
{
    const wxp_retry *rt = &c->wxp__priv.cfg.retry;
    a->c = c;
    a->flags = flags;
    a->n = 0;
    a->sent = 0;
    c->wxp__priv.attempt = 0;
    a->max = (flags & WXP__RETRY) && rt->sleep && !c->wxp__priv.in_sale ? WXP__DEF(rt->attempts, 3u) : 1u;
    a->wait = WXP__DEF(rt->backoff_ms, 200u);
}

/* Before each attempt: the backoff sleep after the first, and for a rated call
   a token of its budget (each request spends one, or, spend 0, one must be
   left). 0: go on; else stop: WXP_E_RATE before the first attempt (nothing
   sent), or after a later one, whose answer then stands. */
WXP__PRIVATE int wxp__attempt(wxp__attempts *a, int bucket, int spend, wxp_result *res)
{
    const wxp_retry *rt = &a->c->wxp__priv.cfg.retry;
    if (a->n && res) a->sent |= res->sent;    /* what the attempt before this one did */
    if (a->n >= a->max) return 1;
    a->c->wxp__priv.attempt = a->n + 1;
    if (a->n++) {
        rt->sleep(rt->user, a->wait);
        a->wait *= 2;
    }
    if ((a->flags & WXP__RATED) &&
        wxp__rate_take(a->c, bucket, spend, a->n == 1 ? res : NULL) != WXP_OK)
        return 1;
    return 0;
}

/* After the last attempt: a later attempt that stopped before its transport
   (its set-up clears the result) must not hide that an earlier one was sent. */
WXP__PRIVATE void wxp__attempts_end(const wxp__attempts *a, wxp_result *res)
{
    a->c->wxp__priv.attempt = 0;
    if (res && a->sent) res->sent = 1;
}

/* The typed call: body (already encoded at the start of io_buf, body_len
   bytes) is sent, retried when safe, and the verified answer decoded. A rated
   call is a refund: WeChat Pay's budget counts the ones that fail. */
WXP__PRIVATE wxp_err wxp__typed_call(wxp_client *c, const char *method, const char *path, size_t body_len,
                                     unsigned flags, const wxp__model *out_model, void *out, wxp_result *res)
{
    wxp__attempts a;
    wxp_str body;
    wxp_json doc;
    wxp_err e = WXP_E_RATE;
    body.ptr = (const char *)c->wxp__priv.cfg.io_buf;
    body.len = body_len;
    wxp__attempts_init(&a, c, flags);
    while (wxp__attempt(&a, WXP__RATE_V3_REFUND_FAIL, 0, res) == 0) {
        e = wxp__v3_prepare(c, method, path, body, NULL, body_len, NULL, NULL, res);
        if (e) break;
        e = wxp__v3_send(c, res);
        if ((flags & WXP__RATED) && (e == WXP_E_HTTP || WXP__UNHEARD(e)) && (!res || res->sent)) wxp__rate_failed(c);
        if (!wxp__retryable(e, res)) break;
    }
    wxp__attempts_end(&a, res);
    if (e || !out_model->n) return e; /* wxp__none: no answer to decode */
    e = wxp__parse_in_io(c, &doc, res);
    if (e) return e;
    return wxp__decode_root(out_model, &doc, out, res);
}

/* Appends "?name=value" (*sep '?'), then "&name=value", the value
   percent-encoded, when value is set. A path that outgrows WXP_PATH_MAX is
   WXP_E_NOSPACE at wxp__sb_end, never a request sent cut. */
WXP__PRIVATE void wxp__query(wxp__sb *b, char *sep, const char *name, const char *value)
{
    if (!value || !*value) return;
    wxp__sb_put(b, sep, 1);
    *sep = '&';
    wxp__sb_cstr(b, name);
    wxp__sb_put(b, "=", 1);
    wxp__sb_pct(b, value);
}

/* The endpoint's path into the client's path buffer: each {name} from the
   request field of that name (percent-encoded, never "." or ".."); a GET adds
   every other field that is set (or has a default) as its query. */
WXP__PRIVATE wxp_err wxp__ep_path(wxp_client *c, const wxp__endpoint *ep, const void *req, wxp_result *res)
{
    const wxp_config *cfg = &c->wxp__priv.cfg;
    const char *params[9];
    size_t i, np = 0;
    char sep = '?';
    wxp__sb b;
    wxp_err e;
    for (i = 0; i < ep->req->n && np + 2 < sizeof params / sizeof params[0]; i++)
        if (ep->req->f[i].type == WXP__T_STR && wxp__in_path(ep->path, ep->req->f[i].key)) {
            params[np++] = ep->req->f[i].key;
            params[np++] = wxp__req_str(cfg, &ep->req->f[i], req);
        }
    params[np] = NULL;
    b.p = c->wxp__priv.path;
    b.cap = sizeof c->wxp__priv.path;
    e = wxp_path_fill(b.p, b.cap, ep->path, params, &b.len, res);
    if (e || strcmp(ep->method, "GET") != 0) return e;
    for (i = 0; i < ep->req->n; i++) {
        const wxp__field *f = &ep->req->f[i];
        char num[24];
        if (wxp__in_path(ep->path, f->key)) continue;
        if (f->type == WXP__T_STR) wxp__query(&b, &sep, f->key, wxp__req_str(cfg, f, req));
        else if (f->type == WXP__T_INT && (f->req || *WXP__CAT(req, f->off, const long long *))) {
            (void)wxp__itoa(num, *WXP__CAT(req, f->off, const long long *));
            wxp__query(&b, &sep, f->key, num);
        }
    }
    return wxp__sb_end(&b, NULL, res, "path");
}

/* Every typed call: validate (the table with the config's defaults, then the
   endpoint's rules), fill the path, encode the body at the start of io_buf,
   send (retried as the descriptor allows), decode the verified answer. */
WXP__PRIVATE wxp_err wxp__call(wxp_client *c, const wxp__endpoint *ep, const void *req, void *out, wxp_result *res)
{
    const wxp_config *cfg = &c->wxp__priv.cfg;
    size_t len = 0;
    wxp_err e;
    wxp__res_clear(res);
    if (strcmp(ep->method, "GET") == 0) e = wxp__check_req(ep->req, ep->rules, req, cfg, res);
    else e = wxp__encode_req(ep->req, ep->rules, req, cfg, ep->path, (char *)cfg->io_buf, cfg->io_buf_size, &len, res);
    if (!e) e = wxp__ep_path(c, ep, req, res);
    return e ? e : wxp__typed_call(c, ep->method, c->wxp__priv.path, len, ep->flags, ep->out, out, res);
}

WXP__PRIVATE wxp_err wxp__no_rules(const void *req, wxp_result *res)
{
    (void)req;
    (void)res;
    return WXP_OK;
}

/* ==== >>calls-v3 ===================================================== impl */

WXP_API wxp_err wxp_refund_query(wxp_client *c, const char *out_refund_no, const char *sub_mchid, wxp_refund *out,
                                 wxp_result *res)
{
    wxp_refund_query_req q;
    WXP__REQUIRE(c && out);
    q.out_refund_no = out_refund_no;
    q.sub_mchid = sub_mchid;
    return wxp__call(c, &wxp_refund_query__ep, &q, out, res);
}

WXP_API wxp_err wxp_refund_abnormal(wxp_client *c, const char *refund_id, const wxp_refund_abnormal_req *req,
                                    wxp_refund *out, wxp_result *res)
{
    wxp_refund_abnormal_req q;
    WXP__REQUIRE(c && req && out);
    q = *req;
    q.refund_id = refund_id;
    return wxp__call(c, &wxp_refund_abnormal__ep, &q, out, res);
}

WXP_API wxp_err wxp_subsidy_pay_query(wxp_client *c, const char *subsidy_receipt_id, wxp_subsidy_pay_receipt *out,
                                      wxp_result *res)
{
    wxp_subsidy_pay_query_req q;
    WXP__REQUIRE(c && out);
    q.subsidy_receipt_id = subsidy_receipt_id;
    return wxp__call(c, &wxp_subsidy_pay_query__ep, &q, out, res);
}

/* An order named by one of its ids: mchid is the config's. */
WXP__PRIVATE wxp_err wxp__ref(wxp_client *c, const wxp__endpoint *ep, const char *tid, const char *otn, void *out,
                              wxp_result *res)
{
    wxp_transaction_ref q;
    memset(&q, 0, sizeof q);
    q.transaction_id = tid;
    q.out_trade_no = otn;
    return wxp__call(c, ep, &q, out, res);
}

WXP_API wxp_err wxp_transaction_by_out_trade_no(wxp_client *c, const char *out_trade_no, wxp_transaction *out,
                                                wxp_result *res)
{
    WXP__REQUIRE(c && out);
    return wxp__ref(c, &wxp_transaction_by_out_trade_no__ep, NULL, out_trade_no, out, res);
}

WXP_API wxp_err wxp_transaction_by_id(wxp_client *c, const char *transaction_id, wxp_transaction *out,
                                      wxp_result *res)
{
    WXP__REQUIRE(c && out);
    return wxp__ref(c, &wxp_transaction_by_id__ep, transaction_id, NULL, out, res);
}

WXP_API wxp_err wxp_transaction_close(wxp_client *c, const char *out_trade_no, wxp_result *res)
{
    WXP__REQUIRE(c);
    return wxp__ref(c, &wxp_transaction_close__ep, NULL, out_trade_no, NULL, res);
}

/* A service provider's order: sp_mchid is the config's. */
WXP__PRIVATE wxp_err wxp__partner_ref(wxp_client *c, const wxp__endpoint *ep, const char *sub_mchid, const char *tid,
                                      const char *otn, void *out, wxp_result *res)
{
    wxp_partner_transaction_ref q;
    memset(&q, 0, sizeof q);
    q.sub_mchid = sub_mchid;
    q.transaction_id = tid;
    q.out_trade_no = otn;
    return wxp__call(c, ep, &q, out, res);
}

WXP_API wxp_err wxp_partner_transaction_by_out_trade_no(wxp_client *c, const char *sub_mchid, const char *out_trade_no,
                                                        wxp_partner_transaction *out, wxp_result *res)
{
    WXP__REQUIRE(c && out);
    return wxp__partner_ref(c, &wxp_partner_transaction_by_out_trade_no__ep, sub_mchid, NULL, out_trade_no, out, res);
}

WXP_API wxp_err wxp_partner_transaction_by_id(wxp_client *c, const char *sub_mchid, const char *transaction_id,
                                              wxp_partner_transaction *out, wxp_result *res)
{
    WXP__REQUIRE(c && out);
    return wxp__partner_ref(c, &wxp_partner_transaction_by_id__ep, sub_mchid, transaction_id, NULL, out, res);
}

WXP_API wxp_err wxp_partner_transaction_close(wxp_client *c, const char *sub_mchid, const char *out_trade_no,
                                              wxp_result *res)
{
    WXP__REQUIRE(c);
    return wxp__partner_ref(c, &wxp_partner_transaction_close__ep, sub_mchid, NULL, out_trade_no, NULL, res);
}

WXP_API wxp_err wxp_partner_transaction_reverse(wxp_client *c, const char *sub_mchid, const char *out_trade_no,
                                                wxp_partner_reverse_result *out, wxp_result *res)
{
    WXP__REQUIRE(c && out);
    return wxp__partner_ref(c, &wxp_partner_transaction_reverse__ep, sub_mchid, NULL, out_trade_no, out, res);
}

WXP_API wxp_err wxp_transaction_reverse(wxp_client *c, const char *out_trade_no, wxp_reverse_result *out,
                                        wxp_result *res)
{
    wxp_reverse_req q;
    WXP__REQUIRE(c && out);
    memset(&q, 0, sizeof q);
    q.out_trade_no = out_trade_no; /* appid and mchid: the config's */
    return wxp__call(c, &wxp_transaction_reverse__ep, &q, out, res);
}

/* RFC 3339 as WeChat Pay writes it: 2026-12-03T18:00:00+08:00 (or Z, and an
   optional fraction of a second). */
WXP__PRIVATE int wxp__rfc3339(const char *s)
{
    static const char form[] = "dddd-dd-ddTdd:dd:dd";
    size_t i;
    for (i = 0; form[i]; i++)
        if (form[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != form[i]) return 0;
    s += i;
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++) {}
    if (*s == 'Z') return s[1] == 0;
    return (*s == '+' || *s == '-') && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9' && s[3] == ':' &&
           s[4] >= '0' && s[4] <= '9' && s[5] >= '0' && s[5] <= '9' && s[6] == 0;
}

WXP__PRIVATE wxp_err wxp__expire_rule(const char *time_expire, wxp_result *res)
{
    if (time_expire && *time_expire && !wxp__rfc3339(time_expire))
        return wxp__fail(res, WXP_E_ARG, "time_expire", "RFC 3339, such as 2026-12-03T18:00:00+08:00");
    return WXP_OK;
}

WXP__PRIVATE wxp_err wxp__h5_scene_rule(const wxp_scene_info_req *si, wxp_result *res)
{
    if (!si->payer_client_ip || !*si->payer_client_ip)
        return wxp__fail(res, WXP_E_ARG, "scene_info.payer_client_ip", "H5 needs the payer's IP address");
    if (!si->h5_info.type || !*si->h5_info.type)
        return wxp__fail(res, WXP_E_ARG, "scene_info.h5_info.type", "H5 needs the scene: iOS, Android or Wap");
    return WXP_OK;
}

WXP__PRIVATE wxp_err wxp__prepay_rules(const void *req, wxp_result *res)
{
    return wxp__expire_rule(((const wxp_prepay_req *)req)->time_expire, res);
}

WXP__PRIVATE wxp_err wxp__jsapi_rules(const void *req, wxp_result *res)
{
    const wxp_prepay_req *r = (const wxp_prepay_req *)req;
    if (!r->payer.openid || !*r->payer.openid)
        return wxp__fail(res, WXP_E_ARG, "payer.openid", "JSAPI needs the payer's openid under appid");
    return wxp__prepay_rules(req, res);
}

WXP__PRIVATE wxp_err wxp__h5_rules(const void *req, wxp_result *res)
{
    wxp_err e = wxp__h5_scene_rule(&((const wxp_prepay_req *)req)->scene_info, res);
    return e ? e : wxp__prepay_rules(req, res);
}

WXP__PRIVATE wxp_err wxp__partner_prepay_rules(const void *req, wxp_result *res)
{
    const wxp_partner_prepay_req *r = (const wxp_partner_prepay_req *)req;
    if (r->payer.sub_openid && *r->payer.sub_openid && (!r->sub_appid || !*r->sub_appid))
        return wxp__fail(res, WXP_E_ARG, "sub_appid", "payer.sub_openid is under sub_appid: give it");
    return wxp__expire_rule(r->time_expire, res);
}

WXP__PRIVATE wxp_err wxp__partner_jsapi_rules(const void *req, wxp_result *res)
{
    const wxp_partner_prepay_req *r = (const wxp_partner_prepay_req *)req;
    if ((!r->payer.sp_openid || !*r->payer.sp_openid) && (!r->payer.sub_openid || !*r->payer.sub_openid))
        return wxp__fail(res, WXP_E_ARG, "payer.sp_openid", "JSAPI needs payer.sp_openid or payer.sub_openid");
    return wxp__partner_prepay_rules(req, res);
}

WXP__PRIVATE wxp_err wxp__partner_h5_rules(const void *req, wxp_result *res)
{
    wxp_err e = wxp__h5_scene_rule(&((const wxp_partner_prepay_req *)req)->scene_info, res);
    return e ? e : wxp__partner_prepay_rules(req, res);
}

/* A WeChat payment code: digits starting 10 to 15. */
WXP__PRIVATE wxp_err wxp__auth_code_rule(const char *a, const char *field, wxp_result *res)
{
    if (!(a[0] == '1' && a[1] >= '0' && a[1] <= '5'))
        return wxp__fail(res, WXP_E_ARG, field, "a WeChat payment code starts with 10 to 15");
    return WXP_OK;
}

/* The code-pay page allows [0-9A-Za-z_*-] in out_trade_no: not the '|' the
   other order pages allow. */
WXP__PRIVATE wxp_err wxp__codepay_rule(const char *out_trade_no, const char *auth_code, wxp_result *res)
{
    if (strchr(out_trade_no, '|'))
        return wxp__fail(res, WXP_E_ARG, "out_trade_no", "code-pay order numbers are [0-9A-Za-z_*-]: no '|'");
    return wxp__auth_code_rule(auth_code, "payer.auth_code", res);
}

WXP__PRIVATE wxp_err wxp__codepay_rules(const void *req, wxp_result *res)
{
    const wxp_codepay_req *q = (const wxp_codepay_req *)req;
    return wxp__codepay_rule(q->out_trade_no, q->payer.auth_code, res);
}

WXP__PRIVATE wxp_err wxp__partner_codepay_rules(const void *req, wxp_result *res)
{
    const wxp_partner_codepay_req *q = (const wxp_partner_codepay_req *)req;
    return wxp__codepay_rule(q->out_trade_no, q->payer.auth_code, res);
}

/* Places the order, then signs what the front end needs with appid. */
WXP__PRIVATE wxp_err wxp__checkout(wxp_client *c, const wxp__endpoint *ep, const void *req, const char *appid,
                                   wxp_jsapi_params *js, wxp_app_params *app, wxp_prepay *prepay, wxp_result *res)
{
    wxp_prepay local;
    char id[72];
    wxp_err e;
    if (!prepay) prepay = &local;
    e = wxp__call(c, ep, req, prepay, res);
    if (e) return e;
    /* The signing calls take a NUL-terminated string; the answer is a view. */
    wxp__copy(id, sizeof id, prepay->prepay_id.ptr, prepay->prepay_id.len);
    if (!appid || !*appid) appid = c->wxp__priv.cfg.appid;
    return js ? wxp_jsapi_sign(c, appid, id, js, res) : wxp_app_sign(c, appid, id, app, res);
}

WXP_API wxp_err wxp_jsapi_checkout(wxp_client *c, const wxp_prepay_req *req, wxp_jsapi_params *out, wxp_prepay *prepay,
                                   wxp_result *res)
{
    WXP__REQUIRE(c && req && out);
    return wxp__checkout(c, &wxp_transaction_create_jsapi__ep, req, req->appid, out, NULL, prepay, res);
}

WXP_API wxp_err wxp_app_checkout(wxp_client *c, const wxp_prepay_req *req, wxp_app_params *out, wxp_prepay *prepay,
                                 wxp_result *res)
{
    WXP__REQUIRE(c && req && out);
    return wxp__checkout(c, &wxp_transaction_create_app__ep, req, req->appid, NULL, out, prepay, res);
}

WXP_API wxp_err wxp_partner_jsapi_checkout(wxp_client *c, const wxp_partner_prepay_req *req, wxp_jsapi_params *out,
                                           wxp_prepay *prepay, wxp_result *res)
{
    WXP__REQUIRE(c && req && out);
    return wxp__checkout(c, &wxp_partner_transaction_create_jsapi__ep, req,
                         req->sub_appid && *req->sub_appid ? req->sub_appid : req->sp_appid, out, NULL, prepay, res);
}

/* A decrypted callback's plaintext decoded with its tokens in io_buf. */
WXP__PRIVATE wxp_err wxp__notify_decode(wxp_client *c, wxp_notification *n, const wxp__model *m, void *out,
                                        wxp_result *res)
{
    const char *io = (const char *)c->wxp__priv.cfg.io_buf;
    wxp_json_tok *tok = (wxp_json_tok *)(void *)c->wxp__priv.cfg.io_buf;
    wxp_json doc;
    wxp_err e;
    wxp__res_clear(res);
    if (n->plaintext.ptr + n->plaintext.len > io && n->plaintext.ptr < io + c->wxp__priv.cfg.io_buf_size)
        return wxp__fail(res, WXP_E_ARG, "plain", "the decoder keeps its tokens in io_buf: decrypt elsewhere");
    e = wxp__json_parse(&doc, (char *)(size_t)n->plaintext.ptr, n->plaintext.len, tok,
                        c->wxp__priv.cfg.io_buf_size / sizeof *tok, res);
    return e ? e : wxp__decode_root(m, &doc, out, res);
}

WXP_API wxp_err wxp_transaction_notify_decode(wxp_client *c, wxp_notification *n, wxp_transaction *out,
                                              wxp_result *res)
{
    WXP__REQUIRE(c && n && out);
    return wxp__notify_decode(c, n, &wxp_transaction__model, out, res);
}

WXP_API wxp_err wxp_partner_transaction_notify_decode(wxp_client *c, wxp_notification *n,
                                                      wxp_partner_transaction *out, wxp_result *res)
{
    WXP__REQUIRE(c && n && out);
    return wxp__notify_decode(c, n, &wxp_partner_transaction__model, out, res);
}

/* ==== >>media-bill =================================================== impl */


#define WXP__BOUNDARY "wechatpay-h-5f3a9c1e7b2d4086"

WXP__PRIVATE const char *wxp__media_type(const char *name)
{
    static const char *const map[] = { ".jpg", "image/jpeg", ".jpeg", "image/jpeg", ".png", "image/png",
                                       ".bmp", "image/bmp", ".mp4", "video/mp4" };
    size_t n = strlen(name), i;
    for (i = 0; i < sizeof map / sizeof map[0]; i += 2) {
        size_t k = strlen(map[i]);
        if (n > k && wxp__ieq(name + n - k, k, map[i])) return map[i + 1];
    }
    return "application/octet-stream";
}

WXP_API wxp_err wxp_media_upload(wxp_client *c, const char *path, const char *filename, const void *data,
                                 size_t len, wxp_str *id, wxp_result *res)
{
    br_sha256_context h;
    unsigned char d[32];
    char digest[65], *io;
    wxp_json_writer w;
    wxp__sb b;
    wxp_str meta;
    size_t meta_len, body_len;
    wxp_json doc;
    wxp_err e;
    int t;
    WXP__REQUIRE(c && filename && (data || !len) && id);
    wxp__res_clear(res);
    id->ptr = "";
    id->len = 0;
    path = path ? path : "/v3/merchant/media/upload";
    if (!*filename || strlen(filename) > 128 || strpbrk(filename, "\"\r\n/\\"))
        return wxp__fail(res, WXP_E_ARG, "filename", "1-128 characters, no quote, slash or line break");
    if (!len) return wxp__fail(res, WXP_E_ARG, "file", "the file is empty");
    if (wxp__find((const char *)data, len, WXP__BOUNDARY))
        return wxp__fail(res, WXP_E_ARG, "file", "the file contains the multipart boundary");
    br_sha256_init(&h);
    br_sha256_update(&h, data, len);
    br_sha256_out(&h, d);
    wxp__hex(digest, d, 32, 0);
    /* The body: the meta part (its JSON is what is signed), then the file. */
    io = (char *)c->wxp__priv.cfg.io_buf;
    b.p = io; b.cap = c->wxp__priv.cfg.io_buf_size; b.len = 0;
    wxp__sb_cstr(&b, "--" WXP__BOUNDARY "\r\nContent-Disposition: form-data; name=\"meta\";\r\n"
                     "Content-Type: application/json\r\n\r\n");
    meta.ptr = io + b.len;
    wxp_jw_init(&w, b.len < b.cap ? io + b.len : NULL, b.len < b.cap ? b.cap - b.len : 0);
    wxp_jw_object_begin(&w);
    wxp_jw_key(&w, "filename");
    wxp_jw_cstring(&w, filename);
    wxp_jw_key(&w, "sha256");
    wxp_jw_cstring(&w, digest);
    wxp_jw_object_end(&w);
    e = wxp__jw_finish(&w, &meta_len, res);
    if (e) return e;
    meta.len = meta_len;
    b.len += meta_len;
    wxp__sb_cstr(&b, "\r\n--" WXP__BOUNDARY "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"");
    wxp__sb_cstr(&b, filename);
    wxp__sb_cstr(&b, "\";\r\nContent-Type: ");
    wxp__sb_cstr(&b, wxp__media_type(filename));
    wxp__sb_cstr(&b, "\r\n\r\n");
    wxp__sb_put(&b, (const char *)data, len);
    wxp__sb_cstr(&b, "\r\n--" WXP__BOUNDARY "--\r\n");
    e = wxp__sb_end(&b, &body_len, res, "io_buf");
    if (e) return e;
    e = wxp__v3_prepare(c, "POST", path, meta, "multipart/form-data; boundary=" WXP__BOUNDARY, body_len + 1, NULL,
                        NULL, res);
    if (e) return e;
    /* Signed over the meta JSON; sent as the whole multipart body. */
    c->wxp__priv.req.body.ptr = io;
    c->wxp__priv.req.body.len = body_len;
    e = wxp__v3_send(c, res);
    if (e) return e;
    e = wxp__parse_in_io(c, &doc, res);
    if (e) return e;
    t = wxp_json_get(&doc, 0, "media_id");
    if (t < 0) t = wxp_json_get(&doc, 0, "media_url");
    if (t < 0 || wxp_json_string(&doc, t, id) != WXP_OK)
        return wxp__fail(res, WXP_E_NOTFOUND, "media_id", "the answer has no media_id or media_url");
    return WXP_OK;
}

/* bill_date is YYYY-MM-DD; tar_type GZIP or nothing. */
WXP__PRIVATE wxp_err wxp__bill_rules(const void *req, wxp_result *res)
{
    const char *date = ((const wxp_bill_req *)req)->bill_date, *tar = ((const wxp_bill_req *)req)->tar_type;
    if (strlen(date) != 10 || date[4] != '-' || date[7] != '-' || !wxp__charset_ok(WXP_CS_DIGITS, date, 4) ||
        !wxp__charset_ok(WXP_CS_DIGITS, date + 5, 2) || !wxp__charset_ok(WXP_CS_DIGITS, date + 8, 2))
        return wxp__fail(res, WXP_E_ARG, "bill_date", "YYYY-MM-DD");
    if (tar && *tar && strcmp(tar, "GZIP") != 0) return wxp__fail(res, WXP_E_ARG, "tar_type", "GZIP or nothing");
    return WXP_OK;
}

WXP_API wxp_err wxp_bill_trade(wxp_client *c, const char *bill_date, const char *bill_type, const char *tar_type,
                               const char *sub_mchid, wxp_bill *out, wxp_result *res)
{
    wxp_bill_req q;
    WXP__REQUIRE(c && out);
    memset(&q, 0, sizeof q);
    q.bill_date = bill_date;
    q.sub_mchid = sub_mchid;
    q.bill_type = bill_type;
    q.tar_type = tar_type;
    return wxp__call(c, &wxp_bill_trade__ep, &q, out, res);
}

WXP_API wxp_err wxp_bill_fundflow(wxp_client *c, const char *bill_date, const char *account_type,
                                  const char *tar_type, wxp_bill *out, wxp_result *res)
{
    wxp_bill_req q;
    WXP__REQUIRE(c && out);
    memset(&q, 0, sizeof q);
    q.bill_date = bill_date;
    q.account_type = account_type;
    q.tar_type = tar_type;
    return wxp__call(c, &wxp_bill_fundflow__ep, &q, out, res);
}

/* Hashes the bytes on their way to the caller's sink. */
typedef struct wxp__bill_stream {
    int sha1;
    br_sha1_context s1;
    br_sha256_context s256;
    void (*sink)(void *user, const void *data, size_t len);
    void *user;
} wxp__bill_stream;

WXP__PRIVATE void wxp__bill_chunk(void *user, const void *data, size_t len)
{
    wxp__bill_stream *s = (wxp__bill_stream *)user;
    if (s->sha1) br_sha1_update(&s->s1, data, len); else br_sha256_update(&s->s256, data, len);
    s->sink(s->user, data, len);
}

#define WXP__BILL_HOST_MAX 128 /* the download URL's host, with its NUL */
WXP__PRIVATE wxp_err wxp__bill_download(wxp_client *c, const wxp_bill *bill,
                                        void (*sink)(void *user, const void *data, size_t len), void *user,
                                        char *host, wxp_result *res);

WXP_API wxp_err wxp_bill_download(wxp_client *c, const wxp_bill *bill,
                                  void (*sink)(void *user, const void *data, size_t len), void *user,
                                  wxp_result *res)
{
    char host[WXP__BILL_HOST_MAX]; /* req.host points here until the log event has named it */
    return wxp__logged(c, wxp__bill_download(c, bill, sink, user, host, res), res);
}

WXP__PRIVATE wxp_err wxp__bill_download(wxp_client *c, const wxp_bill *bill,
                                        void (*sink)(void *user, const void *data, size_t len), void *user,
                                        char *host, wxp_result *res)
{
    char want[129], got[65];
    const char *url, *slash;
    wxp__bill_stream st;
    unsigned char d[32];
    size_t i, dlen;
    wxp_err e;
    WXP__REQUIRE(c && bill && sink);
    wxp__res_clear(res);
    memset(&st, 0, sizeof st);
    if (wxp__str_eq(bill->hash_type, "SHA1")) st.sha1 = 1;
    else if (!wxp__str_eq(bill->hash_type, "SHA256"))
        return wxp__fail(res, WXP_E_ARG, "hash_type", "SHA1 or SHA256");
    dlen = st.sha1 ? 20 : 32;
    if (bill->hash_value.len != 2 * dlen) return wxp__fail(res, WXP_E_ARG, "hash_value", "not a hex digest");
    for (i = 0; i < 2 * dlen; i++) want[i] = (char)wxp__lower((unsigned char)bill->hash_value.ptr[i]);
    /* https://host/path?query: the bill's views may lie in io_buf, which this
       call reuses, so the path goes into the client's path buffer first. */
    url = bill->download_url.ptr;
    if (bill->download_url.len < 9 || memcmp(url, "https://", 8) != 0 ||
        bill->download_url.len >= 8 + WXP__BILL_HOST_MAX + sizeof c->wxp__priv.path)
        return wxp__fail(res, WXP_E_ARG, "download_url", "an https URL");
    slash = (const char *)memchr(url + 8, '/', bill->download_url.len - 8);
    if (!slash || (size_t)(slash - url - 8) >= WXP__BILL_HOST_MAX ||
        (size_t)(url + bill->download_url.len - slash) >= sizeof c->wxp__priv.path)
        return wxp__fail(res, WXP_E_ARG, "download_url", "an https URL with a path");
    wxp__copy(host, WXP__BILL_HOST_MAX, url + 8, (size_t)(slash - url - 8));
    wxp__copy(c->wxp__priv.path, sizeof c->wxp__priv.path, slash, (size_t)(url + bill->download_url.len - slash));
    e = wxp__v3_prepare(c, "GET", c->wxp__priv.path, wxp_cstr(""), NULL, 0, NULL, NULL, res);
    if (e) return e;
    c->wxp__priv.req.host = host;
    if (st.sha1) br_sha1_init(&st.s1); else br_sha256_init(&st.s256);
    st.sink = sink;
    st.user = user;
    c->wxp__priv.resp.wxp__priv.stream = wxp__bill_chunk;
    c->wxp__priv.resp.wxp__priv.stream_user = &st;
    e = wxp__v3_transport(c, res);
    if (e) return e;
    if (c->wxp__priv.resp.wxp__priv.status != 200) return wxp_v3_finish(c, res); /* an error answer is signed */
    wxp__res_heard(res, &c->wxp__priv.resp);
    if (st.sha1) br_sha1_out(&st.s1, d); else br_sha256_out(&st.s256, d);
    wxp__hex(got, d, dlen, 0);
    if (!wxp__ct_equal(got, want, 2 * dlen))
        return wxp__fail(res, WXP_E_HASH, "hash_value", "the bytes differ from the bill's hash: discard them");
    return WXP_OK;
}

/* ==== >>v2 =========================================================== impl */
#ifndef WXP_NO_V2

WXP__PRIVATE int wxp__xml_name_ok(wxp_str k)
{
    size_t i;
    if (!k.len) return 0;
    for (i = 0; i < k.len; i++) {
        char ch = k.ptr[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_'))
            return 0;
    }
    return 1;
}

/* Writes the children of two lists (the caller's, then the library's). */
WXP__PRIVATE wxp_err wxp__xml_write2(wxp__sb *b, const wxp_kv *a, size_t na, const wxp_kv *x, size_t nx,
                                     wxp_result *res)
{
    size_t i;
    wxp__sb_cstr(b, "<xml>");
    for (i = 0; i < na + nx; i++) {
        const wxp_kv *kv = i < na ? &a[i] : &x[i - na];
        size_t j, cdata = 0;
        if (!wxp__xml_name_ok(kv->key)) return wxp__fail(res, WXP_E_ARG, "key", "APIv2 keys are [A-Za-z0-9_]");
        for (j = 0; j < kv->value.len; j++)
            if (strchr("<>&\"'", kv->value.ptr[j]) && kv->value.ptr[j]) cdata = 1;
        wxp__sb_put(b, "<", 1);
        wxp__sb_put(b, kv->key.ptr, kv->key.len);
        wxp__sb_put(b, ">", 1);
        if (!cdata) {
            wxp__sb_put(b, kv->value.ptr, kv->value.len);
        } else {
            /* "]]>" cannot sit inside CDATA: end the section between ]] and >. */
            size_t start = 0;
            wxp__sb_cstr(b, "<![CDATA[");
            for (j = 0; j + 2 < kv->value.len; j++)
                if (memcmp(kv->value.ptr + j, "]]>", 3) == 0) {
                    wxp__sb_put(b, kv->value.ptr + start, j + 2 - start);
                    wxp__sb_cstr(b, "]]><![CDATA[");
                    start = j + 2;
                }
            wxp__sb_put(b, kv->value.ptr + start, kv->value.len - start);
            wxp__sb_cstr(b, "]]>");
        }
        wxp__sb_put(b, "</", 2);
        wxp__sb_put(b, kv->key.ptr, kv->key.len);
        wxp__sb_put(b, ">", 1);
    }
    wxp__sb_cstr(b, "</xml>");
    return WXP_OK;
}

WXP_API wxp_err wxp_xml_write(char *out, size_t cap, const wxp_kv *kv, size_t n, size_t *len, wxp_result *res)
{
    wxp__sb b;
    wxp_err e;
    wxp__res_clear(res);
    b.p = out; b.cap = out ? cap : 0; b.len = 0;
    e = wxp__xml_write2(&b, kv, n, NULL, 0, res);
    if (e) return e;
    if (!out) {
        if (len) *len = b.len;
        return WXP_OK;
    }
    return wxp__sb_end(&b, len, res, "xml");
}

typedef struct wxp__xp {
    char *s;
    size_t n, i;
    const char *why;
} wxp__xp;

WXP__PRIVATE void wxp__xp_ws(wxp__xp *p)
{
    while (p->i < p->n && strchr(" \t\r\n", p->s[p->i]) && p->s[p->i]) p->i++;
}

WXP__PRIVATE int wxp__xp_at(const wxp__xp *p, const char *lit)
{
    size_t k = strlen(lit);
    return p->n - p->i >= k && memcmp(p->s + p->i, lit, k) == 0;
}

/* A tag name at p->i: [A-Za-z_][A-Za-z0-9_.-]*. */
WXP__PRIVATE int wxp__xp_name(wxp__xp *p, wxp_str *name)
{
    size_t s = p->i;
    while (p->i < p->n) {
        char ch = p->s[p->i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
            (p->i > s && ((ch >= '0' && ch <= '9') || ch == '-' || ch == '.')))
            p->i++;
        else
            break;
    }
    name->ptr = p->s + s;
    name->len = p->i - s;
    return name->len > 0;
}

/* <name> (no attributes); closing when close is set: </name>. */
WXP__PRIVATE int wxp__xp_tag(wxp__xp *p, int close, wxp_str *name)
{
    if (!wxp__xp_at(p, close ? "</" : "<")) { p->why = close ? "expected a closing tag" : "expected a tag"; return 0; }
    p->i += close ? 2 : 1;
    if (!wxp__xp_name(p, name)) { p->why = "bad tag name"; return 0; }
    if (p->i >= p->n || p->s[p->i] != '>') {
        p->why = p->i >= p->n ? "truncated tag" : "attributes and spaces in tags are not accepted";
        return 0;
    }
    p->i++;
    return 1;
}

/* Element content up to '</': text, entities and CDATA, unescaped in place.
   The output never outruns the input it came from. */
WXP__PRIVATE int wxp__xp_content(wxp__xp *p, wxp_str *value)
{
    char *o = p->s + p->i;
    value->ptr = o;
    while (p->i < p->n) {
        char ch = p->s[p->i];
        if (wxp__xp_at(p, "<![CDATA[")) {
            size_t k;
            p->i += 9;
            for (k = p->i; k + 2 < p->n; k++)
                if (memcmp(p->s + k, "]]>", 3) == 0) break;
            if (k + 2 >= p->n) { p->why = "unterminated CDATA"; return 0; }
            memmove(o, p->s + p->i, k - p->i);
            o += k - p->i;
            p->i = k + 3;
            continue;
        }
        if (ch == '<') {
            if (wxp__xp_at(p, "</")) break;
            p->why = wxp__xp_at(p, "<!") ? "DOCTYPE, ENTITY and comments are not accepted"
                   : wxp__xp_at(p, "<?") ? "processing instructions are not accepted"
                                         : "nested elements are not accepted";
            return 0;
        }
        if (ch == '&') {
            static const char *const names[] = { "&lt;", "&gt;", "&amp;", "&quot;", "&apos;" };
            static const char chars[] = "<>&\"'";
            size_t k;
            for (k = 0; k < 5; k++)
                if (wxp__xp_at(p, names[k])) break;
            if (k < 5) {
                *o++ = chars[k];
                p->i += strlen(names[k]);
                continue;
            }
            if (wxp__xp_at(p, "&#")) {
                unsigned long cp = 0;
                int hex = p->i + 2 < p->n && p->s[p->i + 2] == 'x';
                size_t j = p->i + (hex ? 3 : 2), digits = 0;
                for (; j < p->n && p->s[j] != ';' && digits < 8; j++, digits++) {
                    int d, cj = p->s[j];
                    if (cj >= '0' && cj <= '9') d = cj - '0';
                    else if (hex && cj >= 'a' && cj <= 'f') d = cj - 'a' + 10;
                    else if (hex && cj >= 'A' && cj <= 'F') d = cj - 'A' + 10;
                    else { p->why = "bad character reference"; return 0; }
                    cp = cp * (hex ? 16u : 10u) + (unsigned long)d;
                }
                if (j >= p->n || p->s[j] != ';' || digits == 0 || cp == 0 || cp > 0x10FFFF ||
                    (cp >= 0xD800 && cp <= 0xDFFF)) {
                    p->why = "bad character reference";
                    return 0;
                }
                o += wxp__utf8_put(o, cp);
                p->i = j + 1;
                continue;
            }
            p->why = "unknown entity (only the five predefined ones and &#...; exist here)";
            return 0;
        }
        *o++ = ch;
        p->i++;
    }
    if (p->i >= p->n) { p->why = "truncated element"; return 0; }
    value->len = (size_t)(o - value->ptr);
    return 1;
}

/* wxp_xml_parse without clearing res (an APIv2 call keeps its status). */
WXP__PRIVATE wxp_err wxp__xml_parse(char *text, size_t len, wxp_kv *out, size_t cap, size_t *count,
                                    wxp_result *res)
{
    wxp__xp p;
    wxp_str root, name, end;
    size_t k = 0;
    if (count) *count = 0;
    if (len > WXP_XML_MAX_BYTES) return wxp__fail(res, WXP_E_PARSE, "xml", "larger than WXP_XML_MAX_BYTES");
    p.s = text; p.n = len; p.i = 0; p.why = NULL;
    wxp__xp_ws(&p);
    if (wxp__xp_at(&p, "<?xml ") || wxp__xp_at(&p, "<?xml?")) {
        while (p.i + 1 < p.n && !(p.s[p.i] == '?' && p.s[p.i + 1] == '>')) {
            if (p.s[p.i] == '<' && p.i > 0 && strchr("!?", p.s[p.i + 1])) break;
            p.i++;
        }
        if (p.i + 1 >= p.n || p.s[p.i] != '?') p.why = "unterminated XML declaration";
        else p.i += 2;
    }
    if (!p.why) wxp__xp_ws(&p);
    if (!p.why && (wxp__xp_at(&p, "<!") || wxp__xp_at(&p, "<?")))
        p.why = "DOCTYPE, ENTITY, comments and processing instructions are not accepted";
    if (!p.why && wxp__xp_tag(&p, 0, &root)) {
        for (;;) {
            wxp_str value;
            wxp__xp_ws(&p);
            if (wxp__xp_at(&p, "</")) break;
            if (wxp__xp_at(&p, "<!") || wxp__xp_at(&p, "<?")) {
                p.why = "DOCTYPE, ENTITY, comments and processing instructions are not accepted";
                break;
            }
            if (p.i >= p.n) { p.why = "truncated document"; break; }
            if (p.s[p.i] != '<') { p.why = "text outside an element"; break; }
            if (!wxp__xp_tag(&p, 0, &name) || !wxp__xp_content(&p, &value) || !wxp__xp_tag(&p, 1, &end))
                break;
            if (end.len != name.len || memcmp(end.ptr, name.ptr, name.len) != 0) {
                p.why = "mismatched closing tag";
                break;
            }
            if (k < cap && out) {
                out[k].key = name;
                out[k].value = value;
            }
            k++;
        }
        if (!p.why && wxp__xp_tag(&p, 1, &end)) {
            if (end.len != root.len || memcmp(end.ptr, root.ptr, root.len) != 0) p.why = "mismatched closing tag";
            wxp__xp_ws(&p);
            if (!p.why && p.i != p.n) p.why = "content after the root element";
        }
    }
    if (p.why) {
        if (res) res->offset = p.i;
        return wxp__fail(res, WXP_E_PARSE, "xml", p.why);
    }
    if (count) *count = k;
    if (k > cap) return wxp__nospace(res, k, "xml fields");
    return WXP_OK;
}

WXP_API wxp_err wxp_xml_parse(char *text, size_t len, wxp_kv *out, size_t cap, size_t *count, wxp_result *res)
{
    WXP__REQUIRE(text || !len);
    wxp__res_clear(res);
    return wxp__xml_parse(text, len, out, cap, count, res);
}

WXP_API const wxp_str *wxp_kv_get(const wxp_kv *kv, size_t n, const char *key)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (wxp__str_eq(kv[i].key, key)) return &kv[i].value;
    return NULL;
}

/* -- the APIv2 sign -- */

WXP__PRIVATE int wxp__kv_cmp(wxp_str a, wxp_str b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = memcmp(a.ptr, b.ptr, n);
    return c ? c : (a.len < b.len ? -1 : a.len > b.len);
}

typedef struct wxp__v2h {
    int md5;
    br_md5_context m;
    br_hmac_key_context hk;
    br_hmac_context h;
} wxp__v2h;

WXP__PRIVATE void wxp__v2h_put(wxp__v2h *h, const void *d, size_t n)
{
    if (h->md5) br_md5_update(&h->m, d, n); else br_hmac_update(&h->h, d, n);
}

/* Signs the union of two lists without sorting a copy: each round picks the
   smallest key above the last one (n is small; no scratch memory needed). */
WXP__PRIVATE wxp_err wxp__v2_sign2(const wxp_kv *a, size_t na, const wxp_kv *x, size_t nx, wxp_str key,
                                   int sign_type, wxp_err dup, char out[65], wxp_result *res)
{
    wxp__v2h h;
    unsigned char d[32];
    size_t dlen, i, total = na + nx;
    const wxp_str *last = NULL;
    int first = 1;
    if (!key.len) return wxp__fail(res, WXP_E_ARG, "apiv2_key", "the APIv2 key is not configured");
    if (sign_type != WXP_V2_MD5 && sign_type != WXP_V2_HMAC_SHA256)
        return wxp__fail(res, WXP_E_ARG, "sign_type", "MD5 or HMAC-SHA256");
    /* A key twice: the caller's mistake in a request (dup WXP_E_ARG); in an
       answer not what WeChat Pay signed, which copy would count? (dup
       WXP_E_SIGNATURE). */
    for (i = 0; i < total; i++) {
        const wxp_kv *kv = i < na ? &a[i] : &x[i - na];
        size_t j;
        for (j = i + 1; j < total; j++)
            if (wxp__kv_cmp(kv->key, (j < na ? &a[j] : &x[j - na])->key) == 0) {
                char name[64];
                wxp__copy(name, sizeof name, kv->key.ptr, kv->key.len);
                return wxp__fail(res, dup, name, dup == WXP_E_ARG ? "duplicate APIv2 key"
                                                 : "the answer repeats this element: it cannot be verified");
            }
    }
    h.md5 = sign_type == WXP_V2_MD5;
    if (h.md5) br_md5_init(&h.m);
    else {
        br_hmac_key_init(&h.hk, &br_sha256_vtable, key.ptr, key.len);
        br_hmac_init(&h.h, &h.hk, 0);
    }
    for (;;) {
        const wxp_kv *best = NULL;
        for (i = 0; i < total; i++) {
            const wxp_kv *kv = i < na ? &a[i] : &x[i - na];
            if (last && wxp__kv_cmp(kv->key, *last) <= 0) continue;
            if (!best || wxp__kv_cmp(kv->key, best->key) < 0) best = kv;
        }
        if (!best) break;
        last = &best->key;
        if (!best->value.len || wxp__str_eq(best->key, "sign")) continue;
        if (!first) wxp__v2h_put(&h, "&", 1);
        first = 0;
        wxp__v2h_put(&h, best->key.ptr, best->key.len);
        wxp__v2h_put(&h, "=", 1);
        wxp__v2h_put(&h, best->value.ptr, best->value.len);
    }
    wxp__v2h_put(&h, first ? "key=" : "&key=", first ? 4 : 5);
    wxp__v2h_put(&h, key.ptr, key.len);
    if (h.md5) { br_md5_out(&h.m, d); dlen = 16; }
    else dlen = br_hmac_out(&h.h, d);
    wxp__hex(out, d, dlen, 1);
    wxp__wipe(&h, sizeof h);
    return WXP_OK;
}

WXP_API wxp_err wxp_v2_sign(const wxp_kv *kv, size_t n, wxp_str apiv2_key, int sign_type, char out[65],
                            wxp_result *res)
{
    wxp__res_clear(res);
    return wxp__v2_sign2(kv, n, NULL, 0, apiv2_key, sign_type, WXP_E_ARG, out, res);
}

WXP__PRIVATE wxp_err wxp__v2_verify(const wxp_kv *kv, size_t n, wxp_str apiv2_key, int sign_type, wxp_result *res)
{
    char want[65];
    const wxp_str *got = wxp_kv_get(kv, n, "sign");
    wxp_err e;
    if (!got) return wxp__fail(res, WXP_E_SIGNATURE, "sign", "the answer carries no sign");
    e = wxp__v2_sign2(kv, n, NULL, 0, apiv2_key, sign_type, WXP_E_SIGNATURE, want, res);
    if (e) return e;
    if (got->len != strlen(want) || !wxp__ct_equal(got->ptr, want, got->len))
        return wxp__fail(res, WXP_E_SIGNATURE, "sign", "the APIv2 sign does not verify (APIv2 key or sign_type)");
    return WXP_OK;
}

WXP_API wxp_err wxp_v2_verify(const wxp_kv *kv, size_t n, wxp_str apiv2_key, int sign_type, wxp_result *res)
{
    wxp__res_clear(res);
    return wxp__v2_verify(kv, n, apiv2_key, sign_type, res);
}

/* -- the APIv2 call -- */

/* The APIv2 call. The answer is parsed into out, or, when out is NULL, into a
   wxp_kv array carved from io_buf after the answer (*tail points at it). */
WXP__PRIVATE wxp_err wxp__v2_exchange(wxp_client *c, const char *path, const wxp_kv *params, size_t n,
                                      unsigned flags, wxp_kv *out, size_t cap, wxp_kv **tail, size_t *count,
                                      wxp_result *res);

/* One APIv2 exchange, logged (config.log) with its verdict. */
WXP__PRIVATE wxp_err wxp__v2_call(wxp_client *c, const char *path, const wxp_kv *params, size_t n,
                                  unsigned flags, wxp_kv *out, size_t cap, wxp_kv **tail, size_t *count,
                                  wxp_result *res)
{
    return wxp__logged(c, wxp__v2_exchange(c, path, params, n, flags, out, cap, tail, count, res), res);
}

WXP__PRIVATE wxp_err wxp__v2_exchange(wxp_client *c, const char *path, const wxp_kv *params, size_t n,
                                      unsigned flags, wxp_kv *out, size_t cap, wxp_kv **tail, size_t *count,
                                      wxp_result *res)
{
    wxp_config *cfg;
    wxp_kv extra[4];
    size_t nx = 0, reqlen, kc = 0;
    char nonce[WXP_NONCE_LEN + 1], sign[65];
    wxp__sb b;
    wxp_str body;
    wxp_http_request *req;
    wxp_http_header *h;
    wxp_http_response *resp;
    const wxp_str *rc, *rs;
    int sign_type;
    wxp_err e;
    WXP__REQUIRE(c && path && (params || !n));
    wxp__res_clear(res);
    if (count) *count = 0;
    cfg = &c->wxp__priv.cfg;
    sign_type = cfg->v2_sign_type;
    {   /* A request's own sign_type chooses for this call. */
        const wxp_str *st = wxp_kv_get(params, n, "sign_type");
        if (st && wxp__str_eq(*st, "MD5")) sign_type = WXP_V2_MD5;
        else if (st && wxp__str_eq(*st, "HMAC-SHA256")) sign_type = WXP_V2_HMAC_SHA256;
        else if (st) return wxp__fail(res, WXP_E_ARG, "sign_type", "expected MD5 or HMAC-SHA256");
    }
    if (path[0] != '/' || !wxp__header_safe(path, strlen(path)))
        return wxp__fail(res, WXP_E_ARG, "path", "an absolute path such as /pay/refundquery");
    if (strncmp(path, "/secapi/", 8) == 0) flags |= WXP_V2_CERT;
    if ((flags & WXP_V2_CERT) && (!cfg->client_cert.cert_pem.len || !cfg->client_cert.key_pem.len))
        return wxp__fail(res, WXP_E_ARG, "client_cert", "this endpoint needs apiclient_cert.pem and apiclient_key.pem");
    if (!wxp_kv_get(params, n, "mch_id")) {
        extra[nx].key = wxp_cstr("mch_id"); extra[nx++].value = wxp_cstr(cfg->mchid);
    }
    e = wxp__nonce(&cfg->random, nonce, res);
    if (e) return e;
    extra[nx].key = wxp_cstr("nonce_str"); extra[nx++].value = wxp_cstr(nonce);
    if (!wxp_kv_get(params, n, "sign_type")) {
        extra[nx].key = wxp_cstr("sign_type");
        extra[nx++].value = wxp_cstr(sign_type == WXP_V2_MD5 ? "MD5" : "HMAC-SHA256");
    }
    e = wxp__v2_sign2(params, n, extra, nx, cfg->apiv2_key, sign_type, WXP_E_ARG, sign, res);
    if (e) return e;
    extra[nx].key = wxp_cstr("sign"); extra[nx++].value = wxp_cstr(sign);
    /* The request XML sits at the start of io_buf; the answer lands after it. */
    b.p = (char *)cfg->io_buf; b.cap = cfg->io_buf_size; b.len = 0;
    e = wxp__xml_write2(&b, params, n, extra, nx, res);
    if (e) return e;
    e = wxp__sb_end(&b, &reqlen, res, "io_buf");
    if (e) return e;
    h = c->wxp__priv.hdr;
    h[0].name = wxp_cstr("Content-Type"); h[0].value = wxp_cstr("text/xml; charset=utf-8");
    h[1].name = wxp_cstr("Accept");       h[1].value = wxp_cstr("text/xml");
    h[2].name = wxp_cstr("User-Agent");   h[2].value = wxp_cstr(WXP__USER_AGENT);
    body.ptr = b.p;
    body.len = reqlen;
    req = wxp__req_init(c, "POST", path, 3, body, reqlen + 1);
    req->client_cert = (flags & WXP_V2_CERT) ? &cfg->client_cert : NULL;
    resp = &c->wxp__priv.resp;
    wxp__log_open(c);
    e = wxp__transport(c, res);
    if (e) return e;
    wxp__res_heard(res, resp);
    if (resp->wxp__priv.needed > resp->wxp__priv.cap) {
        size_t more = resp->wxp__priv.needed; /* saturated at SIZE_MAX: so is the sum */
        return wxp__nospace(res, more > (size_t)-1 - reqlen - 1 ? (size_t)-1 : more + reqlen + 1, "io_buf");
    }
    if (resp->wxp__priv.status != 200) {
        if (res) wxp__copy(res->code, sizeof res->code, "HTTP_ERROR", 10);
        return wxp__fail(res, WXP_E_HTTP, "status", "APIv2 answered with a non-200 HTTP status");
    }
    if (res) { res->body.ptr = resp->wxp__priv.buf; res->body.len = resp->wxp__priv.len; }
    if (!out && tail) *tail = out = (wxp_kv *)wxp__io_after_answer(c, sizeof(void *), sizeof(wxp_kv), &cap);
    e = wxp__xml_parse(resp->wxp__priv.buf, resp->wxp__priv.len, out, cap, &kc, res);
    if (e) return e;
    if (count) *count = kc;
    rc = wxp_kv_get(out, kc, "return_code");
    if (!rc || !wxp__str_eq(*rc, "SUCCESS")) {
        const wxp_str *msg = wxp_kv_get(out, kc, "return_msg");
        if (res) {
            wxp__copy(res->code, sizeof res->code, "FAIL", 4);
            if (msg) wxp__copy(res->message, sizeof res->message, msg->ptr, msg->len);
        }
        return WXP_E_V2_RETURN;
    }
    /* Fields are trusted only once the sign checks out. */
    e = wxp__v2_verify(out, kc, cfg->apiv2_key, sign_type, res);
    if (e) return e;
    /* Success must be said: a signed answer without result_code states none. */
    rs = wxp_kv_get(out, kc, "result_code");
    if (!rs || !rs->len)
        return wxp__fail(res, WXP_E_NOTFOUND, "result_code", "the answer states no result_code: nothing it says is a success");
    if (!wxp__str_eq(*rs, "SUCCESS")) {
        const wxp_str *code = wxp_kv_get(out, kc, "err_code"), *des = wxp_kv_get(out, kc, "err_code_des");
        if (res) {
            if (code) wxp__copy(res->code, sizeof res->code, code->ptr, code->len);
            if (des) wxp__copy(res->message, sizeof res->message, des->ptr, des->len);
        }
        return WXP_E_V2_RESULT;
    }
    return WXP_OK;
}

WXP_API wxp_err wxp_v2_request(wxp_client *c, const char *path, const wxp_kv *params, size_t n,
                               unsigned flags, wxp_kv *out, size_t cap, size_t *count, wxp_result *res)
{
    WXP__REQUIRE(out || !cap);
    return wxp__v2_call(c, path, params, n, flags, out, cap, NULL, count, res);
}

/* -- AES-256-ECB (refund callbacks) -- */

WXP_API wxp_err wxp_v2_decrypt_req_info(wxp_str apiv2_key, wxp_str req_info, unsigned char *out, size_t cap,
                                        size_t *len, wxp_result *res)
{
    br_md5_context m;
    unsigned char d[16], zero[16], iv[16];
    char key[33];
    br_aes_gen_cbcdec_keys aes;
    const br_block_cbcdec_class *vt = br_aes_x86ni_cbcdec_get_vtable();
    size_t n, i, pad;
    unsigned bad = 0;
    wxp_err e;
    wxp__res_clear(res);
    if (len) *len = 0;
    if (!apiv2_key.len) return wxp__fail(res, WXP_E_ARG, "apiv2_key", "the APIv2 key is not configured");
    e = wxp__b64_decode(out, cap, req_info.ptr, req_info.len, &n); /* n: the size, known before decoding */
    if (e == WXP_E_NOSPACE) return wxp__nospace(res, n, "plaintext");
    if (e) return wxp__fail(res, WXP_E_BASE64, "req_info", "req_info is not base64");
    if (n == 0 || n % 16) return wxp__fail(res, WXP_E_DECRYPT, "req_info", "not a whole number of AES blocks");
    /* The key is the 32 ASCII bytes of the lowercase hex MD5 of the APIv2 key. */
    br_md5_init(&m);
    br_md5_update(&m, apiv2_key.ptr, apiv2_key.len);
    br_md5_out(&m, d);
    wxp__hex(key, d, 16, 0);
    wxp__wipe(&m, sizeof m); /* its buffer holds the APIv2 key */
    wxp__wipe(d, sizeof d);
    if (!vt) vt = WXP__AES_SOFT(cbcdec);
    vt->init(&aes.vtable, key, 32);
    memset(zero, 0, sizeof zero);
    /* ECB is CBC decryption of each block with a zero IV. */
    for (i = 0; i < n; i += 16) {
        memcpy(iv, zero, 16);
        vt->run(&aes.vtable, iv, out + i, 16);
    }
    wxp__wipe(&aes, sizeof aes);
    wxp__wipe(key, sizeof key);
    /* PKCS#7, except that the published SDKs add no block when the text fills
       whole blocks: a last byte outside 1..16 means "no padding". */
    pad = out[n - 1];
    if (pad < 1 || pad > 16) pad = 0;
    for (i = 1; i <= pad; i++)
        if (out[n - i] != pad) bad = 1;
    /* A wrong key gives noise: the text must be UTF-8 without control bytes. */
    for (i = 0; !bad && i < n - pad;) {
        size_t k = wxp__utf8_seq(out + i, n - pad - i);
        if (!k || (out[i] < 0x20 && (out[i] == 0 || !strchr("\t\r\n", out[i])))) bad = 1;
        i += k ? k : 1;
    }
    if (bad) {
        wxp__wipe(out, n);
        return wxp__fail(res, WXP_E_DECRYPT, "req_info", "not text after decryption: wrong APIv2 key or corrupt req_info");
    }
    n -= pad;
    wxp__wipe(out + n, pad);
    if (len) *len = n;
    return WXP_OK;
}
/* ==== >>calls-v2 ===================================================== impl */


#define WXP__V2_MAX_PARAMS 24

/* A flat request as parameters; integers get their text in num[]. */
WXP__PRIVATE size_t wxp__v2_encode(const wxp__model *m, const void *obj, const wxp_config *cfg, wxp_kv *kv,
                                   char (*num)[24])
{
    size_t i, n = 0;
    for (i = 0; i < m->n && n < WXP__V2_MAX_PARAMS; i++) {
        const wxp__field *f = &m->f[i];
        if (f->type == WXP__T_STR) {
            const char *s = wxp__req_str(cfg, f, obj);
            if (!s || !*s) continue;
            kv[n].value = wxp_cstr(s);
        } else if (f->type == WXP__T_INT) {
            long long v = *WXP__CAT(obj, f->off, const long long *);
            if (!f->req && v == 0) continue;
            kv[n].value.ptr = num[n];
            kv[n].value.len = wxp__itoa(num[n], v);
        } else {
            continue;
        }
        kv[n++].key = wxp_cstr(f->key);
    }
    return n;
}

/* key + suffix ("coupon_type" + "_0") looked up in an answer. */
/* key + suffix ("coupon_type" + "_0_1"), the name of an indexed field. */
WXP__PRIVATE void wxp__v2_name(char name[80], const char *key, const char *suffix)
{
    name[0] = 0;
    wxp__append(name, 80, key, strlen(key));
    wxp__append(name, 80, suffix, strlen(suffix));
}

/* An answer's field, NULL when absent or empty: WeChat Pay signs no empty
   value, so an empty element says nothing that can be trusted (an added
   <coupon_fee></coupon_fee> must not fail a paid sale). */
WXP__PRIVATE const wxp_str *wxp__v2_get(const wxp_kv *kv, size_t n, const char *key, const char *suffix)
{
    char full[80];
    const wxp_str *v;
    wxp__v2_name(full, key, suffix);
    v = wxp_kv_get(kv, n, full);
    return v && v->len ? v : NULL;
}

/* Whether any direct field of m is present with this suffix. */
WXP__PRIVATE int wxp__v2_present(const wxp__model *m, const wxp_kv *kv, size_t n, const char *suffix)
{
    size_t i;
    for (i = 0; i < m->n; i++)
        if (m->f[i].type != WXP__T_ARR && wxp__v2_get(kv, n, m->f[i].key, suffix)) return 1;
    return 0;
}

/* Index of the decimal number at the start of s (its end in *end), or -1. */
WXP__PRIVATE long wxp__v2_index(const char *s, size_t n, size_t *end)
{
    size_t i = 0;
    long v = 0;
    while (i < n && i < 6 && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
    *end = i;
    return i ? v : -1;
}

/* The list of row i of m, which ended at k elements: no element of any of
   its fields may sit at an index k or above (a gap), and the ..._count row
   right before it, when present, must say k. */
WXP__PRIVATE wxp_err wxp__v2_list_check(const wxp__model *m, size_t i, const wxp_kv *kv, size_t n,
                                        const char *suffix, size_t k, wxp_result *res)
{
    const wxp__field *f = &m->f[i], *cnt = i ? &m->f[i - 1] : NULL;
    size_t j, r, sl = strlen(suffix);
    for (j = 0; j < n; j++)
        for (r = 0; r < f->sub->n; r++) {
            const char *key = f->sub->f[r].key;
            size_t kl = strlen(key), end;
            long idx;
            if (f->sub->f[r].type == WXP__T_ARR || kv[j].key.len <= kl + sl + 1 || !kv[j].value.len ||
                memcmp(kv[j].key.ptr, key, kl) != 0 || memcmp(kv[j].key.ptr + kl, suffix, sl) != 0 ||
                kv[j].key.ptr[kl + sl] != '_')
                continue;
            idx = wxp__v2_index(kv[j].key.ptr + kl + sl + 1, kv[j].key.len - kl - sl - 1, &end);
            if (idx >= (long)k && kl + sl + 1 + end == kv[j].key.len) { /* key_$n itself, not a deeper list */
                char name[80], num[24];
                wxp__v2_name(name, key, suffix);
                wxp__append(name, sizeof name, "_", 1);
                wxp__append(name, sizeof name, num, wxp__itoa(num, (long long)k));
                return wxp__fail(res, WXP_E_NOTFOUND, name,
                                 "an indexed list has a gap: a later index is present, this one is not");
            }
        }
    if (cnt && cnt->type == WXP__T_INT && strlen(cnt->key) > 6 &&
        strcmp(cnt->key + strlen(cnt->key) - 6, "_count") == 0) {
        const wxp_str *v = wxp__v2_get(kv, n, cnt->key, suffix);
        long long said = 0;
        if (v && (!wxp__parse_uint(v->ptr, v->len, &said) || said != (long long)k)) {
            char name[80];
            wxp__v2_name(name, cnt->key, suffix);
            return wxp__fail(res, WXP_E_RANGE, name, "the count disagrees with the indexed elements the answer holds");
        }
    }
    return WXP_OK;
}

WXP__PRIVATE wxp_err wxp__v2_decode(const wxp__model *m, const wxp_kv *kv, size_t n, const char *suffix, void *obj,
                                    wxp_result *res)
{
    char name[80];
    size_t i;
    wxp_err e, partial = WXP_OK;
    for (i = 0; i < m->n; i++) {
        const wxp__field *f = &m->f[i];
        const wxp_str *v;
        wxp__v2_name(name, f->key, suffix);
        v = f->type == WXP__T_ARR ? NULL : wxp__v2_get(kv, n, f->key, suffix);
        if (f->type != WXP__T_ARR && !v && f->req)
            return wxp__fail(res, WXP_E_NOTFOUND, name, "required field missing or empty in the answer");
        if (f->type == WXP__T_STR) {
            wxp_str *s = WXP__AT(obj, f->off, wxp_str *);
            s->ptr = v ? v->ptr : "";
            s->len = v ? v->len : 0;
        } else if (f->type == WXP__T_INT) {
            long long *x = WXP__AT(obj, f->off, long long *);
            *x = 0;
            if (v && !wxp__parse_uint(v->ptr, v->len, x))
                return wxp__fail(res, WXP_E_RANGE, name, "expected a non-negative integer");
        } else if (f->type == WXP__T_ARR) {
            char *arr = *WXP__AT(obj, f->off, char **);
            size_t *count = WXP__AT(obj, WXP__COUNT_OFF(f), size_t *), cap = arr ? count[1] : 0, k;
            *count = 0;
            for (k = 0;; k++) {
                char sub[40], num[24];
                sub[0] = 0;
                wxp__append(sub, sizeof sub, suffix, strlen(suffix));
                wxp__append(sub, sizeof sub, "_", 1);
                wxp__append(sub, sizeof sub, num, wxp__itoa(num, (long long)k));
                if (!wxp__v2_present(f->sub, kv, n, sub)) break;
                if (k >= cap) continue; /* counted, not kept */
                e = wxp__v2_decode(f->sub, kv, n, sub, arr + k * f->sub->elem, res);
                if (wxp__partial(e, &partial, 0, f->key, res)) return e;
                *count = k + 1;
            }
            e = wxp__v2_list_check(m, i, kv, n, suffix, k, res);
            if (e) return e;
            if (k > cap) (void)wxp__partial(WXP_E_PARTIAL, &partial, k, f->key, res);
        }
    }
    return partial;
}

/* An APIv2 answer that says "send the same request again". */
WXP__PRIVATE int wxp__v2_retryable(wxp_err e, const wxp_result *r)
{
    if (WXP__UNHEARD(e)) return 1;
    if (!r) return 0;
    if (e == WXP_E_HTTP) return r->status >= 500;
    return e == WXP_E_V2_RESULT && (strcmp(r->code, "SYSTEMERROR") == 0 || strcmp(r->code, "BIZERR_NEED_RETRY") == 0 ||
                                    strcmp(r->code, "FREQUENCY_LIMITED") == 0);
}

/* Validate, encode, call (retried when safe), decode: the APIv2 typed call. */
/* A rated call is a refund: each request spends a token of the v2 budget. */
WXP__PRIVATE wxp_err wxp__v2_typed(wxp_client *c, const wxp__endpoint *ep, const void *req, void *out, wxp_result *res)
{
    wxp__attempts a;
    wxp_kv params[WXP__V2_MAX_PARAMS];
    char num[WXP__V2_MAX_PARAMS][24];
    wxp_kv *answer = NULL;
    size_t n, count = 0;
    wxp_err e;
    wxp__res_clear(res);
    e = wxp__check_req(ep->req, ep->rules, req, &c->wxp__priv.cfg, res);
    if (e) return e;
    n = wxp__v2_encode(ep->req, req, &c->wxp__priv.cfg, params, num);
    e = WXP_E_RATE;
    wxp__attempts_init(&a, c, ep->flags);
    while (wxp__attempt(&a, WXP__RATE_V2_REFUND, 1, res) == 0) {
        e = wxp__v2_call(c, ep->path, params, n, 0, NULL, 0, &answer, &count, res);
        if (!wxp__v2_retryable(e, res)) break;
    }
    wxp__attempts_end(&a, res);
    if (e) return e;
    return wxp__v2_decode(ep->out, answer, count, "", out, res);
}

WXP_API wxp_err wxp_v2_refund_notify_decode(wxp_client *c, char *body, size_t len, wxp_v2_refund_notify *out,
                                            wxp_result *res)
{
    const wxp_config *cfg;
    wxp_kv outer[16], *inner;
    const wxp_str *v;
    unsigned char *plain;
    size_t n = 0, plen = 0, cap, off;
    wxp_err e;
    WXP__REQUIRE(c && body && out);
    wxp__res_clear(res);
    cfg = &c->wxp__priv.cfg;
    if (body + len > (const char *)cfg->io_buf && body < (const char *)cfg->io_buf + cfg->io_buf_size)
        return wxp__fail(res, WXP_E_ARG, "body", "req_info is decrypted into io_buf: keep the body elsewhere");
    e = wxp__xml_parse(body, len, outer, sizeof outer / sizeof outer[0], &n, res);
    if (e) return e;
    v = wxp_kv_get(outer, n, "return_code");
    if (!v || !wxp__str_eq(*v, "SUCCESS"))
        return wxp__fail(res, WXP_E_V2_RETURN, "return_code", "the callback's return_code is not SUCCESS");
    v = wxp_kv_get(outer, n, "mch_id");
    if (!v || !wxp__str_eq(*v, cfg->mchid))
        return wxp__fail(res, WXP_E_ARG, "mch_id", "the callback is for another merchant than config.mchid");
    v = wxp_kv_get(outer, n, "req_info");
    if (!v || !v->len) return wxp__fail(res, WXP_E_NOTFOUND, "req_info", "the callback carries no req_info");
    plain = (unsigned char *)cfg->io_buf;
    e = wxp_v2_decrypt_req_info(cfg->apiv2_key, *v, plain, cfg->io_buf_size, &plen, res);
    if (e) return e;
    off = (plen + 7) / 8 * 8; /* the pairs after the text, aligned */
    inner = (wxp_kv *)(void *)((char *)cfg->io_buf + off);
    cap = off < cfg->io_buf_size ? (cfg->io_buf_size - off) / sizeof(wxp_kv) : 0;
    e = wxp__xml_parse((char *)plain, plen, inner, cap, &n, res);
    if (e) return e == WXP_E_PARSE ? wxp__fail(res, WXP_E_DECRYPT, "req_info", "req_info did not decrypt to XML") : e;
    return wxp__v2_decode(&wxp_v2_refund_notify__model, inner, n, "", out, res);
}

WXP__PRIVATE wxp_err wxp__v2_refund_rules(const void *req, wxp_result *res)
{
    const wxp_v2_refund_req *r = (const wxp_v2_refund_req *)req;
    if ((!r->transaction_id || !*r->transaction_id) && (!r->out_trade_no || !*r->out_trade_no))
        return wxp__fail(res, WXP_E_ARG, "transaction_id", "one of transaction_id and out_trade_no is required");
    if (r->refund_fee > r->total_fee)
        return wxp__fail(res, WXP_E_ARG, "refund_fee", "the refund exceeds total_fee");
    return WXP_OK;
}

/* refund and refundv2: the same fields, refundv2 with the single-item detail. */
WXP__PRIVATE wxp_err wxp__v2_refund(wxp_client *c, int with_detail, const wxp_v2_refund_req *req,
                                    wxp_v2_refund_result *out, wxp_result *res)
{
    wxp_v2_refund_req r = *req;
    wxp__res_clear(res);
    if (!with_detail) r.detail = NULL;
    else if (!r.detail || !*r.detail)
        return wxp__fail(res, WXP_E_ARG, "detail", "refundv2 needs the single-item detail JSON");
    return wxp__v2_typed(c, with_detail ? &wxp_v2_refundv2__ep : &wxp_v2_refund__ep, &r, out, res);
}

WXP_API wxp_err wxp_v2_refund(wxp_client *c, const wxp_v2_refund_req *req, wxp_v2_refund_result *out, wxp_result *res)
{
    WXP__REQUIRE(c && req && out);
    return wxp__v2_refund(c, 0, req, out, res);
}

WXP_API wxp_err wxp_v2_refundv2(wxp_client *c, const wxp_v2_refund_req *req, wxp_v2_refund_result *out, wxp_result *res)
{
    WXP__REQUIRE(c && req && out);
    return wxp__v2_refund(c, 1, req, out, res);
}

WXP__PRIVATE wxp_err wxp__v2_refundquery_rules(const void *req, wxp_result *res)
{
    const wxp_v2_refundquery_req *r = (const wxp_v2_refundquery_req *)req;
    if ((!r->transaction_id || !*r->transaction_id) && (!r->out_trade_no || !*r->out_trade_no) &&
        (!r->out_refund_no || !*r->out_refund_no) && (!r->refund_id || !*r->refund_id))
        return wxp__fail(res, WXP_E_ARG, "refund_id",
                         "one of transaction_id, out_trade_no, out_refund_no, refund_id is required");
    return WXP_OK;
}

/* ==== >>pos ========================================================== impl */


WXP__PRIVATE wxp_err wxp__micropay_rules(const void *req, wxp_result *res)
{
    return wxp__auth_code_rule(((const wxp_micropay_req *)req)->auth_code, "auth_code", res);
}

WXP__PRIVATE wxp_err wxp__order_ref_rules(const void *req, wxp_result *res)
{
    const wxp_v2_order_ref *r = (const wxp_v2_order_ref *)req;
    if ((!r->transaction_id || !*r->transaction_id) && (!r->out_trade_no || !*r->out_trade_no))
        return wxp__fail(res, WXP_E_ARG, "out_trade_no", "one of transaction_id and out_trade_no is required");
    return WXP_OK;
}

#endif /* WXP_NO_V2 */

WXP__PRIVATE void wxp__sale_note(const wxp_sale_config *sc, const char *state)
{
    if (sc->on_state) sc->on_state(sc->user, state);
}

WXP__PRIVATE void wxp__sale_put(char *dst, size_t cap, wxp_str v)
{
    if (v.len) wxp__copy(dst, cap, v.ptr, v.len);
}

/* What one step of a sale learnt, whatever API it spoke. */
enum { WXP__S_PAID, WXP__S_PENDING, WXP__S_REFUSED, WXP__S_NUMBER_USED, WXP__S_PAID_BEFORE, WXP__S_MISMATCH,
       WXP__S_DONE, WXP__S_STOP };

/* The three calls of a sale in one API: pay (PAID, PENDING, REFUSED,
   NUMBER_USED, PAID_BEFORE), query (PAID, PENDING, MISMATCH, STOP) and
   reverse (DONE, PENDING: again, STOP). Each records in out what its answer
   said and leaves its error in out->last_error. */
typedef struct wxp__sale_api {
    const char *paying; /* the display's first state: the call's name */
    int (*pay)(wxp_client *c, const void *req, wxp_sale *out, wxp_result *res);
    int (*query)(wxp_client *c, const void *req, wxp_sale *out, wxp_result *res);
    int (*reverse)(wxp_client *c, const void *req, wxp_sale *out, wxp_result *res);
} wxp__sale_api;

/* The state machine both APIs share: pay; poll while open, bounded by the
   sleeps and by the clock; reverse (not sooner than reverse_after_s after
   paying) while WeChat Pay asks again. */
WXP__PRIVATE wxp_err wxp__sale_run(wxp_client *c, const wxp__sale_api *api, const void *req,
                                   const wxp_sale_config *sc, wxp_sale *out, wxp_result *res)
{
    unsigned wait_ms = 0, budget_ms = WXP__DEF(sc->total_wait_s, 30u) * 1000u, poll_ms, k;
    long long started;
    int step;
    poll_ms = WXP__DEF(sc->poll_interval_ms, 5000u);
    wxp__sale_note(sc, api->paying);
    started = wxp__now(c);
    step = api->pay(c, req, out, res);
    /* Where the call stopped decides, never the error code: once the request
       was handed to the transport, the customer may have been charged. */
    if (!res->sent) return out->last_error;
    if (step == WXP__S_PAID) {
        out->outcome = WXP_SALE_PAID;
        wxp__sale_note(sc, "paid");
        return WXP_OK;
    }
    /* The number was refused as used, or paid before: never reverse it (that
       would revoke another order, or refund this sale's own earlier run).
       Look once: paid under this number is for reconciliation; otherwise
       this customer was not charged. */
    if (step == WXP__S_NUMBER_USED || step == WXP__S_PAID_BEFORE) {
        wxp_err said = out->last_error;
        char code[sizeof out->err_code];
        int look;
        memcpy(code, out->err_code, sizeof code);
        out->queries++;
        look = api->query(c, req, out, res);
        out->last_error = said; /* what the payment was answered */
        memcpy(out->err_code, code, sizeof code);
        if (step == WXP__S_PAID_BEFORE || look == WXP__S_PAID || look == WXP__S_MISMATCH) {
            out->outcome = WXP_SALE_UNKNOWN;
            wxp__sale_note(sc, "unknown: reconcile later");
            return said;
        }
        out->outcome = WXP_SALE_REVERSED;
        wxp__sale_note(sc, "not paid");
        return WXP_OK;
    }
    /* Unconfirmed: poll until the sale settles or the time is up. */
    while (step == WXP__S_PENDING && wait_ms < budget_ms && (wxp__now(c) - started) * 1000 < (long long)budget_ms) {
        wxp__sale_note(sc, "waiting for the customer");
        sc->sleep(sc->user, poll_ms);
        wait_ms += poll_ms;
        out->queries++;
        step = api->query(c, req, out, res);
        if (step == WXP__S_PAID) {
            out->outcome = WXP_SALE_PAID;
            wxp__sale_note(sc, "paid");
            return WXP_OK;
        }
        if (step == WXP__S_MISMATCH) {
            out->outcome = WXP_SALE_UNKNOWN; /* paid, but not this amount: a person must look */
            wxp__sale_note(sc, "unknown: reconcile later");
            return out->last_error;
        }
    }
    /* Not confirmed paid: reverse, again while WeChat Pay asks, but not sooner
       than reverse_after_s after paying (WeChat Pay's rule). */
    {
        long long after = WXP__DEF(sc->reverse_after_s, 15u), left = after - (wxp__now(c) - started);
        if (left > after) left = after;             /* a clock that went back */
        if (left > 0) wxp__sale_note(sc, "waiting to reverse");
        for (; left > 0; left -= 60) sc->sleep(sc->user, left < 60 ? (unsigned)left * 1000u : 60000u);
    }
    for (k = 0; k < WXP__DEF(sc->reverse_attempts, 5u); k++) {
        if (k) sc->sleep(sc->user, WXP__DEF(sc->reverse_interval_ms, 1000u));
        wxp__sale_note(sc, "reversing");
        out->reverses++;
        step = api->reverse(c, req, out, res);
        if (step == WXP__S_DONE) {
            out->outcome = WXP_SALE_REVERSED;
            wxp__sale_note(sc, "reversed");
            return WXP_OK;
        }
        if (step == WXP__S_STOP) break;
    }
    out->outcome = WXP_SALE_UNKNOWN;
    wxp__sale_note(sc, "unknown: reconcile later");
    if (!out->last_error) out->last_error = WXP_E_TRANSPORT; /* asked to reverse again to the end */
    return out->last_error;
}

/* A sale is its own retry policy (its polls, on sc->sleep): config.retry
   stays out of its calls. */
WXP__PRIVATE wxp_err wxp__sale(wxp_client *c, const wxp__sale_api *api, const void *req, const wxp_sale_config *sc,
                               wxp_sale *out, wxp_result *res)
{
    wxp_err e;
    c->wxp__priv.in_sale = 1;
    e = wxp__sale_run(c, api, req, sc, out, res);
    c->wxp__priv.in_sale = 0;
    return e;
}

/* Shared checks and set-up of both sales. */
WXP__PRIVATE wxp_err wxp__sale_start(wxp_client *c, int needs_cert, wxp_sale *out, wxp_result *res)
{
    memset(out, 0, sizeof *out);
    wxp__res_clear(res);
    if (needs_cert && (!c->wxp__priv.cfg.client_cert.cert_pem.len || !c->wxp__priv.cfg.client_cert.key_pem.len))
        return out->last_error =
                   wxp__fail(res, WXP_E_ARG, "client_cert", "a sale may need a reverse (mutual TLS): set client_cert");
    return WXP_OK;
}

#ifndef WXP_NO_V2
/* ---- the sale over APIv2: micropay, orderquery, reverse (mutual TLS) */

/* Remembers what an APIv2 answer said, for the outcome and reconciliation. */
WXP__PRIVATE void wxp__sale_seen_v2(wxp_sale *out, wxp_err e, const wxp_result *r, const wxp_v2_order *o)
{
    out->last_error = e;
    if (r && r->code[0] && e == WXP_E_V2_RESULT) wxp__copy(out->err_code, sizeof out->err_code, r->code, strlen(r->code));
    if (!e && o) {
        wxp__sale_put(out->trade_state, sizeof out->trade_state, o->trade_state);
        wxp__sale_put(out->transaction_id, sizeof out->transaction_id, o->transaction_id);
    }
}

/* Whether the payment is still open: ask again. Only a verified answer can
   settle it; no answer, or one that does not verify, parse or decode (a
   duplicated element, a field of the wrong form, a body too large), says
   nothing about what WeChat Pay did. */
WXP__PRIVATE int wxp__sale_pending_v2(wxp_err e, const wxp_result *r)
{
    if (e == WXP_OK) return 0;
    if (e != WXP_E_V2_RESULT) return 1;
    return strcmp(r->code, "USERPAYING") == 0 || strcmp(r->code, "SYSTEMERROR") == 0 ||
           strcmp(r->code, "BANKERROR") == 0;
}

WXP__PRIVATE void wxp__sale_ref_v2(const wxp_micropay_req *q, wxp_v2_order_ref *ref)
{
    memset(ref, 0, sizeof *ref);
    ref->appid = q->appid;
    ref->sub_appid = q->sub_appid;
    ref->sub_mch_id = q->sub_mch_id;
    ref->out_trade_no = q->out_trade_no;
}

/* A paid answer settles this sale only when it is about this sale's order
   and names the payment: another order's answer, or one short of
   transaction_id, says nothing about this customer (ask again). */
WXP__PRIVATE int wxp__sale_paid_v2(const wxp_v2_order *o, const wxp_micropay_req *q, wxp_sale *out)
{
    if (!wxp__str_eq(o->out_trade_no, q->out_trade_no) || !o->transaction_id.len) return WXP__S_PENDING;
    if (o->total_fee == q->total_fee) return WXP__S_PAID;
    wxp__copy(out->err_code, sizeof out->err_code, "TOTAL_FEE_MISMATCH", 18);
    out->last_error = WXP_E_V2_RESULT;
    return WXP__S_MISMATCH;
}

WXP__PRIVATE int wxp__sale_query_v2(wxp_client *c, const void *req, wxp_sale *out, wxp_result *res)
{
    const wxp_micropay_req *q = (const wxp_micropay_req *)req;
    wxp_v2_order_ref ref;
    wxp_v2_order o;
    wxp_err e;
    wxp__sale_ref_v2(q, &ref);
    memset(&o, 0, sizeof o);
    e = wxp_v2_orderquery(c, &ref, &o, res);
    wxp__sale_seen_v2(out, e, res, &o);
    if (e != WXP_OK) return wxp__sale_pending_v2(e, res) ? WXP__S_PENDING : WXP__S_STOP; /* ORDERNOTEXIST...: reverse */
    if (!wxp__str_eq(o.out_trade_no, q->out_trade_no)) return WXP__S_PENDING; /* not this order's answer */
    if (wxp__str_eq(o.trade_state, "SUCCESS")) return wxp__sale_paid_v2(&o, q, out);
    return wxp__str_eq(o.trade_state, "USERPAYING") ? WXP__S_PENDING : WXP__S_STOP; /* NOTPAY, PAYERROR, CLOSED... */
}

WXP__PRIVATE int wxp__sale_pay_v2(wxp_client *c, const void *req, wxp_sale *out, wxp_result *res)
{
    wxp_v2_order o;
    wxp_err e;
    memset(&o, 0, sizeof o);
    e = wxp_v2_micropay(c, (const wxp_micropay_req *)req, &o, res);
    wxp__sale_seen_v2(out, e, res, &o);
    if (e == WXP_OK) return wxp__sale_paid_v2(&o, (const wxp_micropay_req *)req, out);
    if (e == WXP_E_V2_RESULT && strcmp(res->code, "OUT_TRADE_NO_USED") == 0) return WXP__S_NUMBER_USED;
    if (e == WXP_E_V2_RESULT && strcmp(res->code, "ORDERPAID") == 0) return WXP__S_PAID_BEFORE;
    return wxp__sale_pending_v2(e, res) ? WXP__S_PENDING : WXP__S_REFUSED;
}

WXP__PRIVATE int wxp__sale_reverse_v2(wxp_client *c, const void *req, wxp_sale *out, wxp_result *res)
{
    wxp_v2_order_ref ref;
    wxp_v2_reverse_result rev;
    wxp_err e;
    wxp__sale_ref_v2((const wxp_micropay_req *)req, &ref);
    e = wxp_v2_reverse(c, &ref, &rev, res);
    wxp__sale_seen_v2(out, e, res, NULL);
    if (e == WXP_OK) return wxp__str_eq(rev.recall, "Y") ? WXP__S_PENDING : WXP__S_DONE;
    return wxp__sale_pending_v2(e, res) ? WXP__S_PENDING : WXP__S_STOP;
}

WXP_API wxp_err wxp_pos_sale(wxp_client *c, const wxp_micropay_req *req, const wxp_sale_config *sc, wxp_sale *out,
                             wxp_result *res)
{
    static const wxp__sale_api v2 = { "micropay", wxp__sale_pay_v2, wxp__sale_query_v2, wxp__sale_reverse_v2 };
    wxp_err e;
    WXP__REQUIRE(c && req && sc && sc->sleep && out && res); /* it reads the answer codes */
    e = wxp__sale_start(c, 1, out, res);
    return e ? e : wxp__sale(c, &v2, req, sc, out, res);
}
#endif /* WXP_NO_V2 */

/* ---- the sale over APIv3: codepay, query by out_trade_no, reverse */

WXP__PRIVATE void wxp__sale_seen_v3(wxp_sale *out, wxp_err e, const wxp_result *r, const wxp_transaction *t)
{
    out->last_error = e;
    if (r && r->code[0] && e == WXP_E_HTTP) wxp__copy(out->err_code, sizeof out->err_code, r->code, strlen(r->code));
    if (!e && t) {
        wxp__sale_put(out->trade_state, sizeof out->trade_state, t->trade_state);
        wxp__sale_put(out->transaction_id, sizeof out->transaction_id, t->transaction_id);
    }
}

/* An APIv3 answer that leaves the payment open: none that verifies and
   decodes, WeChat Pay's own failure (5xx, SYSTEM_ERROR, BANK_ERROR), or the
   customer still typing a password (202, or USERPAYING refusing a reverse). */
WXP__PRIVATE int wxp__sale_pending_v3(wxp_err e, const wxp_result *r)
{
    if (e == WXP_OK) return 0;
    if (e != WXP_E_HTTP) return 1;
    return r->status >= 500 || strcmp(r->code, "SYSTEM_ERROR") == 0 || strcmp(r->code, "BANK_ERROR") == 0 ||
           strcmp(r->code, "USERPAYING") == 0 || strcmp(r->code, "USER_PAYING") == 0 ||
           strcmp(r->code, "FREQUENCY_LIMITED") == 0;
}

/* A paid, open or closed order, from its trade_state; an answer about
   another order, or paid without a transaction_id, says nothing (ask again). */
WXP__PRIVATE int wxp__sale_state_v3(const wxp_transaction *t, const wxp_codepay_req *q, wxp_sale *out,
                                    wxp_result *res)
{
    if (!wxp__str_eq(t->out_trade_no, q->out_trade_no)) return WXP__S_PENDING;
    if (wxp__str_eq(t->trade_state, "SUCCESS")) {
        if (!t->transaction_id.len) return WXP__S_PENDING;
        if (t->amount.total == q->amount.total) return WXP__S_PAID;
        wxp__copy(out->err_code, sizeof out->err_code, "TOTAL_MISMATCH", 14);
        out->last_error = wxp__fail(res, WXP_E_RANGE, "amount.total", "paid, but another amount: reconcile");
        return WXP__S_MISMATCH;
    }
    return wxp__str_eq(t->trade_state, "USERPAYING") ? WXP__S_PENDING : WXP__S_STOP;
}

WXP__PRIVATE int wxp__sale_query_v3(wxp_client *c, const void *req, wxp_sale *out, wxp_result *res)
{
    const wxp_codepay_req *q = (const wxp_codepay_req *)req;
    wxp_transaction t;
    wxp_err e;
    memset(&t, 0, sizeof t);
    e = wxp_transaction_by_out_trade_no(c, q->out_trade_no, &t, res);
    if (e == WXP_E_PARTIAL) e = WXP_OK; /* the state is there; promotions do not matter here */
    wxp__sale_seen_v3(out, e, res, &t);
    if (e) return wxp__sale_pending_v3(e, res) ? WXP__S_PENDING : WXP__S_STOP; /* ORDER_NOT_EXIST...: reverse */
    return wxp__sale_state_v3(&t, q, out, res);
}

WXP__PRIVATE int wxp__sale_pay_v3(wxp_client *c, const void *req, wxp_sale *out, wxp_result *res)
{
    wxp_transaction t;
    wxp_err e;
    int step;
    memset(&t, 0, sizeof t);
    e = wxp_transaction_codepay(c, (const wxp_codepay_req *)req, &t, res);
    if (e == WXP_E_PARTIAL) e = WXP_OK;
    wxp__sale_seen_v3(out, e, res, &t);
    if (!e) {
        step = wxp__sale_state_v3(&t, (const wxp_codepay_req *)req, out, res);
        return step == WXP__S_STOP ? WXP__S_REFUSED : step; /* PAYERROR...: close it by reversing */
    }
    /* APIv3 has no ORDERPAID: a used number is another order's or this
       sale's own, run twice; the machine looks to tell them apart. */
    if (e == WXP_E_HTTP && (strcmp(res->code, "OUT_TRADE_NO_USED") == 0 || strcmp(res->code, "INVALID_REQUEST") == 0))
        return WXP__S_NUMBER_USED;
    return wxp__sale_pending_v3(e, res) ? WXP__S_PENDING : WXP__S_REFUSED;
}

WXP__PRIVATE int wxp__sale_reverse_v3(wxp_client *c, const void *req, wxp_sale *out, wxp_result *res)
{
    wxp_reverse_result rev;
    wxp_err e = wxp_transaction_reverse(c, ((const wxp_codepay_req *)req)->out_trade_no, &rev, res);
    wxp__sale_seen_v3(out, e, res, NULL);
    if (e == WXP_OK) return WXP__S_DONE;
    return wxp__sale_pending_v3(e, res) ? WXP__S_PENDING : WXP__S_STOP;
}

WXP_API wxp_err wxp_pos_sale_v3(wxp_client *c, const wxp_codepay_req *req, const wxp_sale_config *sc, wxp_sale *out,
                                wxp_result *res)
{
    static const wxp__sale_api v3 = { "codepay", wxp__sale_pay_v3, wxp__sale_query_v3, wxp__sale_reverse_v3 };
    wxp_err e;
    WXP__REQUIRE(c && req && sc && sc->sleep && out && res);
    e = wxp__sale_start(c, 0, out, res);
    return e ? e : wxp__sale(c, &v3, req, sc, out, res);
}



#endif /* WECHATPAY_IMPLEMENTATION */

/*
------------------------------------------------------------------------------
MIT License

Copyright (c) 2026 The wechatpay.h authors

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of
the Software, and to permit persons to whom the Software is furnished to do so,
subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS
FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN
AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION
WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
------------------------------------------------------------------------------
*/
