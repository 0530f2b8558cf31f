#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/corpus/<target>/ from tests/vectors
(run from the repository root; the files are committed, CI does not run this).
Mode bytes are '@' + bits, as each target's header comment says."""
import json, os, shutil

V = 'tests/vectors/'
OUT = 'tests/fuzz/corpus/'

def vec(name):
    with open(V + name, encoding='utf-8') as f:
        return json.load(f)

def put(target, name, data):
    d = OUT + target
    os.makedirs(d, exist_ok=True)
    if isinstance(data, Mode):
        data = bytes([ord(data[0])]) + data[1:].encode('utf-8')
    elif isinstance(data, str):
        data = data.encode('utf-8')
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)

class Mode(str):
    """The mode byte, '@' + bits: written as one byte whatever its value."""
    def __add__(self, other):
        return Mode(str.__add__(self, other))

def mode(bits):
    return Mode(chr(0x40 + bits))

def clean(target):
    shutil.rmtree(OUT + target, ignore_errors=True)

for t in ('json', 'xml', 'response', 'notify', 'pem', 'base64', 'req_info'):
    clean(t)

resp = vec('v3_response_verify.json')['cases']
notify = vec('v3_notify_decrypt.json')
req_info = vec('v2_refund_notify_req_info.json')
v2xml = vec('v2_xml.json')

# json: answers, callbacks and their plaintexts, a few edge shapes
put('json', 'refund_answer', resp[0]['body'])
put('json', 'notify_body', notify['cases'][0]['callback']['body'])
put('json', 'refund_notify_plain', notify['cases'][0]['plaintext'])
put('json', 'error_answer', '{"code":"PARAM_ERROR","message":"\\u53c2\\u6570\\u9519\\u8bef","detail":{"field":"amount.refund","location":"body"}}')
put('json', 'escapes', '["\\ud83d\\ude00","\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000",-0,1e5,123456789012345678901,true,false,null,{}]')
put('json', 'nested', '{"a":{"b":{"c":[[[{"d":[1,2,3]}]]]}},"a":2}')

# xml: the reader vectors and an indexed refund answer
for i, c in enumerate(v2xml['read']):
    put('xml', 'read%d' % i, c['xml'])
for i, c in enumerate(v2xml['write']):
    put('xml', 'write%d' % i, c['xml'])
put('xml', 'req_info_plain', req_info['cases'][0]['plaintext'])

# base64: signatures, ciphertexts, edge lengths
put('base64', 'signature', resp[0]['signature'])
put('base64', 'ciphertext', notify['cases'][2]['ciphertext'])
put('base64', 'pad1', 'QUI=')
put('base64', 'pad2', 'QQ==')
put('base64', 'bin', bytes(range(0, 256, 7)))

# req_info: as received (even mode byte) and as plaintext (odd)
for i, c in enumerate(req_info['cases']):
    put('req_info', 'received%d' % i, mode(0) + c['req_info'])
    put('req_info', 'plain%d' % i, mode(1) + c['plaintext'])
put('req_info', 'short_out', mode(2) + req_info['cases'][1]['req_info'])

# pem: every key kind the loaders meet, and a certificate bundle
for name in ('merchant_key.pem', 'merchant_key_pkcs1.pem', 'merchant_pub.pem', 'platform_cert.pem',
             'wechatpay_pub.pem'):
    with open(V + 'keys/' + name, 'rb') as f:
        put('pem', name, f.read())
for name in sorted(os.listdir('tests/fixtures')):
    if name.endswith('.pem'):
        with open('tests/fixtures/' + name, 'rb') as f:
            put('pem', 'fixture_' + name, f.read())
with open(V + 'keys/platform_cert.pem', 'rb') as a, open('tests/fixtures/cert_serial_highbit.pem', 'rb') as b:
    put('pem', 'bundle.pem', a.read() + b.read())
with open(V + 'keys/merchant_key.pem', 'rb') as f:
    put('pem', 'crlf.pem', f.read().replace(b'\n', b'\r\n'))

# notify: the signed callbacks, as they are and trusted
i = 0
for c in notify['cases']:
    if not c.get('callback'):
        continue
    cb = c['callback']
    h = cb['headers']
    head = '\n'.join([h['Wechatpay-Timestamp'], h['Wechatpay-Nonce'], h['Wechatpay-Signature'],
                      h['Wechatpay-Serial']]) + '\n'
    put('notify', 'callback%d' % i, mode(0) + head + cb['body'])
    put('notify', 'callback%d_trusted' % i, mode(1) + head + cb['body'])
    i += 1
put('notify', 'replayed', mode(2) + head + cb['body'])
put('notify', 'small_plain', mode(4) + head + cb['body'])

