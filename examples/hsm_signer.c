/* examples/hsm_signer.c - the merchant key stays in a secure element.

   wechatpay.h signs through a two-function vtable (wxp_signer_class). Give the
   client a signer instead of config.private_key_pem and the library never
   sees the private key: it hashes METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n with
   SHA-256 and hands the 32-byte digest to your callback, which asks the
   device for an RSA PKCS#1 v1.5 signature. The key-loading step is skipped;
   only the merchant serial and the signer are configured.

   The "device" below is SIMULATED: a separate module with its own opaque
   session handle and a PKCS#11-like C API (se_open, se_sign_digest, se_close).
   Inside it holds a BearSSL key, the THROWAWAY test key of examples/test_keys.h
   (the same key as tests/vectors/keys/merchant_key.pem). On real hardware that
   section is the vendor's library (a TPM, a PKCS#11 token, an ATECC/SE050 on a
   POS board, a cloud KMS client); the part the library sees does not change.

   With no arguments it sends a refund POST to the in-process WeChat Pay
   simulator (transports/wechatpay_fake.h), which checks the request signature
   against the merchant's public key as WeChat Pay would, and prints the answer
   after the client has verified its signature. Exit status 0 on success. */
#define WECHATPAY_IMPLEMENTATION
#define WECHATPAY_FAKE_IMPLEMENTATION
#include "wechatpay.h"
#include "transports/wechatpay_fake.h"

#include <stdio.h>
#include <string.h>
#include "example_sim.h"

/* ==== the secure element: STANDS IN FOR THE HARDWARE ======================== */
/* Everything in this section would live in the device and its vendor library.
   The application sees only se_session (opaque) and the three functions. */

typedef struct se_session se_session;       /* opaque to the application */
enum { SE_OK = 0, SE_ERR_SLOT = 1, SE_ERR_BUFFER = 2, SE_ERR_DEVICE = 3 };

struct se_session {                         /* inside the "device" */
    int          open;
    unsigned     signatures;                /* a usage counter, as tokens keep */
    wxp_rsa_key  key;                       /* the key never leaves this struct */
};

static se_session se_slots[1];

/* Opens the key in a slot. A real token would ask for a PIN here. */
static se_session *se_open(int slot)
{
    wxp_result r;
    se_session *s;
    if (slot != 0) return NULL;
    s = &se_slots[slot];
    /* Provisioning stand-in: the device "was loaded at the factory". */
    if (!s->open) {
        if (wxp_rsa_key_load(&s->key, wxp_cstr(WXP_TEST_MERCHANT_KEY), &r) != WXP_OK) return NULL;
        s->open = 1;
    }
    return s;
}

/* RSA PKCS#1 v1.5 signature of a SHA-256 digest: the device adds the
   DigestInfo and the padding. *len: capacity in, length out. */
static int se_sign_digest(se_session *s, const unsigned char digest[32], unsigned char *sig, size_t *len)
{
    size_t n;
    if (!s || !s->open) return SE_ERR_SLOT;
    n = (s->key.sk.n_bitlen + 7) / 8;
    if (*len < n) { *len = n; return SE_ERR_BUFFER; }
    if (!br_rsa_pkcs1_sign_get_default()(BR_HASH_OID_SHA256, digest, 32, &s->key.sk, sig)) return SE_ERR_DEVICE;
    *len = n;
    s->signatures++;
    return SE_OK;
}

static void se_close(se_session *s)
{
    if (!s) return;
    wxp_rsa_key_wipe(&s->key);
    s->open = 0;
}

/* ==== the application: a wxp_signer_class over the device API ============== */

typedef struct hsm_signer {
    const wxp_signer_class *vtable;         /* first: the library passes &vtable */
    se_session             *se;
} hsm_signer;

