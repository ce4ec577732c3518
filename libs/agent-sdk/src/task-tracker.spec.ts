import { DuplicateTaskError } from './errors';
import { TaskTracker } from './task-tracker';

/** A task whose completion the test controls. */
function controllable<T = string>() {
  let finish!: (value: T) => void;
  let fail!: (error: Error) => void;
  const done = new Promise<T>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return { done, finish, fail };
}

describe('TaskTracker', () => {
  it('counts running tasks and names the longest-running one', async () => {
    const tracker = new TaskTracker();
    expect(tracker.isBusy).toBe(false);
    expect(tracker.currentTaskId).toBeNull();

    const first = controllable();
    const second = controllable();
    const firstRun = tracker.run('task-1', () => first.done);
    const secondRun = tracker.run('task-2', () => second.done);
    expect(tracker.runningCount).toBe(2);
    expect(tracker.isBusy).toBe(true);
    expect(tracker.currentTaskId).toBe('task-1');

    first.finish('one');
    await expect(firstRun).resolves.toBe('one');
    expect(tracker.runningCount).toBe(1);
    expect(tracker.currentTaskId).toBe('task-2');

    second.fail(new Error('boom'));
    await expect(secondRun).rejects.toThrow('boom');
    expect(tracker.runningCount).toBe(0);
    expect(tracker.currentTaskId).toBeNull();
  });

  it('refuses to run the same task id twice at once', async () => {
    const tracker = new TaskTracker();
    const task = controllable();
    const running = tracker.run('task-1', () => task.done);
    await expect(tracker.run('task-1', async () => 'again')).rejects.toBeInstanceOf(DuplicateTaskError);
    task.finish('done');
    await running;
    await expect(tracker.run('task-1', async () => 'later')).resolves.toBe('later');
  });

  it('waitForIdle resolves true when the last task settles', async () => {
    const tracker = new TaskTracker();
    await expect(tracker.waitForIdle(10)).resolves.toBe(true);
    const task = controllable();
    const running = tracker.run('task-1', () => task.done);
    const idle = tracker.waitForIdle(5_000);
    task.finish('done');
    await running;
    await expect(idle).resolves.toBe(true);
  });

  it('waitForIdle resolves false at the deadline, and abortAll aborts the signals', async () => {
    const tracker = new TaskTracker();
    let seenSignal: AbortSignal | undefined;
    const running = tracker.run(
      'stubborn',
      (signal) =>
        new Promise<never>((_resolve, reject) => {
          seenSignal = signal;
          signal.addEventListener('abort', () => reject(signal.reason));
        }),
    );
    await expect(tracker.waitForIdle(20)).resolves.toBe(false);
    expect(seenSignal?.aborted).toBe(false);

    expect(tracker.abortAll(new Error('deadline'))).toEqual(['stubborn']);
    expect(seenSignal?.aborted).toBe(true);
    await expect(running).rejects.toThrow('deadline');
    expect(tracker.isBusy).toBe(false);
  });

  it('abort returns false for an unknown task', () => {
    expect(new TaskTracker().abort('nope')).toBe(false);
  });
});

describe('TaskTracker.abandon', () => {
  it('aborts the run and stops counting it at once, so the id can run again', async () => {
    const tracker = new TaskTracker();
    let oldSignal: AbortSignal | undefined;
    const old = controllable();
    const oldRun = tracker.run('task-1', (signal) => {
      oldSignal = signal;
      return old.done;
    });
    const idle = tracker.waitForIdle(1_000);
    expect(tracker.abandon('task-1', new Error('replaced'))).toBe(true);
    expect(oldSignal?.aborted).toBe(true);
    expect(tracker.isBusy).toBe(false);
    await expect(idle).resolves.toBe(true);

    const fresh = controllable();
    const freshRun = tracker.run('task-1', () => fresh.done);
    // The abandoned run settling later does not end the new one's tracking.
    old.finish('late');
    await oldRun;
    expect(tracker.currentTaskId).toBe('task-1');
    fresh.finish('new');
    await expect(freshRun).resolves.toBe('new');
    expect(tracker.isBusy).toBe(false);
    expect(tracker.abandon('task-1')).toBe(false);
  });
});
