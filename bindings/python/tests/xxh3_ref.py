"""A pure-Python XXH3-64 (seed 0, default secret) written from the xxHash 0.8
specification, used to reproduce the experiment assignment without libecai."""
import struct

M = (1 << 64) - 1
P32_1, P32_2, P32_3 = 0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D
P64_1, P64_2, P64_3, P64_4, P64_5 = (0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                                     0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5)
SECRET = bytes.fromhex(
    "b8fe6c3923a44bbe7c01812cf721ad1cded46de9839097db7240a4a4b7b3671f"
    "cb79e64eccc0e578825ad07dccff7221b8084674f743248ee03590e6813a264c"
    "3c2852bb91c300cb88d0658b1b532ea371644897a20df94e3819ef46a9deacd8"
    "a8fa763fe39c343ff9dcbbc7c70b4f1d8a51e04bcdb45931c89f7ec9d9787364"
    "eac5ac8334d3ebc3c581a0fffa1363eb170ddd51b7f0da49d316552629d4689e"
    "2b16be587d47a1fc8ff8b8d17ad031ce45cb3a8f95160428afd7fbcabb4b407e")


def _r64(b, i):
    return struct.unpack_from("<Q", b, i)[0]


def _r32(b, i):
    return struct.unpack_from("<I", b, i)[0]


def _fold(a, b):
    p = a * b
    return (p & M) ^ (p >> 64)


def _xxh64_avalanche(h):
    h ^= h >> 33
    h = (h * P64_2) & M
    h ^= h >> 29
    h = (h * P64_3) & M
    return h ^ (h >> 32)


def _avalanche(h):
    h ^= h >> 37
    h = (h * 0x165667919E3779F9) & M
    return h ^ (h >> 32)


def _rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M


def _rrmxmx(h, n):
    h ^= _rotl(h, 49) ^ _rotl(h, 24)
    h = (h * 0x9FB21C651E98DF25) & M
    h ^= (h >> 35) + n
    h = (h * 0x9FB21C651E98DF25) & M
    return h ^ (h >> 28)


def _mix16(b, i, s):
    return _fold(_r64(b, i) ^ _r64(SECRET, s), _r64(b, i + 8) ^ _r64(SECRET, s + 8))


def _bswap64(x):
    return int.from_bytes(x.to_bytes(8, "little"), "big")


def xxh3_64(data):
    n = len(data)
    if n == 0:
        return _xxh64_avalanche(_r64(SECRET, 56) ^ _r64(SECRET, 64))
    if n <= 3:
        c = (data[0] << 16) | (data[n >> 1] << 24) | data[n - 1] | (n << 8)
        return _xxh64_avalanche(c ^ ((_r32(SECRET, 0) ^ _r32(SECRET, 4)) & M))
    if n <= 8:
        x = (_r32(data, n - 4) + (_r32(data, 0) << 32)) & M
        return _rrmxmx(x ^ (_r64(SECRET, 8) ^ _r64(SECRET, 16)), n)
    if n <= 16:
        lo = _r64(data, 0) ^ (_r64(SECRET, 24) ^ _r64(SECRET, 32))
        hi = _r64(data, n - 8) ^ (_r64(SECRET, 40) ^ _r64(SECRET, 48))
        return _avalanche((n + _bswap64(lo) + hi + _fold(lo, hi)) & M)
    if n <= 128:
        acc = (n * P64_1) & M
        if n > 32:
            if n > 64:
                if n > 96:
                    acc += _mix16(data, 48, 96) + _mix16(data, n - 64, 112)
                acc += _mix16(data, 32, 64) + _mix16(data, n - 48, 80)
            acc += _mix16(data, 16, 32) + _mix16(data, n - 32, 48)
        acc += _mix16(data, 0, 0) + _mix16(data, n - 16, 16)
        return _avalanche(acc & M)
    if n <= 240:
        acc = (n * P64_1) & M
        for i in range(8):
            acc += _mix16(data, 16 * i, 16 * i)
        acc = _avalanche(acc & M)
        for i in range(8, n // 16):
            acc += _mix16(data, 16 * i, 16 * (i - 8) + 3)
        acc += _mix16(data, n - 16, 136 - 17)
        return _avalanche(acc & M)
    # long input: 64-byte stripes, 16 stripes per block with the 192-byte secret
    acc = [P32_3, P64_1, P64_2, P64_3, P64_4, P32_2, P64_5, P32_1]

    def accumulate(off, soff):
        for i in range(8):
            v = _r64(data, off + 8 * i)
            k = v ^ _r64(SECRET, soff + 8 * i)
            acc[i ^ 1] = (acc[i ^ 1] + v) & M
            acc[i] = (acc[i] + (k & 0xFFFFFFFF) * (k >> 32)) & M

    per_block = (192 - 64) // 8
    block_len = 64 * per_block
    blocks = (n - 1) // block_len
    for b in range(blocks):
        for s in range(per_block):
            accumulate(b * block_len + 64 * s, 8 * s)
        for i in range(8):
            a = acc[i]
            a ^= a >> 47
            a ^= _r64(SECRET, 192 - 64 + 8 * i)
            acc[i] = (a * P32_1) & M
    for s in range(((n - 1) - block_len * blocks) // 64):
        accumulate(blocks * block_len + 64 * s, 8 * s)
    accumulate(n - 64, 192 - 64 - 7)
    r = (n * P64_1) & M
    for i in range(4):
        r += _fold(acc[2 * i] ^ _r64(SECRET, 11 + 16 * i), acc[2 * i + 1] ^ _r64(SECRET, 11 + 16 * i + 8))
    return _avalanche(r & M)


def hash_point(salt, unit):
    """u = (XXH3_64(salt || 0x00 || unit) >> 11) * 2^-53 (include/ecai/experiment.h)."""
    h = xxh3_64(salt.encode("utf-8") + b"\0" + unit.encode("utf-8"))
    return (h >> 11) * 2.0 ** -53
