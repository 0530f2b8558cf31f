// bench/node_sdk.mjs - the whole call of bench/bench.c, done by the published Node SDK
// wechatpay-axios-plugin 0.9.6, timed in the same run of make bench (run by bench/node_sdk.sh).
//
//   node bench/node_sdk.mjs NODE_MODULES INPUTS
//
// INPUTS is the folder `build/bench INPUTS` wrote: the same 211-byte refund request body, the same
// 1049-byte refund answer with the same Wechatpay-* headers (signed once by bench.c with the platform
// key), and bench.c's figures for its whole call (ours.txt). The keys are tests/vectors/keys, the
// same throwaway keys as examples/test_keys.h; a check signature from bench.c proves it.
//
// What is timed, first the SDK's own work around the network, as its lib/decorator.js does it
// (requestInterceptor's signer, responseVerifier, axios' JSON transform), without axios:
//   sign       Formatter.nonce + Formatter.timestamp + Formatter.request + Rsa.sign
//              + Formatter.authorization (the Authorization header)
//   whole call sign, then the verifier's clock and serial checks, Formatter.response + Rsa.verify
//              of the signed answer, and JSON.parse of it
// (not counted there: JSON.stringify of the request data, URL building, AxiosHeaders, axios'
// dispatch; keys are KeyObjects made once, as jsonBased() does); then
//   via axios  the same call as a user makes it, wxpay.v3.refund.domestic.refunds.post(data) on a
//              Wechatpay client, with an axios adapter that replays the answer in process: the
//              counterpart of bench.c's replay transport.
// Formatter.timestamp is pinned to bench.c's fixed clock (its config.clock), so that the answer's
// timestamp passes the verifier's 300 s check on any day. One warm-up batch, then the best of 5
// batches, measured in turns; µs per operation; one thread (one core).
import { createRequire } from 'module';
import { readFileSync, writeFileSync, existsSync } from 'fs';
import { resolve } from 'path';

const [,, modules, inputs] = process.argv;
if (!modules || !inputs) {
  console.error('usage: node bench/node_sdk.mjs NODE_MODULES INPUTS_DIR');
  process.exit(2);
}
const require = createRequire(`${resolve(modules)}/`);
const { Rsa, Formatter, Wechatpay, Aes } = require('wechatpay-axios-plugin');
const sdkVersion = require('wechatpay-axios-plugin/package.json').version;

