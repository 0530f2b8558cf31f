// The header and its implementation compile as C++ (extern "C" linkage).
#define WECHATPAY_IMPLEMENTATION
#include "wechatpay.h"

int wxp_compile_check_cpp();
int wxp_compile_check_cpp()
{
    wxp_str s = WXP_STR("ok");
    wxp_result r;
    wxp_json_writer w;
    char buf[32];
    size_t n = 0;
    wxp_jw_init(&w, buf, sizeof buf);
    wxp_jw_string(&w, s);
    return wxp_jw_finish(&w, &n, &r) == WXP_OK ? (int)n : -1;
}
