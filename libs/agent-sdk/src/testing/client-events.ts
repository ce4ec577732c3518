import type { AgentClient, AgentClientEvents } from '../agent-client';

/** Resolves with the arguments of the client's next `event` (matching `accept`); fails the test instead of hanging. */
export function nextEvent<E extends keyof AgentClientEvents>(
  client: AgentClient,
  event: E,
  accept: (...args: AgentClientEvents[E]) => boolean = () => true,
  timeoutMs = 5_000,
): Promise<AgentClientEvents[E]> {
  return new Promise((resolve, reject) => {
    const listener = (...args: AgentClientEvents[E]): void => {
      if (!accept(...args)) return;
      clearTimeout(timer);
      client.off(event, listener as never);
      resolve(args);
    };
    const timer = setTimeout(() => {
      client.off(event, listener as never);
      reject(new Error(`agent client: no "${String(event)}" within ${timeoutMs} ms`));
    }, timeoutMs);
    client.on(event, listener as never);
  });
}

/** Something the test opens when it wants to, e.g. to let a task handler finish. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Polls until `condition` holds; fails the test with `what` instead of hanging. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
