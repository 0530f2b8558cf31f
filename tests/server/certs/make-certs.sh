#!/bin/sh
# make-certs.sh - regenerates the THROWAWAY test certificates of the loopback
# simulator server (tests/server/wxp_sim_server.c). Run from this directory:
#     sh make-certs.sh
# It needs the openssl command (1.1 or 3.x) and writes every *.pem here. The
# PEMs are committed, so nobody needs to run it; it records how they were made.
# Validity is fixed (2025-01-01 .. 2099-12-31) so that the tests' fixed clock
# and the real clock both fall inside it.
set -eu
START=20250101000000Z
END=20991231235959Z
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# A minimal "openssl ca" set-up: it is the only openssl 3.0 command that can
# backdate notBefore (-startdate).
ca_conf() { # $1: extensions section body
    cat > "$T/ca.cnf" <<CNF
[ ca ]
default_ca = tca
[ tca ]
database = $T/index.txt
new_certs_dir = $T
serial = $T/serial
default_md = sha256
policy = anything
copy_extensions = none
unique_subject = no
[ anything ]
commonName = supplied
organizationName = optional
organizationalUnitName = optional
countryName = optional
[ ext ]
$1
CNF
    : > "$T/index.txt"
    [ -f "$T/serial" ] || echo 1000 > "$T/serial"
}

# $1 name, $2 subject, $3 extensions, $4 signing CA name ("self" for a root)
issue() {
    openssl genrsa -out "$1_key.pem" 2048 2>/dev/null
    openssl req -new -key "$1_key.pem" -subj "$2" -out "$T/$1.csr"
    ca_conf "$3"
    if [ "$4" = self ]; then
        openssl ca -batch -config "$T/ca.cnf" -selfsign -keyfile "$1_key.pem" -in "$T/$1.csr" \
            -startdate $START -enddate $END -extensions ext -notext -out "$1.pem" 2>/dev/null
    else
        openssl ca -batch -config "$T/ca.cnf" -cert "$4.pem" -keyfile "$4_key.pem" -in "$T/$1.csr" \
            -startdate $START -enddate $END -extensions ext -notext -out "$1.pem" 2>/dev/null
    fi
}

CA_EXT="basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash"
SRV_EXT="basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:api.mch.weixin.qq.com,DNS:api2.mch.weixin.qq.com"
CLI_EXT="basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth"

# The test CA: signs the server certificate and the merchant client certificate.
issue ca "/O=wechatpay.h THROWAWAY/CN=wechatpay.h throwaway test CA" "$CA_EXT" self
issue server "/O=wechatpay.h THROWAWAY/CN=api.mch.weixin.qq.com" "$SRV_EXT" ca
# A second CA no test trusts, and a server certificate for the same names from it
# (the "wrong server certificate" fault: wxp_sim_server --wrong-cert).
issue rogue_ca "/O=wechatpay.h THROWAWAY/CN=wechatpay.h throwaway ROGUE CA" "$CA_EXT" self
issue rogue_server "/O=wechatpay.h THROWAWAY/CN=api.mch.weixin.qq.com" "$SRV_EXT" rogue_ca

# The merchant client certificate (APIv2 mutual TLS, apiclient_cert.pem) over
# the throwaway merchant key of examples/test_keys.h, as WeChat Pay issues it:
# CN is the mchid.
sed -n '/WXP_TEST_MERCHANT_KEY\[\]/,/;/p' ../../../examples/test_keys.h |
    sed -n 's/^ *"\(.*\)\\n".*$/\1/p' > "$T/client_key.pem"
openssl req -new -key "$T/client_key.pem" -subj "/O=wechatpay.h THROWAWAY merchant/OU=1900009191/CN=1900009191" \
    -out "$T/client.csr"
ca_conf "$CLI_EXT"
openssl ca -batch -config "$T/ca.cnf" -cert ca.pem -keyfile ca_key.pem -in "$T/client.csr" \
    -startdate $START -enddate $END -extensions ext -notext -out client_cert.pem 2>/dev/null
# The same merchant, but signed by the rogue CA (the server must not accept it).
ca_conf "$CLI_EXT"
openssl ca -batch -config "$T/ca.cnf" -cert rogue_ca.pem -keyfile rogue_ca_key.pem -in "$T/client.csr" \
    -startdate $START -enddate $END -extensions ext -notext -out rogue_client_cert.pem 2>/dev/null
rm -f ca_key.pem rogue_ca_key.pem   # the CAs sign nothing after this run
echo "ok: $(ls *.pem | tr '\n' ' ')"
