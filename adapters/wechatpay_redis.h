/* adapters/wechatpay_redis.h - the callback replay guard and the rate budget of
   wechatpay.h, shared on Redis by every instance of one merchant - MIT (see
   the end of wechatpay.h)

   Do this:
       #define WECHATPAY_REDIS_IMPLEMENTATION
   before you include this file (after wechatpay.h) in *one* C file. Link with
   hiredis (-lhiredis; Debian libhiredis-dev, 0.14 or later).

   WHY
       WeChat Pay's limits are per merchant, not per process: ten servers with a
       150 qps token bucket each overrun the APIv2 refund limit tenfold, and a
       callback delivered twice, to two servers, passes two in-process replay
       guards. Both need one store that every instance asks.

   WHAT IS KEPT IN REDIS (keys start "{prefix:mchid}:": a merchant's keys
   share one hash slot, as Redis Cluster needs for the budget's script)
       replay guard  "{wxp:MCHID}:cb:TIMESTAMP:NONCE" = "c" (claimed: one
                     instance is handling it; SET NX, for claim_s) or "d" (done;
                     kept 2 * max_skew_s + 60 s: a callback is only accepted
                     while its timestamp is within max_skew_s of the receiver's
                     clock, so no instance can accept it once its key is gone).
                     A claim is short so that one left by a crashed instance,
                     or by a SET whose answer timed out, holds the callback's
                     redeliveries off for claim_s only; WeChat Pay waits 5 s
                     for an answer, so no handling outlives it.
       rate budget   "{wxp:MCHID}:rate:NAME:SECOND" = tokens spent in that
                     second, counted by one Lua script (atomic), expiring after
                     2 s. SECOND is Redis' own clock (TIME): instances whose
                     clocks disagree still count in the same second. The `now`
                     the library passes is not used.

   WHEN REDIS IS DOWN OR SLOW
       Every connect and every command waits at most timeout_ms. After a
       failure the connection is dropped, and for retry_ms no new one is tried
       (each call fails at once), so a dead Redis costs one timeout per retry_ms,
       not one per request. r->error says what failed; r->down is 1.
       - replay guard: "could not check" (-1), never "seen" (the callback would
         be acknowledged and lost) and never "fresh" (two instances could both
         process it). The receiver answers 500 {"code":"FAIL",...}, and WeChat
         Pay delivers it again later (examples/notify_server.c):
         wxp_notify_parse fails with WXP_E_UNCHECKED.
       - rate budget: fail closed (-1: the call fails with WXP_E_RATE before
         anything is sent) unless budget_fail_open is set (1: the call goes
         ahead unmetered; WeChat Pay's own limit still answers
         FREQUENCY_LIMITED).
       Redis without persistence forgets the claims when it restarts: a replay
       of a callback handled before then, inside the clock window, passes the
       guard again. Check the order's state before acting on a callback anyway
       (WeChat Pay asks for that), or run Redis with appendonly.

   A CALLBACK'S LIFE (what examples/notify_server.c does)
       wxp_notify_parse asks the guard, which claims the callback ("c"). Then:
       handled      wxp_redis_replay_done: "d"; a later delivery of it finds
                    WXP_E_REPLAY and state DONE: answer 204, do nothing.
       failed       wxp_redis_replay_forget: the key is deleted, so WeChat
                    Pay's next delivery is handled afresh.
       WXP_E_UNCHECKED  Redis did not answer: 500, delivered again later.
       WXP_E_REPLAY wxp_redis_replay_state: DONE -> 204; CLAIMED -> another
                    instance is on it: 500, so that it is delivered again if
                    that instance fails (a crashed one's claim ends with the
                    key's expiry).

   MEMORY AND THREADS
       wxp_redis is the caller's. The only heap is hiredis' own (its context,
       and each reply, freed before the function returns). One wxp_redis per
       thread: a hiredis context is not thread-safe. A process that forks makes
       its wxp_redis after the fork (or calls wxp_redis_close in the child
       first), as with any connection. */
#ifndef WECHATPAY_REDIS_H
#define WECHATPAY_REDIS_H

