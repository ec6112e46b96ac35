// Prints the Zeek conn.log conformance report in detail: agreement on conn_state and history, every
// exclusion with its reason, every disagreement, and our connections Zeek did not log.
// Usage: node dist/scripts/zeek-conformance.js [conformance-dir]

import { conformanceAvailable, formatReport, runConformance, ZEEK_CONFORMANCE_DIR } from '../test/helpers/zeek-conformance.js';

const dir = process.argv[2] ?? ZEEK_CONFORMANCE_DIR;
if (!conformanceAvailable(dir)) {
  process.stderr.write(`no conformance set at ${dir}\n`);
  process.exitCode = 2;
} else {
  const report = await runConformance(dir);
  process.stdout.write(`${formatReport(report, true)}\n`);
}
