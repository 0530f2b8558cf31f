/* examples/subsidy_return.c - pay a subsidy for a merchant coupon, then
   return it after the customer's refund (营销补差付款 / 营销补差回退):
   POST   /v3/marketing/busifavor/subsidy/pay-receipts
   GET    /v3/marketing/busifavor/subsidy/pay-receipts/{subsidy_receipt_id}
   POST   /v3/marketing/busifavor/subsidy/return-receipts
   A return can give back at most what was paid. Runs against the simulator
   with throwaway test keys. */
#define WECHATPAY_IMPLEMENTATION
#define WECHATPAY_FAKE_IMPLEMENTATION
#include "wechatpay.h"
#include "transports/wechatpay_fake.h"
#include <stdio.h>
#include "example_sim.h"

static example_sim sim;
static wxp_client c;

int main(void)
{
    static const char txn[] = "4200000913202101152566792388";
    wxp_config cfg;
    wxp_result r;
    wxp_err e;
    wxp_subsidy_pay_req pay;
    wxp_subsidy_pay_receipt paid, again;
    wxp_subsidy_return_req ret;
    wxp_subsidy_return_receipt back;

    if ((e = example_sim_init(&sim, &cfg, &r)) != WXP_OK) return example_report("simulator", e, &r);
    if ((e = wxp_client_init(&c, &cfg, &r)) != WXP_OK) return example_report("client init", e, &r);
    if ((e = wxp_fake_add_coupon(&sim.fake, "128888000000001", "ABCD12345678", "USED")) ||
        (e = wxp_fake_add_order(&sim.fake, "T20210115", txn, 1000)))
        return example_report("simulator book", e, &r);

    /* 1. The payer merchant pays the payee a subsidy of 1.00 CNY for the coupon. */
    memset(&pay, 0, sizeof pay);
    pay.stock_id = "128888000000001";
    pay.coupon_code = "ABCD12345678";
    pay.transaction_id = txn;
    pay.payer_merchant = "1900000001";
    pay.payee_merchant = "1800000001";
    pay.amount = 100;
    pay.description = "20210115DESCRIPTION";
    pay.out_subsidy_no = "subsidy-pay-2021011501";
    if ((e = wxp_subsidy_pay(&c, &pay, &paid, &r)) != WXP_OK) return example_report("pay the subsidy", e, &r);
    printf("subsidy paid: receipt %.*s, %lld fen, %.*s\n", EXAMPLE_STR(paid.subsidy_receipt_id), paid.amount,
           EXAMPLE_STR(paid.status));

    /* 2. Query it by its receipt id (copied: views live until the next call). */
    {
        char id[64];
        snprintf(id, sizeof id, "%.*s", EXAMPLE_STR(paid.subsidy_receipt_id));
        if ((e = wxp_subsidy_pay_query(&c, id, &again, &r)) != WXP_OK) return example_report("query", e, &r);
        printf("queried: receipt %s is %.*s since %.*s\n", id, EXAMPLE_STR(again.status),
               EXAMPLE_STR(again.success_time));
    }

    /* 3. The customer got a refund: return the subsidy. */
    memset(&ret, 0, sizeof ret);
    ret.stock_id = pay.stock_id;
    ret.coupon_code = pay.coupon_code;
    ret.transaction_id = txn;
    ret.refund_id = "50100506732021010105138718375";
    ret.payer_merchant = pay.payer_merchant;
    ret.payee_merchant = pay.payee_merchant;
    ret.amount = 100;
    ret.description = "20210115DESCRIPTION";
    ret.out_subsidy_return_no = "subsidy-abc-2021010101";
    if ((e = wxp_subsidy_return(&c, &ret, &back, &r)) != WXP_OK) return example_report("return", e, &r);
    printf("subsidy returned: receipt %.*s, %lld fen, %.*s, done %.*s\n", EXAMPLE_STR(back.subsidy_return_receipt_id),
           back.amount, EXAMPLE_STR(back.status), EXAMPLE_STR(back.return_done_time));

    /* 4. Nothing is left to return. */
    ret.out_subsidy_return_no = "subsidy-abc-2021010102";
    ret.amount = 1;
    e = wxp_subsidy_return(&c, &ret, &back, &r);
    printf("returning 1 fen more: %s %s - %s\n", wxp_strerror(e), r.code, r.message);
    wxp_client_wipe(&c);
    return 0;
}
