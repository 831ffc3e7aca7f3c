# Bounded probes from ikC-h: UDP with TTL/hop limit 1, UDP to a rejected port,
# TCP SYN to port 9 (rejected by nft with admin-prohibited). One of each per family.
import socket, time
for fam, dst in ((socket.AF_INET, '10.77.2.2'), (socket.AF_INET6, 'fd77:2::2')):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if fam == socket.AF_INET:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 1)
    else:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 1)
    s.bind(('', 40001))
    s.sendto(b'icmpkit-probe-ttl1', (dst, 33435)); time.sleep(0.3); s.close()
    s = socket.socket(fam, socket.SOCK_DGRAM); s.bind(('', 40002))
    s.sendto(b'icmpkit-probe-port', (dst, 33434)); time.sleep(0.3); s.close()
    t = socket.socket(fam, socket.SOCK_STREAM); t.settimeout(1.0)
    t.bind(('', 40003))
    try: t.connect((dst, 9))
    except OSError as e: print('tcp', e)
    t.close(); time.sleep(0.3)
