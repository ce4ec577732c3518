/** A task that travels a ring: each member's output is the next one's input. Stored on the parent task. */
export interface PipelineSpec {
  /** Ring order when it was submitted, starting at the leader. */
  path: string[];
  stages: PipelineStage[];
}

export interface PipelineStage {
  agent_id: string;
  task_id: string;
  status: string;
}

/**
 * The member that runs the next stage: the first one after the last stage's member, in ring
 * order, that is live now and has not run a stage yet (unhealthy members are skipped, not
 * waited for). Null when the pipeline has gone round.
 */
export function nextPipelineAgent(spec: PipelineSpec, isLive: (agentId: string) => boolean): string | null {
  const visited = new Set(spec.stages.map((s) => s.agent_id));
  const last = spec.stages.at(-1)?.agent_id;
  const start = last === undefined ? 0 : spec.path.indexOf(last) + 1;
  for (let i = 0; i < spec.path.length; i++) {
    const candidate = spec.path[(start + i) % spec.path.length];
    if (!visited.has(candidate) && isLive(candidate)) return candidate;
  }
  return null;
}
