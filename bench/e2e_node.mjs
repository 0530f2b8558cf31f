// bench/e2e_node.mjs - the Node SDK's side of make bench's end-to-end figures (bench/e2e.mjs):
// the published wechatpay-axios-plugin, unmodified, doing what bench/e2e_client.c does against the
// same stub (bench/e2e_stub.c): N refunds, wxpay.v3.refund.domestic.refunds.post(data), one after
// the other on a kept connection, each answer's signature verified by the SDK.
//
//   node bench/e2e_node.mjs NODE_MODULES http|https PORT N [CERT_DIR]
//
// Prints "cpu_us <per call> wall_us <per call>": process.cpuUsage() (user + system of this process)
// over the N calls after a warm-up of 200 (the JIT, the TLS handshake). The keys are
// tests/vectors/keys, the same throwaway keys as examples/test_keys.h.
import { createRequire } from 'module';
import { readFileSync } from 'fs';
import { resolve } from 'path';
import http from 'http';
import https from 'https';

const [,, modules, scheme, port, count, certs = 'tests/server/certs'] = process.argv;
if (!modules || !port || !count) {
  console.error('usage: node bench/e2e_node.mjs NODE_MODULES http|https PORT N [CERT_DIR]');
  process.exit(2);
}
const require = createRequire(`${resolve(modules)}/`);
const { Wechatpay } = require('wechatpay-axios-plugin');
const keys = new URL('../tests/vectors/keys/', import.meta.url);
const tls = scheme === 'https';
// As e2e_client.c: TLS checks the certificate's name, reached at 127.0.0.1.
const lookup = (host, opts, cb) => (opts && opts.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4));
const wxpay = new Wechatpay({
  baseURL: tls ? `https://api.mch.weixin.qq.com:${port}/` : `http://127.0.0.1:${port}/`,
  mchid: '1900009191',
  serial: '1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C',
  privateKey: readFileSync(new URL('merchant_key.pem', keys)),
  certs: { PUB_KEY_ID_0119000091912025010100000000000001: readFileSync(new URL('wechatpay_pub.pem', keys)) },
  httpAgent: new http.Agent({ keepAlive: true, maxSockets: 1 }),
  httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 1, ca: readFileSync(`${certs}/ca.pem`), lookup }),
});
const data = {
  out_trade_no: '1217752501201407033233368018', out_refund_no: '1217752501201407033233368018',
  reason: '商品已售完', notify_url: 'https://weixin.qq.com', amount: { refund: 100, total: 100, currency: 'CNY' },
};
async function call() {
  const { data: refund } = await wxpay.v3.refund.domestic.refunds.post(data);
  if (refund.amount.refund !== 100 || refund.promotion_detail.length !== 2) throw new Error('the answer');
}
const n = Number(count);
for (let i = 0; i < 200; i++) await call();
const c0 = process.cpuUsage(), w0 = process.hrtime.bigint();
for (let i = 0; i < n; i++) await call();
const c = process.cpuUsage(c0), w = Number(process.hrtime.bigint() - w0) / 1e3;
console.log(`cpu_us ${((c.user + c.system) / n).toFixed(2)} wall_us ${(w / n).toFixed(2)}`);
process.exit(0);
