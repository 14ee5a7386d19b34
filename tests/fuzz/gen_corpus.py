#!/usr/bin/python3
"""Generates the seed corpora for fuzz_query, fuzz_response and fuzz_hosts (dnspython), the
Leave and Restore inputs of fuzz_command (the older command inputs were written by hand), and the
framing inputs of fuzz_snapshot_file, the ServiceRecords of fuzz_service_record (its valid snapshot, snapshot_file/saved, was written by
`muster snapshot save` from a dev agent holding one node and service)."""
import hashlib
import os
import struct

import dns.edns
import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rrset

HERE = os.path.dirname(os.path.abspath(__file__))


def write(kind, name, data):
    d = os.path.join(HERE, 'corpus', kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def header(id_, flags, qd, an, ns, ar):
    return struct.pack('!HHHHHH', id_, flags, qd, an, ns, ar)


def qname(text):
    out = b''
    for label in text.strip('.').split('.'):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b'\0'


def queries():
    q = dns.message.make_query('www.example.com', 'A')
    write('query', 'plain_a', q.to_wire())
    q = dns.message.make_query('WwW.Example.COM', 'AAAA', use_edns=0, payload=4096, want_dnssec=True)
    write('query', 'edns_do_mixed_case', q.to_wire())
    q = dns.message.make_query('_http._tcp.web.service.internal', 'SRV', use_edns=0, payload=1232)
    write('query', 'edns_srv', q.to_wire())
    q = dns.message.make_query('x.internal', 'TXT', use_edns=0, payload=100)
    write('query', 'edns_small_payload', q.to_wire())
    q = dns.message.make_query('x.internal', 'A', use_edns=1)
    write('query', 'edns_version1', q.to_wire())
    q = dns.message.make_query('cookie.example', 'A', use_edns=0,
                               options=[dns.edns.GenericOption(10, b'12345678')])
    write('query', 'edns_cookie', q.to_wire())
    q = dns.message.make_query('.', 'NS')
    write('query', 'root_ns', q.to_wire())
    q = dns.message.make_query('1.2.0.192.in-addr.arpa', 'PTR')
    write('query', 'ptr', q.to_wire())
    q = dns.message.make_query('example.com', 'ANY')
    write('query', 'any', q.to_wire())
    q = dns.message.make_query('example.com', 'A')
    q.set_opcode(dns.opcode.NOTIFY)
    write('query', 'opcode_notify', q.to_wire())
    q = dns.message.make_query('example.com', 'A')
    q.flags |= dns.flags.QR
    write('query', 'qr_set', q.to_wire())
    base = dns.message.make_query('a.example', 'A').to_wire()
    write('query', 'trailing_junk', base + b'\xff\xff')
    write('query', 'truncated_question', base[:-3])
    write('query', 'runt', base[:7])
    write('query', 'empty', b'')
    write('query', 'header_only', header(1, 0x0100, 0, 0, 0, 0))
    write('query', 'two_questions', header(1, 0x0100, 2, 0, 0, 0) + qname('a') + b'\0\1\0\1' +
          qname('b') + b'\0\1\0\1')
    write('query', 'compressed_question', header(1, 0, 1, 0, 0, 0) + b'\xc0\x0c\0\1\0\1')
    write('query', 'pointer_loop_additional', header(1, 0, 1, 0, 0, 1) + qname('a') +
          b'\0\1\0\1' + b'\xc0\x13' + b'\0\1\0\1\0\0\0\0\0\0')
    opt = b'\0' + struct.pack('!HHIH', 41, 1232, 0, 0)
    write('query', 'two_opt', header(1, 0, 1, 0, 0, 2) + qname('a') + b'\0\1\0\1' + opt + opt)
    write('query', 'opt_not_root', header(1, 0, 1, 0, 0, 1) + qname('a') + b'\0\1\0\1' +
          qname('a') + struct.pack('!HHIH', 41, 1232, 0, 0))
    write('query', 'opt_bad_option', header(1, 0, 1, 0, 0, 1) + qname('a') + b'\0\1\0\1' +
          b'\0' + struct.pack('!HHIH', 41, 1232, 0, 5) + b'\0\x0a\0\x09\1')
    write('query', 'answer_count', header(1, 0, 1, 1, 0, 0) + qname('a') + b'\0\1\0\1')
    write('query', 'label_too_long', header(1, 0, 1, 0, 0, 0) + b'\x40' + b'a' * 64 +
          b'\0\0\1\0\1')
    write('query', 'max_name', header(1, 0, 1, 0, 0, 0) +
          (b'\x3f' + b'a' * 63) * 3 + b'\x3d' + b'b' * 61 + b'\0\0\1\0\1')


def response(qn, rdtype, answers=(), authority=(), rcode=0, edns=True, flags=0):
    q = dns.message.make_query(qn, rdtype, use_edns=0 if edns else False)
    r = dns.message.make_response(q)
    r.set_rcode(rcode)
    r.flags |= flags
    for text in answers:
        r.answer.append(dns.rrset.from_text(*text))
    for text in authority:
        r.authority.append(dns.rrset.from_text(*text))
    return r.to_wire(max_size=65535)


def responses():
    soa = ('example.com.', 900, 'IN', 'SOA',
           'ns1.example.com. hostmaster.example.com. 1 7200 900 1209600 300')
    write('response', 'a_two_rrs', response('www.example.com', 'A', [
        ('www.example.com.', 300, 'IN', 'A', '192.0.2.1', '192.0.2.2')]))
    write('response', 'cname_chain', response('www.example.com', 'A', [
        ('www.example.com.', 60, 'IN', 'CNAME', 'web.example.com.'),
        ('web.example.com.', 30, 'IN', 'A', '192.0.2.7')]))
    write('response', 'nxdomain_soa', response('nx.example.com', 'A', authority=[soa], rcode=3))
    write('response', 'nodata_soa', response('www.example.com', 'MX', authority=[soa]))
    write('response', 'nxdomain_no_soa', response('nx.example.com', 'A', rcode=3, edns=False))
    write('response', 'servfail', response('www.example.com', 'A', rcode=2))
    write('response', 'truncated', response('www.example.com', 'A', flags=dns.flags.TC))
    write('response', 'srv_mx_txt', response('_x._tcp.example.com', 'SRV', [
        ('_x._tcp.example.com.', 60, 'IN', 'SRV', '10 5 8080 host.example.com.'),
        ('_x._tcp.example.com.', 60, 'IN', 'TXT', '"hello" "world"'),
        ('_x._tcp.example.com.', 60, 'IN', 'MX', '10 mail.example.com.')]))
    write('response', 'aaaa_no_edns', response('v6.example.com', 'AAAA', [
        ('v6.example.com.', 120, 'IN', 'AAAA', '2001:db8::1')], edns=False))
    many = ['10.0.%d.%d' % (i // 250, i % 250) for i in range(300)]
    write('response', 'many_rrs', response('big.example.com', 'A', [
        ('big.example.com.', 60, 'IN', 'A', *many)]))
    good = response('www.example.com', 'A', [('www.example.com.', 300, 'IN', 'A', '192.0.2.1')])
    write('response', 'trailing_junk', good + b'\0\0\0')
    for cut in (5, 12, 20, 33, len(good) - 12, len(good) - 1):
        write('response', 'cut_%d' % cut, good[:cut])
    q = qname('www.example.com') + b'\0\1\0\1'
    hdr = header(7, 0x8180, 1, 1, 0, 0)
    write('response', 'self_pointer', hdr + q + struct.pack('!H', 0xC000 | (12 + len(q))) +
          b'\0\1\0\1\0\0\0\x3c\0\4\xc0\0\2\1')
    write('response', 'pointer_out_of_range', hdr + q + b'\xff\xff\0\1\0\1\0\0\0\x3c\0\4\xc0\0\2\1')
    write('response', 'pointer_loop_two', hdr + q + b'\x01a' +
          struct.pack('!H', 0xC000 | (12 + len(q) + 4)) + b'\x01b' +
          struct.pack('!H', 0xC000 | (12 + len(q))) + b'\0\1\0\1\0\0\0\x3c\0\0')
    opt = b'\0' + struct.pack('!HHIH', 41, 1232, 0, 0)
    write('response', 'opt_not_last', header(7, 0x8180, 1, 0, 0, 2) + q + opt +
          b'\xc0\x0c\0\1\0\1\0\0\0\x3c\0\4\xc0\0\2\1')
    write('response', 'opt_badvers', header(7, 0x8180, 1, 0, 0, 1) + q +
          b'\0' + struct.pack('!HHIH', 41, 1232, 0x01000000, 0))
    write('response', 'query_not_response', header(7, 0x0100, 1, 0, 0, 0) + q)
    write('response', 'soa_rdata_short', header(7, 0x8183, 1, 0, 1, 0) + q + b'\xc0\x10' +
          struct.pack('!HHIH', 6, 1, 60, 5) + b'\0\0\0\0\0')
    write('response', 'ttl_top_bit', header(7, 0x8180, 1, 1, 0, 0) + q +
          b'\xc0\x0c\0\1\0\1\x80\0\0\0\0\4\xc0\0\2\1')


def hosts():
    write('hosts', 'debian_default', '127.0.0.1\tlocalhost\n127.0.1.1\thost.lan host\n\n'
          '# The following lines are desirable for IPv6 capable hosts\n'
          '::1     localhost ip6-localhost ip6-loopback\nff02::1 ip6-allnodes\n'
          'ff02::2 ip6-allrouters\n')
    write('hosts', 'comments', '# only\n   # indented\n10.0.0.1 a # trailing b\n#10.0.0.2 c\n')
    write('hosts', 'crlf_tabs', '10.0.0.1\tMail.Example\t smtp\r\n10.0.0.2 db\r\n')
    write('hosts', 'bad_address', '300.1.1.1 x\n1.2.3 y\nfe80::1%eth0 z\n10.0.0.1 ok\n')
    write('hosts', 'bad_names', '10.0.0.1 a..b\n10.0.0.2 ' + 'a' * 64 + '\n10.0.0.3 x\\y .\n')
    write('hosts', 'no_name', '10.0.0.1\n10.0.0.2 # c\n')
    write('hosts', 'no_newline', '10.0.0.1 last')
    write('hosts', 'many_aliases', '10.0.0.9 ' + ' '.join('alias%d.lan' % i for i in range(50)) + '\n')
    write('hosts', 'long_name', '10.0.0.1 ' + '.'.join(['b' * 63] * 4) + '\n')
    write('hosts', 'binary', bytes(range(256)))
    write('hosts', 'empty', b'')
    write('hosts', 'v6_forms', '::ffff:10.0.0.1 mapped\n2001:db8::1 v6\n:: any\n[::1] bracket\n')


def msgpack(v):
    """The little MessagePack the command inputs need (small maps, arrays, strings, ints)."""
    if v is None:
        return b'\xc0'
    if isinstance(v, bool):
        return b'\xc3' if v else b'\xc2'
    if isinstance(v, int):
        assert 0 <= v < 128
        return bytes([v])
    if isinstance(v, str):
        b = v.encode()
        assert len(b) < 32
        return bytes([0xa0 | len(b)]) + b
    if isinstance(v, list):
        assert len(v) < 16
        return bytes([0x90 | len(v)]) + b''.join(msgpack(x) for x in v)
    assert isinstance(v, dict) and len(v) < 16
    return bytes([0x80 | len(v)]) + b''.join(msgpack(k) + msgpack(x) for k, x in v.items())


def commands():
    def batch(*cmds):
        return b'\1' + msgpack(list(cmds))

    def leave(node='cli-1', server=False, **extra):
        return dict({'node': node, 'server': server, 'type': 'Leave'}, **extra)
    write('command', 'leave_client', batch(leave()))
    write('command', 'leave_server', batch(leave('srv-2', True)))
    write('command', 'leave_in_batch', batch(
        {'check_id': None, 'node': 'a', 'service_id': None, 'type': 'Deregister'}, leave('a'),
        {'check_id': 'serfHealth', 'node': 'b', 'output': '', 'status': 'critical',
         'type': 'UpdateCheck'}))
    write('command', 'leave_no_server', batch({'node': 'cli-1', 'type': 'Leave'}))
    write('command', 'leave_server_not_bool', batch(leave(server=1)))
    write('command', 'leave_node_nil', batch(leave(node=None)))
    write('command', 'leave_unknown_key', batch(leave(service_id='x')))
    write('command', 'leave_truncated', batch(leave())[:-3])

    node = {'address': '10.0.0.5', 'create_index': 0, 'datacenter': 'dc1', 'meta': {},
            'modify_index': 0, 'name': 'db-1', 'tagged_addresses': {}}
    service = {'address': '', 'create_index': 0, 'enable_tag_override': False, 'id': 'pg',
               'meta': {}, 'modify_index': 0, 'name': 'postgres', 'node': 'db-1', 'port': 99,
               'tags': ['primary'], 'weights': {'passing': 1, 'warning': 1}}
    check = {'create_index': 0, 'id': 'pg-tcp', 'modify_index': 0, 'name': 'tcp',
             'node': 'db-1', 'notes': '', 'output': '', 'service_id': 'pg',
             'service_name': 'postgres', 'status': 'passing', 'type': 'tcp'}

    def restore(nodes, services, checks):
        return {'checks': checks, 'datacenter': 'dc1', 'nodes': nodes, 'services': services,
                'type': 'Restore'}
    write('command', 'restore_one_service', batch(restore([node], [service], [check])))
    write('command', 'restore_empty', batch(restore([], [], [])))
    write('command', 'restore_node_not_map', batch(restore(['db-1'], [], [])))
    write('command', 'restore_no_services', batch(
        {'checks': [], 'datacenter': 'dc1', 'nodes': [node], 'type': 'Restore'}))
    write('command', 'restore_truncated', batch(restore([node], [service], [check]))[:-7])


def snapshot_files():
    def frame(image, version=1, raft_index=7, index=5, dc=b'dc1'):
        head = b'MUSTERSNAP' + struct.pack('<HQQH', version, raft_index, index, len(dc)) + dc
        body = head + struct.pack('<Q', len(image)) + image
        return body + hashlib.sha256(body).digest()
    write('snapshot_file', 'foreign_hosts', '127.0.0.1 localhost\n')
    write('snapshot_file', 'empty', b'')
    write('snapshot_file', 'magic_only', b'MUSTERSNAP')
    write('snapshot_file', 'framed_garbage', frame(b'not an image'))
    write('snapshot_file', 'framed_empty', frame(b''))
    write('snapshot_file', 'version_2', frame(b'x', version=2))
    write('snapshot_file', 'long_length', frame(b'abc')[:-32 - 3] + b'abc')
    damaged = bytearray(frame(b'image bytes'))
    damaged[-40] ^= 1
    write('snapshot_file', 'bad_checksum', bytes(damaged))
    write('snapshot_file', 'trailing', frame(b'abc') + b'\0')


def service_records():
    """ServiceRecords of layout 2 (src/catalog/dns_record.hh), as the store writes them, and
    damaged ones."""
    def instance(health, addr, node, tags, port=80, own=False):
        fam = 4 if len(addr) == 4 else 6 if len(addr) == 16 else 0
        b = struct.pack('<BB', health, fam) + addr.ljust(16, b'\0')
        b += struct.pack('<BHHH', 1 if own else 0, port, 1, 1)
        b += bytes([len(node)]) + node + bytes([len(tags)])
        for t in tags:
            b += bytes([len(t)]) + t
        return b

    def record(insts):  # insts: (health, addr, node, tags); sorted by health like the store
        insts = sorted(insts, key=lambda i: i[0])
        body = [instance(*i) for i in insts]
        head_size = 25 + 4 * len(body)
        offsets, at = [], head_size
        for b in body:
            offsets.append(at)
            at += len(b)
        addrs = b''
        for width in (4, 16):
            seen, out, n = set(), b'', [0, 0]
            for h, a, _, _ in insts:
                if h < 2 and len(a) == width and a not in seen:
                    seen.add(a)
                    out += a
                    n[h] += 1
            addrs += struct.pack('<II', *n) + out
        groups = {}
        for k, (h, _, _, tags) in enumerate(insts):
            if h < 2:
                for t in tags:
                    nums = groups.setdefault(t.lower(), [])
                    if not nums or nums[-1] != k:
                        nums.append(k)
        names = sorted(groups)
        entries, table, off = b'', b'', 4 + 4 * len(names)
        for t in names:
            nums = groups[t]
            npass = sum(1 for k in nums if insts[k][0] == 0)
            e = bytes([len(t)]) + t + struct.pack('<II', npass, len(nums) - npass)
            e += b''.join(struct.pack('<I', k) for k in nums)
            table += struct.pack('<I', off)
            off += len(e)
            entries += e
        tags = struct.pack('<I', len(names)) + table + entries
        addrs_at = at
        tags_at = addrs_at + len(addrs)
        size = tags_at + len(tags)
        passing = sum(1 for i in insts if i[0] == 0)
        warning = sum(1 for i in insts if i[0] == 1)
        head = struct.pack('<BIIIIII', 2, size, len(body), passing, warning, addrs_at, tags_at)
        return head + b''.join(struct.pack('<I', o) for o in offsets) + b''.join(body) + addrs + tags

    v4 = lambda n: bytes([10, 0, 0, n])
    v6 = bytes.fromhex('20010db8000000000000000000000001')
    mixed = record([(0, v4(1), b'alpha', [b'Primary', b'v1']), (1, v6, b'beta', [b'v1']),
                    (2, v4(3), b'gamma', [b'primary']), (0, v4(1), b'delta', []),
                    (0, b'', b'epsilon', [b'v1', b'V1'])])
    write('service_record', 'mixed', mixed)
    write('service_record', 'one', record([(0, v4(9), b'n', [])]))
    write('service_record', 'empty', record([]))
    write('service_record', 'many_tags',
          record([(k % 2, v4(k), b'n%d' % k, [b't%d' % (k % 7), b'all']) for k in range(40)]))
    write('service_record', 'truncated', mixed[:-5])
    write('service_record', 'version_1', b'\x01' + mixed[1:])
    bad = bytearray(mixed)
    bad[25:29] = struct.pack('<I', 0xfffffff0)  # the first offset points far away
    write('service_record', 'bad_offset', bytes(bad))
    bad = bytearray(mixed)
    bad[-4:] = b'\xff\xff\xff\x7f'  # the last tag's instance number
    write('service_record', 'bad_tag_number', bytes(bad))


if __name__ == '__main__':
    service_records()
    queries()
    responses()
    hosts()
    commands()
    snapshot_files()
