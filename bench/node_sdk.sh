#!/bin/sh
# bench/node_sdk.sh DIR INPUTS - install the published Node SDK wechatpay-axios-plugin 0.9.6 into the
# throwaway folder DIR (default build/node-sim, where wxpay serve's test installs it too) and time the
# same calls as bench/bench.c with it (bench/node_sdk.mjs), reading the inputs `build/bench INPUTS`
# wrote (default build/bench-inputs). make bench runs both.
# Without node or npm, or when the install fails (no registry), it says so in one line and exits 0:
# the bench is a measurement, never a test. The registry is npm's own configuration.
SDK=wechatpay-axios-plugin@0.9.6
DIR=${1:-build/node-sim}
INPUTS=${2:-build/bench-inputs}
HERE=$(dirname "$0")

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "node_sdk: SKIPPED, node or npm is not installed"
    exit 0
fi
if [ ! -f "$INPUTS/inputs.txt" ]; then
    echo "node_sdk: SKIPPED, no $INPUTS/inputs.txt (run build/bench $INPUTS first, or make bench)"
    exit 0
fi
mkdir -p "$DIR" || exit 0
[ -f "$DIR/package.json" ] || echo '{ "private": true, "description": "throwaway: make bench" }' > "$DIR/package.json"
if ! grep -q '"version": *"0\.9\.6"' "$DIR/node_modules/wechatpay-axios-plugin/package.json" 2>/dev/null; then
    if ! (cd "$DIR" && npm install --no-audit --no-fund --loglevel=error "$SDK") > "$DIR/npm.log" 2>&1; then
        echo "node_sdk: SKIPPED, npm install $SDK failed (npm registry not reachable?), see $DIR/npm.log"
        exit 0
    fi
fi
node "$HERE/node_sdk.mjs" "$DIR/node_modules" "$INPUTS" || echo "node_sdk: the Node SDK run failed (see above)"
exit 0
