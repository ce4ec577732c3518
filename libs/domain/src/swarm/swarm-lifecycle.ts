import { Conflict } from '../errors/domain-error';
import { SwarmStatus } from './swarm.types';

export function isTerminated(status: SwarmStatus): boolean {
  return status === 'terminated';
}

/** A terminated swarm is history: it can be read, never changed. */
export function assertSwarmMutable(swarmId: string, status: SwarmStatus): void {
  if (isTerminated(status)) {
    throw new Conflict(`swarm ${swarmId} is terminated and can no longer be changed`);
  }
}
