import { ResourceSampler, type ResourceProbes } from './resource-sampler';

function fakeProbes() {
  const state = { nowMs: 1_000, userMicros: 0, systemMicros: 0, rssBytes: 64 * 1024 * 1024 };
  const probes: ResourceProbes = {
    nowMs: () => state.nowMs,
    cpuUsage: () => ({ user: state.userMicros, system: state.systemMicros }),
    rssBytes: () => state.rssBytes,
  };
  return { state, probes };
}

describe('ResourceSampler', () => {
  it('reports CPU time over wall-clock time since the previous sample, as percent of one core', () => {
    const { state, probes } = fakeProbes();
    const sampler = new ResourceSampler(probes);

    state.nowMs += 1_000;
    state.userMicros += 200_000; // 0.2 s user + 0.05 s system in 1 s of wall clock
    state.systemMicros += 50_000;
    expect(sampler.sample().cpu_percent).toBe(25);

    // The next sample covers only the time since the previous one.
    state.nowMs += 500;
    state.userMicros += 500_000;
    expect(sampler.sample().cpu_percent).toBe(100);
  });

  it('goes above 100 when several cores are busy', () => {
    const { state, probes } = fakeProbes();
    const sampler = new ResourceSampler(probes);
    state.nowMs += 1_000;
    state.userMicros += 2_500_000;
    expect(sampler.sample().cpu_percent).toBe(250);
  });

  it('reports 0 rather than dividing by zero when no time passed', () => {
    const { state, probes } = fakeProbes();
    const sampler = new ResourceSampler(probes);
    state.userMicros += 10;
    expect(sampler.sample().cpu_percent).toBe(0);
  });

  it('reports the resident set size in MiB, one decimal', () => {
    const { state, probes } = fakeProbes();
    const sampler = new ResourceSampler(probes);
    state.rssBytes = 150.25 * 1024 * 1024;
    expect(sampler.sample().memory_mb).toBe(150.3);
  });

  it('measures the real process: a busy loop shows up as CPU use, RSS as memory', () => {
    const sampler = new ResourceSampler();
    const until = performance.now() + 150;
    let spins = 0;
    while (performance.now() < until) spins++;
    const sample = sampler.sample();
    expect(spins).toBeGreaterThan(0);
    // A thread spinning for the whole window is close to 100 %; leave room for a loaded machine.
    expect(sample.cpu_percent).toBeGreaterThan(30);
    expect(sample.memory_mb).toBeGreaterThan(10);
    expect(sample.memory_mb).toBeCloseTo(process.memoryUsage().rss / 1024 / 1024, -1);
  });
});
