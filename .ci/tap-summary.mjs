// Reads ava's TAP output on stdin, echoes it, and ends with the one line CI reads: "tests: N passed, N failed".
import { createInterface } from 'node:readline';

let passed = 0;
let failed = 0;
for await (const line of createInterface({ input: process.stdin })) {
  console.log(line);
  if (/^ok \d+/.test(line)) passed++;
  else if (/^not ok \d+/.test(line)) failed++;
}
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
