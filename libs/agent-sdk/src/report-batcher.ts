import type { AckResponse, BatchedTaskReport, TaskReportBatchAck } from './contract';
import { TASK_REPORT_BATCH_MAX } from './contract';
import type { SendOutcome, TaskReport } from './report-outbox';

export interface ReportBatcherOptions {
  /** Sends one task.report.batch and resolves with the answer; rejects on ack timeout or disconnect. */
  emit(reports: BatchedTaskReport[]): Promise<AckResponse<TaskReportBatchAck>>;
  /** After a failed emit: is the connection still there (no-answer) or gone (offline)? */
  isOnline(): boolean;
}

interface Waiting {
  report: TaskReport;
  resolve: (outcome: SendOutcome) => void;
}

/**
 * Coalesces the reports sent within one turn of the event loop into one task.report.batch:
 * an agent finishing many short tasks at once costs the coordinator one message instead of
 * one per report. Each report still gets its own outcome, so the outbox above is unchanged.
 */
export class ReportBatcher {
  private waiting: Waiting[] = [];
  private scheduled = false;

  constructor(private readonly options: ReportBatcherOptions) {}

  send(report: TaskReport): Promise<SendOutcome> {
    return new Promise<SendOutcome>((resolve) => {
      this.waiting.push({ report, resolve });
      if (this.scheduled) return;
      this.scheduled = true;
      // setImmediate, not a microtask: handlers that finish in the same turn join this batch.
      setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.waiting.length > 0) void this.sendBatch(this.waiting.splice(0, TASK_REPORT_BATCH_MAX));
  }

  private async sendBatch(batch: Waiting[]): Promise<void> {
    let response: AckResponse<TaskReportBatchAck>;
    try {
      response = await this.options.emit(batch.map(({ report }) => toBatched(report)));
    } catch {
      const outcome: SendOutcome = this.options.isOnline() ? { kind: 'no-answer' } : { kind: 'offline' };
      for (const { resolve } of batch) resolve(outcome);
      return;
    }
    if (!response.ok) {
      for (const { resolve } of batch) resolve({ kind: 'refused', error: response.error });
      return;
    }
    batch.forEach(({ resolve }, index) => {
      const result = response.data.results[index];
      if (!result) resolve({ kind: 'no-answer' });
      else resolve(result.ok ? { kind: 'ok' } : { kind: 'refused', error: result.error });
    });
  }
}

function toBatched(report: TaskReport): BatchedTaskReport {
  switch (report.event) {
    case 'task.ack':
      return { type: 'ack', ...report.payload };
    case 'task.result':
      return { type: 'result', ...report.payload };
    case 'task.fail':
      return { type: 'fail', ...report.payload };
  }
}
