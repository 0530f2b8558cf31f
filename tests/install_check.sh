#!/bin/sh
# tests/install_check.sh - `make install` into a temporary DESTDIR, then a small
# program built against the installed files with pkg-config and with CMake
# (find_package), and against this source tree with CMake (add_subdirectory);
# a unit test of a refund on the installed simulator and test keys, with the
# curl transport linked, built with `pkg-config wechatpay-curl` and with
# find_package(wechatpay COMPONENTS curl); CMake's own install gives the same
# files. Run from the repository root:
#     tests/install_check.sh          (make test runs it; MAKE, CC, BUILD honoured)
# Prints one line per check and `N passed, M failed`; exits 1 if any failed.
# Without cmake on the PATH the CMake checks are skipped (and said so).
set -u
MAKE=${MAKE:-make}
CC=${CC:-cc}
BUILD=${BUILD:-build}
ROOT=$(pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/wxpay_install.XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0
failed=0
LOG=$T/log

ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() {
    failed=$((failed + 1))
    echo "FAIL - $1"
    sed 's/^/       /' "$LOG" | tail -n 25
}
# step NAME CMD...: runs CMD with its output in the log; a check of its own.
step() {
    name=$1
    shift
    if "$@" >"$LOG" 2>&1; then ok "$name"; return 0; fi
    bad "$name"
    return 1
}
exists() { if [ -e "$2" ]; then ok "$1"; else : >"$LOG"; bad "$1: $2 missing"; fi; }

VERSION=$(sed -n 's/^#define WXP_VERSION "\(.*\)"/\1/p' wechatpay.h)

# The program: the implementation in its one file, a transport header through
# the installed wechatpay/ directory, two library calls checked at run time.
mkdir -p "$T/app"
cat >"$T/app/hello.c" <<'EOF'
#define WECHATPAY_IMPLEMENTATION
#include <wechatpay.h>
#include <wechatpay/wechatpay_fake.h>   /* declarations only: finds wechatpay.h as installed */
#include <stdio.h>
#include <string.h>

int main(void)
{
    char b64[32];
    size_t len = 0;
    const char *s = wxp_strerror(WXP_E_SIGNATURE);
    if (wxp_base64_encode(b64, sizeof b64, "wechatpay", 9, &len) != WXP_OK) return 1;
    if (strcmp(b64, "d2VjaGF0cGF5") != 0 || strncmp(s, "WXP_E_SIGNATURE", 15) != 0) return 1;
    printf("%s %s %s\n", WXP_VERSION, b64, s);
    return 0;
}
EOF
# A unit test as a user of the installed library writes it: the simulator and
# its test keys from <wechatpay/...>, the curl transport made and freed (the
# one production would use), a refund against the simulator.
cat >"$T/app/unit.c" <<'EOF'
#define WECHATPAY_IMPLEMENTATION
#define WECHATPAY_FAKE_IMPLEMENTATION
#define WECHATPAY_CURL_IMPLEMENTATION
#include <wechatpay.h>
#include <wechatpay/wechatpay_fake.h>
#include <wechatpay/wechatpay_curl.h>
#include <wechatpay/test_keys.h>
#include <stdio.h>

static unsigned char io[WXP_IO_BUFSIZE_DEFAULT];
static wxp_fake sim;
static wxp_client c;
static wxp_curl http;
static long long now = 1795425372;

int main(void)
{
    static wxp_pubkey slots[2], merchant_pub;
    static wxp_rsa_key platform;
    wxp_keystore keys;
    wxp_fake_config fc = {0};
    wxp_config cfg = {0};
    wxp_refund_req req = {0};
    wxp_refund out = {0};
    wxp_result r;

    if (wxp_curl_init(&http, NULL) != WXP_OK) return puts("curl"), 1;
    wxp_curl_cleanup(&http);
    if (wxp_pubkey_load(&merchant_pub, wxp_cstr(WXP_TEST_MERCHANT_PUB), &r) ||
        wxp_rsa_key_load(&platform, wxp_cstr(WXP_TEST_PLATFORM_KEY), &r)) return puts("keys"), 1;
    fc.mchid = WXP_TEST_MCHID;
    fc.merchant_serial = WXP_TEST_SERIAL;
    fc.merchant_key = &merchant_pub;
    fc.platform_signer = &platform.vtable;
    fc.platform_serial = WXP_TEST_PUB_KEY_ID;
    fc.clock.fn = wxp_fake_fixed_clock;
    fc.clock.user = &now;
    if (wxp_fake_init(&sim, &fc) || wxp_fake_add_order(&sim, "T20261203-0001", NULL, 888))
        return puts("simulator"), 1;
    wxp_keystore_init(&keys, slots, 2);
    if (wxp_keystore_add_pubkey(&keys, WXP_TEST_PUB_KEY_ID, wxp_cstr(WXP_TEST_WECHATPAY_PUB), &r))
        return puts("public key"), 1;
    cfg.mchid = WXP_TEST_MCHID;
    cfg.serial = WXP_TEST_SERIAL;
    cfg.private_key_pem = wxp_cstr(WXP_TEST_MERCHANT_KEY);
    cfg.keys = &keys;
    cfg.transport = wxp_fake_as_transport(&sim);
    cfg.clock = fc.clock;
    cfg.io_buf = io;
    cfg.io_buf_size = sizeof io;
    if (wxp_client_init(&c, &cfg, &r)) return puts("init"), 1;
    req.out_trade_no = "T20261203-0001";
    req.out_refund_no = "R1";
    req.amount.refund = 100;
    req.amount.total = 888;
    if (wxp_refund_create(&c, &req, &out, &r)) return printf("refund: %s %s\n", r.code, r.message), 1;
    printf("%.*s\n", (int)out.status.len, out.status.ptr);
    return 0;
}
EOF
unit_runs() { # NAME BINARY: the unit test ran its refund through the simulator
    if "$2" >"$LOG" 2>&1 && grep -qx PROCESSING "$LOG"; then ok "$1"; else bad "$1"; fi
}
runs() { # NAME BINARY: the program runs and prints what it should
    if "$2" >"$LOG" 2>&1 && grep -q "^$VERSION d2VjaGF0cGF5 WXP_E_SIGNATURE" "$LOG"; then ok "$1"; else bad "$1"; fi
}

# ---- make install DESTDIR=... PREFIX=/opt/wechatpay ------------------------------------
STAGE=$T/stage
PREFIX=/opt/wechatpay
P=$STAGE$PREFIX
step "make install DESTDIR PREFIX" "$MAKE" --no-print-directory install DESTDIR="$STAGE" PREFIX="$PREFIX" \
    BUILD="$BUILD" CC="$CC"
exists "include/wechatpay.h" "$P/include/wechatpay.h"
for h in transports/wechatpay_*.h crypto/wechatpay_*.h; do
    exists "include/wechatpay/$(basename "$h")" "$P/include/wechatpay/$(basename "$h")"
done
exists "bin/wxpay" "$P/bin/wxpay"
exists "include/wechatpay/test_keys.h" "$P/include/wechatpay/test_keys.h"
exists "lib/pkgconfig/wechatpay.pc" "$P/lib/pkgconfig/wechatpay.pc"
exists "lib/pkgconfig/wechatpay-curl.pc" "$P/lib/pkgconfig/wechatpay-curl.pc"
exists "lib/cmake/wechatpay/wechatpayConfig.cmake" "$P/lib/cmake/wechatpay/wechatpayConfig.cmake"
exists "lib/cmake/wechatpay/wechatpayConfigVersion.cmake" "$P/lib/cmake/wechatpay/wechatpayConfigVersion.cmake"
if [ -x "$P/bin/wxpay" ] && "$P/bin/wxpay" v2sign --key 192006250b4c09247ec02edce69f6a2d --sign-type MD5 \
       appid=wxd930ea5d5a258f4f mch_id=10000100 device_info=1000 body=test nonce_str=ibuaiVcKdpRxkhJA \
       >"$LOG" 2>&1 && grep -qx 9A0A8659F005D6984697E2CA0A9CF3B7 "$LOG"; then
    ok "installed wxpay runs"
else bad "installed wxpay runs"; fi

# ---- pkg-config ----------------------------------------------------------------------------
if command -v pkg-config >/dev/null 2>&1; then
    # The staged tree: the sysroot maps the recorded prefix into DESTDIR.
    export PKG_CONFIG_PATH="$P/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$STAGE"
    if pkg-config --modversion wechatpay >"$LOG" 2>&1 && grep -qx "$VERSION" "$LOG"; then
        ok "pkg-config --modversion: $VERSION"
    else bad "pkg-config --modversion: want $VERSION"; fi
    flags=$(pkg-config --cflags --libs wechatpay 2>"$LOG")
    case "$flags" in
        *"-I$P/include"*"-lbearssl"*) ok "pkg-config --cflags --libs: $flags" ;;
        *) bad "pkg-config --cflags --libs: $flags" ;;
    esac
    # shellcheck disable=SC2086
    step "build with pkg-config (DESTDIR)" "$CC" -std=c99 -Wall -Wextra -Wpedantic -Werror -Wshadow \
        -o "$T/app/hello_pc" "$T/app/hello.c" $flags && runs "program built with pkg-config runs" "$T/app/hello_pc"
    # The curl transport's module: wechatpay's flags and libcurl's.
    cflags=$(pkg-config --cflags wechatpay-curl 2>"$LOG") && libs=$(pkg-config --libs wechatpay-curl 2>>"$LOG")
    case "$cflags $libs" in
        *"-I$P/include"*"-lbearssl"*"-lcurl"*) ok "pkg-config --cflags --libs wechatpay-curl: $cflags $libs" ;;
        *) bad "pkg-config --cflags --libs wechatpay-curl: want -I$P/include, -lbearssl, -lcurl; got: $cflags $libs" ;;
    esac
    # shellcheck disable=SC2086
    step "build the unit test with pkg-config wechatpay-curl" "$CC" -std=c99 -Wall -Wextra -Wpedantic -Werror \
        -Wshadow $cflags -o "$T/app/unit_pc" "$T/app/unit.c" $libs &&
        unit_runs "unit test (simulator, test keys, curl) built with pkg-config runs" "$T/app/unit_pc"
    unset PKG_CONFIG_SYSROOT_DIR

    # A plain PREFIX install (no DESTDIR): the .pc's own paths are right.
    step "make install-lib PREFIX (no DESTDIR)" "$MAKE" --no-print-directory install-lib PREFIX="$T/prefix" \
        BUILD="$BUILD" CC="$CC"
    export PKG_CONFIG_PATH="$T/prefix/lib/pkgconfig"
    flags=$(pkg-config --cflags --libs wechatpay 2>"$LOG")
    # shellcheck disable=SC2086
    step "build with pkg-config (PREFIX)" "$CC" -std=c99 -Wall -Wextra -Wpedantic -Werror -Wshadow \
        -o "$T/app/hello_pc2" "$T/app/hello.c" $flags && runs "program built with pkg-config runs" "$T/app/hello_pc2"
    unset PKG_CONFIG_PATH
