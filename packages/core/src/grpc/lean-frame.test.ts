import { Code, ConnectError } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import {
  decodeGrpcMessage,
  encodeFrame,
  encodeGrpcMessage,
  FrameReader,
  formatGrpcTimeout,
  parseGrpcTimeout,
} from './lean-frame.js';

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

function collect(reader: FrameReader, chunks: Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (const c of chunks) reader.push(c, (m) => out.push(Buffer.from(m)));
  return out;
}

describe('FrameReader', () => {
  const a = bytes(1000, 1);
  const b = bytes(0);
  const c = bytes(70_000, 3);
  const stream = Buffer.concat([encodeFrame(a), encodeFrame(b), encodeFrame(c)]);

  it('reads several frames from one chunk, including an empty message', () => {
    const out = collect(new FrameReader(1 << 20), [stream]);
    expect(out.map((m) => m.length)).toEqual([1000, 0, 70_000]);
    expect(out[2]!.equals(Buffer.from(c))).toBe(true);
  });

  it('reads frames split at every possible point, even byte by byte', () => {
    for (const size of [1, 2, 3, 4, 5, 6, 7, 999, 1003, 4096]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) chunks.push(stream.subarray(i, i + size));
      const reader = new FrameReader(1 << 20);
      const out = collect(reader, chunks);
      expect(out.map((m) => m.length)).toEqual([1000, 0, 70_000]);
      expect(out[0]!.equals(Buffer.from(a))).toBe(true);
      expect(out[2]!.equals(Buffer.from(c))).toBe(true);
      expect(reader.idle).toBe(true);
    }
  });

  it('hands a message that arrives whole in one chunk as a view, without copying', () => {
    const chunk = encodeFrame(a);
    let seen: Uint8Array | undefined;
    new FrameReader(1 << 20).push(chunk, (m) => {
      seen = m;
    });
    expect(seen!.buffer).toBe(chunk.buffer);
  });

  it('hands out plain Uint8Arrays, not Buffers (whose slice() would not copy)', () => {
    const out: Uint8Array[] = [];
    const framed = Buffer.concat([encodeFrame(a), encodeFrame(c)]);
    const reader = new FrameReader(1 << 20);
    reader.push(framed.subarray(0, 100), (m) => out.push(m));
    reader.push(framed.subarray(100), (m) => out.push(m));
    expect(out).toHaveLength(2);
    for (const m of out) expect(Buffer.isBuffer(m)).toBe(false);
    const copy = out[0]!.slice(0, 10);
    copy[0] = (copy[0]! + 1) & 0xff;
    expect(out[0]![0]).toBe(a[0]);
  });

  it('is not idle inside a frame', () => {
    const reader = new FrameReader(1 << 20);
    reader.push(stream.subarray(0, 3), () => {});
    expect(reader.idle).toBe(false);
  });

  it('rejects a message over the limit with RESOURCE_EXHAUSTED before buffering it', () => {
    const reader = new FrameReader(999);
    const err = (() => {
      try {
        reader.push(encodeFrame(a).subarray(0, 5), () => {});
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.ResourceExhausted);
    expect((err as ConnectError).rawMessage).toContain('1000 bytes is larger than the limit of 999');
  });

  it('rejects a compressed message with UNIMPLEMENTED naming the encoding', () => {
    const framed = encodeFrame(a);
    framed[0] = 1;
    try {
      new FrameReader(1 << 20, 'gzip').push(framed, () => {});
      expect.unreachable();
    } catch (e) {
      expect((e as ConnectError).code).toBe(Code.Unimplemented);
      expect((e as ConnectError).rawMessage).toContain("'gzip'");
    }
  });
});

describe('grpc-timeout', () => {
  it('parses every unit', () => {
    expect(parseGrpcTimeout('2H')).toBe(7_200_000);
    expect(parseGrpcTimeout('3M')).toBe(180_000);
    expect(parseGrpcTimeout('4S')).toBe(4000);
    expect(parseGrpcTimeout('250m')).toBe(250);
    expect(parseGrpcTimeout('1500u')).toBe(1.5);
    expect(parseGrpcTimeout('2000000n')).toBe(2);
    expect(parseGrpcTimeout(undefined)).toBeUndefined();
  });
  it('rejects malformed values with INVALID_ARGUMENT', () => {
    for (const v of ['', '10', 'm', '123456789m', '1.5S', '10x']) {
      expect(() => parseGrpcTimeout(v)).toThrow(/invalid grpc-timeout/);
    }
  });
  it('formats within 8 digits and round-trips', () => {
    expect(formatGrpcTimeout(1500)).toBe('1500m');
    expect(formatGrpcTimeout(0.2)).toBe('1m');
    expect(parseGrpcTimeout(formatGrpcTimeout(3e9))).toBeGreaterThanOrEqual(3e9);
    expect(formatGrpcTimeout(3e9)).toMatch(/^\d{1,8}[SM]$/);
  });
});

describe('grpc-message', () => {
  it('percent-encodes non-printable, non-ASCII and % and decodes back', () => {
    const text = 'bad\tinput: 100% ünïcode ✓\nline';
    const enc = encodeGrpcMessage(text);
    expect(enc).toMatch(/^[\x20-\x7e]*$/);
    expect(enc).toContain('100%25');
    expect(decodeGrpcMessage(enc)).toBe(text);
    expect(encodeGrpcMessage('plain text')).toBe('plain text');
    expect(decodeGrpcMessage('broken %zz')).toBe('broken %zz');
  });
});
