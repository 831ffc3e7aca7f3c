#!/usr/bin/env python3
"""Writes the RFC 4884 extension fixtures in this folder.

Linux routers never add RFC 4884 extensions, so these messages cannot be
captured in the namespace lab. They are built here by hand, byte by byte, from
the layouts of RFC 4884 §7-8 (structure, object header), RFC 4950 §7 (MPLS
label stack object), RFC 5837 §4 (interface information object) and RFC 8335
§2.1 (interface identification object). Where a message quotes a datagram, the
quote is a REAL captured probe from tests/data/ip/. Independent of icmpkit:
only Python's struct module and a textbook RFC 1071 checksum.
"""
import os, struct

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.dirname(HERE)

def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def load(rel):
    out = bytearray()
    for line in open(os.path.join(DATA, rel)):
        if line.startswith('#'): continue
        out += bytes(int(w, 16) for w in line.split())
    return bytes(out)

def ip_of_frame(frame):
    return frame[14:]

def structure(objects, with_checksum=True):
    body = b''.join(objects)
    s = bytearray(b'\x20\x00\x00\x00' + body)
    if with_checksum: s[2:4] = struct.pack('!H', csum(bytes(s)))
    return bytes(s)

def obj(class_num, c_type, payload):
    return struct.pack('!HBB', 4 + len(payload), class_num, c_type) + payload

def mpls(label, tc, s, ttl):
    return struct.pack('!I', (label << 12) | (tc << 9) | (s << 8) | ttl)

def write(name, data, how):
    with open(os.path.join(HERE, name), 'w') as f:
        for line in how.strip().split('\n'): f.write('# ' + line + '\n')
        f.write('# %d bytes. Built by make_fixtures.py (hand-built: Linux never sends RFC 4884 extensions).\n' % len(data))
        for i in range(0, len(data), 16):
            f.write(' '.join('%02x' % b for b in data[i:i + 16]) + '\n')

# RFC 4950: two-entry label stack (top label 16001, TTL 1; bottom label 299776, S=1, TC 5, TTL 1).
mpls_obj = obj(1, 1, mpls(16001, 0, 0, 1) + mpls(299776, 5, 1, 1))
mpls_struct = structure([mpls_obj])
write('rfc4950_mpls_structure.hex', mpls_struct,
      'RFC 4884 extension structure (version 2, checksum computed) holding one RFC 4950 MPLS label stack object\n'
      '(class 1, c-type 1): label 16001 TC 0 S 0 TTL 1; label 299776 TC 5 S 1 TTL 1.')

# ICMPv4 time exceeded for the captured UDP probe, quote padded to 128 bytes, RFC 4884 length 32 words.
quote = ip_of_frame(load('ip/v4_udp_probe_ttl1_frame.hex'))
quote128 = quote + b'\0' * (128 - len(quote))
def icmpv4(type_, code, length_words, body):
    m = bytearray(struct.pack('!BBHBBH', type_, code, 0, 0, length_words, 0) + body)
    m[2:4] = struct.pack('!H', csum(bytes(m)))
    return bytes(m)
write('v4_time_exceeded_mpls.hex', icmpv4(11, 0, 32, quote128 + mpls_struct),
      'ICMPv4 time exceeded (11/0) as an MPLS LSR sends it (RFC 4950): RFC 4884 length 32 (128 bytes),\n'
      'the quote is the captured UDP probe tests/data/ip/v4_udp_probe_ttl1_frame.hex zero-padded to 128 bytes,\n'
      'then rfc4950_mpls_structure.hex. Starts at the ICMP header (no IP header).')
write('v4_time_exceeded_mpls_noncompliant.hex', icmpv4(11, 0, 0, quote128 + mpls_struct),
      'Same as v4_time_exceeded_mpls.hex but with the RFC 4884 length field 0: the "non-compliant" form\n'
      'of RFC 4884 §5 (pre-RFC 4884 MPLS routers), extension structure at offset 128 of the body.')

