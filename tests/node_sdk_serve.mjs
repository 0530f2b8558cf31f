// tests/node_sdk_serve.mjs - the published Node SDK wechatpay-axios-plugin, unmodified, against
// `wxpay serve` (run by tests/serve_check.sh, which starts the server and installs the SDK):
//
//   NODE_EXTRA_CA_CERTS=DIR/ca.pem node tests/node_sdk_serve.mjs NODE_MODULES DIR PORT
//
// DIR is a `wxpay serve --init` directory (its settings file and keys), PORT the server's. The
// SDK is configured as docs/SIMULATOR.md says: baseURL https://127.0.0.1:PORT/, the merchant key
// and serial, the WeChat Pay public key under its PUB_KEY_ID, the APIv2 key and the client
// certificate; the throwaway CA is trusted through NODE_EXTRA_CA_CERTS. Every answer the SDK
// hands back has passed its own signature, serial and clock checks. What it does:
//   1. APIv3 refund of a demo-book order, then its query (the SDK's verifier on both);
//   2. APIv2 refund over mutual TLS (/secapi/pay/refund: the client certificate, the sign);
//   3. a Native order placed with notify_url on a local HTTP server, the simulated customer pays
//      (POST /sim/pay), the TRANSACTION.SUCCESS callback arrives: its signature verified with the
//      SDK's Rsa.verify under the WeChat Pay public key, its resource decrypted with the SDK's
//      AesGcm and the APIv3 key; answered 204; then the order queried: SUCCESS.
// Prints one "ok - ..." line per check; exit 0 when all pass, 1 at the first failure.
import { createRequire } from 'module';
import { readFileSync } from 'fs';
import { resolve } from 'path';
import http from 'http';
import https from 'https';

const [,, modules, dir, port] = process.argv;
if (!modules || !dir || !port) {
  console.error('usage: node tests/node_sdk_serve.mjs NODE_MODULES DIR PORT');
  process.exit(2);
}
const require = createRequire(`${resolve(modules)}/`);
const { Wechatpay, Rsa, Formatter, Aes } = require('wechatpay-axios-plugin');

// The CLI's settings file: key = value lines, # comments.
const settings = Object.fromEntries(readFileSync(`${dir}/settings`, 'utf8').split('\n')
  .map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
  .map((l) => [l.slice(0, l.indexOf('=')).trim(), l.slice(l.indexOf('=') + 1).trim()]));
const file = (name) => readFileSync(`${dir}/${name}`, 'utf8');
const wechatpayPub = Rsa.from(file(settings.pubkey_file), Rsa.KEY_TYPE_PUBLIC);

const wxpay = new Wechatpay({
  baseURL: `https://127.0.0.1:${port}/`,
  mchid: settings.mchid,
  serial: settings.serial,
  privateKey: Rsa.from(file(settings.key_file), Rsa.KEY_TYPE_PRIVATE),
  certs: { [settings.pubkey_id]: wechatpayPub },
  secret: settings.apiv2_key,
  merchant: { cert: file(settings.client_cert), key: file(settings.key_file) },
});

let failed = 0;
function check(what, cond, detail) {
  if (cond) console.log(`ok - ${what}`);
  else { console.log(`FAIL - ${what}${detail ? `: ${detail}` : ''}`); failed = 1; }
}
const describe = (e) => (e.response ? `HTTP ${e.response.status} ${JSON.stringify(e.response.data)}` : String(e));

// An HTTPS POST without the SDK (the simulator's test endpoints take no signature).
function simPost(path) {
  return new Promise((ok, fail) => {
    const req = https.request({ host: '127.0.0.1', port, path, method: 'POST', servername: 'localhost' }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => ok({ status: res.statusCode, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

const order = '1217752501201407033233368018';   // the demo book's paid order, 888 fen
const stamp = Date.now().toString(36);          // a journal outlives one run: fresh numbers

try {
  // 1. APIv3 refund and query.
  const refundNo = `NODE-R-${stamp}`;
  const { data: refund } = await wxpay.v3.refund.domestic.refunds.post({
    out_trade_no: order, out_refund_no: refundNo, reason: 'node sdk against wxpay serve',
    amount: { refund: 1, total: 888, currency: 'CNY' },
  });
  check('APIv3 refund: created, answer verified by the SDK', refund.out_refund_no === refundNo
    && refund.status === 'PROCESSING' && refund.amount.refund === 1, JSON.stringify(refund));
  const { data: again } = await wxpay.v3.refund.domestic.refunds._out_refund_no_.get({ out_refund_no: refundNo });
  check('APIv3 refund query: the same refund', again.refund_id === refund.refund_id, JSON.stringify(again));

  // 2. APIv2 refund over mutual TLS.
  const v2 = await wxpay.v2.secapi.pay.refund({
    appid: settings.appid, mch_id: settings.mchid, out_trade_no: '1415757673',
    out_refund_no: `NODE-V2-${stamp}`, total_fee: 608, refund_fee: 1,
  }, { security: true });
  check('APIv2 refund over mutual TLS: SUCCESS, sign checked by the SDK',
    v2.data.return_code === 'SUCCESS' && v2.data.result_code === 'SUCCESS', JSON.stringify(v2.data));

  // 3. A Native order, the customer pays, the callback.
  let callback;
  const got = new Promise((ok) => { callback = ok; });
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      res.writeHead(204);
      res.end();
      callback({ headers: req.headers, body });
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const tradeNo = `NODE${stamp}`;
  const { data: placed } = await wxpay.v3.pay.transactions.native.post({
    appid: settings.appid, mchid: settings.mchid, description: 'node sdk against wxpay serve',
    out_trade_no: tradeNo, notify_url: `http://127.0.0.1:${server.address().port}/notify`,
    amount: { total: 1800, currency: 'CNY' },
  });
  check('Native order placed: code_url', /^weixin:\/\/wxpay\/bizpayurl\?pr=/.test(placed.code_url),
    JSON.stringify(placed));
  const paid = await simPost(`/sim/pay?out_trade_no=${tradeNo}`);
  check('the simulated customer paid (POST /sim/pay)', paid.status === 200, paid.body);
  const cb = await Promise.race([got, new Promise((ok) => setTimeout(() => ok(null), 10000))]);
  server.close();
  check('the payment callback arrived', cb !== null);
  if (cb) {
    const h = cb.headers;
    check('callback signed under the PUB_KEY_ID', h['wechatpay-serial'] === settings.pubkey_id, h['wechatpay-serial']);
    check('callback signature verified (Rsa.verify)', Rsa.verify(
      Formatter.response(h['wechatpay-timestamp'], h['wechatpay-nonce'], cb.body), h['wechatpay-signature'], wechatpayPub));
    const { event_type: event, resource } = JSON.parse(cb.body);
    const tx = JSON.parse(Aes.AesGcm.decrypt(resource.ciphertext, settings.apiv3_key, resource.nonce,
      resource.associated_data));
    check('callback decrypted (AesGcm): TRANSACTION.SUCCESS of the order', event === 'TRANSACTION.SUCCESS'
      && tx.out_trade_no === tradeNo && tx.trade_state === 'SUCCESS' && tx.amount.total === 1800, JSON.stringify(tx));
  }
  const { data: queried } = await wxpay.v3.pay.transactions.outTradeNo._out_trade_no_.get({
    out_trade_no: tradeNo, params: { mchid: settings.mchid },
  });
  check('order query: SUCCESS', queried.trade_state === 'SUCCESS', JSON.stringify(queried));
} catch (e) {
  check('the SDK calls', false, describe(e));
}
process.exit(failed);
