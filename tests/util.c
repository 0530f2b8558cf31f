#include "tests.h"
#include <stdio.h>
#include <string.h>

wxp_str test_file(const char *path)
{
    static char slots[8][65536];
    static int next;
    char *buf = slots[next++ % 8];
    wxp_str s;
    FILE *f = fopen(path, "rb");
    size_t n;
    if (!f) fail_msg("cannot open %s (run the tests from the repository root)", path);
    n = fread(buf, 1, sizeof slots[0] - 1, f);
    assert_true(feof(f));
    fclose(f);
    buf[n] = 0;
    s.ptr = buf;
    s.len = n;
    return s;
}

void test_vec_load(test_vec *v, const char *name)
{
    static wxp_json_tok toks[4][2048];
    static int next;
    char path[256];
    wxp_str s;
    wxp_result r;
    snprintf(path, sizeof path, "tests/vectors/%s", name);
    s = test_file(path);
    assert_int_equal(wxp_json_parse(&v->doc, (char *)s.ptr, s.len, toks[next++ % 4], 2048, &r), WXP_OK);
}

wxp_str test_vec_str(test_vec *v, int obj, const char *path)
{
    wxp_str s;
    int t = wxp_json_get(&v->doc, obj, path);
    if (t < 0) fail_msg("vector field %s missing", path);
    assert_int_equal(wxp_json_string(&v->doc, t, &s), WXP_OK);
    return s;
}

const char *test_cstr(wxp_str s)
{
    static char slots[16][4096];
    static int next;
    char *o = slots[next++ % 16];
    assert_true(s.len < sizeof slots[0]);
    memcpy(o, s.ptr, s.len);
    o[s.len] = 0;
    return o;
}

wxp_str test_keep_file(const char *path, char *buf, size_t cap)
{
    wxp_str s = test_file(path), v;
    assert_true(s.len < cap);
    memcpy(buf, s.ptr, s.len);
    buf[s.len] = 0;
    v.ptr = buf;
    v.len = s.len;
    return v;
}

long long test_now = 1795424693;
long long test_clock(void *user) { (void)user; return test_now; }

static unsigned char rand_queue[64];
static size_t rand_len, rand_pos;
static unsigned rand_ctr = 1;

void test_rand_nonce(const char *nonce)
{
    static const char al[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    size_t i;
    assert_int_equal(strlen(nonce), 32);
    memset(rand_queue, 0, sizeof rand_queue);
    for (i = 0; i < 32; i++) { /* the library's letters: 6 bits each, big-endian in 3-byte groups */
        unsigned v = (unsigned)(strchr(al, nonce[i]) - al), bit = (unsigned)i * 6;
        rand_queue[bit / 8] |= (unsigned char)(v << 2 >> bit % 8);
        if (bit % 8 > 2) rand_queue[bit / 8 + 1] |= (unsigned char)(v << (10 - bit % 8));
    }
    rand_len = 24;
    rand_pos = 0;
}

int test_random(void *user, void *buf, size_t len)
{
    unsigned char *b = (unsigned char *)buf;
    size_t i;
    (void)user;
    for (i = 0; i < len; i++) {
        if (rand_pos < rand_len) b[i] = rand_queue[rand_pos++];
        else { rand_ctr = rand_ctr * 1103515245u + 12345u; b[i] = (unsigned char)(rand_ctr >> 16); }
    }
    return 0;
}

void test_merchant_key(wxp_rsa_key *k)
{
    wxp_result r;
    assert_int_equal(wxp_rsa_key_load(k, test_file("tests/vectors/keys/merchant_key.pem"), &r), WXP_OK);
}

void test_platform_key(wxp_rsa_key *k)
{
    wxp_result r;
    assert_int_equal(wxp_rsa_key_load(k, test_file("tests/vectors/keys/platform_key.pem"), &r), WXP_OK);
}

void test_merchant_pub(wxp_pubkey *k)
{
    wxp_result r;
    assert_int_equal(wxp_pubkey_load(k, test_file("tests/vectors/keys/merchant_pub.pem"), &r), WXP_OK);
}

wxp_fake_config test_fake_config(const wxp_pubkey *merchant_key, wxp_rsa_key *platform)
{
    wxp_fake_config fc;
    memset(&fc, 0, sizeof fc);
    fc.mchid = TEST_MCHID;
    fc.merchant_serial = TEST_SERIAL;
    fc.merchant_key = merchant_key;
    fc.platform_signer = &platform->vtable;
    fc.platform_serial = TEST_PUB_ID;
    fc.clock.fn = test_clock;
    return fc;
}

wxp_config test_config(wxp_keystore *keys, void *io, size_t io_size)
{
    wxp_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.mchid = TEST_MCHID;
    cfg.serial = TEST_SERIAL;
    cfg.keys = keys;
    cfg.clock.fn = test_clock;
    cfg.io_buf = io;
    cfg.io_buf_size = io_size;
    return cfg;
}
