import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';

/**
 * Makes every write a socket gets in one turn of the event loop leave as one system call: the
 * socket is corked at its first write and uncorked once the turn's callbacks and promises have
 * run. A consensus round sends an operator several events back to back, and a voting agent its
 * acknowledgement and the outcome; each was a write of its own, and a write to a local TCP socket
 * costs tens of microseconds of kernel time on small virtual machines. Nothing waits longer than
 * the turn that wrote it.
 */
export function coalesceWritesPerTurn(socket: Duplex): void {
  let corked = false;
  const release = (): void => {
    corked = false;
    socket.uncork();
  };
  const write = socket.write;
  socket.write = function (this: Duplex, ...args: Parameters<Duplex['write']>) {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(release);
    }
    return write.apply(this, args);
  } as Duplex['write'];
}

/** The `ws` server engine.io runs (its `wsEngine` option), with writes coalesced per turn on every upgraded socket. */
export class WriteCoalescingWebSocketServer extends WebSocketServer {
  override handleUpgrade(...args: Parameters<WebSocketServer['handleUpgrade']>): void {
    const [, socket] = args as [IncomingMessage, Duplex, ...unknown[]];
    coalesceWritesPerTurn(socket);
    super.handleUpgrade(...args);
  }
}
