/**
 * Summarises a V8 .cpuprofile (as written by `node --cpu-prof`, e.g. by the heartbeat benchmark
 * with --cpu-prof) without a browser: self time per function and per package.
 *
 *   node --import tsx bench/heartbeats/profile-summary.ts <file.cpuprofile> [--top=25] [--from=S] [--to=S]
 *
 * --from/--to keep only samples taken S seconds after the profile started, to look at the
 * measurement window rather than start-up.
 */
import { readFileSync } from 'node:fs';
import { flagValue } from '../common/util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Microseconds of self time per profile node id, within [fromUs, toUs] after the start. */
function selfTimes(profile: CpuProfile, fromUs: number, toUs: number): Map<number, number> {
  const times = new Map<number, number>();
  let elapsed = 0;
  profile.samples.forEach((nodeId, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    elapsed += delta;
    if (elapsed < fromUs || elapsed > toUs) return;
    times.set(nodeId, (times.get(nodeId) ?? 0) + delta);
  });
  return times;
}

/** "node_modules/<pkg>" (scoped too), "node:internal", the project's own code, or a V8 bucket. */
function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1]!;
  if (url.startsWith('node:')) return 'node:internal';
  return isProjectCode(url) ? 'project (dist/)' : url;
}

function shortUrl(url: string): string {
  const index = url.lastIndexOf('node_modules/');
  if (index >= 0) return url.slice(index + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + 1) : url;
}

function isProjectCode(url: string): boolean {
  return url.includes('/dist/') && !url.includes('node_modules/');
}

function parentsOf(nodes: readonly ProfileNode[]): Map<number, number> {
  const parents = new Map<number, number>();
  for (const node of nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  return parents;
}

/**
 * Inclusive time of the project's own functions: a sample counts for every distinct project
 * function on its stack, which shows which code path (heartbeat, sweep, persister...) the
 * library and native time was spent for.
 */
function projectInclusive(selfByNode: Map<number, number>, nodes: Map<number, ProfileNode>, parents: Map<number, number>): Map<string, number> {
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfByNode) {
    const seen = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parents.get(current)) {
      const frame = nodes.get(current)!.callFrame;
      if (!isProjectCode(frame.url)) continue;
      seen.add(`${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`);
    }
    for (const key of seen) addTo(inclusive, key, us);
  }
  return inclusive;
}

function addTo(map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

function top(map: Map<string, number>, total: number, count: number): string[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, us]) => `${((us / total) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(7)} ms  ${key}`);
}

function main(argv: readonly string[]): void {
  const file = argv.find((arg) => !arg.startsWith('--'));
  if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [--top=25] [--from=S] [--to=S]');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const count = Number(flagValue(argv, 'top') ?? 25);
  const fromUs = Number(flagValue(argv, 'from') ?? 0) * 1e6;
  const toUs = flagValue(argv, 'to') === undefined ? Number.POSITIVE_INFINITY : Number(flagValue(argv, 'to')) * 1e6;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let total = 0;
  const selfByNode = selfTimes(profile, fromUs, toUs);
  for (const [id, us] of selfByNode) {
    const frame = nodes.get(id)!.callFrame;
    total += us;
    addTo(byPackage, packageOf(frame.url, frame.functionName), us);
    addTo(byFunction, `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`, us);
  }
  const busy = total - (byPackage.get('(idle)') ?? 0) - (byPackage.get('(program)') ?? 0);
  console.log(`${file}\nsampled ${(total / 1e6).toFixed(1)} s, of which not idle ${(busy / 1e6).toFixed(1)} s\n`);
  console.log(`Self time by package (share of all samples):\n${top(byPackage, total, count).join('\n')}\n`);
  console.log(`Self time by function:\n${top(byFunction, total, count).join('\n')}\n`);
  const inclusive = projectInclusive(selfByNode, nodes, parentsOf(profile.nodes));
  console.log(`Inclusive time of project functions (dist/):\n${top(inclusive, total, count).join('\n')}`);
}

main(process.argv.slice(2));
