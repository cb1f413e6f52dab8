// Drops the wasm module's debug-only custom sections ("name": function names for stack
// traces, 5.9 MB of the 32 MB module) after wasm-bindgen has run. wasm-opt would do it, but
// wasm-pack downloads wasm-opt at run time, which this build cannot rely on.
//   node www/strip-names.mjs pkg/segmo_wasm_bg.wasm
import { readFileSync, writeFileSync } from 'node:fs';

const DROP = new Set(['name']);
const path = process.argv[2];
const b = readFileSync(path);
if (b.readUInt32LE(0) !== 0x6d736100) throw new Error(`${path} is not a wasm module`);
const leb = (i) => {
  let v = 0;
  let shift = 0;
  for (;;) {
    const x = b[i++];
    v += (x & 0x7f) * 2 ** shift;
    shift += 7;
    if (x < 0x80) return [v, i];
  }
};
const keep = [b.subarray(0, 8)];
let dropped = 0;
for (let i = 8; i < b.length; ) {
  const start = i;
  const id = b[i++];
  const [size, body] = leb(i);
  const end = body + size;
  let name = null;
  if (id === 0) {
    const [len, at] = leb(body);
    name = b.subarray(at, at + len).toString('utf8');
  }
  if (name !== null && DROP.has(name)) dropped += end - start;
  else keep.push(b.subarray(start, end));
  i = end;
}
writeFileSync(path, Buffer.concat(keep));
console.log(`${path}: dropped ${(dropped / 1e6).toFixed(1)} MB of debug sections`);
