// Prints the run's outcome as one plain last line ("N passed, N failed, N skipped") so any
// tool reading the log can count results without parsing jest's own summary. Jest prints its
// summary after custom reporters finish, so the line is written when the process exits.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failedSuites = results.numFailedTestSuites + results.numRuntimeErrorTestSuites;
    const failed = results.numFailedTests + Math.max(0, failedSuites - results.numFailedTests);
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
    process.once('exit', () => process.stderr.write(`\n${line}\n`));
  }
}
module.exports = SummaryReporter;
