import { ProgressThrottle } from './progress-throttle';

describe('ProgressThrottle', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sends the first value at once, then at most one per interval, always ending with the latest', () => {
    let now = 0;
    const sent: number[] = [];
    const throttle = new ProgressThrottle<number>((value) => sent.push(value), 200, () => now);

    throttle.push(1);
    expect(sent).toEqual([1]);
    for (let value = 2; value <= 10; value++) {
      now += 10;
      throttle.push(value);
    }
    expect(sent).toEqual([1]);
    now = 200;
    jest.advanceTimersByTime(190);
    expect(sent).toEqual([1, 10]);

    now = 250;
    throttle.push(11);
    throttle.push(12);
    throttle.flush();
    expect(sent).toEqual([1, 10, 12]);
    jest.advanceTimersByTime(1_000);
    expect(sent).toEqual([1, 10, 12]);
  });

  it('sends nothing after close', () => {
    let now = 0;
    const sent: number[] = [];
    const throttle = new ProgressThrottle<number>((value) => sent.push(value), 200, () => now);
    throttle.push(1);
    throttle.push(2);
    throttle.close();
    now = 1_000;
    jest.advanceTimersByTime(1_000);
    throttle.push(3);
    throttle.flush();
    expect(sent).toEqual([1]);
  });
});
