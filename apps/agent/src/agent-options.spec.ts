import { parseAgentOptions } from './agent-options';

const TOKEN = 'sa_AbCd1234_0123456789abcdefghijklmnopqrstuv';
const REQUIRED = ['--url', 'http://127.0.0.1:18000', '--token', TOKEN, '--executor', 'echo'];

function problemsOf(argv: string[], env: Record<string, string | undefined> = {}): string[] {
  const outcome = parseAgentOptions(argv, env);
  if (outcome.kind !== 'invalid') throw new Error(`expected invalid arguments, got ${outcome.kind}`);
  return outcome.problems;
}

describe('parseAgentOptions', () => {
  it('applies defaults to the required flags', () => {
    expect(parseAgentOptions(REQUIRED, {})).toEqual({
      kind: 'options',
      options: { url: 'http://127.0.0.1:18000', token: TOKEN, executor: 'echo', sleepMs: 100, stopTimeoutMs: 10_000 },
    });
  });

  it('reads url and token from the environment, flags winning over it', () => {
    const env = { SWARM_URL: 'http://env-host:1', SWARM_AGENT_TOKEN: TOKEN };
    const fromEnv = parseAgentOptions(['--executor', 'sleep', '--sleep-ms', '250'], env);
    expect(fromEnv).toMatchObject({ kind: 'options', options: { url: 'http://env-host:1', token: TOKEN, sleepMs: 250 } });
    const flagWins = parseAgentOptions(['--executor', 'echo', '--url', 'https://flag-host'], env);
    expect(flagWins).toMatchObject({ options: { url: 'https://flag-host' } });
    // An empty variable is as good as unset.
    expect(problemsOf(['--executor', 'echo'], { SWARM_URL: '', SWARM_AGENT_TOKEN: TOKEN })).toEqual([
      '--url (or SWARM_URL): is required',
    ]);
  });

  it('splits, trims and de-duplicates capabilities', () => {
    expect(parseAgentOptions([...REQUIRED, '--capabilities', 'summarise, translate,,summarise'], {})).toMatchObject({
      options: { capabilities: ['summarise', 'translate'] },
    });
    expect(problemsOf([...REQUIRED, '--capabilities', ' , '])).toEqual(['--capabilities: must name at least one capability']);
    expect(problemsOf([...REQUIRED, '--capabilities', 'ok,bad space'])[0]).toMatch(/^--capabilities: invalid capability "bad space"/);
    const tooMany = Array.from({ length: 65 }, (_, index) => `c${index}`).join(',');
    expect(problemsOf([...REQUIRED, '--capabilities', tooMany])).toEqual(['--capabilities: at most 64 capabilities, got 65']);
  });

  it('names every missing or bad setting at once', () => {
    expect(problemsOf([])).toEqual([
      '--url (or SWARM_URL): is required',
      '--token (or SWARM_AGENT_TOKEN): is required',
      '--executor: is required: one of echo, sleep, hash, http, llm',
    ]);
    const problems = problemsOf(['--url', 'ftp://host', '--token', 'sc_AbCd1234_0123456789abcdefghijklmnopqrstuv', '--executor', 'dance', '--sleep-ms=-5']);
    expect(problems.map((problem) => problem.split(':')[0])).toEqual(['--url (or SWARM_URL)', '--token (or SWARM_AGENT_TOKEN)', '--executor', '--sleep-ms']);
    expect(problemsOf([...REQUIRED, '--stop-timeout-ms', '1.5'])).toEqual(['--stop-timeout-ms: must be a whole number']);
  });

  it('requires the llm settings with the llm executor only, from flags or the environment', () => {
    const llm = ['--url', 'http://127.0.0.1:18000', '--token', TOKEN, '--executor', 'llm'];
    expect(problemsOf(llm)).toEqual([
      '--llm-url (or SWARM_LLM_URL): is required with --executor llm',
      '--llm-model (or SWARM_LLM_MODEL): is required with --executor llm',
    ]);
    // Reported together with the other problems, not after them.
    expect(problemsOf([...llm, '--sleep-ms', 'x'])).toHaveLength(3);
    expect(problemsOf([...llm, '--llm-url', 'localhost:11434', '--llm-model', 'm'])).toEqual([
      '--llm-url (or SWARM_LLM_URL): must be an http(s) URL, e.g. http://127.0.0.1:11434/v1',
    ]);
    expect(parseAgentOptions([...llm, '--llm-url', 'http://127.0.0.1:11434/v1', '--llm-model', 'llama3.2'], { OPENAI_API_KEY: 'sk-env' })).toMatchObject({
      options: { executor: 'llm', llm: { url: 'http://127.0.0.1:11434/v1', model: 'llama3.2', apiKey: 'sk-env' } },
    });
    const fromEnv = parseAgentOptions(llm, {
      SWARM_LLM_URL: 'https://api.example.com/v1',
      SWARM_LLM_MODEL: 'gpt',
      SWARM_LLM_API_KEY: 'sk-swarm',
      OPENAI_API_KEY: 'sk-other',
    });
    expect(fromEnv).toMatchObject({ options: { llm: { url: 'https://api.example.com/v1', model: 'gpt', apiKey: 'sk-swarm' } } });
    const keyless = parseAgentOptions([...llm, '--llm-url', 'http://127.0.0.1:11434/v1', '--llm-model', 'llama3.2'], {});
    expect(keyless.kind === 'options' && keyless.options.llm).toEqual({ url: 'http://127.0.0.1:11434/v1', model: 'llama3.2' });
    // Other executors ignore the llm settings.
    const echo = parseAgentOptions([...REQUIRED, '--llm-model', 'unused'], {});
    expect(echo.kind === 'options' && echo.options.llm).toBeUndefined();
  });

  it('refuses unknown flags and stray arguments', () => {
    expect(problemsOf([...REQUIRED, '--colour', 'blue'])[0]).toMatch(/--colour/);
    expect(problemsOf([...REQUIRED, 'extra'])[0]).toMatch(/extra/);
    expect(problemsOf([...REQUIRED, '--sleep-ms'])).toEqual([expect.stringMatching(/^Option '--sleep-ms <value>' argument missing/)]);
  });

  it('recognises --help', () => {
    expect(parseAgentOptions(['--help'], {})).toEqual({ kind: 'help' });
  });
});
