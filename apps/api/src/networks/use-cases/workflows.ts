import { Injectable } from '@nestjs/common';
import { Agent, Prisma, PrismaService } from '@swarm/db';
import { ValidationFailed } from '@swarm/domain';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { v4 as uuidv4 } from 'uuid';
import type { Actor } from '../../auth/auth.decorators';
import { AgentFactory } from '../../agents/use-cases/create-agent';
import { describeValidationErrors, RequestValidationError } from '../../common/validation';
import { ListWorkflowsQuery, VerificationLevel, WorkflowKnownFields } from '../network.dto';

/** A workflow is an agent of this type; its workflow fields live in the agent's metadata. */
export const WORKFLOW_AGENT_TYPE = 'workflow';
const KNOWN_FIELDS = ['name', 'description', 'verification_level', 'workflow_id', 'inputs', 'max_execution_time', 'max_cost_budget'] as const;
const CAPABILITY = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$/;
const MAX_CAPABILITIES = 64;

/** What metadata.workflow holds. */
export interface StoredWorkflow {
  workflow_id: string;
  type: string;
  description: string | null;
  verification_level: VerificationLevel;
  inputs: Record<string, unknown>;
  max_execution_time: number | null;
  max_cost_budget: number | null;
  /** Every key of the request beyond the known ones: the client's workflow file. */
  definition: Record<string, unknown>;
}

export interface WorkflowRegistration {
  fields: WorkflowKnownFields;
  definition: Record<string, unknown>;
  capabilities: string[];
}

/**
 * Reads a registration body: the known fields are checked like any request body, the rest is
 * kept as the definition (the global pipe would refuse those keys, so this runs by hand).
 */
export function readWorkflowRegistration(body: unknown): WorkflowRegistration {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationFailed('the body must be a JSON object');
  const record = body as Record<string, unknown>;
  const known: Record<string, unknown> = {};
  const definition: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if ((KNOWN_FIELDS as readonly string[]).includes(key)) known[key] = value;
    else definition[key] = value;
  }
  const fields = plainToInstance(WorkflowKnownFields, known, { enableImplicitConversion: false });
  const errors = validateSync(fields, { validationError: { target: false, value: false } });
  const problems = describeValidationErrors(errors);
  if (fields.name === undefined && !problems.some((p) => p.startsWith('name'))) problems.unshift('name: name is required');
  const capabilities = capabilitiesOf(definition, problems);
  if (problems.length > 0) throw new RequestValidationError(problems);
  return { fields, definition, capabilities };
}

/** From the definition's `capabilities`, and the `capability`/`capabilities` of its `steps`. */
function capabilitiesOf(definition: Record<string, unknown>, problems: string[]): string[] {
  const found: string[] = [];
  const take = (value: unknown, where: string) => {
    if (typeof value === 'string' && CAPABILITY.test(value)) found.push(value);
    else problems.push(`${where} must be 1-64 letters, digits or _.:/- and start with a letter or digit`);
  };
  const { capabilities, steps } = definition;
  if (capabilities !== undefined) {
    if (!Array.isArray(capabilities)) problems.push('capabilities must be a list of capability names');
    else capabilities.forEach((c, i) => take(c, `capability ${i + 1}`));
  }
  if (steps !== undefined) {
    if (!Array.isArray(steps)) problems.push('steps must be a list');
    else
      steps.forEach((step, i) => {
        if (typeof step !== 'object' || step === null) return;
        const s = step as Record<string, unknown>;
        if (s.capability !== undefined) take(s.capability, `the capability of step ${i + 1}`);
        if (Array.isArray(s.capabilities)) s.capabilities.forEach((c, j) => take(c, `capability ${j + 1} of step ${i + 1}`));
      });
  }
  const distinct = [...new Set(found)];
  if (distinct.length > MAX_CAPABILITIES) problems.push(`a workflow may declare at most ${MAX_CAPABILITIES} capabilities, this one has ${distinct.length}`);
  return distinct;
}

/** Undefined for an agent registered as type workflow through POST /api/v1/agents. */
export function storedWorkflow(agent: Agent): StoredWorkflow | undefined {
  return ((agent.metadata ?? {}) as { workflow?: StoredWorkflow }).workflow;
}

/** Registers a workflow as a real agent of the caller, which a program connects as with the token. */
@Injectable()
export class RegisterWorkflow {
  constructor(
    private readonly prisma: PrismaService,
    private readonly factory: AgentFactory,
  ) {}

  async execute(actor: Actor, registration: WorkflowRegistration): Promise<{ agent: Agent; token: string }> {
    const { fields, definition, capabilities } = registration;
    const workflow: StoredWorkflow = {
      workflow_id: fields.workflow_id ?? uuidv4(),
      type: typeof definition.type === 'string' && definition.type !== '' ? definition.type : WORKFLOW_AGENT_TYPE,
      description: fields.description ?? null,
      verification_level: fields.verification_level ?? 'basic',
      inputs: fields.inputs ?? {},
      max_execution_time: fields.max_execution_time ?? null,
      max_cost_budget: fields.max_cost_budget ?? null,
      definition,
    };
    return this.prisma.$transaction((tx) =>
      this.factory.create(tx, actor, { name: fields.name, agentType: WORKFLOW_AGENT_TYPE, capabilities, metadata: { workflow } }),
    );
  }
}

/** The caller's workflows, newest first. Another owner's id lists nothing: owners never see each other. */
@Injectable()
export class ListWorkflows {
  constructor(private readonly prisma: PrismaService) {}

  async execute(ownerId: string, query: ListWorkflowsQuery): Promise<Agent[]> {
    if (query.owner !== undefined && query.owner.toLowerCase() !== ownerId.toLowerCase()) return [];
    const metadataFilters: Prisma.AgentWhereInput[] = [];
    if (query.type !== undefined) metadataFilters.push({ metadata: { path: ['workflow', 'type'], equals: query.type } });
    if (query.verification !== undefined) metadataFilters.push({ metadata: { path: ['workflow', 'verification_level'], equals: query.verification } });
    return this.prisma.agent.findMany({
      where: { ownerId, agentType: WORKFLOW_AGENT_TYPE, status: query.status, AND: metadataFilters },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: query.limit ?? 20,
    });
  }
}
