import { ConfigError, loadConfig } from './app-config';

const VALID = {
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/swarm',
  REDIS_URL: 'redis://127.0.0.1:6379',
  JWT_SECRET: 'x'.repeat(32),
};

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies defaults to a minimal environment', () => {
    const config = loadConfig(VALID);
    expect(config.http).toEqual({ host: '127.0.0.1', port: 18000, bodyLimitBytes: 1024 * 1024 });
    expect(config.redis.keyPrefix).toBe('swarm');
    expect(config.auth.jwtTtlSeconds).toBe(900);
    expect(config.log.pretty).toBe(true); // development by default
    expect(config.worker.roles).toEqual(expect.arrayContaining(['swarm-lifecycle', 'health-monitor', 'heartbeat-persister', 'metrics-rollup']));
    expect(config.worker.metricsPort).toBe(18001);
  });

  it('names every missing required variable', () => {
    const problems = problemsOf({});
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['DATABASE_URL', 'JWT_SECRET', 'REDIS_URL']);
  });

  it('treats empty strings as unset', () => {
    expect(problemsOf({ ...VALID, REDIS_URL: '' })).toEqual(['REDIS_URL: is required']);
  });

  it('names the variable that has a bad value', () => {
    expect(problemsOf({ ...VALID, PORT: 'eighty' })[0]).toMatch(/^PORT:/);
    expect(problemsOf({ ...VALID, DATABASE_URL: 'mysql://x' })[0]).toMatch(/^DATABASE_URL: must be a URL starting with postgres/);
    expect(problemsOf({ ...VALID, JWT_SECRET: 'short' })[0]).toBe('JWT_SECRET: must be at least 32 characters');
    expect(problemsOf({ ...VALID, LOG_PRETTY: 'maybe' })[0]).toMatch(/^LOG_PRETTY:/);
    expect(problemsOf({ ...VALID, BOOTSTRAP_ADMIN_KEY: 'admin' })[0]).toMatch(/^BOOTSTRAP_ADMIN_KEY:/);
    expect(problemsOf({ ...VALID, WORKER_ROLES: 'swarm-lifecycle,bogus' })[0]).toMatch(/^WORKER_ROLES: unknown role\(s\) "bogus"/);
    expect(problemsOf({ ...VALID, WORKER_METRICS_PORT: '70000' })[0]).toMatch(/^WORKER_METRICS_PORT:/);
  });

  it('maps the worker settings', () => {
    const config = loadConfig({ ...VALID, WORKER_ROLES: 'metrics-rollup', WORKER_METRICS_PORT: '0' });
    expect(config.worker).toEqual({ roles: ['metrics-rollup'], metricsPort: 0 });
  });

  it('returns a frozen object', () => {
    expect(Object.isFrozen(loadConfig(VALID))).toBe(true);
  });
});