# response: verified answers (raw and typed), errors, APIv2
def answer(m, status, case, body=None, extra=''):
    hs = ('Request-ID: 08F8A5A0B4061010\n'
          'Wechatpay-Timestamp: %s\nWechatpay-Nonce: %s\nWechatpay-Signature: %s\nWechatpay-Serial: %s\n'
          % (case['timestamp'], case['nonce'], case['signature'], case['serial']))
    return mode(m) + '%d\n' % status + hs + extra + '\n' + (case['body'] if body is None else body)

pub = [c for c in resp if c['case'] == 'genuine, WeChat Pay public key']
put('response', 'refund_raw', answer(0, 200, pub[0]))
put('response', 'refund_typed', answer(2, 200, pub[0]))
put('response', 'refund_pieces', answer(6, 200, pub[0]))
put('response', 'empty_204', answer(0, 204, pub[1]))
put('response', 'return_time', answer(0, 200, pub[2]))
put('response', 'error_400', mode(0) + '400\nRequest-ID: 1\n\n{"code":"PARAM_ERROR","message":"bad"}')
put('response', 'no_status', mode(0) + '\n\n')
put('response', 'transport_fail', mode(32) + '502\n\n')
put('response', 'small_io', answer(8, 200, pub[0], body='{"a":"' + 'x' * 5000 + '"}'))
promo = json.loads(pub[0]['body'])
promo['promotion_detail'] = [{'promotion_id': '109519', 'scope': 'SINGLE', 'type': 'DISCOUNT', 'amount': 5,
                              'refund_amount': 100, 'goods_detail': [
                                  {'merchant_goods_id': '1217752501201407033233368018', 'unit_price': 100,
                                   'refund_amount': 100, 'refund_quantity': 1}]}]
put('response', 'refund_trusted_promo', answer(3, 200, pub[0], body=json.dumps(promo, ensure_ascii=False)))
txn = {'appid': 'wxd678efh567hg6787', 'mchid': '1900009191', 'out_trade_no': '1217752501201407033233368018',
       'transaction_id': '1217752501201407033233368018', 'trade_type': 'MICROPAY', 'trade_state': 'SUCCESS',
       'trade_state_desc': 'ok', 'success_time': '2018-06-08T10:34:56+08:00',
       'payer': {'openid': 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o'}, 'amount': {'total': 100, 'payer_total': 100,
                                                                       'currency': 'CNY'}}
put('response', 'transaction_trusted', answer(64 + 3, 200, pub[0], body=json.dumps(txn)))
v2ok = ('<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg>OK</return_msg>'
        '<result_code>SUCCESS</result_code><appid>wx2421b1c4370ec43b</appid><mch_id>10000100</mch_id>'
        '<transaction_id>1008450740201411110005820873</transaction_id><out_trade_no>1415757673</out_trade_no>'
        '<total_fee>100</total_fee><cash_fee>100</cash_fee><refund_count>2</refund_count>'
        '<out_refund_no_0>1415701182</out_refund_no_0><refund_id_0>2008450740201411110000174436</refund_id_0>'
        '<refund_fee_0>10</refund_fee_0><refund_status_0>SUCCESS</refund_status_0>'
        '<coupon_refund_count_0>1</coupon_refund_count_0><coupon_type_0_0>CASH</coupon_type_0_0>'
        '<coupon_refund_fee_0_0>1</coupon_refund_fee_0_0><coupon_refund_id_0_0>C1</coupon_refund_id_0_0>'
        '<out_refund_no_1>1415701183</out_refund_no_1><refund_fee_1>20</refund_fee_1>'
        '<sign>00</sign></xml>')
put('response', 'v2_typed_trusted', mode(16 + 3) + '200\n\n' + v2ok)
put('response', 'v2_raw_trusted', mode(16 + 1) + '200\n\n' + v2ok)
put('response', 'v2_return_fail', mode(16) + '200\n\n<xml><return_code>FAIL</return_code><return_msg>sign error</return_msg></xml>')
put('response', 'v2_result_fail', mode(16 + 1) + '200\n\n<xml><return_code>SUCCESS</return_code><result_code>FAIL</result_code>'
    '<err_code>REFUNDNOTEXIST</err_code><err_code_des>no refund</err_code_des></xml>')

# every regression input is a seed too, so that make fuzz replays it
for t in os.listdir('tests/fuzz/regressions'):
    for name in sorted(os.listdir('tests/fuzz/regressions/' + t)):
        with open('tests/fuzz/regressions/%s/%s' % (t, name), 'rb') as f:
            put(t, 'regression_' + name, f.read())
