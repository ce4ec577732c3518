import { readStoredConfiguration } from '@swarm/domain';
import type { ExecutionState } from './use-cases/get-execution';
import type { LoadedNetwork } from './use-cases/network-records';

const PRIORITY_NAMES: Record<number, string> = { 2: 'low', 5: 'normal', 8: 'high' };

export function presentNetwork({ network, swarm, members }: LoadedNetwork) {
  return {
    id: network.id,
    name: network.name,
    description: network.description,
    agents: members.map((m) => m.agentId),
    coordination_strategy: network.coordinationStrategy,
    status: swarm.status,
    created_at: network.createdAt.toISOString(),
    owner_id: network.ownerId,
    swarm_id: swarm.id,
    topology: swarm.topology,
    distribution_algorithm: readStoredConfiguration(swarm.configuration).distribution_algorithm,
  };
}

/** `results` holds the subtasks' results in order once every one completed; `subtasks` shows each as it is. */
export function presentExecution(state: ExecutionState) {
  const { execution, status, counts, subtasks } = state;
  return {
    id: execution.id,
    execution_id: execution.id,
    network_id: execution.networkId,
    task: execution.task,
    priority: PRIORITY_NAMES[execution.priority] ?? String(execution.priority),
    status,
    started_at: execution.startedAt.toISOString(),
    completed_at: state.completedAt?.toISOString() ?? null,
    progress: counts.total === 0 ? 0 : Math.round(((counts.completed + counts.failed + counts.cancelled) / counts.total) * 100),
    counts,
    results: status === 'completed' ? subtasks.map((s) => s.result) : [],
    subtasks,
  };
}
