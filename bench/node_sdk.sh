#!/bin/sh
# bench/node_sdk.sh DIR - install the published Node SDK wechatpay-axios-plugin 0.9.6 into the
# throwaway folder DIR (default build/node-bench) and time the same call as bench/bench.c with it
# (bench/node_sdk.mjs), reading the inputs `build/bench DIR/inputs` wrote. make bench runs both.
# Without node or npm, or when the install fails (no registry), it says so in one line and exits 0:
# the bench is a measurement, never a test. The registry is npm's own configuration.
SDK=wechatpay-axios-plugin@0.9.6
DIR=${1:-build/node-bench}
HERE=$(dirname "$0")

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "node_sdk: skipped, node or npm is not installed"
    exit 0
fi
if [ ! -f "$DIR/inputs/inputs.txt" ]; then
    echo "node_sdk: skipped, no $DIR/inputs (run build/bench $DIR/inputs first, or make bench)"
    exit 0
fi
mkdir -p "$DIR" || exit 0
[ -f "$DIR/package.json" ] || echo '{ "private": true, "description": "throwaway: make bench" }' > "$DIR/package.json"
if ! grep -q '"version": *"0\.9\.6"' "$DIR/node_modules/wechatpay-axios-plugin/package.json" 2>/dev/null; then
    if ! (cd "$DIR" && npm install --no-audit --no-fund --loglevel=error "$SDK") > "$DIR/npm.log" 2>&1; then
        echo "node_sdk: skipped, npm install $SDK failed (npm registry not reachable?), see $DIR/npm.log"
        exit 0
    fi
fi
node "$HERE/node_sdk.mjs" "$DIR/node_modules" "$DIR/inputs" || echo "node_sdk: the Node SDK run failed (see above)"
exit 0
