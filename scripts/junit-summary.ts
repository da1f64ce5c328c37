/**
 * Prints the closing line CI systems read, "N passed, N failed, N skipped", from a JUnit
 * report, and exits 1 when a test failed or none ran.
 */
import { readFileSync } from "node:fs";

const file = process.argv[2] ?? "reports/junit.xml";
const xml = readFileSync(file, "utf8");
const root = /<testsuites\b[^>]*>/.exec(xml)?.[0] ?? "";
const count = (name: string) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(root)?.[1] ?? 0);
const tests = count("tests");
const failed = count("failures") + count("errors");
const skipped = count("skipped");
const passed = tests - failed - skipped;
process.stdout.write(`${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(failed > 0 || tests === 0 ? 1 : 0);
