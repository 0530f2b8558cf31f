#!/bin/sh
# tests/cli_check.sh - every wxpay subcommand: the offline tools against the
# test vectors, the calls against the in-process simulator (--simulator, no
# network), the help texts and the exit codes (0 ok, 1 failed, 2 usage,
# 3 configuration); then, when tests/server's wxp_sim_server is built next to
# wxpay (or named by WXPAY_SIM_SERVER), calls over real HTTPS through libcurl
# to that loopback server (mutual TLS, a rogue CA, a wrong host name).
# Run from the repository root:
#     tests/cli_check.sh [path/to/wxpay]      (default build/wxpay; make test runs it)
# Prints one line per check and `N passed, M failed`; exits 1 if any failed.
set -u
W=${1:-build/wxpay}
V=tests/vectors
K=$V/keys
ROOT_DIR=$(pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/wxpay_cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0
failed=0

# The loopback HTTPS server (tests/server) for the last checks, if built.
SRV=${WXPAY_SIM_SERVER:-$(dirname "$W")/wxp_sim_server}
# The caller's own settings must not leak in.
for v in $(env | sed -n 's/^\(WXPAY_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done

ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() {
    failed=$((failed + 1))
    echo "FAIL - $1"
    echo "       command: $last"
    echo "       exit $rc; stdout: $(head -c 600 "$T/out")"
    echo "       stderr: $(head -c 600 "$T/err")"
}

# run CMD...: runs it, keeping stdout, stderr and the exit code.
run() {
    last="$*"
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
}
# t NAME RC CMD...: runs CMD and checks its exit code.
t() {
    name=$1 want=$2
    shift 2
    run "$@"
    if [ "$rc" -eq "$want" ]; then ok "$name (exit $want)"; else bad "$name: exit $rc, want $want"; fi
}
# out_has / err_has NAME STRING: the last command's stdout / stderr holds STRING.
out_has() { if grep -qF -- "$2" "$T/out"; then ok "$1"; else bad "$1: stdout lacks $2"; fi; }
err_has() { if grep -qF -- "$2" "$T/err"; then ok "$1"; else bad "$1: stderr lacks $2"; fi; }
# out_is NAME STRING: stdout is exactly STRING (and a newline).
out_is() {
    if [ "$(cat "$T/out")" = "$2" ]; then ok "$1"; else bad "$1: stdout is not $2"; fi
}
out_empty() { if [ ! -s "$T/out" ]; then ok "$1"; else bad "$1: stdout not empty"; fi; }

# vec FILE KEY N: the Nth "KEY": "value" line of a vector file, JSON-unescaped
# (the vectors escape only quotes in the values used here).
vec() {
    grep "^ *\"$2\": \"" "$1" | sed -n "$3p" | sed 's/^ *"[^"]*": "//; s/",\{0,1\}$//; s/\\"/"/g'
}

[ -x "$W" ] || { echo "cli_check: $W is not built"; exit 1; }

# ---- help ---------------------------------------------------------------------
t "--help" 0 "$W" --help
for word in "call METHOD PATH" "v2call PATH" "certificates [--out FILE]" sign verify decrypt v2sign v2xml \
            WXPAY_MCHID WXPAY_SERIAL WXPAY_KEY_FILE WXPAY_APIV3_KEY WXPAY_APIV2_KEY WXPAY_PUBKEY_ID \
            WXPAY_PUBKEY_FILE WXPAY_CERTS_FILE WXPAY_CLIENT_CERT WXPAY_CLIENT_KEY WXPAY_HOST WXPAY_CA_FILE \
            WXPAY_RESOLVE WXPAY_TIMEOUT WXPAY_SIM_STATE WXPAY_APPID WXPAY_V2_SIGN_TYPE \
            WXPAY_CONFIG --simulator "Exit status" "3  configuration"; do
    out_has "--help mentions $word" "$word"
done
for c in call v2call certificates sign verify decrypt v2sign v2xml; do
    t "$c --help" 0 "$W" "$c" --help
    out_has "$c --help is its usage" "usage: wxpay $c"
done
t "help call" 0 "$W" help call
out_has "help call lists the settings" "WXPAY_KEY_FILE"
t "--version" 0 "$W" --version
out_has "--version" "wxpay "

# ---- usage errors: exit 2 --------------------------------------------------------
t "no command" 2 "$W"
t "unknown command" 2 "$W" frobnicate
err_has "unknown command named" "unknown command frobnicate"
t "call without PATH" 2 "$W" call GET
t "call with a bad method" 2 "$W" call FETCH /v3/x --simulator
t "call with a relative path" 2 "$W" call GET v3/x --simulator
t "call with an unknown option" 2 "$W" call GET /v3/x --simulator --frob 1
t "call with --json and --json-file" 2 "$W" call POST /v3/x --simulator --json '{}' --json-file /dev/null
t "call with malformed JSON" 2 "$W" call POST /v3/x --simulator --json '{"a":'
err_has "malformed JSON reported" "not valid JSON"
t "call with a missing --json-file" 2 "$W" call POST /v3/x --simulator --json-file "$T/none.json"
t "call with a flag lacking its value" 2 "$W" call GET /v3/x --mchid
t "v2call without PATH" 2 "$W" v2call --simulator
t "v2call with a bad parameter" 2 "$W" v2call /pay/refundquery novalue --simulator
t "v2call refuses sign=" 2 "$W" v2call /pay/refundquery sign=X --simulator
t "certificates with an argument" 2 "$W" certificates extra --simulator
t "sign without options" 2 "$W" sign --method GET
t "v2sign with a bad sign type" 2 "$W" v2sign --key k --sign-type SHA1 a=b
t "v2xml with a bad parameter" 2 "$W" v2xml novalue

# ---- configuration errors: exit 3 --------------------------------------------------
t "call without mchid" 3 "$W" call GET /v3/x
err_has "names the missing setting" "mchid is not set"
t "call without key_file" 3 "$W" call GET /v3/x --mchid 1900009191 --serial 1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C
t "call without a verification key" 3 "$W" call GET /v3/x --mchid 1900009191 \
    --serial 1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C --key-file $K/merchant_key.pem
err_has "says how to get one" "wxpay certificates"
t "unreadable key_file" 3 "$W" call GET /v3/x --simulator --key-file "$T/none.pem"
err_has "names the file and its origin" "(from --key-file)"
t "EC key refused" 3 "$W" call GET /v3/x --simulator --key-file tests/fixtures/ec_key.pem
err_has "EC key named" "WXP_E_KEY_TYPE"
t "bad mchid" 3 "$W" call GET /v3/x --simulator --mchid 19x
t "APIv3 key of 5 bytes" 3 "$W" certificates --simulator --apiv3-key short
t "pubkey_id without pubkey_file" 3 "$W" call GET /v3/x --simulator --pubkey-id PUB_KEY_ID_01
t "missing config file" 3 "$W" call GET /v3/x --simulator --config "$T/none.conf"
printf 'mchid = 1900009191\nfrob = 1\n' >"$T/bad.conf"
t "unknown config key" 3 "$W" call GET /v3/x --simulator --config "$T/bad.conf"
err_has "config line named" "bad.conf:2"
t "v2call without apiv2_key" 3 "$W" v2call /pay/refundquery out_refund_no=R1 --mchid 1900009191 \
    --serial 1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C --key-file $K/merchant_key.pem
t "v2call /secapi/ without client_cert" 3 "$W" v2call /secapi/pay/refund out_refund_no=R1 --mchid 1900009191 \
    --serial 1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C --key-file $K/merchant_key.pem --apiv2-key 192006250b4c09247ec02edce69f6a2d
err_has "client_cert named" "client_cert"
t "bad v2_sign_type" 3 "$W" v2call /pay/refundquery out_refund_no=R1 --simulator --v2-sign-type SHA1
t "bad timeout" 3 "$W" call GET /v3/x --simulator --timeout soon
t "sign with an unreadable key" 3 "$W" sign --mchid 1 --serial AB --key "$T/none.pem" --method GET --url / \
    --timestamp 1 --nonce n

# ---- sign: the APIv3 request vectors ------------------------------------------------
SV=$V/v3_request_sign.json
t "sign GET vector" 0 "$W" sign --mchid 1900009191 --serial 1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C \
    --key $K/merchant_key.pem --method GET --url "$(vec $SV url 2)" --timestamp "$(vec $SV timestamp 2)" \
    --nonce "$(vec $SV nonce 2)"
out_is "sign GET = vector authorization" "$(vec $SV authorization 2)"
vec $SV body 1 | tr -d '\n' >"$T/body1"
t "sign POST vector with body" 0 "$W" sign --mchid 1900009191 --serial 1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C \
    --key $K/merchant_key_pkcs1.pem --method POST --url "$(vec $SV url 1)" --timestamp "$(vec $SV timestamp 1)" \
    --nonce "$(vec $SV nonce 1)" --body-file "$T/body1"
out_is "sign POST = vector authorization" "$(vec $SV authorization 1)"
t "sign from the environment" 0 env WXPAY_MCHID=1900009191 WXPAY_SERIAL=1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C \
    WXPAY_KEY_FILE=$K/merchant_key.pem "$W" sign --method GET --url "$(vec $SV url 2)" \
    --timestamp "$(vec $SV timestamp 2)" --nonce "$(vec $SV nonce 2)"
out_is "sign from the environment = vector" "$(vec $SV authorization 2)"

# ---- verify: the answer vectors ------------------------------------------------------
RV=$V/v3_response_verify.json
for i in 1 2 3; do vec $RV body $i | tr -d '\n' >"$T/rbody$i"; done
t "verify under the platform certificate" 0 "$W" verify --public-key "$V/$(vec $RV key 1)" \
    --timestamp "$(vec $RV timestamp 1)" --nonce "$(vec $RV nonce 1)" --signature "$(vec $RV signature 1)" \
    --body-file "$T/rbody1" --now "$(vec $RV now 1)"
out_is "verify prints ok" "ok"
t "verify under the WeChat Pay public key" 0 "$W" verify --public-key "$V/$(vec $RV key 2)" \
    --timestamp "$(vec $RV timestamp 2)" --nonce "$(vec $RV nonce 2)" --signature "$(vec $RV signature 2)" \
    --body-file "$T/rbody2" --now "$(vec $RV now 2)"
t "verify a changed body" 1 "$W" verify --public-key "$V/$(vec $RV key 3)" \
    --timestamp "$(vec $RV timestamp 3)" --nonce "$(vec $RV nonce 3)" --signature "$(vec $RV signature 3)" \
    --body-file "$T/rbody3" --now "$(vec $RV now 3)"
out_has "verify names the failure" "WXP_E_SIGNATURE"
t "verify a stale timestamp" 1 "$W" verify --public-key "$V/$(vec $RV key 1)" \
    --timestamp "$(vec $RV timestamp 1)" --nonce "$(vec $RV nonce 1)" --signature "$(vec $RV signature 1)" \
    --body-file "$T/rbody1" --now 1795426372
out_has "verify reports the clock" "clock:"

# ---- decrypt: the callback vectors -----------------------------------------------------
DV=$V/v3_notify_decrypt.json
t "decrypt vector" 0 "$W" decrypt --apiv3-key "$(vec $DV apiv3_key 1)" --nonce "$(vec $DV nonce 1)" \
    --associated-data "$(vec $DV associated_data 1)" --ciphertext "$(vec $DV ciphertext 1)"
out_is "decrypt = vector plaintext" "$(vec $DV plaintext 1)"
t "decrypt a tampered ciphertext" 1 "$W" decrypt --apiv3-key "$(vec $DV apiv3_key 2)" --nonce "$(vec $DV nonce 2)" \
    --associated-data "$(vec $DV associated_data 2)" --ciphertext "$(vec $DV ciphertext 2)"
err_has "decrypt names the failure" "WXP_E_DECRYPT"
t "decrypt with the key from the environment" 0 env WXPAY_APIV3_KEY="$(vec $DV apiv3_key 1)" "$W" decrypt \
    --nonce "$(vec $DV nonce 1)" --associated-data "$(vec $DV associated_data 1)" \
    --ciphertext "$(vec $DV ciphertext 1)"
t "decrypt with a short key" 3 "$W" decrypt --apiv3-key short --nonce n --associated-data a --ciphertext AAAA

# ---- v2sign / v2xml: the documentation's examples -----------------------------------------
DOC="appid=wxd930ea5d5a258f4f mch_id=10000100 device_info=1000 body=test nonce_str=ibuaiVcKdpRxkhJA"
# shellcheck disable=SC2086
t "v2sign MD5 (documentation example)" 0 "$W" v2sign --key 192006250b4c09247ec02edce69f6a2d --sign-type MD5 $DOC
out_is "v2sign MD5 = 9A0A8659..." "9A0A8659F005D6984697E2CA0A9CF3B7"
# shellcheck disable=SC2086
t "v2sign HMAC-SHA256" 0 "$W" v2sign --key 192006250b4c09247ec02edce69f6a2d $DOC
out_is "v2sign HMAC-SHA256 = 6A9AE165..." "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"
printf 'apiv2_key = "192006250b4c09247ec02edce69f6a2d"\nv2_sign_type = MD5\n' >"$T/v2.conf"
# shellcheck disable=SC2086
t "v2sign from a config file" 0 "$W" v2sign --config "$T/v2.conf" $DOC
out_is "v2sign from a config file = 9A0A8659..." "9A0A8659F005D6984697E2CA0A9CF3B7"
# shellcheck disable=SC2086
t "v2xml (documentation example)" 0 "$W" v2xml $DOC
out_is "v2xml = vector" "$(vec $V/v2_xml.json xml 1)"
t "v2xml CDATA" 0 "$W" v2xml "body=<b>A & B</b>"
out_is "v2xml CDATA = vector" "<xml><body><![CDATA[<b>A & B</b>]]></body></xml>"

# ---- call: APIv3 against the simulator ----------------------------------------------------
S="--simulator --sim-state $T/sim.journal"
REFUND='{"out_trade_no":"1217752501201407033233368018","out_refund_no":"CLI-R1","reason":"test","amount":{"refund":100,"total":888,"currency":"CNY"}}'
# shellcheck disable=SC2086
t "call POST refund" 0 "$W" call POST /v3/refund/domestic/refunds --json "$REFUND" $S
out_has "refund booked" '"out_refund_no":"CLI-R1"'
out_has "refund PROCESSING" '"status":"PROCESSING"'
refund_id=$(sed -n 's/.*"refund_id":"\([0-9]*\)".*/\1/p' "$T/out")
# shellcheck disable=SC2086
t "call GET refund (next run, journal)" 0 "$W" call GET /v3/refund/domestic/refunds/CLI-R1 $S
out_has "the same refund" "\"refund_id\":\"$refund_id\""
out_has "refund SUCCESS when queried" '"status":"SUCCESS"'
printf '%s\n' "$REFUND" >"$T/refund.json"
# shellcheck disable=SC2086
t "call POST the same refund again (--json-file)" 0 "$W" call POST /v3/refund/domestic/refunds --json-file "$T/refund.json" $S
out_has "one refund, booked once" "\"refund_id\":\"$refund_id\""
# shellcheck disable=SC2086
t "call POST refund from stdin" 0 "$W" call POST /v3/refund/domestic/refunds --json-file - $S <<EOF
{"transaction_id":"4200000000201407033233368018","out_refund_no":"CLI-R2","amount":{"refund":88,"total":888,"currency":"CNY"}}
EOF
out_has "second refund" '"out_refund_no":"CLI-R2"'
# shellcheck disable=SC2086
t "call POST more than is left" 1 "$W" call POST /v3/refund/domestic/refunds $S \
    --json '{"out_trade_no":"1217752501201407033233368018","out_refund_no":"CLI-R3","amount":{"refund":701,"total":888,"currency":"CNY"}}'
err_has "error line: name and code" "wxpay: WXP_E_HTTP: INVALID_REQUEST: "
err_has "error line: status and Request-ID" "(HTTP 400, Request-ID "
out_empty "no stdout on error"
# shellcheck disable=SC2086
t "call GET unknown refund" 1 "$W" call GET /v3/refund/domestic/refunds/NOPE $S
err_has "404 reported" "RESOURCE_NOT_EXISTS"
t "call GET transaction (--host simulator)" 0 "$W" call GET \
    "/v3/pay/transactions/out-trade-no/1217752501201407033233368018?mchid=1900009191" --host simulator
out_has "transaction read" '"trade_state":"SUCCESS"'
t "call POST close (204: no output)" 0 "$W" call POST /v3/pay/transactions/out-trade-no/T20261123/close \
    --json '{"mchid":"1900009191"}' --simulator
out_empty "204 prints nothing"
t "call POST coupon return" 0 "$W" call POST /v3/marketing/busifavor/coupons/return --simulator \
    --json '{"coupon_code":"sxxe34343434","stock_id":"1234567891","return_request_no":"RET-1"}'
out_has "coupon returned" "wechatpay_return_time"

# Settings: config file (relative paths), environment over file, flag over environment.
mkdir -p "$T/conf"
cp $K/merchant_key.pem $K/wechatpay_pub.pem "$T/conf/"
cat >"$T/conf/wxpay.conf" <<EOF
# the test merchant
mchid = 1900009191
serial = 1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C
key_file = merchant_key.pem
pubkey_id = PUB_KEY_ID_0119000091912025010100000000000001
pubkey_file = wechatpay_pub.pem
host = simulator
EOF
t "call with a config file" 0 "$W" call GET \
    "/v3/pay/transactions/id/4200000000201407033233368018?mchid=1900009191" --config "$T/conf/wxpay.conf"
out_has "config file call answered" '"transaction_id":"4200000000201407033233368018"'
t "WXPAY_CONFIG names the file" 0 env WXPAY_CONFIG="$T/conf/wxpay.conf" "$W" call GET \
    "/v3/pay/transactions/id/4200000000201407033233368018?mchid=1900009191"
t "environment overrides the file" 1 env WXPAY_MCHID=1900000001 "$W" call GET \
    "/v3/pay/transactions/id/4200000000201407033233368018?mchid=1900009191" --config "$T/conf/wxpay.conf"
err_has "the simulator refused the environment's mchid" "MCH_NOT_EXISTS"
t "a flag overrides the environment" 0 env WXPAY_MCHID=1900000001 "$W" call GET \
    "/v3/pay/transactions/id/4200000000201407033233368018?mchid=1900009191" --config "$T/conf/wxpay.conf" \
    --mchid 1900009191
t "a wrong key in the environment" 1 env WXPAY_KEY_FILE=$K/platform_key.pem "$W" call GET \
    "/v3/pay/transactions/id/4200000000201407033233368018?mchid=1900009191" --config "$T/conf/wxpay.conf"
err_has "signature refused" "SIGN_ERROR"

# ---- v2call: APIv2 against the simulator ---------------------------------------------------
# shellcheck disable=SC2086
t "v2call refundquery" 0 "$W" v2call /pay/refundquery out_trade_no=1217752501201407033233368018 $S
out_has "v2call JSON: return_code" '"return_code":"SUCCESS"'
out_has "v2call JSON: both refunds" '"refund_count":"2"'
out_has "v2call JSON: the refund" '"out_refund_no_0":"CLI-R1"'
# shellcheck disable=SC2086
t "v2call refund (mutual TLS path)" 0 "$W" v2call /secapi/pay/refund out_trade_no=1415757673 \
    out_refund_no=CLI-V2R1 total_fee=608 refund_fee=100 $S
out_has "v2 refund booked" '"out_refund_no":"CLI-V2R1"'
out_has "v2 coupon share" '"coupon_type_0":"CASH"'
# shellcheck disable=SC2086
t "v2call refundquery MD5" 0 "$W" v2call /pay/refundquery out_refund_no=CLI-V2R1 --v2-sign-type MD5 $S
out_has "v2 refund queried" '"refund_status_0":"SUCCESS"'
t "v2call result FAIL" 1 "$W" v2call /pay/refundquery out_refund_no=NOPE --simulator
out_has "the verified answer still printed" '"err_code":"REFUNDNOTEXIST"'
err_has "error line" "wxpay: WXP_E_V2_RESULT: REFUNDNOTEXIST"
t "v2call with a wrong APIv2 key" 1 "$W" v2call /pay/refundquery out_refund_no=NOPE --simulator \
    --apiv2-key 00000000000000000000000000000000
err_has "return FAIL" "WXP_E_V2_RETURN"

# ---- certificates ------------------------------------------------------------------------------
t "certificates --out" 0 "$W" certificates --simulator --out "$T/certs.pem"
out_has "serial listed" "3775B6A45ACD588826D15E583A95F5DD2C0F6A5A valid 2026-11-23T08:04:53Z"
if grep -q "BEGIN CERTIFICATE" "$T/certs.pem" && [ ! -e "$T/certs.pem.tmp" ]; then ok "certificate PEM saved"
else bad "certificate PEM saved"; fi
if command -v openssl >/dev/null 2>&1; then
    if [ "$(openssl x509 -in "$T/certs.pem" -noout -serial)" = "serial=3775B6A45ACD588826D15E583A95F5DD2C0F6A5A" ]
    then ok "saved PEM is the certificate (openssl)"; else bad "saved PEM is the certificate (openssl)"; fi
fi
t "call verified under the saved certificates" 0 "$W" call GET /v3/refund/domestic/refunds/CLI-R1 \
    --simulator --sim-state "$T/sim.journal" --certs-file "$T/certs.pem"
out_has "answer under the certificate" '"out_refund_no":"CLI-R1"'
t "certificates to stdout" 0 "$W" certificates --simulator --certs-file "$T/certs.pem"
out_has "PEM on stdout" "-----BEGIN CERTIFICATE-----"
err_has "serial on stderr" "3775B6A45ACD588826D15E583A95F5DD2C0F6A5A"
t "certificates under a wrong APIv3 key" 1 "$W" certificates --simulator --out "$T/bad.pem" \
    --apiv3-key 0123456789abcdef0123456789abcdef
err_has "decryption refused" "WXP_E_DECRYPT"
if [ -z "$(ls -A "$T" | grep '^bad\.pem')" ]; then ok "nothing saved on failure"; else bad "nothing saved on failure"; fi

# Files the CLI writes go through a fresh temporary file beside them, created
# exclusively and renamed over: a link planted at the old fixed name F.tmp is
# neither followed nor touched, and nothing is left behind.
mkdir "$T/o"
printf 'precious\n' >"$T/victim"
ln -s "$T/victim" "$T/o/certs.pem.tmp"
ln -s "$T/o/created" "$T/o/dangling.pem.tmp"
t "certificates --out beside a planted F.tmp link" 0 sh -c 'umask 022; exec "$@"' sh "$W" certificates --simulator \
    --out "$T/o/certs.pem"
if [ "$(cat "$T/victim")" = precious ] && [ -L "$T/o/certs.pem.tmp" ] && [ ! -L "$T/o/certs.pem" ] &&
   grep -q "BEGIN CERTIFICATE" "$T/o/certs.pem"; then ok "the link's target is untouched, F is a new file"
else bad "the link's target is untouched, F is a new file"; fi
if [ "$(ls -l "$T/o/certs.pem" | cut -c1-10)" = "-rw-r--r--" ]; then ok "certificates are 0644 (umask 022)"
else bad "certificates are 0644 (umask 022)"; fi
t "certificates --out beside a dangling F.tmp link" 0 "$W" certificates --simulator --out "$T/o/dangling.pem"
if [ ! -e "$T/o/created" ]; then ok "a dangling link creates nothing"; else bad "a dangling link creates nothing"; fi
if [ "$(ls -A "$T/o" | tr '\n' ' ')" = "certs.pem certs.pem.tmp dangling.pem dangling.pem.tmp " ]
then ok "no temporary file left"; else bad "no temporary file left: $(ls -A "$T/o" | tr '\n' ' ')"; fi
mkdir "$T/o/dir.pem"
t "certificates --out onto a directory" 1 "$W" certificates --simulator --out "$T/o/dir.pem"
err_has "the file named" "$T/o/dir.pem"
if [ "$(ls -A "$T/o" | grep -c '^dir\.pem')" = 1 ]; then ok "no temporary file left on failure"
else bad "no temporary file left on failure: $(ls -A "$T/o" | tr '\n' ' ')"; fi
t "certificates --out into a missing directory" 1 "$W" certificates --simulator --out "$T/none/certs.pem"
err_has "the missing directory's file named" "$T/none/certs.pem"

# ---- the simulator journal: bounded lines, clear errors ---------------------------------------
# A body of 49,152 bytes is exactly 65,536 base64 characters: it once filled the
# writer's buffer with no room for the NUL that fprintf then read past.
mkdir "$T/j"
J=$T/j/sim.journal
# json_of FILE N: a JSON refund request of exactly N bytes (a long reason).
json_of() {
    pre='{"out_trade_no":"1217752501201407033233368018","out_refund_no":"CLI-BIG","reason":"'
    post='","amount":{"refund":1,"total":888,"currency":"CNY"}}'
    { printf '%s' "$pre"; head -c $(($2 - ${#pre} - ${#post})) /dev/zero | tr '\0' x; printf '%s' "$post"; } >"$1"
}
# b64enc / b64dec: base64 without line breaks (coreutils or busybox, else openssl).
b64enc() { if command -v base64 >/dev/null 2>&1; then base64 | tr -d '\n'; else openssl base64 -A; fi; }
b64dec() { if command -v base64 >/dev/null 2>&1; then base64 -d; else openssl base64 -d -A; fi; }
json_of "$T/b49152.json" 49152
json_of "$T/b65537.json" 65537
t "journal: a refund" 0 sh -c 'umask 022; exec "$@"' sh "$W" call POST /v3/refund/domestic/refunds \
    --json "$REFUND" --simulator --sim-state "$J"
if [ "$(ls -l "$J" | cut -c1-10)" = "-rw-------" ]; then ok "journal is 0600 (signed requests)"
else bad "journal is 0600 (signed requests)"; fi
cp "$J" "$T/base.journal"
t "journal: a 49152-byte body (the simulator refuses it: over 4096)" 1 "$W" call POST \
    /v3/refund/domestic/refunds --json-file "$T/b49152.json" --simulator --sim-state "$J"
err_has "the simulator's answer" "PARAM_ERROR"
if [ "$(wc -l <"$J")" -eq 2 ] && [ "$(awk '{ print NF }' "$J" | tr '\n' ' ')" = "6 6 " ] &&
   [ "$(sed -n 2p "$J" | cut -d' ' -f5)" = "$(b64enc <"$T/b49152.json")" ]
then ok "journal: the line holds the whole body, nothing more"
else bad "journal: the line holds the whole body, nothing more"; fi
if [ "$(ls -A "$T/j")" = sim.journal ]; then ok "journal: no temporary file left"
else bad "journal: no temporary file left: $(ls -A "$T/j" | tr '\n' ' ')"; fi
t "journal: replayed after the big body" 0 "$W" call GET /v3/refund/domestic/refunds/CLI-R1 --simulator --sim-state "$J"
out_has "journal: the refund survived" '"out_refund_no":"CLI-R1"'
cp "$J" "$T/j2.journal"
t "journal: a body over its 65536 bytes is refused" 1 "$W" call POST /v3/refund/domestic/refunds \
    --json-file "$T/b65537.json" --simulator --sim-state "$J"
err_has "journal: the limit and the size named" "at most 65536 bytes of body, found 65537"
err_has "journal: the file named" "$J"
if cmp -s "$J" "$T/j2.journal"; then ok "journal: left as it was"; else bad "journal: left as it was"; fi
# replay_bad NAME FILE FOUND: replaying FILE is a configuration error naming it and what it found.
replay_bad() {
    t "journal: $1" 3 "$W" call GET /v3/refund/domestic/refunds/CLI-R1 --simulator --sim-state "$2"
    err_has "journal: $1: the file named" "$2:"
    err_has "journal: $1: what was expected" "expected"
    err_has "journal: $1: what was found" "$3"
}
base=$(cat "$T/base.journal")
{ printf 'POST /v3/refund/domestic/refunds - - '; head -c 300000 /dev/zero | tr '\0' A; echo; } >"$T/long.journal"
replay_bad "an overlong line" "$T/long.journal" "found one of 300038 bytes"
printf '%s extra\n' "$base" >"$T/extra.journal"
replay_bad "a seventh field" "$T/extra.journal" "found more"
# Cut the newline and 8 base64 characters: what is left still decodes.
head -c $(($(wc -c <"$T/base.journal") - 9)) "$T/base.journal" >"$T/cut.journal"
replay_bad "a line cut short" "$T/cut.journal" "found the end of the file"
{ printf 'POST /v3/refund/domestic/refunds - - '; b64enc <"$T/b65537.json"; echo; } >"$T/bigbody.journal"
replay_bad "a body over 65536 bytes" "$T/bigbody.journal" "found 65537"
printf 'POST /v3/refund/domestic/refunds - - @@@@\n' >"$T/b64.journal"
replay_bad "a body that is not base64" "$T/b64.journal" "found 4 characters"
hdrs=$({ echo "$base" | cut -d' ' -f4 | b64dec; for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "X-Pad-$i: 1"; done; } |
       b64enc)
echo "$base" | awk -v h="$hdrs" '{ $4 = h; print }' >"$T/hdrs.journal"
nh=$(($(echo "$base" | cut -d' ' -f4 | b64dec | wc -l) + 12))
replay_bad "more than 16 headers" "$T/hdrs.journal" "at most 16 headers, found $nh"

# ---- the network path (libcurl), without a network ---------------------------------------------
t "call: the transport fails" 1 "$W" call GET /v3/x --config "$T/conf/wxpay.conf" --host 127.0.0.1:1 --timeout 2000
err_has "transport error line" "wxpay: WXP_E_TRANSPORT: curl:"

# ---- over HTTPS: the loopback simulator server (tests/server), when built ---------------------
CERTS=tests/server/certs
if [ -x "$SRV" ] && [ -f $CERTS/ca.pem ]; then
    # Its clock is ours: the CLI signs with the real time on the network path.
    "$SRV" --life 120 --now "$(date +%s)" >"$T/srv.out" 2>&1 &
    srv_pid=$!
    trap 'kill "$srv_pid" 2>/dev/null; rm -rf "$T"' EXIT
    i=0
    while ! grep -q '^PORT ' "$T/srv.out" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    port=$(sed -n 's/^PORT //p' "$T/srv.out")
    H=api.mch.weixin.qq.com
    cat >"$T/https.conf" <<END
mchid = 1900009191
serial = 1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C
key_file = $ROOT_DIR/$K/merchant_key.pem
pubkey_id = PUB_KEY_ID_0119000091912025010100000000000001
pubkey_file = $ROOT_DIR/$K/wechatpay_pub.pem
apiv2_key = 192006250b4c09247ec02edce69f6a2d
appid = wx2421b1c4370ec43b
host = $H:$port
ca_file = $ROOT_DIR/$CERTS/ca.pem
resolve = $H:$port:127.0.0.1
timeout = 5000
END
    C="--config $T/https.conf"
    # The test endpoint answers unsigned: wxpay refuses to print it, but the order is made.
    # shellcheck disable=SC2086
    t "https: the server's unsigned test endpoint is refused" 1 "$W" call POST \
        "/sim/order?out_trade_no=HTTPS-T1&total=500&transaction_id=4200000000000000000000000777" $C
    err_has "https: unsigned answer named" "WXP_E_HEADER"
    # shellcheck disable=SC2086
    t "https: call POST refund" 0 "$W" call POST /v3/refund/domestic/refunds $C \
        --json '{"out_trade_no":"HTTPS-T1","out_refund_no":"HTTPS-R1","amount":{"refund":100,"total":500,"currency":"CNY"}}'
    out_has "https: refund booked" '"out_refund_no":"HTTPS-R1"'
    # shellcheck disable=SC2086
    t "https: call GET refund (same server, next run)" 0 "$W" call GET /v3/refund/domestic/refunds/HTTPS-R1 $C
    out_has "https: refund SUCCESS" '"status":"SUCCESS"'
    # shellcheck disable=SC2086
    t "https: v2call /secapi/ with the client certificate" 0 "$W" v2call /secapi/pay/refund $C \
        --client-cert $CERTS/client_cert.pem out_trade_no=HTTPS-T1 out_refund_no=HTTPS-V2R1 total_fee=500 refund_fee=10
    out_has "https: mutual TLS refund" '"out_refund_no":"HTTPS-V2R1"'
    # shellcheck disable=SC2086
    t "https: v2call /secapi/ with a rogue client certificate" 1 "$W" v2call /secapi/pay/refund $C \
        --client-cert $CERTS/rogue_client_cert.pem out_trade_no=HTTPS-T1 out_refund_no=HTTPS-V2R2 total_fee=500 \
        refund_fee=10
    err_has "https: no answer" "WXP_E_TRANSPORT"
    # shellcheck disable=SC2086
    t "https: an untrusted server certificate" 1 "$W" call GET /v3/refund/domestic/refunds/HTTPS-R1 $C \
        --ca-file $CERTS/rogue_ca.pem
    err_has "https: certificate refused" "WXP_E_TLS"
    # shellcheck disable=SC2086
    t "https: the wrong host name" 1 "$W" call GET /v3/refund/domestic/refunds/HTTPS-R1 $C --host "127.0.0.1:$port"
    err_has "https: host name refused" "WXP_E_TLS"
    kill "$srv_pid" 2>/dev/null
else
    echo "skip - $SRV not built: no HTTPS checks"
fi

# ---- a newcomer's first hour: the help's examples, flags anywhere, both sides of each error ----
# Every example line of every command's help ("    wxpay ..." under "Examples") runs on a fresh
# simulator (its demo book), as printed (a quoted argument may go on in the next line).
"$W" --help | awk '/^  Examples/ { ex = 1; next } ex && /^    wxpay / { if (cmd) print cmd; cmd = substr($0, 5); next }
                  ex && /^      / { sub(/^ +/, " "); cmd = cmd $0; next } { if (cmd) print cmd; cmd = ""; ex = 0 }
                  END { if (cmd) print cmd }' >"$T/examples"
n_ex=0
while IFS= read -r ex; do
    n_ex=$((n_ex + 1))
    eval "t \"help example: \$ex\" 0 \"\$W\" ${ex#wxpay }"
done <"$T/examples"
if [ "$n_ex" -ge 4 ]; then ok "the help has $n_ex examples"; else bad "the help has $n_ex examples, expected 4 or more"; fi
t "flags before the command (wxpay --simulator call ...)" 0 "$W" --simulator call GET \
    "/v3/pay/transactions/out-trade-no/1217752501201407033233368018?mchid=1900009191"
out_has "  ... the order" '"trade_state":"SUCCESS"'
t "flags before the command, with values (--config)" 0 "$W" --mchid 1900009191 --simulator v2call /pay/orderquery \
    out_trade_no=1415757673
t "v2sign: options after the parameters" 0 "$W" v2sign appid=wx1 --key 192006250b4c09247ec02edce69f6a2d
t "only options, no command" 2 "$W" --simulator
err_has "  ... says what it expected and found" "expected a COMMAND after the options, found none"
: >"$T/empty.json"
t "an empty --json-file is not sent" 2 "$W" call POST /v3/refund/domestic/refunds --json-file "$T/empty.json" --simulator
err_has "  ... expected and found" "expected a JSON body, found an empty file"
t "an empty --json is not sent" 2 "$W" call POST /v3/refund/domestic/refunds --json "" --simulator
err_has "  ... expected and found" "expected a JSON body, found an empty string"
t "call: a wrong METHOD" 2 "$W" call FETCH /v3/x --simulator
err_has "  ... expected and found" "expected METHOD GET, POST, PUT, PATCH or DELETE, found FETCH"
t "call: a PATH without /" 2 "$W" call GET v3/x --simulator
err_has "  ... expected and found" "expected a PATH starting with /, such as /v3/refund/domestic/refunds, found v3/x"
t "--verbose: each exchange on stderr" 1 "$W" -v call GET /v3/refund/domestic/refunds/NO-SUCH --simulator
err_has "  ... method, path, attempt, status, code" "GET /v3/refund/domestic/refunds/NO-SUCH attempt 1: WXP_E_HTTP, HTTP 404 RESOURCE_NOT_EXISTS"
if grep -q "WECHATPAY2-SHA256\|signature=" "$T/err"; then bad "  ... no signature in the log"; else ok "  ... no signature in the log"; fi
CERT=tests/server/certs/client_cert.pem
if [ -f "$CERT" ]; then
    t "a certificate given as the key" 3 "$W" call GET /v3/x --simulator --key-file "$CERT"
    err_has "  ... says what it expected and what it found" \
        'found CERTIFICATE (expected PRIVATE KEY or RSA PRIVATE KEY)'
    t "sign: a certificate given as the key" 3 "$W" sign --key "$CERT" --mchid 1 --serial 2 --method GET \
        --url /x --timestamp 1 --nonce n
    err_has "  ... says what it expected and what it found" 'found CERTIFICATE'
else
    bad "$CERT for the key checks"
fi
t "a short apiv3_key" 3 "$W" call GET /x --simulator --apiv3-key short
err_has "  ... expected and found (its length, not the secret)" "expected exactly 32 bytes, found 5 bytes"
t "a timeout that is not a number" 3 "$W" call GET /x --simulator --timeout abc
err_has "  ... expected and found" 'expected milliseconds, 1 to 600000, found "abc"'
t "sign without --serial" 2 "$W" sign --mchid 1
err_has "  ... expected and found" "expected --serial, found none"
printf '%s\n' "$base" | awk '{ $6 = "soon"; print }' >"$T/clock.journal"
t "journal: a clock that is not a number" 3 "$W" call GET /v3/refund/domestic/refunds/CLI-R1 --simulator \
    --sim-state "$T/clock.journal"
err_has "  ... expected and found" 'expected the clock (NOW) in decimal Unix seconds, found "soon"'

echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
