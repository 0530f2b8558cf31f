/* Tests of the notify section. */
#include "tests.h"
#include <string.h>

static void notify_placeholder_strerror(void **state)
{
    (void)state;
    assert_non_null(strstr(wxp_strerror(WXP_E_PARSE), "WXP_E_PARSE"));
}

int test_group_notify(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(notify_placeholder_strerror),
    };
    return cmocka_run_group_tests_name("notify", tests, NULL, NULL);
}
