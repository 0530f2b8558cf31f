/* bench/refund_answer.h - the refund call of make bench, in process (bench.c) and end to end
   (e2e_stub.c answers it, e2e_client.c sends it): a request body and WeChat Pay's answer (about
   1 KB), the same bytes for every client measured. */
#ifndef BENCH_REFUND_ANSWER_H
#define BENCH_REFUND_ANSWER_H
#define BENCH_REFUND_ANSWER\
    "{\"refund_id\":\"50000000382019052709732678859\",\"out_refund_no\":\"1217752501201407033233368018\","\
    "\"transaction_id\":\"1217752501201407033233368018\",\"out_trade_no\":\"1217752501201407033233368018\","\
    "\"channel\":\"ORIGINAL\",\"user_received_account\":\"招商银行信用卡0403\","\
    "\"success_time\":\"2020-12-01T16:18:12+08:00\",\"create_time\":\"2020-12-01T16:18:12+08:00\","\
    "\"status\":\"SUCCESS\",\"funds_account\":\"UNSETTLED\",\"amount\":{\"total\":100,\"refund\":100,"\
    "\"from\":[{\"account\":\"AVAILABLE\",\"amount\":444},{\"account\":\"UNAVAILABLE\",\"amount\":444}],"\
    "\"payer_total\":90,\"payer_refund\":90,\"settlement_refund\":100,\"settlement_total\":100,"\
    "\"discount_refund\":10,\"currency\":\"CNY\",\"refund_fee\":0},\"promotion_detail\":["\
    "{\"promotion_id\":\"109519\",\"scope\":\"SINGLE\",\"type\":\"DISCOUNT\",\"amount\":5,\"refund_amount\":100,"\
    "\"goods_detail\":[{\"merchant_goods_id\":\"1217752501201407033233368018\",\"wechatpay_goods_id\":\"1001\","\
    "\"goods_name\":\"iPhone6s 16G\",\"unit_price\":100,\"refund_amount\":100,\"refund_quantity\":1}]},"\
    "{\"promotion_id\":\"109520\",\"scope\":\"GLOBAL\",\"type\":\"COUPON\",\"amount\":5,\"refund_amount\":5,"\
    "\"goods_detail\":[]}]}"

#define BENCH_REFUND_REQUEST\
    "{\"out_trade_no\":\"1217752501201407033233368018\",\"out_refund_no\":\"1217752501201407033233368018\","\
    "\"reason\":\"商品已售完\",\"notify_url\":\"https://weixin.qq.com\","\
    "\"amount\":{\"refund\":100,\"total\":100,\"currency\":\"CNY\"}}"
#endif
