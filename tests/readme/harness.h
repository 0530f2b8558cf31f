/* tests/readme/harness.h - what README.md's fragments (```c blocks marked
   <!-- fragment -->) take as given: a client `c`, its config `cfg` and a
   result `r`, and the application's own functions they call. A fragment is
   compiled as the body of a function below this header (tests/readme_check.sh),
   so it must be C99 as written; none of this is run. */
#ifndef WXP_README_HARNESS_H
#define WXP_README_HARNESS_H
#include "wechatpay.h"
#include "transports/wechatpay_socket.h"

static wxp_client c;
static wxp_config cfg;
static wxp_result r;
static const wxp_str ca_pem = WXP_STR("-----BEGIN CERTIFICATE-----\n");  /* a CA bundle read at run time */

void show_qr(wxp_str code_url);                           /* the shop's display */
void fail(const wxp_result *res);                         /* the shop's error path */
void terminal_sleep(void *user, unsigned ms);             /* the POS terminal's wait */
void show_on_display(void *user, const char *state);      /* the POS terminal's display */

/* Keeps the given names used, whichever a fragment needs. */
static void readme_harness_use(void) { (void)&c; (void)&cfg; (void)&r; (void)&ca_pem; }
#endif
