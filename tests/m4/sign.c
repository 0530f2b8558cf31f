/* tests/m4/sign.c - one RSA-2048 signature (wxp_sign_base64 with the test
   merchant key), built once with -DWXP_RSA_I31 and once with -DWXP_RSA_I15:
   its instructions, counted under qemu -icount. */
#define WECHATPAY_IMPLEMENTATION
#include "wechatpay.h"
#include "board.h"
#include "examples/test_keys.h"

static wxp_rsa_key key;

int main(void)
{
    static const char msg[] = "POST\n/v3/refund/domestic/refunds\n1795425372\nNONCE\n{}\n";
    char sig[WXP_SIG_B64_MAX + 1];
    size_t len;
    wxp_result r;
    uint32_t t0;
    wxp_err e;
    m4_calibrate();
    if (wxp_rsa_key_load(&key, wxp_cstr(WXP_TEST_MERCHANT_KEY), &r) != WXP_OK) return 1;
    t0 = m4_ticks();
    e = wxp_sign_base64(&key.vtable, msg, sizeof msg - 1, sig, sizeof sig, &len, &r);
    m4_put_kv("sign_ticks", m4_ticks() - t0);
    return e != WXP_OK || len != 344;
}
