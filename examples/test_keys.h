/* examples/test_keys.h - THROWAWAY TEST KEYS for the examples and the simulator.

   These keys were generated for wechatpay.h's test vectors (tests/vectors/keys);
   they belong to no merchant and WeChat Pay has never seen them. Never use them
   for real payments: a real merchant loads apiclient_key.pem and the WeChat Pay
   public key (or platform certificates) from its own files. */
#ifndef WXP_TEST_KEYS_H
#define WXP_TEST_KEYS_H

#define WXP_TEST_MCHID "1900009191"
#define WXP_TEST_SERIAL "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"
#define WXP_TEST_PUB_KEY_ID "PUB_KEY_ID_0119000091912025010100000000000001"
#define WXP_TEST_APIV3_KEY "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb"
#define WXP_TEST_APIV2_KEY "192006250b4c09247ec02edce69f6a2d"

/* the merchant's API private key (apiclient_key.pem) */
static const char WXP_TEST_MERCHANT_KEY[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQC6DBCndL6cS+2L\n"
    "T61c3zUq2qGuZFuEFJVFKVR66OGBGW+MGufrla03kWcp62wXNysvYlDKTtnQgQ+c\n"
    "MhefWSw7UYAvc5Qgl8xliS2d+1XKNYYFOhLpK8wOHLcbOuJYFWkSgDPps2JFyI9C\n"
    "AqtCsTkreHAG5uR/bFJvkurghvntlz8+SkyOuaU0SxNW8vYjhyUboNqOmSRa9AgL\n"
    "FGbeMCPBR6vamgoJ+OjUYDuwpeSky2Ns1Of/ssfsqqXnzBS252aKNQ+J1btBxj6a\n"
    "GbO76DX3FXNLZ2mxXKCmqSCBcY/5lGHoAhb14vafisQHxQAhaOuFividdFozjsp1\n"
    "Q/SgAi49AgMBAAECggEANCJ/ZD2d0HSie2B3h0fxQTIFDraGwqt17OyZBNxPnPrA\n"
    "vHUpumW2JZU0YJXdM2A9VMjrNNYFyZzw/+c1oWy+rVy4XBO6VavUFjvrsZKlxsVa\n"
    "6goNFJQ2WVoIobPNi7tsN0f/xCSFjGKYanoO/eBl0d2tHvIC5AY5z5RPB14rmT1H\n"
    "VPFUh1Zmh95HeYdU9Y5HoXXDBSdzQUVTquxPC06nhwYj2PQLXfpGRBCjU8pN8Hxi\n"
    "wrtK1EYmV2Vo2OR0V1SII69HOdbvgzTtEvYIjcLonQEqcRKDUuz4y56Q7X8Wcszn\n"
    "gvr9vrasa8V62jGclzoCIAaJMieU2Td36EIQe8UpzQKBgQDqk34IoVbcYfRFnNa6\n"
    "IFnO96FO40sstzKv63fD1aSoue/MyhNYkytbsFZaR1Irn7g3yVxFvxyTGb/3YxKj\n"
    "1izXNP0+TueDZ9vS/6w77CXloKub4ykfRJJr7CHZLiEbJB/HXGxnvfBKCwwm+5Gh\n"
    "6AU7biB0esEy5xiNKRWlILQnEwKBgQDLCfCrPO0NgxTWO5j5BTygJjytg/0K4VFz\n"
    "xq2EovUhfEXc/HuJf8HTI/hhgpASI2qxilLSZ9OvZpiL42zv98I4WNYk4T29Cq8h\n"
    "p8tNTHvYGJvH2OrbYFZ0rNIgXQ7NRJc2FZ8DiwWaKOHwJVrnVf+8f0jSNx/XF+Cf\n"
    "2qTCMbxvbwKBgQCUC/ZVWA5MFP5oGO5klhpYR21lLoq5c/3njYMO8/1yB7fS1g6T\n"
    "rn6E5av6Wlz/71QC0XENC+rq5CuF5N9Uy82NHYJfGsl+48OXTYnUX9wjKt5kCmBf\n"
    "vZVzy5opSbXXPVtZJXm9l+DZulM3HzrwplD3CzAsk3TvvW5/WNiyWQuaRQKBgQC0\n"
    "Mlo6X5QzjcaMa9BUEeXAbK8lgCKv6VEU45tUQBw2X8jRW/N4EL7A2Qez4uBieLRU\n"
    "ZWMkAanJ3dA9NtaUEtt4jr9fc9gLUtQjlnvEWsD/BLgdIdMuZ83TNx42QuDEJL/e\n"
    "7El4J4YNT4NWUpDfB2A0tvK2Pt4vU62zsaTQBLwsWQKBgEE66+nVSXdql9gd9anS\n"
    "sBJjgJH3FfYkHVlWiUK4wIM7bbU132dAAeBZdMnbBplMo+KBVy0IJ2TctpqPtZFq\n"
    "LLEUDmAxzAoxZIq6WE7zTLBJNoh3RWtvNUpNcVag6RzMEBebP5WR2244f5PrvAF8\n"
    "UsZ66bo5fUluk4AlhIy74rI8\n"
    "-----END PRIVATE KEY-----\n";

/* its public key: the simulator checks request signatures with it */
static const char WXP_TEST_MERCHANT_PUB[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAugwQp3S+nEvti0+tXN81\n"
    "KtqhrmRbhBSVRSlUeujhgRlvjBrn65WtN5FnKetsFzcrL2JQyk7Z0IEPnDIXn1ks\n"
    "O1GAL3OUIJfMZYktnftVyjWGBToS6SvMDhy3GzriWBVpEoAz6bNiRciPQgKrQrE5\n"
    "K3hwBubkf2xSb5Lq4Ib57Zc/PkpMjrmlNEsTVvL2I4clG6DajpkkWvQICxRm3jAj\n"
    "wUer2poKCfjo1GA7sKXkpMtjbNTn/7LH7Kql58wUtudmijUPidW7QcY+mhmzu+g1\n"
    "9xVzS2dpsVygpqkggXGP+ZRh6AIW9eL2n4rEB8UAIWjrhYr4nXRaM47KdUP0oAIu\n"
    "PQIDAQAB\n"
    "-----END PUBLIC KEY-----\n";

/* the simulator's WeChat Pay platform private key: signs answers */
static const char WXP_TEST_PLATFORM_KEY[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCz19Rgo7nFV9Fs\n"
    "Bv9NTelftO/Rc44Ch4ndESGwv+ynjz+XJxbyzR6rFe3pDw3rBjXvBVrpSpmLJXSa\n"
    "19fiGcRhlflYNTcuoe6sS3sUX8UUlGD6GXwgpGjZTO3QVVY1Z8rGrZZvU4ajwFNC\n"
    "h0+jTdAkbE4oeA1nXj2f8bFU74lRJjipwtGY8MjXzlfwQ9doJzLkH8whE4I8hHo8\n"
    "VhBAO8PljIdpNSdmpzWWvJ4T4pu5S9oZ5ZDIIbk7EWU/vL5klnP6JrRvP/B/2Pq6\n"
    "R7a0XsBIAvRr5f176EsGa3oAFEPwnxhwAh38oU8m/tJmJsYa6IbILXZLDo5qFi4d\n"
    "rsZUhHsfAgMBAAECggEAC3QKMnjNIH+yrXxEmFoHB18MQkX5rm+OwUDan9lQD9vB\n"
    "40eVcyET6chAUNLNwmVnbnqbHUmC9KdXJbw0tb9AonZc72pPne07SpAECzFFDiFS\n"
    "sFGvLOUCbPjrh7kMJHX8StiVicF6TQ7brEofeouHzMoGsDrQeyTJ41gO0xVb7fgh\n"
    "Rerq+eDjXIcpJ6bIVCZGzlM8A8Vq8eljo+89LIJK6T6egT6ptFFMHmq+N9MKu5mC\n"
    "IBzvtlL1X1D92nH/A5/Lkmqte2SmqopaoJvXNneetKXiERlHqcQmM7G6W1Q/uUcy\n"
    "/qXPDIhfsYWIQ/NaKi20Y8qdPvCRb7abwc8WJaohAQKBgQDX70t768BBGotPthwo\n"
    "IEb3aKdqwb4vEKf/Tsc+1qVlbOZjX83k1xUEaKucmS6tGDmLZvgnetA0iQFSeV5p\n"
    "FQL8IDeFYlm/SenZA/MmfyU6A7z98MSBabuvIUCraFug/SmoTjFSdq8tPwt6u7Ig\n"
    "B+I+Ll2xfZK00zDVnWTyE5jtGwKBgQDVNjamIsnLeQqazljlJZz3fB29VSa3zc2z\n"
    "B+Dn0wxhaKSLOu0tfRdaRnXfrK0Lu7qu/Cr39oNFm4Vzpo2Pbaa5d9Vky0vZW03e\n"
    "TlPxgNzROH7kP2lt3Uvf+HLZAe+d6leGNHuOZNMZlpiYaoOgDp3Iyhm6ruopfAud\n"
    "8Xaf8vQeTQKBgFxwvMfYLP2x92GwfG1RJBBWZRV2y4wqfUD24KUuDrBU5mw0X1hQ\n"
    "G1c/1/e6PBkt/bSH6EQ+d1OGM2KzQo+JxzVYNWyMpg8V/V5CKp2YYL9tSkMMB5O/\n"
    "R/G5Mo4upstMlcDPeJ3s4SFlk+x+3cqIlXo5LzMEpwFyR72rG8PmT9lxAoGAZa9t\n"
    "cN62jywzOpGfI+pEamPvaxTpWk/1AqWHRgkJpotZrm10IHXAZXWlUf/wp9/osPvj\n"
    "Ik+XW+NISlfsu7L4CQx14ZRzoD5DbPq+XjevGLlxCzqS9arNPQwo+gZKWW4iQAdX\n"
    "xhmf9Fw2erqR/Av8hH6etsIlO5PFlpZKlQ4yDyECgYAfD/l0pAnrJBhbPQgAToQq\n"
    "bmwsD7NQEAfnMOlnr9MvJ4wTC2/n/GavHVn4Sa0kqsIC3DdITSxGrUIovy+DNy5w\n"
    "UjIlhpGAwz0jdYkkpaZf9Nd1nwEQu0ZYGaludfTx9KdwyVtwEAGcI+EdBbvXbzel\n"
    "HOlBQ9mr1lLF421XgchTkQ==\n"
    "-----END PRIVATE KEY-----\n";

/* the matching WeChat Pay public key the client verifies with */
static const char WXP_TEST_WECHATPAY_PUB[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAs9fUYKO5xVfRbAb/TU3p\n"
    "X7Tv0XOOAoeJ3REhsL/sp48/lycW8s0eqxXt6Q8N6wY17wVa6UqZiyV0mtfX4hnE\n"
    "YZX5WDU3LqHurEt7FF/FFJRg+hl8IKRo2Uzt0FVWNWfKxq2Wb1OGo8BTQodPo03Q\n"
    "JGxOKHgNZ149n/GxVO+JUSY4qcLRmPDI185X8EPXaCcy5B/MIROCPIR6PFYQQDvD\n"
    "5YyHaTUnZqc1lryeE+KbuUvaGeWQyCG5OxFlP7y+ZJZz+ia0bz/wf9j6uke2tF7A\n"
    "SAL0a+X9e+hLBmt6ABRD8J8YcAId/KFPJv7SZibGGuiGyC12Sw6OahYuHa7GVIR7\n"
    "HwIDAQAB\n"
    "-----END PUBLIC KEY-----\n";

#endif
