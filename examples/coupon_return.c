/* examples/coupon_return.c - return a used merchant coupon (申请退券),
   POST /v3/marketing/busifavor/coupons/return.

   After a refund of an order paid with a merchant coupon, the merchant may
   give the coupon back to the user. Only a coupon that was used can be
   returned, once; return_request_no is the merchant's request number, so a
   retry after a lost answer sends the same one and the coupon comes back
   once. Runs against the simulator with throwaway test keys. */
#define WECHATPAY_IMPLEMENTATION
#define WECHATPAY_FAKE_IMPLEMENTATION
#include "wechatpay.h"
#include "transports/wechatpay_fake.h"
#include <stdio.h>
#include "example_sim.h"

static example_sim sim;
static wxp_client c;

static unsigned slept_ms;
static void sleep_ms(void *user, unsigned ms) { (void)user; slept_ms += ms; } /* a POS would really wait */

int main(void)
{
    wxp_config cfg;
    wxp_result r;
    wxp_err e;
    wxp_coupon_return_req req;
    wxp_coupon_return_result out;

    if ((e = example_sim_init(&sim, &cfg, &r)) != WXP_OK) return example_report("simulator", e, &r);
    cfg.retry.attempts = 3;             /* lost answers and 5xx are retried... */
    cfg.retry.sleep = sleep_ms;         /* ...with the same return_request_no */
    if ((e = wxp_client_init(&c, &cfg, &r)) != WXP_OK) return example_report("client init", e, &r);
    if ((e = wxp_fake_add_coupon(&sim.fake, "1234567891", "sxxe34343434", "USED")) != WXP_OK)
        return example_report("simulator coupon", e, &r);

    memset(&req, 0, sizeof req);
    req.coupon_code = "sxxe34343434";
    req.stock_id = "1234567891";
    req.return_request_no = "1002600620019090123143254436";

    /* The first answer is lost on the way back: the call retries on its own. */
    wxp_fake_fault(&sim.fake, WXP_FAKE_LOST_ANSWER);
    e = wxp_coupon_return(&c, &req, &out, &r);
    if (e) return example_report("return the coupon", e, &r);
    printf("coupon %s of stock %s returned at %.*s (HTTP %d, answer verified, %u ms of retry back-off)\n",
           req.coupon_code, req.stock_id, EXAMPLE_STR(out.wechatpay_return_time), r.status, slept_ms);
    printf("the simulator saw %u requests and the coupon is %s again\n",
           (unsigned)wxp_fake_request_count(&sim.fake),
           wxp_fake_find_coupon(&sim.fake, "1234567891", "sxxe34343434")->state);

    /* A second return with a new request number is refused: it is not used. */
    req.return_request_no = "1002600620019090123143254437";
    e = wxp_coupon_return(&c, &req, &out, &r);
    printf("returning it again: %s %s - %s\n", wxp_strerror(e), r.code, r.message);

    /* Bad input never leaves the terminal. */
    req.stock_id = "12AB";
    e = wxp_coupon_return(&c, &req, &out, &r);
    printf("a stock_id with letters: %s (field %s), nothing sent\n", wxp_strerror(e), r.field);
    wxp_client_wipe(&c);
    return 0;
}
