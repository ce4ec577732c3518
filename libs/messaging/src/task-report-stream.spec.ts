import { parseTaskReports } from './task-report-stream';

describe('parseTaskReports', () => {
  const agent = '01a201cf-975f-713a-b69f-19d2fe2940b8';

  it('reads a batch entry: every report in order, with the agent of the entry', () => {
    const batch = [
      { k: 'ack', t: 'task-1', f: '7', at: 1000 },
      { k: 'result', t: 'task-1', f: '7', at: 1001, d: { ok: true } },
      { k: 'fail', t: 'task-2', f: '8', at: 1002, d: { error: 'boom', retryable: false } },
      { k: 'result', t: 'task-3', f: '9', at: 1003, d: null },
    ];
    expect(parseTaskReports('1-0', ['a', agent, 'b', JSON.stringify(batch)])).toEqual([
      { entryId: '1-0', kind: 'ack', agentId: agent, taskId: 'task-1', fencingToken: '7', at: 1000, data: undefined },
      { entryId: '1-0', kind: 'result', agentId: agent, taskId: 'task-1', fencingToken: '7', at: 1001, data: { ok: true } },
      { entryId: '1-0', kind: 'fail', agentId: agent, taskId: 'task-2', fencingToken: '8', at: 1002, data: { error: 'boom', retryable: false } },
      { entryId: '1-0', kind: 'result', agentId: agent, taskId: 'task-3', fencingToken: '9', at: 1003, data: null },
    ]);
  });

  it('still reads the older one-report entries', () => {
    expect(parseTaskReports('2-0', ['k', 'result', 'a', agent, 't', 'task-1', 'f', '7', 'at', '1000', 'd', '{"n":1}'])).toEqual([
      { entryId: '2-0', kind: 'result', agentId: agent, taskId: 'task-1', fencingToken: '7', at: 1000, data: { n: 1 } },
    ]);
    expect(parseTaskReports('3-0', ['k', 'ack', 'a', agent, 't', 'task-1', 'f', '7', 'at', '1000', 'd', ''])).toEqual([
      { entryId: '3-0', kind: 'ack', agentId: agent, taskId: 'task-1', fencingToken: '7', at: 1000, data: undefined },
    ]);
  });

  it.each([
    ['no agent', ['b', '[]']],
    ['a batch that is not JSON', ['a', agent, 'b', '{nope']],
    ['a batch that is not an array', ['a', agent, 'b', '{"k":"ack"}']],
    ['a report of an unknown kind', ['a', agent, 'b', JSON.stringify([{ k: 'finish', t: 'task-1', f: '7', at: 1 }])]],
    ['a report without its token', ['a', agent, 'b', JSON.stringify([{ k: 'ack', t: 'task-1', at: 1 }])]],
    ['an old entry of an unknown kind', ['k', 'finish', 'a', agent, 't', 'task-1', 'f', '7', 'at', '1']],
    ['an old entry with broken data', ['k', 'result', 'a', agent, 't', 'task-1', 'f', '7', 'at', '1', 'd', '{']],
  ])('refuses an entry with %s (null: acknowledged and dropped by the processor)', (_what, fields) => {
    expect(parseTaskReports('9-0', fields)).toBeNull();
  });
});
