'use strict';
// Run resolc 0.3.0's wasm build (npm @parity/resolc, dist/resolc/resolc.{js,wasm}) on one LLVM IR file, in memory.
// usage: node build_resolc.js <resolc package dir> <input.ll> <output dir> [extra resolc args...]
// Writes <output dir>/<name>.polkavm (and .pvmasm when --asm is passed); exits 1 with resolc's message on failure.
const fs = require('fs');
const path = require('path');
const [pkg, input, outDir, ...extra] = process.argv.slice(2);
if (!pkg || !input || !outDir) {
  console.error('usage: node build_resolc.js <resolc package dir> <input.ll> <output dir> [resolc args...]');
  process.exit(2);
}
const createRevive = require(path.join(pkg, 'dist/resolc/resolc.js'));
const m = createRevive();
m.soljson = require(require.resolve('solc/soljson', { paths: [pkg] }));  // unused in --llvm-ir mode, but required
const name = path.basename(input);
m.FS.mkdir('/in');
m.FS.mkdir('/out');
m.FS.writeFile('/in/' + name, fs.readFileSync(input));
let status = 0;
try {
  status = m.callMain(['--llvm-ir', '/in/' + name, '--bin', '-o', '/out', '--overwrite', ...extra]) || 0;
} catch (e) {
  status = typeof e === 'object' && e && 'status' in e ? e.status : 1;
  if (!(e && 'status' in e)) console.error(String(e && e.stack ? e.stack : e));
}
const out = m.readFromStdout();
const err = m.readFromStderr();
if (out) process.stdout.write(out);
if (err) process.stderr.write(err);
fs.mkdirSync(outDir, { recursive: true });
const walk = (dir) => m.FS.readdir(dir).filter((f) => f !== '.' && f !== '..').flatMap((f) => {
  const p = dir + '/' + f;
  return m.FS.isDir(m.FS.stat(p).mode) ? walk(p) : [p];
});
const produced = walk('/out');
for (const p of produced) fs.writeFileSync(path.join(outDir, path.basename(p)), m.FS.readFile(p));
console.error('resolc status ' + status + ', wrote: ' + produced.map((p) => path.basename(p)).join(', '));
process.exit(status === 0 && produced.length ? 0 : 1);
