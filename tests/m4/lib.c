/* tests/m4/lib.c - the library's own object in the Cortex-M4 images, so that
   the linker map attributes its bytes to it alone. */
#define WECHATPAY_IMPLEMENTATION
#include "wechatpay.h"
