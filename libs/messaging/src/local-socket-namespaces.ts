import { Injectable } from '@nestjs/common';
import type { Namespace } from 'socket.io';

/** What both a socket.io namespace (with the Redis adapter) and the Redis emitter can do. */
export interface SocketBroadcaster {
  to(rooms: string | string[]): { emit(event: string, ...args: unknown[]): unknown };
  in(rooms: string | string[]): { disconnectSockets(close?: boolean): unknown };
}

/**
 * The socket.io namespaces this process serves, once its gateways start (the api; never the
 * worker). Broadcasting through a namespace delivers to the sockets held here at once, in the
 * same tick, and the Redis adapter forwards it to the other api copies; the emitter would send
 * even local sockets' messages on a round trip through Redis first.
 */
@Injectable()
export class LocalSocketNamespaces {
  private readonly byName = new Map<string, SocketBroadcaster>();

  attach(name: string, namespace: Namespace): void {
    this.byName.set(name, namespace as unknown as SocketBroadcaster);
  }

  get(name: string): SocketBroadcaster | undefined {
    return this.byName.get(name);
  }
}
