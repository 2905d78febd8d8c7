// DocArray codec benchmark: encode + decode of 10 000 documents with 512-dim float32 embeddings and
// short texts, against bare @bufbuild/protobuf toBinary/fromBinary of the same generated messages.
// Run: npm run build && node benchmarks/src/docarray-codec.mjs
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { Document, DocumentArray, Tensor } from '@weft/docarray';
import { DocumentArrayProtoSchema } from '@weft/proto';

const N = 10_000;
const DIM = 512;
const ROUNDS = 7;

let seed = 42;
const rnd = () => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32;
};

const docs = new DocumentArray();
for (let i = 0; i < N; i++) {
  const e = new Float32Array(DIM);
  for (let j = 0; j < DIM; j++) e[j] = rnd() * 2 - 1;
  docs.push(new Document({ text: `short text number ${i}`, embedding: new Tensor(e) }));
}
const messages = docs.toProto(); // the same generated messages, for the baseline

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function time(fn) {
  const t0 = performance.now();
  const out = fn();
  return [performance.now() - t0, out];
}

// The variants run interleaved, round by round, so that load from other processes on the machine
// affects each of them alike.
const variants = [
  {
    label: 'baseline: protobuf-es toBinary/fromBinary',
    encode: () => toBinary(DocumentArrayProtoSchema, messages),
    decode: (b) => fromBinary(DocumentArrayProtoSchema, b),
  },
  {
    label: '@weft/docarray toBytes/fromBytes',
    encode: () => docs.toBytes(),
    decode: (b) => DocumentArray.fromBytes(b),
  },
  {
    label: '@weft/docarray via messages (toProto+toBinary)',
    encode: () => toBinary(DocumentArrayProtoSchema, docs.toProto()),
    decode: (b) => DocumentArray.fromProto(fromBinary(DocumentArrayProtoSchema, b)),
  },
  {
    label: '@weft/docarray streaming form',
    encode: () => docs.toBytes({ protocol: 'protobuf' }),
    decode: (b) => DocumentArray.fromBytes(b, { protocol: 'protobuf' }),
  },
];
for (const v of variants) {
  v.enc = [];
  v.dec = [];
}
for (let r = 0; r < ROUNDS + 2; r++) {
  for (const v of variants) {
    const [te, b] = time(v.encode);
    const [td] = time(() => v.decode(b));
    v.bytes = b;
    if (r >= 2) {
      v.enc.push(te);
      v.dec.push(td);
    }
  }
}

console.log(
  `DocArray codec: ${N} documents × ${DIM}-dim float32 embedding + short text (median of ${ROUNDS})`,
);
for (const v of variants) {
  const e = median(v.enc);
  const d = median(v.dec);
  v.total = e + d;
  console.log(
    `${v.label.padEnd(47)} encode ${e.toFixed(1).padStart(6)} ms  decode ${d.toFixed(1).padStart(6)} ms  ` +
      `total ${v.total.toFixed(1).padStart(6)} ms  ${((N / v.total) * 1000).toFixed(0).padStart(7)} docs/s  ` +
      `${(v.bytes.length / 2 ** 20).toFixed(1)} MiB`,
  );
}
const [base, ours, viaProto, stream] = variants;

const same = Buffer.from(base.bytes).equals(Buffer.from(ours.bytes));
console.log(`bytes identical to protobuf-es: ${same}`);
const ratio = base.total / ours.total;
console.log(
  `throughput ratio toBytes/fromBytes vs baseline: ${ratio.toFixed(2)} (target ≥ 0.80) ${ratio >= 0.8 ? 'PASS' : 'FAIL'}`,
);
console.log(`throughput ratio via messages vs baseline:     ${(base.total / viaProto.total).toFixed(2)}`);
console.log(`throughput ratio streaming form vs baseline:   ${(base.total / stream.total).toFixed(2)}`);
if (!same) process.exitCode = 1;