# RFC 5837: incoming interface of the router ikC-r: ifIndex 2, IPv6 fd77:1::1, name "ikCr0", MTU 1500.
name = b'ikCr0'
name_len = (1 + len(name) + 3) // 4 * 4
ipaddr = bytes.fromhex('fd770001000000000000000000000001')
info_payload = (struct.pack('!I', 2) + struct.pack('!HH', 2, 0) + ipaddr +
                bytes([name_len]) + name + b'\0' * (name_len - 1 - len(name)) + struct.pack('!I', 1500))
ctype = (0 << 6) | 0x08 | 0x04 | 0x02 | 0x01
info_obj = obj(2, ctype, info_payload)
# RFC 5837: outgoing interface, ifIndex 3 and IPv4 address only.
out_obj = obj(2, (2 << 6) | 0x08 | 0x04, struct.pack('!I', 3) + struct.pack('!HH', 1, 0) + bytes([10, 77, 2, 1]))
info_struct = structure([info_obj, out_obj])
write('rfc5837_interface_info_structure.hex', info_struct,
      'RFC 4884 extension structure with two RFC 5837 interface information objects (class 2):\n'
      'incoming (role 0, c-type 0x0f): ifIndex 2, IPv6 fd77:1::1, name "ikCr0" (length 8), MTU 1500;\n'
      'outgoing (role 2, c-type 0x8c): ifIndex 3, IPv4 10.77.2.1.')

# ICMPv6 time exceeded for the captured v6 UDP probe: quote padded to 128 bytes, length 16 (64-bit words).
q6 = ip_of_frame(load('ip/v6_udp_probe_port_frame.hex'))
q6_128 = q6 + b'\0' * (128 - len(q6))
src = bytes.fromhex('fd770001000000000000000000000001')
dst = bytes.fromhex('fd770001000000000000000000000002')
m6 = bytearray(struct.pack('!BBHBBH', 3, 0, 0, 16, 0, 0) + q6_128 + info_struct)
pseudo = src + dst + struct.pack('!I', len(m6)) + b'\0\0\0\x3a'
m6[2:4] = struct.pack('!H', csum(pseudo + bytes(m6)))
write('v6_time_exceeded_interface_info.hex', bytes(m6),
      'ICMPv6 time exceeded (3/0) from fd77:1::1 to fd77:1::2 (checksum over that pseudo-header),\n'
      'RFC 4884 length 16 (128 bytes): the captured probe tests/data/ip/v6_udp_probe_port_frame.hex padded\n'
      'to 128 bytes, then rfc5837_interface_info_structure.hex. Starts at the ICMPv6 header.')

# RFC 8335 §2.1 interface identification objects (class 3), one structure each.
write('rfc8335_by_name_structure.hex', structure([obj(3, 1, b'ikCr0\0\0\0')]),
      'RFC 8335 interface identification object, c-type 1 (by name): "ikCr0" NUL-padded to 8 bytes.')
write('rfc8335_by_index_structure.hex', structure([obj(3, 2, struct.pack('!I', 7))]),
      'RFC 8335 interface identification object, c-type 2 (by index): ifIndex 7.')
write('rfc8335_by_address_structure.hex',
      structure([obj(3, 3, struct.pack('!HBB', 1, 4, 0) + bytes([10, 77, 2, 1]))]),
      'RFC 8335 interface identification object, c-type 3 (by address): AFI 1, length 4, 10.77.2.1.')

# An unknown class kept raw, with the checksum left 0 ("not computed", RFC 4884 §7).
write('unknown_class_no_checksum_structure.hex',
      structure([obj(200, 7, b'\xde\xad\xbe\xef\x01\x02'), mpls_obj], with_checksum=False),
      'Extension structure with checksum 0 (not computed, RFC 4884 §7): an unassigned class 200 c-type 7\n'
      'object with 6 payload bytes (length 10, not a multiple of 4), then the MPLS object above.')
