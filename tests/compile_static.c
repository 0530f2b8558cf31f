/* WECHATPAY_STATIC: every function static, the unit calls only one, and the
   build stays free of unused-function warnings. */
#define WECHATPAY_STATIC
#define WECHATPAY_IMPLEMENTATION
#include "wechatpay.h"

int wxp_compile_check_static(void);
int wxp_compile_check_static(void)
{
    return wxp_strerror(WXP_OK)[0] == 'W';
}
