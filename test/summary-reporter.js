// Prints one closing line, "N passed, N failed[, N skipped]", that CI systems read. It is
// written when the process exits, so it comes after jest's own summary.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `${results.numPassedTests} passed, ${results.numFailedTests} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
    process.on('exit', () => process.stderr.write(`${line}\n`));
  }
}
module.exports = SummaryReporter;
