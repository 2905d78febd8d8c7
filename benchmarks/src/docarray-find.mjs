// DocArray find benchmark: top-10 by cosine over 100 000 × 256 float32 for 10 queries, against a
// plain Float32Array dot-product loop over the same matrix, and the memory held while it runs.
// Run: npm run build && node benchmarks/src/docarray-find.mjs
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DocumentArray, Tensor } from '@weft/docarray';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

const N = 100_000;
const DIM = 256;
const Q = 10;
const K = 10;
const ROUNDS = 5;

let seed = 7;
const rnd = () => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32 - 0.5;
};
const mem = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

gc();
const m0 = mem();
const matrix = new Float32Array(N * DIM);
for (let i = 0; i < matrix.length; i++) matrix[i] = rnd();
const queries = new Float32Array(Q * DIM);
for (let i = 0; i < queries.length; i++) queries[i] = rnd();
gc();
const mMatrix = mem();
const matrixBytes = matrix.byteLength;

const index = DocumentArray.empty(N);
index.embeddings = new Tensor(matrix, [N, DIM]); // each document gets a zero-copy row view
const queryTensor = new Tensor(queries, [Q, DIM]);
gc();
const mIndex = mem();

// Baseline: the plain loop, one dot product per (query, row), scores kept in a Float32Array.
function baseline() {
  const scores = new Float32Array(N);
  let checksum = 0;
  for (let q = 0; q < Q; q++) {
    const qo = q * DIM;
    for (let i = 0; i < N; i++) {
      const ro = i * DIM;
      let s = 0;
      for (let j = 0; j < DIM; j++) s += matrix[ro + j] * queries[qo + j];
      scores[i] = s;
    }
    checksum += scores[0];
  }
  return checksum;
}

const tBase = [];
const tFind = [];
let heldDuringFind = 0;
let result;
for (let r = 0; r < ROUNDS + 1; r++) {
  let t = performance.now();
  baseline();
  const b = performance.now() - t;
  gc();
  const before = mem();
  t = performance.now();
  result = index.find(queryTensor, { metric: 'cosine', limit: K });
  const f = performance.now() - t;
  heldDuringFind = Math.max(heldDuringFind, mem() - before);
  if (r > 0) {
    tBase.push(b);
    tFind.push(f);
  }
}

// Check the result against a brute-force cosine ranking of the first query.
const q0 = queries.subarray(0, DIM);
const qn = Math.hypot(...q0);
const brute = [];
for (let i = 0; i < N; i++) {
  let s = 0;
  let n = 0;
  for (let j = 0; j < DIM; j++) {
    s += matrix[i * DIM + j] * q0[j];
    n += matrix[i * DIM + j] ** 2;
  }
  brute.push([1 - s / (qn * Math.sqrt(n)), i]);
}
brute.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
const ok = brute.slice(0, K).every(([, i], k) => result[0].at(k).id === index.at(i).id);

const base = median(tBase);
const find = median(tFind);
console.log(`DocArray find: top-${K} cosine over ${N} × ${DIM} float32, ${Q} queries (median of ${ROUNDS})`);
console.log(`baseline: plain Float32Array dot-product loop  ${base.toFixed(1).padStart(7)} ms`);
console.log(`@weft/docarray find                           ${find.toFixed(1).padStart(7)} ms`);
console.log(
  `time ratio find / baseline: ${(find / base).toFixed(2)} (target ≤ 1.50) ${find / base <= 1.5 ? 'PASS' : 'FAIL'}`,
);
console.log(`results match brute force: ${ok}`);
console.log(`matrix: ${mib(matrixBytes)}; measured ${mib(mMatrix - m0)} for matrix + queries`);
console.log(
  `index (100k Documents whose embeddings view the matrix): ${mib(mIndex - mMatrix)} beyond the matrix`,
);
const held = matrixBytes + heldDuringFind;
console.log(
  `memory held during find: matrix ${mib(matrixBytes)} + allocated by find ${mib(heldDuringFind)} = ${mib(held)}` +
    ` → ${(held / matrixBytes).toFixed(2)}× the matrix (target ≤ 1.30) ${held / matrixBytes <= 1.3 ? 'PASS' : 'FAIL'}`,
);
if (!ok) process.exitCode = 1;
