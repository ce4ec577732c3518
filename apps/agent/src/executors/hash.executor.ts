import { createHash } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { AgentTask, TaskContext } from '@swarm/agent-sdk';
import { z } from 'zod';
import type { Executor } from './executor';
import { parsePayload } from './payload';

/** About ten seconds of hashing on one core: real CPU work without parking the agent. */
export const MAX_ITERATIONS = 10_000_000;
/**
 * Hashes between two looks at the event loop. The chain is synchronous CPU work; without
 * these pauses heartbeats, cancels and progress would wait for the whole task.
 */
const ITERATIONS_PER_SLICE = 20_000;

const payloadSchema = z.object({
  data: z.string(),
  iterations: z.number().int().min(1).max(MAX_ITERATIONS).default(1),
});

export interface HashResult {
  algorithm: 'sha256';
  iterations: number;
  /** Hex of sha256 applied `iterations` times: to the data's UTF-8 bytes, then to each previous digest. */
  digest: string;
}

/**
 * Real, checkable CPU work for exercising the system: a sha256 chain over payload.data
 * ({data, iterations?}). Anyone can verify the answer, and the iteration count sets the cost.
 */
export class HashExecutor implements Executor {
  readonly name = 'hash';

  async execute(task: AgentTask, context: TaskContext): Promise<HashResult> {
    const { data, iterations } = parsePayload(payloadSchema, task.payload);
    let digest = createHash('sha256').update(data, 'utf8').digest();
    for (let done = 1; done < iterations; ) {
      const sliceEnd = Math.min(iterations, done + ITERATIONS_PER_SLICE);
      for (; done < sliceEnd; done++) digest = createHash('sha256').update(digest).digest();
      context.progress((done / iterations) * 100);
      await yieldToEventLoop();
      context.signal.throwIfAborted();
    }
    context.progress(100);
    return { algorithm: 'sha256', iterations, digest: digest.toString('hex') };
  }
}
