/* Tests of the client section. */
#include "tests.h"
#include <string.h>

static void client_placeholder_strerror(void **state)
{
    (void)state;
    assert_non_null(strstr(wxp_strerror(WXP_E_PARSE), "WXP_E_PARSE"));
}

int test_group_client(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(client_placeholder_strerror),
    };
    return cmocka_run_group_tests_name("client", tests, NULL, NULL);
}