else
    echo "skip - pkg-config not installed"
fi

# ---- CMake -----------------------------------------------------------------------------------
if command -v cmake >/dev/null 2>&1; then
    CM="cmake -DCMAKE_C_COMPILER=$CC"
    # find_package against the staged install.
    mkdir -p "$T/fp"
    cp "$T/app/hello.c" "$T/fp/"
    cat >"$T/fp/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.14)
project(hello C)
find_package(wechatpay ${VERSION%.*} REQUIRED)
add_executable(hello hello.c)
target_link_libraries(hello PRIVATE wechatpay::wechatpay)
target_compile_options(hello PRIVATE -Wall -Wextra -Wpedantic -Werror -Wshadow)
set_target_properties(hello PROPERTIES C_STANDARD 99 C_EXTENSIONS OFF)
EOF
    # shellcheck disable=SC2086
    step "cmake find_package configure (CMAKE_PREFIX_PATH)" $CM -S "$T/fp" -B "$T/fp/b" -DCMAKE_PREFIX_PATH="$P" &&
        step "cmake find_package build" cmake --build "$T/fp/b" &&
        runs "program built with find_package runs" "$T/fp/b/hello"
    # COMPONENTS curl: wechatpay::curl brings libcurl.
    mkdir -p "$T/fpc"
    cp "$T/app/unit.c" "$T/fpc/"
    cat >"$T/fpc/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.14)
