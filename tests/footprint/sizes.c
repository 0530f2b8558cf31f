/* tests/footprint/sizes.c - the sizes of the structs a POS keeps, for any
   target: compile it (-c), then `nm -S` reads each size off an object named
   after the struct, so a cross build needs no emulator (tests/footprint/size.sh). */
#include "wechatpay.h"

#define WXP_FOOTPRINT(name, size) extern const unsigned char wxp_footprint_##name[size]; \
    const unsigned char wxp_footprint_##name[size] = { 1 };

WXP_FOOTPRINT(client, sizeof(wxp_client))
WXP_FOOTPRINT(config, sizeof(wxp_config))
WXP_FOOTPRINT(keystore, sizeof(wxp_keystore))
WXP_FOOTPRINT(pubkey_slot, sizeof(wxp_pubkey))
WXP_FOOTPRINT(rsa_key, sizeof(wxp_rsa_key))
WXP_FOOTPRINT(result, sizeof(wxp_result))
WXP_FOOTPRINT(http_response, sizeof(wxp_http_response))
WXP_FOOTPRINT(refund, sizeof(wxp_refund))
WXP_FOOTPRINT(refund_req, sizeof(wxp_refund_req))
WXP_FOOTPRINT(notification, sizeof(wxp_notification))
WXP_FOOTPRINT(json_tok, sizeof(wxp_json_tok))
WXP_FOOTPRINT(kv, sizeof(wxp_kv))
#ifndef WXP_NO_V2
WXP_FOOTPRINT(v2_refundquery_result, sizeof(wxp_v2_refundquery_result))
#endif
WXP_FOOTPRINT(io_buf_min, WXP_IO_BUFSIZE_MIN)
WXP_FOOTPRINT(io_buf_default, WXP_IO_BUFSIZE_DEFAULT)
