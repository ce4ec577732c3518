import { ConnectionRefusedError, type StopInfo } from '@swarm/agent-sdk';

export const EXIT_STOPPED = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_ARGUMENTS = 2;
/** The coordinator refused the handshake: restarting with the same token cannot help. */
export const EXIT_CONNECTION_REFUSED = 3;

export function exitCodeFor(info: StopInfo): number {
  if (!info.error) return EXIT_STOPPED;
  return info.error instanceof ConnectionRefusedError ? EXIT_CONNECTION_REFUSED : EXIT_FAILURE;
}
