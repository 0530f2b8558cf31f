/* A file built with another WXP_MAX_RSA_BITS than the library (the suite's
   implementation is at the default 4096): its structs are smaller, and the
   library must refuse them before writing a byte, naming the option. */
#define WXP_MAX_RSA_BITS 2048
#include "tests.h"
#include <string.h>

static void client_of_another_layout_is_refused(void **state)
{
    static unsigned char io[WXP_IO_BUFSIZE_MIN];
    static struct { wxp_client c; unsigned char after[64]; } guarded;
    wxp_keystore keys;
    wxp_config cfg;
    wxp_result r;
    (void)state;
    memset(&guarded, 0xA5, sizeof guarded);
    wxp_keystore_init(&keys, NULL, 0);
    keys.slot_size = 0; /* only the sizes are compared: a store from the library's own layout */
    cfg = test_config(&keys, io, sizeof io);
    assert_int_equal(wxp_client_init(&guarded.c, &cfg, &r), WXP_E_ARG);
    assert_string_equal(r.field, "WXP_MAX_RSA_BITS");
    assert_non_null(strstr(r.message, "wxp_client is "));
    assert_non_null(strstr(r.message, "same WXP_MAX_RSA_BITS"));
    /* Not a byte of the caller's struct, nor past it, was written. */
    {
        size_t i;
        const unsigned char *p = (const unsigned char *)&guarded;
        for (i = 0; i < sizeof guarded; i++) assert_int_equal(p[i], 0xA5);
    }
}

static void key_store_of_another_layout_is_refused(void **state)
{
    static struct { wxp_pubkey slots[2]; unsigned char after[1024]; } guarded;
    wxp_keystore keys;
    wxp_result r;
    (void)state;
    memset(&guarded, 0xA5, sizeof guarded);
    wxp_keystore_init(&keys, guarded.slots, 2);
    assert_int_equal(wxp_keystore_add_pubkey(&keys, TEST_PUB_ID, test_file("tests/vectors/keys/wechatpay_pub.pem"),
                                             &r),
                     WXP_E_ARG);
    assert_string_equal(r.field, "WXP_MAX_RSA_BITS");
    assert_non_null(strstr(r.message, "wxp_pubkey is "));
    assert_int_equal(keys.count, 0);
    {
        size_t i;
        const unsigned char *p = (const unsigned char *)&guarded;
        for (i = 0; i < sizeof guarded; i++) assert_int_equal(p[i], 0xA5);
    }
}

int test_group_layout(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(client_of_another_layout_is_refused),
        cmocka_unit_test(key_store_of_another_layout_is_refused),
    };
    return cmocka_run_group_tests_name("layout", tests, NULL, NULL);
}
