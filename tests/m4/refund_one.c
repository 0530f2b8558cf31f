/* tests/m4/refund_one.c - refund.c with the library compiled into the same
   translation unit (WECHATPAY_STATIC): a firmware build that lets the
   compiler drop every function, and every string, that no call reaches.
   Its library figure is the difference of the two images' sizes. */
#define WECHATPAY_STATIC
#define WECHATPAY_IMPLEMENTATION
#include "wechatpay.h"
#include "refund.c"