#include "wechatpay.h"
#include <hiredis/hiredis.h>

#ifndef WXP_REDIS_API
#if defined(WECHATPAY_STATIC) && (defined(__GNUC__) || defined(__clang__))
#define WXP_REDIS_API static __attribute__((unused))
#else
#define WXP_REDIS_API WXP_API
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wxp_redis_config {
    const char *host;             /* 0 -> "127.0.0.1" */
    int         port;             /* 0 -> 6379 */
    const char *password;         /* 0 -> no AUTH */
    const char *prefix;           /* 0 -> "wxp"; at most 32 bytes */
    const char *mchid;            /* required: every key is the merchant's */
    unsigned    timeout_ms;       /* connect, and each command; 0 -> 250 */
    unsigned    retry_ms;         /* no reconnect for this long after a failure; 0 -> 1000 */
    unsigned    max_skew_s;       /* the receivers' wxp_config.max_skew_s; 0 -> 300 */
    unsigned    claim_s;          /* how long a claim stands without done; 0 -> 60 */
    int         budget_fail_open; /* 1: the budget lets calls through while Redis is down */
} wxp_redis_config;

typedef struct wxp_redis {
    int  down;                    /* 1: the last call could not get Redis' answer */
    char error[160];              /* what the last call found wrong; "" when fine */
    struct {
        wxp_redis_config cfg;
        redisContext    *ctx;     /* 0 until the first call, and after a failure */
        long long        retry_at_ms;
    } wxp__priv;
} wxp_redis;

/* The callback states wxp_redis_replay_state reports (or -1: Redis is down). */
enum { WXP_REDIS_FRESH = 0, WXP_REDIS_CLAIMED = 1, WXP_REDIS_DONE = 2 };

/* Copies cfg (its strings must outlive r); connects on first use. */
WXP_REDIS_API void wxp_redis_init(wxp_redis *r, const wxp_redis_config *cfg);
/* Closes the connection; r may be used again (it reconnects). */
WXP_REDIS_API void wxp_redis_close(wxp_redis *r);

/* The replay guard for wxp_config.replay: 0 fresh (now claimed by the
   caller), 1 seen before (WXP_E_REPLAY), -1 could not check (r->down, and the
   callback fails with WXP_E_UNCHECKED; see WHEN REDIS IS DOWN). */
WXP_REDIS_API wxp_replay wxp_redis_replay(wxp_redis *r);
WXP_REDIS_API int wxp_redis_replay_check(void *redis, wxp_str nonce, long long timestamp);
/* After the callback (nonce, timestamp) was claimed: handled (done) or not
   (forget: let the next delivery through). 0, or -1 (r->error). */
WXP_REDIS_API int wxp_redis_replay_done(wxp_redis *r, wxp_str nonce, long long timestamp);
WXP_REDIS_API int wxp_redis_replay_forget(wxp_redis *r, wxp_str nonce, long long timestamp);
/* What the guard holds for (nonce, timestamp): WXP_REDIS_FRESH, _CLAIMED,
   _DONE, or -1. */
WXP_REDIS_API int wxp_redis_replay_state(wxp_redis *r, wxp_str nonce, long long timestamp);

/* The rate budget for wxp_config.rate.budget: budget `name` of this
   merchant, qps tokens in each second of Redis' clock. spend 0 asks whether
   one is left, 1 takes one. 1 a token was there, 0 the budget is spent, -1
   Redis could not answer (1 instead with budget_fail_open). now is not used.
   A token is counted when it is taken: a request that takes longer than the
   rest of its second to reach WeChat Pay is counted there in the next one,
   so keep connections open (as a server does) or the limit a little under
   WeChat Pay's. */
WXP_REDIS_API wxp_budget wxp_redis_budget(wxp_redis *r);
WXP_REDIS_API int wxp_redis_budget_take(void *redis, const char *name, unsigned qps, int spend, long long now);

#ifdef __cplusplus
}
#endif

#endif /* WECHATPAY_REDIS_H */

#if defined(WECHATPAY_REDIS_IMPLEMENTATION) && !defined(WECHATPAY_REDIS_IMPLEMENTATION_INCLUDED)
#define WECHATPAY_REDIS_IMPLEMENTATION_INCLUDED

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