project(unit C)
find_package(wechatpay ${VERSION%.*} REQUIRED COMPONENTS curl)
add_executable(unit unit.c)
target_link_libraries(unit PRIVATE wechatpay::curl)
target_compile_options(unit PRIVATE -Wall -Wextra -Wpedantic -Werror -Wshadow)
set_target_properties(unit PROPERTIES C_STANDARD 99 C_EXTENSIONS OFF)
EOF
    # shellcheck disable=SC2086
    step "cmake find_package(wechatpay COMPONENTS curl) configure" $CM -S "$T/fpc" -B "$T/fpc/b" \
        -DCMAKE_PREFIX_PATH="$P" && step "cmake wechatpay::curl build" cmake --build "$T/fpc/b" &&
        unit_runs "unit test built with wechatpay::curl runs" "$T/fpc/b/unit"
    # An unknown component is refused.
    mkdir -p "$T/fpx"
    sed 's/COMPONENTS curl/COMPONENTS nosuch/' "$T/fpc/CMakeLists.txt" >"$T/fpx/CMakeLists.txt"
    cp "$T/app/unit.c" "$T/fpx/"
    # shellcheck disable=SC2086
    if $CM -S "$T/fpx" -B "$T/fpx/b" -DCMAKE_PREFIX_PATH="$P" >"$LOG" 2>&1; then
        bad "find_package(wechatpay COMPONENTS nosuch) refused"
    else ok "find_package(wechatpay COMPONENTS nosuch) refused"; fi

    # A version the install does not satisfy is refused.
    mkdir -p "$T/fp9"
    sed "s/find_package(wechatpay [0-9.]*/find_package(wechatpay 9.0/" "$T/fp/CMakeLists.txt" >"$T/fp9/CMakeLists.txt"
    cp "$T/app/hello.c" "$T/fp9/"
    # shellcheck disable=SC2086
    if $CM -S "$T/fp9" -B "$T/fp9/b" -DCMAKE_PREFIX_PATH="$P" >"$LOG" 2>&1; then bad "find_package(wechatpay 9.0) refused"
    else ok "find_package(wechatpay 9.0) refused"; fi

    # add_subdirectory of this source tree (the CLI and install rules stay off).
    mkdir -p "$T/sub"
    cp "$T/app/hello.c" "$T/sub/"
    cat >"$T/sub/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.14)
