#!/bin/sh
# tests/serve_check.sh WXPAY REFUND_SOCKET REFUND_CURL NODE_DIR - `wxpay serve` as a new user meets
# it: `wxpay serve --init d && wxpay serve --state d/journal`, then, unchanged, the clients that
# docs/SIMULATOR.md points at it: our CLI (libcurl), examples/refund.c built with the sockets
# transport and with libcurl, plain curl with `wxpay sign` (and `wxpay verify` on the answer), and
# the published Node SDK wechatpay-axios-plugin (tests/node_sdk_serve.mjs: a refund, an APIv2
# refund over mutual TLS, an order placement, its payment and callback). Then the server is
# stopped and started again on the same journal: the book is still there.
#
# The Node SDK is installed once into NODE_DIR (default build/node-sim; later runs are offline).
# Without node, npm or the registry, or without curl, that part says SKIPPED and why; the rest
# runs. Every wait is bounded. Run from the repository root (make test does).
W=${1:-build/wxpay}
REFUND_SOCKET=${2:-build/refund_socket}
REFUND_CURL=${3:-build/refund_curl}
NODE_DIR=${4:-build/node-sim}
SDK=wechatpay-axios-plugin@0.9.6
T=$(mktemp -d /tmp/wxpay_serve.XXXXXX) || exit 1
D=$T/d
PID=
passed=0
failed=0

stop() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; PID=; }
trap 'stop; rm -rf "$T"' EXIT INT TERM
ok() { passed=$((passed + 1)); echo "ok - $1"; }
bad() { failed=$((failed + 1)); echo "FAIL - $1"; [ -f "$T/err" ] && sed 's/^/       /' "$T/err" | head -20; }
# t NAME STATUS COMMAND...: the command exits with STATUS (stdout in $T/out, stderr in $T/err).
t() {
    name=$1 want=$2
    shift 2
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$got" -eq "$want" ]; then ok "$name"; else echo "  exit $got, expected $want: $*"; bad "$name"; fi
}
has() { if grep -q -- "$3" "$T/$2"; then ok "$1"; else bad "$1 ($2 lacks: $3)"; fi; }

# start [ARGS...]: wxpay serve on a free port, its journal d/journal; sets PORT (0: it failed).
# The last run's files go first: the new server's shell may open them after the
# first look, and an old "PORT" line would name a dead server.
start() {
    rm -f "$T/serve.out" "$T/serve.err"
    "$W" serve --state "$D/journal" --port 0 "$@" >"$T/serve.out" 2>"$T/serve.err" &
    PID=$!
    PORT=0
    for _ in $(seq 100); do
        PORT=$(sed -n 's/^PORT //p' "$T/serve.out" 2>/dev/null)
        [ -n "$PORT" ] && return
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    PORT=0
}

echo "== wxpay serve"
t "serve --init writes the throwaway keys" 0 "$W" serve --init "$D"
for f in settings README ca.pem server.pem server_key.pem apiclient_key.pem apiclient_cert.pem pub_key.pem \
         wechatpay_cert.pem wechatpay_private_key.pem; do
    [ -s "$D/$f" ] || bad "serve --init: $f is missing"
done
has "settings marked THROWAWAY" d/settings THROWAWAY
has "README marked THROWAWAY" d/README THROWAWAY
if [ "$(ls -l "$D/apiclient_key.pem" | cut -c1-10)" = "-rw-------" ]; then ok "the merchant key is 0600"
else bad "the merchant key is 0600"; fi
t "serve --init refuses a directory already made" 2 "$W" serve --init "$D"
has "  ... saying what it expected and found" err "expected a new or empty directory, found $D/settings"
MCHID=$(sed -n 's/^mchid = //p' "$D/settings")
case $MCHID in 19000?????) ok "a test-range merchant id ($MCHID)" ;; *) bad "a test-range merchant id ($MCHID)" ;; esac