static long long wxp__redis_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

WXP_REDIS_API void wxp_redis_init(wxp_redis *r, const wxp_redis_config *cfg)
{
    memset(r, 0, sizeof *r);
    r->wxp__priv.cfg = *cfg;
    if (!r->wxp__priv.cfg.host) r->wxp__priv.cfg.host = "127.0.0.1";
    if (!r->wxp__priv.cfg.port) r->wxp__priv.cfg.port = 6379;
    if (!r->wxp__priv.cfg.prefix) r->wxp__priv.cfg.prefix = "wxp";
    if (!r->wxp__priv.cfg.mchid) r->wxp__priv.cfg.mchid = "";
    if (!r->wxp__priv.cfg.timeout_ms) r->wxp__priv.cfg.timeout_ms = 250;
    if (!r->wxp__priv.cfg.retry_ms) r->wxp__priv.cfg.retry_ms = 1000;
    if (!r->wxp__priv.cfg.max_skew_s) r->wxp__priv.cfg.max_skew_s = 300;
    if (!r->wxp__priv.cfg.claim_s) r->wxp__priv.cfg.claim_s = 60;
}

WXP_REDIS_API void wxp_redis_close(wxp_redis *r)
{
    if (r->wxp__priv.ctx) redisFree(r->wxp__priv.ctx);
    r->wxp__priv.ctx = NULL;
}

/* Says what went wrong in r->error: -1. */
static int wxp__redis_note(wxp_redis *r, const char *what, const char *why)
{
    snprintf(r->error, sizeof r->error, "redis %s:%d: %s: %s", r->wxp__priv.cfg.host, r->wxp__priv.cfg.port,
             what, why && *why ? why : "no answer");
    return -1;
}

/* A call that got no usable answer: -1, r->down. drop: the connection is
   unusable (I/O error, timeout: an answer may still be on its way), so it
   goes, and no new one is tried for retry_ms. */
static int wxp__redis_fail(wxp_redis *r, int drop, const char *what, const char *why)
{
    r->down = 1;
    wxp__redis_note(r, what, why);
    if (drop) {
        wxp_redis_close(r);
        r->wxp__priv.retry_at_ms = wxp__redis_ms() + r->wxp__priv.cfg.retry_ms;
    }
    return -1;
}

/* Runs one command (argv form: binary-safe); the reply (the caller frees it),
   or NULL with r->error set. A Redis error reply is a failure too. */
static redisReply *wxp__redis_cmd(wxp_redis *r, const char *what, int argc, const char **argv, const size_t *lens)
{
    const wxp_redis_config *cfg = &r->wxp__priv.cfg;
    redisReply *rep;
    r->down = 0;
    r->error[0] = 0;
    if (!r->wxp__priv.ctx) {
        struct timeval tv;
        long long now = wxp__redis_ms();
        /* A clock that jumped back does not hold reconnects off for longer. */
        if (now < r->wxp__priv.retry_at_ms && r->wxp__priv.retry_at_ms - now <= (long long)cfg->retry_ms) {
            wxp__redis_fail(r, 0, what, "down, not retried yet (retry_ms)");
            return NULL;
        }
        tv.tv_sec = (time_t)(cfg->timeout_ms / 1000);
        tv.tv_usec = (suseconds_t)(cfg->timeout_ms % 1000) * 1000;
        r->wxp__priv.ctx = redisConnectWithTimeout(cfg->host, cfg->port, tv);
        if (!r->wxp__priv.ctx || r->wxp__priv.ctx->err) {
            wxp__redis_fail(r, 1, "connect", r->wxp__priv.ctx ? r->wxp__priv.ctx->errstr : "out of memory");
            return NULL;
        }
        if (redisSetTimeout(r->wxp__priv.ctx, tv) != REDIS_OK) {
            wxp__redis_fail(r, 1, "connect", "cannot set the command timeout");
            return NULL;
        }
        if (cfg->password) {
            rep = (redisReply *)redisCommand(r->wxp__priv.ctx, "AUTH %s", cfg->password);
            if (!rep || rep->type == REDIS_REPLY_ERROR) {
                wxp__redis_fail(r, 1, "AUTH", rep ? rep->str : r->wxp__priv.ctx->errstr);
                if (rep) freeReplyObject(rep);
                return NULL;
            }
            freeReplyObject(rep);
        }
    }
    errno = 0;
    rep = (redisReply *)redisCommandArgv(r->wxp__priv.ctx, argc, argv, lens);
    if (!rep) {
        /* A timeout reads as "Resource temporarily unavailable": say what it is. */
        char why[96];
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            snprintf(why, sizeof why, "no answer within timeout_ms (%u ms): Redis is slow or stopped", cfg->timeout_ms);
        else snprintf(why, sizeof why, "%.64s", r->wxp__priv.ctx->errstr);
        wxp__redis_fail(r, 1, what, why);
        return NULL;
    }
    if (rep->type == REDIS_REPLY_ERROR) {
        wxp__redis_fail(r, 0, what, rep->str);
        freeReplyObject(rep);
        return NULL;
    }
    return rep;
}

