"""Run one program on tsrkit-pvm (Python 3.12 venv) and print a JSON result line.

Input (JSON on stdin): {"engine": "python" | "cython", "program": hex of the GP program
(polkavm section 6 payload), "pc": int, "gas": int, "regs": [13 ints], "write_pages": [page
numbers], "target_seconds": float, "max_runs": int}.

The program runs at least once and again until `target_seconds` of execution time have
accumulated (or `max_runs`). Only the `execute` call is timed; decoding the program and
building memory happen outside the timer. The decoded program object is reused across runs
(tsrkit caches compiled basic blocks on it), as pvmkit reuses its Module.
Output (stdout, one JSON object): status, gas_left, regs of the last run, `runs`, total `seconds`.
"""

from __future__ import annotations

import json
import sys
import time


def main() -> None:
    job = json.load(sys.stdin)
    program_bytes = bytes.fromhex(job["program"])
    if job["engine"] == "cython":
        from tsrkit_pvm.cpvm.cy_memory import CyMemory as Memory
        from tsrkit_pvm.cpvm.cy_program import CyProgram as Program
        from tsrkit_pvm.cpvm.cy_pvm import CyInterpreter as Engine
    else:
        from tsrkit_pvm import INT_Memory as Memory
        from tsrkit_pvm import INT_Program as Program
        from tsrkit_pvm import Interpreter as Engine

    program = Program.decode_from(program_bytes)[0]
    write_pages = list(job["write_pages"])
    seconds = 0.0
    runs = 0
    result: tuple = ()
    while runs == 0 or (seconds < job["target_seconds"] and runs < job["max_runs"]):
        memory = Memory({}, [], list(write_pages))
        regs = list(job["regs"])
        start = time.perf_counter()
        result = Engine.execute(
            program=program, program_counter=job["pc"], gas=job["gas"], registers=regs, memory=memory
        )
        seconds += time.perf_counter() - start
        runs += 1
    status, pc, gas_left, regs, _memory = result
    print(
        json.dumps(
            {
                "status": str(status),
                "pc": int(pc),
                "gas_left": int(gas_left),
                "regs": [int(r) for r in regs],
                "runs": runs,
                "seconds": seconds,
            }
        )
    )


if __name__ == "__main__":
    main()