# Refusals: another address; a real-looking merchant.
t "serve refuses an address other than 127.0.0.1" 2 "$W" serve --state "$D/journal" --listen 0.0.0.0
has "  ... naming both" err 'expected 127.0.0.1 (the simulator never listens beyond the loopback address), found "0.0.0.0"'
mkdir "$T/real" && cp "$D"/*.pem "$T/real/" && sed 's/^mchid = .*/mchid = 1230000109/' "$D/settings" >"$T/real/settings"
t "serve refuses a merchant id outside the test range" 3 "$W" serve --state "$T/real/journal" --port 0
has "  ... naming both" err "expected a test merchant id (10 digits starting 19000, as wxpay serve --init makes), found mchid 1230000109"

mkdir "$T/tenpay" && cp "$D"/*.pem "$D/settings" "$T/tenpay/" && cp tests/vectors/keys/platform_cert.pem "$T/tenpay/apiclient_cert.pem"
t "serve refuses a merchant certificate issued by Tenpay.com" 3 "$W" serve --state "$T/tenpay/journal" --port 0
has "  ... naming both" err "expected a throwaway merchant certificate (wxpay serve --init makes one), found one issued by Tenpay.com"

start
if [ "$PORT" -eq 0 ]; then
    bad "wxpay serve --state d/journal starts"; cat "$T/serve.err"
    echo "$passed passed, $failed failed"; exit 1
fi
ok "wxpay serve --state d/journal listens (port $PORT)"

# The clients reach it under WeChat Pay's name: the settings' host and resolve, with this port.
export WXPAY_CONFIG="$D/settings" WXPAY_HOST="api.mch.weixin.qq.com:$PORT"
export WXPAY_RESOLVE="api.mch.weixin.qq.com:$PORT:127.0.0.1"
Q="/v3/pay/transactions/out-trade-no/1217752501201407033233368018?mchid=$MCHID"
t "wxpay call (libcurl): a demo-book order" 0 "$W" call GET "$Q"
has "  ... SUCCESS, verified" out '"trade_state":"SUCCESS"'
t "wxpay call: a refund" 0 "$W" call POST /v3/refund/domestic/refunds \
    --json '{"out_trade_no":"1217752501201407033233368018","out_refund_no":"CLI-SERVE-1","amount":{"refund":10,"total":888,"currency":"CNY"}}'
has "  ... booked" out '"out_refund_no":"CLI-SERVE-1"'
t "wxpay v2call over mutual TLS (client certificate of --init)" 0 "$W" v2call /secapi/pay/refund \
    out_trade_no=1415757673 out_refund_no=CLI-SERVE-V2 total_fee=608 refund_fee=10
has "  ... SUCCESS" out '"result_code":"SUCCESS"'

t "wxpay certificates: the platform certificate, decrypted and verified" 0 "$W" certificates --out "$T/platform.pem"
if cmp -s "$T/platform.pem" "$D/wechatpay_cert.pem"; then ok "  ... it is --init's wechatpay_cert.pem"
else bad "  ... it is --init's wechatpay_cert.pem"; fi

# examples/refund.c, unchanged, through both of our transports.
export WXPAY_MCHID="$MCHID" WXPAY_SERIAL="$(sed -n 's/^serial = //p' "$D/settings")"
export WXPAY_KEY_FILE="$D/apiclient_key.pem" WXPAY_PUBKEY_FILE="$D/pub_key.pem" WXPAY_CA_FILE="$D/ca.pem"
export WXPAY_PUBKEY_ID="$(sed -n 's/^pubkey_id = //p' "$D/settings")"
export WXPAY_OUT_TRADE_NO=1217752501201407033233368018 WXPAY_TOTAL=888 WXPAY_REFUND=100
t "examples/refund.c over the sockets transport" 0 "$REFUND_SOCKET"
has "  ... refund accepted, answers verified" out "answer signature verified"
t "examples/refund.c over libcurl (the same refund number: the same refund)" 0 "$REFUND_CURL"
has "  ... INVALID_REQUEST for more than is left, as WeChat Pay" out "INVALID_REQUEST"

# Plain curl, signed by wxpay sign, its answer checked by wxpay verify.
if command -v curl >/dev/null 2>&1; then
    TS=$(date +%s)
    AUTH=$("$W" sign --method GET --url "$Q" --timestamp "$TS" --nonce curlnonce01)
    curl -sS --max-time 10 --cacert "$D/ca.pem" --resolve "$WXPAY_RESOLVE" -H "Authorization: $AUTH" \
        -H "Accept: application/json" -D "$T/headers" -o "$T/body" "https://api.mch.weixin.qq.com:$PORT$Q" 2>"$T/err"
    if head -1 "$T/headers" | grep -q " 200"; then ok "curl + wxpay sign: 200"; else bad "curl + wxpay sign: 200"; fi
    hv() { tr -d '\r' <"$T/headers" | sed -n "s/^$1: //Ip"; }
    t "curl's answer verified by wxpay verify" 0 "$W" verify --public-key "$D/pub_key.pem" \
        --timestamp "$(hv Wechatpay-Timestamp)" --nonce "$(hv Wechatpay-Nonce)" \
        --signature "$(hv Wechatpay-Signature)" --body-file "$T/body"
    if [ "$(hv Wechatpay-Serial)" = "$WXPAY_PUBKEY_ID" ]; then ok "  ... signed under the PUB_KEY_ID"
    else bad "  ... signed under the PUB_KEY_ID"; fi
else
    echo "SKIPPED: curl + wxpay sign: curl is not installed"
fi

# The published Node SDK.
node_sdk() {
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        echo "SKIPPED: the Node SDK against wxpay serve: node or npm is not installed"; return
    fi
    mkdir -p "$NODE_DIR" || return
    [ -f "$NODE_DIR/package.json" ] || echo '{ "private": true, "description": "throwaway: tests/serve_check.sh" }' >"$NODE_DIR/package.json"
    if ! grep -q '"version": *"0\.9\.6"' "$NODE_DIR/node_modules/wechatpay-axios-plugin/package.json" 2>/dev/null; then
        if ! (cd "$NODE_DIR" && timeout 120 npm install --no-audit --no-fund --loglevel=error "$SDK") >"$NODE_DIR/npm.log" 2>&1; then
            echo "SKIPPED: the Node SDK against wxpay serve: npm install $SDK failed (registry not reachable?), see $NODE_DIR/npm.log"
            return
        fi
    fi
    NODE_EXTRA_CA_CERTS="$D/ca.pem" timeout 60 node tests/node_sdk_serve.mjs "$NODE_DIR/node_modules" "$D" "$PORT" >"$T/node.out" 2>&1
    rc=$?
    sed 's/^/  node: /' "$T/node.out"
    if [ $rc -eq 0 ]; then ok "the Node SDK, unmodified, against wxpay serve"; else bad "the Node SDK against wxpay serve (exit $rc)"; fi
}
node_sdk

# Restart on the same journal: the book is rebuilt, exactly (the query that made the refund
# SUCCESS is replayed at its own clock: the same success_time).
"$W" call GET /v3/refund/domestic/refunds/CLI-SERVE-1 >"$T/before" 2>"$T/err" || bad "the refund query before the restart"
stop
LINES=$(wc -l <"$D/journal")
start
if [ "$PORT" -gt 0 ]; then ok "restarted on the journal ($LINES requests)"; else bad "restarted on the journal"; fi
has "  ... every journaled request replayed" serve.err "replayed $LINES requests of journal $D/journal"
export WXPAY_HOST="api.mch.weixin.qq.com:$PORT" WXPAY_RESOLVE="api.mch.weixin.qq.com:$PORT:127.0.0.1"
t "the refund of the last run is still there" 0 "$W" call GET /v3/refund/domestic/refunds/CLI-SERVE-1
if cmp -s "$T/out" "$T/before"; then ok "  ... the same answer, byte for byte"
else bad "  ... the same answer, byte for byte: $(cat "$T/before") / $(cat "$T/out")"; fi
t "and what is left of the order is what is left" 1 "$W" call POST /v3/refund/domestic/refunds \
    --json '{"out_trade_no":"1217752501201407033233368018","out_refund_no":"CLI-SERVE-2","amount":{"refund":888,"total":888,"currency":"CNY"}}'
has "  ... INVALID_REQUEST (more than is left)" err "INVALID_REQUEST"
stop

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
