// Run one program on anan-as (AssemblyScript PVM, wasm) and print a JSON result line.
//
// Usage: node anan_driver.mjs <path to anan-as dist/build/BUILD.js>   (job as JSON on stdin)
// Job: {"program": hex of the GP program (polkavm section 6 payload), "pc": int, "gas": int,
//       "regs": [13 ints], "write_pages": [4 KiB page numbers], "target_seconds": float, "max_runs": int}
//
// The program runs at least once and again until target_seconds of execution time have accumulated
// (or max_runs). Only the pvmResume call is timed: module load, prepareProgram and pvmStart are not.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const api = await import(pathToFileURL(process.argv[2]).href);
const job = JSON.parse(readFileSync(0, "utf8"));
const code = Array.from(Buffer.from(job.program, "hex"));
const regs = job.regs.map((r) => BigInt(r));
const pages = job.write_pages.map((p) => ({ address: p * 4096, length: 4096, access: 2 }));
const gas = BigInt(job.gas);
// Preallocate every page up front (else anan-as logs "Run out of pages! Allocating." mid-run).
const preallocate = job.write_pages.length + 16;

let seconds = 0;
let runs = 0;
let out = null;
let pause = null;
while (runs === 0 || (seconds < job.target_seconds && runs < job.max_runs)) {
  const program = api.prepareProgram(api.InputKind.Generic, api.HasMetadata.No, code, regs, pages, [], [], preallocate);
  const id = api.pvmStart(program, false);
  const start = process.hrtime.bigint();
  // One resume runs to halt/panic/fault/host call; the programs here make no host calls.
  pause = api.pvmResume(id, gas, job.pc, false);
  seconds += Number(process.hrtime.bigint() - start) / 1e9;
  out = api.pvmDestroy(id);
  runs += 1;
  if (typeof api.__collect === "function") api.__collect();
}
console.log(
  JSON.stringify({
    status: out ? out.status : null,
    pause_status: pause ? pause.status : null,
    pc: out ? out.pc : null,
    gas_left: out ? out.gas.toString() : null,
    regs: out ? out.registers.map((r) => BigInt.asUintN(64, BigInt(r)).toString()) : [],
    runs,
    seconds,
  }),
);
