import { NonRetryableTaskError } from '@swarm/agent-sdk';
import { LlmExecutor } from './llm.executor';
import { startLocalServer } from './local-server';
import { contextFor } from './test-context';

/** A fake OpenAI-compatible server: answers a completion echoing the last message, or the status the test asks for. */
describe('llm executor', () => {
  let server: Awaited<ReturnType<typeof startLocalServer>>;
  let answerStatus = 200;
  let answerBody: string | undefined;

  beforeAll(async () => {
    server = await startLocalServer((request, response) => {
      if (request.url !== '/v1/chat/completions' || request.method !== 'POST') {
        response.writeHead(404).end();
        return;
      }
      if (answerStatus !== 200 || answerBody !== undefined) {
        response.writeHead(answerStatus, { 'content-type': 'application/json' }).end(answerBody ?? JSON.stringify({ error: { message: 'nope' } }));
        return;
      }
      const { model, messages } = JSON.parse(request.body) as { model: string; messages: Array<{ content: string }> };
      response.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          model: `${model}-served`,
          choices: [{ index: 0, message: { role: 'assistant', content: `you said: ${messages.at(-1)?.content}` }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 7, completion_tokens: 4, total_tokens: 11 },
        }),
      );
    });
  });

  afterAll(() => server.close());

  beforeEach(() => {
    answerStatus = 200;
    answerBody = undefined;
  });

  const llm = () => new LlmExecutor({ url: `${server.url}/v1/`, model: 'tiny', apiKey: 'sk-test' });
  const run = (payload: unknown) => llm().execute({ id: 't1', type: 'ask', payload }, contextFor('t1').context);

  it('sends a prompt as chat messages and answers content, model and usage', async () => {
    await expect(run({ prompt: 'hello', system: 'be brief', max_tokens: 16, temperature: 0 })).resolves.toEqual({
      content: 'you said: hello',
      model: 'tiny-served',
      usage: { prompt_tokens: 7, completion_tokens: 4, total_tokens: 11 },
      finish_reason: 'stop',
    });
    const request = server.requests.at(-1);
    expect(request?.headers.authorization).toBe('Bearer sk-test');
    expect(JSON.parse(request?.body ?? '')).toEqual({
      model: 'tiny',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello' },
      ],
      stream: false,
      max_tokens: 16,
      temperature: 0,
    });
  });

  it('passes a conversation on as given, without a key when none is set', async () => {
    const messages = [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello' },
      { role: 'user', content: 'again' },
    ];
    const keyless = new LlmExecutor({ url: `${server.url}/v1`, model: 'tiny' });
    await expect(keyless.execute({ id: 't1', type: 'ask', payload: { messages } }, contextFor('t1').context)).resolves.toMatchObject({
      content: 'you said: again',
    });
    expect(server.requests.at(-1)?.headers.authorization).toBeUndefined();
    expect(JSON.parse(server.requests.at(-1)?.body ?? '')).toMatchObject({ messages });
  });

  it('fails for good on a request the API calls unusable, retryably on the rest', async () => {
    answerStatus = 400;
    const bad = run({ prompt: 'x' });
    await expect(bad).rejects.toBeInstanceOf(NonRetryableTaskError);
    await expect(bad).rejects.toThrow(/HTTP 400 Bad Request from http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions/);
    for (const status of [401, 404, 429, 500]) {
      answerStatus = status;
      const failing = run({ prompt: 'x' });
      await expect(failing).rejects.toThrow(`HTTP ${status}`);
      await expect(failing).rejects.not.toBeInstanceOf(NonRetryableTaskError);
    }
  });

  it('fails retryably when a 2xx answer is not a completion', async () => {
    answerBody = 'not json';
    await expect(run({ prompt: 'x' })).rejects.toThrow(/answered with something other than JSON/);
    answerBody = JSON.stringify({ choices: [] });
    const empty = run({ prompt: 'x' });
    await expect(empty).rejects.toThrow(/answered with no completion/);
    await expect(empty).rejects.not.toBeInstanceOf(NonRetryableTaskError);
  });

  it('refuses a payload with neither prompt nor messages, for good', async () => {
    for (const payload of [{}, { prompt: '' }, { messages: [] }, { messages: [{ role: 'robot', content: 'x' }] }, 'hello']) {
      await expect(run(payload)).rejects.toBeInstanceOf(NonRetryableTaskError);
    }
  });
});
