import { ValidationFailed } from '@swarm/domain';
import { readCoordinationRequest } from './use-cases/coordinate-task';
import { joinSwarmPrefix } from './use-cases/join-swarm';

describe('readCoordinationRequest', () => {
  it('reads the CLI body', () => {
    expect(readCoordinationRequest({ task: 'classify', collaborators: 3, strategy: 'consensus', timeout_seconds: 60 })).toEqual({
      task: 'classify',
      strategy: 'consensus',
      collaborators: 3,
      timeoutSeconds: 60,
      swarmId: undefined,
    });
  });

  it('reads the older body: map-reduce by default, collaborators and timeout from parameters', () => {
    const request = readCoordinationRequest({ task_id: 'job-1', parameters: { collaborators: 2, timeout_seconds: 30, depth: 4 } });
    expect(request).toEqual({
      task: { task_id: 'job-1', parameters: { collaborators: 2, timeout_seconds: 30, depth: 4 } },
      strategy: 'distributed',
      collaborators: 2,
      timeoutSeconds: 30,
      swarmId: undefined,
    });
    expect(readCoordinationRequest({ task_id: 'job-2' })).toMatchObject({ collaborators: undefined, timeoutSeconds: 300 });
  });

  it('refuses a missing task and bad parameters', () => {
    expect(() => readCoordinationRequest({ strategy: 'consensus' })).toThrow(ValidationFailed);
    expect(() => readCoordinationRequest({ task_id: 'j', parameters: { collaborators: 0 } })).toThrow(/parameters.collaborators/);
  });

  it('keeps leader-election as asked', () => {
    expect(readCoordinationRequest({ task: 't', strategy: 'leader-election', collaborators: 3 })).toMatchObject({ strategy: 'leader-election', collaborators: 3 });
  });
});

describe('joinSwarmPrefix', () => {
  it('names join swarms by region, lower-cased, default without one', () => {
    expect(joinSwarmPrefix('EU-West')).toBe('cli-eu-west-');
    expect(joinSwarmPrefix(undefined)).toBe('cli-default-');
  });
});
