/**
 * Fails the run when any test was skipped, left pending or marked todo: in CI a skipped suite
 * (no PostgreSQL, not root, a missing package) must not turn into a green run. Reads Vitest's
 * JSON report: `tsx scripts/no-skips.ts REPORT.json`.
 */
import { readFileSync } from "node:fs";

interface AssertionResult {
  fullName: string;
  status: string;
}
interface FileResult {
  name: string;
  status: string;
  assertionResults: AssertionResult[];
}
interface Report {
  numTotalTests: number;
  testResults: FileResult[];
}

const reportPath = process.argv[2];
if (reportPath === undefined) {
  console.error("usage: tsx scripts/no-skips.ts REPORT.json");
  process.exit(2);
}
const report = JSON.parse(readFileSync(reportPath, "utf8")) as Report;
const notRun: string[] = [];
for (const file of report.testResults) {
  for (const test of file.assertionResults) {
    if (test.status !== "passed" && test.status !== "failed") {
      notRun.push(
        `${test.status}: ${file.name.replace(`${process.cwd()}/`, "")} > ${test.fullName}`,
      );
    }
  }
}
if (report.numTotalTests === 0) {
  console.error("no test ran");
  process.exit(1);
}
if (notRun.length > 0) {
  console.error(`${notRun.length} test(s) did not run; in CI every suite must run:`);
  for (const line of notRun) console.error(`  ${line}`);
  process.exit(1);
}
console.log(`every one of ${report.numTotalTests} tests ran`);
