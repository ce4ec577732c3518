import { HeartbeatLoop } from './heartbeat-loop';

describe('HeartbeatLoop', () => {
  it('never starts a beat while the previous one is in flight, and keeps the interval from each send', async () => {
    const intervalMs = 40;
    const sentAt: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    let resolveThird!: () => void;
    const thirdSent = new Promise<void>((resolve) => (resolveThird = resolve));
    const loop = new HeartbeatLoop(async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      sentAt.push(performance.now());
      if (sentAt.length === 3) resolveThird();
      // The first beat takes longer than the interval (an ack that never comes in time).
      await new Promise((resolve) => setTimeout(resolve, sentAt.length === 1 ? intervalMs * 2 : 5));
      inFlight--;
    }, intervalMs);

    loop.start();
    await thirdSent;
    loop.stop();

    expect(maxInFlight).toBe(1);
    // The slow first beat delays the second (no catching up with a burst)...
    expect(sentAt[1] - sentAt[0]).toBeGreaterThanOrEqual(intervalMs * 2 - 2);
    // ...and a fast beat is followed by the rest of the interval.
    expect(sentAt[2] - sentAt[1]).toBeGreaterThanOrEqual(intervalMs - 2);
  });

  it('stops between beats and restarts with a new interval', async () => {
    let beats = 0;
    let onBeat: (() => void) | undefined;
    const loop = new HeartbeatLoop(async () => {
      beats++;
      onBeat?.();
    }, 10_000);
    const firstBeat = new Promise<void>((resolve) => (onBeat = resolve));
    loop.start();
    await firstBeat;
    expect(beats).toBe(1);
    loop.stop();
    expect(loop.running).toBe(false);

    const secondBeat = new Promise<void>((resolve) => (onBeat = resolve));
    loop.start(25);
    await secondBeat;
    expect(loop.currentIntervalMs).toBe(25);
    loop.stop();
    expect(beats).toBe(2);
  });
});