const keys = new URL('../tests/vectors/keys/', import.meta.url);
const kv = (file) => Object.fromEntries(readFileSync(`${inputs}/${file}`, 'utf8').split('\n').filter(Boolean)
  .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
const inp = kv('inputs.txt');
const requestBody = readFileSync(`${inputs}/request_body`, 'utf8');
const answerBody = readFileSync(`${inputs}/answer_body`, 'utf8');

// As Decorator.jsonBased: the private key and the platform keys become KeyObjects once.
const privateKey = Rsa.from(readFileSync(new URL('merchant_key.pem', keys), 'utf8'), Rsa.KEY_TYPE_PRIVATE);
const certs = { [inp.wechatpay_serial]: Rsa.from(readFileSync(new URL('wechatpay_pub.pem', keys), 'utf8'), Rsa.KEY_TYPE_PUBLIC) };
const { mchid, serial_no: serial, method, url } = inp;
const now = Number(inp.now); // bench.c's fixed clock: the answer's timestamp is of that time
const headers = {
  'Wechatpay-Timestamp': inp.wechatpay_timestamp, 'Wechatpay-Nonce': inp.wechatpay_nonce,
  'Wechatpay-Signature': inp.wechatpay_signature, 'Wechatpay-Serial': inp.wechatpay_serial,
};

// Same key, same message, same bytes: else the comparison is void.
if (Rsa.sign(Formatter.request(method, url, inp.now, inp.check_nonce, requestBody), privateKey) !== inp.check_signature) {
  console.error('node_sdk: the merchant key differs from bench.c\'s');
  process.exit(1);
}

// bench.c's fixed clock, for the signer and the verifier alike.
Formatter.timestamp = () => now;

// requestInterceptor's signer, without axios around it.
let authorization = '';
function sign() {
  const nonce = Formatter.nonce();
  const timestamp = Formatter.timestamp();
  const signature = Rsa.sign(Formatter.request(method, url, timestamp, nonce, requestBody), privateKey);
  authorization = Formatter.authorization(mchid, nonce, signature, timestamp, serial);
}

// responseVerifier, then axios' default transformResponse (JSON.parse).
let answer = null;
function verify() {
  const timestamp = headers['Wechatpay-Timestamp'], nonce = headers['Wechatpay-Nonce'];
  const serialNo = headers['Wechatpay-Serial'], signature = headers['Wechatpay-Signature'];
  if (Math.abs(now - timestamp) > 300) throw new Error('clock');
  if (!Object.prototype.hasOwnProperty.call(certs, serialNo)) throw new Error('serial');
  if (!Rsa.verify(Formatter.response(timestamp, nonce, answerBody), signature, certs[serialNo])) throw new Error('signature');
  answer = JSON.parse(answerBody);
}

function call() { sign(); verify(); }

const digestMessage = Formatter.response(headers['Wechatpay-Timestamp'], headers['Wechatpay-Nonce'], answerBody);
function bareSign() { Rsa.sign(digestMessage, privateKey); }
function bareVerify() {
  if (!Rsa.verify(digestMessage, headers['Wechatpay-Signature'], certs[headers['Wechatpay-Serial']])) throw new Error('verify');
}

// The whole call as a user of the plugin makes it, with the network replaced by an axios adapter
// that answers in process (the headers as bench.c's replay transport sends them).
const answerHeaders = {
  'request-id': '08F0C4E8A40610C6021800', 'content-type': 'application/json',
  'wechatpay-nonce': headers['Wechatpay-Nonce'], 'wechatpay-signature': headers['Wechatpay-Signature'],
  'wechatpay-timestamp': headers['Wechatpay-Timestamp'], 'wechatpay-serial': headers['Wechatpay-Serial'],
  'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
};
const wxpay = new Wechatpay({
  mchid, serial,
  privateKey: readFileSync(new URL('merchant_key.pem', keys)),
  certs: { [inp.wechatpay_serial]: readFileSync(new URL('wechatpay_pub.pem', keys)) },
  adapter: async (config) => ({ data: answerBody, status: 200, statusText: 'OK', headers: answerHeaders, config, request: {} }),
});
const requestData = JSON.parse(requestBody);
if (JSON.stringify(requestData) !== requestBody) throw new Error('the request body does not round-trip');
let axiosAnswer = null;
async function axiosCall() {
  const res = await wxpay.v3.refund.domestic.refunds.post(requestData);
  axiosAnswer = res.data;
}

// The refund callback of bench.c's section 3, as a server using the SDK takes it: the clock, the
// signature under the WeChat Pay public key (Rsa.verify), the body, the resource decrypted with the
// APIv3 key (Aes.AesGcm), its JSON.
const callbackBody = readFileSync(`${inputs}/callback_body`, 'utf8');
const apiv3Key = Buffer.from(inp.apiv3_key);
let refundNotice = null;
function callback() {
  if (Math.abs(now - Number(inp.callback_timestamp)) > 300) throw new Error('clock');
  if (!Rsa.verify(Formatter.response(inp.callback_timestamp, inp.callback_nonce, callbackBody),
    inp.callback_signature, certs[inp.wechatpay_serial])) throw new Error('callback signature');
  const { resource } = JSON.parse(callbackBody);
  refundNotice = JSON.parse(Aes.AesGcm.decrypt(resource.ciphertext, apiv3Key, resource.nonce, resource.associated_data));
}

// The APIv2 refund of bench.c's section 6 through the SDK's v2 client (sign, XML; the answer's
// XML parsed and its sign checked), its network replaced by an adapter replaying the same answer.
const v2Answer = readFileSync(`${inputs}/v2_answer`, 'utf8');
const v2 = new Wechatpay({
  mchid, serial, secret: inp.apiv2_key,
  privateKey: readFileSync(new URL('merchant_key.pem', keys)),
  certs: { [inp.wechatpay_serial]: readFileSync(new URL('wechatpay_pub.pem', keys)) },
  adapter: async (config) => ({ data: v2Answer, status: 200, statusText: 'OK', headers: { 'content-type': 'text/xml' }, config, request: {} }),
});
let v2Answered = null;
async function v2Call() {
  const res = await v2.v2.secapi.pay.refund.post({
    appid: 'wx2421b1c4370ec43b', mch_id: mchid, out_trade_no: '1217752501201407033233368018',
    out_refund_no: '1217752501201407033233368018', total_fee: 500, refund_fee: 100, sign_type: 'HMAC-SHA256',
  }, { security: true });
  v2Answered = res.data;
}

function batch(fn, n) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1e3 / n;
}
async function batchAsync(fn, n) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  return Number(process.hrtime.bigint() - t0) / 1e3 / n;
}

