/* The header alone and the implementation, twice, in one C99 unit: the
   implementation guard must keep the second definition out (stb rule). */
#include "wechatpay.h"
#include "wechatpay.h"
#define WECHATPAY_IMPLEMENTATION
#include "wechatpay.h"
#include "wechatpay.h"

int wxp_compile_check_c(void);
int wxp_compile_check_c(void)
{
    wxp_str s = WXP_STR("ok");
    return (int)s.len + (int)sizeof(wxp_client) * 0;
}