/* "{prefix:mchid}:cb:TIMESTAMP:NONCE" into key; its length, or 0 when it
   does not fit (a nonce is 32 bytes). */
static size_t wxp__redis_cb_key(const wxp_redis *r, wxp_str nonce, long long ts, char *key, size_t cap)
{
    int n = snprintf(key, cap, "{%s:%s}:cb:%lld:", r->wxp__priv.cfg.prefix, r->wxp__priv.cfg.mchid, ts);
    if (n < 0 || (size_t)n + nonce.len >= cap) return 0;
    memcpy(key + n, nonce.ptr, nonce.len);
    return (size_t)n + nonce.len;
}

#define WXP__REDIS_KEY_MAX 192

WXP_REDIS_API wxp_replay wxp_redis_replay(wxp_redis *r)
{
    wxp_replay g;
    g.fn = wxp_redis_replay_check;
    g.user = r;
    return g;
}

WXP_REDIS_API int wxp_redis_replay_check(void *redis, wxp_str nonce, long long timestamp)
{
    wxp_redis *r = (wxp_redis *)redis;
    char key[WXP__REDIS_KEY_MAX], ttl[24];
    const char *argv[6];
    size_t lens[6], k;
    redisReply *rep;
    int seen;
    if (!(lens[1] = wxp__redis_cb_key(r, nonce, timestamp, key, sizeof key)))
        return wxp__redis_fail(r, 0, "SET", "the nonce is too long for a key");
    snprintf(ttl, sizeof ttl, "%u", r->wxp__priv.cfg.claim_s);
    argv[0] = "SET"; argv[1] = key; argv[2] = "c"; argv[3] = "NX"; argv[4] = "EX"; argv[5] = ttl;
    for (k = 0; k < 6; k++)
        if (k != 1) lens[k] = strlen(argv[k]);
    if (!(rep = wxp__redis_cmd(r, "SET NX", 6, argv, lens))) return -1;
    /* OK: set, it is ours; nil: the key was there. */
    seen = rep->type == REDIS_REPLY_NIL;
    freeReplyObject(rep);
    return seen;
}

/* One command on the callback's key: "SET key d XX EX window", "DEL key" or
   "GET key"; the reply or NULL. */
static redisReply *wxp__redis_cb_cmd(wxp_redis *r, const char *verb, wxp_str nonce, long long ts)
{
    char key[WXP__REDIS_KEY_MAX], ttl[24];
    const char *argv[6];
    size_t lens[6], k;
    int argc = 2;
    argv[0] = verb;
    argv[1] = key;
    lens[0] = strlen(verb);
    if (!(lens[1] = wxp__redis_cb_key(r, nonce, ts, key, sizeof key))) {
        wxp__redis_fail(r, 0, verb, "the nonce is too long for a key");
        return NULL;
    }
    if (strcmp(verb, "SET") == 0) {
        /* Done outlives every receiver's clock window. */
        snprintf(ttl, sizeof ttl, "%u", 2 * r->wxp__priv.cfg.max_skew_s + 60);
        argv[2] = "d"; argv[3] = "XX"; argv[4] = "EX"; argv[5] = ttl;
        for (k = 2; k < 6; k++) lens[k] = strlen(argv[k]);
        argc = 6;
    }
    return wxp__redis_cmd(r, verb, argc, argv, lens);
}

