# wechatpay.h - build, test and checks (GNU make).
#   make              cli, examples, tests and the C/C++ compile checks
#   make test         cmocka tests, then the same under ASan+UBSan, then the no-malloc proof,
#                     ... README's C blocks, docs/API.md's freshness, the install; one
#                     summary line at the end
#   make examples     every examples/*.c -> build/<name>
#   make api-doc      docs/API.md from wechatpay.h's comments (tools/api_doc.awk)
#   make test-clang   the same with clang (outputs in build/clang), less the install check
#   make valgrind | run | bench | bench-profile | bench-session | symcheck | clean
#   make fuzz | test-O0 | test-O2 | test-m32 | size   (see the end of this file)
# Tests and examples run from the repository root (they read tests/vectors/...).

CC     ?= cc
ifeq ($(origin CXX),default)
CXX    := c++
endif
BUILD  ?= build
OPT    ?= -O1
CFLAGS := -std=c99 -Wall -Wextra -Wpedantic -Werror -Wshadow -g $(OPT) -I.
CXXFLAGS := -std=c++11 -Wall -Wextra -Wpedantic -Werror -g $(OPT) -I.
LDLIBS := -lbearssl
SAN    := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
WRAP   := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free

# Everything is rebuilt when the library or a transport changes.
HDRS := wechatpay.h $(wildcard transports/*.h)

# Optional parts: a missing file or directory just drops its target.
CLI      := $(if $(wildcard cli/wxpay.c),$(BUILD)/wxpay)
# examples/lwip_pos.c is a terminal's module (no main): compiled on its own where
# lwIP's headers are, and run by tests/lwip_transport.c.
EXAMPLES := $(patsubst examples/%.c,$(BUILD)/%,$(filter-out examples/lwip_pos.c examples/notify_server.c,$(wildcard examples/*.c)))
BENCH    := $(if $(wildcard bench/bench.c),$(BUILD)/bench)
NOMALLOC := $(if $(wildcard tests/nomalloc.c),$(BUILD)/nomalloc)
NOSTRINGS := $(if $(wildcard tests/no_error_strings.c),$(BUILD)/no_error_strings)
OSSL_VEC := $(if $(wildcard tests/openssl_vectors.c),$(BUILD)/openssl_vectors)
CURLTEST := $(if $(wildcard tests/curl_transport.c),$(BUILD)/curl_transport)
SOCKTEST := $(if $(wildcard tests/socket_transport.c),$(BUILD)/socket_transport)
SIMSERVER := $(if $(wildcard tests/server/wxp_sim_server.c),$(BUILD)/wxp_sim_server)
# Several instances on Redis (adapters/wechatpay_redis.h): the callback server
# (libmicrohttpd) and its test against a real redis-server, where hiredis and
# libmicrohttpd are installed (else make test says SKIPPED).
REDIS_LIBS := $(shell pkg-config --exists hiredis libmicrohttpd 2>/dev/null && pkg-config --libs hiredis libmicrohttpd)
NOTIFY_SRV := $(if $(and $(REDIS_LIBS),$(wildcard examples/notify_server.c)),$(BUILD)/notify_server)
REDIS_TEST := $(if $(and $(NOTIFY_SRV),$(wildcard tests/redis_shared.c)),$(BUILD)/redis_shared)
FAKE_EP  := $(if $(wildcard tests/fake_endpoints.c),$(BUILD)/fake_endpoints)
SEED_FID := $(if $(wildcard tests/seed_fidelity.c),$(BUILD)/seed_fidelity $(BUILD)/seed_fidelity-asan)
POS_SALE := $(if $(wildcard tests/pos_sale.c),$(BUILD)/pos_sale_test)
POS_FAULTS := $(if $(wildcard tests/pos_faults.c),$(BUILD)/pos_faults)
PAYMENTS := $(if $(wildcard tests/payments.c),$(BUILD)/payments)
SESSION  := $(if $(wildcard tests/session.c),$(BUILD)/session)
# lwIP (Debian's liblwip-dev, the unix port): the lwIP transport's test and example.
# Without it they are skipped, loudly. Its headers need POSIX.1-2008 (ssize_t).
LWIP_CFLAGS := $(shell pkg-config --cflags lwip 2>/dev/null)
LWIP_LIBS   := $(shell pkg-config --libs lwip 2>/dev/null)
LWIPTEST := $(if $(and $(LWIP_LIBS),$(wildcard tests/lwip_transport.c)),$(BUILD)/lwip_transport)
LWIP_POS := $(if $(and $(LWIP_LIBS),$(wildcard examples/lwip_pos.c)),$(BUILD)/lwip_pos.o)
CHECKS   := $(if $(wildcard tests/compile_c.c),$(BUILD)/compile_c.o) \
            $(if $(wildcard tests/compile_static.c),$(BUILD)/compile_static.o) \
            $(if $(wildcard tests/compile_cpp.cpp),$(BUILD)/compile_cpp.o) \
            $(BUILD)/refund_socket.o $(BUILD)/refund_curl.o $(LWIP_POS)

# The cmocka suite: every tests/*.c except the compile checks and the no-malloc proof.
TEST_SRCS := $(filter-out tests/compile_c.c tests/compile_static.c tests/nomalloc.c tests/curl_transport.c \
               tests/openssl_vectors.c tests/fake_endpoints.c tests/pos_sale.c tests/pos_faults.c \
               tests/seed_fidelity.c,$(wildcard tests/*.c))
TEST_SRCS := $(filter-out tests/socket_transport.c tests/payments.c tests/session.c tests/lwip_transport.c tests/redis_shared.c \
               tests/no_error_strings.c,$(TEST_SRCS))
TEST_OBJS := $(patsubst tests/%.c,$(BUILD)/obj/%.o,$(TEST_SRCS))
ASAN_OBJS := $(patsubst tests/%.c,$(BUILD)/asan/%.o,$(TEST_SRCS))

# libcurl's flags, asked of pkg-config once (plain -lcurl where it does not know libcurl).
CURL_CFLAGS := $(shell pkg-config --cflags libcurl 2>/dev/null)
CURL_LIBS   := $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl)

# Programs that use the libcurl transport also link libcurl.
CURL_USERS := $(patsubst %.c,$(BUILD)/%,$(notdir $(shell grep -l 'wechatpay_curl\.h' \
              $(wildcard cli/*.c examples/*.c) /dev/null 2>/dev/null)))
$(CURL_USERS): LDLIBS += $(CURL_LIBS)

# wxpay serve's test installs the Node SDK here once (shared by every BUILD: test-clang too).
NODE_SIM ?= build/node-sim

# Packaging does not depend on the compiler: test-clang leaves this out (INSTALL_CHECK=).
INSTALL_CHECK ?= $(wildcard tests/install_check.sh)

.PHONY: all test test-clang clang valgrind run bench bench-profile bench-session symcheck clean install install-lib uninstall soak examples api-doc
.DELETE_ON_ERROR:

all: $(CLI) $(EXAMPLES) $(BUILD)/tests $(CHECKS) $(POS_FAULTS) $(NOTIFY_SRV) $(REDIS_TEST)

# Every examples/*.c -> build/<name> (phony: make would see the folder).
examples: $(EXAMPLES)

# docs/API.md from the header's comments (make test checks it is fresh).
api-doc: $(BUILD)/API.md
	cp $(BUILD)/API.md docs/API.md

# Each step runs through tests/step.sh, which keeps its output in $(TLOG) too;
# tests/summary.sh ends make test with one line counted from it.
TLOG := $(BUILD)/test-log
STEP := sh tests/step.sh $(TLOG)

test: $(BUILD)/refund_socket $(BUILD)/refund_curl $(BUILD)/tests $(BUILD)/tests-asan $(EXAMPLES) $(NOMALLOC) $(NOSTRINGS) $(CURLTEST) $(OSSL_VEC) $(FAKE_EP) $(SEED_FID) $(POS_SALE) $(POS_FAULTS) $(PAYMENTS) $(SESSION) $(LWIPTEST) $(CHECKS) $(CLI) $(BUILD)/API.md \
      $(REDIS_TEST)
	@rm -f $(TLOG) $(TLOG).programs
	$(STEP) ./$(BUILD)/tests
	$(STEP) ./$(BUILD)/tests-asan
	@for e in $(EXAMPLES); do echo "== $$e"; $(STEP) ./$$e > $(BUILD)/example.out || { cat $(BUILD)/example.out; exit 1; }; done
	$(if $(NOMALLOC),$(STEP) ./$(NOMALLOC))
	$(if $(NOSTRINGS),$(STEP) ./$(NOSTRINGS))
	$(if $(CURLTEST),$(STEP) ./$(CURLTEST))
	$(if $(SOCKTEST),$(STEP) ./$(SOCKTEST))
	$(if $(OSSL_VEC),$(STEP) ./$(OSSL_VEC))
	$(if $(FAKE_EP),$(STEP) ./$(FAKE_EP))
	$(if $(SEED_FID),$(STEP) ./$(BUILD)/seed_fidelity)
	$(if $(SEED_FID),$(STEP) ./$(BUILD)/seed_fidelity-asan)
	$(if $(POS_SALE),$(STEP) ./$(POS_SALE))
	$(if $(POS_FAULTS),$(STEP) ./$(POS_FAULTS))
	$(if $(PAYMENTS),$(STEP) ./$(PAYMENTS))
	$(if $(SESSION),$(STEP) ./$(SESSION))
	$(if $(LWIPTEST),$(STEP) ./$(LWIPTEST),@echo "== lwIP transport test SKIPPED: lwIP not found (pkg-config lwip; apt-get install liblwip-dev)")
	$(if $(REDIS_TEST),$(STEP) ./$(REDIS_TEST),@echo "== redis_shared: SKIPPED: libhiredis-dev or libmicrohttpd-dev is not installed; the Redis adapter and examples/notify_server.c were NOT built or tested")
	$(if $(and $(CLI),$(wildcard tests/cli_check.sh)),$(STEP) sh tests/cli_check.sh $(CLI))
	$(if $(and $(CLI),$(wildcard tests/serve_check.sh)),$(STEP) sh tests/serve_check.sh $(CLI) \
	  $(BUILD)/refund_socket $(BUILD)/refund_curl $(NODE_SIM))
	@echo "== README.md: every C block built as written (tests/readme_check.sh)"
	$(STEP) env CC="$(CC)" BUILD="$(BUILD)" CURL_CFLAGS="$(CURL_CFLAGS)" CURL_LIBS="$(CURL_LIBS)" sh tests/readme_check.sh
	@echo "== docs/API.md is what tools/api_doc.awk makes of wechatpay.h"
	@cmp -s docs/API.md $(BUILD)/API.md || { diff -u docs/API.md $(BUILD)/API.md | head -n 40; \
	  echo "docs/API.md is stale: run make api-doc and commit it"; exit 1; }
	$(if $(INSTALL_CHECK),$(STEP) env MAKE="$(MAKE)" CC="$(CC)" BUILD="$(BUILD)" sh $(INSTALL_CHECK))
	@sh tests/summary.sh $(TLOG)

test-clang clang:
	$(MAKE) all test CC=clang CXX=clang++ BUILD=$(BUILD)/clang INSTALL_CHECK=

valgrind: $(BUILD)/tests $(POS_FAULTS) $(SEED_FID)
	valgrind --error-exitcode=1 --leak-check=full ./$(BUILD)/tests
	$(if $(SEED_FID),valgrind --error-exitcode=1 --leak-check=full ./$(BUILD)/seed_fidelity)
	$(if $(POS_FAULTS),POS_SOAK_SALES=300 valgrind --error-exitcode=1 --leak-check=full ./$(POS_FAULTS) soak)
	$(if $(SOCKTEST),POS_CAMPAIGN_ONLY=v2/sock/ valgrind --error-exitcode=1 --leak-check=full ./$(SOCKTEST))

# The POS sale's soak at full length (tests/pos_faults.c; make test runs 5,000 sales).
# POS_SOAK_SEED=n replays another sequence, POS_SOAK_SALES=n another length.
POS_SOAK_SALES ?= 100000
soak: $(POS_FAULTS)
	POS_SOAK_SALES=$(POS_SOAK_SALES) ./$(POS_FAULTS) soak

run: $(BUILD)/refund
	./$(BUILD)/refund

# bench/bench.c twice (BearSSL's SHA-256, then OpenSSL's through the hash seam), the same calls by
# the published Node SDK in process (bench/node_sdk.sh: npm installs it once into $(NODE_SIM), the
# install wxpay serve's test uses), then end to end: our client and the Node SDK against one stub
# server over loopback HTTP and TLS, in turns (bench/e2e.mjs); it writes $(BUILD)/bench.json.
# Without node or the SDK, the Node rows and bench.json say SKIPPED. About 4 minutes.
comma := ,
BENCH_IN := $(BUILD)/bench-inputs
E2E_ROUNDS ?= 5
E2E_CALLS ?= 2000
E2E      := $(BUILD)/e2e_stub $(BUILD)/e2e_bearssl $(BUILD)/e2e_openssl
bench: $(BENCH) $(if $(BENCH),$(BUILD)/bench-osha $(E2E))
	$(if $(BENCH),@mkdir -p $(BENCH_IN) && rm -f $(BENCH_IN)/*.txt $(BUILD)/bench.json && ./$(BENCH) $(BENCH_IN),@echo "no bench/bench.c yet")
	$(if $(BENCH),@echo "== build/bench-osha: built with OpenSSL SHA-256 (WXP_SHA256_PARTS): its section 2" && \
	  ./$(BUILD)/bench-osha $(BENCH_IN) | sed -n '/^2\./$(comma)/^3\./p' | sed '$$d')
	$(if $(and $(BENCH),$(wildcard bench/node_sdk.sh)),@sh bench/node_sdk.sh $(NODE_SIM) $(BENCH_IN))
	$(if $(BENCH),@if command -v node >/dev/null 2>&1; then node bench/e2e.mjs $(NODE_SIM)/node_modules $(BUILD) $(E2E_ROUNDS) $(E2E_CALLS); \
	  else echo "bench: end to end and $(BUILD)/bench.json SKIPPED: node is not installed"; fi)

# The library's own part of a call (bench.c's "RSA stubbed, HMAC-DRBG nonces"), 1000 calls under
# callgrind: instructions by function, repeatable where wall times are not (needs valgrind).
bench-profile: $(BENCH)
	valgrind --tool=callgrind --callgrind-out-file=$(BUILD)/callgrind.stub --toggle-collect=op_call \
	  ./$(BENCH) --profile 1000
	callgrind_annotate --inclusive=yes --auto=no $(BUILD)/callgrind.stub | grep -E 'TOTALS|wxp_|br_' | head -n 30

# A session of 10 POS sales at a simulated round trip (bench/session.c): keep-alive
# and TLS resumption against neither. RTT_MS=200 by default.
RTT_MS ?= 200
bench-session: $(BUILD)/bench_session
	./$(BUILD)/bench_session $(RTT_MS)

$(BUILD)/bench_session: bench/session.c tests/sim_rig.h $(HDRS) examples/test_keys.h $(BUILD)/wxp_sim_server
	$(CC) $(CFLAGS) -DSIM_SERVER='"$(BUILD)/wxp_sim_server"' -o $@ $< $(LDLIBS)

# mongoose/stb prefix check: every exported symbol is wxp_*. Then STYLE.md 20:
# no writable data objects at all, global or static (.data.rel.ro is read-only).
symcheck: $(BUILD)/wechatpay.o
	@bad=$$(nm $< | grep ' [TDBR] ' | grep -v ' wxp_'); \
	 if [ -n "$$bad" ]; then echo "symcheck: unprefixed symbols:"; echo "$$bad"; exit 1; fi
	@bad=$$(objdump -t $< | grep -E ' O \.(data|bss)' | grep -v ' O \.data\.rel\.ro'); \
	 if [ -n "$$bad" ]; then echo "symcheck: writable data:"; echo "$$bad"; exit 1; fi
	@echo "symcheck: ok"

clean:
	rm -rf build $(BUILD)

# ---- rules -------------------------------------------------------------------

$(BUILD)/API.md: wechatpay.h tools/api_doc.awk
	@mkdir -p $(@D)
	awk -f tools/api_doc.awk wechatpay.h > $@

# The CLI: libcurl (calls), libcrypto (wxpay serve --init writes certificates),
# threads (wxpay serve); cli/wxpay_sim.h is also the tests' server.
$(BUILD)/wxpay: cli/wxpay.c cli/wxpay_sim.h $(HDRS) examples/test_keys.h examples/example_sim.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -pthread -o $@ $< -lcrypto $(LDLIBS)

$(BUILD)/%: examples/%.c $(HDRS) $(wildcard examples/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS)

$(BUILD)/bench: bench/bench.c bench/refund_answer.h $(HDRS) $(wildcard crypto/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -O2 -o $@ $< -lcrypto $(LDLIBS)

$(BUILD)/bench-osha: bench/bench.c bench/refund_answer.h $(HDRS) $(wildcard crypto/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -O2 -DWXP_SHA256_PARTS=wxp_openssl_sha256_parts -o $@ $< -lcrypto $(LDLIBS)

$(BUILD)/e2e_stub: bench/e2e_stub.c bench/refund_answer.h wechatpay.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -O2 -o $@ $< -lssl -lcrypto $(LDLIBS)

$(BUILD)/e2e_bearssl: bench/e2e_client.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(CURL_CFLAGS) -O2 -o $@ $< $(CURL_LIBS) $(LDLIBS)

$(BUILD)/e2e_openssl: bench/e2e_client.c $(HDRS) $(wildcard crypto/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(CURL_CFLAGS) -O2 -DE2E_OPENSSL -DWXP_SHA256_PARTS=wxp_openssl_sha256_parts -o $@ $< \
	  $(CURL_LIBS) -lcrypto $(LDLIBS)

$(BUILD)/tests: $(TEST_OBJS)
	$(CC) $(CFLAGS) -o $@ $^ -lcmocka $(LDLIBS)

$(BUILD)/tests-asan: $(ASAN_OBJS)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ -lcmocka $(LDLIBS)

# The OpenSSL backend against the vectors and the BearSSL default (links OpenSSL;
# its own main and implementation, the suite's helpers).
$(BUILD)/openssl_vectors: tests/openssl_vectors.c $(BUILD)/obj/util.o $(HDRS) $(wildcard crypto/*.h) \
                          $(wildcard tests/*.h)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/obj/util.o -lcrypto -lcmocka $(LDLIBS)

# Programs of their own main on the simulator, with the suite's implementation and
# helpers: the marketing, close and APIv2 endpoints through the typed calls, and the
# POS sale through the simulator's customers (not build/pos_sale: that name is
# examples/pos_sale.c's).
$(BUILD)/fake_endpoints: tests/fake_endpoints.c
$(BUILD)/seed_fidelity: tests/seed_fidelity.c
$(BUILD)/pos_sale_test: tests/pos_sale.c
$(BUILD)/pos_faults: tests/pos_faults.c
$(BUILD)/fake_endpoints $(BUILD)/seed_fidelity $(BUILD)/pos_sale_test $(BUILD)/pos_faults: $(BUILD)/obj/impl.o \
                                                $(BUILD)/obj/util.o $(HDRS) $(wildcard tests/*.h) examples/test_keys.h
	$(CC) $(CFLAGS) -o $@ $(filter %.c,$^) $(filter %.o,$^) -lcmocka $(LDLIBS)

# The simulator's seed endpoints again under ASan + UBSan (the suite's ASan objects).
$(BUILD)/seed_fidelity-asan: tests/seed_fidelity.c $(BUILD)/asan/impl.o $(BUILD)/asan/util.o $(HDRS) \
                             $(wildcard tests/*.h) examples/test_keys.h
	$(CC) $(CFLAGS) $(SAN) -o $@ $(filter %.c,$^) $(filter %.o,$^) -lcmocka $(LDLIBS)

# APIv3 payments on the simulator, then through the sockets transport against the
# loopback server it starts (its own main; the suite's implementation and helpers).
$(BUILD)/payments: tests/payments.c $(BUILD)/obj/impl.o $(BUILD)/obj/util.o $(HDRS) $(wildcard tests/*.h) \
                   examples/test_keys.h $(SIMSERVER)
	$(CC) $(CFLAGS) -DSIM_SERVER='"$(BUILD)/wxp_sim_server"' -o $@ tests/payments.c $(BUILD)/obj/impl.o \
	  $(BUILD)/obj/util.o -lcmocka $(LDLIBS)

# Its own implementation TU, built with WXP_NO_ERROR_STRINGS.
$(BUILD)/no_error_strings: tests/no_error_strings.c $(HDRS) examples/test_keys.h
	$(CC) $(CFLAGS) -o $@ tests/no_error_strings.c $(LDLIBS)

# No cmocka and no sanitizer here: both allocate. The __wrap_ functions abort.
# nomalloc.c holds its own implementation TU.
$(BUILD)/nomalloc: $(BUILD)/obj/nomalloc.o
	$(CC) $(CFLAGS) $(WRAP) -o $@ $^ $(LDLIBS)

# The loopback HTTPS simulator server, and the integration tests that start it
# (both transports; its own main; README "Integration tests").
all: $(SIMSERVER)
test valgrind: $(SOCKTEST)
$(BUILD)/wxp_sim_server: tests/server/wxp_sim_server.c cli/wxpay_sim.h $(HDRS) examples/test_keys.h examples/example_sim.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -pthread -o $@ $< $(LDLIBS)

# Handshakes, round trips and bytes of a session of sales, and failover (its own main).
$(BUILD)/session: tests/session.c tests/sim_rig.h $(HDRS) examples/test_keys.h $(BUILD)/wxp_sim_server
	$(CC) $(CFLAGS) -DSIM_SERVER='"$(BUILD)/wxp_sim_server"' -o $@ $< $(LDLIBS)

# lwIP carries a refund and POS sales to the simulator server (its own main, lwIP's threads).
$(BUILD)/lwip_transport: tests/lwip_transport.c tests/sim_rig.h examples/lwip_pos.c $(HDRS) examples/test_keys.h \
                         $(BUILD)/wxp_sim_server
	$(CC) $(CFLAGS) -D_POSIX_C_SOURCE=200809L $(LWIP_CFLAGS) -pthread -DSIM_SERVER='"$(BUILD)/wxp_sim_server"' \
	  -o $@ $< $(LDLIBS) $(LWIP_LIBS)

$(BUILD)/lwip_pos.o: examples/lwip_pos.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -D_POSIX_C_SOURCE=200809L $(LWIP_CFLAGS) -c -o $@ $<

$(BUILD)/socket_transport: tests/socket_transport.c tests/sim_rig.h $(HDRS) examples/test_keys.h $(BUILD)/wxp_sim_server
	$(CC) $(CFLAGS) -pthread -DSIM_SERVER='"$(BUILD)/wxp_sim_server"' $(CURL_CFLAGS) \
	  -o $@ $< -lcmocka $(LDLIBS) $(CURL_LIBS)

# The Redis adapter, examples/notify_server.c and the simulator server, with a
# real redis-server (tests/redis_shared.c: its own main, no cmocka).
$(BUILD)/notify_server: examples/notify_server.c adapters/wechatpay_redis.h $(HDRS) examples/test_keys.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(REDIS_LIBS) $(LDLIBS)

$(BUILD)/redis_shared: tests/redis_shared.c adapters/wechatpay_redis.h $(HDRS) examples/test_keys.h \
                       $(SIMSERVER) $(NOTIFY_SRV)
	$(CC) $(CFLAGS) -DSIM_SERVER='"$(BUILD)/wxp_sim_server"' -DNOTIFY_SERVER='"$(BUILD)/notify_server"' \
	  -DOUT_DIR='"$(BUILD)/redis_shared.out"' -o $@ $< $(REDIS_LIBS) $(LDLIBS)

# The libcurl transport against a loopback server thread (its own main; the suite's helpers).
$(BUILD)/curl_transport: tests/curl_transport.c $(BUILD)/obj/util.o $(HDRS) $(wildcard tests/*.h)
	$(CC) $(CFLAGS) -pthread $(CURL_CFLAGS) -o $@ $< $(BUILD)/obj/util.o -lcmocka $(LDLIBS) $(CURL_LIBS)

$(BUILD)/obj/%.o: tests/%.c $(HDRS) $(wildcard tests/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/asan/%.o: tests/%.c $(HDRS) $(wildcard tests/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -c -o $@ $<

# compile_c.o, compile_static.o (compile_cpp.o has its own rule below).
$(BUILD)/compile_%.o: tests/compile_%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

# The refund example's two real-API builds compile too (they need credentials to run).
$(BUILD)/refund_socket.o: examples/refund.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DWXP_EXAMPLE_SOCKET -c -o $@ $<

$(BUILD)/refund_curl.o: examples/refund.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DWXP_EXAMPLE_CURL $(CURL_CFLAGS) -c -o $@ $<

# ... and run against wxpay serve (tests/serve_check.sh).
$(BUILD)/refund_socket: $(BUILD)/refund_socket.o
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS)

$(BUILD)/refund_curl: $(BUILD)/refund_curl.o
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS) $(CURL_LIBS)

$(BUILD)/compile_cpp.o: tests/compile_cpp.cpp $(HDRS)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) -c -o $@ $<

$(BUILD)/wechatpay.o: $(HDRS)
	@mkdir -p $(@D)
	printf '#define WECHATPAY_IMPLEMENTATION\n#include "wechatpay.h"\n' | \
	  $(CC) $(CFLAGS) -x c -c -o $@ -

# ---- install: make install PREFIX=/usr/local DESTDIR= -------------------------
# include/wechatpay.h, include/wechatpay/ (transports, the simulator, the OpenSSL
# backend, test_keys.h: the simulator's throwaway keys, for unit tests), bin/wxpay,
# lib/pkgconfig/wechatpay.pc and wechatpay-curl.pc (the curl transport: Requires
# libcurl), lib/cmake/wechatpay/ (find_package; COMPONENTS curl: wechatpay::curl).
# install-lib leaves the CLI out (no libcurl needed). CMakeLists.txt installs the same.
PREFIX       ?= /usr/local
BINDIR       ?= $(PREFIX)/bin
INCLUDEDIR   ?= $(PREFIX)/include
LIBDIR       ?= $(PREFIX)/lib
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
CMAKEDIR     ?= $(LIBDIR)/cmake/wechatpay
INSTALL      ?= install
WXP_VERSION_STR := $(shell sed -n 's/^\#define WXP_VERSION "\(.*\)"/\1/p' wechatpay.h)
INST_HDRS    := $(wildcard transports/wechatpay_*.h crypto/wechatpay_*.h adapters/wechatpay_*.h) examples/test_keys.h
INST_PC      := wechatpay.pc wechatpay-curl.pc
INST_SUBST   := sed -e 's|@WECHATPAY_VERSION@|$(WXP_VERSION_STR)|g' \
                -e 's|@WECHATPAY_PC_PREFIX@|$(PREFIX)|g' \
                -e 's|@WECHATPAY_PC_INCLUDEDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))|g' \
                -e 's|@WECHATPAY_INCLUDE_FROM_CMAKEDIR@|'"$$(realpath -m --relative-to=$(CMAKEDIR) $(INCLUDEDIR))"'|g'

install: install-lib $(CLI)
	$(if $(CLI),$(INSTALL) -d $(DESTDIR)$(BINDIR))
	$(if $(CLI),$(INSTALL) -m 755 $(CLI) $(DESTDIR)$(BINDIR)/wxpay)

install-lib:
	$(INSTALL) -d $(DESTDIR)$(INCLUDEDIR)/wechatpay $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(CMAKEDIR)
	$(INSTALL) -m 644 wechatpay.h $(DESTDIR)$(INCLUDEDIR)/
	$(INSTALL) -m 644 $(INST_HDRS) $(DESTDIR)$(INCLUDEDIR)/wechatpay/
	$(INST_SUBST) wechatpay.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/wechatpay.pc
	$(INST_SUBST) wechatpay-curl.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/wechatpay-curl.pc
	$(INST_SUBST) cmake/wechatpayConfig.cmake.in > $(DESTDIR)$(CMAKEDIR)/wechatpayConfig.cmake
	$(INST_SUBST) cmake/wechatpayConfigVersion.cmake.in > $(DESTDIR)$(CMAKEDIR)/wechatpayConfigVersion.cmake

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/wechatpay.h $(addprefix $(DESTDIR)$(INCLUDEDIR)/wechatpay/,$(notdir $(INST_HDRS))) \
	      $(DESTDIR)$(BINDIR)/wxpay $(addprefix $(DESTDIR)$(PKGCONFIGDIR)/,$(INST_PC)) \
	      $(DESTDIR)$(CMAKEDIR)/wechatpayConfig.cmake $(DESTDIR)$(CMAKEDIR)/wechatpayConfigVersion.cmake
	-rmdir $(DESTDIR)$(INCLUDEDIR)/wechatpay $(DESTDIR)$(CMAKEDIR) 2>/dev/null

# ---- fuzzing, optimisation levels, 32-bit, footprint ---------------------------
#   make fuzz [FUZZ_SECONDS=30]   every libFuzzer target (clang) for that long each,
#             [FUZZ_SEED=N]       on a copy of its corpus in $(BUILD)/fuzz/work;
#                                 make -j2 fuzz runs two at a time. A random seed
#                                 explores; CI gives a fixed one, so that its run
#                                 is a known sequence of inputs that a red run
#                                 replays here (the time limit only cuts it)
#   make test-O0 | test-O2        the unit suite with gcc and with clang at -O0 / -O2
#   make test-m32                 the cmocka suite and the no-malloc proof, -m32 (i386)
#   make size                     object sizes (x86-64, i386, Cortex-M4), struct sizes, stack
#   make m4                       Cortex-M4 firmware under qemu-system-arm (mps2-an386): BearSSL
#                                 cross-built from Debian's source package, a refund, a callback
#                                 and a POS sale; $(BUILD)/m4/results.json (tests/m4/run.sh)
.PHONY: fuzz test-O0 test-O2 test-suite test-m32 size m4 m4-readme
FUZZ_SECONDS ?= 30
FUZZ_SEED    ?= 0
FUZZ_CC      ?= clang
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_FLAGS   := -std=c99 -Wall -Wextra -Wpedantic -Werror -Wshadow -g -O1 -I. \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

fuzz: $(addprefix fuzz-,$(FUZZ_TARGETS))
	@echo "== fuzz: $(FUZZ_SECONDS) s per target"
	$(if $(FUZZ_TARGETS),@cat $(foreach t,$(FUZZ_TARGETS),$(BUILD)/fuzz/logs/$(t).summary))

fuzz-%: $(BUILD)/fuzz/fuzz_%
	sh tests/fuzz/run.sh $* $(FUZZ_SECONDS) $(BUILD)/fuzz $(FUZZ_SEED)

.PRECIOUS: $(BUILD)/fuzz/fuzz_%
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(HDRS) examples/test_keys.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(LDLIBS)

# The unit suite (cmocka, ASan+UBSan, no-malloc, simulator endpoints, POS sale) at
# another optimisation level, with gcc and with clang.
OPT_SUITE = $(BUILD)/tests $(BUILD)/tests-asan $(NOMALLOC) $(FAKE_EP) $(SEED_FID) $(POS_SALE) $(POS_FAULTS)
test-suite: $(OPT_SUITE)
	@for t in $(OPT_SUITE); do echo "== $$t"; ./$$t || exit 1; done
# One compiler each (make test and make test-clang cover both at -O1): gcc at
# -O0, clang at -O2; keeps CI well under its time budget.
test-O0:
	$(MAKE) test-suite OPT=-O0 BUILD=$(BUILD)/O0-gcc CC=gcc CXX=g++
test-O2:
	$(MAKE) test-suite OPT=-O2 BUILD=$(BUILD)/O2-clang CC=clang CXX=clang++

# i386: 32-bit size_t and long, as on many POS boards (gcc-multilib and the :i386
# libbearssl-dev and libcmocka-dev). Where the kernel runs no 32-bit code the
# binaries run under qemu-i386 (qemu-user). LFS: the suite's readdir() of
# tests/conformance fails with EOVERFLOW on 64-bit inode numbers without it.
M32 := $(BUILD)/m32
test-m32:
	$(MAKE) $(M32)/tests $(M32)/nomalloc BUILD=$(M32) CC="gcc -m32 -D_FILE_OFFSET_BITS=64"
	@printf 'int main(void){return 0;}\n' | gcc -m32 -x c -o $(M32)/probe -
	@if ./$(M32)/probe 2>/dev/null; then run=; else run=qemu-i386; fi; \
	 echo "== 32-bit suite$${run:+ under $$run}"; \
	 $$run ./$(M32)/tests && $$run ./$(M32)/nomalloc

size:
	CC=gcc BUILD=$(BUILD)/size sh tests/footprint/size.sh

m4:
	CC=$(CC) BUILD=$(BUILD) sh tests/m4/run.sh

# README's Cortex-M4 table, rebuilt from the last make m4 (between its m4 markers).
m4-readme: m4
	awk -v t=$(BUILD)/m4/footprint.md '/<!-- m4:begin/ { print; while ((getline l < t) > 0) print l; skip = 1; next } \
	     /<!-- m4:end/ { skip = 0 } !skip' README.md > $(BUILD)/README.md.new && mv $(BUILD)/README.md.new README.md