// Measured in turns, round by round, as bench.c does, so that a busy machine slows them alike.
const rows = [
  ['Rsa.sign (bare)', bareSign, 400],
  ['Rsa.verify (bare)', bareVerify, 4000],
  ['sign: nonce, request, Rsa.sign, header', sign, 400],
  ['whole call: sign + verify + JSON.parse', call, 400],
  ['whole call via axios, replay adapter', axiosCall, 400, true],
  ['refund callback: verify, AES-GCM, JSON', callback, 1000],
  ['APIv2 refund via axios, replay adapter', v2Call, 2000, true],
];
const run = ([, fn, n, isAsync], k) => (isAsync ? batchAsync(fn, k || n) : batch(fn, k || n));
for (const r of rows) await run(r, Math.ceil(r[2] / 4)); // warm-up (JIT, OpenSSL contexts)
const best = rows.map(() => Infinity);
for (let round = 0; round < 5; round++) {
  for (let i = 0; i < rows.length; i++) best[i] = Math.min(best[i], await run(rows[i]));
}
if (!authorization.startsWith('WECHATPAY2-SHA256-RSA2048 ') || answer.status !== 'SUCCESS'
    || axiosAnswer?.status !== 'SUCCESS' || refundNotice?.refund_status !== 'SUCCESS'
    || v2Answered?.refund_fee !== '100') throw new Error(`bad run ${JSON.stringify(v2Answered)}`);

console.log(`\n7. The same calls by the published Node SDK, wechatpay-axios-plugin ${sdkVersion} (Node ${process.version},`
  + ` OpenSSL ${process.versions.openssl}):\n   the same ${Buffer.byteLength(requestBody)}-byte request body,`
  + ` ${Buffer.byteLength(answerBody)}-byte answer and headers, and keys. First the SDK's own work around\n`
  + '   the network, as its axios interceptors do it (not counted: JSON.stringify of the request data, URL,\n'
  + '   AxiosHeaders); then the same call through its Wechatpay client and axios, with an axios adapter\n'
  + '   replaying the answer in process (the counterpart of the replay transport of 2).\n');
console.log(`   ${'Node SDK'.padEnd(38)} ${'µs'.padStart(10)}`);
const sdkSignRsa = best[0] + best[1], sdkCall = best[3];
const line = (name, us, note = '') => console.log(`   ${name.padEnd(38)} ${us.toFixed(1).padStart(10)}${note}`);
rows.forEach(([name], i) => {
  line(name, best[i]);
  if (i === 3) line('  of which outside the RSA', sdkCall - sdkSignRsa, `   (${(100 * (sdkCall - sdkSignRsa) / sdkCall).toFixed(2)}% of the call)`);
  if (i === 4) line('  of which axios and the client', best[4] - sdkCall);
});

// For build/bench.json (bench/e2e.mjs merges these).
writeFileSync(`${inputs}/node.txt`, `json_node_v3_call_us=${best[3].toFixed(2)}\njson_node_v3_call_axios_us=${best[4].toFixed(2)}\n`
  + `json_node_callback_us=${best[5].toFixed(2)}\njson_node_v2_call_us=${best[6].toFixed(2)}\n`
  + `json_node_rsa_floor_us=${sdkSignRsa.toFixed(2)}\n`);

if (existsSync(`${inputs}/ours.txt`) && existsSync(`${inputs}/ours_osha.txt`)) {
  const ours = { ...kv('ours.txt'), ...kv('ours_osha.txt') };
  const names = { bearssl: 'BearSSL i62 (the default)', openssl: 'OpenSSL backend + its SHA-256' };
  console.log('\n   Whole call, Node SDK / wechatpay.h wxp_v3_request, one core each (above 1: wechatpay.h faster):\n');
  console.log(`   ${'wechatpay.h signer / verifier'.padEnd(38)} ${'SDK work'.padStart(10)} ${'via axios'.padStart(10)}`);
  for (const k of ['bearssl', 'openssl']) {
    const us = Number(ours[`json_v3_call_${k}_us`]);
    console.log(`   ${names[k].padEnd(38)} ${`${(sdkCall / us).toFixed(2)}x`.padStart(10)}`
      + ` ${`${(best[4] / us).toFixed(2)}x`.padStart(10)}   (${sdkCall.toFixed(1)} and ${best[4].toFixed(1)} µs / ${us.toFixed(1)} µs)`);
  }
}
