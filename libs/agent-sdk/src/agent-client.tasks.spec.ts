import { setTimeout as sleep } from 'node:timers/promises';
import { AgentClient, type AgentClientOptions, type ReportRejection } from './agent-client';
import { AgentStoppedError, NonRetryableTaskError, TaskCancelledError, TaskSupersededError, TaskTimeoutError } from './errors';
import type { TaskContext, TaskFinishedInfo } from './tasks';
import { gate, nextEvent, waitUntil } from './testing/client-events';
import { TestCoordinator, type ReceivedReport } from './testing/test-coordinator';

const TOKEN = 'sa_AbCd1234_0123456789abcdefghijklmnopqrstuv';
const INTERVAL_MS = 150;
const REPORT_TIMEOUT_MS = 300;

/** A handler that runs until its signal aborts, then fails with the abort reason (as fetch would). */
function untilAborted(seen: TaskContext[]) {
  return (_task: unknown, context: TaskContext): Promise<never> => {
    seen.push(context);
    return new Promise((_resolve, reject) => context.signal.addEventListener('abort', () => reject(context.signal.reason)));
  };
}

describe('AgentClient task protocol', () => {
  let coordinator: TestCoordinator;
  const clients: AgentClient[] = [];

  const newClient = (overrides: Partial<AgentClientOptions> = {}): AgentClient => {
    const client = new AgentClient({
      url: coordinator.url,
      token: TOKEN,
      reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
      reportTimeoutMs: REPORT_TIMEOUT_MS,
      reportRetry: { initialDelayMs: 20, maxDelayMs: 100 },
      ...overrides,
    });
    clients.push(client);
    return client;
  };

  const reportAfter = (report: ReceivedReport): { event: string; payload: Record<string, unknown> } => ({ event: report.event, payload: report.payload });

  /** Every report is processed in order on one socket: once this marker task's result is in, earlier assignments were handled. */
  const settleWithMarker = async (client: AgentClient): Promise<void> => {
    if (!clientHasMarkerHandler.has(client)) {
      client.onTask('marker', async () => 'marker');
      clientHasMarkerHandler.add(client);
    }
    const marker = coordinator.assign({ task_type: 'marker' });
    await coordinator.next('report', (report) => report.event === 'task.result' && report.payload.task_id === marker.task_id);
  };
  const clientHasMarkerHandler = new WeakSet<AgentClient>();

  beforeEach(async () => {
    coordinator = await TestCoordinator.start({ tokens: [TOKEN], heartbeatIntervalMs: INTERVAL_MS });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.stop('test finished')));
    await coordinator.close();
  });

  it('runs an assignment with the attempt details and reports the result, which stands in for the ack of a task done at once', async () => {
    const client = newClient();
    const contexts: TaskContext[] = [];
    client.onTask<{ text: string }>('summarise', async (task, context) => {
      contexts.push(context);
      return { summary: `${task.payload.text.length} chars`, at: new Date(0) };
    });
    await client.connect();
    const started = nextEvent(client, 'task-started');
    const finished = nextEvent(client, 'task-finished');
    const resultReceived = coordinator.next('report', (report) => report.event === 'task.result');

    const assigned = coordinator.assign({ task_type: 'summarise', payload: { text: 'hello' }, priority: 7, attempt: 2, max_attempts: 4, timeout_ms: 30_000 });
    const attempt = { task_id: assigned.task_id, fencing_token: assigned.fencing_token };

    const [result] = await resultReceived;
    // Sent as JSON carries it: the Date became a string.
    expect(result.payload).toEqual({ ...attempt, result: { summary: '5 chars', at: '1970-01-01T00:00:00.000Z' } });
    expect(coordinator.reports.map(reportAfter)).toEqual([{ event: 'task.result', payload: result.payload }]);
    expect(contexts).toEqual([
      expect.objectContaining({
        taskId: assigned.task_id,
        fencingToken: assigned.fencing_token,
        attempt: 2,
        maxAttempts: 4,
        swarmId: 'swarm-a',
        priority: 7,
        timeoutMs: 30_000,
      }),
    ]);
    expect(contexts[0].signal.aborted).toBe(false);
    expect((await started)[0]).toEqual({ taskId: assigned.task_id, taskType: 'summarise', fencingToken: assigned.fencing_token, attempt: 2, swarmId: 'swarm-a' });
    expect((await finished)[0]).toMatchObject({ taskId: assigned.task_id, outcome: 'completed', durationMs: expect.any(Number) });
    await waitUntil(() => client.pendingReportCount === 0, 'the outbox is empty');
  });

  it('reports busy with the assigned task in heartbeats while it runs', async () => {
    const client = newClient();
    const release = gate();
    client.onTask('work', async () => release.opened);
    await client.connect();
    const assigned = coordinator.assign({ task_type: 'work' });

    const [busy] = await coordinator.next('heartbeat', (beat) => beat.payload.status === 'busy');
    expect(busy.payload).toMatchObject({ queue_depth: 1, current_task_id: assigned.task_id });
    release.open();
    const [idle] = await coordinator.next('heartbeat', (beat) => beat.payload.status === 'idle');
    expect(idle.payload).toMatchObject({ queue_depth: 0, current_task_id: null });
  });

  it('runs every attempt of a task.assign.batch and reports what finished in the same turn in one task.report.batch', async () => {
    const client = newClient();
    client.onTask('echo', async (task) => task.payload);
    await client.connect();
    expect(coordinator.registrations[0].payload).toMatchObject({ accepts_task_batches: true });
    const assigned = coordinator.assignBatch([1, 2, 3, 4, 5].map((n) => ({ payload: { n } })));
    await waitUntil(() => coordinator.reportsOf('task.result').length === 5, 'all five results arrive');
    expect(coordinator.reportsOf('task.result').map((report) => report.payload)).toEqual(
      assigned.map((a, i) => ({ task_id: a.task_id, fencing_token: a.fencing_token, result: { n: i + 1 } })),
    );
    expect(coordinator.reportBatchSizes).toEqual([5]);
    await waitUntil(() => client.pendingReportCount === 0, 'the outbox is empty');
  });

  it('acknowledges a task that outlasts the turn it arrived in, then reports its result', async () => {
    const client = newClient();
    const release = gate();
    client.onTask('work', async () => {
      await release.opened;
      return 'done';
    });
    await client.connect();
    const assigned = coordinator.assign({ task_type: 'work' });
    await coordinator.next('report', (report) => report.event === 'task.ack');
    release.open();
    await coordinator.next('report', (report) => report.event === 'task.result');
    expect(coordinator.reportsOf(undefined, assigned.task_id).map((report) => report.event)).toEqual(['task.ack', 'task.result']);
  });

  it('runs an attempt delivered twice only once, during and after its run', async () => {
    const client = newClient();
    const release = gate();
    let runs = 0;
    client.onTask('work', async () => {
      runs++;
      await release.opened;
      return 'once';
    });
    await client.connect();
    const assigned = coordinator.assign({ task_type: 'work' });
    await coordinator.next('report', (report) => report.event === 'task.ack');
    coordinator.assign(assigned);
    await settleWithMarker(client);
    release.open();
    await coordinator.next('report', (report) => report.event === 'task.result' && report.payload.task_id === assigned.task_id);
    coordinator.assign(assigned);
    await settleWithMarker(client);

    expect(runs).toBe(1);
    expect(coordinator.reportsOf(undefined, assigned.task_id).map((report) => report.event)).toEqual(['task.ack', 'task.result']);
  });

  it('drops the running attempt when a newer fencing token arrives for the task, and runs the new one', async () => {
    const client = newClient();
    const contexts: TaskContext[] = [];
    const finished: TaskFinishedInfo[] = [];
    client.on('task-finished', (info) => finished.push(info));
    client.onTask('work', async (task, context) => {
      if (contexts.length === 0) return untilAborted(contexts)(task, context);
      contexts.push(context);
      return 'second attempt';
    });
    await client.connect();
    const first = coordinator.assign({ task_id: 'task-x', fencing_token: '9', task_type: 'work' });
    await coordinator.next('report', (report) => report.event === 'task.ack');
    const secondResult = coordinator.next('report', (report) => report.event === 'task.result' && report.payload.task_id === 'task-x');
    // "10" is newer than "9": tokens compare as numbers.
    const second = coordinator.assign({ ...first, fencing_token: '10', attempt: 2 });

    expect((await secondResult)[0].payload).toEqual({ task_id: 'task-x', fencing_token: '10', result: 'second attempt' });
    expect(contexts[0].signal.aborted).toBe(true);
    expect(contexts[0].signal.reason).toBeInstanceOf(TaskSupersededError);
    expect(contexts[1]).toMatchObject({ fencingToken: '10', attempt: 2 });

    // A late copy of the old attempt is ignored.
    coordinator.assign(first);
    await settleWithMarker(client);
    expect(coordinator.reportsOf(undefined, 'task-x').map((report) => [report.event, report.payload.fencing_token])).toEqual([
      ['task.ack', '9'],
      ['task.result', '10'],
    ]);
    expect(finished.filter((info) => info.taskId === 'task-x').map((info) => [info.fencingToken, info.outcome])).toEqual(
      expect.arrayContaining([
        ['9', 'superseded'],
        [second.fencing_token, 'completed'],
      ]),
    );
  });

  it('fails an assignment no handler takes as non-retryable, without acknowledging it', async () => {
    const client = newClient();
    client.onTask('known', async () => 'ok');
    await client.connect();
    const finished = nextEvent(client, 'task-finished');
    const failed = coordinator.next('report', (report) => report.event === 'task.fail');
    const assigned = coordinator.assign({ task_type: 'unknown' });

    expect((await failed)[0].payload).toEqual({
      task_id: assigned.task_id,
      fencing_token: assigned.fencing_token,
      error: 'no handler registered for task type "unknown"',
      retryable: false,
    });
    expect((await finished)[0]).toMatchObject({ outcome: 'rejected', retryable: false });
    expect(coordinator.reportsOf('task.ack')).toHaveLength(0);
  });

  it('reports a NonRetryableTaskError as retryable=false and any other error as retryable', async () => {
    const client = newClient();
    client.onTask<{ bad: boolean }>('work', async (task) => {
      if (task.payload.bad) throw new NonRetryableTaskError('payload.url is missing');
      throw new Error('upstream flaked');
    });
    await client.connect();
    const bad = coordinator.assign({ task_type: 'work', payload: { bad: true } });
    const flaky = coordinator.assign({ task_type: 'work', payload: { bad: false } });
    await waitUntil(() => coordinator.reportsOf('task.fail').length === 2, 'both failures are reported');

    expect(coordinator.reportsOf('task.fail', bad.task_id)[0].payload).toEqual({
      task_id: bad.task_id,
      fencing_token: bad.fencing_token,
      error: 'payload.url is missing',
      retryable: false,
    });
    expect(coordinator.reportsOf('task.fail', flaky.task_id)[0].payload).toMatchObject({ error: 'upstream flaked', retryable: true });
  });

  it('aborts a cancelled attempt and sends nothing about it afterwards, even if its handler returns a result', async () => {
    const client = newClient();
    const contexts: TaskContext[] = [];
    client.onTask('work', (_task, context) => {
      contexts.push(context);
      return new Promise((resolve) => context.signal.addEventListener('abort', () => resolve('late result')));
    });
    await client.connect();
    const assigned = coordinator.assign({ task_type: 'work' });
    await coordinator.next('report', (report) => report.event === 'task.ack');

    // A cancel naming an older attempt does not touch the running one.
    coordinator.cancel({ task_id: assigned.task_id, fencing_token: '0', reason: 'old news' });
    await settleWithMarker(client);
    expect(contexts[0].signal.aborted).toBe(false);

    const finished = nextEvent(client, 'task-finished', (info) => info.taskId === assigned.task_id);
    coordinator.cancel({ task_id: assigned.task_id, fencing_token: assigned.fencing_token, reason: 'cancelled by the operator' });
    expect((await finished)[0]).toMatchObject({ taskId: assigned.task_id, outcome: 'cancelled' });
    expect(contexts[0].signal.reason).toBeInstanceOf(TaskCancelledError);
    expect(contexts[0].signal.reason).toMatchObject({ reason: 'cancelled by the operator' });
    expect(client.runningTaskIds).toEqual([]);

    // A late copy of the cancelled attempt does not start it again.
    coordinator.assign(assigned);
    await settleWithMarker(client);
    expect(coordinator.reportsOf(undefined, assigned.task_id).map((report) => report.event)).toEqual(['task.ack']);
    expect(contexts).toHaveLength(1);
  });

  it('aborts a handler that runs past timeout_ms and still reports the outcome', async () => {
    const client = newClient();
    const contexts: TaskContext[] = [];
    client.onTask('slow', untilAborted(contexts));
    await client.connect();
    const failed = coordinator.next('report', (report) => report.event === 'task.fail');
    const assigned = coordinator.assign({ task_type: 'slow', timeout_ms: 80 });

    const [report] = await failed;
    expect(contexts[0].signal.reason).toBeInstanceOf(TaskTimeoutError);
    expect(report.payload).toEqual({
      task_id: assigned.task_id,
      fencing_token: assigned.fencing_token,
      error: `task ${assigned.task_id} did not finish within its timeout of 80 ms`,
      retryable: true,
    });
  });

  it('sends a result again on the same connection when its ack does not come in time', async () => {
    const client = newClient();
    client.onTask('work', async () => 42);
    let answered = 0;
    coordinator.answerReport = (report) => (report.event === 'task.result' && answered++ === 0 ? 'no-answer' : 'ok');
    await client.connect();
    const assigned = coordinator.assign({ task_type: 'work' });

    await waitUntil(() => coordinator.reportsOf('task.result').length === 2, 'the result is sent twice');
    const [first, second] = coordinator.reportsOf('task.result');
    expect(second.payload).toEqual({ task_id: assigned.task_id, fencing_token: assigned.fencing_token, result: 42 });
    expect(second.socket.id).toBe(first.socket.id);
    expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(REPORT_TIMEOUT_MS * 0.9);
    await waitUntil(() => client.pendingReportCount === 0, 'the outbox is empty');
  });

  it('sends a result again after a reconnect when the connection dropped before its ack', async () => {
    const client = newClient();
    client.onTask('work', async () => 'survives');
    coordinator.answerReport = (report) => {
      if (report.event !== 'task.result' || coordinator.reportsOf('task.result').length > 0) return 'ok';
      setImmediate(() => report.socket.disconnect(true));
      return 'no-answer';
    };
    await client.connect();
    const [firstSocket] = coordinator.connectedSockets();
    const assigned = coordinator.assign({ task_type: 'work' });

    const [resent] = await coordinator.next('report', (report) => report.event === 'task.result' && report.socket.id !== firstSocket.id);
    expect(resent.payload).toEqual({ task_id: assigned.task_id, fencing_token: assigned.fencing_token, result: 'survives' });
    expect(coordinator.registrations).toHaveLength(2);
    // Sent only once the new connection registered (a report before that would be refused).
    expect(coordinator.reports.filter((report) => report.answer !== 'ok' && report.answer !== 'no-answer')).toEqual([]);
    await waitUntil(() => client.pendingReportCount === 0, 'the outbox is empty');
  });

  it('keeps running while disconnected and delivers the outcome after registering again', async () => {
    const client = newClient();
    const release = gate();
    client.onTask('work', async () => {
      await release.opened;
      return 'finished offline';
    });
    await client.connect();
    const [firstSocket] = coordinator.connectedSockets();
    const assigned = coordinator.assign({ task_type: 'work' });
    await coordinator.next('report', (report) => report.event === 'task.ack');

    // The handler finishes in the gap between the drop and the new registration.
    client.once('disconnected', () => release.open());
    const resultReceived = coordinator.next('report', (report) => report.event === 'task.result');
    firstSocket.disconnect(true);

    const [result] = await resultReceived;
    expect(result.socket.id).not.toBe(firstSocket.id);
    expect(result.payload).toEqual({ task_id: assigned.task_id, fencing_token: assigned.fencing_token, result: 'finished offline' });
    expect(coordinator.reportsOf('task.result')).toHaveLength(1);
  });

  it('drops a report the coordinator answers with superseded, without sending it again', async () => {
    const client = newClient();
    client.onTask('work', async () => 'stale');
    coordinator.answerReport = (report) => (report.event === 'task.result' ? { code: 'superseded', message: 'attempt was replaced' } : 'ok');
    await client.connect();
    const rejected = nextEvent(client, 'report-rejected');
    const assigned = coordinator.assign({ task_type: 'work' });

    expect((await rejected)[0]).toEqual<ReportRejection>({
      event: 'task.result',
      taskId: assigned.task_id,
      fencingToken: assigned.fencing_token,
      error: { code: 'superseded', message: 'attempt was replaced' },
    });
    await sleep(REPORT_TIMEOUT_MS + 100);
    expect(coordinator.reportsOf('task.result')).toHaveLength(1);
    expect(coordinator.reportsOf('task.fail')).toHaveLength(0);
    expect(client.pendingReportCount).toBe(0);
  });

  it('stops the handler when its ack is answered with superseded', async () => {
    const client = newClient();
    const contexts: TaskContext[] = [];
    client.onTask('work', untilAborted(contexts));
    await client.connect();
    const finished = nextEvent(client, 'task-finished');
    const assigned = coordinator.assign({ task_type: 'work' });
    coordinator.answerReport = (report) =>
      report.event === 'task.ack' && report.payload.task_id === assigned.task_id ? { code: 'superseded', message: 'ack deadline passed' } : 'ok';

    expect((await finished)[0].outcome).toBe('superseded');
    expect(contexts[0].signal.reason).toBeInstanceOf(TaskSupersededError);
    await settleWithMarker(client);
    expect(coordinator.reportsOf('task.fail')).toHaveLength(0);
  });

  it('turns a result the coordinator cannot take into a non-retryable failure', async () => {
    const client = newClient({ maxReportBytes: 1_000 });
    client.onTask<{ size: number }>('work', async (task) => 'x'.repeat(task.payload.size));
    coordinator.answerReport = (report) =>
      report.event === 'task.result' ? { code: 'validation_failed', message: 'result must be JSON', details: ['result: bad'] } : 'ok';
    await client.connect();
    const tooLarge = coordinator.assign({ task_type: 'work', payload: { size: 2_000 } });
    const refused = coordinator.assign({ task_type: 'work', payload: { size: 10 } });
    await waitUntil(() => coordinator.reportsOf('task.fail').length === 2, 'both failures are reported');

    expect(coordinator.reportsOf('task.result', tooLarge.task_id)).toHaveLength(0);
    expect(coordinator.reportsOf('task.fail', tooLarge.task_id)[0].payload).toMatchObject({
      error: "the task's result is 2002 bytes of JSON, more than the 1000 a report may carry",
      retryable: false,
    });
    expect(coordinator.reportsOf('task.fail', refused.task_id)[0].payload).toMatchObject({
      error: "the coordinator refused the task's result: result must be JSON",
      retryable: false,
    });
  });

  it('forwards progress at most about five times a second per task, always ending with the latest figure', async () => {
    const client = newClient();
    const local: number[] = [];
    client.on('task-progress', (progress) => local.push(progress.percent));
    client.onTask('burst', async (_task, context) => {
      for (let percent = 1; percent <= 100; percent++) context.progress(percent, `step ${percent}`);
      return 'burst done';
    });
    client.onTask('steady', async (_task, context) => {
      for (let step = 1; step <= 50; step++) {
        context.progress(step * 2);
        await sleep(10);
      }
      return 'steady done';
    });
    await client.connect();

    const burst = coordinator.assign({ task_type: 'burst' });
    await coordinator.next('report', (report) => report.event === 'task.result' && report.payload.task_id === burst.task_id);
    // The first goes out at once, the last when the handler returns; the 98 in between are
    // only local events. (The handler returns within the turn: its result stands in for the ack.)
    expect(coordinator.reportsOf(undefined, burst.task_id).map((report) => [report.event, report.payload.percent])).toEqual([
      ['task.progress', 1],
      ['task.progress', 100],
      ['task.result', undefined],
    ]);
    expect(coordinator.reportsOf('task.progress', burst.task_id)[1].payload).toMatchObject({ message: 'step 100' });
    expect(local).toHaveLength(100);

    const steady = coordinator.assign({ task_type: 'steady' });
    const startedAt = performance.now();
    await coordinator.next('report', (report) => report.event === 'task.result' && report.payload.task_id === steady.task_id);
    const elapsedMs = performance.now() - startedAt;
    const progress = coordinator.reportsOf('task.progress', steady.task_id);
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.length).toBeLessThanOrEqual(Math.ceil(elapsedMs / 200) + 2);
    expect(progress.at(-1)?.payload.percent).toBe(100);
    for (let index = 1; index < progress.length - 1; index++) {
      expect(progress[index].receivedAt - progress[index - 1].receivedAt).toBeGreaterThanOrEqual(190);
    }
  });

  it('on stop: accepts no new assignment, keeps heartbeating, and delivers the running task’s result before closing', async () => {
    const client = newClient();
    const release = gate();
    client.onTask('work', async () => {
      await release.opened;
      return 'drained';
    });
    // The first send of the result gets no ack: the drain must wait for the second.
    let results = 0;
    coordinator.answerReport = (report) => (report.event === 'task.result' && results++ === 0 ? 'no-answer' : 'ok');
    await client.connect();
    const running = coordinator.assign({ task_type: 'work' });
    await coordinator.next('report', (report) => report.event === 'task.ack');

    const order: string[] = [];
    coordinator.on('report', (report) => order.push(`${report.event} ${report.answer === 'ok' ? 'ok' : 'unanswered'}`));
    coordinator.on('disconnect', () => order.push('disconnect'));
    const stopped = client.stop('shutting down');
    const ignored = coordinator.assign({ task_type: 'work' });
    const beats = coordinator.heartbeats.length;
    await coordinator.next('heartbeat', () => coordinator.heartbeats.length > beats);
    release.open();
    await stopped;
    await waitUntil(() => order.includes('disconnect'), 'the server sees the disconnect');

    expect(order).toEqual(['task.result unanswered', 'task.result ok', 'disconnect']);
    expect(coordinator.reportsOf('task.result', running.task_id)[1].payload).toMatchObject({ result: 'drained' });
    expect(coordinator.reportsOf(undefined, ignored.task_id)).toEqual([]);
  });

  it('on stop: aborts what is still running at the deadline and reports it as a retryable failure before closing', async () => {
    const client = newClient({ stopTimeoutMs: 100 });
    const contexts: TaskContext[] = [];
    client.onTask('stubborn', untilAborted(contexts));
    await client.connect();
    const assigned = coordinator.assign({ task_type: 'stubborn' });
    await coordinator.next('report', (report) => report.event === 'task.ack');
    const order: string[] = [];
    coordinator.on('report', (report) => order.push(report.event));
    coordinator.on('disconnect', () => order.push('disconnect'));

    await client.stop('operator shutdown');
    await waitUntil(() => order.includes('disconnect'), 'the server sees the disconnect');

    expect(contexts[0].signal.reason).toBeInstanceOf(AgentStoppedError);
    expect(order).toEqual(['task.fail', 'disconnect']);
    expect(coordinator.reportsOf('task.fail')[0].payload).toEqual({
      task_id: assigned.task_id,
      fencing_token: assigned.fencing_token,
      error: 'the agent client is stopped: operator shutdown',
      retryable: true,
    });
  });
});
