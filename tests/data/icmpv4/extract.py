#!/usr/bin/env python3
"""extract.py PCAP ICMP_TYPE OUT.hex COMMENT

Writes the first IPv4 packet in PCAP (Ethernet link type) whose ICMP type is
ICMP_TYPE as a hex fixture: '#' comment lines, then the packet's bytes as hex,
16 per line. Exits 1 when no such packet was captured."""
import struct
import sys


def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if linktype == 1:
            if struct.unpack("!H", frame[12:14])[0] != 0x0800:
                continue
            yield frame[14:]
        elif linktype == 113:  # Linux cooked
            yield frame[16:]
        else:
            yield frame


def main():
    path, want, out, comment = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    for pkt in packets(path):
        if pkt[0] >> 4 != 4 or pkt[9] != 1:
            continue
        ihl = (pkt[0] & 0xF) * 4
        if len(pkt) > ihl and pkt[ihl] == want:
            with open(out, "w") as f:
                f.write("# " + comment + "\n")
                f.write("# Whole IPv4 packet as captured by tcpdump on ikA-c's c0 (capture.sh);"
                        " the ICMP message starts at IHL*4.\n")
                for i in range(0, len(pkt), 16):
                    f.write(" ".join("%02x" % b for b in pkt[i:i + 16]) + "\n")
            print("wrote", out)
            return
    print("no ICMP type %d in %s" % (want, path), file=sys.stderr)
    sys.exit(1)


if __name__ == "__main__":
    main()
