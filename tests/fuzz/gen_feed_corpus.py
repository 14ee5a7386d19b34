#!/usr/bin/python3
"""Generates the seed corpus for fuzz_feed: the change feed's payloads (feed_messages.hh),
valid ones and each cut short."""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'corpus', 'feed')


def write(name, data):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def s16(text):
    return struct.pack('<H', len(text)) + text.encode()


def entry_bytes(commands):
    out = struct.pack('<BQQI', 1, 7, 1, len(commands))
    for c in commands:
        out += struct.pack('<I', len(c)) + c
    return out + b'\0' * (-len(out) % 8)


def main():
    valid = {
        'feed_request': json.dumps({'node': 'client-1', 'address': '10.0.0.5', 'from_index': 42}),
        'heartbeat': json.dumps({'node': 'client-1', 'applied': 42}),
        'heartbeat_reply': json.dumps({'leader': '127.0.0.1:8300', 'last_applied': 9,
                                       'servers': ['127.0.0.1:8300', '127.0.0.2:8300']}),
        'apply_reply': json.dumps({'fate': 'applied', 'value': 3}),
        'entry': b'\x01' + struct.pack('<Q', 5) + entry_bytes([b'set a 1', b'del b']),
        'snapshot_chunk': b'\x02' + struct.pack('<QQQ', 9, 10, 6, ) + b'wxyz',
        'snapshot_empty': b'\x02' + struct.pack('<QQQ', 9, 0, 0),
        'servers': b'\x03' + s16('127.0.0.1:8300') + struct.pack('<H', 2) +
                   s16('127.0.0.1:8300') + s16('127.0.0.2:8300'),
        'refused': b'\x04not in a cluster yet',
        'report': json.dumps({'node': 'srv-2', 'address': '10.0.0.12',
                              'attached': ['cli-1', '10.0.0.21', 'cli-2', '10.0.0.22'],
                              'detached': ['cli-3']}),
    }
    for name, data in valid.items():
        data = data if isinstance(data, bytes) else data.encode()
        write(name, data)
        write(name + '_truncated', data[:len(data) * 2 // 3])
    write('snapshot_outside', b'\x02' + struct.pack('<QQQ', 9, 10, 8) + b'abcd')
    write('servers_count_lies', b'\x03' + s16('') + struct.pack('<H', 500))
    write('unknown_kind', b'\x09\x00')
    write('empty', b'')
    write('report_odd_attached', json.dumps({'node': 'srv-2', 'attached': ['cli-1']}).encode())


if __name__ == '__main__':
    main()
