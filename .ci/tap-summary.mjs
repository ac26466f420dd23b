// Reads ava's TAP output on stdin, echoes it, and ends with the one line CI reads: "tests: N passed, N failed".
// argv[2] is ava's exit status: a non-zero exit with no failing test line (a test file that crashed on import, say)
// still counts as a failure, so the summary never reads "0 failed" for a failed run.
import { createInterface } from 'node:readline';

const avaStatus = Number(process.argv[2] ?? 0);
let passed = 0;
let failed = 0;
for await (const line of createInterface({ input: process.stdin })) {
  console.log(line);
  if (/^ok \d+/.test(line)) passed++;
  else if (/^not ok \d+/.test(line)) failed++;
}
if (avaStatus !== 0 && failed === 0) {
  console.log(`ava exited with status ${avaStatus} without reporting a failing test`);
  failed = 1;
}
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