static wxp_err hsm_sign_sha256(const wxp_signer_class **ctx, const unsigned char hash[32], unsigned char *sig,
                               size_t *sig_len)
{
    const hsm_signer *h = (const hsm_signer *)(const void *)ctx;
    switch (se_sign_digest(h->se, hash, sig, sig_len)) {
    case SE_OK:         return WXP_OK;
    case SE_ERR_BUFFER: return WXP_E_NOSPACE;
    case SE_ERR_SLOT:   return WXP_E_KEY;
    default:            return WXP_E_CRYPTO;
    }
}

/* This device only signs. Without oaep_decrypt, wxp_client_decrypt answers
   WXP_E_UNSUPPORTED; a token that can do RSA-OAEP (SHA-1, MGF1-SHA-1) would
   fill it in the same way. */
static const wxp_signer_class hsm_signer_class = { hsm_sign_sha256, NULL };

/* ==== the call =============================================================== */

static example_sim sim;

int main(void)
{
    static wxp_client c;
    static const char body[] =
        "{\"out_trade_no\":\"1217752501201407033233368018\",\"out_refund_no\":\"R-HSM-0001\","
        "\"reason\":\"商品已售完\",\"amount\":{\"refund\":100,\"total\":888,\"currency\":\"CNY\"}}";
    hsm_signer signer;
    wxp_config cfg;
    wxp_result r;
    wxp_err e;
    unsigned char plain[64];
    size_t plain_len;
    const char *auth;

    printf("The merchant key lives in a (simulated) secure element; the library gets only a signer.\n\n");

    /* 1. The device. */
    signer.vtable = &hsm_signer_class;
    signer.se = se_open(0);
    if (!signer.se) { puts("secure element: cannot open slot 0"); return 1; }

    /* 2. The simulator plays WeChat Pay: it knows the merchant's PUBLIC key and
          signs its answers with the (test) platform key. example_sim_init also
          fills cfg for it: mchid, the WeChat Pay public key, clock, transport. */
    if ((e = example_sim_init(&sim, &cfg, &r)) != WXP_OK ||
        (e = wxp_fake_add_order(&sim.fake, "1217752501201407033233368018", NULL, 888)) != WXP_OK)
        return example_report("start the simulator", e, &r);

    /* 3. The client: serial + signer, no private_key_pem. The shared set-up put
          the test key there for the other examples: out it goes, so the library
          never sees a private key. */
    cfg.private_key_pem = wxp_cstr(NULL);
    cfg.signer = &signer.vtable;            /* instead of cfg.private_key_pem */
    e = wxp_client_init(&c, &cfg, &r);
    if (e) return example_report("client init", e, &r);

    /* 4. A refund. The simulator refuses a bad signature with 401 SIGN_ERROR. */
    e = wxp_v3_request(&c, "POST", "/v3/refund/domestic/refunds", wxp_cstr(body), &r);
    if (e) return example_report("POST /v3/refund/domestic/refunds", e, &r);
    auth = wxp_fake_record_header(wxp_fake_last(&sim.fake), "Authorization");
    printf("POST /v3/refund/domestic/refunds\n");
    printf("  signed by the secure element (%u signature%s so far)\n", signer.se->signatures,
           signer.se->signatures == 1 ? "" : "s");
    printf("  Authorization: %.60s...\n", auth ? auth : "(none)");
    printf("  the simulator verified it against merchant_pub.pem: HTTP %d, Request-ID %s\n", r.status,
           r.request_id);
    printf("  answer (its signature verified by the client):\n  %.*s\n", (int)r.body.len, r.body.ptr);

    /* 5. What a sign-only device cannot do. */
    e = wxp_client_decrypt(&c, wxp_cstr("AAAA"), plain, sizeof plain, &plain_len, &r);
    printf("\ndecrypting an OAEP field with this signer: %s\n", wxp_strerror(e));
    if (e != WXP_E_UNSUPPORTED) return 1;

    wxp_client_wipe(&c);
    se_close(signer.se);
    return 0;
}
