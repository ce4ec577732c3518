import { compareText } from './task-ordering';
import { DependencyType, FINAL_TASK_STATUSES, TaskStatus } from './task.types';

export interface DependencyNode {
  key: string;
  dependsOn: string[];
}

/**
 * A cycle in a submitted batch, as the keys along it (each depends on the next), first = last;
 * null when the batch is a DAG. A self-dependency is the cycle [a, a]. Keys outside the batch
 * (tasks that already exist) are ignored: an existing task cannot depend on one not yet
 * created, so it cannot close a cycle. Iterative, so a long chain cannot overflow the stack;
 * nodes and dependencies are walked in input order, so the same batch names the same cycle.
 */
export function findDependencyCycle(nodes: DependencyNode[]): string[] | null {
  const edges = new Map<string, string[]>();
  for (const node of nodes) edges.set(node.key, [...(edges.get(node.key) ?? []), ...node.dependsOn]);

  const done = new Set<string>();
  for (const start of edges.keys()) {
    if (done.has(start)) continue;
    // path holds the keys on the current walk; next[i] is the next dependency of path[i] to visit.
    const path = [start];
    const next = [0];
    const onPath = new Set([start]);
    while (path.length > 0) {
      const top = path.length - 1;
      const dependencies = edges.get(path[top])!;
      if (next[top] === dependencies.length) {
        done.add(path[top]);
        onPath.delete(path[top]);
        path.pop();
        next.pop();
        continue;
      }
      const dependency = dependencies[next[top]++];
      if (onPath.has(dependency)) return [...path.slice(path.indexOf(dependency)), dependency];
      if (!edges.has(dependency) || done.has(dependency)) continue;
      path.push(dependency);
      next.push(0);
      onPath.add(dependency);
    }
  }
  return null;
}

export interface DependencyFact {
  prerequisiteId: string;
  prerequisiteStatus: TaskStatus;
  type: DependencyType;
}

export type DependencyState = { state: 'ready' } | { state: 'waiting'; reason: string } | { state: 'failed'; reason: string };

/**
 * Whether a dependant may run. A success dependency whose prerequisite ended any other way
 * than completed fails the dependant at once, even while other prerequisites still run: it can
 * never become ready, and failing now releases its own dependants sooner. When several did,
 * the lowest id is named, so the reason does not depend on the order rows came back in.
 */
export function evaluateDependencies(deps: DependencyFact[]): DependencyState {
  const broken = deps
    .filter((d) => d.type === 'success' && isFinal(d.prerequisiteStatus) && d.prerequisiteStatus !== 'completed')
    .sort((a, b) => compareText(a.prerequisiteId, b.prerequisiteId));
  if (broken.length > 0) {
    return { state: 'failed', reason: `dependency ${broken[0].prerequisiteId} ended ${broken[0].prerequisiteStatus}` };
  }
  const unfinished = new Set(deps.filter((d) => !isFinal(d.prerequisiteStatus)).map((d) => d.prerequisiteId)).size;
  if (unfinished > 0) return { state: 'waiting', reason: `waiting for ${unfinished} ${unfinished === 1 ? 'dependency' : 'dependencies'}` };
  return { state: 'ready' };
}

function isFinal(status: TaskStatus): boolean {
  return FINAL_TASK_STATUSES.includes(status);
}
