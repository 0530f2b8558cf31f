/* tests/server/wxp_sim_server.c - the loopback HTTPS simulator server of the
   transports' integration tests: `wxpay serve` (cli/wxpay_sim.h, one code
   path) with the tests' defaults: the test merchant of examples/test_keys.h,
   the THROWAWAY certificates of tests/server/certs (README.md there), the
   fixed clock 1795425372, an empty book, no journal, a port the kernel picks,
   and an end: 256 connections or 120 s. Its options and test endpoints are
   cli/wxpay_sim.h's.

   Usage: wxp_sim_server [--certs DIR] [--wrong-cert] [--max-conns N] [--life S]
                         [--now UNIX] [--notify-scale K] [any wxpay serve option] */
#include "cli/wxpay_sim.h"

int main(int argc, char **argv)
{
    static sim_opts o;
    o.now = SIM_NOW;
    o.certs = "tests/server/certs";
    o.max_conns = 256;
    o.life_s = 120;
    sim_test_keys(&o.keys);
    if (!sim_serve_args(argc - 1, argv + 1, &o)) return 2;
    return sim_serve(&o);
}
