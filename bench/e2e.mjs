// bench/e2e.mjs - make bench's end-to-end figures, and build/bench.json.
//
//   node bench/e2e.mjs NODE_MODULES BUILD [ROUNDS [N]]
//
// Starts the stub server (BUILD/e2e_stub: bench/e2e_stub.c says why not wxpay serve), then for
// ROUNDS rounds (default 5) runs, each in a fresh process, N (default 2000) refunds per client:
// ours (BUILD/e2e_bearssl and BUILD/e2e_openssl, bench/e2e_client.c; sockets + BearSSL TLS, and
// libcurl over TLS and plain HTTP) and the Node SDK (bench/e2e_node.mjs) in turns: ours, Node,
// ours, Node ... so that another job on the machine slows both alike. Each pair gives a ratio of
// client CPU time per call, Node's / ours (= our calls per core / Node's); the figure is the median
// of the ROUNDS pairs, with the lowest and highest beside it. Then it merges the in-process figures
// that build/bench (BUILD/bench-inputs/ours.txt) and bench/node_sdk.mjs (node.txt) wrote, and
// writes BUILD/bench.json. Without NODE_MODULES (no node SDK installed) the Node rows are skipped.
import { spawn, spawnSync } from 'child_process';
import { readFileSync, writeFileSync, existsSync } from 'fs';
import os from 'os';

const [,, modules, build = 'build', roundsArg = '5', nArg = '2000'] = process.argv;
const rounds = Number(roundsArg), n = Number(nArg);
const here = new URL('.', import.meta.url).pathname;

const stub = spawn(`${build}/e2e_stub`, [], { stdio: ['ignore', 'pipe', 'inherit'] });
const ports = await new Promise((ok, fail) => {
  let out = '';
  stub.stdout.on('data', (d) => { out += d; const m = /PORTS (\d+) (\d+)/.exec(out); if (m) ok({ http: m[1], https: m[2] }); });
  stub.on('exit', () => fail(new Error('e2e_stub ended')));
  setTimeout(() => fail(new Error('e2e_stub did not start in 10 s')), 10000);
});
process.on('exit', () => stub.kill());

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 600000 });
  const m = /cpu_us ([\d.]+) wall_us ([\d.]+)/.exec(r.stdout || '');
  if (r.status !== 0 || !m) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.stdout || r.error}`);
  return { cpu: Number(m[1]), wall: Number(m[2]) };
}
const ours = (backend, transport, scheme) => run(`${build}/e2e_${backend}`, [transport, scheme, ports[scheme], String(n)]);
const node = (scheme) => run(process.execPath, [`${here}e2e_node.mjs`, modules, scheme, ports[scheme], String(n)]);

// key, backend, transport, scheme, what
const configs = [
  ['tls_bearssl', 'bearssl', 'sock', 'https', 'default build: BearSSL RSA + SHA-256, sockets transport, BearSSL TLS'],
  ['tls_openssl', 'openssl', 'curl', 'https', 'OpenSSL backend + SHA-256, libcurl (OpenSSL TLS)'],
  ['tls_openssl_sock', 'openssl', 'sock', 'https', 'OpenSSL backend + SHA-256, sockets transport, BearSSL TLS'],
  ['http_openssl', 'openssl', 'curl', 'http', 'OpenSSL backend + SHA-256, libcurl, plain HTTP'],
  ['http_bearssl', 'bearssl', 'curl', 'http', 'BearSSL RSA + SHA-256, libcurl, plain HTTP'],
];
const withNode = modules && existsSync(`${modules}/wechatpay-axios-plugin`);
const samples = Object.fromEntries(configs.map(([k]) => [k, { ours: [], node: [], ratio: [] }]));
for (let r = 0; r < rounds; r++) {
  for (const [k, backend, transport, scheme] of configs) {
    const o = ours(backend, transport, scheme);
    samples[k].ours.push(o.cpu);
    if (withNode) {
      const s = node(scheme);
      samples[k].node.push(s.cpu);
      samples[k].ratio.push(s.cpu / o.cpu);
    }
  }
  process.stdout.write(`   round ${r + 1} of ${rounds} done\n`);
}
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const r2 = (x) => Math.round(x * 100) / 100;

const json = {
  machine: `${os.type()} ${os.release()} ${os.arch()}, ${os.cpus()[0]?.model}, ${os.cpus().length} CPUs`,
  node: process.version,
  e2e_calls_per_run: n, e2e_rounds: rounds,
};
console.log(`\n8. End to end: ${n} typed refunds per run over loopback against one stub server (bench/e2e_stub.c),`
  + `\n   each client in its own process, client CPU time per call (getrusage / process.cpuUsage),`
  + `\n   ${rounds} rounds, ours and the Node SDK in turns; median [lowest - highest] of the rounds.\n`);
console.log(`   ${'client'.padEnd(64)} ${'ours µs'.padStart(9)} ${'Node µs'.padStart(9)}  Node/ours`);
for (const [k, , , , what] of configs) {
  const s = samples[k];
  json[`e2e_${k}_us`] = r2(median(s.ours));
  let line = `   ${what.padEnd(64)} ${median(s.ours).toFixed(1).padStart(9)}`;
  if (withNode) {
    json[`e2e_${k}_node_us`] = r2(median(s.node));
    json[`e2e_${k}_vs_node`] = r2(median(s.ratio));
    json[`e2e_${k}_vs_node_range`] = [r2(Math.min(...s.ratio)), r2(Math.max(...s.ratio))];
    line += ` ${median(s.node).toFixed(1).padStart(9)}  ${median(s.ratio).toFixed(2)}x [${Math.min(...s.ratio).toFixed(2)} - ${Math.max(...s.ratio).toFixed(2)}]`;
  }
  console.log(line);
}
if (!withNode) console.log('   (the Node SDK is not installed: its rows are SKIPPED)');

// The in-process figures of build/bench and bench/node_sdk.mjs, same run of make bench.
for (const f of ['ours.txt', 'ours_osha.txt', 'node.txt']) {
  const p = `${build}/bench-inputs/${f}`;
  if (!existsSync(p)) continue;
  for (const l of readFileSync(p, 'utf8').split('\n')) {
    const i = l.indexOf('=');
    if (i > 0 && l.startsWith('json_')) json[l.slice(5, i)] = Number(l.slice(i + 1));
  }
}
// Node's time / ours: above 1, ours is faster (in process, one core each).
const ratio = (k, node, us) => { if (json[node] && json[us]) json[k] = Math.round((json[node] / json[us]) * 1000) / 1000; };
ratio('v2_call_vs_node', 'node_v2_call_us', 'v2_call_us');
ratio('callback_openssl_vs_node', 'node_callback_us', 'callback_openssl_us');
ratio('v3_call_openssl_vs_node', 'node_v3_call_axios_us', 'v3_call_openssl_us');
writeFileSync(`${build}/bench.json`, `${JSON.stringify(json, null, 2)}\n`);
console.log(`\n   wrote ${build}/bench.json`);
process.exit(0);