project(hello C)
add_subdirectory("$ROOT" wechatpay)
add_executable(hello hello.c)
target_link_libraries(hello PRIVATE wechatpay::wechatpay)
target_compile_options(hello PRIVATE -Wall -Wextra -Wpedantic -Werror -Wshadow)
set_target_properties(hello PROPERTIES C_STANDARD 99 C_EXTENSIONS OFF)
if(TARGET wxpay)
  message(FATAL_ERROR "add_subdirectory built the CLI")
endif()
EOF
    # shellcheck disable=SC2086
    step "cmake add_subdirectory configure" $CM -S "$T/sub" -B "$T/sub/b" &&
        step "cmake add_subdirectory build" cmake --build "$T/sub/b" &&
        runs "program built with add_subdirectory runs" "$T/sub/b/hello"

    # CMake's own install of this tree: the same files as make install.
    # shellcheck disable=SC2086
    if step "cmake top-level configure" $CM -S "$ROOT" -B "$T/top" -DCMAKE_INSTALL_PREFIX="$T/cmprefix" &&
        step "cmake top-level build (wxpay)" cmake --build "$T/top" &&
        step "cmake --install" cmake --install "$T/top"; then
        (cd "$P" && find . -type f | sort) >"$T/make.files"
        (cd "$T/cmprefix" && find . -type f | sort) >"$T/cmake.files"
        if diff "$T/make.files" "$T/cmake.files" >"$LOG" 2>&1; then ok "cmake --install = make install (file list)"
        else bad "cmake --install = make install (file list)"; fi
        if sed "s|$T/cmprefix|/opt/wechatpay|" "$T/cmprefix/lib/pkgconfig/wechatpay.pc" |
               diff - "$P/lib/pkgconfig/wechatpay.pc" >"$LOG" 2>&1 &&
           sed "s|$T/cmprefix|/opt/wechatpay|" "$T/cmprefix/lib/pkgconfig/wechatpay-curl.pc" |
               diff - "$P/lib/pkgconfig/wechatpay-curl.pc" >>"$LOG" 2>&1 &&
           diff "$T/cmprefix/lib/cmake/wechatpay/wechatpayConfig.cmake" \
                "$P/lib/cmake/wechatpay/wechatpayConfig.cmake" >>"$LOG" 2>&1; then
            ok "cmake --install = make install (pkg-config and package files)"
        else bad "cmake --install = make install (pkg-config and package files)"; fi
        step "cmake-installed wxpay runs" "$T/cmprefix/bin/wxpay" --version
        # shellcheck disable=SC2086
        step "find_package against the cmake install" $CM -S "$T/fp" -B "$T/fp/b2" \
            -DCMAKE_PREFIX_PATH="$T/cmprefix" && step "... build" cmake --build "$T/fp/b2" &&
            runs "... runs" "$T/fp/b2/hello"
    fi
else
    echo "skip - cmake not installed: the CMake checks did not run"
fi

echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
