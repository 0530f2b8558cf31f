/* Shared helpers of the cmocka suite. Tests run from the repository root. */
#ifndef WXP_TESTS_H
#define WXP_TESTS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "wechatpay.h"
#include "transports/wechatpay_fake.h"

/* One group per file; test_main.c runs them all. */
#define TEST_GROUPS(X) X(base64) X(json) X(keys) X(crypto) X(client) X(notify) X(models) X(layout)
#define TEST_DECL(name) int test_group_##name(void);
TEST_GROUPS(TEST_DECL)
#undef TEST_DECL

/* Reads a whole file (path relative to the repository root) into a static
   slot of 64 KiB; slots rotate, so up to 8 files are live at once. */
wxp_str test_file(const char *path);

/* A parsed vector file from tests/vectors/ (text and tokens in static slots). */
typedef struct test_vec { wxp_json doc; } test_vec;
void test_vec_load(test_vec *v, const char *name);
/* A string member of the token obj (asserts that it exists). */
wxp_str test_vec_str(test_vec *v, int obj, const char *path);

/* Copies a view into a NUL-terminated static slot (rotating, 16 slots). */
const char *test_cstr(wxp_str s);

/* Deterministic clock and random for byte-exact tests. test_rand_next makes the
   next nonce drawn through test_random equal to the 32 characters given. */
extern long long test_now;
long long test_clock(void *user);
int test_random(void *user, void *buf, size_t len);
void test_rand_nonce(const char *nonce);

/* A file copied into a caller buffer (NUL-terminated; asserts that it fits):
   config views must outlive the client, and test_file's slots rotate. */
wxp_str test_keep_file(const char *path, char *buf, size_t cap);

/* The simulator's configuration for the test merchant: TEST_MCHID and
   TEST_SERIAL, requests checked against merchant_key, answers signed by
   platform under TEST_PUB_ID, on test_clock; everything else zero. Tests set
   what differs (another serial or clock, the APIv2 key, ...). */
wxp_fake_config test_fake_config(const wxp_pubkey *merchant_key, wxp_rsa_key *platform);

/* A client configuration for the test merchant: TEST_MCHID, TEST_SERIAL, the
   key store, test_clock and the I/O buffer; everything else zero. Tests set
   the merchant key (private_key_pem or signer), the transport and what else
   they need. */
wxp_config test_config(wxp_keystore *keys, void *io, size_t io_size);

/* The vector keys, loaded once per call into caller structs. */
void test_merchant_key(wxp_rsa_key *k);
void test_platform_key(wxp_rsa_key *k);
void test_merchant_pub(wxp_pubkey *k);
#define TEST_MCHID "1900009191"
#define TEST_SERIAL "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"
#define TEST_PUB_ID "PUB_KEY_ID_0119000091912025010100000000000001"
#define TEST_CERT_SERIAL "3775B6A45ACD588826D15E583A95F5DD2C0F6A5A"
#define TEST_APIV3_KEY "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb"

#endif