WXP_REDIS_API int wxp_redis_replay_done(wxp_redis *r, wxp_str nonce, long long timestamp)
{
    redisReply *rep = wxp__redis_cb_cmd(r, "SET", nonce, timestamp);
    int ok;
    if (!rep) return -1;
    ok = rep->type == REDIS_REPLY_STATUS;   /* nil: the claim expired meanwhile */
    freeReplyObject(rep);
    return ok ? 0 : wxp__redis_note(r, "SET XX", "the claim expired before the callback was handled");
}

WXP_REDIS_API int wxp_redis_replay_forget(wxp_redis *r, wxp_str nonce, long long timestamp)
{
    redisReply *rep = wxp__redis_cb_cmd(r, "DEL", nonce, timestamp);
    if (!rep) return -1;
    freeReplyObject(rep);
    return 0;
}

WXP_REDIS_API int wxp_redis_replay_state(wxp_redis *r, wxp_str nonce, long long timestamp)
{
    redisReply *rep = wxp__redis_cb_cmd(r, "GET", nonce, timestamp);
    int st = WXP_REDIS_FRESH;
    if (!rep) return -1;
    if (rep->type == REDIS_REPLY_STRING && rep->len == 1) st = rep->str[0] == 'd' ? WXP_REDIS_DONE : WXP_REDIS_CLAIMED;
    freeReplyObject(rep);
    return st;
}

/* KEYS[1] "{prefix:mchid}:rate:NAME", ARGV qps, spend. The second is Redis'
   (TIME; replicate_commands lets a script write after it before Redis 7). A
   refused take spends nothing. 1 a token was there (taken when spend), 0 not. */
static const char wxp__redis_budget_lua[] =
    "if redis.replicate_commands then redis.replicate_commands() end\n"
    "local k = KEYS[1] .. ':' .. redis.call('TIME')[1]\n"
    "local n = tonumber(redis.call('GET', k) or '0')\n"
    "if n >= tonumber(ARGV[1]) then return 0 end\n"
    "if ARGV[2] == '1' then redis.call('INCR', k) redis.call('EXPIRE', k, 2) end\n"
    "return 1\n";

WXP_REDIS_API wxp_budget wxp_redis_budget(wxp_redis *r)
{
    wxp_budget b;
    b.take = wxp_redis_budget_take;
    b.user = r;
    return b;
}

WXP_REDIS_API int wxp_redis_budget_take(void *redis, const char *name, unsigned qps, int spend, long long now)
{
    wxp_redis *r = (wxp_redis *)redis;
    char key[WXP__REDIS_KEY_MAX], q[16];
    const char *argv[6];
    size_t lens[6], k;
    redisReply *rep;
    int n, got;
    (void)now; /* Redis' clock: one for every instance */
    n = snprintf(key, sizeof key, "{%s:%s}:rate:%s", r->wxp__priv.cfg.prefix, r->wxp__priv.cfg.mchid, name);
    if (n < 0 || (size_t)n >= sizeof key) return wxp__redis_fail(r, 0, "EVAL", "the budget name is too long");
    snprintf(q, sizeof q, "%u", qps);
    argv[0] = "EVAL"; argv[1] = wxp__redis_budget_lua; argv[2] = "1"; argv[3] = key; argv[4] = q;
    argv[5] = spend ? "1" : "0";
    for (k = 0; k < 6; k++) lens[k] = strlen(argv[k]);
    if (!(rep = wxp__redis_cmd(r, "EVAL (rate budget)", 6, argv, lens)))
        return r->wxp__priv.cfg.budget_fail_open ? 1 : -1;
    got = rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
    freeReplyObject(rep);
    return got;
}

#endif /* WECHATPAY_REDIS_IMPLEMENTATION */
