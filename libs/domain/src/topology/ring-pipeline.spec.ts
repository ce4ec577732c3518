import { nextPipelineAgent, PipelineSpec } from './ring-pipeline';

const spec = (stages: string[]): PipelineSpec => ({ path: ['a', 'b', 'c', 'd'], stages: stages.map((agent_id, i) => ({ agent_id, task_id: `t${i}`, status: 'completed' })) });
const all = () => true;

describe('nextPipelineAgent', () => {
  it('goes round the ring in order, once', () => {
    expect(nextPipelineAgent(spec([]), all)).toBe('a');
    expect(nextPipelineAgent(spec(['a']), all)).toBe('b');
    expect(nextPipelineAgent(spec(['a', 'b', 'c']), all)).toBe('d');
    expect(nextPipelineAgent(spec(['a', 'b', 'c', 'd']), all)).toBeNull();
  });

  it('skips members that are not live instead of waiting for them', () => {
    const down = new Set(['b']);
    expect(nextPipelineAgent(spec(['a']), (id) => !down.has(id))).toBe('c');
    expect(nextPipelineAgent(spec([]), (id) => id !== 'a')).toBe('b');
    expect(nextPipelineAgent(spec(['a', 'c', 'd']), (id) => !down.has(id))).toBeNull();
  });
});
