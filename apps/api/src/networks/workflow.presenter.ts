import type { Agent } from '@swarm/db';
import { storedWorkflow } from './use-cases/workflows';

export interface WorkflowView {
  /** The agent id: a workflow is the agent that runs it. */
  id: string;
  agent_id: string;
  workflow_id: string | null;
  name: string;
  type: string;
  description: string | null;
  verification_level: string;
  inputs: Record<string, unknown>;
  max_execution_time: number | null;
  max_cost_budget: number | null;
  capabilities: string[];
  definition: Record<string, unknown>;
  status: string;
  owner_id: string;
  created_at: string;
}

export function presentWorkflow(agent: Agent): WorkflowView {
  const workflow = storedWorkflow(agent);
  return {
    id: agent.id,
    agent_id: agent.id,
    workflow_id: workflow?.workflow_id ?? null,
    name: agent.name,
    type: workflow?.type ?? agent.agentType,
    description: workflow?.description ?? null,
    verification_level: workflow?.verification_level ?? 'basic',
    inputs: workflow?.inputs ?? {},
    max_execution_time: workflow?.max_execution_time ?? null,
    max_cost_budget: workflow?.max_cost_budget ?? null,
    capabilities: agent.capabilities,
    definition: workflow?.definition ?? {},
    status: agent.status,
    owner_id: agent.ownerId,
    created_at: agent.createdAt.toISOString(),
  };
}
