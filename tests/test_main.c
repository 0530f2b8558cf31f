/* Runs every group; the exit status is the number of failed tests. */
#include "tests.h"

int main(void)
{
    int failed = 0;
#define TEST_RUN(name) failed += test_group_##name();
    TEST_GROUPS(TEST_RUN)
#undef TEST_RUN
    return failed ? 1 : 0;
}
