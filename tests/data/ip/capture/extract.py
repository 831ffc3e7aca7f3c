import struct, sys, os
data = open('cap.pcap','rb').read()
magic = struct.unpack('<I', data[:4])[0]
assert magic in (0xa1b2c3d4, 0xa1b23c4d), hex(magic)
off = 24; pkts = []
while off + 16 <= len(data):
    ts, tu, incl, orig = struct.unpack('<IIII', data[off:off+16]); off += 16
    pkts.append(data[off:off+incl]); off += incl
for i, p in enumerate(pkts):
    print(i, len(p), p[12:14].hex())
def write(idx, path, how):
    p = pkts[idx]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        for line in how.strip().split('\n'): f.write('# ' + line + '\n')
        f.write('# %d bytes: one whole Ethernet II frame as captured (tcpdump -w on the host veth, ethtool -K tx off).\n' % len(p))
        for j in range(0, len(p), 16):
            f.write(' '.join('%02x' % b for b in p[j:j+16]) + '\n')
if len(sys.argv) > 1:
    exec(open(sys.argv[1]).read())
