/* wechatpay_fake.h - WeChat Pay simulator transport (APIv3 and APIv2) for wechatpay.h - MIT (see wechatpay.h)

   A wxp_transport that plays WeChat Pay in-process, for unit tests of code that
   pays and refunds: it checks request signatures as the real server does, keeps
   an order book, places orders (JSAPI, App, H5, Native; a merchant's own and a
   service provider's) that a customer then pays (wxp_fake_pay_order, with the
   TRANSACTION.SUCCESS callback), queries and closes them, books refunds by
   WeChat Pay's rules, serves merchant-coupon returns and subsidies, the
   platform certificate and trade bills, answers the APIv2 (XML) refund calls,
   plays the customers of a barcode-payment terminal (APIv2 micropay, order
   query, reverse; APIv3 code-pay and reverse), signs every answer (APIv3: a
   platform key; APIv2: the sign field), and can be scripted to answer canned
   bodies or to misbehave.
   No heap, no sockets, no global state: all memory is the caller's wxp_fake.

   Do this:
       #define WECHATPAY_FAKE_IMPLEMENTATION
   before you include this file in *one* C or C++ file (it may be the file that
   defines WECHATPAY_IMPLEMENTATION). It does `#include "wechatpay.h"`, so the
   directory holding wechatpay.h must be on the include path (-I. from the
   repository root). It uses only wechatpay.h's public API. With WXP_NO_V2 the
   APIv2 routes are left out.

   QUICK START
       static wxp_fake fake;                  // large (see MEMORY): give it static storage
       static long long now = 1795425372;     // share one clock with the client
       wxp_fake_config fc = {0};
       fc.mchid = "1900009191";
       fc.merchant_serial = "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C";
       fc.merchant_key = &merchant_pub;       // wxp_pubkey: checks request signatures
       fc.platform_signer = &platform_key.vtable;  // wxp_rsa_key: signs answers
       fc.platform_serial = "PUB_KEY_ID_0119000091912025010100000000000001";
       fc.apiv2_key = wxp_cstr(apiv2_key);    // APIv2 only: checks and makes `sign`
       fc.clock.fn = wxp_fake_fixed_clock; fc.clock.user = &now;
       if (wxp_fake_init(&fake, &fc) != WXP_OK) abort();
       if (wxp_fake_add_order(&fake, "T1", NULL, 100) != WXP_OK) abort();   // 1.00 CNY
       cfg.transport = wxp_fake_as_transport(&fake);   // then drive the client as usual
       ... wxp_v3_request(&c, "POST", "/v3/refund/domestic/refunds", body, &r) ...
       assert(wxp_fake_find_refund(&fake, "R1")->amount == 100);

   API (declarations below; [in]/[out] and NULL rules on each)
       setup     wxp_fake_init  wxp_fake_as_transport  wxp_fake_fixed_clock
       transport wxp_fake_transport (user = the wxp_fake *)
       book      wxp_fake_add_order  wxp_fake_add_order_unpaid  wxp_fake_order_coupon
                 wxp_fake_find_order  wxp_fake_find_refund  wxp_fake_refund_count
                 wxp_fake_set_refund_status
       coupons   wxp_fake_add_coupon  wxp_fake_find_coupon  wxp_fake_set_coupon_state
       customers wxp_fake_add_customer  wxp_fake_find_customer (barcode payment)
       payments  wxp_fake_pay_order (the customer pays a placed order)
       bills     wxp_fake_add_bill
       script    wxp_fake_push  wxp_fake_push_raw  wxp_fake_push_fail
                 wxp_fake_pending  wxp_fake_clear_script
       faults    wxp_fake_fault  wxp_fake_fault_times  wxp_fake_fault_on
                 wxp_fake_fault_age  wxp_fake_fail_with (WeChat Pay's error codes)
       money     wxp_fake_set_balance (the merchant's refundable balance)
       records   wxp_fake_request_count  wxp_fake_record_at  wxp_fake_last
                 wxp_fake_record_header
       callbacks wxp_fake_notify  wxp_fake_notify_refund  wxp_fake_notify_transaction
                 wxp_fake_notify_refund_v2 (APIv2, req_info)

   WHAT EACH REQUEST GETS, in this order
       1. It is recorded (method, host, path, headers, body, copied and cut to the
          WXP_FAKE_* sizes; a cut field sets a bit in record->truncated;
          record->client_cert says whether req->client_cert was set).
       2. A queued wxp_fake_push_fail() fails it (transport returns nonzero).
       3. With config.require_client_cert, a path under /secapi/ without
          req->client_cert fails with WXP_TRANSPORT_TLS (errbuf "fake: client
          certificate required ..."): the real server refuses the TLS
          handshake, so the client hears no answer at all (WXP_E_TLS). The pending faults stay pending.
       4. The pending faults are taken (they apply to this answer only, or to the
          next n with wxp_fake_fault_times; with wxp_fake_fault_on only requests
          to that path take them, the others leave them pending).
          WXP_FAKE_DROP fails the transport here: nothing is processed.
          WXP_FAKE_SYSTEM_ERROR answers 500 SYSTEM_ERROR (APIv2: see below)
          without looking at the queue or booking anything; so does a pending
          wxp_fake_fail_with for this path, with its code (SCRIPTED REFUSALS);
          so does a refund application while config.refund_fail_qps blocks
          refunds (429 FREQUENCY_LIMITED, APIv2 INVALID_REQ_TOO_MUCH).
       5. A queued canned answer (wxp_fake_push*) is sent as is: no checks.
       6. Otherwise the simulator answers, as WeChat Pay does (then, with
          WXP_FAKE_BOOKED_ERROR, the answer is replaced by the system error of
          step 4: what was booked stays booked). Paths under
          /secapi/ and /pay/ are APIv2 (the last section); the others APIv3:
          - Authorization: scheme WECHATPAY2-SHA256-RSA2048 and the quoted fields
            mchid, nonce_str, signature, timestamp, serial_no in any order; mchid
            must be config.mchid (else 404 MCH_NOT_EXISTS: the only merchant it
            knows), serial_no config.merchant_serial (case-blind;
            not checked when unset), timestamp within max_skew_s of the clock,
            signature RSA-SHA256 over METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n
            under config.merchant_key (not checked when unset). Any failure, or
            no header: 401 {"code":"SIGN_ERROR","message":<what was wrong>}.
          - POST /v3/refund/domestic/refunds: transaction_id (preferred) or
            out_trade_no names the order; out_refund_no 1-64 of [0-9A-Za-z_-|*@];
            amount.refund, amount.total integers, amount.currency "CNY"; optional
            reason (<= 80 characters), notify_url (https), funds_account
            ("AVAILABLE"), amount.from[] {account AVAILABLE|UNAVAILABLE, amount},
            goods_detail[], sub_mchid (one of config.sub_mchids, else 404
            MCH_NOT_EXISTS). Bad or missing fields: 400 PARAM_ERROR. Unknown
            or unpaid order: 404 RESOURCE_NOT_EXISTS. A known out_refund_no with
            the same order and amount: 200 with the same refund, booked once;
            different: 400 INVALID_REQUEST. amount.total not the order's: 400
            PARAM_ERROR. Then WeChat Pay's refund rules, in this order (the
            APIv2 refunds share them): paid more than 365 days before the clock,
            the 51st refund of an order, nothing left, more than is left: 400
            INVALID_REQUEST (the message says which); more than the merchant's
            balance (wxp_fake_set_balance): 403 NOT_ENOUGH. Else 200 with the
            refund, status PROCESSING, no success_time (it comes once the refund
            succeeded), funds_account AVAILABLE when asked for, else UNSETTLED.
            With config.refund_fail_qps, failing refund applications past that
            many in one second of the clock block refund applications for 60 s:
            429 FREQUENCY_LIMITED (APIv2: INVALID_REQ_TOO_MUCH).
            Coupons of the order (wxp_fake_order_coupon) each get
            back a share (cumulative coupon fee * refunded / total, the last
            refund giving back exactly the rest): amount.payer_total and
            payer_refund are the cash parts, discount_refund the coupon part,
            settlement_* leave out NO_CASH coupons, promotion_detail[] lists
            each coupon {promotion_id, scope GLOBAL, type COUPON (CASH) or
            DISCOUNT (NO_CASH), amount, refund_amount}.
          - GET /v3/refund/domestic/refunds/{out_refund_no} (percent-decoded): the
            refund; a PROCESSING refund whose status the test did not pin becomes
            SUCCESS when queried. Unknown: 404 RESOURCE_NOT_EXISTS.
          - POST /v3/pay/transactions/{jsapi,app,h5,native} {appid, mchid,
            description, out_trade_no, notify_url, amount, ...} places an order
            (NOTPAY; trade_type JSAPI, APP, MWEB, NATIVE): 200 {"prepay_id"}
            (wx + yyyyMMddHHmmss + 20 hex digits), {"h5_url"}
            (https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=
            ...&package=...) or {"code_url"} (weixin://wxpay/bizpayurl?pr=...).
            POST /v3/pay/partner/transactions/{...} the same for a service
            provider: sp_appid, sp_mchid, sub_mchid (one of config.sub_mchids)
            and an optional sub_appid (that sub-merchant's config.sub_appids).
            400 PARAM_ERROR naming the field: a required one missing or empty
            (appid, mchid, description, out_trade_no, notify_url, amount,
            amount.total; JSAPI payer.openid, partner payer.sp_openid or
            sub_openid; H5 scene_info with payer_client_ip and h5_info.type),
            of the wrong type, longer than documented (description 127,
            attach 128 characters...), out_trade_no not 6-32 of
            [0-9A-Za-z_-|*], time_expire not RFC 3339, notify_url not https://
            (http:// only to 127.0.0.1 or localhost) or with a query,
            amount.total below 1 fen, currency not CNY, h5_info.type not iOS,
            Android or Wap, sub_openid without sub_appid, detail over 6144
            bytes or a goods_detail item without merchant_goods_id, quantity,
            unit_price; (sp_)mchid not config.mchid. An AppID not config.appid
            nor one of config.appids (partner: sub_appid not the
            sub-merchant's): 400 APPID_MCHID_NOT_MATCH; an unknown sub_mchid:
            400 MCH_NOT_EXISTS. A known out_trade_no: the same fields again
            (a retry) answer the same prepay_id / h5_url / code_url; other
            fields (time_expire included) 400 INVALID_REQUEST "201 商户订单号
            重复" in Chinese; a paid order 403 OUT_TRADE_NO_USED; a closed or
            reversed one 400 ORDER_CLOSED. time_expire sooner than a minute
            after placing counts as a minute; without it the order can be paid
            for 7 days; past it the order cannot be paid and stays NOTPAY.
          - GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=... and
            GET /v3/pay/transactions/id/{transaction_id}?mchid=...: the
            transaction: appid, mchid, out_trade_no, transaction_id,
            trade_type (as placed; MICROPAY for a barcode payment; NATIVE for
            wxp_fake_add_order's), trade_state SUCCESS (REFUND once refunded,
            REVOKED once a reverse gave the payment back), trade_state_desc,
            bank_type OTHERS, attach (when placed with one), success_time,
            payer.openid (who paid, a barcode customer's openid),
            amount {total, payer_total without the coupons, currency,
            payer_currency}, promotion_detail[] of CASH/NOCASH coupons. An
            order without a payment (NOTPAY, CLOSED, USERPAYING, PAYERROR,
            REVOKED) is found by out_trade_no only and has no transaction_id,
            bank_type, attach, success_time, payer nor payer_total (and, unless
            it is a barcode payment, no trade_type), as WeChat Pay answers it.
            mchid missing or not the merchant: 400 PARAM_ERROR; unknown order,
            or a sub-merchant's: 404 ORDER_NOT_EXIST.
            GET /v3/pay/partner/transactions/{out-trade-no|id}/...?sp_mchid=
            ...&sub_mchid=...: a sub-merchant's order, with sp_appid, sp_mchid,
            sub_appid (when placed with one), sub_mchid and payer {sp_openid,
            sub_openid}; another sub-merchant's or a merchant's own: 404.
          - POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close
            {"mchid"} (partner: .../partner/transactions/... {"sp_mchid",
            "sub_mchid"}): 204 with an empty body, signed over TS\nNONCE\n\n;
            an order without a payment (NOTPAY, USERPAYING, PAYERROR) becomes
            CLOSED (closing it again, or a REVOKED order: 204, nothing
            changes). mchid missing or not the merchant: 400 PARAM_ERROR; a
            paid order (SUCCESS, REFUND): 400 ORDERPAID (WeChat Pay's APIv2
            code; the APIv3 answer is not documented); unknown: 404
            ORDER_NOT_EXIST.
          - POST /v3/pay/transactions/codepay {appid, mchid, description,
            out_trade_no (6-32 of [0-9A-Za-z_-*]), payer.auth_code, amount,
            scene_info.store_info, ...} (the customers are the test's,
            wxp_fake_add_customer): PAY_NOW: 200 with the transaction,
            trade_state SUCCESS, trade_type MICROPAY, the wallet charged;
            PAY_AFTER_POLLS, NEVER_CONFIRMS: 202 with the transaction,
            trade_state USERPAYING (the polls-th query by out_trade_no sees the
            payment; a customer still typing WXP_FAKE_PASSWORD_S after the
            code-pay gives up: PAYERROR); NO_MONEY or a short wallet: 403
            NOT_ENOUGH (order PAYERROR); a code that is not 18 digits starting
            10-15, or nobody's: 403 TRADE_ERROR (order PAYERROR; WeChat Pay's
            APIv3 code for it is not documented: APIv2 says AUTH_CODE_INVALID).
            The number of another order (placed, another amount) or of a paid
            one: 403 OUT_TRADE_NO_USED; of a closed or reversed one: 400
            ORDER_CLOSED; of one still USERPAYING: 202 again; PAYERROR: paid
            again with this code. Bad fields: 400 PARAM_ERROR as for
            placement; an AppID not the merchant's: 400 APPID_MCHID_NOT_MATCH.
          - POST /v3/pay/transactions/out-trade-no/{out_trade_no}/reverse
            {"appid","mchid"}: 200 {appid, mchid, out_trade_no}; a paid order
            gives back what refunds left (to the customer, order->reversed)
            and becomes REVOKED, as does one without a payment (NOTPAY,
            PAYERROR); REVOKED and CLOSED orders stay. The customer still
            typing the password: 403 USERPAYING "正在支付中不能发起撤销" in
            Chinese (nothing changes). Not a barcode payment: 400
            INVALID_REQUEST; unknown: 404 ORDER_NOT_EXIST. Each answered
            reverse counts in order->reverses.
          - POST /v3/pay/partner/transactions/codepay {sp_appid, sp_mchid,
            sub_appid (optional), sub_mchid, then as the direct code-pay} and
            POST /v3/pay/partner/transactions/out-trade-no/{out_trade_no}/
            reverse {"sp_mchid","sub_mchid"}: the same for a service provider,
            answering the partner shape (payer.sp_openid: the customer's;
            the reverse 200 {sp_appid, sp_mchid, sub_appid when placed with
            one, sub_mchid, out_trade_no}). An unknown sub_mchid: 400
            MCH_NOT_EXISTS; a sub_appid not the sub-merchant's: 400
            APPID_MCHID_NOT_MATCH; another sub-merchant's order (or a direct
            one): 404 ORDER_NOT_EXIST, as the direct forms answer for a
            sub-merchant's.
          - GET /v3/certificates (with config.platform_cert_pem and a 32-byte
            config.apiv3_key, else 404): {"data":[{serial_no, effective_time,
            expire_time, encrypt_certificate {algorithm AEAD_AES_256_GCM,
            nonce, associated_data "certificate", ciphertext}}]}, signed under
            the certificate's serial.
          - POST /v3/marketing/busifavor/coupons/return {coupon_code, stock_id,
            return_request_no}: a USED coupon (wxp_fake_add_coupon) becomes
            SENDED: 200 {"wechatpay_return_time": RFC 3339 of the clock}. The
            same return_request_no again: the same answer, no second return
            (for another coupon: 400 INVALID_REQUEST). A coupon not USED (never
            used, or already returned): 400 INVALID_REQUEST "coupon is not
            used...". Unknown (stock_id, coupon_code): 404 RESOURCE_NOT_EXISTS.
          - POST /v3/marketing/busifavor/subsidy/pay-receipts {stock_id,
            coupon_code, transaction_id (28-32 digits), payer_merchant,
            payee_merchant, amount (1 fen - 5000 CNY), description (1-1024
            characters), out_subsidy_no}: books a subsidy for a USED coupon
            and a paid transaction: 200 {subsidy_receipt_id (28 digits), the
            request's fields, status PAY_RECEIPT_SUCCESS (PARTIAL_RETURN,
            FULL_RETURN once returns gave part or all of it back), success_time,
            create_time; no fail_reason}. The
            same out_subsidy_no: the same receipt (other parameters: 400
            INVALID_REQUEST). Unknown coupon or transaction: 404
            RESOURCE_NOT_EXISTS; coupon not USED: 400 INVALID_REQUEST; bad
            fields: 400 PARAM_ERROR.
          - GET /v3/marketing/busifavor/subsidy/pay-receipts/{subsidy_receipt_id}:
            that receipt; unknown: 404 RESOURCE_NOT_EXISTS.
          - POST /v3/marketing/busifavor/subsidy/return-receipts {the pay fields,
            refund_id (28-32 digits; not checked against the book),
            out_subsidy_return_no}: returns at most what was paid for the
            (stock_id, coupon_code, transaction_id), less earlier returns: more:
            400 INVALID_REQUEST; nothing paid: 404 RESOURCE_NOT_EXISTS; payer or
            payee not the payment's: 400 INVALID_REQUEST. 200 with
            subsidy_return_receipt_id, the request's fields, status
            RETURN_RECEIPT_SUCCESS, return_done_time, subsidy_receipt_id (the
            first payment), out_subsidy_return_no, return_create_time; no
            fail_reason. The same out_subsidy_return_no: the same receipt.
            WXP_FAKE_ACCEPTED books a pay or return still being processed:
            status PAY_RECEIPT_ACCEPTED / RETURN_RECEIPT_ACCEPTED, no
            success_time / return_done_time, and a return without
            subsidy_return_receipt_id; the query of the pay receipt, or a retry,
            then sees it done.
          - GET /v3/bill/tradebill?bill_date=YYYY-MM-DD[&bill_type=ALL|SUCCESS|
            REFUND][&tar_type=GZIP][&sub_mchid=...] (sub_mchid is not read): a
            bill registered with wxp_fake_add_bill: 200 {"hash_type":"SHA1",
            "hash_value":<40 hex digits>,"download_url":"https://<req->host>/
            v3/billdownload/file?token=<token>"}. No bill for that date: 400
            NO_STATEMENT_EXIST; a bad bill_date or bill_type: 400 PARAM_ERROR;
            tar_type=GZIP: 400 PARAM_ERROR (the fake does not compress).
          - GET /v3/billdownload/file?token=... (signed like any request): the
            bill's bytes, 200, NOT signed (as WeChat Pay sends it; the client
            checks hash_value), Content-Type application/octet-stream, written
            to the sink in pieces (one line each), so a bill may be larger
            than WXP_FAKE_ANSWER_MAX. The bill is CSV text in the layout of
            WeChat Pay's ALL trade bill: the 27-column heading, one line per
            trade with every field behind a backquote, then the summary
            heading and line. Its rows are made up from the date and the row
            number (NATIVE payments; every 4th a refund of half the order);
            bill_type SUCCESS keeps the payments, REFUND the refunds. A token
            the fake did not hand out: 400 INVALID_REQUEST. WXP_FAKE_FLIP_BODY
            flips a byte of the first line, so the hash check fails.
          - POST /v3/merchant/media/upload and POST /v3/marketing/favor/media/
            image-upload: multipart/form-data (the boundary of the Content-Type
            header) with a part named "meta", {"filename","sha256"}, and a part
            named "file"; the Authorization signature covers the meta JSON, not
            the body. The file must be 1 byte to 2 MiB, its SHA-256 (hex, any
            case) the meta's, and the meta's filename end in .jpg, .jpeg, .png
            or .bmp (any case); else 400 PARAM_ERROR. 200 {"media_id": ...}
            (the marketing path: {"media_url": "https://wxpaylogo.qpic.cn/..."}).
          - anything else: 404 {"code":"NOT_FOUND",...}.
       7. The answer carries Request-ID, Content-Type: application/json (when it
          has a body) and, when config.platform_signer is set, Wechatpay-Nonce,
          -Signature, -Timestamp, -Serial and -Signature-Type, signed over
          TIMESTAMP\nNONCE\nBODY\n. Then the faults are applied.

   APIv2 (XML; no Authorization, no Wechatpay-* headers; Content-Type text/plain)
       Every request: the body parses with wxp_xml_parse, mch_id is config.mchid,
       nonce_str is 1-32 characters, sign_type is MD5 (also when absent) or
       HMAC-SHA256, and `sign` verifies (wxp_v2_verify) under config.apiv2_key
       with that sign_type. Any failure: <return_code>FAIL</return_code> and a
       return_msg ("签名错误" for a missing or wrong sign, "XML格式错误"),
       unsigned, as WeChat Pay answers; so are all requests when no apiv2_key is
       configured. Past that, every answer has return_code SUCCESS, appid,
       mch_id, a fresh nonce_str, result_code SUCCESS or FAIL (with err_code,
       err_code_des) and a `sign` made with the request's sign_type.
       - POST /secapi/pay/refund, /secapi/pay/refundv2 (detail required, a JSON
         object): appid must be config.appid (else APPID_MCHID_NOT_MATCH);
         out_refund_no, total_fee, refund_fee, transaction_id (preferred) or
         out_trade_no, optional refund_fee_type CNY, refund_desc (<= 80
         characters), refund_account REFUND_SOURCE_UNSETTLED_FUNDS|_RECHARGE_FUNDS
         (else PARAM_ERROR); refund_fee > total_fee: return_code FAIL "invalid
         refund_fee". The order book is the APIv3 one: unknown or unpaid order
         INVALID_TRANSACTIONID (by transaction_id) or ORDERNOTEXIST; a known
         out_refund_no: the same refund (another fee or total_fee:
         REFUND_FEE_MISMATCH; another order: INVALID_REQUEST); total_fee not the
         order's: REFUND_FEE_MISMATCH; sub_mch_id not one of config.sub_mchids:
         MCHID_NOT_EXIST; paid more than 365 days ago: TRADE_OVERDUE; the 51st
         refund: INVALID_REQUEST; nothing left: ERROR "订单已全额退款"; more than
         is left: INVALID_REQUEST "refund_fee大于可退金额"; more than the
         merchant's balance (wxp_fake_set_balance): NOTENOUGH (WeChat Pay's
         codes for these). Success: transaction_id,
         out_trade_no, out_refund_no, refund_id, refund_fee,
         settlement_refund_fee, total_fee, settlement_total_fee, fee_type CNY,
         cash_fee, cash_refund_fee, coupon_refund_fee, coupon_refund_count and
         per refunded coupon $n: coupon_type_$n, coupon_refund_fee_$n,
         coupon_refund_id_$n (shares as for APIv3). Status PROCESSING.
       - POST /pay/refundquery and /pay/refundqueryv2 (the single-item form,
         whose promotion_detail_$n the simulator's orders never have): by
         refund_id, else out_refund_no (that refund),
         else transaction_id, else out_trade_no (the order's refunds from
         offset, WXP_FAKE_V2_PAGE at most). transaction_id, out_trade_no,
         total_fee, settlement_total_fee, fee_type, cash_fee, refund_count,
         total_refund_count, and per refund $n: out_refund_no_$n, refund_id_$n,
         refund_channel_$n ORIGINAL, refund_fee_$n, settlement_refund_fee_$n,
         coupon_refund_fee_$n, coupon_refund_count_$n, coupon_type_$n_$m,
         coupon_refund_fee_$n_$m, coupon_refund_id_$n_$m (with coupons),
         refund_status_$n (SUCCESS PROCESSING REFUNDCLOSE CHANGE; an unpinned
         PROCESSING refund succeeds when queried), refund_account_$n,
         refund_recv_accout_$n "支付用户的零钱", refund_success_time_$n
         "YYYY-MM-DD HH:MM:SS" (China time, when SUCCESS). Nothing found (or
         offset past the end): REFUNDNOTEXIST.
       - POST /pay/micropay (barcode payment; the customers are the test's,
         wxp_fake_add_customer): appid as for refunds; body (1-128 characters),
         out_trade_no (1-32 of [0-9A-Za-z_-|*@]), total_fee (whole fen, >= 1),
         spbill_create_ip and auth_code required, fee_type CNY if given (else
         PARAM_ERROR). An out_trade_no already in the book: paid (SUCCESS or
         REFUND) ORDERPAID, REVOKED ORDERREVERSED, CLOSED ORDERCLOSED; not a
         micropay order, or another total_fee: OUT_TRADE_NO_USED; USERPAYING:
         USERPAYING again; PAYERROR: paid again with this auth_code. A new one
         is booked (trade_type MICROPAY, in the book the APIv3 queries, close
         and refunds read), then the customer answers: an auth_code that is not
         18 digits starting 10-15, or no customer's: AUTH_CODE_INVALID (order
         PAYERROR); NO_MONEY, or a balance below total_fee: NOTENOUGH (order
         PAYERROR); PAY_NOW: result SUCCESS, the balance is charged, order
         SUCCESS with a new transaction_id; PAY_AFTER_POLLS and NEVER_CONFIRMS:
         result FAIL err_code USERPAYING (order USERPAYING). A paid answer has
         openid (the customer's), is_subscribe N, trade_type MICROPAY,
         bank_type OTHERS, fee_type CNY, total_fee, cash_fee_type CNY,
         cash_fee, coupon_fee (with coupons), transaction_id, out_trade_no,
         device_info and attach (echoed) and time_end (yyyyMMddHHmmss, China
         time).
       - POST /pay/orderquery: transaction_id (preferred) or out_trade_no;
         neither: PARAM_ERROR; unknown: ORDERNOTEXIST. A USERPAYING order of a
         PAY_AFTER_POLLS customer is paid by the polls-th query (SUCCESS, or
         PAYERROR when the balance is short); NEVER_CONFIRMS stays USERPAYING.
         result SUCCESS with trade_state (SUCCESS, REFUND once refunded,
         NOTPAY, CLOSED, REVOKED, USERPAYING, PAYERROR), trade_state_desc,
         out_trade_no, trade_type, total_fee, fee_type and, once paid, the
         fields of a paid micropay answer. Each answered query counts in
         order->queries.
       - POST /secapi/pay/reverse (mutual TLS with require_client_cert):
         transaction_id (preferred) or out_trade_no; unknown: ORDERNOTEXIST;
         created more than 7 days ago: REVERSE_EXPIRE. Else result SUCCESS,
         recall N: a paid order gives back what refunds left (to the customer's
         balance, order->reversed) and becomes REVOKED, as does an order without
         a payment (NOTPAY, USERPAYING, PAYERROR); REVOKED and CLOSED orders
         stay as they are (a repeated reverse is answered the same). With
         WXP_FAKE_RECALL: result SUCCESS, recall Y, nothing changes. Each
         answered reverse counts in order->reverses.
       - other APIv2 paths: 404 NOT_FOUND.
       Faults: WXP_FAKE_FLIP_BODY flips a byte of the sign value (the XML still
       parses; the client's sign check must catch it), WXP_FAKE_LOST_ANSWER
       books (a refund, a payment, a reverse) then fails the transport,
       WXP_FAKE_SYSTEM_ERROR answers result_code FAIL err_code SYSTEMERROR
       (signed, nothing booked), WXP_FAKE_BOOKED_ERROR the same after booking,
       WXP_FAKE_DROP fails the transport before anything is read. The header
       faults do not apply: APIv2 answers have no Wechatpay-* headers.

   FAULTS (bits for wxp_fake_fault; they also apply to the next callback)
       WXP_FAKE_FLIP_BODY      flip one bit of the body after signing
       WXP_FAKE_BAD_TIMESTAMP  send timestamp + 1 (signature over the real one)
       WXP_FAKE_BAD_NONCE      send a different nonce than the one signed
       WXP_FAKE_UNKNOWN_SERIAL send a Wechatpay-Serial no key store holds
       WXP_FAKE_AGED           timestamp = now - seconds, validly signed
                               (set it with wxp_fake_fault_age)
       WXP_FAKE_SIGNTEST       signature starts "WECHATPAY/SIGNTEST/" (the probe)
       WXP_FAKE_UNSIGNED       no Wechatpay-* headers
       WXP_FAKE_LOST_ANSWER    process the request (a refund is booked), then
                               fail the transport: the client never hears
       WXP_FAKE_SYSTEM_ERROR   500 SYSTEM_ERROR without processing
       WXP_FAKE_DROP           fail the transport, nothing processed: the
                               request never reached the server
       WXP_FAKE_BOOKED_ERROR   process the request, then answer as
                               WXP_FAKE_SYSTEM_ERROR (what was booked stays)
       WXP_FAKE_RECALL         APIv2 reverse: result SUCCESS, recall Y, nothing
                               reversed (WeChat Pay's "call reverse again")
       WXP_FAKE_ACCEPTED       subsidy pay or return: booked, answered ACCEPTED
                               (see the subsidy routes)
       Callbacks ignore the last six, and never take faults scoped to a path
       with wxp_fake_fault_on.

   SCRIPTED REFUSALS (wxp_fake_fail_with(f, path, code, times); either name)
       code                   APIv3                      APIv2 (err_code)
       SYSTEM_ERROR           500 SYSTEM_ERROR           SYSTEMERROR
       FREQUENCY_LIMITED      429 FREQUENCY_LIMITED      FREQUENCY_LIMITED
       USER_ACCOUNT_ABNORMAL  403 USER_ACCOUNT_ABNORMAL  USER_ACCOUNT_ABNORMAL
       MCH_NOT_EXISTS         404 MCH_NOT_EXISTS         MCHID_NOT_EXIST
       NO_AUTH                403 NO_AUTH                NOAUTH
       SIGN_ERROR             401 SIGN_ERROR             return_code FAIL 签名错误
       PARAM_ERROR            400 PARAM_ERROR            PARAM_ERROR
       INVALID_REQUEST        400 INVALID_REQUEST        INVALID_REQUEST
       NOT_ENOUGH             403 NOT_ENOUGH             NOTENOUGH
       RESOURCE_NOT_EXISTS    404 RESOURCE_NOT_EXISTS    ORDERNOTEXIST
       TRADE_OVERDUE          400 INVALID_REQUEST        TRADE_OVERDUE
       BIZERR_NEED_RETRY      500 SYSTEM_ERROR           BIZERR_NEED_RETRY
       INVALID_REQ_TOO_MUCH   429 FREQUENCY_LIMITED      INVALID_REQ_TOO_MUCH
       ERROR                  400 INVALID_REQUEST        ERROR
       ORDER_NOT_READY        400 INVALID_REQUEST        ORDER_NOT_READY
       INVALID_TRANSACTIONID  400 PARAM_ERROR            INVALID_TRANSACTIONID
       REFUNDNOTEXIST         404 RESOURCE_NOT_EXISTS    REFUNDNOTEXIST
       APPID_NOT_EXIST        400 PARAM_ERROR            APPID_NOT_EXIST
       XML_FORMAT_ERROR       400 PARAM_ERROR            return_code FAIL XML格式错误
       CERT_ERROR             401 SIGN_ERROR             CERT_ERROR
       APIv3's statuses and codes are those of the refund page's error table;
       a code only APIv2 has answers APIv3 with the APIv3 code of its kind.

   BUILD OPTIONS (define before including; each has a default)
       WXP_FAKE_MAX_ORDERS    16   orders in the book
       WXP_FAKE_MAX_REFUNDS   64   refunds in the book (all orders)
       WXP_FAKE_REFUND_LIMIT  50   refunds WeChat Pay allows per order
       WXP_FAKE_MAX_FROM      4    amount.from[] entries kept per refund
       WXP_FAKE_ORDER_COUPONS 4    coupons the payer used per order
       WXP_FAKE_MAX_COUPONS   16   merchant coupons (wxp_fake_add_coupon)
       WXP_FAKE_MAX_COUPON_RETURNS 16  coupon returns kept
       WXP_FAKE_MAX_SUBSIDIES 16   subsidy payments, and as many returns
       WXP_FAKE_DESC_MAX      256  bytes of a subsidy description kept (longer:
                                   400 PARAM_ERROR naming this option)
       WXP_FAKE_MAX_RECORDS   16   requests kept (a ring: the latest are kept)
       WXP_FAKE_MAX_HEADERS   8    headers kept per request
       WXP_FAKE_HEADER_MAX    ...  bytes kept per header value (an Authorization
                                   of a WXP_MAX_RSA_BITS key fits)
       WXP_FAKE_PATH_MAX      512  bytes kept of a request path
       WXP_FAKE_BODY_MAX      4096 largest request body parsed and kept
       WXP_FAKE_ANSWER_MAX    16384 largest answer built (>= WXP_FAKE_BODY_MAX)
       WXP_FAKE_JSON_TOKENS   256  JSON tokens of a request body
       WXP_FAKE_V2_PARAMS     64   parameters of an APIv2 request
       WXP_FAKE_V2_FIELDS     320  fields of an APIv2 answer
       WXP_FAKE_V2_POOL       8192 bytes of an APIv2 answer's generated keys/values
       WXP_FAKE_V2_PAGE       10   refunds per APIv2 refundquery answer
       WXP_FAKE_MAX_CUSTOMERS 8    barcode-payment customers
       WXP_FAKE_MAX_BILLS     4    trade bills (wxp_fake_add_bill)
       WXP_FAKE_MAX_APPS      4    entries of config.appids, sub_mchids, sub_appids
       WXP_FAKE_PASSWORD_S    30   seconds an APIv3 code-pay customer types the
                                   password before giving up (PAYERROR)
       WXP_FAKE_MAX_SCRIPT    8    queued canned answers
       WXP_FAKE_SCRIPT_BYTES  8192 bytes of queued bodies and headers
       WXP_FAKE_SCRIPT_HEADERS 4   extra headers per canned answer
       WXP_FAKE_API           linkage (default WXP_API; static under WECHATPAY_STATIC)
       An answer that does not fit fails the transport (errbuf names the option).

   MEMORY
       sizeof(wxp_fake) is about 370 KiB with the defaults (the request records
       are about 225 KiB of it): make it static, or shrink WXP_FAKE_MAX_RECORDS.
       It must not move while in use, and the strings and keys config points at
       must outlive it. Views the fake hands out (records, callback headers)
       stay valid until the call that overwrites them, said per function.
*/
#ifndef WECHATPAY_FAKE_H
#define WECHATPAY_FAKE_H

#include "wechatpay.h"

/* Linkage. Under WECHATPAY_STATIC the functions are static and marked unused,
   so a test that calls only some of them still builds with -Werror. */
#ifndef WXP_FAKE_API
#if defined(WECHATPAY_STATIC) && (defined(__GNUC__) || defined(__clang__))
#define WXP_FAKE_API static __attribute__((unused))
#else
#define WXP_FAKE_API WXP_API
#endif
#endif
#ifndef WXP_FAKE_MAX_ORDERS
#define WXP_FAKE_MAX_ORDERS 16
#endif
#ifndef WXP_FAKE_MAX_REFUNDS
#define WXP_FAKE_MAX_REFUNDS 64
#endif
#ifndef WXP_FAKE_REFUND_LIMIT
#define WXP_FAKE_REFUND_LIMIT 50
#endif
#ifndef WXP_FAKE_MAX_FROM
#define WXP_FAKE_MAX_FROM 4
#endif
#ifndef WXP_FAKE_MAX_RECORDS
#define WXP_FAKE_MAX_RECORDS 16
#endif
#ifndef WXP_FAKE_MAX_HEADERS
#define WXP_FAKE_MAX_HEADERS 8
#endif
#ifndef WXP_FAKE_HEADER_MAX
#define WXP_FAKE_HEADER_MAX (256 + WXP_SIG_B64_MAX + 2 * WXP_SERIAL_MAX)
#endif
#ifndef WXP_FAKE_PATH_MAX
#define WXP_FAKE_PATH_MAX 512
#endif
#ifndef WXP_FAKE_BODY_MAX
#define WXP_FAKE_BODY_MAX 4096
#endif
#ifndef WXP_FAKE_JSON_TOKENS
#define WXP_FAKE_JSON_TOKENS 256
#endif
#ifndef WXP_FAKE_MAX_SCRIPT
#define WXP_FAKE_MAX_SCRIPT 8
#endif
#ifndef WXP_FAKE_SCRIPT_BYTES
#define WXP_FAKE_SCRIPT_BYTES 8192
#endif
#ifndef WXP_FAKE_SCRIPT_HEADERS
#define WXP_FAKE_SCRIPT_HEADERS 4
#endif
#ifndef WXP_FAKE_ANSWER_MAX
#define WXP_FAKE_ANSWER_MAX 16384
#endif
#if WXP_FAKE_ANSWER_MAX < WXP_FAKE_BODY_MAX
#error "WXP_FAKE_ANSWER_MAX must be at least WXP_FAKE_BODY_MAX (canned bodies are sent from it)"
#endif
#ifndef WXP_FAKE_ORDER_COUPONS
#define WXP_FAKE_ORDER_COUPONS 4
#endif
#ifndef WXP_FAKE_MAX_COUPONS
#define WXP_FAKE_MAX_COUPONS 16
#endif
#ifndef WXP_FAKE_MAX_COUPON_RETURNS
#define WXP_FAKE_MAX_COUPON_RETURNS 16
#endif
#ifndef WXP_FAKE_MAX_SUBSIDIES
#define WXP_FAKE_MAX_SUBSIDIES 16
#endif
#ifndef WXP_FAKE_DESC_MAX
#define WXP_FAKE_DESC_MAX 256
#endif
#ifndef WXP_FAKE_V2_PARAMS
#define WXP_FAKE_V2_PARAMS 64
#endif
#ifndef WXP_FAKE_V2_FIELDS
#define WXP_FAKE_V2_FIELDS 320
#endif
#ifndef WXP_FAKE_V2_POOL
#define WXP_FAKE_V2_POOL 8192
#endif
#ifndef WXP_FAKE_V2_PAGE
#define WXP_FAKE_V2_PAGE 10
#endif
#ifndef WXP_FAKE_MAX_CUSTOMERS
#define WXP_FAKE_MAX_CUSTOMERS 8
#endif
#ifndef WXP_FAKE_MAX_BILLS
#define WXP_FAKE_MAX_BILLS 4
#endif
#ifndef WXP_FAKE_MAX_APPS
#define WXP_FAKE_MAX_APPS 4
#endif
#ifndef WXP_FAKE_PASSWORD_S
#define WXP_FAKE_PASSWORD_S 30
#endif

/* Defaults of wxp_fake_config (WeChat Pay's documentation examples). */
#define WXP_FAKE_MCHID           "1900009191"
#define WXP_FAKE_APPID           "wxd678efh567hg6787"
#define WXP_FAKE_PLATFORM_SERIAL "PUB_KEY_ID_0119000091912025010100000000000001"
#define WXP_FAKE_OPENID          "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"

#ifdef __cplusplus
extern "C" {
#endif

/* Faults for the next answer(s), and flags of wxp_fake_push_raw. */
enum {
    WXP_FAKE_FLIP_BODY      = 1 << 0,
    WXP_FAKE_BAD_TIMESTAMP  = 1 << 1,
    WXP_FAKE_BAD_NONCE      = 1 << 2,
    WXP_FAKE_UNKNOWN_SERIAL = 1 << 3,
    WXP_FAKE_AGED           = 1 << 4,
    WXP_FAKE_SIGNTEST       = 1 << 5,
    WXP_FAKE_UNSIGNED       = 1 << 6,   /* also a push_raw flag */
    WXP_FAKE_LOST_ANSWER    = 1 << 7,
    WXP_FAKE_SYSTEM_ERROR   = 1 << 8,
    WXP_FAKE_BARE           = 1 << 9,   /* push_raw: no Request-ID, no Content-Type */
    WXP_FAKE_DROP           = 1 << 10,  /* the request never reaches the server */
    WXP_FAKE_BOOKED_ERROR   = 1 << 11,  /* processed, then a system error answer */
    WXP_FAKE_RECALL         = 1 << 12,  /* APIv2 reverse: recall Y, nothing done */
    WXP_FAKE_ACCEPTED       = 1 << 13   /* a subsidy pay or return: booked, answered
                                           as still being processed (ACCEPTED) */
};

/* What a barcode-payment customer does when the terminal scans the code. */
enum {
    WXP_FAKE_PAY_NOW = 0,       /* pays at once: micropay answers SUCCESS */
    WXP_FAKE_PAY_AFTER_POLLS,   /* types a password: USERPAYING until the
                                   polls-th orderquery, which sees the payment */
    WXP_FAKE_NO_MONEY,          /* NOTENOUGH, whatever the balance */
    WXP_FAKE_NEVER_CONFIRMS     /* USERPAYING until the order is reversed */
};

/* Bits of wxp_fake_record.truncated: which fields were cut to fit. */
enum {
    WXP_FAKE_TRUNC_METHOD  = 1 << 0,
    WXP_FAKE_TRUNC_HOST    = 1 << 1,
    WXP_FAKE_TRUNC_PATH    = 1 << 2,
    WXP_FAKE_TRUNC_HEADER  = 1 << 3,    /* a header name or value */
    WXP_FAKE_TRUNC_HEADERS = 1 << 4,    /* more than WXP_FAKE_MAX_HEADERS headers */
    WXP_FAKE_TRUNC_BODY    = 1 << 5
};

/* Zero-initialise, then set what you need: every 0 means "the default". */
typedef struct wxp_fake_config {
    const char              *mchid;           /* 0 -> WXP_FAKE_MCHID; always checked */
    const char              *appid;           /* 0 -> WXP_FAKE_APPID (transactions) */
    const char              *merchant_serial; /* 0 -> any serial_no is accepted */
    const wxp_pubkey        *merchant_key;    /* 0 -> request signatures not checked */
    const wxp_signer_class **platform_signer; /* 0 -> answers go out unsigned */
    const char              *platform_serial; /* 0 -> WXP_FAKE_PLATFORM_SERIAL */
    wxp_clock                clock;           /* 0 -> time() (required with WXP_NO_TIME) */
    wxp_random               random;          /* 0 -> a deterministic counter */
    unsigned                 max_skew_s;      /* 0 -> 300 */
    wxp_str                  apiv2_key;       /* APIv2 sign key; empty -> every APIv2
                                                 request gets return_code FAIL */
    int                      require_client_cert; /* 1: a /secapi/ request without
                                                 req->client_cert fails in the transport */
    /* APIv3 payments (order placement, code-pay) */
    const char              *appids[WXP_FAKE_MAX_APPS]; /* more AppIDs bound to mchid
                                                 (an App's, a mini program's); orders
                                                 accept appid and these */
    const char              *sub_mchids[WXP_FAKE_MAX_APPS]; /* a service provider's
                                                 sub-merchants (mchid is sp_mchid, appid
                                                 sp_appid); 0 ends the list */
    const char              *sub_appids[WXP_FAKE_MAX_APPS]; /* the AppID bound to
                                                 sub_mchids[i]; 0: none */
    wxp_str                  apiv3_key;       /* 32 bytes: GET /v3/certificates */
    wxp_str                  platform_cert_pem; /* the certificate of platform_signer's
                                                 key, served by GET /v3/certificates
                                                 (signed under its serial); empty: 404 */
    unsigned                 refund_fail_qps; /* WeChat Pay's limit on failing refund
                                                 applications per second (its pages say 6):
                                                 past it refunds are refused for 60 s.
                                                 0: not enforced (tests that pin the clock
                                                 fail many requests in one "second") */
} wxp_fake_config;

/* One request as the fake received it. Strings are NUL-terminated copies. */
typedef struct wxp_fake_header {
    char name[64];
    char value[WXP_FAKE_HEADER_MAX + 1];
} wxp_fake_header;

typedef struct wxp_fake_record {
    char            method[16];
    char            host[128];
    char            path[WXP_FAKE_PATH_MAX + 1];       /* with the query */
    wxp_fake_header headers[WXP_FAKE_MAX_HEADERS];
    size_t          header_count;                      /* headers kept */
    char            body[WXP_FAKE_BODY_MAX + 1];
    size_t          body_len;                          /* bytes kept */
    size_t          body_size;                         /* bytes sent */
    unsigned        truncated;                         /* WXP_FAKE_TRUNC_* bits */
    unsigned        timeout_ms;
    int             client_cert;                       /* req->client_cert was set */
    /* what the fake did with it */
    int             status;      /* HTTP status answered; 0 if the transport failed */
    char            code[32];    /* code of a simulated error answer, else "" */
    char            message[256];/* its message (why a signature was refused) */
    unsigned        faults;      /* WXP_FAKE_* faults applied */
    int             scripted;    /* 1: a canned answer or failure was used */
} wxp_fake_record;

/* The order book, read-only for tests. */
typedef struct wxp_fake_paid_coupon {   /* a coupon the payer used on an order */
    char      coupon_id[33];
    char      type[8];          /* CASH (pre-funded) or NO_CASH (merchant-funded) */
    long long fee;              /* fen of the order it paid */
    long long refunded;         /* fen of it given back by refunds */
} wxp_fake_paid_coupon;

typedef struct wxp_fake_order {
    char      out_trade_no[33];
    char      transaction_id[33];   /* "" until paid (kept once REVOKED) */
    char      trade_state[12];  /* SUCCESS (paid; queried as REFUND once refunded),
                                   NOTPAY, CLOSED; barcode payments also
                                   USERPAYING, PAYERROR, REVOKED */
    long long total;            /* fen */
    long long refunded;         /* fen, sum of booked refunds */
    unsigned  refund_count;
    long long paid_at;          /* the clock when paid: success_time (0: unpaid) */
    size_t    coupon_count;     /* wxp_fake_order_coupon */
    wxp_fake_paid_coupon coupons[WXP_FAKE_ORDER_COUPONS];
    /* barcode payment (POST /pay/micropay) */
    char      trade_type[12];   /* as placed (JSAPI APP MWEB NATIVE), MICROPAY, or ""
                                   for the test's orders (answered NATIVE) */
    char      auth_code[19];    /* the payment code of the last micropay */
    long long created_at;       /* the clock when booked */
    long long reversed;         /* fen a reverse gave back to the payer */
    unsigned  queries;          /* orderqueries (APIv2) and queries (APIv3) answered */
    unsigned  reverses;         /* reverses answered (APIv2: recall Y ones too) */
    unsigned  polls_left;       /* PAY_AFTER_POLLS: queries until the payment */
    size_t    customer;         /* 1 + index of its customer; 0: none */
    /* placed through POST /v3/pay/[partner/]transactions/{jsapi,app,h5,native},
       or APIv3 code-pay (trade_type JSAPI APP MWEB NATIVE MICROPAY) */
    char      prepay_id[40];    /* JSAPI, App: wx + yyyyMMddHHmmss + 20 */
    char      code_url[48];     /* Native: weixin://wxpay/bizpayurl?pr=... */
    char      h5_url[128];      /* H5: https://wx.tenpay.com/cgi-bin/mmpayweb-bin/... */
    char      appid[33];        /* appid (partner: sp_appid); "": config.appid */
    char      sub_mchid[33];    /* a partner order's sub-merchant; "": the merchant's own */
    char      sub_appid[33];    /* partner: sub_appid, when placed with one */
    char      openid[129];      /* the payer (partner: sp_openid): placed with (JSAPI)
                                   or who paid (wxp_fake_pay_order) */
    char      sub_openid[129];  /* partner: payer.sub_openid */
    char      attach[129];      /* answered once paid */
    char      notify_url[256];
    long long expire_at;        /* last second it can be paid (time_expire); 0: no limit */
    unsigned long long fields;  /* hash of the placement: the same fields again are a retry */
    int       v3;               /* booked by APIv3 code-pay (its customer gives up the
                                   password after WXP_FAKE_PASSWORD_S) */
} wxp_fake_order;

/* A barcode-payment customer (wxp_fake_add_customer), read-only for tests. */
typedef struct wxp_fake_customer {
    char      auth_code[19];    /* the 18-digit payment code the terminal scans */
    char      openid[33];       /* generated, the payer of their orders */
    int       behaviour;        /* WXP_FAKE_PAY_NOW ... */
    unsigned  polls;            /* PAY_AFTER_POLLS: the orderquery that pays */
    long long balance;          /* fen in the wallet now */
    unsigned  payments;         /* payments made (a reverse does not undo the count) */
    long long given_back;       /* fen returned by reverses and refunds */
} wxp_fake_customer;

typedef struct wxp_fake_from { char account[16]; long long amount; } wxp_fake_from;

typedef struct wxp_fake_refund {
    char          out_refund_no[65];
    char          refund_id[30];
    char          status[12];   /* PROCESSING SUCCESS CLOSED ABNORMAL */
    int           pinned;       /* status set by wxp_fake_set_refund_status */
    size_t        order;        /* index of its order in the book */
    long long     amount;       /* fen */
    long long     created_at, succeeded_at;
    size_t        from_count;
    wxp_fake_from from[WXP_FAKE_MAX_FROM];
    long long     coupon_refund[WXP_FAKE_ORDER_COUPONS]; /* per order coupon: its share */
    char          account[32];  /* APIv2 refund_account: REFUND_SOURCE_..._FUNDS */
} wxp_fake_refund;

/* A merchant coupon (busifavor), registered by the test. */
typedef struct wxp_fake_coupon {
    char     stock_id[21];
    char     coupon_code[129];
    char     state[12];         /* SENDED (in the user's wallet) or USED */
    unsigned returns;           /* returns booked (POST .../coupons/return) */
} wxp_fake_coupon;

/* What a callback carries besides the resource. */
typedef struct wxp_fake_event {
    const char *event_type;      /* required: "REFUND.SUCCESS", "TRANSACTION.SUCCESS" */
    const char *original_type;   /* 0 -> "transaction" */
    const char *associated_data; /* 0 -> original_type */
    const char *summary;         /* 0 -> "" */
    const char *id;              /* 0 -> "EV-" and a counter */
    wxp_str     plaintext;       /* the resource JSON to encrypt */
} wxp_fake_event;

/* PRIVATE: a queued canned answer; its bytes (body, then name/value pairs) sit
   packed in wxp__fake_priv.arena in queue order. */
typedef struct wxp__fake_entry {
    int      status;
    unsigned flags;
    size_t   body_len, size, header_count;
    size_t   name_len[WXP_FAKE_SCRIPT_HEADERS], value_len[WXP_FAKE_SCRIPT_HEADERS];
} wxp__fake_entry;

/* PRIVATE: a trade bill the test registered; its rows are made up when asked for. */
typedef struct wxp__fake_bill {
    char     date[11];          /* YYYY-MM-DD */
    unsigned rows;
} wxp__fake_bill;

/* PRIVATE: a coupon return, found again by its return_request_no. */
typedef struct wxp__fake_creturn {
    char      return_request_no[129];
    size_t    coupon;           /* index in coupons */
    long long returned_at;
} wxp__fake_creturn;

/* PRIVATE: a subsidy pay receipt or return receipt. */
typedef struct wxp__fake_subsidy {
    char      receipt_id[33];
    char      out_no[129];      /* out_subsidy_no / out_subsidy_return_no */
    char      stock_id[21], coupon_code[129], transaction_id[33], refund_id[33];
    char      payer[33], payee[33];
    char      description[WXP_FAKE_DESC_MAX + 1];
    long long amount, created_at;
    size_t    pay;              /* a return: index of the pay receipt it returns */
    int       accepted;         /* booked under WXP_FAKE_ACCEPTED: still processing,
                                   until it is looked at again (a query or a retry) */
} wxp__fake_subsidy;

typedef struct wxp__fake_priv {
    wxp_fake_config    cfg;
    wxp_fake_order     orders[WXP_FAKE_MAX_ORDERS];
    size_t             norders;
    wxp_fake_refund    refunds[WXP_FAKE_MAX_REFUNDS];
    size_t             nrefunds;
    unsigned long long seq, rng;
    wxp_fake_record    rec[WXP_FAKE_MAX_RECORDS];
    size_t             nreq;
    wxp__fake_entry    script[WXP_FAKE_MAX_SCRIPT];
    size_t             nscript, arena_used;
    char               arena[WXP_FAKE_SCRIPT_BYTES];
    unsigned           faults, fault_times;
    char               fault_path[128];  /* wxp_fake_fault_on; "" for any request */
    unsigned           cur_faults;       /* the faults of the request being answered */
    long long          age;
    /* wxp_fake_fail_with: 1 + the row of the scripted refusal (0: none), for how
       many requests, to which path ("" for any) */
    size_t             fail_row;
    unsigned           fail_times;
    char               fail_path[128];
    /* wxp_fake_set_balance: the merchant's refundable balance, fen */
    long long          balance;
    int                has_balance;      /* 0: unlimited */
    /* config.refund_fail_qps: failing refund applications counted in the second
       fail_second; refunds are refused until blocked_until */
    long long          fail_second, blocked_until;
    unsigned           fail_count;
    /* the answer being built */
    int                status;
    char               code[32], msg[256];
    char               in[WXP_FAKE_BODY_MAX + 1], out[WXP_FAKE_ANSWER_MAX + 1];
    size_t             out_len;
    char               scratch[WXP_FAKE_ANSWER_MAX + 160];
    int                v2;          /* the request is APIv2 (XML, no RSA headers) */
    /* marketing */
    wxp_fake_coupon    coupons[WXP_FAKE_MAX_COUPONS];
    size_t             ncoupons;
    wxp__fake_creturn  creturns[WXP_FAKE_MAX_COUPON_RETURNS];
    size_t             ncreturns;
    wxp__fake_subsidy  spay[WXP_FAKE_MAX_SUBSIDIES], sret[WXP_FAKE_MAX_SUBSIDIES];
    size_t             nspay, nsret;
    wxp_fake_customer  customers[WXP_FAKE_MAX_CUSTOMERS];
    size_t             ncustomers;
    wxp__fake_bill     bills[WXP_FAKE_MAX_BILLS];
    size_t             nbills;
    size_t             dl_bill;     /* the answer is bill dl_bill - 1's bytes; 0: not a bill */
    int                dl_kind;     /* its bill_type: 0 ALL, 1 SUCCESS, 2 REFUND */
#ifndef WXP_NO_V2
    /* APIv2: the parsed request, the answer's fields and their formatted bytes */
    wxp_kv             v2in[WXP_FAKE_V2_PARAMS];
    size_t             v2n;
    wxp_kv             v2out[WXP_FAKE_V2_FIELDS];
    size_t             v2nout, v2pool_used;
    int                v2full;      /* the answer did not fit: the transport fails */
    char               v2pool[WXP_FAKE_V2_POOL];
#endif
    wxp_json           doc;
    wxp_json_tok       tok[WXP_FAKE_JSON_TOKENS];
    char               ts[24], nonce[WXP_NONCE_LEN + 1], sig[WXP_SIG_B64_MAX + 1];
    char               reqid[40], serial[WXP_SERIAL_MAX];
    /* GET /v3/certificates: config.platform_cert_pem, loaded; the serial the
       answer being built is signed under (0: config.platform_serial) */
    wxp_pubkey         cert;
    int                have_cert;
    const char        *sign_serial;
    /* the last callback's headers (wxp_fake_notify views) */
    char               n_ts[24], n_nonce[WXP_NONCE_LEN + 1], n_sig[WXP_SIG_B64_MAX + 1];
    char               n_serial[WXP_SERIAL_MAX];
} wxp__fake_priv;

/* Caller-owned; must not move while in use. Touch only through the functions. */
typedef struct wxp_fake { wxp__fake_priv wxp__priv; } wxp_fake;

/* ---- setup ---------------------------------------------------------------- */

/* [out] f, [in] cfg (NULL: all defaults; copied, its strings and keys must
   outlive f). Clears the book, the queue and the records. WXP_E_ARG when a
   string is too long (mchid, an AppID > 32, a serial >= WXP_SERIAL_MAX), a
   sub_mchid is not digits, platform_cert_pem holds a key but no certificate,
   or, with WXP_NO_TIME, no clock is given; wxp_pubkey_load's error when
   platform_cert_pem does not load. */
WXP_FAKE_API WXP_NODISCARD wxp_err wxp_fake_init(wxp_fake *f, const wxp_fake_config *cfg);
/* {wxp_fake_transport, f}, for wxp_config.transport. */
WXP_FAKE_API wxp_transport wxp_fake_as_transport(wxp_fake *f);
/* A wxp_clock.fn returning *(const long long *)user: point the client's and the
   fake's clocks at one variable and move time by assigning it. */
WXP_FAKE_API long long wxp_fake_fixed_clock(void *user);

/* The transport (user = the wxp_fake *). Returns 0 with an answer, nonzero on a
   scripted failure, a lost answer, or when the fake cannot build or sign the
   answer (errbuf says which). */
WXP_FAKE_API int wxp_fake_transport(void *user, const wxp_http_request *req,
                                    wxp_http_response *res, char *errbuf,
                                    size_t errbuf_size);

/* ---- the book ----------------------------------------------------------------- */

/* A paid order of total_fen. [in] out_trade_no 1-32 bytes, unique;
   [in] transaction_id NULL for a generated 28-digit one. WXP_E_ARG on a bad or
   repeated argument, WXP_E_FULL past WXP_FAKE_MAX_ORDERS. */
WXP_FAKE_API WXP_NODISCARD wxp_err wxp_fake_add_order(wxp_fake *f, const char *out_trade_no,
                                                      const char *transaction_id,
                                                      long long total_fen);
/* NULL when absent. Valid until wxp_fake_init. */
WXP_FAKE_API const wxp_fake_order *wxp_fake_find_order(const wxp_fake *f,
                                                       const char *out_trade_no);
WXP_FAKE_API const wxp_fake_refund *wxp_fake_find_refund(const wxp_fake *f,
                                                         const char *out_refund_no);
WXP_FAKE_API size_t wxp_fake_refund_count(const wxp_fake *f);
/* Pins a refund's status ("SUCCESS" "CLOSED" "PROCESSING" "ABNORMAL"): queries
   then report it as is. WXP_E_NOTFOUND, WXP_E_ARG (another status). */
WXP_FAKE_API WXP_NODISCARD wxp_err wxp_fake_set_refund_status(wxp_fake *f,
                                                              const char *out_refund_no,
                                                              const char *status);
/* An order placed but not paid (trade_state NOTPAY, no transaction_id): it can
   be queried by out_trade_no and closed, not refunded. Errors as
   wxp_fake_add_order. */
WXP_FAKE_API WXP_NODISCARD wxp_err wxp_fake_add_order_unpaid(wxp_fake *f,
                                                             const char *out_trade_no,
                                                             long long total_fen);
/* Records that the payer used a coupon on an order: [in] coupon_id 1-32 bytes,
   [in] type "CASH" or "NO_CASH", fee_fen of the total. Refunds then give each
   coupon back its share (APIv2 coupon_refund_*, APIv3 promotion_detail), cash_fee
   and payer_total drop by it, settlement amounts by the NO_CASH ones. WXP_E_ARG
   (bad argument, coupons above the total, or the order already has refunds),
   WXP_E_NOTFOUND (no such order), WXP_E_FULL past WXP_FAKE_ORDER_COUPONS. */
WXP_FAKE_API WXP_NODISCARD wxp_err wxp_fake_order_coupon(wxp_fake *f, const char *out_trade_no,
                                                         const char *coupon_id,
                                                         const char *type, long long fee_fen);

/* ---- marketing: merchant coupons (busifavor) ---------------------------------- */

/* A merchant coupon: [in] stock_id 1-20 digits, [in] coupon_code 1-128 bytes,
   [in] state "SENDED" (in the wallet, unused) or "USED". WXP_E_ARG on a bad or
   repeated (stock_id, coupon_code), WXP_E_FULL past WXP_FAKE_MAX_COUPONS. */
WXP_FAKE_API WXP_NODISCARD wxp_err wxp_fake_add_coupon(wxp_fake *f, const char *stock_id,
                                                       const char *coupon_code,
                                                       const char *state);
/* NULL when absent. Valid until wxp_fake_init. */
WXP_FAKE_API const wxp_fake_coupon *wxp_fake_find_coupon(const wxp_fake *f,
                                                         const char *stock_id,
                                                         const char *coupon_code);
/* Sets a coupon's state ("SENDED" or "USED": the user spent it again).
   WXP_E_NOTFOUND, WXP_E_ARG. */
WXP_FAKE_API WXP_NODISCARD wxp_err wxp_fake_set_coupon_state(wxp_fake *f, const char *stock_id,
                                                             const char *coupon_code,
                                                             const char *state);

/* ---- barcode payment: the customers behind the codes ------------------------ */

/* A customer whose payment code is [in] auth_code (18 digits; one the client
   refuses, such as a 16 prefix, is allowed here), with behaviour
   WXP_FAKE_PAY_NOW, _PAY_AFTER_POLLS (polls: the orderquery that sees the
   payment, 0 counts as 1), _NO_MONEY or _NEVER_CONFIRMS, and balance_fen in
   the wallet (>= 0; a payment above it is NOTENOUGH). Codes are not single-use
   here. WXP_E_ARG on a bad or repeated argument, WXP_E_FULL past
   WXP_FAKE_MAX_CUSTOMERS. */
WXP_FAKE_API WXP_NODISCARD wxp_err wxp_fake_add_customer(wxp_fake *f, const char *auth_code,
                                                         int behaviour, unsigned polls,
                                                         long long balance_fen);
/* NULL when absent. Valid until wxp_fake_init. */
WXP_FAKE_API const wxp_fake_customer *wxp_fake_find_customer(const wxp_fake *f,
                                                             const char *auth_code);

/* ---- payments: the customer pays a placed order -------------------------------- */

/* The customer [in] openid (NULL: the payer the order was placed for, else
   WXP_FAKE_OPENID) pays the NOTPAY order out_trade_no in the WeChat app:
   trade_state SUCCESS, a new transaction_id, success_time the clock, the payer,
   bank_type OTHERS, trade_type as placed. A barcode customer
   (wxp_fake_add_customer) whose openid it is pays from the wallet; refunds
   and reverses go back there. wxp_fake_notify_transaction then builds the
   callback. Errors leave the order as it was: WXP_E_NOTFOUND (no such order),
   WXP_E_ARG (not NOTPAY: paid, closed, reversed; a code-pay order; a JSAPI
   order placed for another payer; an openid over 128 bytes), WXP_E_EXPIRED
   (past its time_expire, or 7 days after it was placed without one),
   WXP_E_RANGE (the customer's wallet is short: the payment fails). */
WXP_FAKE_API WXP_NODISCARD wxp_err wxp_fake_pay_order(wxp_fake *f, const char *out_trade_no,
                                                      const char *openid);

/* ---- bills ------------------------------------------------------------------ */

/* The trade bill of [in] bill_date ("YYYY-MM-DD") exists, with rows made-up
   trades (0 to 1000000; about 240 bytes each): GET /v3/bill/tradebill answers
   for that date (see the simulator). WXP_E_ARG on a bad date, a date already
   registered or too many rows, WXP_E_FULL past WXP_FAKE_MAX_BILLS. */
WXP_FAKE_API WXP_NODISCARD wxp_err wxp_fake_add_bill(wxp_fake *f, const char *bill_date,
                                                     unsigned rows);

/* ---- the script ------------------------------------------------------------- */

/* Queues a canned answer: status and [in] body (NUL-terminated, NULL = empty),
   signed when a platform signer is configured. The bytes are copied.
   WXP_E_FULL past WXP_FAKE_MAX_SCRIPT, WXP_E_NOSPACE past WXP_FAKE_SCRIPT_BYTES
   or a body over WXP_FAKE_BODY_MAX. */
WXP_FAKE_API WXP_NODISCARD wxp_err wxp_fake_push(wxp_fake *f, int status, const char *body);
/* The same with extra headers ([in] headers, NULL when header_count is 0; at most
   WXP_FAKE_SCRIPT_HEADERS), sent after the usual ones, and flags:
   WXP_FAKE_UNSIGNED (no Wechatpay-* headers), WXP_FAKE_BARE (no Request-ID nor
   Content-Type). Both flags send exactly your headers. */
WXP_FAKE_API WXP_NODISCARD wxp_err wxp_fake_push_raw(wxp_fake *f, int status,
                                                     const wxp_http_header *headers,
                                                     size_t header_count, wxp_str body,
                                                     unsigned flags);
/* Queues a transport failure; [in] reason goes to errbuf (NULL: a default). */
WXP_FAKE_API WXP_NODISCARD wxp_err wxp_fake_push_fail(wxp_fake *f, const char *reason);
/* Queued answers and failures not yet used. */
WXP_FAKE_API size_t wxp_fake_pending(const wxp_fake *f);
/* Drops the queue, the pending faults and the pending wxp_fake_fail_with. */
WXP_FAKE_API void wxp_fake_clear_script(wxp_fake *f);

/* ---- faults ----------------------------------------------------------------- */

/* Sets the faults (WXP_FAKE_* bits, replacing any pending) for the next answer
   or callback only. */
WXP_FAKE_API void wxp_fake_fault(wxp_fake *f, unsigned faults);
/* The same for the next `times` answers and callbacks. */
WXP_FAKE_API void wxp_fake_fault_times(wxp_fake *f, unsigned faults, unsigned times);
/* The same for the next `times` requests to [in] path only (without the query,
   e.g. "/secapi/pay/reverse"; NULL: any request, as wxp_fake_fault_times);
   other requests and callbacks leave them pending. A path of 128 bytes or
   more never matches. */
WXP_FAKE_API void wxp_fake_fault_on(wxp_fake *f, const char *path, unsigned faults,
                                    unsigned times);
/* Adds WXP_FAKE_AGED to the pending faults (at least for the next answer): the
   timestamp is `seconds` in the past (negative: the future), validly signed. */
WXP_FAKE_API void wxp_fake_fault_age(wxp_fake *f, long long seconds);
/* The next `times` requests to [in] path (without the query; NULL: any) are
   refused with WeChat Pay's error [in] code, without being processed (nothing
   is booked), in the request's API: APIv3 {"code","message"} with its HTTP
   status, APIv2 result_code FAIL with err_code (return_code FAIL for SIGNERROR
   and XML_FORMAT_ERROR). code is either spelling (NOT_ENOUGH or NOTENOUGH); a
   code that APIv3 does not list answers there as the APIv3 code of that case
   (TRADE_OVERDUE: 400 INVALID_REQUEST). The table is under "SCRIPTED
   REFUSALS" above. Replaces a pending one; times 0 (or wxp_fake_clear_script)
   drops it. WXP_E_ARG for a code not in the table. */
WXP_FAKE_API WXP_NODISCARD wxp_err wxp_fake_fail_with(wxp_fake *f, const char *path,
                                                      const char *code, unsigned times);
/* The merchant's refundable balance becomes fen (negative: unlimited, the
   default): each refund booked spends it, and one above it is refused as
   WeChat Pay refuses it (APIv3 403 NOT_ENOUGH, APIv2 NOTENOUGH). */
WXP_FAKE_API void wxp_fake_set_balance(wxp_fake *f, long long fen);

/* ---- records ---------------------------------------------------------------- */

/* Requests received since wxp_fake_init (including those no longer kept). */
WXP_FAKE_API size_t wxp_fake_request_count(const wxp_fake *f);
/* Request i (0 = the first); NULL if i is out of range or no longer kept (only
   the last WXP_FAKE_MAX_RECORDS are). Overwritten WXP_FAKE_MAX_RECORDS requests
   later. */
WXP_FAKE_API const wxp_fake_record *wxp_fake_record_at(const wxp_fake *f, size_t i);
/* The latest request, NULL before the first. */
WXP_FAKE_API const wxp_fake_record *wxp_fake_last(const wxp_fake *f);
/* The value of the first header named [in] name (case-insensitive), NULL when
   absent. [in] r may be NULL (then NULL). */
WXP_FAKE_API const char *wxp_fake_record_header(const wxp_fake_record *r, const char *name);

/* ---- callbacks ---------------------------------------------------------------- */

/* Builds a callback as WeChat Pay sends it into [out] body (cap bytes,
   NUL-terminated when room allows; *len = its length):
   {"id","create_time","resource_type":"encrypt-resource","event_type","summary",
    "resource":{"original_type","algorithm":"AEAD_AES_256_GCM","ciphertext",
    "associated_data","nonce"}}
   with ev->plaintext encrypted under the 32-byte apiv3_key and a 12-character
   nonce from the fake's random source, signed by the platform signer. [out] h
   gets views into f, valid until the next callback built by f. The pending
   faults apply (those about signatures and the body). Errors: WXP_E_ARG
   (no platform signer, no event_type), WXP_E_NOSPACE (res->needed), and those
   of wxp_aes_gcm_encrypt. [out] res may be NULL. */
WXP_FAKE_API WXP_NODISCARD wxp_err wxp_fake_notify(wxp_fake *f, wxp_str apiv3_key,
                                                   const wxp_fake_event *ev, char *body,
                                                   size_t cap, size_t *len,
                                                   wxp_notify_headers *h, wxp_result *res);
/* The refund callback for a booked refund: REFUND.SUCCESS, REFUND.ABNORMAL or
   REFUND.CLOSED by its status (an unpinned PROCESSING refund succeeds first;
   a pinned one is WXP_E_ARG), resource as in wxp_refund_notify. WXP_E_NOTFOUND
   for an unknown out_refund_no. */
WXP_FAKE_API WXP_NODISCARD wxp_err wxp_fake_notify_refund(wxp_fake *f, wxp_str apiv3_key,
                                                          const char *out_refund_no,
                                                          char *body, size_t cap,
                                                          size_t *len,
                                                          wxp_notify_headers *h,
                                                          wxp_result *res);

#ifndef WXP_NO_V2
/* The APIv2 refund callback (退款结果通知) of a booked refund, as WeChat Pay
   POSTs it to the notify_url: <xml> with return_code SUCCESS, appid, mch_id,
   nonce_str and req_info (unsigned; req_info is the <root> XML of
   transaction_id, out_trade_no, refund_id, out_refund_no, total_fee,
   settlement_total_fee, refund_fee, settlement_refund_fee, refund_status
   SUCCESS / CHANGE / REFUNDCLOSE, success_time "YYYY-MM-DD HH:MM:SS" (China
   time, when SUCCESS), refund_recv_accout, refund_account,
   refund_request_source API; AES-256-ECB, PKCS#7, key the lowercase hex MD5
   of config.apiv2_key; base64) into [out] body (cap bytes, NUL-terminated
   when room allows; *len its length). An unpinned PROCESSING refund succeeds
   first; a pinned one is WXP_E_ARG, as is a fake without apiv2_key;
   WXP_E_NOTFOUND for an unknown out_refund_no; WXP_E_NOSPACE when body is
   short. [out] res may be NULL. */
WXP_FAKE_API WXP_NODISCARD wxp_err wxp_fake_notify_refund_v2(wxp_fake *f, const char *out_refund_no,
                                                             char *body, size_t cap, size_t *len,
                                                             wxp_result *res);
#endif

/* The payment callback of a paid order (event_type TRANSACTION.SUCCESS,
   resource_type encrypt-resource, resource.original_type and associated_data
   "transaction", summary "payment succeeded" in Chinese), built and signed as
   wxp_fake_notify does: the resource is the transaction as a query answers it
   (the partner shape for a sub-merchant's order), trade_state SUCCESS.
   WXP_E_NOTFOUND for an unknown order, WXP_E_ARG for one without a payment
   (unpaid, reversed). */
WXP_FAKE_API WXP_NODISCARD wxp_err wxp_fake_notify_transaction(wxp_fake *f, wxp_str apiv3_key,
                                                               const char *out_trade_no,
                                                               char *body, size_t cap,
                                                               size_t *len,
                                                               wxp_notify_headers *h,
                                                               wxp_result *res);

#ifdef __cplusplus
}
#endif
#endif /* WECHATPAY_FAKE_H */

#if defined(WECHATPAY_FAKE_IMPLEMENTATION) && !defined(WECHATPAY_FAKE_IMPLEMENTATION_INCLUDED)
#define WECHATPAY_FAKE_IMPLEMENTATION_INCLUDED

#include <string.h>
#ifndef WXP_NO_TIME
#include <time.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Script entry flag (beside the public flags): a transport failure. */
#define WXP__FAKE_FAIL (1u << 16)
/* Faults that wxp_fake_notify applies (the others are about HTTP). */
#define WXP__FAKE_SIG_FAULTS (WXP_FAKE_FLIP_BODY | WXP_FAKE_BAD_TIMESTAMP |         \
    WXP_FAKE_BAD_NONCE | WXP_FAKE_UNKNOWN_SERIAL | WXP_FAKE_AGED | WXP_FAKE_SIGNTEST | \
    WXP_FAKE_UNSIGNED)

/* UTF-8 of the Chinese texts WeChat Pay sends, spelled out so the source stays ASCII. */
/* "user's WeChat change" (the refund destination) */
#define WXP__FAKE_ZH_CHANGE \
    "\xe6\x94\xaf\xe4\xbb\x98\xe7\x94\xa8\xe6\x88\xb7\xe9\x9b\xb6\xe9\x92\xb1"
#define WXP__FAKE_ZH_PAID     "\xe6\x94\xaf\xe4\xbb\x98\xe6\x88\x90\xe5\x8a\x9f" /* paid */
#define WXP__FAKE_ZH_REFUND   "\xe8\xbd\xac\xe5\x85\xa5\xe9\x80\x80\xe6\xac\xbe" /* in refund */
#define WXP__FAKE_ZH_R_OK     "\xe9\x80\x80\xe6\xac\xbe\xe6\x88\x90\xe5\x8a\x9f" /* refunded */
#define WXP__FAKE_ZH_R_ABN    "\xe9\x80\x80\xe6\xac\xbe\xe5\xbc\x82\xe5\xb8\xb8" /* abnormal */
#define WXP__FAKE_ZH_NOTPAY   "\xe6\x9c\xaa\xe6\x94\xaf\xe4\xbb\x98"             /* not paid */
#define WXP__FAKE_ZH_CLOSED   "\xe5\xb7\xb2\xe5\x85\xb3\xe9\x97\xad"             /* closed */
#define WXP__FAKE_ZH_R_CLOSED "\xe9\x80\x80\xe6\xac\xbe\xe5\x85\xb3\xe9\x97\xad" /* closed */
#define WXP__FAKE_ZH_REVOKED  "\xe5\xb7\xb2\xe6\x92\xa4\xe9\x94\x80"             /* reversed */
#define WXP__FAKE_ZH_PAYERROR "\xe6\x94\xaf\xe4\xbb\x98\xe5\xa4\xb1\xe8\xb4\xa5" /* failed */
#define WXP__FAKE_ZH_USERPAYING \
    "\xe7\x94\xa8\xe6\x88\xb7\xe6\x94\xaf\xe4\xbb\x98\xe4\xb8\xad"              /* paying */

/* WeChat Pay's words: "the order is paid", "the order is reversed", "the order is
   closed", "duplicate merchant order number", "the user must enter the payment
   password", "insufficient balance", "scan a WeChat Pay payment code", "the
   order cannot be reversed". */
#define WXP__FAKE_ZH_ORDERPAID "\xe8\xae\xa2\xe5\x8d\x95\xe5\xb7\xb2\xe6\x94\xaf\xe4\xbb\x98"
#define WXP__FAKE_ZH_REVERSED  "\xe8\xae\xa2\xe5\x8d\x95\xe5\xb7\xb2\xe6\x92\xa4\xe9\x94\x80"
#define WXP__FAKE_ZH_O_CLOSED  "\xe8\xae\xa2\xe5\x8d\x95\xe5\xb7\xb2\xe5\x85\xb3\xe9\x97\xad"
#define WXP__FAKE_ZH_DUPNO     "\xe5\x95\x86\xe6\x88\xb7\xe8\xae\xa2\xe5\x8d\x95\xe5\x8f\xb7" \
                               "\xe9\x87\x8d\xe5\xa4\x8d"
#define WXP__FAKE_ZH_PASSWORD  "\xe9\x9c\x80\xe8\xa6\x81\xe7\x94\xa8\xe6\x88\xb7\xe8\xbe\x93" \
                               "\xe5\x85\xa5\xe6\x94\xaf\xe4\xbb\x98\xe5\xaf\x86\xe7\xa0\x81"
#define WXP__FAKE_ZH_NOTENOUGH "\xe4\xbd\x99\xe9\xa2\x9d\xe4\xb8\x8d\xe8\xb6\xb3"
#define WXP__FAKE_ZH_BADCODE   "\xe8\xaf\xb7\xe6\x89\xab\xe6\x8f\x8f\xe5\xbe\xae\xe4\xbf\xa1" \
    "\xe6\x94\xaf\xe4\xbb\x98\xe8\xa2\xab\xe6\x89\xab\xe6\x9d\xa1\xe7\xa0\x81/\xe4\xba\x8c" \
    "\xe7\xbb\xb4\xe7\xa0\x81"
#define WXP__FAKE_ZH_NOREVERSE "\xe8\xae\xa2\xe5\x8d\x95\xe6\x97\xa0\xe6\xb3\x95\xe6\x92\xa4" \
                               "\xe9\x94\x80"

/* APIv3 payments: "201 duplicate merchant order number" (the same number with
   other fields), "the order is closed", "the merchant number does not exist",
   "AppID and mch_id do not match", "the user's balance is short: top up or
   pay with another card", "paying: the order cannot be reversed". */
#define WXP__FAKE_ZH_201      "201 \xe5\x95\x86\xe6\x88\xb7\xe8\xae\xa2\xe5\x8d\x95\xe5\x8f\xb7" \
                              "\xe9\x87\x8d\xe5\xa4\x8d"
#define WXP__FAKE_ZH_NOMCH    "\xe5\x95\x86\xe6\x88\xb7\xe5\x8f\xb7\xe4\xb8\x8d\xe5\xad\x98\xe5\x9c\xa8"
#define WXP__FAKE_ZH_NOMATCH3 "AppID\xe5\x92\x8c" "mch_id\xe4\xb8\x8d\xe5\x8c\xb9\xe9\x85\x8d"
#define WXP__FAKE_ZH_SHORT \
    "\xe7\x94\xa8\xe6\x88\xb7\xe8\xb4\xa6\xe5\x8f\xb7\xe4\xbd\x99\xe9\xa2\x9d" \
    "\xe4\xb8\x8d\xe8\xb6\xb3\xef\xbc\x8c\xe8\xaf\xb7\xe7\x94\xa8\xe6\x88\xb7" \
    "\xe5\x85\x85\xe5\x80\xbc\xe6\x88\x96\xe6\x9b\xb4\xe6\x8d\xa2\xe6\x94\xaf" \
    "\xe4\xbb\x98\xe5\x8d\xa1\xe5\x90\x8e\xe5\x86\x8d\xe6\x94\xaf\xe4\xbb\x98"
#define WXP__FAKE_ZH_NOREVOKE "\xe6\xad\xa3\xe5\x9c\xa8\xe6\x94\xaf\xe4\xbb\x98\xe4\xb8\xad" \
                              "\xe4\xb8\x8d\xe8\x83\xbd\xe5\x8f\x91\xe8\xb5\xb7\xe6\x92\xa4\xe9\x94\x80"

/* The refund rules' words (APIv2 captures: "the order is refunded in full",
   "refund_fee above what can be refunded"; APIv3 403 NOT_ENOUGH: "the basic
   account's balance is short, top it up and apply again"). */
#define WXP__FAKE_ZH_ALLBACK  "\xe8\xae\xa2\xe5\x8d\x95\xe5\xb7\xb2\xe5\x85\xa8\xe9\xa2\x9d" \
                              "\xe9\x80\x80\xe6\xac\xbe"
#define WXP__FAKE_ZH_TOOMUCH  "refund_fee\xe5\xa4\xa7\xe4\xba\x8e\xe5\x8f\xaf\xe9\x80\x80" \
                              "\xe9\x87\x91\xe9\xa2\x9d"
#define WXP__FAKE_ZH_BASIC_SHORT                                                                   \
    "\xe5\x9f\xba\xe6\x9c\xac\xe8\xb4\xa6\xe6\x88\xb7\xe4\xbd\x99\xe9\xa2\x9d\xe4\xb8\x8d\xe8\xb6\xb3\xef\xbc\x8c"    \
    "\xe8\xaf\xb7\xe5\x85\x85\xe5\x80\xbc\xe5\x90\x8e\xe9\x87\x8d\xe6\x96\xb0\xe5\x8f\x91\xe8\xb5\xb7"

/* ==== >>fake:strings ======================================================= */

/* Copies n bytes into dst (cap >= 1 bytes with the NUL); returns 1 if cut. */
static int wxp__fake_copy(char *dst, size_t cap, const char *src, size_t n)
{
    int cut = 0;
    if (n >= cap) { n = cap - 1; cut = 1; }
    if (n) memcpy(dst, src, n);
    dst[n] = 0;
    return cut;
}

/* Copies a view into dst (cut to cap - 1 bytes), NUL-terminated. */
static void wxp__fake_str_field(char *dst, size_t cap, wxp_str v)
{
    (void)wxp__fake_copy(dst, cap, v.ptr, v.len);
}

/* Appends n bytes at dst[len], never past cap - 1, and keeps dst NUL-terminated.
   Returns the new length. */
static size_t wxp__fake_cat(char *dst, size_t cap, size_t len, const char *s, size_t n)
{
    if (len >= cap) return len;
    if (n > cap - 1 - len) n = cap - 1 - len;
    if (n) memcpy(dst + len, s, n);
    dst[len + n] = 0;
    return len + n;
}

static size_t wxp__fake_cats(char *dst, size_t cap, size_t len, const char *s)
{
    return wxp__fake_cat(dst, cap, len, s, strlen(s));
}

/* Appends untrusted bytes (request data) to a message: printable ASCII only,
   so the JSON writer never sees invalid UTF-8; at most 80 of them. */
static size_t wxp__fake_cat_safe(char *dst, size_t cap, size_t len, const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n && i < 80; i++) {
        char c = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
        len = wxp__fake_cat(dst, cap, len, &c, 1);
    }
    if (n > 80) len = wxp__fake_cats(dst, cap, len, "...");
    return len;
}

/* Decimal of v (any sign) into out (>= 21 bytes), NUL-terminated; returns length. */
static size_t wxp__fake_dec(char *out, long long v)
{
    char tmp[24];
    size_t n = 0, i;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do { tmp[n++] = (char)('0' + (int)(u % 10)); u /= 10; } while (u);
    i = 0;
    if (v < 0) out[i++] = '-';
    while (n) out[i++] = tmp[--n];
    out[i] = 0;
    return i;
}

static size_t wxp__fake_cat_int(char *dst, size_t cap, size_t len, long long v)
{
    char tmp[24];
    size_t n = wxp__fake_dec(tmp, v);
    return wxp__fake_cat(dst, cap, len, tmp, n);
}

/* Exactly `width` digits of v (the low ones), no NUL. */
static void wxp__fake_digits(char *out, unsigned long long v, int width)
{
    while (width-- > 0) { out[width] = (char)('0' + (int)(v % 10)); v /= 10; }
}

static void wxp__fake_hex(char *out, unsigned long long v, int width)
{
    while (width-- > 0) { out[width] = "0123456789ABCDEF"[v & 15]; v >>= 4; }
}

static int wxp__fake_lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

/* a[0..an) equals the C string b, ignoring ASCII case. */
static int wxp__fake_ieq(const char *a, size_t an, const char *b)
{
    size_t i;
    if (strlen(b) != an) return 0;
    for (i = 0; i < an; i++)
        if (wxp__fake_lower((unsigned char)a[i]) != wxp__fake_lower((unsigned char)b[i]))
            return 0;
    return 1;
}

/* s equals the C string b exactly. */
static int wxp__fake_eq(wxp_str s, const char *b)
{
    size_t n = strlen(b);
    return s.len == n && (n == 0 || memcmp(s.ptr, b, n) == 0);
}

static int wxp__fake_prefix(wxp_str s, const char *pre)
{
    size_t n = strlen(pre);
    return s.len >= n && memcmp(s.ptr, pre, n) == 0;
}

static int wxp__fake_hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = wxp__fake_lower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Percent-decodes s into out (cap bytes with the NUL). 0 on a bad escape, a
   decoded NUL or no room. */
static int wxp__fake_unpct(const char *s, size_t n, char *out, size_t cap)
{
    size_t i, o = 0;
    for (i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            int hi, lo;
            if (i + 2 >= n) return 0;
            hi = wxp__fake_hexval((unsigned char)s[i + 1]);
            lo = wxp__fake_hexval((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0) return 0;
            c = hi * 16 + lo;
            i += 2;
        }
        if (c == 0 || o + 1 >= cap) return 0;
        out[o++] = (char)c;
    }
    out[o] = 0;
    return 1;
}

/* WeChat Pay's merchant order and refund numbers: [0-9A-Za-z_-|*@], 1..max. */
static int wxp__fake_outno_ok(wxp_str s, size_t max)
{
    size_t i;
    if (s.len == 0 || s.len > max) return 0;
    for (i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              c == '_' || c == '-' || c == '|' || c == '*' || c == '@'))
            return 0;
    }
    return 1;
}

/* min..max decimal digits. */
static int wxp__fake_digits_ok(wxp_str s, size_t min, size_t max)
{
    size_t i;
    if (s.len < min || s.len > max) return 0;
    for (i = 0; i < s.len; i++)
        if (s.ptr[i] < '0' || s.ptr[i] > '9') return 0;
    return 1;
}

/* Characters (not bytes) of valid UTF-8: the JSON reader already checked it. */
static size_t wxp__fake_utf8_count(wxp_str s)
{
    size_t i, n = 0;
    for (i = 0; i < s.len; i++)
        if (((unsigned char)s.ptr[i] & 0xC0) != 0x80) n++;
    return n;
}

/* ==== >>fake:clock-random =================================================== */

static long long wxp__fake_now(const wxp_fake *f)
{
    if (f->wxp__priv.cfg.clock.fn) return f->wxp__priv.cfg.clock.fn(f->wxp__priv.cfg.clock.user);
#ifndef WXP_NO_TIME
    return (long long)time(NULL);
#else
    return 0;
#endif
}

/* The caller's random source, else splitmix64 over a counter: deterministic, so
   two runs of a test see the same nonces. */
static int wxp__fake_rand(wxp_fake *f, void *buf, size_t n)
{
    unsigned char *p = (unsigned char *)buf;
    if (f->wxp__priv.cfg.random.fn)
        return f->wxp__priv.cfg.random.fn(f->wxp__priv.cfg.random.user, buf, n);
    while (n) {
        unsigned long long z = (f->wxp__priv.rng += 0x9E3779B97F4A7C15ULL);
        int k;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        z ^= z >> 31;
        for (k = 0; k < 8 && n; k++, n--) { *p++ = (unsigned char)z; z >>= 8; }
    }
    return 0;
}

/* n random characters of [0-9A-Za-z] and a NUL. */
static int wxp__fake_alnum(wxp_fake *f, char *out, size_t n)
{
    static const char abc[] =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    size_t i;
    if (wxp__fake_rand(f, out, n) != 0) return 0;
    for (i = 0; i < n; i++) out[i] = abc[(unsigned char)out[i] % 62];
    out[n] = 0;
    return 1;
}

/* Civil date of Unix time t in China (UTC+8): y, m, d, and seconds of the day. */
static void wxp__fake_civil(long long t, long long *y, int *m, int *d, long long *sod)
{
    long long days, z, era, doe, yoe, doy, mp;
    t += 8 * 3600;
    days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    *sod = t - days * 86400;
    /* Howard Hinnant's civil_from_days. */
    z = days + 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* RFC 3339 in China time, as WeChat Pay writes it: 2024-01-02T03:04:05+08:00. */
static void wxp__fake_rfc3339(long long t, char out[26])
{
    long long y, sod;
    int m, d;
    wxp__fake_civil(t, &y, &m, &d, &sod);
    wxp__fake_digits(out, (unsigned long long)(y < 0 ? 0 : y), 4);
    out[4] = '-'; wxp__fake_digits(out + 5, (unsigned long long)m, 2);
    out[7] = '-'; wxp__fake_digits(out + 8, (unsigned long long)d, 2);
    out[10] = 'T'; wxp__fake_digits(out + 11, (unsigned long long)(sod / 3600), 2);
    out[13] = ':'; wxp__fake_digits(out + 14, (unsigned long long)(sod / 60 % 60), 2);
    out[16] = ':'; wxp__fake_digits(out + 17, (unsigned long long)(sod % 60), 2);
    memcpy(out + 19, "+08:00", 7);
}

/* YYYYMMDD of t, no NUL (inside generated ids, as WeChat Pay's carry the date). */
static void wxp__fake_ymd(long long t, char out[8])
{
    long long y, sod;
    int m, d;
    wxp__fake_civil(t, &y, &m, &d, &sod);
    wxp__fake_digits(out, (unsigned long long)(y < 0 ? 0 : y), 4);
    wxp__fake_digits(out + 4, (unsigned long long)m, 2);
    wxp__fake_digits(out + 6, (unsigned long long)d, 2);
}

/* yyyyMMddHHmmss of t in China time, NUL-terminated. */
static void wxp__fake_time_end(long long t, char out[15])
{
    long long y, sod;
    int m, d;
    wxp__fake_civil(t, &y, &m, &d, &sod);
    wxp__fake_digits(out, (unsigned long long)(y < 0 ? 0 : y), 4);
    wxp__fake_digits(out + 4, (unsigned long long)m, 2);
    wxp__fake_digits(out + 6, (unsigned long long)d, 2);
    wxp__fake_digits(out + 8, (unsigned long long)(sod / 3600), 2);
    wxp__fake_digits(out + 10, (unsigned long long)(sod / 60 % 60), 2);
    wxp__fake_digits(out + 12, (unsigned long long)(sod % 60), 2);
    out[14] = 0;
}

/* ==== >>fake:codes ========================================================== */

/* WeChat Pay's refusals of the refund family, one row per case: the APIv3
   status and code, the APIv2 err_code (v2_return: a return_code FAIL answer,
   unsigned, as WeChat Pay refuses what it cannot read or authenticate) and the
   official description. APIv3 rows: the error table of POST
   /v3/refund/domestic/refunds (pay.weixin.qq.com/doc/v3/merchant/4012556457);
   APIv2 rows: the tables of /secapi/pay/refund and /pay/refundquery
   (pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_4, 9_5). A case only
   APIv2 names answers APIv3 with the APIv3 code of that kind of case:
   business rules 400 INVALID_REQUEST, "retry the same request" 500
   SYSTEM_ERROR, too many requests 429 FREQUENCY_LIMITED. */
typedef struct wxp__fake_code {
    const char *v3;
    int         status;
    const char *v2;
    int         v2_return;
    const char *msg;
} wxp__fake_code;

static const wxp__fake_code wxp__fake_codes[] = {
    { "SYSTEM_ERROR", 500, "SYSTEMERROR", 0, "\xe7\xb3\xbb\xe7\xbb\x9f\xe8\xb6\x85\xe6\x97\xb6" },
    { "FREQUENCY_LIMITED", 429, "FREQUENCY_LIMITED", 0, "\xe9\xa2\x91\xe7\x8e\x87\xe9\x99\x90\xe5\x88\xb6" },
    { "USER_ACCOUNT_ABNORMAL", 403, "USER_ACCOUNT_ABNORMAL", 0,
      "\xe9\x80\x80\xe6\xac\xbe\xe8\xaf\xb7\xe6\xb1\x82\xe5\xa4\xb1\xe8\xb4\xa5" },
    { "MCH_NOT_EXISTS", 404, "MCHID_NOT_EXIST", 0, "MCHID\xe4\xb8\x8d\xe5\xad\x98\xe5\x9c\xa8" },
    { "NO_AUTH", 403, "NOAUTH", 0,
      "\xe6\xb2\xa1\xe6\x9c\x89\xe9\x80\x80\xe6\xac\xbe\xe6\x9d\x83\xe9\x99\x90" },
    { "SIGN_ERROR", 401, "SIGNERROR", 1, "\xe7\xad\xbe\xe5\x90\x8d\xe9\x94\x99\xe8\xaf\xaf" },
    { "PARAM_ERROR", 400, "PARAM_ERROR", 0, "\xe5\x8f\x82\xe6\x95\xb0\xe9\x94\x99\xe8\xaf\xaf" },
    { "INVALID_REQUEST", 400, "INVALID_REQUEST", 0,
      "\xe8\xaf\xb7\xe6\xb1\x82\xe5\x8f\x82\xe6\x95\xb0\xe7\xac\xa6\xe5\x90\x88\xe5\x8f\x82\xe6\x95\xb0"
      "\xe6\xa0\xbc\xe5\xbc\x8f\xef\xbc\x8c\xe4\xbd\x86\xe4\xb8\x8d\xe7\xac\xa6\xe5\x90\x88\xe4\xb8\x9a"
      "\xe5\x8a\xa1\xe8\xa7\x84\xe5\x88\x99" },
    { "NOT_ENOUGH", 403, "NOTENOUGH", 0, "\xe4\xbd\x99\xe9\xa2\x9d\xe4\xb8\x8d\xe8\xb6\xb3" },
    { "RESOURCE_NOT_EXISTS", 404, "ORDERNOTEXIST", 0,
      "\xe8\xae\xa2\xe5\x8d\x95\xe5\x8f\xb7\xe4\xb8\x8d\xe5\xad\x98\xe5\x9c\xa8" },
    { "INVALID_REQUEST", 400, "TRADE_OVERDUE", 0,
      "\xe8\xae\xa2\xe5\x8d\x95\xe5\xb7\xb2\xe7\xbb\x8f\xe8\xb6\x85\xe8\xbf\x87\xe9\x80\x80\xe6\xac\xbe"
      "\xe6\x9c\x9f\xe9\x99\x90" },
    { "SYSTEM_ERROR", 500, "BIZERR_NEED_RETRY", 0,
      "\xe9\x80\x80\xe6\xac\xbe\xe4\xb8\x9a\xe5\x8a\xa1\xe6\xb5\x81\xe7\xa8\x8b\xe9\x94\x99\xe8\xaf\xaf"
      "\xef\xbc\x8c\xe9\x9c\x80\xe8\xa6\x81\xe5\x95\x86\xe6\x88\xb7\xe8\xa7\xa6\xe5\x8f\x91\xe9\x87\x8d"
      "\xe8\xaf\x95\xe6\x9d\xa5\xe8\xa7\xa3\xe5\x86\xb3" },
    { "FREQUENCY_LIMITED", 429, "INVALID_REQ_TOO_MUCH", 0,
      "\xe8\xbf\x9e\xe7\xbb\xad\xe9\x94\x99\xe8\xaf\xaf\xe8\xaf\xb7\xe6\xb1\x82\xe6\x95\xb0\xe8\xbf\x87"
      "\xe5\xa4\x9a\xe8\xa2\xab\xe7\xb3\xbb\xe7\xbb\x9f\xe7\x9f\xad\xe6\x9a\x82\xe5\xb1\x8f\xe8\x94\xbd" },
    { "INVALID_REQUEST", 400, "ERROR", 0,
      "\xe7\x94\xb3\xe8\xaf\xb7\xe9\x80\x80\xe6\xac\xbe\xe4\xb8\x9a\xe5\x8a\xa1\xe5\x8f\x91\xe7\x94\x9f"
      "\xe9\x94\x99\xe8\xaf\xaf" },
    { "INVALID_REQUEST", 400, "ORDER_NOT_READY", 0,
      "\xe8\xae\xa2\xe5\x8d\x95\xe5\xa4\x84\xe7\x90\x86\xe4\xb8\xad\xef\xbc\x8c\xe6\x9a\x82\xe6\x97\xb6"
      "\xe6\x97\xa0\xe6\xb3\x95\xe9\x80\x80\xe6\xac\xbe" },
    { "PARAM_ERROR", 400, "INVALID_TRANSACTIONID", 0, "\xe6\x97\xa0\xe6\x95\x88transaction_id" },
    { "RESOURCE_NOT_EXISTS", 404, "REFUNDNOTEXIST", 0,
      "\xe9\x80\x80\xe6\xac\xbe\xe8\xae\xa2\xe5\x8d\x95\xe6\x9f\xa5\xe8\xaf\xa2\xe5\xa4\xb1\xe8\xb4\xa5" },
    { "PARAM_ERROR", 400, "APPID_NOT_EXIST", 0, "APPID\xe4\xb8\x8d\xe5\xad\x98\xe5\x9c\xa8" },
    { "PARAM_ERROR", 400, "XML_FORMAT_ERROR", 1, "XML\xe6\xa0\xbc\xe5\xbc\x8f\xe9\x94\x99\xe8\xaf\xaf" },
    { "SIGN_ERROR", 401, "CERT_ERROR", 0,
      "\xe8\xaf\x81\xe4\xb9\xa6\xe6\xa0\xa1\xe9\xaa\x8c\xe9\x94\x99\xe8\xaf\xaf" }
};
#define WXP__FAKE_NCODES (sizeof wxp__fake_codes / sizeof wxp__fake_codes[0])

/* The row of a code by either name (the APIv3 name first); NULL if unknown. */
static const wxp__fake_code *wxp__fake_code_by(const char *name)
{
    size_t i;
    for (i = 0; name && i < WXP__FAKE_NCODES; i++)
        if (strcmp(wxp__fake_codes[i].v3, name) == 0) return &wxp__fake_codes[i];
    for (i = 0; name && i < WXP__FAKE_NCODES; i++)
        if (strcmp(wxp__fake_codes[i].v2, name) == 0) return &wxp__fake_codes[i];
    return NULL;
}

/* ==== >>fake:setup ========================================================== */

WXP_FAKE_API wxp_err wxp_fake_init(wxp_fake *f, const wxp_fake_config *cfg)
{
    wxp_fake_config *c = &f->wxp__priv.cfg;
    size_t i;
    memset(f, 0, sizeof *f);
    if (cfg) *c = *cfg;
    if (!c->mchid) c->mchid = WXP_FAKE_MCHID;
    if (!c->appid) c->appid = WXP_FAKE_APPID;
    if (!c->platform_serial) c->platform_serial = WXP_FAKE_PLATFORM_SERIAL;
    if (!c->max_skew_s) c->max_skew_s = 300;
    if (strlen(c->mchid) > 32 || strlen(c->appid) > 32 ||
        strlen(c->platform_serial) >= WXP_SERIAL_MAX ||
        (c->merchant_serial && strlen(c->merchant_serial) >= WXP_SERIAL_MAX))
        return WXP_E_ARG;
    for (i = 0; i < WXP_FAKE_MAX_APPS; i++)
        if ((c->appids[i] && strlen(c->appids[i]) > 32) ||
            (c->sub_mchids[i] && !wxp__fake_digits_ok(wxp_cstr(c->sub_mchids[i]), 1, 32)) ||
            (c->sub_appids[i] && strlen(c->sub_appids[i]) > 32))
            return WXP_E_ARG;
    if (c->platform_cert_pem.len) {
        wxp_result r;
        wxp_err e = wxp_pubkey_load(&f->wxp__priv.cert, c->platform_cert_pem, &r);
        if (e != WXP_OK) return e;
        if (f->wxp__priv.cert.kind != WXP_KEY_CERT) return WXP_E_ARG;
        f->wxp__priv.have_cert = 1;
    }
#ifdef WXP_NO_TIME
    if (!c->clock.fn) return WXP_E_ARG;
#endif
    return WXP_OK;
}

WXP_FAKE_API wxp_transport wxp_fake_as_transport(wxp_fake *f)
{
    wxp_transport t;
    t.fn = wxp_fake_transport;
    t.user = f;
    return t;
}

WXP_FAKE_API long long wxp_fake_fixed_clock(void *user)
{
    return *(const long long *)user;
}

/* ==== >>fake:book =========================================================== */

static wxp_fake_order *wxp__fake_order_by(wxp_fake *f, wxp_str id, int by_tid)
{
    size_t i;
    for (i = 0; i < f->wxp__priv.norders; i++) {
        wxp_fake_order *o = &f->wxp__priv.orders[i];
        if (by_tid && !o->transaction_id[0]) continue;   /* unpaid: no transaction yet */
        if (wxp__fake_eq(id, by_tid ? o->transaction_id : o->out_trade_no)) return o;
    }
    return NULL;
}

/* Index of a sub-merchant in config.sub_mchids, -1 when unknown. */
static int wxp__fake_sub(const wxp_fake *f, wxp_str sub_mchid)
{
    const wxp_fake_config *c = &f->wxp__priv.cfg;
    int i;
    for (i = 0; i < WXP_FAKE_MAX_APPS && c->sub_mchids[i]; i++)
        if (wxp__fake_eq(sub_mchid, c->sub_mchids[i])) return i;
    return -1;
}

static wxp_fake_refund *wxp__fake_refund_by(wxp_fake *f, wxp_str out_refund_no)
{
    size_t i;
    for (i = 0; i < f->wxp__priv.nrefunds; i++)
        if (wxp__fake_eq(out_refund_no, f->wxp__priv.refunds[i].out_refund_no))
            return &f->wxp__priv.refunds[i];
    return NULL;
}

/* Amounts the fake accepts: WeChat Pay's ceiling, below 2^37 (wxp__fake_muldiv). */
#define WXP__FAKE_FEN_MAX 100000000000LL

/* A new transaction_id: 4200 + 000000 + paid date + sequence, 28 digits like
   WeChat Pay's. */
static void wxp__fake_new_tid(wxp_fake *f, wxp_fake_order *o)
{
    memcpy(o->transaction_id, "4200000000", 10);
    wxp__fake_ymd(o->paid_at, o->transaction_id + 10);
    wxp__fake_digits(o->transaction_id + 18, ++f->wxp__priv.seq, 10);
    o->transaction_id[28] = 0;
}

static void wxp__fake_set_state(wxp_fake_order *o, const char *state)
{
    (void)wxp__fake_copy(o->trade_state, sizeof o->trade_state, state, strlen(state));
}

static wxp_err wxp__fake_add(wxp_fake *f, const char *out_trade_no, const char *transaction_id,
                             long long total_fen, int paid)
{
    wxp__fake_priv *p = &f->wxp__priv;
    wxp_fake_order *o;
    if (!out_trade_no || !*out_trade_no || strlen(out_trade_no) > 32 || total_fen <= 0 ||
        total_fen > WXP__FAKE_FEN_MAX ||
        (transaction_id && (!*transaction_id || strlen(transaction_id) > 32)))
        return WXP_E_ARG;
    if (wxp__fake_order_by(f, wxp_cstr(out_trade_no), 0) ||
        (transaction_id && wxp__fake_order_by(f, wxp_cstr(transaction_id), 1)))
        return WXP_E_ARG;
    if (p->norders >= WXP_FAKE_MAX_ORDERS) return WXP_E_FULL;
    o = &p->orders[p->norders];
    memset(o, 0, sizeof *o);
    if (wxp__fake_copy(o->out_trade_no, sizeof o->out_trade_no, out_trade_no,
                       strlen(out_trade_no)))
        return WXP_E_ARG;
    o->total = total_fen;
    o->created_at = wxp__fake_now(f);
    if (!paid) {
        wxp__fake_set_state(o, "NOTPAY");
        p->norders++;
        return WXP_OK;
    }
    wxp__fake_set_state(o, "SUCCESS");
    o->paid_at = wxp__fake_now(f);
    if (transaction_id) {
        if (wxp__fake_copy(o->transaction_id, sizeof o->transaction_id, transaction_id,
                           strlen(transaction_id)))
            return WXP_E_ARG;
    } else {
        wxp__fake_new_tid(f, o);
    }
    p->norders++;
    return WXP_OK;
}

WXP_FAKE_API wxp_err wxp_fake_add_order(wxp_fake *f, const char *out_trade_no,
                                        const char *transaction_id, long long total_fen)
{
    return wxp__fake_add(f, out_trade_no, transaction_id, total_fen, 1);
}

WXP_FAKE_API wxp_err wxp_fake_add_order_unpaid(wxp_fake *f, const char *out_trade_no,
                                               long long total_fen)
{
    return wxp__fake_add(f, out_trade_no, NULL, total_fen, 0);
}

/* Fen the payer's coupons paid of an order; with no_cash_only, the NO_CASH ones. */
static long long wxp__fake_coupon_sum(const wxp_fake_order *o, int no_cash_only)
{
    long long sum = 0;
    size_t i;
    for (i = 0; i < o->coupon_count; i++)
        if (!no_cash_only || strcmp(o->coupons[i].type, "NO_CASH") == 0) sum += o->coupons[i].fee;
    return sum;
}

WXP_FAKE_API wxp_err wxp_fake_order_coupon(wxp_fake *f, const char *out_trade_no,
                                           const char *coupon_id, const char *type,
                                           long long fee_fen)
{
    wxp_fake_order *o = out_trade_no ? wxp__fake_order_by(f, wxp_cstr(out_trade_no), 0) : NULL;
    wxp_fake_paid_coupon *c;
    if (!coupon_id || !*coupon_id || strlen(coupon_id) > 32 || !type ||
        (strcmp(type, "CASH") != 0 && strcmp(type, "NO_CASH") != 0) || fee_fen <= 0)
        return WXP_E_ARG;
    if (!o) return WXP_E_NOTFOUND;
    if (o->refund_count || fee_fen > o->total - wxp__fake_coupon_sum(o, 0)) return WXP_E_ARG;
    if (o->coupon_count >= WXP_FAKE_ORDER_COUPONS) return WXP_E_FULL;
    c = &o->coupons[o->coupon_count++];
    memset(c, 0, sizeof *c);
    (void)wxp__fake_copy(c->coupon_id, sizeof c->coupon_id, coupon_id, strlen(coupon_id));
    (void)wxp__fake_copy(c->type, sizeof c->type, type, strlen(type));
    c->fee = fee_fen;
    return WXP_OK;
}

/* floor(a * x / t) for 0 <= a, x <= t < 2^37, without overflow: x = xh*2^20 + xl. */
static long long wxp__fake_muldiv(long long a, long long x, long long t)
{
    unsigned long long ua = (unsigned long long)a, ut = (unsigned long long)t;
    unsigned long long xh = (unsigned long long)x >> 20, xl = (unsigned long long)x & 0xFFFFFu;
    unsigned long long q1 = ua * xh / ut, r1 = ua * xh % ut;
    return (long long)((q1 << 20) + ((r1 << 20) + ua * xl) / ut);
}

/* Each coupon's share of a new refund of amount fen on o (before booking it):
   cumulative shares track coupon fee * refunded / total, the last refund gives
   back exactly what is left, and neither cash nor a coupon ever goes negative. */
static void wxp__fake_split(const wxp_fake_order *o, long long amount,
                            long long share[WXP_FAKE_ORDER_COUPONS])
{
    long long sum = 0, cash, cash_left, coupons = wxp__fake_coupon_sum(o, 0), cash_refunded;
    size_t i;
    cash_refunded = o->refunded;
    for (i = 0; i < o->coupon_count; i++) cash_refunded -= o->coupons[i].refunded;
    for (i = 0; i < WXP_FAKE_ORDER_COUPONS; i++) share[i] = 0;
    for (i = 0; i < o->coupon_count; i++) {
        const wxp_fake_paid_coupon *c = &o->coupons[i];
        long long s = wxp__fake_muldiv(c->fee, o->refunded + amount, o->total) - c->refunded;
        if (s < 0) s = 0;
        if (s > c->fee - c->refunded) s = c->fee - c->refunded;
        share[i] = s;
        sum += s;
    }
    for (i = o->coupon_count; i-- > 0 && sum > amount;) {
        long long cut = sum - amount < share[i] ? sum - amount : share[i];
        share[i] -= cut;
        sum -= cut;
    }
    cash = amount - sum;
    cash_left = (o->total - coupons) - cash_refunded;
    for (i = 0; i < o->coupon_count && cash > cash_left; i++) {
        long long room = o->coupons[i].fee - o->coupons[i].refunded - share[i];
        long long add = cash - cash_left < room ? cash - cash_left : room;
        share[i] += add;
        cash -= add;
    }
}

/* Books a refund's coupon shares on its order. */
static void wxp__fake_book_split(wxp_fake_order *o, const wxp_fake_refund *r)
{
    size_t i;
    for (i = 0; i < o->coupon_count; i++) o->coupons[i].refunded += r->coupon_refund[i];
}

/* Sums of a refund: coupon shares (all, or the NO_CASH ones). */
static long long wxp__fake_refund_coupons(const wxp_fake_order *o, const wxp_fake_refund *r,
                                          int no_cash_only)
{
    long long sum = 0;
    size_t i;
    for (i = 0; i < o->coupon_count; i++)
        if (!no_cash_only || strcmp(o->coupons[i].type, "NO_CASH") == 0)
            sum += r->coupon_refund[i];
    return sum;
}

/* The order's paid state: SUCCESS orders are the ones with a payment. */
static int wxp__fake_paid(const wxp_fake_order *o)
{
    return strcmp(o->trade_state, "SUCCESS") == 0;
}

WXP_FAKE_API const wxp_fake_order *wxp_fake_find_order(const wxp_fake *f,
                                                       const char *out_trade_no)
{
    return out_trade_no ? wxp__fake_order_by((wxp_fake *)f, wxp_cstr(out_trade_no), 0) : NULL;
}

WXP_FAKE_API const wxp_fake_refund *wxp_fake_find_refund(const wxp_fake *f,
                                                         const char *out_refund_no)
{
    return out_refund_no ? wxp__fake_refund_by((wxp_fake *)f, wxp_cstr(out_refund_no)) : NULL;
}

WXP_FAKE_API size_t wxp_fake_refund_count(const wxp_fake *f) { return f->wxp__priv.nrefunds; }

static void wxp__fake_set_status(wxp_fake *f, wxp_fake_refund *r, const char *status)
{
    if (wxp__fake_copy(r->status, sizeof r->status, status, strlen(status))) return;
    if (strcmp(status, "SUCCESS") == 0 && !r->succeeded_at) r->succeeded_at = wxp__fake_now(f);
}

/* Refunds succeed once they are looked at, unless a test pinned them. */
static void wxp__fake_settle(wxp_fake *f, wxp_fake_refund *r)
{
    if (!r->pinned && strcmp(r->status, "PROCESSING") == 0) wxp__fake_set_status(f, r, "SUCCESS");
}

WXP_FAKE_API wxp_err wxp_fake_set_refund_status(wxp_fake *f, const char *out_refund_no,
                                                const char *status)
{
    wxp_fake_refund *r;
    if (!status || (strcmp(status, "SUCCESS") != 0 && strcmp(status, "CLOSED") != 0 &&
                    strcmp(status, "PROCESSING") != 0 && strcmp(status, "ABNORMAL") != 0))
        return WXP_E_ARG;
    r = out_refund_no ? wxp__fake_refund_by(f, wxp_cstr(out_refund_no)) : NULL;
    if (!r) return WXP_E_NOTFOUND;
    wxp__fake_set_status(f, r, status);
    r->pinned = 1;
    return WXP_OK;
}

/* ==== >>fake:coupons ======================================================== */

static wxp_fake_coupon *wxp__fake_coupon_by(wxp_fake *f, wxp_str stock_id, wxp_str code)
{
    size_t i;
    for (i = 0; i < f->wxp__priv.ncoupons; i++) {
        wxp_fake_coupon *c = &f->wxp__priv.coupons[i];
        if (wxp__fake_eq(stock_id, c->stock_id) && wxp__fake_eq(code, c->coupon_code)) return c;
    }
    return NULL;
}

static int wxp__fake_coupon_state_ok(const char *state)
{
    return state && (strcmp(state, "SENDED") == 0 || strcmp(state, "USED") == 0);
}

WXP_FAKE_API wxp_err wxp_fake_add_coupon(wxp_fake *f, const char *stock_id,
                                         const char *coupon_code, const char *state)
{
    wxp__fake_priv *p = &f->wxp__priv;
    wxp_fake_coupon *c;
    if (!stock_id || !wxp__fake_digits_ok(wxp_cstr(stock_id), 1, 20) || !coupon_code ||
        !*coupon_code || strlen(coupon_code) > 128 || !wxp__fake_coupon_state_ok(state))
        return WXP_E_ARG;
    if (wxp__fake_coupon_by(f, wxp_cstr(stock_id), wxp_cstr(coupon_code))) return WXP_E_ARG;
    if (p->ncoupons >= WXP_FAKE_MAX_COUPONS) return WXP_E_FULL;
    c = &p->coupons[p->ncoupons++];
    memset(c, 0, sizeof *c);
    (void)wxp__fake_copy(c->stock_id, sizeof c->stock_id, stock_id, strlen(stock_id));
    (void)wxp__fake_copy(c->coupon_code, sizeof c->coupon_code, coupon_code, strlen(coupon_code));
    (void)wxp__fake_copy(c->state, sizeof c->state, state, strlen(state));
    return WXP_OK;
}

WXP_FAKE_API const wxp_fake_coupon *wxp_fake_find_coupon(const wxp_fake *f,
                                                         const char *stock_id,
                                                         const char *coupon_code)
{
    if (!stock_id || !coupon_code) return NULL;
    return wxp__fake_coupon_by((wxp_fake *)f, wxp_cstr(stock_id), wxp_cstr(coupon_code));
}

WXP_FAKE_API wxp_err wxp_fake_set_coupon_state(wxp_fake *f, const char *stock_id,
                                               const char *coupon_code, const char *state)
{
    wxp_fake_coupon *c;
    if (!wxp__fake_coupon_state_ok(state)) return WXP_E_ARG;
    c = (stock_id && coupon_code)
            ? wxp__fake_coupon_by(f, wxp_cstr(stock_id), wxp_cstr(coupon_code)) : NULL;
    if (!c) return WXP_E_NOTFOUND;
    (void)wxp__fake_copy(c->state, sizeof c->state, state, strlen(state));
    return WXP_OK;
}

/* ==== >>fake:customers ====================================================== */

static wxp_fake_customer *wxp__fake_customer_by(wxp_fake *f, wxp_str auth_code)
{
    size_t i;
    for (i = 0; i < f->wxp__priv.ncustomers; i++)
        if (wxp__fake_eq(auth_code, f->wxp__priv.customers[i].auth_code))
            return &f->wxp__priv.customers[i];
    return NULL;
}

WXP_FAKE_API wxp_err wxp_fake_add_customer(wxp_fake *f, const char *auth_code, int behaviour,
                                           unsigned polls, long long balance_fen)
{
    wxp__fake_priv *p = &f->wxp__priv;
    wxp_fake_customer *c;
    if (!auth_code || !wxp__fake_digits_ok(wxp_cstr(auth_code), 18, 18) ||
        behaviour < WXP_FAKE_PAY_NOW || behaviour > WXP_FAKE_NEVER_CONFIRMS || balance_fen < 0 ||
        balance_fen > WXP__FAKE_FEN_MAX)
        return WXP_E_ARG;
    if (wxp__fake_customer_by(f, wxp_cstr(auth_code))) return WXP_E_ARG;
    if (p->ncustomers >= WXP_FAKE_MAX_CUSTOMERS) return WXP_E_FULL;
    c = &p->customers[p->ncustomers++];
    memset(c, 0, sizeof *c);
    memcpy(c->auth_code, auth_code, 18);
    /* The documentation's openid, its last characters made this customer's. */
    (void)wxp__fake_copy(c->openid, sizeof c->openid, WXP_FAKE_OPENID, strlen(WXP_FAKE_OPENID));
    wxp__fake_digits(c->openid + strlen(c->openid) - 2, (unsigned long long)p->ncustomers, 2);
    c->behaviour = behaviour;
    c->polls = polls ? polls : 1;
    c->balance = balance_fen;
    return WXP_OK;
}

WXP_FAKE_API const wxp_fake_customer *wxp_fake_find_customer(const wxp_fake *f,
                                                             const char *auth_code)
{
    return auth_code ? wxp__fake_customer_by((wxp_fake *)f, wxp_cstr(auth_code)) : NULL;
}

/* An auth_code WeChat Pay reads as its own: 18 digits starting 10 to 15. */
static int wxp__fake_wechat_code(wxp_str s)
{
    return wxp__fake_digits_ok(s, 18, 18) && s.ptr[0] == '1' && s.ptr[1] >= '0' && s.ptr[1] <= '5';
}

/* The customer pays o: SUCCESS with a new transaction_id, or PAYERROR when the
   wallet is short (or the customer has no money). 1 when paid. */
static int wxp__fake_charge(wxp_fake *f, wxp_fake_order *o, wxp_fake_customer *c)
{
    if (c->behaviour == WXP_FAKE_NO_MONEY || c->balance < o->total) {
        wxp__fake_set_state(o, "PAYERROR");
        return 0;
    }
    c->balance -= o->total;
    c->payments++;
    o->paid_at = wxp__fake_now(f);
    wxp__fake_new_tid(f, o);
    wxp__fake_set_state(o, "SUCCESS");
    return 1;
}

/* ==== >>fake:script ========================================================= */

WXP_FAKE_API wxp_err wxp_fake_push_raw(wxp_fake *f, int status, const wxp_http_header *headers,
                                       size_t header_count, wxp_str body, unsigned flags)
{
    wxp__fake_priv *p = &f->wxp__priv;
    wxp__fake_entry *e;
    size_t i, size = body.len;
    if (p->nscript >= WXP_FAKE_MAX_SCRIPT || header_count > WXP_FAKE_SCRIPT_HEADERS)
        return WXP_E_FULL;
    if (body.len > WXP_FAKE_BODY_MAX || (body.len && !body.ptr)) return WXP_E_NOSPACE;
    for (i = 0; i < header_count; i++) {
        if (headers[i].name.len > WXP_FAKE_HEADER_MAX ||
            headers[i].value.len > WXP_FAKE_HEADER_MAX)
            return WXP_E_NOSPACE;
        size += headers[i].name.len + headers[i].value.len;
    }
    if (size > WXP_FAKE_SCRIPT_BYTES - p->arena_used) return WXP_E_NOSPACE;
    e = &p->script[p->nscript];
    memset(e, 0, sizeof *e);
    e->status = status;
    e->flags = flags & (WXP_FAKE_UNSIGNED | WXP_FAKE_BARE | WXP__FAKE_FAIL);
    e->body_len = body.len;
    e->size = size;
    e->header_count = header_count;
    if (body.len) memcpy(p->arena + p->arena_used, body.ptr, body.len);
    p->arena_used += body.len;
    for (i = 0; i < header_count; i++) {
        e->name_len[i] = headers[i].name.len;
        e->value_len[i] = headers[i].value.len;
        if (e->name_len[i]) memcpy(p->arena + p->arena_used, headers[i].name.ptr, e->name_len[i]);
        p->arena_used += e->name_len[i];
        if (e->value_len[i])
            memcpy(p->arena + p->arena_used, headers[i].value.ptr, e->value_len[i]);
        p->arena_used += e->value_len[i];
    }
    p->nscript++;
    return WXP_OK;
}

WXP_FAKE_API wxp_err wxp_fake_push(wxp_fake *f, int status, const char *body)
{
    return wxp_fake_push_raw(f, status, NULL, 0, wxp_cstr(body), 0);
}

WXP_FAKE_API wxp_err wxp_fake_push_fail(wxp_fake *f, const char *reason)
{
    wxp_str r = wxp_cstr(reason ? reason : "fake: scripted transport failure");
    if (r.len >= WXP_ERRBUF_SIZE) r.len = WXP_ERRBUF_SIZE - 1;
    return wxp_fake_push_raw(f, 0, NULL, 0, r, WXP__FAKE_FAIL);
}

WXP_FAKE_API size_t wxp_fake_pending(const wxp_fake *f) { return f->wxp__priv.nscript; }

/* Drops the head of the queue: entries and bytes shift down (the queue is short). */
static void wxp__fake_pop(wxp_fake *f)
{
    wxp__fake_priv *p = &f->wxp__priv;
    size_t size;
    if (!p->nscript) return;
    size = p->script[0].size;
    memmove(p->arena, p->arena + size, p->arena_used - size);
    p->arena_used -= size;
    memmove(p->script, p->script + 1, (p->nscript - 1) * sizeof p->script[0]);
    p->nscript--;
}

WXP_FAKE_API void wxp_fake_clear_script(wxp_fake *f)
{
    f->wxp__priv.nscript = 0;
    f->wxp__priv.arena_used = 0;
    f->wxp__priv.faults = 0;
    f->wxp__priv.fault_times = 0;
    f->wxp__priv.fault_path[0] = 0;     /* else a later fault stays scoped to it */
    f->wxp__priv.age = 0;
    f->wxp__priv.fail_row = 0;
    f->wxp__priv.fail_times = 0;
    f->wxp__priv.fail_path[0] = 0;
}

/* ==== >>fake:faults ========================================================= */

WXP_FAKE_API void wxp_fake_fault(wxp_fake *f, unsigned faults)
{
    wxp_fake_fault_times(f, faults, 1);
}

WXP_FAKE_API void wxp_fake_fault_times(wxp_fake *f, unsigned faults, unsigned times)
{
    f->wxp__priv.faults = times ? faults : 0;
    f->wxp__priv.fault_times = faults ? times : 0;
    f->wxp__priv.fault_path[0] = 0;
}

/* Scopes a scripted event to path (NULL: any request). */
static void wxp__fake_set_scope(char scope[128], const char *path)
{
    scope[0] = 0;
    if (path && wxp__fake_copy(scope, 128, path, strlen(path)))
        memcpy(scope, "\n", 2);    /* too long: a path no request has */
}

/* One use of an event scripted for *times requests to scope ("" for any): 1
   when this request to path (NULL: a callback, which takes only unscoped
   events) takes it. */
static int wxp__fake_scope_take(unsigned *times, char scope[128], const wxp_str *path)
{
    if (!*times) return 0;
    if (scope[0] && (!path || !wxp__fake_eq(*path, scope))) return 0;
    if (--*times == 0) scope[0] = 0;
    return 1;
}

WXP_FAKE_API void wxp_fake_fault_on(wxp_fake *f, const char *path, unsigned faults,
                                    unsigned times)
{
    wxp_fake_fault_times(f, faults, times);
    wxp__fake_set_scope(f->wxp__priv.fault_path, path);
}

WXP_FAKE_API wxp_err wxp_fake_fail_with(wxp_fake *f, const char *path, const char *code,
                                        unsigned times)
{
    wxp__fake_priv *p = &f->wxp__priv;
    const wxp__fake_code *c = wxp__fake_code_by(code);
    if (!c) return WXP_E_ARG;
    p->fail_row = times ? (size_t)(c - wxp__fake_codes) + 1 : 0;
    p->fail_times = times;
    wxp__fake_set_scope(p->fail_path, path);
    return WXP_OK;
}

WXP_FAKE_API void wxp_fake_set_balance(wxp_fake *f, long long fen)
{
    f->wxp__priv.has_balance = fen >= 0;
    f->wxp__priv.balance = fen;
}

WXP_FAKE_API void wxp_fake_fault_age(wxp_fake *f, long long seconds)
{
    f->wxp__priv.age = seconds;
    f->wxp__priv.faults |= WXP_FAKE_AGED;
    if (!f->wxp__priv.fault_times) f->wxp__priv.fault_times = 1;
}

/* The faults for this answer to path (NULL: a callback); counts one use.
   Faults scoped to another path, or to any path for a callback, stay pending. */
static unsigned wxp__fake_take_faults(wxp_fake *f, const wxp_str *path)
{
    wxp__fake_priv *p = &f->wxp__priv;
    unsigned faults = p->faults;
    if (!wxp__fake_scope_take(&p->fault_times, p->fault_path, path)) return 0;
    if (!p->fault_times) p->faults = 0;
    return faults;
}

/* ==== >>fake:records ======================================================== */

WXP_FAKE_API size_t wxp_fake_request_count(const wxp_fake *f) { return f->wxp__priv.nreq; }

WXP_FAKE_API const wxp_fake_record *wxp_fake_record_at(const wxp_fake *f, size_t i)
{
    size_t n = f->wxp__priv.nreq;
    if (i >= n || n - i > WXP_FAKE_MAX_RECORDS) return NULL;
    return &f->wxp__priv.rec[i % WXP_FAKE_MAX_RECORDS];
}

WXP_FAKE_API const wxp_fake_record *wxp_fake_last(const wxp_fake *f)
{
    return f->wxp__priv.nreq ? wxp_fake_record_at(f, f->wxp__priv.nreq - 1) : NULL;
}

WXP_FAKE_API const char *wxp_fake_record_header(const wxp_fake_record *r, const char *name)
{
    size_t i;
    if (!r || !name) return NULL;
    for (i = 0; i < r->header_count; i++)
        if (wxp__fake_ieq(r->headers[i].name, strlen(r->headers[i].name), name))
            return r->headers[i].value;
    return NULL;
}

/* Copies the request into the next ring slot, cutting what does not fit. */
static wxp_fake_record *wxp__fake_keep(wxp_fake *f, const wxp_http_request *req)
{
    wxp__fake_priv *p = &f->wxp__priv;
    wxp_fake_record *r = &p->rec[p->nreq % WXP_FAKE_MAX_RECORDS];
    const char *method = req->method ? req->method : "";
    const char *host = req->host ? req->host : "";
    size_t i, n = req->header_count;
    memset(r, 0, sizeof *r);
    p->nreq++;
    if (wxp__fake_copy(r->method, sizeof r->method, method, strlen(method)))
        r->truncated |= WXP_FAKE_TRUNC_METHOD;
    if (wxp__fake_copy(r->host, sizeof r->host, host, strlen(host)))
        r->truncated |= WXP_FAKE_TRUNC_HOST;
    if (wxp__fake_copy(r->path, sizeof r->path, req->path.ptr, req->path.len))
        r->truncated |= WXP_FAKE_TRUNC_PATH;
    if (!req->headers) n = 0;
    if (n > WXP_FAKE_MAX_HEADERS) {
        n = WXP_FAKE_MAX_HEADERS;
        r->truncated |= WXP_FAKE_TRUNC_HEADERS;
    }
    for (i = 0; i < n; i++) {
        const wxp_http_header *h = &req->headers[i];
        if (wxp__fake_copy(r->headers[i].name, sizeof r->headers[i].name, h->name.ptr,
                           h->name.len) |
            wxp__fake_copy(r->headers[i].value, sizeof r->headers[i].value, h->value.ptr,
                           h->value.len))
            r->truncated |= WXP_FAKE_TRUNC_HEADER;
    }
    r->header_count = n;
    if (wxp__fake_copy(r->body, sizeof r->body, req->body.ptr, req->body.len))
        r->truncated |= WXP_FAKE_TRUNC_BODY;
    r->body_len = req->body.len < sizeof r->body ? req->body.len : sizeof r->body - 1;
    r->body_size = req->body.len;
    r->timeout_ms = req->timeout_ms;
    r->client_cert = req->client_cert != NULL;
    return r;
}

/* ==== >>fake:answers ======================================================== */

/* Ends the JSON answer in p->out; an answer that does not fit becomes status -1
   (the transport then fails: the fake, not the client, is too small). */
static void wxp__fake_done(wxp_fake *f, wxp_json_writer *w, int status)
{
    size_t len = 0;
    f->wxp__priv.status = status;
    if (wxp_jw_finish(w, &len, NULL) != WXP_OK) { f->wxp__priv.status = -1; len = 0; }
    f->wxp__priv.out_len = len;
}

/* A WeChat Pay error answer: {"code":...,"message":...}; message is p->msg when NULL. */
static void wxp__fake_error(wxp_fake *f, int status, const char *code, const char *message)
{
    wxp__fake_priv *p = &f->wxp__priv;
    wxp_json_writer w;
    if (message && message != p->msg)
        (void)wxp__fake_copy(p->msg, sizeof p->msg, message, strlen(message));
    (void)wxp__fake_copy(p->code, sizeof p->code, code, strlen(code));
    wxp_jw_init(&w, p->out, sizeof p->out);
    wxp_jw_object_begin(&w);
    wxp_jw_key(&w, "code");
    wxp_jw_cstring(&w, code);
    wxp_jw_key(&w, "message");
    wxp_jw_cstring(&w, p->msg);
    wxp_jw_object_end(&w);
    wxp__fake_done(f, &w, status);
}

/* Builds "<a><untrusted b><c>" into p->msg. */
static const char *wxp__fake_say(wxp_fake *f, const char *a, wxp_str b, const char *c)
{
    wxp__fake_priv *p = &f->wxp__priv;
    size_t n = wxp__fake_cats(p->msg, sizeof p->msg, 0, a);
    n = wxp__fake_cat_safe(p->msg, sizeof p->msg, n, b.ptr, b.len);
    (void)wxp__fake_cats(p->msg, sizeof p->msg, n, c);
    return p->msg;
}

static void wxp__fake_param_error(wxp_fake *f, const char *field, const char *what)
{
    wxp__fake_error(f, 400, "PARAM_ERROR", wxp__fake_say(f, "", wxp_cstr(field), what));
}

/* An APIv3 refusal from a row; message NULL: the row's description. */
static void wxp__fake_refuse(wxp_fake *f, const wxp__fake_code *c, const char *message)
{
    wxp__fake_error(f, c->status, c->v3, message ? message : c->msg);
}

/* ==== >>fake:auth =========================================================== */

static int wxp__fake_req_header(const wxp_http_request *req, const char *name, wxp_str *out)
{
    size_t i;
    for (i = 0; req->headers && i < req->header_count; i++)
        if (wxp__fake_ieq(req->headers[i].name.ptr, req->headers[i].name.len, name)) {
            *out = req->headers[i].value;
            return 1;
        }
    return 0;
}

/* Checks the Authorization header as WeChat Pay does, the signature over body
   (the request's, or an upload's meta JSON). Returns 1 when it passes;
   otherwise the 401 answer is ready and it returns 0. */
static int wxp__fake_auth(wxp_fake *f, const wxp_http_request *req, wxp_str body)
{
    static const char *const names[5] = { "mchid", "nonce_str", "signature", "timestamp",
                                          "serial_no" };
    static const char scheme[] = "WECHATPAY2-SHA256-RSA2048";
    const size_t sl = sizeof scheme - 1;
    wxp__fake_priv *p = &f->wxp__priv;
    wxp_str h, v[5];
    int have[5] = { 0, 0, 0, 0, 0 };
    size_t i, k;
    long long ts = 0, skew;

    if (!wxp__fake_req_header(req, "Authorization", &h)) {
        wxp__fake_error(f, 401, "SIGN_ERROR", "the Authorization header is missing");
        return 0;
    }
    if (h.len <= sl || memcmp(h.ptr, scheme, sl) != 0 || h.ptr[sl] != ' ') {
        wxp__fake_error(f, 401, "SIGN_ERROR",
                        "the Authorization scheme is not WECHATPAY2-SHA256-RSA2048");
        return 0;
    }
    for (i = sl; i < h.len;) {
        size_t ks, kl, vs;
        if (h.ptr[i] == ' ' || h.ptr[i] == ',') { i++; continue; }
        ks = i;
        while (i < h.len && h.ptr[i] != '=' && h.ptr[i] != ',' && h.ptr[i] != ' ') i++;
        kl = i - ks;
        if (i + 1 >= h.len || h.ptr[i] != '=' || h.ptr[i + 1] != '"') {
            wxp_str key = { h.ptr + ks, kl };
            wxp__fake_error(f, 401, "SIGN_ERROR",
                            wxp__fake_say(f, "Authorization field ", key,
                                          " is not of the form name=\"value\""));
            return 0;
        }
        i += 2;
        vs = i;
        while (i < h.len && h.ptr[i] != '"') i++;
        if (i >= h.len) {
            wxp__fake_error(f, 401, "SIGN_ERROR", "an Authorization value lacks its closing quote");
            return 0;
        }
        for (k = 0; k < 5; k++)
            if (kl == strlen(names[k]) && memcmp(h.ptr + ks, names[k], kl) == 0) {
                if (have[k]) {
                    wxp__fake_error(f, 401, "SIGN_ERROR",
                                    wxp__fake_say(f, "Authorization field ", wxp_cstr(names[k]),
                                                  " appears twice"));
                    return 0;
                }
                have[k] = 1;
                v[k].ptr = h.ptr + vs;
                v[k].len = i - vs;
            }
        i++;    /* the closing quote; unknown fields are skipped */
    }
    for (k = 0; k < 5; k++)
        if (!have[k]) {
            wxp__fake_error(f, 401, "SIGN_ERROR",
                            wxp__fake_say(f, "the Authorization header lacks ",
                                          wxp_cstr(names[k]), ""));
            return 0;
        }
    if (!wxp__fake_eq(v[0], p->cfg.mchid)) {   /* the only merchant it knows */
        wxp__fake_refuse(f, wxp__fake_code_by("MCH_NOT_EXISTS"),
                         wxp__fake_say(f, "mchid ", v[0], " does not exist"));
        return 0;
    }
    if (p->cfg.merchant_serial && !wxp__fake_ieq(v[4].ptr, v[4].len, p->cfg.merchant_serial)) {
        /* The classic mix-up: a platform serial, or a serial printed in decimal. */
        wxp__fake_error(f, 401, "SIGN_ERROR",
                        wxp__fake_say(f, "serial_no ", v[4],
                                      " is not the merchant certificate serial (a platform"
                                      " serial or a decimal serial?)"));
        return 0;
    }
    if (v[1].len == 0 || v[1].len > 32) {
        wxp__fake_error(f, 401, "SIGN_ERROR", "nonce_str must be 1-32 characters");
        return 0;
    }
    for (i = 0; i < v[3].len && i < 12 && v[3].ptr[i] >= '0' && v[3].ptr[i] <= '9'; i++)
        ts = ts * 10 + (v[3].ptr[i] - '0');
    if (v[3].len == 0 || i != v[3].len) {
        wxp__fake_error(f, 401, "SIGN_ERROR",
                        wxp__fake_say(f, "timestamp ", v[3], " is not a Unix time in seconds"));
        return 0;
    }
    skew = wxp__fake_now(f) - ts;
    if (skew < 0) skew = -skew;
    if (skew > (long long)p->cfg.max_skew_s) {
        size_t n = wxp__fake_cats(p->msg, sizeof p->msg, 0, "timestamp is ");
        n = wxp__fake_cat_int(p->msg, sizeof p->msg, n, skew);
        n = wxp__fake_cats(p->msg, sizeof p->msg, n, " s away from the server clock (at most ");
        n = wxp__fake_cat_int(p->msg, sizeof p->msg, n, (long long)p->cfg.max_skew_s);
        (void)wxp__fake_cats(p->msg, sizeof p->msg, n, " s)");
        wxp__fake_error(f, 401, "SIGN_ERROR", NULL);
        return 0;
    }
    if (p->cfg.merchant_key) {
        wxp_str nl = { "\n", 1 }, method = wxp_cstr(req->method ? req->method : "");
        wxp_str parts[10];
        wxp_result r;
        wxp_err e;
        parts[0] = method; parts[1] = nl; parts[2] = req->path; parts[3] = nl;
        parts[4] = v[3];   parts[5] = nl; parts[6] = v[1];      parts[7] = nl;
        parts[8] = body;   parts[9] = nl;
        e = wxp_verify_base64(p->cfg.merchant_key, parts, 10, v[2], &r);
        if (e != WXP_OK) {
            wxp__fake_error(f, 401, "SIGN_ERROR",
                            e == WXP_E_BASE64 ? "the signature is not base64"
                            : "the signature does not verify under the merchant's public"
                              " key (wrong private key, or the message signed differs)");
            return 0;
        }
    }
    return 1;
}

/* ==== >>fake:refunds ======================================================== */

/* The string member key of obj: 1 found, 0 absent, -1 wrong type (PARAM_ERROR
   ready, naming label, the field's full name). */
static int wxp__fake_jstr(wxp_fake *f, int obj, const char *key, const char *label,
                          wxp_str *out)
{
    int t = wxp_json_get(&f->wxp__priv.doc, obj, key);
    if (t < 0) return 0;
    if (wxp_json_string(&f->wxp__priv.doc, t, out) != WXP_OK) {
        wxp__fake_param_error(f, label, " must be a string");
        return -1;
    }
    return 1;
}

static int wxp__fake_jint(wxp_fake *f, int obj, const char *key, const char *label,
                          long long *out)
{
    int t = wxp_json_get(&f->wxp__priv.doc, obj, key);
    if (t < 0) return 0;
    if (wxp_json_int(&f->wxp__priv.doc, t, out) != WXP_OK) {
        wxp__fake_param_error(f, label, " must be an integer (fen)");
        return -1;
    }
    return 1;
}

static void wxp__fake_reply_refund(wxp_fake *f, const wxp_fake_refund *r)
{
    wxp__fake_priv *p = &f->wxp__priv;
    const wxp_fake_order *o = &p->orders[r->order];
    char created[26], succeeded[26];
    wxp_json_writer w;
    size_t i;
    wxp__fake_rfc3339(r->created_at, created);
    wxp_jw_init(&w, p->out, sizeof p->out);
    wxp_jw_object_begin(&w);
    wxp_jw_key(&w, "refund_id");             wxp_jw_cstring(&w, r->refund_id);
    wxp_jw_key(&w, "out_refund_no");         wxp_jw_cstring(&w, r->out_refund_no);
    wxp_jw_key(&w, "transaction_id");        wxp_jw_cstring(&w, o->transaction_id);
    wxp_jw_key(&w, "out_trade_no");          wxp_jw_cstring(&w, o->out_trade_no);
    wxp_jw_key(&w, "channel");               wxp_jw_cstring(&w, "ORIGINAL");
    wxp_jw_key(&w, "user_received_account"); wxp_jw_cstring(&w, WXP__FAKE_ZH_CHANGE);
    /* "returned when the refund succeeded": absent before, never "" */
    if (strcmp(r->status, "SUCCESS") == 0) {
        wxp__fake_rfc3339(r->succeeded_at, succeeded);
        wxp_jw_key(&w, "success_time");      wxp_jw_cstring(&w, succeeded);
    }
    wxp_jw_key(&w, "create_time");           wxp_jw_cstring(&w, created);
    wxp_jw_key(&w, "status");                wxp_jw_cstring(&w, r->status);
    /* funds_account AVAILABLE was asked for; without it the unsettled funds pay. */
    wxp_jw_key(&w, "funds_account");
    wxp_jw_cstring(&w, strcmp(r->account, "REFUND_SOURCE_RECHARGE_FUNDS") == 0 ? "AVAILABLE" : "UNSETTLED");
    wxp_jw_key(&w, "amount");
    wxp_jw_object_begin(&w);
    wxp_jw_key(&w, "total");  wxp_jw_int(&w, o->total);
    wxp_jw_key(&w, "refund"); wxp_jw_int(&w, r->amount);
    wxp_jw_key(&w, "from");
    wxp_jw_array_begin(&w);
    for (i = 0; i < r->from_count; i++) {
        wxp_jw_object_begin(&w);
        wxp_jw_key(&w, "account"); wxp_jw_cstring(&w, r->from[i].account);
        wxp_jw_key(&w, "amount");  wxp_jw_int(&w, r->from[i].amount);
        wxp_jw_object_end(&w);
    }
    wxp_jw_array_end(&w);
    /* Coupons (wxp_fake_order_coupon) paid part of the order: the payer gets back
       the cash part, each coupon its share; settlement leaves out NO_CASH ones. */
    wxp_jw_key(&w, "payer_total");       wxp_jw_int(&w, o->total - wxp__fake_coupon_sum(o, 0));
    wxp_jw_key(&w, "payer_refund");
    wxp_jw_int(&w, r->amount - wxp__fake_refund_coupons(o, r, 0));
    wxp_jw_key(&w, "settlement_refund");
    wxp_jw_int(&w, r->amount - wxp__fake_refund_coupons(o, r, 1));
    wxp_jw_key(&w, "settlement_total");  wxp_jw_int(&w, o->total - wxp__fake_coupon_sum(o, 1));
    wxp_jw_key(&w, "discount_refund");   wxp_jw_int(&w, wxp__fake_refund_coupons(o, r, 0));
    wxp_jw_key(&w, "currency");          wxp_jw_cstring(&w, "CNY");
    wxp_jw_object_end(&w);
    wxp_jw_key(&w, "promotion_detail");
    wxp_jw_array_begin(&w);
    for (i = 0; i < o->coupon_count; i++) {
        const wxp_fake_paid_coupon *c = &o->coupons[i];
        wxp_jw_object_begin(&w);
        wxp_jw_key(&w, "promotion_id");  wxp_jw_cstring(&w, c->coupon_id);
        wxp_jw_key(&w, "scope");         wxp_jw_cstring(&w, "GLOBAL");
        /* APIv3 calls CASH coupons COUPON and NO_CASH ones DISCOUNT. */
        wxp_jw_key(&w, "type");
        wxp_jw_cstring(&w, strcmp(c->type, "CASH") == 0 ? "COUPON" : "DISCOUNT");
        wxp_jw_key(&w, "amount");        wxp_jw_int(&w, c->fee);
        wxp_jw_key(&w, "refund_amount"); wxp_jw_int(&w, r->coupon_refund[i]);
        wxp_jw_key(&w, "goods_detail");
        wxp_jw_array_begin(&w);
        wxp_jw_array_end(&w);
        wxp_jw_object_end(&w);
    }
    wxp_jw_array_end(&w);
    wxp_jw_object_end(&w);
    wxp__fake_done(f, &w, 200);
}

/* Parses the request body into p->doc (a copy: the reader unescapes in place).
   Returns 1, or 0 with a PARAM_ERROR answer ready. */
static int wxp__fake_parse_body(wxp_fake *f, const wxp_http_request *req)
{
    wxp__fake_priv *p = &f->wxp__priv;
    wxp_result r;
    wxp_err e;
    if (req->body.len > WXP_FAKE_BODY_MAX) {
        wxp__fake_error(f, 400, "PARAM_ERROR",
                        "the request body is larger than the fake's WXP_FAKE_BODY_MAX");
        return 0;
    }
    if (req->body.len) memcpy(p->in, req->body.ptr, req->body.len);
    p->in[req->body.len] = 0;
    e = wxp_json_parse(&p->doc, p->in, req->body.len, p->tok, WXP_FAKE_JSON_TOKENS, &r);
    if (e == WXP_E_NOSPACE) {
        wxp__fake_error(f, 400, "PARAM_ERROR",
                        "the request body has more than WXP_FAKE_JSON_TOKENS JSON tokens");
        return 0;
    }
    if (e != WXP_OK || p->doc.count == 0 || p->doc.tok[0].type != WXP_JSON_OBJECT) {
        wxp__fake_error(f, 400, "PARAM_ERROR", "the request body is not a JSON object");
        return 0;
    }
    return 1;
}

/* Reads amount.from[] into from; returns the count, or -1 with PARAM_ERROR ready. */
static int wxp__fake_parse_from(wxp_fake *f, int amount, wxp_fake_from *from)
{
    const wxp_json *doc = &f->wxp__priv.doc;
    int t = wxp_json_get(doc, amount, "from"), el, n = 0;
    if (t < 0) return 0;
    if (doc->tok[t].type != WXP_JSON_ARRAY) {
        wxp__fake_param_error(f, "amount.from", " must be an array");
        return -1;
    }
    for (el = wxp_json_first(doc, t); el >= 0; el = wxp_json_next(doc, t, el)) {
        wxp_str acc;
        long long amt = 0;
        int rc;
        if (n >= WXP_FAKE_MAX_FROM) {
            wxp__fake_param_error(f, "amount.from", " has more entries than WXP_FAKE_MAX_FROM");
            return -1;
        }
        if (doc->tok[el].type != WXP_JSON_OBJECT) {
            wxp__fake_param_error(f, "amount.from[]", " must be an object");
            return -1;
        }
        if ((rc = wxp__fake_jstr(f, el, "account", "amount.from[].account", &acc)) < 0) return -1;
        if (rc == 0 || !(wxp__fake_eq(acc, "AVAILABLE") || wxp__fake_eq(acc, "UNAVAILABLE"))) {
            wxp__fake_param_error(f, "amount.from[].account", " must be AVAILABLE or UNAVAILABLE");
            return -1;
        }
        if ((rc = wxp__fake_jint(f, el, "amount", "amount.from[].amount", &amt)) < 0) return -1;
        if (rc == 0 || amt <= 0) {
            wxp__fake_param_error(f, "amount.from[].amount", " must be at least 1 fen");
            return -1;
        }
        (void)wxp__fake_copy(from[n].account, sizeof from[n].account, acc.ptr, acc.len);
        from[n].amount = amt;
        n++;
    }
    return n;
}

/* A barcode payment (o->customer): the money goes back to the customer's wallet. */
static void wxp__fake_give_back(wxp_fake *f, const wxp_fake_order *o, long long amount)
{
    wxp_fake_customer *c;
    if (!o->customer) return;
    c = &f->wxp__priv.customers[o->customer - 1];
    c->balance += amount;
    c->given_back += amount;
}

/* Books a new refund of amount fen on o (the caller checked every rule and
   that the book has room): PROCESSING, coupon shares, the order's sums. */
static wxp_fake_refund *wxp__fake_book(wxp_fake *f, wxp_fake_order *o, wxp_str out_refund_no,
                                       long long amount, const char *account)
{
    wxp__fake_priv *p = &f->wxp__priv;
    long long now = wxp__fake_now(f);
    wxp_fake_refund *r = &p->refunds[p->nrefunds++];
    memset(r, 0, sizeof *r);
    (void)wxp__fake_copy(r->out_refund_no, sizeof r->out_refund_no, out_refund_no.ptr,
                         out_refund_no.len);
    /* 5030 + 0000 + date + sequence: 29 digits like WeChat Pay's refund ids. */
    memcpy(r->refund_id, "50300000", 8);
    wxp__fake_ymd(now, r->refund_id + 8);
    wxp__fake_digits(r->refund_id + 16, ++p->seq, 13);
    r->refund_id[29] = 0;
    (void)wxp__fake_copy(r->status, sizeof r->status, "PROCESSING", 10);
    r->order = (size_t)(o - p->orders);
    r->amount = amount;
    r->created_at = now;
    /* The APIv2 name of where the money came from (refundquery's refund_account). */
    (void)wxp__fake_copy(r->account, sizeof r->account, account, strlen(account));
    wxp__fake_split(o, amount, r->coupon_refund);
    wxp__fake_book_split(o, r);
    o->refunded += amount;
    o->refund_count++;
    if (p->has_balance) p->balance -= amount;
    wxp__fake_give_back(f, o, amount);
    return r;
}

/* WeChat Pay's rules for a new refund of fee on the paid order o, both APIs:
   NULL when it may be booked, else the refusal's row with the reason in msg
   (APIv2: WeChat Pay's own words where they are known). */
static const wxp__fake_code *wxp__fake_refund_rules(wxp_fake *f, const wxp_fake_order *o,
                                                    long long fee)
{
    wxp__fake_priv *p = &f->wxp__priv;
    long long left = o->total - o->refunded;
    const char *code = NULL, *say = NULL;
    size_t n = 0;
    /* One year is the pay time plus 365 days (pay.weixin.qq.com/doc/v3/merchant/4012556457). */
    if (wxp__fake_now(f) - o->paid_at > 365LL * 86400) {
        code = "TRADE_OVERDUE";
        say = "the order was paid more than 365 days ago: it can no longer be refunded";
    } else if (o->refund_count >= WXP_FAKE_REFUND_LIMIT) {
        code = "INVALID_REQUEST";
        n = wxp__fake_cats(p->msg, sizeof p->msg, 0, "the order already has ");
        n = wxp__fake_cat_int(p->msg, sizeof p->msg, n, WXP_FAKE_REFUND_LIMIT);
        say = " refunds, the most WeChat Pay allows on one order";
    } else if (left <= 0) {
        code = "ERROR";
        say = p->v2 ? WXP__FAKE_ZH_ALLBACK : "the order is already refunded in full";
    } else if (fee > left) {
        code = "INVALID_REQUEST";
        if (p->v2) say = WXP__FAKE_ZH_TOOMUCH;
        else {
            n = wxp__fake_cats(p->msg, sizeof p->msg, 0,
                               "the refund exceeds what is left to refund on the order (");
            n = wxp__fake_cat_int(p->msg, sizeof p->msg, n, left);
            say = " fen)";
        }
    } else if (p->has_balance && fee > p->balance) {
        code = "NOT_ENOUGH";
        n = wxp__fake_cats(p->msg, sizeof p->msg, 0, WXP__FAKE_ZH_BASIC_SHORT " (");
        n = wxp__fake_cat_int(p->msg, sizeof p->msg, n, p->balance);
        say = " fen available)";
    }
    if (!code) return NULL;
    (void)wxp__fake_cats(p->msg, sizeof p->msg, n, say);
    return wxp__fake_code_by(code);
}

/* POST /v3/refund/domestic/refunds */
static void wxp__fake_refund_create(wxp_fake *f, const wxp_http_request *req)
{
    wxp__fake_priv *p = &f->wxp__priv;
    wxp_str orn, tid = { NULL, 0 }, otn = { NULL, 0 }, s;
    long long refund = 0, total = 0;
    int rc, has_tid, has_otn, amount, t, nfrom, recharge;
    wxp_fake_from from[WXP_FAKE_MAX_FROM];
    wxp_fake_order *o;
    wxp_fake_refund *r;
    const wxp__fake_code *rule;

    if (!wxp__fake_parse_body(f, req)) return;
    if ((rc = wxp__fake_jstr(f, 0, "sub_mchid", "sub_mchid", &s)) < 0) return;
    if (rc && wxp__fake_sub(f, s) < 0) {
        wxp__fake_refuse(f, wxp__fake_code_by("MCH_NOT_EXISTS"),
                         wxp__fake_say(f, "sub_mchid ", s, " is not a sub-merchant of this service provider"));
        return;
    }
    if ((rc = wxp__fake_jstr(f, 0, "out_refund_no", "out_refund_no", &orn)) < 0) return;
    if (rc == 0) { wxp__fake_param_error(f, "out_refund_no", " is required"); return; }
    if (!wxp__fake_outno_ok(orn, 64)) {
        wxp__fake_param_error(f, "out_refund_no", " must be 1-64 characters of [0-9A-Za-z_-|*@]");
        return;
    }
    if ((has_tid = wxp__fake_jstr(f, 0, "transaction_id", "transaction_id", &tid)) < 0) return;
    if ((has_otn = wxp__fake_jstr(f, 0, "out_trade_no", "out_trade_no", &otn)) < 0) return;
    if (!has_tid && !has_otn) {
        wxp__fake_param_error(f, "transaction_id", " or out_trade_no is required");
        return;
    }
    if ((rc = wxp__fake_jstr(f, 0, "reason", "reason", &s)) < 0) return;
    if (rc && wxp__fake_utf8_count(s) > 80) {
        wxp__fake_param_error(f, "reason", " is longer than 80 characters");
        return;
    }
    if ((rc = wxp__fake_jstr(f, 0, "notify_url", "notify_url", &s)) < 0) return;
    if (rc && (s.len <= 8 || !wxp__fake_prefix(s, "https://"))) {
        wxp__fake_param_error(f, "notify_url", " must be an https:// URL");
        return;
    }
    if ((rc = wxp__fake_jstr(f, 0, "funds_account", "funds_account", &s)) < 0) return;
    if (rc && !wxp__fake_eq(s, "AVAILABLE")) {
        wxp__fake_param_error(f, "funds_account", " must be AVAILABLE");
        return;
    }
    recharge = rc;
    t = wxp_json_get(&p->doc, 0, "goods_detail");
    if (t >= 0 && p->doc.tok[t].type != WXP_JSON_ARRAY) {
        wxp__fake_param_error(f, "goods_detail", " must be an array");
        return;
    }
    amount = wxp_json_get(&p->doc, 0, "amount");
    if (amount < 0) { wxp__fake_param_error(f, "amount", " is required"); return; }
    if (p->doc.tok[amount].type != WXP_JSON_OBJECT) {
        wxp__fake_param_error(f, "amount", " must be an object");
        return;
    }
    if ((rc = wxp__fake_jint(f, amount, "refund", "amount.refund", &refund)) < 0) return;
    if (rc == 0) { wxp__fake_param_error(f, "amount.refund", " is required"); return; }
    if ((rc = wxp__fake_jint(f, amount, "total", "amount.total", &total)) < 0) return;
    if (rc == 0) { wxp__fake_param_error(f, "amount.total", " is required"); return; }
    if ((rc = wxp__fake_jstr(f, amount, "currency", "amount.currency", &s)) < 0) return;
    if (rc == 0 || !wxp__fake_eq(s, "CNY")) {
        wxp__fake_param_error(f, "amount.currency", " must be CNY");
        return;
    }
    if ((nfrom = wxp__fake_parse_from(f, amount, from)) < 0) return;
    if (refund <= 0) {
        wxp__fake_param_error(f, "amount.refund", " must be at least 1 fen");
        return;
    }
    if (total <= 0) {
        wxp__fake_param_error(f, "amount.total", " must be at least 1 fen");
        return;
    }

    /* transaction_id wins when both are given, as on the real server. */
    o = has_tid ? wxp__fake_order_by(f, tid, 1) : wxp__fake_order_by(f, otn, 0);
    if (!o) {
        wxp__fake_error(f, 404, "RESOURCE_NOT_EXISTS",
                        wxp__fake_say(f, "the order ", has_tid ? tid : otn, " does not exist"));
        return;
    }
    if (!wxp__fake_paid(o)) {
        wxp__fake_error(f, 404, "RESOURCE_NOT_EXISTS",
                        wxp__fake_say(f, "the order ", has_tid ? tid : otn,
                                      " has no payment to refund (it is not paid)"));
        return;
    }
    r = wxp__fake_refund_by(f, orn);
    if (r) {
        /* A retry with the same out_refund_no is answered, never booked twice. */
        if (&p->orders[r->order] != o || r->amount != refund) {
            wxp__fake_error(f, 400, "INVALID_REQUEST",
                            wxp__fake_say(f, "out_refund_no ", orn,
                                          " was already used with another order or amount;"
                                          " a retry must repeat the same parameters"));
            return;
        }
        wxp__fake_reply_refund(f, r);
        return;
    }
    if (total != o->total) {
        size_t n = wxp__fake_cats(p->msg, sizeof p->msg, 0, "amount.total ");
        n = wxp__fake_cat_int(p->msg, sizeof p->msg, n, total);
        n = wxp__fake_cats(p->msg, sizeof p->msg, n, " is not the order total ");
        (void)wxp__fake_cat_int(p->msg, sizeof p->msg, n, o->total);
        wxp__fake_error(f, 400, "PARAM_ERROR", NULL);
        return;
    }
    if ((rule = wxp__fake_refund_rules(f, o, refund)) != NULL) {
        wxp__fake_refuse(f, rule, p->msg);
        return;
    }
    if (p->nrefunds >= WXP_FAKE_MAX_REFUNDS) {
        wxp__fake_error(f, 500, "SYSTEM_ERROR",
                        "the fake's refund book is full (WXP_FAKE_MAX_REFUNDS)");
        return;
    }
    r = wxp__fake_book(f, o, orn, refund,
                       recharge ? "REFUND_SOURCE_RECHARGE_FUNDS" : "REFUND_SOURCE_UNSETTLED_FUNDS");
    r->from_count = (size_t)nfrom;
    if (nfrom) memcpy(r->from, from, (size_t)nfrom * sizeof from[0]);
    wxp__fake_reply_refund(f, r);
}

/* GET /v3/refund/domestic/refunds/{out_refund_no} */
static void wxp__fake_refund_query(wxp_fake *f, wxp_str seg)
{
    char no[65];
    wxp_fake_refund *r;
    if (!wxp__fake_unpct(seg.ptr, seg.len, no, sizeof no) ||
        !wxp__fake_outno_ok(wxp_cstr(no), 64)) {
        wxp__fake_param_error(f, "out_refund_no", " in the path is malformed");
        return;
    }
    r = wxp__fake_refund_by(f, wxp_cstr(no));
    if (!r) {
        wxp__fake_error(f, 404, "RESOURCE_NOT_EXISTS",
                        wxp__fake_say(f, "the refund ", wxp_cstr(no), " does not exist"));
        return;
    }
    wxp__fake_settle(f, r);
    wxp__fake_reply_refund(f, r);
}

/* ==== >>fake:transactions =================================================== */

/* The value of name in a query string, percent-decoded into out. */
static int wxp__fake_query_param(wxp_str q, const char *name, char *out, size_t cap)
{
    size_t i = 0, nl = strlen(name);
    while (i < q.len) {
        size_t s = i, e;
        while (i < q.len && q.ptr[i] != '&') i++;
        e = i++;
        if (e - s > nl && memcmp(q.ptr + s, name, nl) == 0 && q.ptr[s + nl] == '=')
            return wxp__fake_unpct(q.ptr + s + nl + 1, e - s - nl - 1, out, cap);
    }
    return 0;
}

/* The trade_state an order is queried with: a refunded payment is REFUND. */
static const char *wxp__fake_query_state(const wxp_fake_order *o)
{
    if (wxp__fake_paid(o) && o->refunded > 0) return "REFUND";
    return o->trade_state;
}

static const char *wxp__fake_state_desc(const char *state)
{
    if (strcmp(state, "SUCCESS") == 0) return WXP__FAKE_ZH_PAID;
    if (strcmp(state, "REFUND") == 0) return WXP__FAKE_ZH_REFUND;
    if (strcmp(state, "CLOSED") == 0) return WXP__FAKE_ZH_CLOSED;
    if (strcmp(state, "REVOKED") == 0) return WXP__FAKE_ZH_REVOKED;
    if (strcmp(state, "USERPAYING") == 0) return WXP__FAKE_ZH_USERPAYING;
    if (strcmp(state, "PAYERROR") == 0) return WXP__FAKE_ZH_PAYERROR;
    return WXP__FAKE_ZH_NOTPAY;
}

/* The payer's openid: the barcode customer's, else the documentation's. */
static const char *wxp__fake_payer(const wxp_fake *f, const wxp_fake_order *o)
{
    return o->customer ? f->wxp__priv.customers[o->customer - 1].openid : WXP_FAKE_OPENID;
}

/* The transaction o as WeChat Pay writes it (query, callback, code-pay), with
   trade_state state: the partner shape (sp_*, sub_*, payer.sp_openid and
   sub_openid) for a sub-merchant's order. An order without a payment has no
   transaction_id, bank_type, attach, success_time, payer nor payer_total, and
   when placed (not code-pay) no trade_type, as WeChat Pay's NOTPAY answers. */
static void wxp__fake_write_tx(wxp_fake *f, wxp_json_writer *w, const wxp_fake_order *o,
                               const char *state)
{
    wxp__fake_priv *p = &f->wxp__priv;
    int partner = o->sub_mchid[0] != 0, paid = o->transaction_id[0] != 0;
    const char *appid = o->appid[0] ? o->appid : p->cfg.appid;
    char when[26];
    size_t i;
    wxp_jw_object_begin(w);
    if (partner) {
        wxp_jw_key(w, "sp_appid");  wxp_jw_cstring(w, appid);
        wxp_jw_key(w, "sp_mchid");  wxp_jw_cstring(w, p->cfg.mchid);
        if (o->sub_appid[0]) { wxp_jw_key(w, "sub_appid"); wxp_jw_cstring(w, o->sub_appid); }
        wxp_jw_key(w, "sub_mchid"); wxp_jw_cstring(w, o->sub_mchid);
    } else {
        wxp_jw_key(w, "appid");     wxp_jw_cstring(w, appid);
        wxp_jw_key(w, "mchid");     wxp_jw_cstring(w, p->cfg.mchid);
    }
    wxp_jw_key(w, "out_trade_no");  wxp_jw_cstring(w, o->out_trade_no);
    if (paid) { wxp_jw_key(w, "transaction_id"); wxp_jw_cstring(w, o->transaction_id); }
    if (paid || strcmp(o->trade_type, "MICROPAY") == 0) {
        wxp_jw_key(w, "trade_type");
        wxp_jw_cstring(w, o->trade_type[0] ? o->trade_type : "NATIVE");
    }
    wxp_jw_key(w, "trade_state");      wxp_jw_cstring(w, state);
    wxp_jw_key(w, "trade_state_desc"); wxp_jw_cstring(w, wxp__fake_state_desc(state));
    if (paid) {
        wxp_jw_key(w, "bank_type");     wxp_jw_cstring(w, "OTHERS");
        if (o->attach[0]) { wxp_jw_key(w, "attach"); wxp_jw_cstring(w, o->attach); }
        wxp__fake_rfc3339(o->paid_at, when);
        wxp_jw_key(w, "success_time");  wxp_jw_cstring(w, when);
        wxp_jw_key(w, "payer");
        wxp_jw_object_begin(w);
        if (!partner) {
            wxp_jw_key(w, "openid");
            wxp_jw_cstring(w, o->openid[0] ? o->openid : wxp__fake_payer(f, o));
        } else {
            /* A code-pay customer is known to the service provider's AppID. */
            if (o->openid[0] || o->customer) {
                wxp_jw_key(w, "sp_openid");
                wxp_jw_cstring(w, o->openid[0] ? o->openid : wxp__fake_payer(f, o));
            }
            if (o->sub_openid[0]) { wxp_jw_key(w, "sub_openid"); wxp_jw_cstring(w, o->sub_openid); }
        }
        wxp_jw_object_end(w);
    }
    wxp_jw_key(w, "amount");
    wxp_jw_object_begin(w);
    wxp_jw_key(w, "total");             wxp_jw_int(w, o->total);
    if (paid) {
        wxp_jw_key(w, "payer_total");   wxp_jw_int(w, o->total - wxp__fake_coupon_sum(o, 0));
        wxp_jw_key(w, "currency");      wxp_jw_cstring(w, "CNY");
    }
    wxp_jw_key(w, "payer_currency");    wxp_jw_cstring(w, "CNY");
    wxp_jw_object_end(w);
    wxp_jw_key(w, "promotion_detail");
    wxp_jw_array_begin(w);
    for (i = 0; paid && i < o->coupon_count; i++) {
        wxp_jw_object_begin(w);
        wxp_jw_key(w, "coupon_id");     wxp_jw_cstring(w, o->coupons[i].coupon_id);
        wxp_jw_key(w, "scope");         wxp_jw_cstring(w, "GLOBAL");
        /* Transactions spell NO_CASH as NOCASH. */
        wxp_jw_key(w, "type");
        wxp_jw_cstring(w, strcmp(o->coupons[i].type, "CASH") == 0 ? "CASH" : "NOCASH");
        wxp_jw_key(w, "amount");        wxp_jw_int(w, o->coupons[i].fee);
        wxp_jw_key(w, "currency");      wxp_jw_cstring(w, "CNY");
        wxp_jw_object_end(w);
    }
    wxp_jw_array_end(w);
    wxp_jw_object_end(w);
}

/* Answers the transaction o with status (200; 202 while a code-pay customer types). */
static void wxp__fake_reply_tx(wxp_fake *f, const wxp_fake_order *o, int status)
{
    wxp_json_writer w;
    wxp_jw_init(&w, f->wxp__priv.out, sizeof f->wxp__priv.out);
    wxp__fake_write_tx(f, &w, o, wxp__fake_query_state(o));
    wxp__fake_done(f, &w, status);
}

/* A code-pay customer acts when the order is looked at: after
   WXP_FAKE_PASSWORD_S the customer of an APIv3 code-pay gives up typing the
   password (PAYERROR); a query (poll) counts, and the polls-th one sees the
   payment of a PAY_AFTER_POLLS customer. */
static void wxp__fake_touch(wxp_fake *f, wxp_fake_order *o, int poll)
{
    if (poll) o->queries++;
    if (strcmp(o->trade_state, "USERPAYING") != 0 || !o->customer) return;
    if (o->v3 && wxp__fake_now(f) - o->created_at >= WXP_FAKE_PASSWORD_S) {
        wxp__fake_set_state(o, "PAYERROR");
        o->polls_left = 0;
        return;
    }
    if (poll && o->polls_left && --o->polls_left == 0)
        (void)wxp__fake_charge(f, o, &f->wxp__priv.customers[o->customer - 1]);
}

/* The order named by a direct path (partner 0) or a partner path for
   sub_mchid: a partner order is found by partner paths only, and only under
   its sub-merchant. */
static wxp_fake_order *wxp__fake_order_for(wxp_fake *f, wxp_str id, int by_tid, int partner,
                                           wxp_str sub_mchid)
{
    wxp_fake_order *o = wxp__fake_order_by(f, id, by_tid);
    if (o && (partner ? !wxp__fake_eq(sub_mchid, o->sub_mchid) : o->sub_mchid[0] != 0)) return NULL;
    return o;
}

/* GET /v3/pay/transactions/{out-trade-no|id}/{id}?mchid=..., and the partner
   form GET /v3/pay/partner/transactions/...?sp_mchid=...&sub_mchid=... */
static void wxp__fake_trade_query(wxp_fake *f, wxp_str seg, wxp_str query, int by_tid, int partner)
{
    wxp__fake_priv *p = &f->wxp__priv;
    char id[33], mchid[33], sub[33];
    const char *mkey = partner ? "sp_mchid" : "mchid";
    wxp_fake_order *o;
    sub[0] = 0;
    if (!wxp__fake_unpct(seg.ptr, seg.len, id, sizeof id) || !id[0]) {
        wxp__fake_param_error(f, by_tid ? "transaction_id" : "out_trade_no",
                              " in the path is malformed");
        return;
    }
    if (!wxp__fake_query_param(query, mkey, mchid, sizeof mchid)) {
        wxp__fake_param_error(f, mkey, " is required in the query");
        return;
    }
    if (strcmp(mchid, p->cfg.mchid) != 0) {
        wxp__fake_param_error(f, mkey, " in the query is not this merchant");
        return;
    }
    if (partner && (!wxp__fake_query_param(query, "sub_mchid", sub, sizeof sub) || !sub[0])) {
        wxp__fake_param_error(f, "sub_mchid", " is required in the query");
        return;
    }
    o = wxp__fake_order_for(f, wxp_cstr(id), by_tid, partner, wxp_cstr(sub));
    if (!o) {
        wxp__fake_error(f, 404, "ORDER_NOT_EXIST",
                        wxp__fake_say(f, "the order ", wxp_cstr(id), " does not exist"));
        return;
    }
    wxp__fake_touch(f, o, 1);
    wxp__fake_reply_tx(f, o, 200);
}

/* POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close {"mchid"}, and
   the partner form {"sp_mchid","sub_mchid"} */
static void wxp__fake_trade_close(wxp_fake *f, const wxp_http_request *req, wxp_str seg, int partner)
{
    wxp__fake_priv *p = &f->wxp__priv;
    const char *mkey = partner ? "sp_mchid" : "mchid";
    char id[33];
    wxp_fake_order *o;
    wxp_str mchid, sub = { "", 0 };
    int rc;
    if (!wxp__fake_unpct(seg.ptr, seg.len, id, sizeof id) || !wxp__fake_outno_ok(wxp_cstr(id), 32)) {
        wxp__fake_param_error(f, "out_trade_no", " in the path is malformed");
        return;
    }
    if (!wxp__fake_parse_body(f, req)) return;
    if ((rc = wxp__fake_jstr(f, 0, mkey, mkey, &mchid)) < 0) return;
    if (rc == 0) { wxp__fake_param_error(f, mkey, " is required"); return; }
    if (!wxp__fake_eq(mchid, p->cfg.mchid)) {
        wxp__fake_param_error(f, mkey, " is not this merchant");
        return;
    }
    if (partner) {
        if ((rc = wxp__fake_jstr(f, 0, "sub_mchid", "sub_mchid", &sub)) < 0) return;
        if (rc == 0 || !sub.len) { wxp__fake_param_error(f, "sub_mchid", " is required"); return; }
    }
    o = wxp__fake_order_for(f, wxp_cstr(id), 0, partner, sub);
    if (!o) {
        wxp__fake_error(f, 404, "ORDER_NOT_EXIST",
                        wxp__fake_say(f, "the order ", wxp_cstr(id), " does not exist"));
        return;
    }
    wxp__fake_touch(f, o, 0);
    if (wxp__fake_paid(o)) {
        wxp__fake_error(f, 400, "ORDERPAID",
                        wxp__fake_say(f, "the order ", wxp_cstr(id),
                                      " is paid: refund it instead of closing it"));
        return;
    }
    /* NOTPAY (USERPAYING, PAYERROR) becomes CLOSED; closing a closed or a
       reversed order again is answered the same. */
    if (strcmp(o->trade_state, "REVOKED") != 0)
        wxp__fake_set_state(o, "CLOSED");
    o->polls_left = 0;
    p->status = 204;
    p->out_len = 0;
    p->out[0] = 0;
}

/* ==== >>fake:payments ======================================================= */

#define WXP__FAKE_FNV 0xCBF29CE484222325ULL

/* FNV-1a over "key\xff value\xfe": the hash of a placement's fields. */
static unsigned long long wxp__fake_hash(unsigned long long h, const char *key, wxp_str v)
{
    size_t i, n = strlen(key);
    for (i = 0; i < n + 1 + v.len + 1; i++) {
        unsigned char c = i < n ? (unsigned char)key[i]
                          : i == n ? 0xFF
                          : i <= n + v.len ? (unsigned char)v.ptr[i - n - 1] : 0xFE;
        h = (h ^ c) * 0x100000001B3ULL;
    }
    return h;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil). */
static long long wxp__fake_days(long long y, long long m, long long d)
{
    long long era, yoe, doy;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* RFC 3339 (yyyy-MM-DDTHH:mm:ss[.fraction] and Z or +HH:MM / -HH:MM) into
   Unix time: 1, or 0 when malformed. */
static int wxp__fake_parse_time(wxp_str s, long long *t)
{
    static const char form[] = "dddd-dd-ddTdd:dd:dd";
    static const unsigned char at[6] = { 0, 5, 8, 11, 14, 17 }, len[6] = { 4, 2, 2, 2, 2, 2 };
    long long v[6], off;
    size_t i, k;
    if (s.len < 20) return 0;
    for (i = 0; i < 19; i++)
        if (form[i] == 'd' ? !(s.ptr[i] >= '0' && s.ptr[i] <= '9') : s.ptr[i] != form[i]) return 0;
    for (k = 0; k < 6; k++)
        for (v[k] = 0, i = at[k]; i < (size_t)at[k] + len[k]; i++) v[k] = v[k] * 10 + (s.ptr[i] - '0');
    if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60) return 0;
    i = 19;
    if (s.ptr[i] == '.') {
        for (k = ++i; i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9'; i++) {}
        if (i == k) return 0;
    }
    if (i + 1 == s.len && (s.ptr[i] == 'Z' || s.ptr[i] == 'z')) {
        off = 0;
    } else if (i + 6 == s.len && (s.ptr[i] == '+' || s.ptr[i] == '-') && s.ptr[i + 3] == ':') {
        for (k = 1; k < 6; k++)
            if (k != 3 && !(s.ptr[i + k] >= '0' && s.ptr[i + k] <= '9')) return 0;
        off = ((s.ptr[i + 1] - '0') * 10 + (s.ptr[i + 2] - '0')) * 3600LL +
              ((s.ptr[i + 4] - '0') * 10 + (s.ptr[i + 5] - '0')) * 60LL;
        if (s.ptr[i] == '-') off = -off;
    } else {
        return 0;
    }
    *t = wxp__fake_days(v[0], v[1], v[2]) * 86400 + v[3] * 3600 + v[4] * 60 + v[5] - off;
    return 1;
}

/* A placed order's out_trade_no: 6-32 of [0-9A-Za-z_-*] and the extra
   characters (placement's documentation allows '|'; code-pay's does not). */
static int wxp__fake_otn_ok(wxp_str s, const char *extra)
{
    size_t i;
    if (s.len < 6 || s.len > 32) return 0;
    for (i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              c == '_' || c == '-' || c == '*' || (c && strchr(extra, c))))
            return 0;
    }
    return 1;
}

/* notify_url: https:// without a query; plain http only to a loopback
   listener (a private line may use http; the test server delivers there). */
static int wxp__fake_notify_url_ok(wxp_str u)
{
    if (memchr(u.ptr, '?', u.len) || memchr(u.ptr, '#', u.len) || memchr(u.ptr, ' ', u.len)) return 0;
    if (wxp__fake_prefix(u, "https://")) return u.len > 8;
    return wxp__fake_prefix(u, "http://127.0.0.1:") || wxp__fake_prefix(u, "http://127.0.0.1/") ||
           wxp__fake_prefix(u, "http://localhost:") || wxp__fake_prefix(u, "http://localhost/");
}

/* An AppID bound to the merchant: config.appid or one of config.appids. */
static int wxp__fake_our_appid(const wxp_fake *f, wxp_str a)
{
    const wxp_fake_config *c = &f->wxp__priv.cfg;
    size_t i;
    if (wxp__fake_eq(a, c->appid)) return 1;
    for (i = 0; i < WXP_FAKE_MAX_APPS; i++)
        if (c->appids[i] && wxp__fake_eq(a, c->appids[i])) return 1;
    return 0;
}

/* Who pays in: the merchant that signed, an AppID bound to it, and for a
   service provider a sub-merchant it serves (and that one's AppID). Nonzero:
   refused, the answer made; *sub: the sub-merchant's index. */
static int wxp__fake_payee(wxp_fake *f, int partner, wxp_str mchid, wxp_str appid, wxp_str sub_mchid,
                           wxp_str sub_appid, int *sub)
{
    const wxp_fake_config *c = &f->wxp__priv.cfg;
    if (!wxp__fake_eq(mchid, c->mchid)) {
        wxp__fake_param_error(f, partner ? "sp_mchid" : "mchid", " is not the merchant that signed the request");
        return 1;
    }
    if (!wxp__fake_our_appid(f, appid)) {
        wxp__fake_error(f, 400, "APPID_MCHID_NOT_MATCH", WXP__FAKE_ZH_NOMATCH3);
        return 1;
    }
    if (partner && (*sub = wxp__fake_sub(f, sub_mchid)) < 0) {
        wxp__fake_error(f, 400, "MCH_NOT_EXISTS", WXP__FAKE_ZH_NOMCH);
        return 1;
    }
    if (sub_appid.len && (*sub < 0 || !c->sub_appids[*sub] || !wxp__fake_eq(sub_appid, c->sub_appids[*sub]))) {
        wxp__fake_error(f, 400, "APPID_MCHID_NOT_MATCH", WXP__FAKE_ZH_NOMATCH3);
        return 1;
    }
    return 0;
}

/* A string member key of obj (absent when obj < 0), label its full name: 1
   set, 0 absent or empty, -1 answered (PARAM_ERROR: not a string, longer
   than max characters, or required and not set). */
static int wxp__fake_field(wxp_fake *f, int obj, const char *key, const char *label, size_t max,
                           int required, wxp_str *out)
{
    wxp__fake_priv *p = &f->wxp__priv;
    int rc = obj < 0 ? 0 : wxp__fake_jstr(f, obj, key, label, out);
    size_t n;
    if (rc < 0) return -1;
    if (rc == 0 || out->len == 0) {
        out->ptr = "";
        out->len = 0;
        if (!required) return 0;
        wxp__fake_param_error(f, label, " is required");
        return -1;
    }
    if (wxp__fake_utf8_count(*out) <= max) return 1;
    n = wxp__fake_cats(p->msg, sizeof p->msg, 0, label);
    n = wxp__fake_cats(p->msg, sizeof p->msg, n, " is longer than ");
    n = wxp__fake_cat_int(p->msg, sizeof p->msg, n, (long long)max);
    (void)wxp__fake_cats(p->msg, sizeof p->msg, n, " characters");
    wxp__fake_error(f, 400, "PARAM_ERROR", NULL);
    return -1;
}

/* The object member key of obj: its token; -1 absent; -2 answered (not an object). */
static int wxp__fake_jobj(wxp_fake *f, int obj, const char *key, const char *label)
{
    int t = obj < 0 ? -1 : wxp_json_get(&f->wxp__priv.doc, obj, key);
    if (t < 0) return -1;
    if (f->wxp__priv.doc.tok[t].type != WXP_JSON_OBJECT) {
        wxp__fake_param_error(f, label, " must be an object");
        return -2;
    }
    return t;
}

/* A boolean member: 1 set (*v), 0 absent, -1 answered (not true or false). */
static int wxp__fake_jbool(wxp_fake *f, int obj, const char *key, const char *label, int *v)
{
    int t = obj < 0 ? -1 : wxp_json_get(&f->wxp__priv.doc, obj, key);
    if (t < 0) return 0;
    if (wxp_json_bool(&f->wxp__priv.doc, t, v) != WXP_OK) {
        wxp__fake_param_error(f, label, " must be true or false");
        return -1;
    }
    return 1;
}

/* amount {total >= 1 fen, currency CNY}: 1 with *total, or 0 answered. */
static int wxp__fake_amount(wxp_fake *f, long long *total)
{
    wxp_str cur;
    int rc, amount = wxp__fake_jobj(f, 0, "amount", "amount");
    if (amount == -2) return 0;
    if (amount < 0) { wxp__fake_param_error(f, "amount", " is required"); return 0; }
    if ((rc = wxp__fake_jint(f, amount, "total", "amount.total", total)) < 0) return 0;
    if (rc == 0 || *total < 1 || *total > WXP__FAKE_FEN_MAX) {
        wxp__fake_param_error(f, "amount.total", " must be an integer of at least 1 fen");
        return 0;
    }
    if ((rc = wxp__fake_field(f, amount, "currency", "amount.currency", 16, 0, &cur)) < 0) return 0;
    if (rc && !wxp__fake_eq(cur, "CNY")) {
        wxp__fake_param_error(f, "amount.currency", " must be CNY");
        return 0;
    }
    return 1;
}

/* detail: at most 6144 bytes compacted; goods_detail[] items with
   merchant_goods_id, quantity >= 1 and unit_price. 1, or 0 answered. */
static int wxp__fake_detail(wxp_fake *f)
{
    const wxp_json *doc = &f->wxp__priv.doc;
    int d = wxp__fake_jobj(f, 0, "detail", "detail"), g, el, rc;
    long long v = 0;
    wxp_str s;
    if (d == -2) return 0;
    if (d < 0) return 1;
    if (wxp_json_text(doc, d).len > 6144) {
        wxp__fake_param_error(f, "detail", " is longer than 6144 bytes");
        return 0;
    }
    g = wxp_json_get(doc, d, "goods_detail");
    if (g < 0) return 1;
    if (doc->tok[g].type != WXP_JSON_ARRAY || wxp_json_count(doc, g) == 0) {
        wxp__fake_param_error(f, "detail.goods_detail", " must be an array of at least one item");
        return 0;
    }
    for (el = wxp_json_first(doc, g); el >= 0; el = wxp_json_next(doc, g, el)) {
        if (doc->tok[el].type != WXP_JSON_OBJECT) {
            wxp__fake_param_error(f, "detail.goods_detail[]", " must be an object");
            return 0;
        }
        if (wxp__fake_field(f, el, "merchant_goods_id", "detail.goods_detail[].merchant_goods_id", 32,
                            1, &s) < 0)
            return 0;
        if ((rc = wxp__fake_jint(f, el, "quantity", "detail.goods_detail[].quantity", &v)) < 0)
            return 0;
        if (rc == 0 || v < 1) {
            wxp__fake_param_error(f, "detail.goods_detail[].quantity", " must be at least 1");
            return 0;
        }
        if ((rc = wxp__fake_jint(f, el, "unit_price", "detail.goods_detail[].unit_price", &v)) < 0)
            return 0;
        if (rc == 0 || v < 0) {
            wxp__fake_param_error(f, "detail.goods_detail[].unit_price", " is required (fen)");
            return 0;
        }
    }
    return 1;
}

/* scene_info of a placed order: payer_client_ip, store_info.id when there is
   a store_info; H5 needs scene_info with h5_info.type iOS, Android or Wap.
   1, or 0 answered. */
static int wxp__fake_scene(wxp_fake *f, int h5)
{
    wxp_str v;
    int si = wxp__fake_jobj(f, 0, "scene_info", "scene_info"), st, hi;
    if (si == -2) return 0;
    if (si < 0) {
        if (!h5) return 1;
        wxp__fake_param_error(f, "scene_info", " is required (H5)");
        return 0;
    }
    if (wxp__fake_field(f, si, "payer_client_ip", "scene_info.payer_client_ip", 45, 1, &v) < 0 ||
        wxp__fake_field(f, si, "device_id", "scene_info.device_id", 32, 0, &v) < 0)
        return 0;
    if ((st = wxp__fake_jobj(f, si, "store_info", "scene_info.store_info")) == -2) return 0;
    if (st >= 0 &&
        (wxp__fake_field(f, st, "id", "scene_info.store_info.id", 32, 1, &v) < 0 ||
         wxp__fake_field(f, st, "name", "scene_info.store_info.name", 256, 0, &v) < 0 ||
         wxp__fake_field(f, st, "area_code", "scene_info.store_info.area_code", 32, 0, &v) < 0 ||
         wxp__fake_field(f, st, "address", "scene_info.store_info.address", 512, 0, &v) < 0))
        return 0;
    if ((hi = wxp__fake_jobj(f, si, "h5_info", "scene_info.h5_info")) == -2) return 0;
    if (hi < 0) {
        if (!h5) return 1;
        wxp__fake_param_error(f, "scene_info.h5_info", " is required (H5)");
        return 0;
    }
    if (wxp__fake_field(f, hi, "type", "scene_info.h5_info.type", 32, 1, &v) < 0) return 0;
    if (!wxp__fake_eq(v, "iOS") && !wxp__fake_eq(v, "Android") && !wxp__fake_eq(v, "Wap")) {
        wxp__fake_param_error(f, "scene_info.h5_info.type", " must be iOS, Android or Wap");
        return 0;
    }
    return 1;
}

/* The order kinds placement serves: path, trade_type. */
enum { WXP__FAKE_JSAPI = 0, WXP__FAKE_APP, WXP__FAKE_H5, WXP__FAKE_NATIVE, WXP__FAKE_KINDS };
static const char *const wxp__fake_kind_path[WXP__FAKE_KINDS] = { "jsapi", "app", "h5", "native" };
static const char *const wxp__fake_kind_type[WXP__FAKE_KINDS] = { "JSAPI", "APP", "MWEB", "NATIVE" };

/* prepay_id (wx, the time in China, 20 hex digits, like
   wx201410272009395522657a690389285100), code_url and h5_url of a new order. */
static void wxp__fake_prepay_ids(wxp_fake *f, wxp_fake_order *o)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char r[10];
    char t[15], pr[10], pkg[11];
    size_t i, n;
    unsigned long long seq = ++f->wxp__priv.seq;
    if (wxp__fake_rand(f, r, sizeof r) != 0)
        for (i = 0; i < sizeof r; i++) r[i] = (unsigned char)(seq >> (i % 8 * 8));
    wxp__fake_time_end(o->created_at, t);
    memcpy(o->prepay_id, "wx", 2);
    memcpy(o->prepay_id + 2, t, 14);
    for (i = 0; i < 10; i++) {
        o->prepay_id[16 + 2 * i] = hex[r[i] >> 4];
        o->prepay_id[17 + 2 * i] = hex[r[i] & 15];
    }
    o->prepay_id[36] = 0;
    if (!wxp__fake_alnum(f, pr, 9)) {
        wxp__fake_digits(pr, seq, 9);
        pr[9] = 0;
    }
    n = wxp__fake_cats(o->code_url, sizeof o->code_url, 0, "weixin://wxpay/bizpayurl?pr=");
    (void)wxp__fake_cats(o->code_url, sizeof o->code_url, n, pr);
    wxp__fake_digits(pkg, seq * 7919ULL + (unsigned long long)r[0], 10);
    pkg[10] = 0;
    n = wxp__fake_cats(o->h5_url, sizeof o->h5_url, 0,
                       "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=");
    n = wxp__fake_cats(o->h5_url, sizeof o->h5_url, n, o->prepay_id);
    n = wxp__fake_cats(o->h5_url, sizeof o->h5_url, n, "&package=");
    (void)wxp__fake_cats(o->h5_url, sizeof o->h5_url, n, pkg);
}

/* The answer of a placement: {"prepay_id"} (JSAPI, App), {"h5_url"}, {"code_url"}. */
static void wxp__fake_reply_prepay(wxp_fake *f, const wxp_fake_order *o)
{
    wxp_json_writer w;
    wxp_jw_init(&w, f->wxp__priv.out, sizeof f->wxp__priv.out);
    wxp_jw_object_begin(&w);
    if (strcmp(o->trade_type, "MWEB") == 0) {
        wxp_jw_key(&w, "h5_url");    wxp_jw_cstring(&w, o->h5_url);
    } else if (strcmp(o->trade_type, "NATIVE") == 0) {
        wxp_jw_key(&w, "code_url");  wxp_jw_cstring(&w, o->code_url);
    } else {
        wxp_jw_key(&w, "prepay_id"); wxp_jw_cstring(&w, o->prepay_id);
    }
    wxp_jw_object_end(&w);
    wxp__fake_done(f, &w, 200);
}

/* A new order in the book, or NULL with 500 SYSTEM_ERROR ready (the book is full). */
static wxp_fake_order *wxp__fake_new_order(wxp_fake *f, wxp_str otn, long long total,
                                           const char *trade_type)
{
    wxp__fake_priv *p = &f->wxp__priv;
    wxp_fake_order *o;
    if (p->norders >= WXP_FAKE_MAX_ORDERS) {
        wxp__fake_error(f, 500, "SYSTEM_ERROR", "the fake's order book is full (WXP_FAKE_MAX_ORDERS)");
        return NULL;
    }
    o = &p->orders[p->norders++];
    memset(o, 0, sizeof *o);
    (void)wxp__fake_copy(o->out_trade_no, sizeof o->out_trade_no, otn.ptr, otn.len);
    (void)wxp__fake_copy(o->trade_type, sizeof o->trade_type, trade_type, strlen(trade_type));
    wxp__fake_set_state(o, "NOTPAY");
    o->total = total;
    o->created_at = wxp__fake_now(f);
    return o;
}

/* Who pays in, as the body names it: appid and mchid, or for a service
   provider sp_appid, sp_mchid, sub_appid (optional) and sub_mchid. */
static int wxp__fake_payee_ids(wxp_fake *f, int partner, wxp_str *appid, wxp_str *mchid, wxp_str *sub_appid,
                               wxp_str *sub_mchid)
{
    if (!partner)
        return wxp__fake_field(f, 0, "appid", "appid", 32, 1, appid) < 0 ||
                       wxp__fake_field(f, 0, "mchid", "mchid", 32, 1, mchid) < 0
                   ? -1 : 0;
    return wxp__fake_field(f, 0, "sp_appid", "sp_appid", 32, 1, appid) < 0 ||
                   wxp__fake_field(f, 0, "sp_mchid", "sp_mchid", 32, 1, mchid) < 0 ||
                   wxp__fake_field(f, 0, "sub_appid", "sub_appid", 32, 0, sub_appid) < 0 ||
                   wxp__fake_field(f, 0, "sub_mchid", "sub_mchid", 32, 1, sub_mchid) < 0
               ? -1 : 0;
}

/* POST /v3/pay/transactions/{jsapi,app,h5,native} and the partner form under
   /v3/pay/partner/transactions/ (sp_appid, sp_mchid, sub_appid, sub_mchid). */
static void wxp__fake_place(wxp_fake *f, const wxp_http_request *req, int kind, int partner)
{
    wxp__fake_priv *p = &f->wxp__priv;
    static const char *const objs[3] = { "detail", "scene_info", "settle_info" };
    wxp_str appid, mchid, sub_mchid = { "", 0 }, sub_appid = { "", 0 }, desc, otn, texp, attach, url;
    wxp_str tag, openid = { "", 0 }, sub_openid = { "", 0 };
    long long total = 0, expire = 0, now = wxp__fake_now(f);
    unsigned long long h = WXP__FAKE_FNV;
    int rc, payer, t, fapiao = 0, sharing = 0, sub = -1;
    char num[24];
    size_t i;
    wxp_fake_order *o;

    if (!wxp__fake_parse_body(f, req)) return;
    if (wxp__fake_payee_ids(f, partner, &appid, &mchid, &sub_appid, &sub_mchid) < 0) return;
    if (wxp__fake_field(f, 0, "description", "description", 127, 1, &desc) < 0 ||
        wxp__fake_field(f, 0, "out_trade_no", "out_trade_no", 32, 1, &otn) < 0)
        return;
    if (!wxp__fake_otn_ok(otn, "|")) {
        wxp__fake_param_error(f, "out_trade_no", " must be 6-32 of [0-9A-Za-z_-|*]");
        return;
    }
    if ((rc = wxp__fake_field(f, 0, "time_expire", "time_expire", 64, 0, &texp)) < 0) return;
    if (rc && !wxp__fake_parse_time(texp, &expire)) {
        wxp__fake_param_error(f, "time_expire", " must be RFC 3339, such as 2018-06-08T10:34:56+08:00");
        return;
    }
    if (wxp__fake_field(f, 0, "attach", "attach", 128, 0, &attach) < 0 ||
        wxp__fake_field(f, 0, "notify_url", "notify_url", 255, 1, &url) < 0)
        return;
    if (!wxp__fake_notify_url_ok(url)) {
        wxp__fake_param_error(f, "notify_url", " must be an https:// URL without a query");
        return;
    }
    if (wxp__fake_field(f, 0, "goods_tag", "goods_tag", 32, 0, &tag) < 0 ||
        wxp__fake_jbool(f, 0, "support_fapiao", "support_fapiao", &fapiao) < 0 ||
        !wxp__fake_amount(f, &total))
        return;
    if ((payer = wxp__fake_jobj(f, 0, "payer", "payer")) == -2) return;
    if (partner) {
        if (wxp__fake_field(f, payer, "sp_openid", "payer.sp_openid", 128, 0, &openid) < 0 ||
            wxp__fake_field(f, payer, "sub_openid", "payer.sub_openid", 128, 0, &sub_openid) < 0)
            return;
        if (kind == WXP__FAKE_JSAPI && !openid.len && !sub_openid.len) {
            wxp__fake_param_error(f, "payer.sp_openid", " or payer.sub_openid is required (JSAPI)");
            return;
        }
        if (sub_openid.len && !sub_appid.len) {
            wxp__fake_param_error(f, "sub_appid", " is required with payer.sub_openid");
            return;
        }
    } else if (wxp__fake_field(f, payer, "openid", "payer.openid", 128, kind == WXP__FAKE_JSAPI,
                               &openid) < 0) {
        return;
    }
    if (!wxp__fake_scene(f, kind == WXP__FAKE_H5) || !wxp__fake_detail(f)) return;
    if ((t = wxp__fake_jobj(f, 0, "settle_info", "settle_info")) == -2 ||
        wxp__fake_jbool(f, t, "profit_sharing", "settle_info.profit_sharing", &sharing) < 0)
        return;

    /* Who places it: the merchant that signed, an AppID bound to it, a sub-merchant it serves. */
    if (wxp__fake_payee(f, partner, mchid, appid, sub_mchid, sub_appid, &sub)) return;

    /* The fields that make the order: the same again is a retry. */
    h = wxp__fake_hash(h, partner ? "partner" : "direct", wxp_cstr(wxp__fake_kind_path[kind]));
    h = wxp__fake_hash(h, "appid", appid);
    h = wxp__fake_hash(h, "sub_appid", sub_appid);
    h = wxp__fake_hash(h, "sub_mchid", sub_mchid);
    h = wxp__fake_hash(h, "description", desc);
    h = wxp__fake_hash(h, "time_expire", texp);
    h = wxp__fake_hash(h, "attach", attach);
    h = wxp__fake_hash(h, "notify_url", url);
    h = wxp__fake_hash(h, "goods_tag", tag);
    h = wxp__fake_hash(h, "support_fapiao", wxp_cstr(fapiao ? "1" : "0"));
    (void)wxp__fake_dec(num, total);
    h = wxp__fake_hash(h, "amount.total", wxp_cstr(num));
    h = wxp__fake_hash(h, "payer.openid", openid);
    h = wxp__fake_hash(h, "payer.sub_openid", sub_openid);
    for (i = 0; i < 3; i++) {
        t = wxp_json_get(&p->doc, 0, objs[i]);
        h = wxp__fake_hash(h, objs[i], t >= 0 ? wxp_json_text(&p->doc, t) : wxp_cstr(""));
    }

    o = wxp__fake_order_by(f, otn, 0);
    if (o) {
        if (wxp__fake_paid(o)) {
            wxp__fake_error(f, 403, "OUT_TRADE_NO_USED", WXP__FAKE_ZH_DUPNO);
        } else if (strcmp(o->trade_state, "CLOSED") == 0 || strcmp(o->trade_state, "REVOKED") == 0) {
            wxp__fake_error(f, 400, "ORDER_CLOSED", WXP__FAKE_ZH_O_CLOSED);
        } else if (o->fields != h) {
            wxp__fake_error(f, 400, "INVALID_REQUEST", WXP__FAKE_ZH_201);
        } else {
            wxp__fake_reply_prepay(f, o);   /* a retry: the order's prepay_id again */
        }
        return;
    }
    if (!(o = wxp__fake_new_order(f, otn, total, wxp__fake_kind_type[kind]))) return;
    o->fields = h;
    wxp__fake_str_field(o->appid, sizeof o->appid, appid);
    wxp__fake_str_field(o->sub_mchid, sizeof o->sub_mchid, sub_mchid);
    wxp__fake_str_field(o->sub_appid, sizeof o->sub_appid, sub_appid);
    wxp__fake_str_field(o->openid, sizeof o->openid, openid);
    wxp__fake_str_field(o->sub_openid, sizeof o->sub_openid, sub_openid);
    wxp__fake_str_field(o->attach, sizeof o->attach, attach);
    wxp__fake_str_field(o->notify_url, sizeof o->notify_url, url);
    /* No sooner than a minute after placing (WeChat Pay moves it there); 7 days when not given. */
    o->expire_at = texp.len ? (expire < now + 60 ? now + 60 : expire) : now + 7 * 86400LL;
    wxp__fake_prepay_ids(f, o);
    wxp__fake_reply_prepay(f, o);
}

/* POST /v3/pay/transactions/codepay: the terminal scanned the customer's code;
   the partner form /v3/pay/partner/transactions/codepay (sp_appid, sp_mchid,
   sub_appid, sub_mchid). */
static void wxp__fake_codepay(wxp_fake *f, const wxp_http_request *req, int partner)
{
    wxp__fake_priv *p = &f->wxp__priv;
    wxp_str appid, mchid, desc, otn, attach, tag, code, v, sub_mchid = { "", 0 }, sub_appid = { "", 0 };
    long long total = 0;
    int payer, scene, store, t, fapiao = 0, sharing = 0, sub = -1;
    wxp_fake_order *o;
    wxp_fake_customer *c;

    if (!wxp__fake_parse_body(f, req)) return;
    if (wxp__fake_payee_ids(f, partner, &appid, &mchid, &sub_appid, &sub_mchid) < 0) return;
    if (wxp__fake_field(f, 0, "description", "description", 127, 1, &desc) < 0 ||
        wxp__fake_field(f, 0, "out_trade_no", "out_trade_no", 32, 1, &otn) < 0)
        return;
    if (!wxp__fake_otn_ok(otn, "")) {
        wxp__fake_param_error(f, "out_trade_no", " must be 6-32 of [0-9A-Za-z_-*]");
        return;
    }
    if (wxp__fake_field(f, 0, "attach", "attach", 128, 0, &attach) < 0 ||
        wxp__fake_field(f, 0, "goods_tag", "goods_tag", 32, 0, &tag) < 0 ||
        wxp__fake_jbool(f, 0, "support_fapiao", "support_fapiao", &fapiao) < 0)
        return;
    if ((payer = wxp__fake_jobj(f, 0, "payer", "payer")) == -2) return;
    if (payer < 0) { wxp__fake_param_error(f, "payer", " is required"); return; }
    if (wxp__fake_field(f, payer, "auth_code", "payer.auth_code", 128, 1, &code) < 0 ||
        !wxp__fake_amount(f, &total))
        return;
    if ((scene = wxp__fake_jobj(f, 0, "scene_info", "scene_info")) == -2) return;
    if (scene < 0) { wxp__fake_param_error(f, "scene_info", " is required"); return; }
    if (wxp__fake_field(f, scene, "device_id", "scene_info.device_id", 32, 0, &v) < 0 ||
        wxp__fake_field(f, scene, "device_ip", "scene_info.device_ip", 45, 0, &v) < 0)
        return;
    if ((store = wxp__fake_jobj(f, scene, "store_info", "scene_info.store_info")) == -2) return;
    if (store < 0) { wxp__fake_param_error(f, "scene_info.store_info", " is required"); return; }
    if (wxp__fake_field(f, store, "id", "scene_info.store_info.id", 32, 0, &v) < 0 ||
        wxp__fake_field(f, store, "out_id", "scene_info.store_info.out_id", 32, 0, &v) < 0 ||
        !wxp__fake_detail(f))
        return;
    if ((t = wxp__fake_jobj(f, 0, "settle_info", "settle_info")) == -2 ||
        wxp__fake_jbool(f, t, "profit_sharing", "settle_info.profit_sharing", &sharing) < 0)
        return;
    if (wxp__fake_payee(f, partner, mchid, appid, sub_mchid, sub_appid, &sub)) return;

    o = wxp__fake_order_by(f, otn, 0);
    if (o) {
        /* Another order's number (placed, another amount, another merchant's
           or sub-merchant's, another AppID). */
        if (!wxp__fake_eq(sub_mchid, o->sub_mchid) || !wxp__fake_eq(sub_appid, o->sub_appid) ||
            strcmp(o->trade_type, "MICROPAY") != 0 || o->total != total) {
            wxp__fake_error(f, 403, "OUT_TRADE_NO_USED", WXP__FAKE_ZH_DUPNO);
            return;
        }
        wxp__fake_touch(f, o, 0);
        if (wxp__fake_paid(o)) {
            wxp__fake_error(f, 403, "OUT_TRADE_NO_USED", WXP__FAKE_ZH_DUPNO);
            return;
        }
        if (strcmp(o->trade_state, "CLOSED") == 0 || strcmp(o->trade_state, "REVOKED") == 0) {
            wxp__fake_error(f, 400, "ORDER_CLOSED", WXP__FAKE_ZH_O_CLOSED);
            return;
        }
        if (strcmp(o->trade_state, "USERPAYING") == 0) {
            wxp__fake_reply_tx(f, o, 202);   /* still typing */
            return;
        }
        /* PAYERROR: the customer tries again, perhaps with another code. */
    } else if (!(o = wxp__fake_new_order(f, otn, total, "MICROPAY"))) {
        return;
    }
    o->v3 = 1;
    wxp__fake_str_field(o->appid, sizeof o->appid, appid);
    wxp__fake_str_field(o->sub_mchid, sizeof o->sub_mchid, sub_mchid);
    wxp__fake_str_field(o->sub_appid, sizeof o->sub_appid, sub_appid);
    wxp__fake_str_field(o->attach, sizeof o->attach, attach);
    wxp__fake_str_field(o->auth_code, sizeof o->auth_code, code);
    c = wxp__fake_wechat_code(code) ? wxp__fake_customer_by(f, code) : NULL;
    o->customer = c ? (size_t)(c - p->customers) + 1 : 0;
    if (!c) {
        wxp__fake_set_state(o, "PAYERROR");
        wxp__fake_error(f, 403, "TRADE_ERROR", WXP__FAKE_ZH_BADCODE);
        return;
    }
    if (c->behaviour == WXP_FAKE_PAY_AFTER_POLLS || c->behaviour == WXP_FAKE_NEVER_CONFIRMS) {
        wxp__fake_set_state(o, "USERPAYING");
        o->polls_left = c->behaviour == WXP_FAKE_PAY_AFTER_POLLS ? c->polls : 0;
        wxp__fake_reply_tx(f, o, 202);
        return;
    }
    if (!wxp__fake_charge(f, o, c)) {
        wxp__fake_error(f, 403, "NOT_ENOUGH", WXP__FAKE_ZH_SHORT);
        return;
    }
    wxp__fake_reply_tx(f, o, 200);
}

/* POST /v3/pay/transactions/out-trade-no/{out_trade_no}/reverse {"appid","mchid"};
   the partner form /v3/pay/partner/transactions/out-trade-no/{out_trade_no}/
   reverse {"sp_mchid","sub_mchid"}. */
static void wxp__fake_reverse(wxp_fake *f, const wxp_http_request *req, wxp_str seg, int partner)
{
    wxp__fake_priv *p = &f->wxp__priv;
    char id[33];
    wxp_str appid = { "", 0 }, mchid, sub_mchid = { "", 0 };
    wxp_fake_order *o;
    wxp_json_writer w;
    if (!wxp__fake_unpct(seg.ptr, seg.len, id, sizeof id) || !wxp__fake_outno_ok(wxp_cstr(id), 32)) {
        wxp__fake_param_error(f, "out_trade_no", " in the path is malformed");
        return;
    }
    if (!wxp__fake_parse_body(f, req)) return;
    if (partner ? wxp__fake_field(f, 0, "sp_mchid", "sp_mchid", 32, 1, &mchid) < 0 ||
                  wxp__fake_field(f, 0, "sub_mchid", "sub_mchid", 32, 1, &sub_mchid) < 0
                : wxp__fake_field(f, 0, "appid", "appid", 32, 1, &appid) < 0 ||
                  wxp__fake_field(f, 0, "mchid", "mchid", 32, 1, &mchid) < 0)
        return;
    if (!wxp__fake_eq(mchid, p->cfg.mchid)) {
        wxp__fake_param_error(f, partner ? "sp_mchid" : "mchid",
                              " is not the merchant that signed the request");
        return;
    }
    if (!partner && !wxp__fake_our_appid(f, appid)) {
        wxp__fake_error(f, 400, "APPID_MCHID_NOT_MATCH", WXP__FAKE_ZH_NOMATCH3);
        return;
    }
    if (partner && wxp__fake_sub(f, sub_mchid) < 0) {
        wxp__fake_error(f, 400, "MCH_NOT_EXISTS", WXP__FAKE_ZH_NOMCH);
        return;
    }
    o = wxp__fake_order_for(f, wxp_cstr(id), 0, partner, sub_mchid);
    if (!o) {
        wxp__fake_error(f, 404, "ORDER_NOT_EXIST",
                        wxp__fake_say(f, "the order ", wxp_cstr(id), " does not exist"));
        return;
    }
    if (strcmp(o->trade_type, "MICROPAY") != 0) {
        wxp__fake_error(f, 400, "INVALID_REQUEST",
                        "only code-pay orders are reversed: close this order, or refund it");
        return;
    }
    wxp__fake_touch(f, o, 0);
    o->reverses++;
    if (strcmp(o->trade_state, "USERPAYING") == 0) {
        wxp__fake_error(f, 403, "USERPAYING", WXP__FAKE_ZH_NOREVOKE);
        return;
    }
    if (wxp__fake_paid(o)) {
        long long back = o->total - o->refunded;
        o->reversed = back;
        wxp__fake_give_back(f, o, back);
        wxp__fake_set_state(o, "REVOKED");
    } else if (strcmp(o->trade_state, "CLOSED") != 0) {
        wxp__fake_set_state(o, "REVOKED");   /* NOTPAY, PAYERROR; REVOKED stays */
    }
    o->polls_left = 0;
    wxp_jw_init(&w, p->out, sizeof p->out);
    wxp_jw_object_begin(&w);
    if (partner) {
        wxp_jw_key(&w, "sp_appid");  wxp_jw_cstring(&w, o->appid[0] ? o->appid : p->cfg.appid);
        wxp_jw_key(&w, "sp_mchid");  wxp_jw_cstring(&w, p->cfg.mchid);
        if (o->sub_appid[0]) { wxp_jw_key(&w, "sub_appid"); wxp_jw_cstring(&w, o->sub_appid); }
        wxp_jw_key(&w, "sub_mchid"); wxp_jw_cstring(&w, o->sub_mchid);
    } else {
        wxp_jw_key(&w, "appid");     wxp_jw_string(&w, appid);
        wxp_jw_key(&w, "mchid");     wxp_jw_cstring(&w, p->cfg.mchid);
    }
    wxp_jw_key(&w, "out_trade_no"); wxp_jw_cstring(&w, o->out_trade_no);
    wxp_jw_object_end(&w);
    wxp__fake_done(f, &w, 200);
}

/* GET /v3/certificates: the platform certificate, encrypted under the APIv3
   key, the answer signed under the certificate's serial. */
static void wxp__fake_certificates(wxp_fake *f)
{
    wxp__fake_priv *p = &f->wxp__priv;
    char nonce[13], from[26], to[26];
    size_t ct_len = 0;
    wxp_json_writer w;
    wxp_result r;
    wxp_str ct;
    if (!p->have_cert || p->cfg.apiv3_key.len != 32) {
        wxp__fake_error(f, 404, "NOT_FOUND",
                        "the fake serves /v3/certificates with config.platform_cert_pem and a"
                        " 32-byte config.apiv3_key");
        return;
    }
    if (!wxp__fake_alnum(f, nonce, 12) ||
        wxp_aes_gcm_encrypt(p->cfg.apiv3_key, wxp_cstr(nonce), wxp_cstr("certificate"),
                            p->cfg.platform_cert_pem, p->scratch, sizeof p->scratch, &ct_len,
                            &r) != WXP_OK) {
        wxp__fake_error(f, 500, "SYSTEM_ERROR", "the fake could not encrypt the certificate");
        return;
    }
    ct.ptr = p->scratch;
    ct.len = ct_len;
    wxp__fake_rfc3339(p->cert.not_before, from);
    wxp__fake_rfc3339(p->cert.not_after, to);
    wxp_jw_init(&w, p->out, sizeof p->out);
    wxp_jw_object_begin(&w);
    wxp_jw_key(&w, "data");
    wxp_jw_array_begin(&w);
    wxp_jw_object_begin(&w);
    wxp_jw_key(&w, "serial_no");       wxp_jw_cstring(&w, p->cert.serial);
    wxp_jw_key(&w, "effective_time");  wxp_jw_cstring(&w, from);
    wxp_jw_key(&w, "expire_time");     wxp_jw_cstring(&w, to);
    wxp_jw_key(&w, "encrypt_certificate");
    wxp_jw_object_begin(&w);
    wxp_jw_key(&w, "algorithm");       wxp_jw_cstring(&w, "AEAD_AES_256_GCM");
    wxp_jw_key(&w, "nonce");           wxp_jw_cstring(&w, nonce);
    wxp_jw_key(&w, "associated_data"); wxp_jw_cstring(&w, "certificate");
    wxp_jw_key(&w, "ciphertext");      wxp_jw_string(&w, ct);
    wxp_jw_object_end(&w);
    wxp_jw_object_end(&w);
    wxp_jw_array_end(&w);
    wxp_jw_object_end(&w);
    wxp__fake_done(f, &w, 200);
    p->sign_serial = p->cert.serial;
}

WXP_FAKE_API wxp_err wxp_fake_pay_order(wxp_fake *f, const char *out_trade_no, const char *openid)
{
    wxp__fake_priv *p = &f->wxp__priv;
    wxp_fake_order *o = out_trade_no ? wxp__fake_order_by(f, wxp_cstr(out_trade_no), 0) : NULL;
    wxp_fake_customer *c = NULL;
    size_t i;
    if (!o) return WXP_E_NOTFOUND;
    if (!openid || !*openid)
        openid = o->openid[0] ? o->openid : o->sub_openid[0] ? o->sub_openid : WXP_FAKE_OPENID;
    if (strlen(openid) > 128 || strcmp(o->trade_type, "MICROPAY") == 0 ||
        strcmp(o->trade_state, "NOTPAY") != 0)
        return WXP_E_ARG;
    /* A JSAPI order is for the payer it was placed with. */
    if (strcmp(o->trade_type, "JSAPI") == 0 && (o->openid[0] || o->sub_openid[0]) &&
        strcmp(openid, o->openid) != 0 && strcmp(openid, o->sub_openid) != 0)
        return WXP_E_ARG;
    if (o->expire_at && wxp__fake_now(f) > o->expire_at) return WXP_E_EXPIRED;
    for (i = 0; i < p->ncustomers && !c; i++)
        if (strcmp(p->customers[i].openid, openid) == 0) c = &p->customers[i];
    if (c && (c->behaviour == WXP_FAKE_NO_MONEY || c->balance < o->total)) return WXP_E_RANGE;
    if (c) {
        c->balance -= o->total;
        c->payments++;
        o->customer = (size_t)(c - p->customers) + 1;
    }
    if (!o->openid[0] && strcmp(openid, o->sub_openid) != 0)
        (void)wxp__fake_copy(o->openid, sizeof o->openid, openid, strlen(openid));
    o->paid_at = wxp__fake_now(f);
    wxp__fake_new_tid(f, o);
    wxp__fake_set_state(o, "SUCCESS");
    return WXP_OK;
}

/* ==== >>fake:marketing ====================================================== */

/* A required string member of the body: 1 when present and valid, else 0 with
   PARAM_ERROR ready. kind 0: any text, min..max characters; 1: digits; 2: a
   merchant request number [0-9A-Za-z_-|*@] (both min..max bytes). */
static int wxp__fake_need(wxp_fake *f, const char *key, int kind, size_t min, size_t max,
                          wxp_str *out)
{
    int rc = wxp__fake_jstr(f, 0, key, key, out);
    size_t n;
    if (rc < 0) return 0;
    if (rc == 0) { wxp__fake_param_error(f, key, " is required"); return 0; }
    n = kind == 0 ? wxp__fake_utf8_count(*out) : out->len;
    if (n < min || n > max || (kind == 1 && !wxp__fake_digits_ok(*out, min, max)) ||
        (kind == 2 && !wxp__fake_outno_ok(*out, max))) {
        wxp__fake_param_error(f, key, kind == 1   ? " must be digits of the documented length"
                                      : kind == 2 ? " must be 1-128 of [0-9A-Za-z_-|*@]"
                                                  : " is empty or too long");
        return 0;
    }
    return 1;
}

/* POST /v3/marketing/busifavor/coupons/return */
static void wxp__fake_reply_return(wxp_fake *f, long long when)
{
    char t[26];
    wxp_json_writer w;
    wxp__fake_rfc3339(when, t);
    wxp_jw_init(&w, f->wxp__priv.out, sizeof f->wxp__priv.out);
    wxp_jw_object_begin(&w);
    wxp_jw_key(&w, "wechatpay_return_time"); wxp_jw_cstring(&w, t);
    wxp_jw_object_end(&w);
    wxp__fake_done(f, &w, 200);
}

static void wxp__fake_coupon_return(wxp_fake *f, const wxp_http_request *req)
{
    wxp__fake_priv *p = &f->wxp__priv;
    wxp_str code, stock, no;
    wxp_fake_coupon *c;
    wxp__fake_creturn *cr;
    size_t i;
    if (!wxp__fake_parse_body(f, req) || !wxp__fake_need(f, "coupon_code", 0, 1, 128, &code) ||
        !wxp__fake_need(f, "stock_id", 1, 1, 20, &stock) ||
        !wxp__fake_need(f, "return_request_no", 2, 1, 128, &no))
        return;
    for (i = 0; i < p->ncreturns; i++) {
        cr = &p->creturns[i];
        if (!wxp__fake_eq(no, cr->return_request_no)) continue;
        c = &p->coupons[cr->coupon];
        if (!wxp__fake_eq(stock, c->stock_id) || !wxp__fake_eq(code, c->coupon_code)) {
            wxp__fake_error(f, 400, "INVALID_REQUEST",
                            wxp__fake_say(f, "return_request_no ", no,
                                          " was used to return another coupon"));
            return;
        }
        /* A retry: the same answer, the coupon returned once. */
        wxp__fake_reply_return(f, cr->returned_at);
        return;
    }
    c = wxp__fake_coupon_by(f, stock, code);
    if (!c) {
        wxp__fake_error(f, 404, "RESOURCE_NOT_EXISTS",
                        wxp__fake_say(f, "the coupon ", code, " does not exist in this stock"));
        return;
    }
    if (strcmp(c->state, "USED") != 0) {
        wxp__fake_error(f, 400, "INVALID_REQUEST",
                        c->returns ? "coupon is not used: it was already returned (state SENDED)"
                                   : "coupon is not used (state SENDED): only a USED coupon"
                                     " can be returned");
        return;
    }
    if (p->ncreturns >= WXP_FAKE_MAX_COUPON_RETURNS) {
        wxp__fake_error(f, 500, "SYSTEM_ERROR",
                        "the fake's coupon return book is full (WXP_FAKE_MAX_COUPON_RETURNS)");
        return;
    }
    cr = &p->creturns[p->ncreturns++];
    memset(cr, 0, sizeof *cr);
    wxp__fake_str_field(cr->return_request_no, sizeof cr->return_request_no, no);
    cr->coupon = (size_t)(c - p->coupons);
    cr->returned_at = wxp__fake_now(f);
    (void)wxp__fake_copy(c->state, sizeof c->state, "SENDED", 6);
    c->returns++;
    wxp__fake_reply_return(f, cr->returned_at);
}

/* The body of a subsidy payment (is_return 0) or return into *s. 1, or 0 with
   PARAM_ERROR ready. */
static int wxp__fake_subsidy_req(wxp_fake *f, const wxp_http_request *req, int is_return,
                                 wxp__fake_subsidy *s)
{
    wxp_str v;
    int rc;
    memset(s, 0, sizeof *s);
    if (!wxp__fake_parse_body(f, req)) return 0;
    if (!wxp__fake_need(f, "stock_id", 1, 1, 20, &v)) return 0;
    wxp__fake_str_field(s->stock_id, sizeof s->stock_id, v);
    if (!wxp__fake_need(f, "coupon_code", 0, 1, 128, &v)) return 0;
    if (v.len >= sizeof s->coupon_code) {
        wxp__fake_param_error(f, "coupon_code", " is longer than 128 bytes");
        return 0;
    }
    wxp__fake_str_field(s->coupon_code, sizeof s->coupon_code, v);
    if (!wxp__fake_need(f, "transaction_id", 1, 28, 32, &v)) return 0;
    wxp__fake_str_field(s->transaction_id, sizeof s->transaction_id, v);
    if (is_return) {
        if (!wxp__fake_need(f, "refund_id", 1, 28, 32, &v)) return 0;
        wxp__fake_str_field(s->refund_id, sizeof s->refund_id, v);
    }
    if (!wxp__fake_need(f, "payer_merchant", 1, 1, 32, &v)) return 0;
    wxp__fake_str_field(s->payer, sizeof s->payer, v);
    if (!wxp__fake_need(f, "payee_merchant", 1, 1, 32, &v)) return 0;
    wxp__fake_str_field(s->payee, sizeof s->payee, v);
    if ((rc = wxp__fake_jint(f, 0, "amount", "amount", &s->amount)) < 0) return 0;
    if (rc == 0) { wxp__fake_param_error(f, "amount", " is required"); return 0; }
    if (s->amount < 1 || (!is_return && s->amount > 500000)) {
        wxp__fake_param_error(f, "amount", is_return ? " must be at least 1 fen"
                                                     : " must be 1 fen to 5000 CNY");
        return 0;
    }
    if (!wxp__fake_need(f, "description", 0, 1, 1024, &v)) return 0;
    if (v.len > WXP_FAKE_DESC_MAX) {
        wxp__fake_param_error(f, "description", " is longer than the fake keeps (WXP_FAKE_DESC_MAX)");
        return 0;
    }
    wxp__fake_str_field(s->description, sizeof s->description, v);
    if (!wxp__fake_need(f, is_return ? "out_subsidy_return_no" : "out_subsidy_no", 2, 1, 128, &v))
        return 0;
    wxp__fake_str_field(s->out_no, sizeof s->out_no, v);
    return 1;
}

/* The status of a pay receipt (PAY_RECEIPT_*: SUCCESS, then PARTIAL_RETURN or
   FULL_RETURN as returns give it back) or of a return (RETURN_RECEIPT_*), the
   enumerations of wechatpay-go's merchantexclusivecoupon models. */
static const char *wxp__fake_subsidy_status(const wxp_fake *f, const wxp__fake_subsidy *s, int is_return)
{
    const wxp__fake_priv *p = &f->wxp__priv;
    long long returned = 0;
    size_t i;
    if (is_return) return s->accepted ? "RETURN_RECEIPT_ACCEPTED" : "RETURN_RECEIPT_SUCCESS";
    if (s->accepted) return "PAY_RECEIPT_ACCEPTED";
    for (i = 0; i < p->nsret; i++)
        if (&p->spay[p->sret[i].pay] == s) returned += p->sret[i].amount;
    return returned == 0 ? "PAY_RECEIPT_SUCCESS" : returned < s->amount ? "PAY_RECEIPT_PARTIAL_RETURN"
                                                                        : "PAY_RECEIPT_FULL_RETURN";
}

/* A receipt as WeChat Pay answers it: no fail_reason (there was no failure);
   one still ACCEPTED has no success or done time, and a return no
   subsidy_return_receipt_id ("returned only once the return succeeded"). */
static void wxp__fake_reply_subsidy(wxp_fake *f, const wxp__fake_subsidy *s, int is_return)
{
    wxp__fake_priv *p = &f->wxp__priv;
    char t[26];
    wxp_json_writer w;
    wxp__fake_rfc3339(s->created_at, t);
    wxp_jw_init(&w, p->out, sizeof p->out);
    wxp_jw_object_begin(&w);
    if (!is_return || !s->accepted) {
        wxp_jw_key(&w, is_return ? "subsidy_return_receipt_id" : "subsidy_receipt_id");
        wxp_jw_cstring(&w, s->receipt_id);
    }
    wxp_jw_key(&w, "stock_id");        wxp_jw_cstring(&w, s->stock_id);
    wxp_jw_key(&w, "coupon_code");     wxp_jw_cstring(&w, s->coupon_code);
    wxp_jw_key(&w, "transaction_id");  wxp_jw_cstring(&w, s->transaction_id);
    if (is_return) { wxp_jw_key(&w, "refund_id"); wxp_jw_cstring(&w, s->refund_id); }
    wxp_jw_key(&w, "payer_merchant");  wxp_jw_cstring(&w, s->payer);
    wxp_jw_key(&w, "payee_merchant");  wxp_jw_cstring(&w, s->payee);
    wxp_jw_key(&w, "amount");          wxp_jw_int(&w, s->amount);
    wxp_jw_key(&w, "description");     wxp_jw_cstring(&w, s->description);
    wxp_jw_key(&w, "status");          wxp_jw_cstring(&w, wxp__fake_subsidy_status(f, s, is_return));
    if (is_return) {
        if (!s->accepted) { wxp_jw_key(&w, "return_done_time"); wxp_jw_cstring(&w, t); }
        wxp_jw_key(&w, "subsidy_receipt_id");    wxp_jw_cstring(&w, p->spay[s->pay].receipt_id);
        wxp_jw_key(&w, "out_subsidy_return_no"); wxp_jw_cstring(&w, s->out_no);
        wxp_jw_key(&w, "return_create_time");    wxp_jw_cstring(&w, t);
    } else {
        if (!s->accepted) { wxp_jw_key(&w, "success_time"); wxp_jw_cstring(&w, t); }
        wxp_jw_key(&w, "out_subsidy_no");        wxp_jw_cstring(&w, s->out_no);
        wxp_jw_key(&w, "create_time");           wxp_jw_cstring(&w, t);
    }
    wxp_jw_object_end(&w);
    wxp__fake_done(f, &w, 200);
}

/* A receipt id: prefix, date, sequence: 28 digits. */
static void wxp__fake_receipt_id(wxp_fake *f, char out[33], const char *prefix)
{
    memcpy(out, prefix, 2);
    wxp__fake_ymd(wxp__fake_now(f), out + 2);
    wxp__fake_digits(out + 10, ++f->wxp__priv.seq, 18);
    out[28] = 0;
}

static int wxp__fake_same_use(const wxp__fake_subsidy *a, const wxp__fake_subsidy *b)
{
    return strcmp(a->stock_id, b->stock_id) == 0 && strcmp(a->coupon_code, b->coupon_code) == 0 &&
           strcmp(a->transaction_id, b->transaction_id) == 0;
}

static int wxp__fake_same_subsidy(const wxp__fake_subsidy *a, const wxp__fake_subsidy *b)
{
    return wxp__fake_same_use(a, b) && strcmp(a->refund_id, b->refund_id) == 0 &&
           strcmp(a->payer, b->payer) == 0 && strcmp(a->payee, b->payee) == 0 &&
           a->amount == b->amount;
}

/* A pay (is_return 0) or return with an out_no already booked: a retry gets
   the same receipt, other parameters are refused. 1 when answered. */
static int wxp__fake_subsidy_retry(wxp_fake *f, const wxp__fake_subsidy *s, int is_return)
{
    wxp__fake_priv *p = &f->wxp__priv;
    wxp__fake_subsidy *book = is_return ? p->sret : p->spay;
    const char *name = is_return ? "out_subsidy_return_no " : "out_subsidy_no ";
    size_t i, n = is_return ? p->nsret : p->nspay;
    for (i = 0; i < n; i++) {
        if (strcmp(book[i].out_no, s->out_no) != 0) continue;
        if (wxp__fake_same_subsidy(&book[i], s)) {
            book[i].accepted = 0;   /* processed since: a retry sees the outcome */
            wxp__fake_reply_subsidy(f, &book[i], is_return);
        } else
            wxp__fake_error(f, 400, "INVALID_REQUEST",
                            wxp__fake_say(f, name, wxp_cstr(s->out_no),
                                          " was already used with other parameters"));
        return 1;
    }
    return 0;
}

/* Books s, checked, as a new pay (is_return 0) or return receipt, and answers it. */
static void wxp__fake_subsidy_book(wxp_fake *f, wxp__fake_subsidy *s, int is_return)
{
    wxp__fake_priv *p = &f->wxp__priv;
    wxp__fake_subsidy *book = is_return ? p->sret : p->spay;
    size_t *n = is_return ? &p->nsret : &p->nspay;
    if (*n >= WXP_FAKE_MAX_SUBSIDIES) {
        wxp__fake_error(f, 500, "SYSTEM_ERROR",
                        is_return
                            ? "the fake's subsidy return book is full (WXP_FAKE_MAX_SUBSIDIES)"
                            : "the fake's subsidy book is full (WXP_FAKE_MAX_SUBSIDIES)");
        return;
    }
    wxp__fake_receipt_id(f, s->receipt_id, is_return ? "12" : "11");
    s->created_at = wxp__fake_now(f);
    s->accepted = (p->cur_faults & WXP_FAKE_ACCEPTED) != 0;
    book[*n] = *s;
    wxp__fake_reply_subsidy(f, &book[(*n)++], is_return);
}

/* POST /v3/marketing/busifavor/subsidy/pay-receipts */
static void wxp__fake_subsidy_pay(wxp_fake *f, const wxp_http_request *req)
{
    wxp__fake_subsidy s;
    const wxp_fake_coupon *c;
    const wxp_fake_order *o;
    if (!wxp__fake_subsidy_req(f, req, 0, &s) || wxp__fake_subsidy_retry(f, &s, 0)) return;
    c = wxp__fake_coupon_by(f, wxp_cstr(s.stock_id), wxp_cstr(s.coupon_code));
    if (!c) {
        wxp__fake_error(f, 404, "RESOURCE_NOT_EXISTS",
                        wxp__fake_say(f, "the coupon ", wxp_cstr(s.coupon_code),
                                      " does not exist in this stock"));
        return;
    }
    if (strcmp(c->state, "USED") != 0) {
        wxp__fake_error(f, 400, "INVALID_REQUEST",
                        "coupon is not used (state SENDED): only a used coupon is subsidised");
        return;
    }
    o = wxp__fake_order_by(f, wxp_cstr(s.transaction_id), 1);
    if (!o) {
        wxp__fake_error(f, 404, "RESOURCE_NOT_EXISTS",
                        wxp__fake_say(f, "the transaction ", wxp_cstr(s.transaction_id),
                                      " does not exist"));
        return;
    }
    wxp__fake_subsidy_book(f, &s, 0);
}

/* GET /v3/marketing/busifavor/subsidy/pay-receipts/{subsidy_receipt_id} */
static void wxp__fake_subsidy_query(wxp_fake *f, wxp_str seg)
{
    wxp__fake_priv *p = &f->wxp__priv;
    char id[65];
    size_t i;
    if (!wxp__fake_unpct(seg.ptr, seg.len, id, sizeof id) || !id[0]) {
        wxp__fake_param_error(f, "subsidy_receipt_id", " in the path is malformed");
        return;
    }
    for (i = 0; i < p->nspay; i++)
        if (strcmp(p->spay[i].receipt_id, id) == 0) {
            p->spay[i].accepted = 0;   /* processed by the time it is asked for */
            wxp__fake_reply_subsidy(f, &p->spay[i], 0);
            return;
        }
    wxp__fake_error(f, 404, "RESOURCE_NOT_EXISTS",
                    wxp__fake_say(f, "the subsidy receipt ", wxp_cstr(id), " does not exist"));
}

/* POST /v3/marketing/busifavor/subsidy/return-receipts */
static void wxp__fake_subsidy_return(wxp_fake *f, const wxp_http_request *req)
{
    wxp__fake_priv *p = &f->wxp__priv;
    wxp__fake_subsidy s;
    long long paid = 0, returned = 0;
    size_t i, first = (size_t)-1;
    if (!wxp__fake_subsidy_req(f, req, 1, &s) || wxp__fake_subsidy_retry(f, &s, 1)) return;
    for (i = 0; i < p->nspay; i++)
        if (wxp__fake_same_use(&p->spay[i], &s)) {
            if (first == (size_t)-1) first = i;
            paid += p->spay[i].amount;
        }
    if (first == (size_t)-1) {
        wxp__fake_error(f, 404, "RESOURCE_NOT_EXISTS",
                        wxp__fake_say(f, "no subsidy was paid for the coupon ",
                                      wxp_cstr(s.coupon_code), " in this transaction"));
        return;
    }
    if (strcmp(p->spay[first].payer, s.payer) != 0 || strcmp(p->spay[first].payee, s.payee) != 0) {
        wxp__fake_error(f, 400, "INVALID_REQUEST",
                        "payer_merchant and payee_merchant must be those of the subsidy payment");
        return;
    }
    for (i = 0; i < p->nsret; i++)
        if (wxp__fake_same_use(&p->sret[i], &s)) returned += p->sret[i].amount;
    if (s.amount > paid - returned) {
        size_t n = wxp__fake_cats(p->msg, sizeof p->msg, 0,
                                  "the return exceeds the subsidy left to return (");
        n = wxp__fake_cat_int(p->msg, sizeof p->msg, n, paid - returned);
        (void)wxp__fake_cats(p->msg, sizeof p->msg, n, " fen)");
        wxp__fake_error(f, 400, "INVALID_REQUEST", NULL);
        return;
    }
    s.pay = first;
    wxp__fake_subsidy_book(f, &s, 1);
}

/* ==== >>fake:v2 ============================================================= */
#ifndef WXP_NO_V2

/* "sign error", "XML format error", "invalid transaction_id", "order does not
   exist", "the order is fully refunded", "refund_fee exceeds what can be refunded",
   "the order or refund amount differs from the earlier request, please check",
   "system timeout", "appid and mch_id do not match": WeChat Pay's own words. */
#define WXP__FAKE_ZH_SIGNERR  "\xe7\xad\xbe\xe5\x90\x8d\xe9\x94\x99\xe8\xaf\xaf"
#define WXP__FAKE_ZH_XMLERR   "XML\xe6\xa0\xbc\xe5\xbc\x8f\xe9\x94\x99\xe8\xaf\xaf"
#define WXP__FAKE_ZH_BADTID   "\xe6\x97\xa0\xe6\x95\x88transaction_id"
#define WXP__FAKE_ZH_NOORDER  "\xe8\xae\xa2\xe5\x8d\x95\xe4\xb8\x8d\xe5\xad\x98\xe5\x9c\xa8"
#define WXP__FAKE_ZH_MISMATCH "\xe8\xae\xa2\xe5\x8d\x95\xe9\x87\x91\xe9\xa2\x9d\xe6\x88\x96" \
    "\xe9\x80\x80\xe6\xac\xbe\xe9\x87\x91\xe9\xa2\x9d\xe4\xb8\x8e\xe4\xb9\x8b\xe5\x89\x8d" \
    "\xe8\xaf\xb7\xe6\xb1\x82\xe4\xb8\x8d\xe4\xb8\x80\xe8\x87\xb4\x2c\xe8\xaf\xb7\xe6\xa0" \
    "\xb8\xe5\xae\x9e\xe5\x90\x8e\xe5\x86\x8d\xe8\xaf\x95"
/* "the paying user's change", as APIv2 refund queries spell the destination */
#define WXP__FAKE_ZH_CHANGE_V2 "\xe6\x94\xaf\xe4\xbb\x98\xe7\x94\xa8\xe6\x88\xb7\xe7\x9a\x84" \
                               "\xe9\x9b\xb6\xe9\x92\xb1"
#define WXP__FAKE_ZH_NOMATCH  "appid\xe5\x92\x8c" "mch_id\xe4\xb8\x8d\xe5\x8c\xb9\xe9\x85\x8d"

/* The APIv2 request paths the fake serves under /secapi/ or /pay/. */
static int wxp__fake_is_v2(wxp_str path)
{
    return wxp__fake_prefix(path, "/secapi/") || wxp__fake_prefix(path, "/pay/");
}

static void wxp__fake_v2_reset(wxp_fake *f)
{
    f->wxp__priv.v2nout = 0;
    f->wxp__priv.v2pool_used = 0;
    f->wxp__priv.v2full = 0;
}

/* n bytes copied into the answer's pool; an empty view (and v2full) when full. */
static wxp_str wxp__fake_pool(wxp_fake *f, const char *s, size_t n)
{
    wxp__fake_priv *p = &f->wxp__priv;
    wxp_str v = { "", 0 };
    if (n > sizeof p->v2pool - p->v2pool_used) { p->v2full = 1; return v; }
    if (n) memcpy(p->v2pool + p->v2pool_used, s, n);
    v.ptr = p->v2pool + p->v2pool_used;
    v.len = n;
    p->v2pool_used += n;
    return v;
}

static void wxp__fake_v2_put(wxp_fake *f, wxp_str key, wxp_str value)
{
    wxp__fake_priv *p = &f->wxp__priv;
    if (p->v2nout >= WXP_FAKE_V2_FIELDS) { p->v2full = 1; return; }
    p->v2out[p->v2nout].key = key;
    p->v2out[p->v2nout].value = value;
    p->v2nout++;
}

/* key (a literal) = value (a string that outlives the answer: the book, the request) */
static void wxp__fake_v2_s(wxp_fake *f, const char *key, const char *value)
{
    wxp__fake_v2_put(f, wxp_cstr(key), wxp_cstr(value));
}

static void wxp__fake_v2_i(wxp_fake *f, const char *key, long long v)
{
    char tmp[24];
    size_t n = wxp__fake_dec(tmp, v);
    wxp__fake_v2_put(f, wxp_cstr(key), wxp__fake_pool(f, tmp, n));
}

/* base_$n, or base_$n_$m when m >= 0, in the pool. */
static wxp_str wxp__fake_v2_key(wxp_fake *f, const char *base, long long n, long long m)
{
    char tmp[96];
    size_t len = wxp__fake_cats(tmp, sizeof tmp, 0, base);
    len = wxp__fake_cats(tmp, sizeof tmp, len, "_");
    len = wxp__fake_cat_int(tmp, sizeof tmp, len, n);
    if (m >= 0) {
        len = wxp__fake_cats(tmp, sizeof tmp, len, "_");
        len = wxp__fake_cat_int(tmp, sizeof tmp, len, m);
    }
    return wxp__fake_pool(f, tmp, len);
}

static void wxp__fake_v2_ns(wxp_fake *f, const char *base, long long n, long long m,
                            const char *value)
{
    wxp__fake_v2_put(f, wxp__fake_v2_key(f, base, n, m), wxp_cstr(value));
}

static void wxp__fake_v2_ni(wxp_fake *f, const char *base, long long n, long long m, long long v)
{
    char tmp[24];
    size_t len = wxp__fake_dec(tmp, v);
    wxp_str key = wxp__fake_v2_key(f, base, n, m);
    wxp__fake_v2_put(f, key, wxp__fake_pool(f, tmp, len));
}

/* Signs the fields with sign_type (-1: unsigned, a return_code FAIL answer) and
   writes the XML into p->out. A full pool or list, or an answer over
   WXP_FAKE_ANSWER_MAX, is status -1: the transport then fails. */
static void wxp__fake_v2_finish(wxp_fake *f, int sign_type)
{
    wxp__fake_priv *p = &f->wxp__priv;
    char sign[65];
    size_t len = 0;
    if (sign_type >= 0 && !p->v2full) {
        if (wxp_v2_sign(p->v2out, p->v2nout, p->cfg.apiv2_key, sign_type, sign, NULL) != WXP_OK)
            p->v2full = 1;
        else
            wxp__fake_v2_put(f, wxp_cstr("sign"), wxp__fake_pool(f, sign, strlen(sign)));
    }
    if (p->v2full ||
        wxp_xml_write(p->out, sizeof p->out, p->v2out, p->v2nout, &len, NULL) != WXP_OK) {
        p->status = -1;
        p->out_len = 0;
        return;
    }
    p->status = 200;
    p->out_len = len;
}

/* <return_code>FAIL</return_code><return_msg>msg</return_msg>, unsigned, as
   WeChat Pay refuses a request it cannot read or authenticate. */
static void wxp__fake_v2_return_fail(wxp_fake *f, const char *msg)
{
    wxp__fake_priv *p = &f->wxp__priv;
    if (msg != p->msg) (void)wxp__fake_copy(p->msg, sizeof p->msg, msg, strlen(msg));
    (void)wxp__fake_copy(p->code, sizeof p->code, "FAIL", 4);
    wxp__fake_v2_reset(f);
    wxp__fake_v2_s(f, "return_code", "FAIL");
    wxp__fake_v2_s(f, "return_msg", p->msg);
    wxp__fake_v2_finish(f, -1);
}

/* A non-empty request value. */
static int wxp__fake_v2_get(const wxp_fake *f, const char *key, wxp_str *out)
{
    const wxp_str *v = wxp_kv_get(f->wxp__priv.v2in, f->wxp__priv.v2n, key);
    if (!v || !v->len) return 0;
    *out = *v;
    return 1;
}

/* The head of every signed answer: return_code SUCCESS, appid, mch_id, a fresh
   nonce_str and result_code. */
static void wxp__fake_v2_head(wxp_fake *f, int ok)
{
    char nonce[17];
    wxp_str appid;
    wxp__fake_v2_reset(f);
    wxp__fake_v2_s(f, "return_code", "SUCCESS");
    wxp__fake_v2_s(f, "return_msg", "OK");
    if (wxp__fake_v2_get(f, "appid", &appid)) wxp__fake_v2_put(f, wxp_cstr("appid"), appid);
    wxp__fake_v2_s(f, "mch_id", f->wxp__priv.cfg.mchid);
    if (!wxp__fake_alnum(f, nonce, 16)) memcpy(nonce, "0000000000000000", 17);
    wxp__fake_v2_put(f, wxp_cstr("nonce_str"), wxp__fake_pool(f, nonce, 16));
    wxp__fake_v2_s(f, "result_code", ok ? "SUCCESS" : "FAIL");
}

/* result_code FAIL with err_code and err_code_des (des may be p->msg), signed. */
static void wxp__fake_v2_result_fail(wxp_fake *f, int sign_type, const char *code,
                                     const char *des)
{
    wxp__fake_priv *p = &f->wxp__priv;
    if (des != p->msg) (void)wxp__fake_copy(p->msg, sizeof p->msg, des, strlen(des));
    (void)wxp__fake_copy(p->code, sizeof p->code, code, strlen(code));
    wxp__fake_v2_head(f, 0);
    wxp__fake_v2_s(f, "err_code", p->code);
    wxp__fake_v2_s(f, "err_code_des", p->msg);
    wxp__fake_v2_finish(f, sign_type);
}

/* Parses the XML body into p->v2in and returns the request's sign_type
   (absent: MD5, WeChat Pay's default), or -1 with a return_code FAIL answer
   ready (no APIv2 key configured, bad XML, unknown sign_type). */
static int wxp__fake_v2_read(wxp_fake *f, const wxp_http_request *req)
{
    wxp__fake_priv *p = &f->wxp__priv;
    wxp_result r;
    wxp_str st;
    p->v2n = 0;
    if (!p->cfg.apiv2_key.len) {
        wxp__fake_v2_return_fail(f, "fake: config.apiv2_key is not set, it cannot check APIv2");
        return -1;
    }
    if (req->body.len > WXP_FAKE_BODY_MAX) {
        wxp__fake_v2_return_fail(f, "fake: the request is larger than WXP_FAKE_BODY_MAX");
        return -1;
    }
    if (req->body.len) memcpy(p->in, req->body.ptr, req->body.len);
    p->in[req->body.len] = 0;
    if (wxp_xml_parse(p->in, req->body.len, p->v2in, WXP_FAKE_V2_PARAMS, &p->v2n, &r) != WXP_OK) {
        p->v2n = 0;
        wxp__fake_v2_return_fail(f, WXP__FAKE_ZH_XMLERR);
        return -1;
    }
    if (!wxp__fake_v2_get(f, "sign_type", &st) || wxp__fake_eq(st, "MD5")) return WXP_V2_MD5;
    if (wxp__fake_eq(st, "HMAC-SHA256")) return WXP_V2_HMAC_SHA256;
    wxp__fake_v2_return_fail(f, wxp__fake_say(f, "sign_type ", st,
                                              " is neither MD5 nor HMAC-SHA256"));
    return -1;
}

/* wxp__fake_v2_read, then mch_id, nonce_str and the sign, as WeChat Pay checks
   them before anything else. -1 with a return_code FAIL answer ready. */
static int wxp__fake_v2_parse(wxp_fake *f, const wxp_http_request *req)
{
    wxp__fake_priv *p = &f->wxp__priv;
    wxp_result r;
    wxp_str v;
    int st = wxp__fake_v2_read(f, req);
    if (st < 0) return -1;
    if (!wxp__fake_v2_get(f, "mch_id", &v) || !wxp__fake_eq(v, p->cfg.mchid)) {
        wxp__fake_v2_return_fail(f, "mch_id is missing or is not this merchant");
        return -1;
    }
    if (!wxp__fake_v2_get(f, "nonce_str", &v) || v.len > 32) {
        wxp__fake_v2_return_fail(f, "nonce_str must be 1-32 characters");
        return -1;
    }
    if (wxp_v2_verify(p->v2in, p->v2n, p->cfg.apiv2_key, st, &r) != WXP_OK) {
        wxp__fake_v2_return_fail(f, WXP__FAKE_ZH_SIGNERR);
        return -1;
    }
    return st;
}

/* An unsigned integer value of at most 12 digits: 1, 0 absent, -1 malformed. */
static int wxp__fake_v2_int(const wxp_fake *f, const char *key, long long *out)
{
    wxp_str v;
    size_t i;
    *out = 0;
    if (!wxp__fake_v2_get(f, key, &v)) return 0;
    if (v.len > 12) return -1;
    for (i = 0; i < v.len; i++) {
        if (v.ptr[i] < '0' || v.ptr[i] > '9') return -1;
        *out = *out * 10 + (v.ptr[i] - '0');
    }
    return 1;
}

/* appid present and this merchant's: 1, else 0 with a result_code FAIL answer. */
static int wxp__fake_v2_appid(wxp_fake *f, int st)
{
    wxp_str appid;
    if (!wxp__fake_v2_get(f, "appid", &appid)) {
        wxp__fake_v2_result_fail(f, st, "PARAM_ERROR", "appid is required");
        return 0;
    }
    if (!wxp__fake_eq(appid, f->wxp__priv.cfg.appid)) {
        wxp__fake_v2_result_fail(f, st, "APPID_MCHID_NOT_MATCH", WXP__FAKE_ZH_NOMATCH);
        return 0;
    }
    return 1;
}

/* The amounts both refund answers share, derived from the order's coupons. */
static void wxp__fake_v2_order_fees(wxp_fake *f, const wxp_fake_order *o)
{
    wxp__fake_v2_i(f, "total_fee", o->total);
    wxp__fake_v2_i(f, "settlement_total_fee", o->total - wxp__fake_coupon_sum(o, 1));
    wxp__fake_v2_s(f, "fee_type", "CNY");
    wxp__fake_v2_i(f, "cash_fee", o->total - wxp__fake_coupon_sum(o, 0));
}

static void wxp__fake_v2_reply_refund(wxp_fake *f, int st, const wxp_fake_refund *r)
{
    const wxp_fake_order *o = &f->wxp__priv.orders[r->order];
    long long coupons = wxp__fake_refund_coupons(o, r, 0);
    size_t i, n = 0;
    wxp__fake_v2_head(f, 1);
    wxp__fake_v2_s(f, "transaction_id", o->transaction_id);
    wxp__fake_v2_s(f, "out_trade_no", o->out_trade_no);
    wxp__fake_v2_s(f, "out_refund_no", r->out_refund_no);
    wxp__fake_v2_s(f, "refund_id", r->refund_id);
    wxp__fake_v2_i(f, "refund_fee", r->amount);
    wxp__fake_v2_i(f, "settlement_refund_fee", r->amount - wxp__fake_refund_coupons(o, r, 1));
    wxp__fake_v2_order_fees(f, o);
    wxp__fake_v2_i(f, "cash_refund_fee", r->amount - coupons);
    wxp__fake_v2_i(f, "coupon_refund_fee", coupons);
    for (i = 0; i < o->coupon_count; i++) n += r->coupon_refund[i] > 0;
    wxp__fake_v2_i(f, "coupon_refund_count", (long long)n);
    for (i = 0, n = 0; i < o->coupon_count; i++) {
        if (!r->coupon_refund[i]) continue;
        wxp__fake_v2_ns(f, "coupon_type", (long long)n, -1, o->coupons[i].type);
        wxp__fake_v2_ni(f, "coupon_refund_fee", (long long)n, -1, r->coupon_refund[i]);
        wxp__fake_v2_ns(f, "coupon_refund_id", (long long)n, -1, o->coupons[i].coupon_id);
        n++;
    }
    wxp__fake_v2_finish(f, st);
}

/* POST /secapi/pay/refund and /secapi/pay/refundv2 (with_detail). */
static void wxp__fake_v2_refund(wxp_fake *f, const wxp_http_request *req, int with_detail)
{
    wxp__fake_priv *p = &f->wxp__priv;
    wxp_str orn, tid, otn, v;
    long long total = 0, fee = 0;
    int st = wxp__fake_v2_parse(f, req), has_tid, has_otn;
    const char *account = "REFUND_SOURCE_UNSETTLED_FUNDS";
    const wxp__fake_code *rule;
    wxp_fake_order *o;
    wxp_fake_refund *r;
    if (st < 0 || !wxp__fake_v2_appid(f, st)) return;
    if (wxp__fake_v2_get(f, "sub_mch_id", &v) && wxp__fake_sub(f, v) < 0) {
        wxp__fake_v2_result_fail(f, st, "MCHID_NOT_EXIST",
                                 wxp__fake_say(f, "sub_mch_id ", v, " is not a sub-merchant of this service provider"));
        return;
    }
    if (!wxp__fake_v2_get(f, "out_refund_no", &orn) || !wxp__fake_outno_ok(orn, 64)) {
        wxp__fake_v2_result_fail(f, st, "PARAM_ERROR",
                                 "out_refund_no must be 1-64 of [0-9A-Za-z_-|*@]");
        return;
    }
    has_tid = wxp__fake_v2_get(f, "transaction_id", &tid);
    has_otn = wxp__fake_v2_get(f, "out_trade_no", &otn);
    if (!has_tid && !has_otn) {
        wxp__fake_v2_result_fail(f, st, "PARAM_ERROR", "transaction_id or out_trade_no is required");
        return;
    }
    if (wxp__fake_v2_int(f, "total_fee", &total) != 1 || total < 1 ||
        wxp__fake_v2_int(f, "refund_fee", &fee) != 1 || fee < 1) {
        wxp__fake_v2_result_fail(f, st, "PARAM_ERROR",
                                 "total_fee and refund_fee must be whole fen, at least 1");
        return;
    }
    if (fee > total) {
        wxp__fake_v2_return_fail(f, "invalid refund_fee");   /* WeChat Pay's answer */
        return;
    }
    if (wxp__fake_v2_get(f, "refund_fee_type", &v) && !wxp__fake_eq(v, "CNY")) {
        wxp__fake_v2_result_fail(f, st, "PARAM_ERROR", "refund_fee_type must be CNY");
        return;
    }
    if (wxp__fake_v2_get(f, "refund_desc", &v) && wxp__fake_utf8_count(v) > 80) {
        wxp__fake_v2_result_fail(f, st, "PARAM_ERROR", "refund_desc is longer than 80 characters");
        return;
    }
    if (wxp__fake_v2_get(f, "refund_account", &v)) {
        if (wxp__fake_eq(v, "REFUND_SOURCE_RECHARGE_FUNDS")) account = "REFUND_SOURCE_RECHARGE_FUNDS";
        else if (!wxp__fake_eq(v, "REFUND_SOURCE_UNSETTLED_FUNDS")) {
            wxp__fake_v2_result_fail(f, st, "PARAM_ERROR",
                                     "refund_account must be REFUND_SOURCE_UNSETTLED_FUNDS or"
                                     " REFUND_SOURCE_RECHARGE_FUNDS");
            return;
        }
    }
    if (with_detail) {
        wxp_result jr;
        if (!wxp__fake_v2_get(f, "detail", &v)) {
            wxp__fake_v2_result_fail(f, st, "PARAM_ERROR", "refundv2 requires detail");
            return;
        }
        /* v sits in p->in, writable; the JSON reader only validates here. */
        if (wxp_json_parse(&p->doc, (char *)v.ptr, v.len, p->tok, WXP_FAKE_JSON_TOKENS, &jr) !=
                WXP_OK ||
            p->doc.tok[0].type != WXP_JSON_OBJECT) {
            wxp__fake_v2_result_fail(f, st, "PARAM_ERROR", "detail is not a JSON object");
            return;
        }
    }
    /* transaction_id wins when both are given, as on the real server. */
    o = has_tid ? wxp__fake_order_by(f, tid, 1) : wxp__fake_order_by(f, otn, 0);
    if (!o || !wxp__fake_paid(o)) {
        if (has_tid) wxp__fake_v2_result_fail(f, st, "INVALID_TRANSACTIONID", WXP__FAKE_ZH_BADTID);
        else wxp__fake_v2_result_fail(f, st, "ORDERNOTEXIST", WXP__FAKE_ZH_NOORDER);
        return;
    }
    r = wxp__fake_refund_by(f, orn);
    if (r) {
        /* A retry with the same out_refund_no is answered, never booked twice. */
        if (&p->orders[r->order] != o)
            wxp__fake_v2_result_fail(f, st, "INVALID_REQUEST",
                                     wxp__fake_say(f, "out_refund_no ", orn,
                                                   " was used on another order"));
        else if (r->amount != fee || total != o->total)
            wxp__fake_v2_result_fail(f, st, "REFUND_FEE_MISMATCH", WXP__FAKE_ZH_MISMATCH);
        else
            wxp__fake_v2_reply_refund(f, st, r);
        return;
    }
    if (total != o->total) {
        wxp__fake_v2_result_fail(f, st, "REFUND_FEE_MISMATCH", WXP__FAKE_ZH_MISMATCH);
        return;
    }
    if ((rule = wxp__fake_refund_rules(f, o, fee)) != NULL) {
        wxp__fake_v2_result_fail(f, st, rule->v2, p->msg);
        return;
    }
    if (p->nrefunds >= WXP_FAKE_MAX_REFUNDS) {
        wxp__fake_v2_result_fail(f, st, "SYSTEMERROR",
                                 "the fake's refund book is full (WXP_FAKE_MAX_REFUNDS)");
        return;
    }
    r = wxp__fake_book(f, o, orn, fee, account);
    wxp__fake_v2_reply_refund(f, st, r);
}

/* APIv2 names of the refund states. */
static const char *wxp__fake_v2_status(const char *s)
{
    if (strcmp(s, "CLOSED") == 0) return "REFUNDCLOSE";
    if (strcmp(s, "ABNORMAL") == 0) return "CHANGE";
    return s;   /* SUCCESS, PROCESSING */
}

/* One refund of a refundquery answer, as refund n. */
static void wxp__fake_v2_item(wxp_fake *f, wxp_fake_refund *r, long long n)
{
    const wxp_fake_order *o = &f->wxp__priv.orders[r->order];
    size_t i, m = 0, count = 0;
    wxp__fake_settle(f, r);
    wxp__fake_v2_ns(f, "out_refund_no", n, -1, r->out_refund_no);
    wxp__fake_v2_ns(f, "refund_id", n, -1, r->refund_id);
    wxp__fake_v2_ns(f, "refund_channel", n, -1, "ORIGINAL");
    wxp__fake_v2_ni(f, "refund_fee", n, -1, r->amount);
    wxp__fake_v2_ni(f, "settlement_refund_fee", n, -1,
                    r->amount - wxp__fake_refund_coupons(o, r, 1));
    for (i = 0; i < o->coupon_count; i++) count += r->coupon_refund[i] > 0;
    if (count) {
        wxp__fake_v2_ni(f, "coupon_refund_fee", n, -1, wxp__fake_refund_coupons(o, r, 0));
        wxp__fake_v2_ni(f, "coupon_refund_count", n, -1, (long long)count);
        for (i = 0; i < o->coupon_count; i++) {
            if (!r->coupon_refund[i]) continue;
            wxp__fake_v2_ns(f, "coupon_type", n, (long long)m, o->coupons[i].type);
            wxp__fake_v2_ni(f, "coupon_refund_fee", n, (long long)m, r->coupon_refund[i]);
            wxp__fake_v2_ns(f, "coupon_refund_id", n, (long long)m, o->coupons[i].coupon_id);
            m++;
        }
    }
    wxp__fake_v2_ns(f, "refund_status", n, -1, wxp__fake_v2_status(r->status));
    wxp__fake_v2_ns(f, "refund_account", n, -1, r->account);
    wxp__fake_v2_ns(f, "refund_recv_accout", n, -1, WXP__FAKE_ZH_CHANGE_V2);
    if (strcmp(r->status, "SUCCESS") == 0) {
        char t[26];
        wxp__fake_rfc3339(r->succeeded_at, t);
        t[10] = ' ';            /* APIv2: 2024-01-02 03:04:05, China time */
        wxp__fake_v2_put(f, wxp__fake_v2_key(f, "refund_success_time", n, -1),
                         wxp__fake_pool(f, t, 19));
    }
}

/* POST /pay/refundquery: by refund_id, else out_refund_no (one refund), else
   transaction_id, else out_trade_no (the order's refunds, WXP_FAKE_V2_PAGE from
   offset). */
static void wxp__fake_v2_refundquery(wxp_fake *f, const wxp_http_request *req)
{
    wxp__fake_priv *p = &f->wxp__priv;
    wxp_fake_refund *one = NULL;
    wxp_fake_order *o = NULL;
    wxp_str v;
    long long offset = 0, n = 0, seen = 0;
    int st = wxp__fake_v2_parse(f, req), rc;
    size_t i;
    if (st < 0 || !wxp__fake_v2_appid(f, st)) return;
    if ((rc = wxp__fake_v2_int(f, "offset", &offset)) < 0) {
        wxp__fake_v2_result_fail(f, st, "PARAM_ERROR", "offset must be a whole number");
        return;
    }
    if (wxp__fake_v2_get(f, "refund_id", &v)) {
        for (i = 0; i < p->nrefunds && !one; i++)
            if (wxp__fake_eq(v, p->refunds[i].refund_id)) one = &p->refunds[i];
    } else if (wxp__fake_v2_get(f, "out_refund_no", &v)) {
        one = wxp__fake_refund_by(f, v);
    } else if (wxp__fake_v2_get(f, "transaction_id", &v)) {
        o = wxp__fake_order_by(f, v, 1);
    } else if (wxp__fake_v2_get(f, "out_trade_no", &v)) {
        o = wxp__fake_order_by(f, v, 0);
    } else {
        wxp__fake_v2_result_fail(f, st, "PARAM_ERROR",
                                 "one of refund_id, out_refund_no, transaction_id and"
                                 " out_trade_no is required");
        return;
    }
    if (one) o = &p->orders[one->order];
    if (!o || (!one && offset >= (long long)o->refund_count) || (one && offset > 0)) {
        wxp__fake_v2_result_fail(f, st, "REFUNDNOTEXIST", "not exist");
        return;
    }
    wxp__fake_v2_head(f, 1);
    wxp__fake_v2_s(f, "transaction_id", o->transaction_id);
    wxp__fake_v2_s(f, "out_trade_no", o->out_trade_no);
    wxp__fake_v2_order_fees(f, o);
    if (one) {
        wxp__fake_v2_i(f, "refund_count", 1);
        wxp__fake_v2_i(f, "total_refund_count", (long long)o->refund_count);
        wxp__fake_v2_item(f, one, 0);
    } else {
        long long left = (long long)o->refund_count - offset;
        wxp__fake_v2_i(f, "refund_count", left < WXP_FAKE_V2_PAGE ? left : WXP_FAKE_V2_PAGE);
        wxp__fake_v2_i(f, "total_refund_count", (long long)o->refund_count);
        for (i = 0; i < p->nrefunds && n < WXP_FAKE_V2_PAGE; i++) {
            if (&p->orders[p->refunds[i].order] != o) continue;
            if (seen++ < offset) continue;
            wxp__fake_v2_item(f, &p->refunds[i], n++);
        }
    }
    wxp__fake_v2_finish(f, st);
}

/* ---- barcode payment: micropay, orderquery, reverse ---------------------------- */


/* The order fields of a micropay or orderquery answer (after the head). */
static void wxp__fake_v2_order(wxp_fake *f, const wxp_fake_order *o, int query)
{
    char end[15];
    const char *state = wxp__fake_query_state(o);
    wxp_str v;
    long long coupons = wxp__fake_coupon_sum(o, 0);
    if (!query && wxp__fake_v2_get(f, "device_info", &v)) wxp__fake_v2_put(f, wxp_cstr("device_info"), v);
    if (o->transaction_id[0]) {
        wxp__fake_v2_s(f, "openid", wxp__fake_payer(f, o));
        wxp__fake_v2_s(f, "is_subscribe", "N");
    }
    wxp__fake_v2_s(f, "trade_type", o->trade_type[0] ? o->trade_type : "NATIVE");
    if (query) {
        wxp__fake_v2_s(f, "trade_state", state);
        wxp__fake_v2_s(f, "trade_state_desc", wxp__fake_state_desc(state));
    }
    wxp__fake_v2_i(f, "total_fee", o->total);
    wxp__fake_v2_s(f, "fee_type", "CNY");
    if (o->transaction_id[0]) {
        wxp__fake_v2_s(f, "bank_type", "OTHERS");
        wxp__fake_v2_s(f, "cash_fee_type", "CNY");
        wxp__fake_v2_i(f, "cash_fee", o->total - coupons);
        if (coupons) wxp__fake_v2_i(f, "coupon_fee", coupons);
        wxp__fake_v2_s(f, "transaction_id", o->transaction_id);
        wxp__fake_time_end(o->paid_at, end);
        wxp__fake_v2_put(f, wxp_cstr("time_end"), wxp__fake_pool(f, end, 14));
    }
    wxp__fake_v2_s(f, "out_trade_no", o->out_trade_no);
    if (!query && wxp__fake_v2_get(f, "attach", &v)) wxp__fake_v2_put(f, wxp_cstr("attach"), v);
}

/* POST /pay/micropay */
static void wxp__fake_v2_micropay(wxp_fake *f, const wxp_http_request *req)
{
    wxp__fake_priv *p = &f->wxp__priv;
    wxp_str body, otn, ip, code, v;
    long long total = 0;
    int st = wxp__fake_v2_parse(f, req);
    wxp_fake_order *o;
    wxp_fake_customer *c;
    if (st < 0 || !wxp__fake_v2_appid(f, st)) return;
    if (!wxp__fake_v2_get(f, "body", &body) || wxp__fake_utf8_count(body) > 128) {
        wxp__fake_v2_result_fail(f, st, "PARAM_ERROR", "body must be 1-128 characters");
        return;
    }
    if (!wxp__fake_v2_get(f, "out_trade_no", &otn) || !wxp__fake_outno_ok(otn, 32)) {
        wxp__fake_v2_result_fail(f, st, "PARAM_ERROR",
                                 "out_trade_no must be 1-32 of [0-9A-Za-z_-|*@]");
        return;
    }
    if (wxp__fake_v2_int(f, "total_fee", &total) != 1 || total < 1 || total > WXP__FAKE_FEN_MAX) {
        wxp__fake_v2_result_fail(f, st, "PARAM_ERROR", "total_fee must be whole fen, at least 1");
        return;
    }
    if (wxp__fake_v2_get(f, "fee_type", &v) && !wxp__fake_eq(v, "CNY")) {
        wxp__fake_v2_result_fail(f, st, "PARAM_ERROR", "fee_type must be CNY");
        return;
    }
    if (!wxp__fake_v2_get(f, "spbill_create_ip", &ip) || !wxp__fake_v2_get(f, "auth_code", &code)) {
        wxp__fake_v2_result_fail(f, st, "PARAM_ERROR", "spbill_create_ip and auth_code are required");
        return;
    }
    o = wxp__fake_order_by(f, otn, 0);
    if (o) {
        if (wxp__fake_paid(o)) {
            wxp__fake_v2_result_fail(f, st, "ORDERPAID", WXP__FAKE_ZH_ORDERPAID);
            return;
        }
        if (strcmp(o->trade_state, "REVOKED") == 0) {
            wxp__fake_v2_result_fail(f, st, "ORDERREVERSED", WXP__FAKE_ZH_REVERSED);
            return;
        }
        if (strcmp(o->trade_state, "CLOSED") == 0) {
            wxp__fake_v2_result_fail(f, st, "ORDERCLOSED", WXP__FAKE_ZH_O_CLOSED);
            return;
        }
        if (strcmp(o->trade_type, "MICROPAY") != 0 || o->total != total) {
            wxp__fake_v2_result_fail(f, st, "OUT_TRADE_NO_USED", WXP__FAKE_ZH_DUPNO);
            return;
        }
        if (strcmp(o->trade_state, "USERPAYING") == 0) {
            wxp__fake_v2_result_fail(f, st, "USERPAYING", WXP__FAKE_ZH_PASSWORD);
            return;
        }
        /* PAYERROR: the customer tries again, perhaps with another code. */
    } else {
        if (p->norders >= WXP_FAKE_MAX_ORDERS) {
            wxp__fake_v2_result_fail(f, st, "SYSTEMERROR",
                                     "the fake's order book is full (WXP_FAKE_MAX_ORDERS)");
            return;
        }
        o = &p->orders[p->norders++];
        memset(o, 0, sizeof *o);
        wxp__fake_str_field(o->out_trade_no, sizeof o->out_trade_no, otn);
        (void)wxp__fake_copy(o->trade_type, sizeof o->trade_type, "MICROPAY", 8);
        o->total = total;
        o->created_at = wxp__fake_now(f);
    }
    wxp__fake_str_field(o->auth_code, sizeof o->auth_code, code);
    c = wxp__fake_wechat_code(code) ? wxp__fake_customer_by(f, code) : NULL;
    o->customer = c ? (size_t)(c - p->customers) + 1 : 0;
    if (!c) {
        wxp__fake_set_state(o, "PAYERROR");
        wxp__fake_v2_result_fail(f, st, "AUTH_CODE_INVALID", WXP__FAKE_ZH_BADCODE);
        return;
    }
    if (c->behaviour == WXP_FAKE_PAY_AFTER_POLLS || c->behaviour == WXP_FAKE_NEVER_CONFIRMS) {
        wxp__fake_set_state(o, "USERPAYING");
        o->polls_left = c->behaviour == WXP_FAKE_PAY_AFTER_POLLS ? c->polls : 0;
        wxp__fake_v2_result_fail(f, st, "USERPAYING", WXP__FAKE_ZH_PASSWORD);
        return;
    }
    if (!wxp__fake_charge(f, o, c)) {
        wxp__fake_v2_result_fail(f, st, "NOTENOUGH", WXP__FAKE_ZH_NOTENOUGH);
        return;
    }
    wxp__fake_v2_head(f, 1);
    wxp__fake_v2_order(f, o, 0);
    wxp__fake_v2_finish(f, st);
}

/* The order an orderquery or reverse names: transaction_id, else out_trade_no.
   NULL with the answer ready (PARAM_ERROR, ORDERNOTEXIST). */
static wxp_fake_order *wxp__fake_v2_named(wxp_fake *f, int st)
{
    wxp_str tid, otn;
    wxp_fake_order *o;
    int has_tid = wxp__fake_v2_get(f, "transaction_id", &tid);
    if (!has_tid && !wxp__fake_v2_get(f, "out_trade_no", &otn)) {
        wxp__fake_v2_result_fail(f, st, "PARAM_ERROR", "transaction_id or out_trade_no is required");
        return NULL;
    }
    o = has_tid ? wxp__fake_order_by(f, tid, 1) : wxp__fake_order_by(f, otn, 0);
    if (!o) wxp__fake_v2_result_fail(f, st, "ORDERNOTEXIST", WXP__FAKE_ZH_NOORDER);
    return o;
}

/* POST /pay/orderquery: the customer may pay while the terminal polls. */
static void wxp__fake_v2_orderquery(wxp_fake *f, const wxp_http_request *req)
{
    wxp__fake_priv *p = &f->wxp__priv;
    int st = wxp__fake_v2_parse(f, req);
    wxp_fake_order *o;
    if (st < 0 || !wxp__fake_v2_appid(f, st) || !(o = wxp__fake_v2_named(f, st))) return;
    o->queries++;
    if (strcmp(o->trade_state, "USERPAYING") == 0 && o->customer && o->polls_left &&
        --o->polls_left == 0)
        (void)wxp__fake_charge(f, o, &p->customers[o->customer - 1]);
    wxp__fake_v2_head(f, 1);
    wxp__fake_v2_order(f, o, 1);
    wxp__fake_v2_finish(f, st);
}

/* POST /secapi/pay/reverse: a payment goes back, an open order closes. */
static void wxp__fake_v2_reverse(wxp_fake *f, const wxp_http_request *req)
{
    wxp__fake_priv *p = &f->wxp__priv;
    int st = wxp__fake_v2_parse(f, req);
    wxp_fake_order *o;
    if (st < 0 || !wxp__fake_v2_appid(f, st) || !(o = wxp__fake_v2_named(f, st))) return;
    o->reverses++;
    if (!(p->cur_faults & WXP_FAKE_RECALL)) {
        if (wxp__fake_now(f) - o->created_at > 7 * 86400LL) {
            wxp__fake_v2_result_fail(f, st, "REVERSE_EXPIRE", WXP__FAKE_ZH_NOREVERSE);
            return;
        }
        if (wxp__fake_paid(o)) {
            long long back = o->total - o->refunded;
            o->reversed = back;
            wxp__fake_give_back(f, o, back);
            wxp__fake_set_state(o, "REVOKED");
        } else if (strcmp(o->trade_state, "CLOSED") != 0) {
            wxp__fake_set_state(o, "REVOKED");   /* NOTPAY, USERPAYING, PAYERROR; REVOKED */
        }
        o->polls_left = 0;
    }
    wxp__fake_v2_head(f, 1);
    wxp__fake_v2_s(f, "recall", (p->cur_faults & WXP_FAKE_RECALL) ? "Y" : "N");
    wxp__fake_v2_finish(f, st);
}

static void wxp__fake_v2_route(wxp_fake *f, const wxp_http_request *req, const char *m,
                               wxp_str path)
{
    if (strcmp(m, "POST") == 0 && wxp__fake_eq(path, "/secapi/pay/refund"))
        wxp__fake_v2_refund(f, req, 0);
    else if (strcmp(m, "POST") == 0 && wxp__fake_eq(path, "/secapi/pay/refundv2"))
        wxp__fake_v2_refund(f, req, 1);
    else if (strcmp(m, "POST") == 0 &&
             (wxp__fake_eq(path, "/pay/refundquery") || wxp__fake_eq(path, "/pay/refundqueryv2")))
        wxp__fake_v2_refundquery(f, req);   /* v2: single-item promotions, none here */
    else if (strcmp(m, "POST") == 0 && wxp__fake_eq(path, "/pay/micropay"))
        wxp__fake_v2_micropay(f, req);
    else if (strcmp(m, "POST") == 0 && wxp__fake_eq(path, "/pay/orderquery"))
        wxp__fake_v2_orderquery(f, req);
    else if (strcmp(m, "POST") == 0 && wxp__fake_eq(path, "/secapi/pay/reverse"))
        wxp__fake_v2_reverse(f, req);
    else
        wxp__fake_error(f, 404, "NOT_FOUND",
                        wxp__fake_say(f, "the fake does not serve the APIv2 path ", path, ""));
}

#endif /* WXP_NO_V2 */

/* ==== >>fake:bills-media ==================================================== */

/* bill_type by number: the token and dl_kind carry the index. */
static const char *const wxp__fake_bill_types[3] = { "ALL", "SUCCESS", "REFUND" };

/* The 27-column heading of WeChat Pay's ALL trade bill, and of its summary. */
#define WXP__FAKE_ZH_BILL_HEAD                                                                   \
    "\xe4\xba\xa4\xe6\x98\x93\xe6\x97\xb6\xe9\x97\xb4,\xe5\x85\xac\xe4\xbc\x97\xe8\xb4\xa6"      \
    "\xe5\x8f\xb7ID,\xe5\x95\x86\xe6\x88\xb7\xe5\x8f\xb7,\xe7\x89\xb9\xe7\xba\xa6\xe5\x95\x86"   \
    "\xe6\x88\xb7\xe5\x8f\xb7,\xe8\xae\xbe\xe5\xa4\x87\xe5\x8f\xb7,\xe5\xbe\xae\xe4\xbf\xa1"     \
    "\xe8\xae\xa2\xe5\x8d\x95\xe5\x8f\xb7,\xe5\x95\x86\xe6\x88\xb7\xe8\xae\xa2\xe5\x8d\x95"      \
    "\xe5\x8f\xb7,\xe7\x94\xa8\xe6\x88\xb7\xe6\xa0\x87\xe8\xaf\x86,\xe4\xba\xa4\xe6\x98\x93"     \
    "\xe7\xb1\xbb\xe5\x9e\x8b,\xe4\xba\xa4\xe6\x98\x93\xe7\x8a\xb6\xe6\x80\x81,\xe4\xbb\x98"     \
    "\xe6\xac\xbe\xe9\x93\xb6\xe8\xa1\x8c,\xe8\xb4\xa7\xe5\xb8\x81\xe7\xa7\x8d\xe7\xb1\xbb,"     \
    "\xe5\xba\x94\xe7\xbb\x93\xe8\xae\xa2\xe5\x8d\x95\xe9\x87\x91\xe9\xa2\x9d,\xe4\xbb\xa3"      \
    "\xe9\x87\x91\xe5\x88\xb8\xe9\x87\x91\xe9\xa2\x9d,\xe5\xbe\xae\xe4\xbf\xa1\xe9\x80\x80"      \
    "\xe6\xac\xbe\xe5\x8d\x95\xe5\x8f\xb7,\xe5\x95\x86\xe6\x88\xb7\xe9\x80\x80\xe6\xac\xbe"      \
    "\xe5\x8d\x95\xe5\x8f\xb7,\xe9\x80\x80\xe6\xac\xbe\xe9\x87\x91\xe9\xa2\x9d,\xe5\x85\x85"     \
    "\xe5\x80\xbc\xe5\x88\xb8\xe9\x80\x80\xe6\xac\xbe\xe9\x87\x91\xe9\xa2\x9d,\xe9\x80\x80"      \
    "\xe6\xac\xbe\xe7\xb1\xbb\xe5\x9e\x8b,\xe9\x80\x80\xe6\xac\xbe\xe7\x8a\xb6\xe6\x80\x81,"     \
    "\xe5\x95\x86\xe5\x93\x81\xe5\x90\x8d\xe7\xa7\xb0,\xe5\x95\x86\xe6\x88\xb7\xe6\x95\xb0"      \
    "\xe6\x8d\xae\xe5\x8c\x85,\xe6\x89\x8b\xe7\xbb\xad\xe8\xb4\xb9,\xe8\xb4\xb9\xe7\x8e\x87,"    \
    "\xe8\xae\xa2\xe5\x8d\x95\xe9\x87\x91\xe9\xa2\x9d,\xe7\x94\xb3\xe8\xaf\xb7\xe9\x80\x80"      \
    "\xe6\xac\xbe\xe9\x87\x91\xe9\xa2\x9d,\xe8\xb4\xb9\xe7\x8e\x87\xe5\xa4\x87\xe6\xb3\xa8\r\n"
#define WXP__FAKE_ZH_BILL_SUM                                                                    \
    "\xe6\x80\xbb\xe4\xba\xa4\xe6\x98\x93\xe5\x8d\x95\xe6\x95\xb0,\xe5\xba\x94\xe7\xbb\x93"      \
    "\xe8\xae\xa2\xe5\x8d\x95\xe6\x80\xbb\xe9\x87\x91\xe9\xa2\x9d,\xe9\x80\x80\xe6\xac\xbe"      \
    "\xe6\x80\xbb\xe9\x87\x91\xe9\xa2\x9d,\xe5\x85\x85\xe5\x80\xbc\xe5\x88\xb8\xe9\x80\x80"      \
    "\xe6\xac\xbe\xe6\x80\xbb\xe9\x87\x91\xe9\xa2\x9d,\xe6\x89\x8b\xe7\xbb\xad\xe8\xb4\xb9"      \
    "\xe6\x80\xbb\xe9\x87\x91\xe9\xa2\x9d,\xe8\xae\xa2\xe5\x8d\x95\xe6\x80\xbb\xe9\x87\x91"      \
    "\xe9\xa2\x9d,\xe7\x94\xb3\xe8\xaf\xb7\xe9\x80\x80\xe6\xac\xbe\xe6\x80\xbb\xe9\x87\x91"      \
    "\xe9\xa2\x9d\r\n"

static int wxp__fake_date_ok(const char *d)
{
    size_t i;
    if (strlen(d) != 10 || d[4] != '-' || d[7] != '-') return 0;
    for (i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9')) return 0;
    return 1;
}

WXP_FAKE_API wxp_err wxp_fake_add_bill(wxp_fake *f, const char *bill_date, unsigned rows)
{
    wxp__fake_priv *p = &f->wxp__priv;
    size_t i;
    if (!bill_date || !wxp__fake_date_ok(bill_date) || rows > 1000000) return WXP_E_ARG;
    for (i = 0; i < p->nbills; i++)
        if (strcmp(p->bills[i].date, bill_date) == 0) return WXP_E_ARG;
    if (p->nbills == WXP_FAKE_MAX_BILLS) return WXP_E_FULL;
    memcpy(p->bills[p->nbills].date, bill_date, 11);
    p->bills[p->nbills].rows = rows;
    p->nbills++;
    return WXP_OK;
}

/* Row k's amounts in fen: the order, and the refund (every 4th row; else 0). */
static long long wxp__fake_bill_fen(unsigned k) { return 100 + (long long)(k * 7919ULL % 99900); }
static long long wxp__fake_bill_refund(unsigned k)
{
    return k % 4 == 3 ? wxp__fake_bill_fen(k) / 2 : 0;
}
/* The 0.60% fee of a payment row, rounded to the fen. */
static long long wxp__fake_bill_fee(unsigned k) { return (wxp__fake_bill_fen(k) * 6 + 500) / 1000; }

/* ",`" and yuan of fen ("12.34"). */
static size_t wxp__fake_cat_yuan(char *d, size_t cap, size_t n, long long fen)
{
    char c[2];
    n = wxp__fake_cats(d, cap, n, ",`");
    n = wxp__fake_cat_int(d, cap, n, fen / 100);
    c[0] = (char)('0' + (int)(fen % 100 / 10));
    c[1] = (char)('0' + (int)(fen % 10));
    n = wxp__fake_cats(d, cap, n, ".");
    return wxp__fake_cat(d, cap, n, c, 2);
}

/* ",`" and s. */
static size_t wxp__fake_cat_field(char *d, size_t cap, size_t n, const char *s)
{
    n = wxp__fake_cats(d, cap, n, ",`");
    return wxp__fake_cats(d, cap, n, s);
}

/* Piece k of bill b of kind into p->scratch: the heading (k 0), row k - 1
   (empty when kind leaves it out), the summary heading and line; its length,
   or (size_t)-1 past the end. Made afresh each time: the hash of the bill
   and its download are the same bytes. */
static size_t wxp__fake_bill_piece(wxp_fake *f, const wxp__fake_bill *b, int kind, unsigned k)
{
    wxp__fake_priv *p = &f->wxp__priv;
    char *d = p->scratch, ymd[9], id[32];
    size_t cap = sizeof p->scratch, n = 0;
    long long sod;
    unsigned row, i;
    memcpy(ymd, b->date, 4);
    memcpy(ymd + 4, b->date + 5, 2);
    memcpy(ymd + 6, b->date + 8, 2);
    ymd[8] = 0;
    if (k == 0) return wxp__fake_cats(d, cap, 0, WXP__FAKE_ZH_BILL_HEAD);
    if (k == b->rows + 1) return wxp__fake_cats(d, cap, 0, WXP__FAKE_ZH_BILL_SUM);
    if (k == b->rows + 2) {
        long long count = 0, settle = 0, refund = 0, fee = 0, total = 0;
        for (i = 0; i < b->rows; i++) {
            int is_refund = i % 4 == 3;
            if ((kind == 1 && is_refund) || (kind == 2 && !is_refund)) continue;
            count++;
            total += wxp__fake_bill_fen(i);
            if (is_refund) refund += wxp__fake_bill_refund(i);
            else { settle += wxp__fake_bill_fen(i); fee += wxp__fake_bill_fee(i); }
        }
        n = wxp__fake_cats(d, cap, 0, "`");
        n = wxp__fake_cat_int(d, cap, n, count);
        n = wxp__fake_cat_yuan(d, cap, n, settle);
        n = wxp__fake_cat_yuan(d, cap, n, refund);
        n = wxp__fake_cat_yuan(d, cap, n, 0);
        n = wxp__fake_cat_yuan(d, cap, n, fee);
        n = wxp__fake_cat_yuan(d, cap, n, total);
        n = wxp__fake_cat_yuan(d, cap, n, refund);
        return wxp__fake_cats(d, cap, n, "\r\n");
    }
    if (k > b->rows + 2) return (size_t)-1;
    row = k - 1;
    if ((kind == 1 && row % 4 == 3) || (kind == 2 && row % 4 != 3)) return 0;
    /* time: from 08:00:00, 13 s apart */
    sod = (28800 + (long long)row * 13) % 86400;
    n = wxp__fake_cats(d, cap, 0, "`");
    n = wxp__fake_cats(d, cap, n, b->date);
    id[0] = ' ';
    wxp__fake_digits(id + 1, (unsigned long long)(sod / 3600), 2);
    id[3] = ':';
    wxp__fake_digits(id + 4, (unsigned long long)(sod / 60 % 60), 2);
    id[6] = ':';
    wxp__fake_digits(id + 7, (unsigned long long)(sod % 60), 2);
    n = wxp__fake_cat(d, cap, n, id, 9);
    n = wxp__fake_cat_field(d, cap, n, p->cfg.appid);
    n = wxp__fake_cat_field(d, cap, n, p->cfg.mchid);
    n = wxp__fake_cat_field(d, cap, n, "0");
    n = wxp__fake_cat_field(d, cap, n, "");
    memcpy(id, "42000", 5);                             /* transaction_id: 28 digits */
    memcpy(id + 5, ymd, 8);
    wxp__fake_digits(id + 13, row, 15);
    id[28] = 0;
    n = wxp__fake_cat_field(d, cap, n, id);
    n = wxp__fake_cat_field(d, cap, n, "BILL");         /* out_trade_no */
    n = wxp__fake_cats(d, cap, n, ymd);
    n = wxp__fake_cats(d, cap, n, "-");
    n = wxp__fake_cat_int(d, cap, n, row);
    n = wxp__fake_cat_field(d, cap, n, WXP_FAKE_OPENID);
    n = wxp__fake_cat_field(d, cap, n, "NATIVE");
    if (row % 4 == 3) {
        n = wxp__fake_cat_field(d, cap, n, "REFUND");
        n = wxp__fake_cat_field(d, cap, n, "OTHERS");
        n = wxp__fake_cat_field(d, cap, n, "CNY");
        n = wxp__fake_cat_yuan(d, cap, n, 0);
        n = wxp__fake_cat_yuan(d, cap, n, 0);
        memcpy(id, "50300", 5);                         /* refund_id: 29 digits */
        memcpy(id + 5, ymd, 8);
        wxp__fake_digits(id + 13, row, 16);
        id[29] = 0;
        n = wxp__fake_cat_field(d, cap, n, id);
        n = wxp__fake_cat_field(d, cap, n, "RBILL");    /* out_refund_no */
        n = wxp__fake_cats(d, cap, n, ymd);
        n = wxp__fake_cats(d, cap, n, "-");
        n = wxp__fake_cat_int(d, cap, n, row);
        n = wxp__fake_cat_yuan(d, cap, n, wxp__fake_bill_refund(row));
        n = wxp__fake_cat_yuan(d, cap, n, 0);
        n = wxp__fake_cat_field(d, cap, n, "ORIGINAL");
        n = wxp__fake_cat_field(d, cap, n, "SUCCESS");
    } else {
        n = wxp__fake_cat_field(d, cap, n, "SUCCESS");
        n = wxp__fake_cat_field(d, cap, n, "OTHERS");
        n = wxp__fake_cat_field(d, cap, n, "CNY");
        n = wxp__fake_cat_yuan(d, cap, n, wxp__fake_bill_fen(row));
        n = wxp__fake_cat_yuan(d, cap, n, 0);
        n = wxp__fake_cat_field(d, cap, n, "0");
        n = wxp__fake_cat_field(d, cap, n, "0");
        n = wxp__fake_cat_yuan(d, cap, n, 0);
        n = wxp__fake_cat_yuan(d, cap, n, 0);
        n = wxp__fake_cat_field(d, cap, n, "");
        n = wxp__fake_cat_field(d, cap, n, "");
    }
    n = wxp__fake_cat_field(d, cap, n, "Fake goods");
    n = wxp__fake_cat_field(d, cap, n, "");
    n = wxp__fake_cat_yuan(d, cap, n, row % 4 == 3 ? 0 : wxp__fake_bill_fee(row));
    n = wxp__fake_cat_field(d, cap, n, "0.60%");
    n = wxp__fake_cat_yuan(d, cap, n, wxp__fake_bill_fen(row));
    n = wxp__fake_cat_yuan(d, cap, n, wxp__fake_bill_refund(row));
    n = wxp__fake_cat_field(d, cap, n, "");
    return wxp__fake_cats(d, cap, n, "\r\n");
}

/* The bill a download token names: 1 + its index, or 0. Tokens are
   "FAKE<index><A|S|R>-<YYYYMMDD>" (WeChat Pay's are opaque). */
static size_t wxp__fake_bill_token(wxp_fake *f, const char *tok, int *kind)
{
    wxp__fake_priv *p = &f->wxp__priv;
    const wxp__fake_bill *b;
    size_t i = 0;
    if (strncmp(tok, "FAKE", 4) != 0 || tok[4] < '0' || tok[4] > '9') return 0;
    i = (size_t)(tok[4] - '0');
    if (i >= p->nbills || !tok[5] || !strchr("ASR", tok[5]) || tok[6] != '-' || strlen(tok) != 15)
        return 0;
    b = &p->bills[i];
    if (memcmp(tok + 7, b->date, 4) != 0 || memcmp(tok + 11, b->date + 5, 2) != 0 ||
        memcmp(tok + 13, b->date + 8, 2) != 0)
        return 0;
    *kind = tok[5] == 'A' ? 0 : tok[5] == 'S' ? 1 : 2;
    return i + 1;
}

/* GET /v3/bill/tradebill?bill_date=...[&bill_type=...][&tar_type=...] */
static void wxp__fake_bill_trade(wxp_fake *f, const wxp_http_request *req, wxp_str query)
{
    wxp__fake_priv *p = &f->wxp__priv;
    char date[16], type[16], url[256], hex[41];
    unsigned char digest[20];
    br_sha1_context h;
    wxp_json_writer w;
    const wxp__fake_bill *b = NULL;
    const char *host = req->host ? req->host : WXP_DEFAULT_HOST;
    size_t i, n;
    unsigned k;
    int kind = 0;
    if (!wxp__fake_query_param(query, "bill_date", date, sizeof date) || !wxp__fake_date_ok(date)) {
        wxp__fake_param_error(f, "bill_date", " must be YYYY-MM-DD");
        return;
    }
    if (wxp__fake_query_param(query, "bill_type", type, sizeof type)) {
        for (kind = 0; kind < 3 && strcmp(type, wxp__fake_bill_types[kind]) != 0; kind++) {}
        if (kind == 3) {
            wxp__fake_param_error(f, "bill_type", " must be ALL, SUCCESS or REFUND");
            return;
        }
    }
    if (wxp__fake_query_param(query, "tar_type", type, sizeof type)) {
        wxp__fake_param_error(f, "tar_type", strcmp(type, "GZIP") == 0
                                                 ? ": the fake serves bills uncompressed only"
                                                 : " must be GZIP");
        return;
    }
    for (i = 0; i < p->nbills && !b; i++)
        if (strcmp(p->bills[i].date, date) == 0) b = &p->bills[i];
    if (!b) {
        wxp__fake_error(f, 400, "NO_STATEMENT_EXIST",
                        wxp__fake_say(f, "no bill for ", wxp_cstr(date), ""));
        return;
    }
    br_sha1_init(&h);
    for (k = 0; (n = wxp__fake_bill_piece(f, b, kind, k)) != (size_t)-1; k++)
        br_sha1_update(&h, p->scratch, n);
    br_sha1_out(&h, digest);
    for (i = 0; i < 20; i++) {
        hex[2 * i] = "0123456789abcdef"[digest[i] >> 4];
        hex[2 * i + 1] = "0123456789abcdef"[digest[i] & 15];
    }
    hex[40] = 0;
    n = wxp__fake_cats(url, sizeof url, 0, "https://");
    n = wxp__fake_cat_safe(url, sizeof url, n, host, strlen(host));
    n = wxp__fake_cats(url, sizeof url, n, "/v3/billdownload/file?token=FAKE");
    url[n++] = (char)('0' + (int)(b - p->bills));
    url[n++] = "ASR"[kind];
    url[n++] = '-';
    memcpy(url + n, date, 4);
    memcpy(url + n + 4, date + 5, 2);
    memcpy(url + n + 6, date + 8, 2);
    url[n + 8] = 0;
    wxp_jw_init(&w, p->out, sizeof p->out);
    wxp_jw_object_begin(&w);
    wxp_jw_key(&w, "hash_type");    wxp_jw_cstring(&w, "SHA1");
    wxp_jw_key(&w, "hash_value");   wxp_jw_cstring(&w, hex);
    wxp_jw_key(&w, "download_url"); wxp_jw_cstring(&w, url);
    wxp_jw_object_end(&w);
    wxp__fake_done(f, &w, 200);
}

/* GET /v3/billdownload/file?token=...: marks the answer as the bill's bytes. */
static void wxp__fake_bill_file(wxp_fake *f, wxp_str query)
{
    wxp__fake_priv *p = &f->wxp__priv;
    char tok[40];
    int kind = 0;
    size_t b = 0;
    if (wxp__fake_query_param(query, "token", tok, sizeof tok)) b = wxp__fake_bill_token(f, tok, &kind);
    if (!b) {
        wxp__fake_error(f, 400, "INVALID_REQUEST",
                        "the download token is not one the fake handed out");
        return;
    }
    p->dl_bill = b;
    p->dl_kind = kind;
    p->status = 200;
    p->out_len = 0;
}

/* The first occurrence of needle in hay, or NULL. */
static const char *wxp__fake_find(const char *hay, size_t n, const char *needle, size_t k)
{
    size_t i;
    for (i = 0; k && i + k <= n; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, k) == 0) return hay + i;
    return NULL;
}

/* The quoted value of key="..." in a part's headers (key not the tail of a longer name). */
static int wxp__fake_disposition(const char *h, size_t n, const char *key, wxp_str *out)
{
    size_t kl = strlen(key), i;
    for (i = 0; i + kl + 2 <= n; i++) {
        size_t e;
        if (memcmp(h + i, key, kl) != 0 || h[i + kl] != '=' || h[i + kl + 1] != '"') continue;
        if (i > 0 && h[i - 1] != ' ' && h[i - 1] != ';') continue;
        for (e = i + kl + 2; e < n && h[e] != '"'; e++) {}
        if (e == n) return 0;
        out->ptr = h + i + kl + 2;
        out->len = e - i - kl - 2;
        return 1;
    }
    return 0;
}

/* The bytes of the parts "meta" and "file" (the latter with a filename) of a
   multipart/form-data body. 1, or 0 with a PARAM_ERROR answer ready. */
static int wxp__fake_multipart(wxp_fake *f, const wxp_http_request *req, wxp_str *meta,
                               wxp_str *file)
{
    const char *s = req->body.ptr ? req->body.ptr : "", *end = s + req->body.len, *b;
    char delim[80];
    size_t dl = 2, i;
    wxp_str ct, bound;
    int have_meta = 0, have_file = 0;
    if (!wxp__fake_req_header(req, "Content-Type", &ct) ||
        !wxp__fake_prefix(ct, "multipart/form-data")) {
        wxp__fake_error(f, 400, "PARAM_ERROR", "an upload is multipart/form-data");
        return 0;
    }
    b = wxp__fake_find(ct.ptr, ct.len, "boundary=", 9);
    bound.ptr = b ? b + 9 : "";
    for (i = 0; b && bound.ptr + i < ct.ptr + ct.len && bound.ptr[i] != ';'; i++) {}
    bound.len = b ? i : 0;
    if (bound.len >= 2 && bound.ptr[0] == '"' && bound.ptr[bound.len - 1] == '"') {
        bound.ptr++;
        bound.len -= 2;
    }
    if (bound.len == 0 || bound.len > 70) {
        wxp__fake_error(f, 400, "PARAM_ERROR", "the multipart Content-Type lacks its boundary");
        return 0;
    }
    delim[0] = delim[1] = '-';
    memcpy(delim + 2, bound.ptr, bound.len);
    dl += bound.len;
    /* --B CRLF headers CRLF CRLF data CRLF --B ... --B-- */
    if ((size_t)(end - s) < dl + 2 || memcmp(s, delim, dl) != 0) goto bad;
    s += dl;
    while (end - s >= 2 && memcmp(s, "\r\n", 2) == 0) {
        const char *hend = wxp__fake_find(s + 2, (size_t)(end - s - 2), "\r\n\r\n", 4);
        const char *data, *next;
        wxp_str name, fname;
        if (!hend) goto bad;
        data = hend + 4;
        next = data;
        for (; (next = wxp__fake_find(next, (size_t)(end - next), delim, dl)) != NULL; next++)
            if (next - data >= 2 && next[-2] == '\r' && next[-1] == '\n') break;
        if (!next || !wxp__fake_disposition(s + 2, (size_t)(hend - s - 2), "name", &name)) goto bad;
        if (wxp__fake_eq(name, "meta")) {
            meta->ptr = data;
            meta->len = (size_t)(next - 2 - data);
            have_meta = 1;
        } else if (wxp__fake_eq(name, "file") &&
                   wxp__fake_disposition(s + 2, (size_t)(hend - s - 2), "filename", &fname)) {
            file->ptr = data;
            file->len = (size_t)(next - 2 - data);
            have_file = 1;
        }
        s = next + dl;
    }
    if (end - s < 2 || memcmp(s, "--", 2) != 0) goto bad;
    if (!have_meta || !have_file) {
        wxp__fake_error(f, 400, "PARAM_ERROR", "an upload needs the parts meta and file");
        return 0;
    }
    return 1;
bad:
    wxp__fake_error(f, 400, "PARAM_ERROR", "the multipart body is malformed");
    return 0;
}

/* POST /v3/merchant/media/upload, /v3/marketing/favor/media/image-upload
   (signature already checked over meta). */
static void wxp__fake_media_upload(wxp_fake *f, wxp_str meta, wxp_str file, int marketing)
{
    static const char *const ext[4] = { ".jpg", ".jpeg", ".png", ".bmp" };
    wxp__fake_priv *p = &f->wxp__priv;
    unsigned char d[32];
    char hex[65], id[128];
    br_sha256_context h;
    wxp_json_writer w;
    wxp_str name, sha;
    wxp_result r;
    size_t i, n;
    int has_name, has_sha;
    if (meta.len > WXP_FAKE_BODY_MAX) {
        wxp__fake_param_error(f, "meta", " is larger than the fake's WXP_FAKE_BODY_MAX");
        return;
    }
    memcpy(p->in, meta.ptr, meta.len);
    p->in[meta.len] = 0;
    if (wxp_json_parse(&p->doc, p->in, meta.len, p->tok, WXP_FAKE_JSON_TOKENS, &r) != WXP_OK ||
        p->doc.count == 0 || p->doc.tok[0].type != WXP_JSON_OBJECT) {
        wxp__fake_param_error(f, "meta", " is not a JSON object");
        return;
    }
    if ((has_name = wxp__fake_jstr(f, 0, "filename", "meta.filename", &name)) < 0 ||
        (has_sha = wxp__fake_jstr(f, 0, "sha256", "meta.sha256", &sha)) < 0)
        return;
    if (!has_name || !has_sha) {
        wxp__fake_param_error(f, "meta", " needs filename and sha256");
        return;
    }
    for (i = 0; i < 4; i++) {
        n = strlen(ext[i]);
        if (name.len > n && wxp__fake_ieq(name.ptr + name.len - n, n, ext[i])) break;
    }
    if (i == 4) {
        wxp__fake_param_error(f, "meta.filename", " must end in .jpg, .jpeg, .png or .bmp");
        return;
    }
    if (file.len == 0 || file.len > 2 * 1024 * 1024) {
        wxp__fake_param_error(f, "file", " must be 1 byte to 2 MiB");
        return;
    }
    br_sha256_init(&h);
    br_sha256_update(&h, file.ptr, file.len);
    br_sha256_out(&h, d);
    for (i = 0; i < 32; i++) {
        hex[2 * i] = "0123456789abcdef"[d[i] >> 4];
        hex[2 * i + 1] = "0123456789abcdef"[d[i] & 15];
    }
    hex[64] = 0;
    if (!wxp__fake_ieq(sha.ptr, sha.len, hex)) {
        wxp__fake_param_error(f, "meta.sha256", " is not the SHA-256 of the file");
        return;
    }
    n = wxp__fake_cats(id, sizeof id, 0,
                       marketing ? "https://wxpaylogo.qpic.cn/wxpaylogo/FAKE" : "FAKE-MEDIA-");
    n = wxp__fake_cat(id, sizeof id, n, hex, 40);
    if (marketing) (void)wxp__fake_cats(id, sizeof id, n, "/0");
    wxp_jw_init(&w, p->out, sizeof p->out);
    wxp_jw_object_begin(&w);
    wxp_jw_key(&w, marketing ? "media_url" : "media_id");
    wxp_jw_cstring(&w, id);
    wxp_jw_object_end(&w);
    wxp__fake_done(f, &w, 200);
}

/* ==== >>fake:simulator ====================================================== */

/* The path segment after prefix, when it is one non-empty segment. */
static int wxp__fake_route(wxp_str path, const char *prefix, wxp_str *seg)
{
    size_t n = strlen(prefix), i;
    if (!wxp__fake_prefix(path, prefix) || path.len == n) return 0;
    for (i = n; i < path.len; i++)
        if (path.ptr[i] == '/') return 0;
    seg->ptr = path.ptr + n;
    seg->len = path.len - n;
    return 1;
}

/* The path segment between prefix and suffix, when it is one non-empty segment. */
static int wxp__fake_route2(wxp_str path, const char *prefix, const char *suffix, wxp_str *seg)
{
    size_t sl = strlen(suffix);
    wxp_str head;
    if (path.len <= sl || memcmp(path.ptr + path.len - sl, suffix, sl) != 0) return 0;
    head.ptr = path.ptr;
    head.len = path.len - sl;
    return wxp__fake_route(head, prefix, seg);
}

/* The path without its query; query gets the part after '?'. */
static wxp_str wxp__fake_split_query(wxp_str path, wxp_str *query)
{
    size_t i;
    query->ptr = "";
    query->len = 0;
    for (i = 0; i < path.len; i++)
        if (path.ptr[i] == '?') {
            query->ptr = path.ptr + i + 1;
            query->len = path.len - i - 1;
            path.len = i;
            break;
        }
    return path;
}

/* The placement kind a path segment names (jsapi, app, h5, native), -1 for none. */
static int wxp__fake_kind(wxp_str seg)
{
    int k;
    for (k = 0; k < WXP__FAKE_KINDS; k++)
        if (wxp__fake_eq(seg, wxp__fake_kind_path[k])) return k;
    return -1;
}

/* Answers req; path and query are req->path split at '?'. */
static void wxp__fake_simulate(wxp_fake *f, const wxp_http_request *req, wxp_str path, wxp_str query)
{
    const char *m = req->method ? req->method : "";
    wxp_str seg, meta = { "", 0 }, file = { "", 0 };
    int get = strcmp(m, "GET") == 0, post = strcmp(m, "POST") == 0;
    int media = post && wxp__fake_eq(path, "/v3/merchant/media/upload"), kind;
    int image = post && wxp__fake_eq(path, "/v3/marketing/favor/media/image-upload");
#ifndef WXP_NO_V2
    if (f->wxp__priv.v2) {      /* APIv2: no Authorization, the sign is in the XML */
        wxp__fake_v2_route(f, req, m, path);
        return;
    }
#endif
    /* An upload's signature covers the meta JSON only. */
    if ((media || image) && !wxp__fake_multipart(f, req, &meta, &file)) return;
    if (!wxp__fake_auth(f, req, media || image ? meta : req->body)) return;
    if (media || image)
        wxp__fake_media_upload(f, meta, file, image);
    else if (get && wxp__fake_eq(path, "/v3/bill/tradebill"))
        wxp__fake_bill_trade(f, req, query);
    else if (get && wxp__fake_eq(path, "/v3/billdownload/file"))
        wxp__fake_bill_file(f, query);
    else if (post && wxp__fake_eq(path, "/v3/refund/domestic/refunds"))
        wxp__fake_refund_create(f, req);
    else if (get && wxp__fake_route(path, "/v3/refund/domestic/refunds/", &seg))
        wxp__fake_refund_query(f, seg);
    else if (get && wxp__fake_route(path, "/v3/pay/transactions/out-trade-no/", &seg))
        wxp__fake_trade_query(f, seg, query, 0, 0);
    else if (get && wxp__fake_route(path, "/v3/pay/transactions/id/", &seg))
        wxp__fake_trade_query(f, seg, query, 1, 0);
    else if (post && wxp__fake_route2(path, "/v3/pay/transactions/out-trade-no/", "/close", &seg))
        wxp__fake_trade_close(f, req, seg, 0);
    else if (get && wxp__fake_route(path, "/v3/pay/partner/transactions/out-trade-no/", &seg))
        wxp__fake_trade_query(f, seg, query, 0, 1);
    else if (get && wxp__fake_route(path, "/v3/pay/partner/transactions/id/", &seg))
        wxp__fake_trade_query(f, seg, query, 1, 1);
    else if (post &&
             wxp__fake_route2(path, "/v3/pay/partner/transactions/out-trade-no/", "/close", &seg))
        wxp__fake_trade_close(f, req, seg, 1);
    else if (post && wxp__fake_route2(path, "/v3/pay/transactions/out-trade-no/", "/reverse", &seg))
        wxp__fake_reverse(f, req, seg, 0);
    else if (post &&
             wxp__fake_route2(path, "/v3/pay/partner/transactions/out-trade-no/", "/reverse", &seg))
        wxp__fake_reverse(f, req, seg, 1);
    else if (post && wxp__fake_eq(path, "/v3/pay/transactions/codepay"))
        wxp__fake_codepay(f, req, 0);
    else if (post && wxp__fake_eq(path, "/v3/pay/partner/transactions/codepay"))
        wxp__fake_codepay(f, req, 1);
    else if (post && wxp__fake_route(path, "/v3/pay/transactions/", &seg) &&
             (kind = wxp__fake_kind(seg)) >= 0)
        wxp__fake_place(f, req, kind, 0);
    else if (post && wxp__fake_route(path, "/v3/pay/partner/transactions/", &seg) &&
             (kind = wxp__fake_kind(seg)) >= 0)
        wxp__fake_place(f, req, kind, 1);
    else if (get && wxp__fake_eq(path, "/v3/certificates"))
        wxp__fake_certificates(f);
    else if (post && wxp__fake_eq(path, "/v3/marketing/busifavor/coupons/return"))
        wxp__fake_coupon_return(f, req);
    else if (post && wxp__fake_eq(path, "/v3/marketing/busifavor/subsidy/pay-receipts"))
        wxp__fake_subsidy_pay(f, req);
    else if (get && wxp__fake_route(path, "/v3/marketing/busifavor/subsidy/pay-receipts/", &seg))
        wxp__fake_subsidy_query(f, seg);
    else if (post && wxp__fake_eq(path, "/v3/marketing/busifavor/subsidy/return-receipts"))
        wxp__fake_subsidy_return(f, req);
    else {
        wxp__fake_priv *p = &f->wxp__priv;
        size_t n = wxp__fake_cats(p->msg, sizeof p->msg, 0, "the fake does not serve ");
        n = wxp__fake_cat_safe(p->msg, sizeof p->msg, n, m, strlen(m));
        n = wxp__fake_cats(p->msg, sizeof p->msg, n, " ");
        (void)wxp__fake_cat_safe(p->msg, sizeof p->msg, n, path.ptr, path.len);
        wxp__fake_error(f, 404, "NOT_FOUND", NULL);
    }
}

/* ==== >>fake:transport ====================================================== */

static void wxp__fake_errbuf(char *errbuf, size_t errbuf_size, const char *a, const char *b)
{
    size_t n;
    if (!errbuf || !errbuf_size) return;
    n = wxp__fake_cats(errbuf, errbuf_size, 0, a);
    (void)wxp__fake_cats(errbuf, errbuf_size, n, b);
}

/* A serial that no key store holds, of the same kind as the configured one. */
static const char *wxp__fake_unknown_serial(const wxp_fake *f)
{
    return strncmp(f->wxp__priv.cfg.platform_serial, "PUB_KEY_ID_", 11) == 0
               ? "PUB_KEY_ID_0000000000000000000000000000000000"
               : "0000000000000000000000000000000000FA6E";
}

/* WXP_FAKE_FLIP_BODY: the middle byte; on an APIv2 answer, the first byte of
   the <sign> value (so the XML still parses and the client's sign check is
   what catches it). */
static void wxp__fake_flip(char *body, size_t len, int v2)
{
    size_t i;
    if (v2)
        for (i = 0; i + 6 < len; i++)
            if (memcmp(body + i, "<sign>", 6) == 0) {
                i += 6;
                if (i + 9 <= len && memcmp(body + i, "<![CDATA[", 9) == 0) i += 9;
                if (i < len && body[i] != '<') { body[i] ^= 0x01; return; }
                break;
            }
    body[len / 2] ^= 0x01;
}

/* Timestamp, nonce and signature of body (p->ts, p->nonce, p->sig, p->serial),
   then the signature faults. 0 on success, else the wxp_err. The message is
   built in p->scratch: body must not live there. */
static wxp_err wxp__fake_sign(wxp_fake *f, char *body, size_t *body_len, size_t body_cap,
                              unsigned faults, char *ts, char *nonce, char *sig,
                              size_t sig_cap, char *serial, size_t serial_cap, wxp_result *res)
{
    wxp__fake_priv *p = &f->wxp__priv;
    long long when = wxp__fake_now(f);
    size_t n, sig_len = 0;
    wxp_err e;
    if (faults & WXP_FAKE_AGED) when -= p->age;
    n = wxp__fake_dec(ts, when);
    if (!wxp__fake_alnum(f, nonce, WXP_NONCE_LEN)) return WXP_E_RANDOM;
    if (n + WXP_NONCE_LEN + *body_len + 3 > sizeof p->scratch) {
        if (res) res->needed = n + WXP_NONCE_LEN + *body_len + 3;
        return WXP_E_NOSPACE;
    }
    /* TIMESTAMP\nNONCE\nBODY\n */
    memcpy(p->scratch, ts, n);
    p->scratch[n++] = '\n';
    memcpy(p->scratch + n, nonce, WXP_NONCE_LEN);
    n += WXP_NONCE_LEN;
    p->scratch[n++] = '\n';
    if (*body_len) memcpy(p->scratch + n, body, *body_len);
    n += *body_len;
    p->scratch[n++] = '\n';
    e = wxp_sign_base64(p->cfg.platform_signer, p->scratch, n, sig, sig_cap, &sig_len, res);
    if (e != WXP_OK) return e;
    sig[sig_len < sig_cap ? sig_len : sig_cap - 1] = 0;
    {
        const char *ss = p->sign_serial ? p->sign_serial : p->cfg.platform_serial;
        (void)wxp__fake_copy(serial, serial_cap, ss, strlen(ss));
    }
    /* The faults, after signing: what the client must catch. */
    if (faults & WXP_FAKE_FLIP_BODY) {
        if (*body_len) wxp__fake_flip(body, *body_len, 0);
        else if (body_cap > 1) { body[0] = '\n'; body[1] = 0; *body_len = 1; }
    }
    if (faults & WXP_FAKE_BAD_TIMESTAMP) (void)wxp__fake_dec(ts, when + 1);
    if (faults & WXP_FAKE_BAD_NONCE) nonce[0] = nonce[0] == 'A' ? 'B' : 'A';
    if (faults & WXP_FAKE_UNKNOWN_SERIAL) {
        const char *u = wxp__fake_unknown_serial(f);
        (void)wxp__fake_copy(serial, serial_cap, u, strlen(u));
    }
    if ((faults & WXP_FAKE_SIGNTEST) && strlen(sig) >= 19) memcpy(sig, "WECHATPAY/SIGNTEST/", 19);
    return WXP_OK;
}

static void wxp__fake_header(wxp_http_response *res, const char *name, const char *value)
{
    wxp_http_response_header(res, name, strlen(name), value, strlen(value));
}

/* A fresh Request-ID in p->reqid: 08F0, the clock and a counter, in hex like the real ones. */
static void wxp__fake_reqid(wxp_fake *f)
{
    wxp__fake_priv *p = &f->wxp__priv;
    memcpy(p->reqid, "08F0", 4);
    wxp__fake_hex(p->reqid + 4, (unsigned long long)wxp__fake_now(f), 8);
    memcpy(p->reqid + 12, "10D302", 6);
    wxp__fake_hex(p->reqid + 18, ++p->seq, 8);
    p->reqid[26] = 0;
}

/* Sends the bill p->dl_bill as its download: unsigned, a piece per write. */
static int wxp__fake_emit_bill(wxp_fake *f, wxp_http_response *res, unsigned faults, char *errbuf,
                               size_t errbuf_size)
{
    wxp__fake_priv *p = &f->wxp__priv;
    const wxp__fake_bill *b = &p->bills[p->dl_bill - 1];
    size_t n;
    unsigned k;
    wxp__fake_reqid(f);
    if (faults & WXP_FAKE_LOST_ANSWER) {
        wxp__fake_errbuf(errbuf, errbuf_size, "fake: lost answer ",
                         "(the server processed the request)");
        return 1;
    }
    wxp_http_response_status(res, 200);
    wxp__fake_header(res, "Request-ID", p->reqid);
    wxp__fake_header(res, "Content-Type", "application/octet-stream");
    for (k = 0; (n = wxp__fake_bill_piece(f, b, p->dl_kind, k)) != (size_t)-1; k++) {
        if (k == 0 && (faults & WXP_FAKE_FLIP_BODY)) p->scratch[n / 2] ^= 0x01;
        if (n) (void)wxp_http_response_write(res, p->scratch, n);
    }
    return 0;
}

/* Sends p->out with status p->status (e: the canned entry, else NULL). */
static int wxp__fake_emit(wxp_fake *f, wxp_http_response *res, const wxp__fake_entry *e,
                          unsigned faults, char *errbuf, size_t errbuf_size)
{
    wxp__fake_priv *p = &f->wxp__priv;
    unsigned flags = e ? e->flags : 0;
    /* APIv2 answers carry their sign in the XML, no Wechatpay-* headers. */
    int sign = p->cfg.platform_signer != NULL && !(flags & WXP_FAKE_UNSIGNED) &&
               !(faults & WXP_FAKE_UNSIGNED) && !p->v2;
    size_t i;
    if (p->status < 0) {
        wxp__fake_errbuf(errbuf, errbuf_size, "fake: the answer does not fit ",
                         "WXP_FAKE_ANSWER_MAX (APIv2: or WXP_FAKE_V2_FIELDS, _POOL)");
        return 1;
    }
    wxp__fake_reqid(f);
    if (sign) {
        wxp_result r;
        wxp_err err = wxp__fake_sign(f, p->out, &p->out_len, sizeof p->out, faults, p->ts,
                                     p->nonce, p->sig, sizeof p->sig, p->serial,
                                     sizeof p->serial, &r);
        if (err != WXP_OK) {
            wxp__fake_errbuf(errbuf, errbuf_size, "fake: signing the answer failed: ",
                             wxp_strerror(err));
            return 1;
        }
    } else if ((faults & WXP_FAKE_FLIP_BODY) && p->out_len) {
        wxp__fake_flip(p->out, p->out_len, p->v2);
    }
    if (faults & WXP_FAKE_LOST_ANSWER) {
        wxp__fake_errbuf(errbuf, errbuf_size, "fake: lost answer ",
                         "(the server processed the request)");
        return 1;
    }
    wxp_http_response_status(res, p->status);
    if (!(flags & WXP_FAKE_BARE)) {
        wxp__fake_header(res, "Request-ID", p->reqid);
        if (p->out_len)
            wxp__fake_header(res, "Content-Type", p->v2 ? "text/plain" : "application/json");
    }
    if (sign) {
        wxp__fake_header(res, "Wechatpay-Nonce", p->nonce);
        wxp__fake_header(res, "Wechatpay-Signature", p->sig);
        wxp__fake_header(res, "Wechatpay-Timestamp", p->ts);
        wxp__fake_header(res, "Wechatpay-Serial", p->serial);
        wxp__fake_header(res, "Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048");
    }
    if (e) {
        const char *q = p->arena + e->body_len;   /* e is the queue head */
        for (i = 0; i < e->header_count; i++) {
            wxp_http_response_header(res, q, e->name_len[i], q + e->name_len[i],
                                     e->value_len[i]);
            q += e->name_len[i] + e->value_len[i];
        }
    }
    if (p->out_len) (void)wxp_http_response_write(res, p->out, p->out_len);
    return 0;
}

/* A refusal of row c in the request's API, nothing processed: APIv3 its
   status and code; APIv2 result_code FAIL with err_code, signed with the
   request's sign_type (or the unsigned return_code FAIL of c->v2_return). */
static void wxp__fake_refusal(wxp_fake *f, const wxp_http_request *req, const wxp__fake_code *c)
{
    f->wxp__priv.dl_bill = 0;
#ifndef WXP_NO_V2
    if (f->wxp__priv.v2) {
        int st = wxp__fake_v2_read(f, req);
        if (st < 0) return;
        if (c->v2_return) wxp__fake_v2_return_fail(f, c->msg);
        else wxp__fake_v2_result_fail(f, st, c->v2, c->msg);
        return;
    }
#else
    (void)req;
#endif
    wxp__fake_refuse(f, c, NULL);
}

/* The answer of WXP_FAKE_SYSTEM_ERROR and _BOOKED_ERROR (APIv2 SYSTEMERROR). */
static void wxp__fake_system_error(wxp_fake *f, const wxp_http_request *req)
{
    wxp__fake_refusal(f, req, wxp__fake_code_by("SYSTEM_ERROR"));
}

/* A refund application, either API: what config.refund_fail_qps counts. */
static int wxp__fake_refund_apply(const wxp_http_request *req, wxp_str path)
{
    return req->method && strcmp(req->method, "POST") == 0 &&
           (wxp__fake_eq(path, "/v3/refund/domestic/refunds") || wxp__fake_eq(path, "/secapi/pay/refund") ||
            wxp__fake_eq(path, "/secapi/pay/refundv2"));
}

/* Counts a failed refund application; past config.refund_fail_qps in one
   second of the clock, refund applications are refused for 60 s (WeChat Pay:
   "continuous erroneous requests: briefly blocked, retry after a minute"). */
static void wxp__fake_count_fail(wxp_fake *f)
{
    wxp__fake_priv *p = &f->wxp__priv;
    long long now = wxp__fake_now(f);
    if (now != p->fail_second) {
        p->fail_second = now;
        p->fail_count = 0;
    }
    if (++p->fail_count > p->cfg.refund_fail_qps) p->blocked_until = now + 60;
}

WXP_FAKE_API int wxp_fake_transport(void *user, const wxp_http_request *req,
                                    wxp_http_response *res, char *errbuf, size_t errbuf_size)
{
    wxp_fake *f = (wxp_fake *)user;
    wxp__fake_priv *p;
    wxp_fake_record *rec;
    const wxp__fake_entry *e = NULL;
    wxp_str query, path;
    unsigned faults;
    int rc, limited;
    if (errbuf && errbuf_size) errbuf[0] = 0;
    if (!f || !req || !res) {
        wxp__fake_errbuf(errbuf, errbuf_size, "fake: ", "NULL fake, request or response");
        return 1;
    }
    p = &f->wxp__priv;
    rec = wxp__fake_keep(f, req);
    if (p->nscript && (p->script[0].flags & WXP__FAKE_FAIL)) {
        /* The reason sits in the arena as the entry's body. */
        if (errbuf && errbuf_size)
            (void)wxp__fake_copy(errbuf, errbuf_size, p->arena, p->script[0].body_len);
        rec->scripted = 1;
        wxp__fake_pop(f);
        return 1;
    }
    path = wxp__fake_split_query(req->path, &query);
#ifndef WXP_NO_V2
    p->v2 = wxp__fake_is_v2(path);
#else
    p->v2 = 0;
#endif
    /* Mutual TLS: the real server refuses the handshake, so the client hears
       no answer at all. The faults stay pending. */
    if (p->cfg.require_client_cert && !req->client_cert && wxp__fake_prefix(path, "/secapi/")) {
        wxp__fake_errbuf(errbuf, errbuf_size, "fake: client certificate required ",
                         "(the server refused the TLS handshake)");
        return WXP_TRANSPORT_TLS;
    }
    faults = wxp__fake_take_faults(f, &path);
    rec->faults = faults;
    p->cur_faults = faults;
    p->code[0] = 0;
    p->msg[0] = 0;
    p->dl_bill = 0;
    p->sign_serial = NULL;
    if (faults & WXP_FAKE_DROP) {
        wxp__fake_errbuf(errbuf, errbuf_size, "fake: the request was dropped ",
                         "(it never reached the server)");
        return 1;
    }
    limited = p->cfg.refund_fail_qps && wxp__fake_refund_apply(req, path);
    if (faults & WXP_FAKE_SYSTEM_ERROR) {
        wxp__fake_system_error(f, req);
    } else if (p->fail_row && wxp__fake_scope_take(&p->fail_times, p->fail_path, &path)) {
        wxp__fake_refusal(f, req, &wxp__fake_codes[p->fail_row - 1]);
        if (!p->fail_times) p->fail_row = 0;
    } else if (limited && wxp__fake_now(f) < p->blocked_until) {
        wxp__fake_refusal(f, req, wxp__fake_code_by("INVALID_REQ_TOO_MUCH"));
        limited = 0;    /* blocked, not counted */
    } else if (p->nscript) {
        e = &p->script[0];
        (void)wxp__fake_copy(p->out, sizeof p->out, p->arena, e->body_len);
        p->out_len = e->body_len;
        p->status = e->status;
        rec->scripted = 1;
    } else {
        wxp__fake_simulate(f, req, path, query);
        if (faults & WXP_FAKE_BOOKED_ERROR)   /* booked, and yet a system error */
            wxp__fake_system_error(f, req);
    }
    if (limited && p->code[0]) wxp__fake_count_fail(f);
    rc = p->dl_bill ? wxp__fake_emit_bill(f, res, faults, errbuf, errbuf_size)
                    : wxp__fake_emit(f, res, e, faults, errbuf, errbuf_size);
    p->sign_serial = NULL;
    rec->status = rc ? 0 : p->status;
    (void)wxp__fake_copy(rec->code, sizeof rec->code, p->code, strlen(p->code));
    (void)wxp__fake_copy(rec->message, sizeof rec->message, p->msg, strlen(p->msg));
    if (e) wxp__fake_pop(f);
    return rc;
}

/* ==== >>fake:notify ========================================================= */

static wxp_err wxp__fake_fail(wxp_result *res, wxp_err e, const char *field, const char *msg)
{
    if (res) {
        (void)wxp__fake_copy(res->field, sizeof res->field, field, strlen(field));
        (void)wxp__fake_copy(res->message, sizeof res->message, msg, strlen(msg));
    }
    return e;
}

WXP_FAKE_API wxp_err wxp_fake_notify(wxp_fake *f, wxp_str apiv3_key, const wxp_fake_event *ev,
                                     char *body, size_t cap, size_t *len,
                                     wxp_notify_headers *h, wxp_result *res)
{
    wxp__fake_priv *p = &f->wxp__priv;
    wxp_result local;
    char gcm_nonce[13], id[24], created[26];
    const char *otype, *aad;
    size_t ct_len = 0, blen = 0;
    unsigned faults;
    wxp_json_writer w;
    wxp_err e;
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    if (len) *len = 0;
    if (!ev || !ev->event_type)
        return wxp__fake_fail(res, WXP_E_ARG, "event_type", "the callback needs an event_type");
    if (!p->cfg.platform_signer)
        return wxp__fake_fail(res, WXP_E_ARG, "platform_signer",
                              "callbacks are signed: configure a platform signer");
    if (!body || !h) return wxp__fake_fail(res, WXP_E_ARG, "body", "body and h are required");
    otype = ev->original_type ? ev->original_type : "transaction";
    aad = ev->associated_data ? ev->associated_data : otype;
    if (!wxp__fake_alnum(f, gcm_nonce, 12)) return WXP_E_RANDOM;
    /* Ciphertext into scratch; the body is built from it, then scratch is free
       again for the signed message. */
    e = wxp_aes_gcm_encrypt(apiv3_key, wxp_cstr(gcm_nonce), wxp_cstr(aad), ev->plaintext,
                            p->scratch, sizeof p->scratch, &ct_len, res);
    if (e != WXP_OK) return e;
    if (ev->id) {
        if (wxp__fake_copy(id, sizeof id, ev->id, strlen(ev->id)))
            return wxp__fake_fail(res, WXP_E_ARG, "id", "the event id is longer than 23 bytes");
    } else {
        memcpy(id, "EV-", 3);
        wxp__fake_digits(id + 3, ++p->seq, 19);
        id[22] = 0;
    }
    wxp__fake_rfc3339(wxp__fake_now(f), created);
    wxp_jw_init(&w, body, cap);
    wxp_jw_object_begin(&w);
    wxp_jw_key(&w, "id");              wxp_jw_cstring(&w, id);
    wxp_jw_key(&w, "create_time");     wxp_jw_cstring(&w, created);
    wxp_jw_key(&w, "resource_type");   wxp_jw_cstring(&w, "encrypt-resource");
    wxp_jw_key(&w, "event_type");      wxp_jw_cstring(&w, ev->event_type);
    wxp_jw_key(&w, "summary");         wxp_jw_cstring(&w, ev->summary ? ev->summary : "");
    wxp_jw_key(&w, "resource");
    wxp_jw_object_begin(&w);
    wxp_jw_key(&w, "original_type");   wxp_jw_cstring(&w, otype);
    wxp_jw_key(&w, "algorithm");       wxp_jw_cstring(&w, "AEAD_AES_256_GCM");
    wxp_jw_key(&w, "ciphertext");
    {
        wxp_str ct;
        ct.ptr = p->scratch;
        ct.len = ct_len;
        wxp_jw_string(&w, ct);
    }
    wxp_jw_key(&w, "associated_data"); wxp_jw_cstring(&w, aad);
    wxp_jw_key(&w, "nonce");           wxp_jw_cstring(&w, gcm_nonce);
    wxp_jw_object_end(&w);
    wxp_jw_object_end(&w);
    e = wxp_jw_finish(&w, &blen, res);
    if (e != WXP_OK) return e;
    faults = wxp__fake_take_faults(f, NULL) & WXP__FAKE_SIG_FAULTS;
    p->sign_serial = NULL;
    e = wxp__fake_sign(f, body, &blen, cap, faults, p->n_ts, p->n_nonce, p->n_sig,
                       sizeof p->n_sig, p->n_serial, sizeof p->n_serial, res);
    if (e != WXP_OK) return e;
    if (faults & WXP_FAKE_UNSIGNED) p->n_sig[0] = 0;
    h->timestamp = wxp_cstr(p->n_ts);
    h->nonce = wxp_cstr(p->n_nonce);
    h->signature = wxp_cstr(p->n_sig);
    h->serial = wxp_cstr(p->n_serial);
    if (len) *len = blen;
    return WXP_OK;
}

WXP_FAKE_API wxp_err wxp_fake_notify_refund(wxp_fake *f, wxp_str apiv3_key,
                                            const char *out_refund_no, char *body, size_t cap,
                                            size_t *len, wxp_notify_headers *h, wxp_result *res)
{
    wxp__fake_priv *p = &f->wxp__priv;
    wxp_fake_refund *r = out_refund_no ? wxp__fake_refund_by(f, wxp_cstr(out_refund_no)) : NULL;
    const wxp_fake_order *o;
    wxp_fake_event ev;
    wxp_json_writer w;
    char succeeded[26];
    size_t plen = 0;
    wxp_err e;
    if (len) *len = 0;
    if (!r) {
        if (res) memset(res, 0, sizeof *res);
        return wxp__fake_fail(res, WXP_E_NOTFOUND, "out_refund_no", "no such refund in the fake");
    }
    wxp__fake_settle(f, r);
    memset(&ev, 0, sizeof ev);
    ev.original_type = "refund";
    if (strcmp(r->status, "SUCCESS") == 0) {
        ev.event_type = "REFUND.SUCCESS";
        ev.summary = WXP__FAKE_ZH_R_OK;
    } else if (strcmp(r->status, "ABNORMAL") == 0) {
        ev.event_type = "REFUND.ABNORMAL";
        ev.summary = WXP__FAKE_ZH_R_ABN;
    } else if (strcmp(r->status, "CLOSED") == 0) {
        ev.event_type = "REFUND.CLOSED";
        ev.summary = WXP__FAKE_ZH_R_CLOSED;
    } else {
        if (res) memset(res, 0, sizeof *res);
        return wxp__fake_fail(res, WXP_E_ARG, "status",
                              "a PROCESSING refund has no callback yet");
    }
    o = &p->orders[r->order];
    /* The resource in p->out: wxp_fake_notify encrypts it into scratch. */
    wxp_jw_init(&w, p->out, sizeof p->out);
    wxp_jw_object_begin(&w);
    wxp_jw_key(&w, "mchid");          wxp_jw_cstring(&w, p->cfg.mchid);
    wxp_jw_key(&w, "out_trade_no");   wxp_jw_cstring(&w, o->out_trade_no);
    wxp_jw_key(&w, "transaction_id"); wxp_jw_cstring(&w, o->transaction_id);
    wxp_jw_key(&w, "out_refund_no");  wxp_jw_cstring(&w, r->out_refund_no);
    wxp_jw_key(&w, "refund_id");      wxp_jw_cstring(&w, r->refund_id);
    wxp_jw_key(&w, "refund_status");  wxp_jw_cstring(&w, r->status);
    if (strcmp(r->status, "SUCCESS") == 0) {
        wxp__fake_rfc3339(r->succeeded_at, succeeded);
        wxp_jw_key(&w, "success_time"); wxp_jw_cstring(&w, succeeded);
    }
    wxp_jw_key(&w, "user_received_account"); wxp_jw_cstring(&w, WXP__FAKE_ZH_CHANGE);
    wxp_jw_key(&w, "amount");
    wxp_jw_object_begin(&w);
    wxp_jw_key(&w, "total");        wxp_jw_int(&w, o->total);
    wxp_jw_key(&w, "refund");       wxp_jw_int(&w, r->amount);
    wxp_jw_key(&w, "payer_total");  wxp_jw_int(&w, o->total - wxp__fake_coupon_sum(o, 0));
    wxp_jw_key(&w, "payer_refund"); wxp_jw_int(&w, r->amount - wxp__fake_refund_coupons(o, r, 0));
    wxp_jw_object_end(&w);
    wxp_jw_object_end(&w);
    e = wxp_jw_finish(&w, &plen, res);
    if (e != WXP_OK) return e;
    ev.plaintext.ptr = p->out;
    ev.plaintext.len = plen;
    return wxp_fake_notify(f, apiv3_key, &ev, body, cap, len, h, res);
}

#ifndef WXP_NO_V2
/* A refund's fields of the APIv2 callback's req_info (the answer list). */
static void wxp__fake_v2_req_info(wxp_fake *f, const wxp_fake_refund *r)
{
    const wxp_fake_order *o = &f->wxp__priv.orders[r->order];
    wxp__fake_v2_reset(f);
    wxp__fake_v2_s(f, "transaction_id", o->transaction_id);
    wxp__fake_v2_s(f, "out_trade_no", o->out_trade_no);
    wxp__fake_v2_s(f, "refund_id", r->refund_id);
    wxp__fake_v2_s(f, "out_refund_no", r->out_refund_no);
    wxp__fake_v2_i(f, "total_fee", o->total);
    wxp__fake_v2_i(f, "settlement_total_fee", o->total - wxp__fake_coupon_sum(o, 1));
    wxp__fake_v2_i(f, "refund_fee", r->amount);
    wxp__fake_v2_i(f, "settlement_refund_fee", r->amount - wxp__fake_refund_coupons(o, r, 1));
    wxp__fake_v2_s(f, "refund_status", wxp__fake_v2_status(r->status));
    if (strcmp(r->status, "SUCCESS") == 0) {
        char t[26];
        wxp__fake_rfc3339(r->succeeded_at, t);
        t[10] = ' ';            /* 2024-01-02 03:04:05, China time */
        wxp__fake_v2_put(f, wxp_cstr("success_time"), wxp__fake_pool(f, t, 19));
    }
    wxp__fake_v2_s(f, "refund_recv_accout", WXP__FAKE_ZH_CHANGE);
    wxp__fake_v2_s(f, "refund_account", r->account);
    wxp__fake_v2_s(f, "refund_request_source", "API");
}

WXP_FAKE_API wxp_err wxp_fake_notify_refund_v2(wxp_fake *f, const char *out_refund_no, char *body,
                                               size_t cap, size_t *len, wxp_result *res)
{
    wxp__fake_priv *p = &f->wxp__priv;
    wxp_fake_refund *r = out_refund_no ? wxp__fake_refund_by(f, wxp_cstr(out_refund_no)) : NULL;
    unsigned char key[32], md5[16], iv[16];
    br_md5_context m;
    br_aes_ct_cbcenc_keys aes;
    char nonce[17];
    size_t n = 0, k, b64 = 0;
    wxp_kv outer[5];
    wxp_err e;
    if (len) *len = 0;
    if (res) memset(res, 0, sizeof *res);
    if (!r) return wxp__fake_fail(res, WXP_E_NOTFOUND, "out_refund_no", "no such refund in the fake");
    if (!p->cfg.apiv2_key.len)
        return wxp__fake_fail(res, WXP_E_ARG, "apiv2_key", "the fake has no APIv2 key to encrypt req_info with");
    wxp__fake_settle(f, r);
    if (strcmp(r->status, "PROCESSING") == 0)
        return wxp__fake_fail(res, WXP_E_ARG, "status", "a PROCESSING refund has no callback yet");
    /* The <root> XML into p->out (written as <xml>, renamed), PKCS#7 padded. */
    wxp__fake_v2_req_info(f, r);
    e = wxp_xml_write(p->scratch, sizeof p->scratch, p->v2out, p->v2nout, &n, res);
    if (e != WXP_OK) return e;
    if (p->v2full || n < 11 || n + 2 + 16 > sizeof p->out)
        return wxp__fake_fail(res, WXP_E_NOSPACE, "req_info", "req_info outgrows WXP_FAKE_V2_POOL or _ANSWER_MAX");
    memcpy(p->out, "<root>", 6);
    memcpy(p->out + 6, p->scratch + 5, n - 11);
    memcpy(p->out + 6 + n - 11, "</root>", 7);
    n += 2;
    k = 16 - n % 16;
    memset(p->out + n, (int)k, k);
    n += k;
    /* AES-256-ECB: each block CBC-encrypted from a zero IV. The key is the
       32 characters of the lowercase hex MD5 of the APIv2 key. */
    br_md5_init(&m);
    br_md5_update(&m, p->cfg.apiv2_key.ptr, p->cfg.apiv2_key.len);
    br_md5_out(&m, md5);
    for (k = 0; k < 16; k++) {
        key[2 * k] = (unsigned char)"0123456789abcdef"[md5[k] >> 4];
        key[2 * k + 1] = (unsigned char)"0123456789abcdef"[md5[k] & 15];
    }
    br_aes_ct_cbcenc_init(&aes, key, 32);
    for (k = 0; k < n; k += 16) {
        memset(iv, 0, sizeof iv);
        br_aes_ct_cbcenc_run(&aes, iv, p->out + k, 16);
    }
    memset(key, 0, sizeof key);
    memset(&aes, 0, sizeof aes);
    if (wxp_base64_encode(p->in, sizeof p->in, p->out, n, &b64) != WXP_OK)
        return wxp__fake_fail(res, WXP_E_NOSPACE, "req_info", "WXP_FAKE_BODY_MAX");
    if (!wxp__fake_alnum(f, nonce, 16)) memcpy(nonce, "0000000000000000", 17);
    outer[0].key = wxp_cstr("return_code"); outer[0].value = wxp_cstr("SUCCESS");
    outer[1].key = wxp_cstr("appid");       outer[1].value = wxp_cstr(p->cfg.appid);
    outer[2].key = wxp_cstr("mch_id");      outer[2].value = wxp_cstr(p->cfg.mchid);
    outer[3].key = wxp_cstr("nonce_str");   outer[3].value.ptr = nonce; outer[3].value.len = 16;
    outer[4].key = wxp_cstr("req_info");    outer[4].value.ptr = p->in; outer[4].value.len = b64;
    e = wxp_xml_write(body, cap, outer, 5, len, res);
    if (e == WXP_OK && len && *len < cap) body[*len] = 0;
    return e;
}
#endif /* WXP_NO_V2 */

WXP_FAKE_API wxp_err wxp_fake_notify_transaction(wxp_fake *f, wxp_str apiv3_key,
                                                 const char *out_trade_no, char *body, size_t cap,
                                                 size_t *len, wxp_notify_headers *h,
                                                 wxp_result *res)
{
    wxp__fake_priv *p = &f->wxp__priv;
    const wxp_fake_order *o = out_trade_no ? wxp__fake_order_by(f, wxp_cstr(out_trade_no), 0) : NULL;
    wxp_fake_event ev;
    wxp_json_writer w;
    size_t plen = 0;
    wxp_err e;
    if (len) *len = 0;
    if (!o || !o->transaction_id[0] || !wxp__fake_paid(o)) {
        if (res) memset(res, 0, sizeof *res);
        return wxp__fake_fail(res, o ? WXP_E_ARG : WXP_E_NOTFOUND, "out_trade_no",
                              o ? "the order has no payment to notify (not paid, or reversed)"
                                : "no such order in the fake");
    }
    /* The resource in p->out: wxp_fake_notify encrypts it into scratch. */
    wxp_jw_init(&w, p->out, sizeof p->out);
    wxp__fake_write_tx(f, &w, o, "SUCCESS");
    e = wxp_jw_finish(&w, &plen, res);
    if (e != WXP_OK) return e;
    memset(&ev, 0, sizeof ev);
    ev.event_type = "TRANSACTION.SUCCESS";
    ev.original_type = "transaction";
    ev.summary = WXP__FAKE_ZH_PAID;
    ev.plaintext.ptr = p->out;
    ev.plaintext.len = plen;
    return wxp_fake_notify(f, apiv3_key, &ev, body, cap, len, h, res);
}

#ifdef __cplusplus
}
#endif
#endif /* WECHATPAY_FAKE_IMPLEMENTATION */
