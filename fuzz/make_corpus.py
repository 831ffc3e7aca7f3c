#!/usr/bin/env python3
"""Writes the seed corpus under fuzz/corpus/<target>/ from the packet fixtures
in tests/data (real captures plus the hand-built extension messages), with
truncated and mutated variants. Deterministic; keep the total under 300 files.
Re-run after changing fixtures: python3 fuzz/make_corpus.py
"""
import glob, os, random, shutil, struct

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(os.path.dirname(HERE), 'tests', 'data')
rng = random.Random(4884)

def load(path):
    hexchars = ''
    for line in open(path):
        s = line.strip()
        if not s or s.startswith('#') or s.split()[0] in ('src', 'dst'): continue
        hexchars += ''.join(s.split())
    return bytes.fromhex(hexchars)

def icmp_of_ip(ip):
    if ip and ip[0] >> 4 == 4: return ip[(ip[0] & 15) * 4:]
    if ip and ip[0] >> 4 == 6: return ip[40:]
    return ip

def body_of_icmp(m):
    return m[8:]

corpus = {t: [] for t in ('ip_headers', 'quoted', 'extensions', 'icmp', 'icmpv4', 'icmpv6')}
def add(target, data):
    if data not in corpus[target]: corpus[target].append(data)

def truncations(b, n):
    cuts = sorted(set(rng.randrange(0, len(b)) for _ in range(n))) if b else []
    return [b[:c] for c in cuts]

def flips(b, n):
    out = []
    for _ in range(n):
        if not b: break
        m = bytearray(b); i = rng.randrange(len(m)); m[i] ^= 1 << rng.randrange(8); out.append(bytes(m))
    return out

frames = {os.path.basename(p): load(p) for p in sorted(glob.glob(os.path.join(DATA, 'ip', '*.hex')) + glob.glob(os.path.join(DATA, 'quoted', '*.hex')))}
# ip_headers: whole frames, bare IP packets, and a few broken ones.
for name, f in frames.items():
    add('ip_headers', f if len(f) < 300 else f[:300])
    add('ip_headers', f[14:] if len(f) < 300 else f[14:314])
for f in list(frames.values())[:6]:
    for t in truncations(f[14:], 2) + flips(f[14:60], 2): add('ip_headers', t)
tagged = frames['v4_udp_probe_ttl1_frame.hex']
add('ip_headers', tagged[:12] + b'\x81\x00\xb0\x05' + tagged[12:])
v4 = bytearray(frames['v4_tcp_syn_frame.hex'][14:]); v4[0] = 0x44; add('ip_headers', bytes(v4))
v4 = bytearray(frames['v4_tcp_syn_frame.hex'][14:]); v4[0] = 0x4f; add('ip_headers', bytes(v4))
# IPv6 with a long chain of destination options and a chain that overruns.
chain = b''.join(bytes([60, 0, 1, 4, 0, 0, 0, 0]) for _ in range(20))
hdr = bytes([0x60, 0, 0, 0]) + struct.pack('!HBB', len(chain), 60, 64) + bytes(32)
add('ip_headers', hdr + chain)
add('ip_headers', bytes([0x60, 0, 0, 0]) + struct.pack('!HBB', 8, 0, 64) + bytes(32) + bytes([17, 3, 0, 0, 0, 0, 0, 0]))
add('ip_headers', bytes([0x60, 0, 0, 0]) + struct.pack('!HBB', 32, 51, 64) + bytes(32) + bytes([17, 4]) + bytes(30))

# quoted: family byte + the original datagram of each captured error.
for name, f in frames.items():
    if not name.startswith(('v4_time', 'v4_port', 'v4_admin', 'v6_time', 'v6_port', 'v6_admin')): continue
    fam = b'\x01' if name.startswith('v6') else b'\x00'
    quote = body_of_icmp(icmp_of_ip(f[14:]))
    add('quoted', fam + quote)
    for t in truncations(quote, 2) + flips(quote, 1): add('quoted', fam + t)
for name in ('v4_fragment_last_frame.hex', 'v6_fragment_last_frame.hex', 'v6_mld_report_hop_by_hop_frame.hex', 'v6_fragment_first_frame.hex'):
    add('quoted', (b'\x01' if name.startswith('v6') else b'\x00') + frames[name][14:200])

# extensions: structures, bodies with the non-compliant form, mutations.
ext = {os.path.basename(p): load(p) for p in sorted(glob.glob(os.path.join(DATA, 'extensions', '*.hex')))}
for name, b in ext.items():
    if name.endswith('_structure.hex'):
        add('extensions', b)
        for t in truncations(b, 2) + flips(b, 2): add('extensions', t)
    else:
        add('extensions', body_of_icmp(b))
        add('extensions', body_of_icmp(b)[128:])

# icmp / icmpv4 / icmpv6: ICMP messages from every fixture folder.
v4_msgs, v6_msgs = [], []
for name, f in frames.items():
    ip = f[14:]
    if ip[0] >> 4 == 4 and ip[9] == 1: v4_msgs.append(icmp_of_ip(ip))
    if ip[0] >> 4 == 6 and ip[6] == 58: v6_msgs.append(icmp_of_ip(ip))
for name, b in ext.items():
    if name.startswith('v4_'): v4_msgs.append(b)
    if name.startswith('v6_'): v6_msgs.append(b)
for p in sorted(glob.glob(os.path.join(DATA, 'icmpv4', '*.hex'))):
    v4_msgs.append(icmp_of_ip(load(p)))
for p in sorted(glob.glob(os.path.join(DATA, 'icmpv6', '*.hex'))):
    b = load(p)
    v6_msgs.append(icmp_of_ip(b) if b and b[0] >> 4 == 6 and len(b) >= 40 else b)
for i, m in enumerate(v4_msgs):
    add('icmpv4', m[:600])
    if i % 3 == 0: add('icmp', b'\x00' + m[:600])
for i, m in enumerate(v6_msgs):
    add('icmpv6', m[:600])
    if i % 3 == 0: add('icmp', b'\x01' + m[:600])
for m in v4_msgs[:4]:
    for t in truncations(m, 1) + flips(m, 1): add('icmpv4', t)
for m in v6_msgs[:4]:
    for t in truncations(m, 1) + flips(m, 1): add('icmpv6', t)

total = 0
for target, items in corpus.items():
    d = os.path.join(HERE, 'corpus', target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for i, data in enumerate(items):
        with open(os.path.join(d, 'seed-%03d' % i), 'wb') as f: f.write(data)
    total += len(items)
    print(target, len(items))
print('total', total)
assert total < 300, total
