import type { AckError } from './contract';
import { ReportOutbox, type SendOutcome, type TaskReport } from './report-outbox';

const ack = (taskId: string, token = '1'): TaskReport => ({ event: 'task.ack', payload: { task_id: taskId, fencing_token: token } });
const result = (taskId: string, value: unknown, token = '1'): TaskReport => ({
  event: 'task.result',
  payload: { task_id: taskId, fencing_token: token, result: value },
});

/** A send whose answers the test gives one by one, in order of sending. */
function scriptedSend() {
  const sent: TaskReport[] = [];
  const answers: Array<(outcome: SendOutcome) => void> = [];
  const send = (report: TaskReport): Promise<SendOutcome> => {
    sent.push(report);
    return new Promise((resolve) => answers.push(resolve));
  };
  const answer = async (outcome: SendOutcome): Promise<void> => {
    const next = answers.shift();
    if (!next) throw new Error('nothing in flight');
    next(outcome);
    // Let the outbox react (it continues after a microtask or two).
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { sent, send, answer, inFlight: () => answers.length };
}

describe('ReportOutbox', () => {
  const retry = { initialDelayMs: 10, maxDelayMs: 40 };

  it("sends an attempt's reports one at a time and in order, and different attempts side by side", async () => {
    const script = scriptedSend();
    const outbox = new ReportOutbox({ send: script.send, retry, onRefused: jest.fn() });
    outbox.add(ack('a'));
    outbox.add(result('a', 1));
    outbox.add(ack('b'));

    expect(script.sent).toEqual([ack('a'), ack('b')]);
    expect(outbox.size).toBe(3);
    await script.answer({ kind: 'ok' });
    expect(script.sent).toEqual([ack('a'), ack('b'), result('a', 1)]);
    const empty = outbox.whenEmpty(1_000);
    await script.answer({ kind: 'ok' });
    await script.answer({ kind: 'ok' });
    await expect(empty).resolves.toBe(true);
    expect(outbox.size).toBe(0);
  });

  it('sends again with backoff after no answer, and waits for resume() while offline', async () => {
    const script = scriptedSend();
    const onRetry = jest.fn();
    const outbox = new ReportOutbox({ send: script.send, retry, onRefused: jest.fn(), onRetry });
    outbox.add(result('a', 1));
    await script.answer({ kind: 'no-answer' });
    expect(onRetry).toHaveBeenCalledWith(result('a', 1), { kind: 'no-answer' }, expect.any(Number));
    expect(script.inFlight()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(script.sent).toHaveLength(2);

    await script.answer({ kind: 'offline' });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(script.sent).toHaveLength(2);
    outbox.resume();
    expect(script.sent).toHaveLength(3);
    await script.answer({ kind: 'ok' });
    expect(outbox.size).toBe(0);
  });

  it('retries refusals that may pass later (rate_limited, not_registered, internal)', async () => {
    const script = scriptedSend();
    const onRefused = jest.fn();
    const outbox = new ReportOutbox({ send: script.send, retry, onRefused });
    outbox.add(ack('a'));
    await script.answer({ kind: 'refused', error: { code: 'rate_limited', message: 'slow down' } });
    await new Promise((resolve) => setTimeout(resolve, 30));
    await script.answer({ kind: 'refused', error: { code: 'not_registered', message: 'register first' } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await script.answer({ kind: 'ok' });
    expect(script.sent).toHaveLength(3);
    expect(onRefused).not.toHaveBeenCalled();
  });

  it('drops every report of an attempt the coordinator says is superseded', async () => {
    const script = scriptedSend();
    const onRefused = jest.fn();
    const outbox = new ReportOutbox({ send: script.send, retry, onRefused });
    outbox.add(ack('a'));
    outbox.add(result('a', 1));
    const superseded: AckError = { code: 'superseded', message: 'replaced' };
    await script.answer({ kind: 'refused', error: superseded });

    expect(onRefused).toHaveBeenCalledWith(ack('a'), superseded, true);
    expect(script.sent).toEqual([ack('a')]);
    expect(outbox.size).toBe(0);
  });

  it('drops only the report refused as invalid and goes on with the next', async () => {
    const script = scriptedSend();
    const onRefused = jest.fn();
    const outbox = new ReportOutbox({ send: script.send, retry, onRefused });
    outbox.add(result('a', 'bad'));
    outbox.add({ event: 'task.fail', payload: { task_id: 'a', fencing_token: '1', error: 'x', retryable: false } });
    await script.answer({ kind: 'refused', error: { code: 'validation_failed', message: 'no' } });

    expect(onRefused).toHaveBeenCalledWith(result('a', 'bad'), { code: 'validation_failed', message: 'no' }, false);
    expect(script.sent.map((report) => report.event)).toEqual(['task.result', 'task.fail']);
  });

  it('ignores the answer to a report dropped while in flight, and forgets everything on close', async () => {
    const script = scriptedSend();
    const outbox = new ReportOutbox({ send: script.send, retry, onRefused: jest.fn() });
    outbox.add(ack('a'));
    outbox.add(result('a', 1));
    expect(outbox.drop('a', '1')).toBe(2);
    await script.answer({ kind: 'ok' });
    expect(script.sent).toEqual([ack('a')]);

    outbox.add(ack('b'));
    expect(outbox.close()).toEqual([ack('b')]);
    outbox.add(ack('c'));
    expect(outbox.size).toBe(0);
    await expect(outbox.whenEmpty(10)).resolves.toBe(true);
  });
});
