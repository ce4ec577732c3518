import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

/** Starts an entry point the way production does (a real process) with a given environment. */
function startWith(entry: string, env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', entry], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe.each([
  ['api', 'apps/api/src/main.ts'],
  ['worker', 'apps/worker/src/main.ts'],
])('%s start-up with bad configuration', (_name, entry) => {
  it('stops with exit code 78 and names every bad or missing variable', () => {
    const result = startWith(entry, { PORT: 'not-a-port', REDIS_URL: 'http://localhost' });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('Invalid configuration');
    expect(result.stderr).toMatch(/PORT: /);
    expect(result.stderr).toMatch(/DATABASE_URL: is required/);
    expect(result.stderr).toMatch(/REDIS_URL: must be a URL starting with redis:\/\/ or rediss:\/\//);
    expect(result.stderr).toMatch(/JWT_SECRET: is required/);
    expect(result.stderr).toContain('.env.example');
  });
});
