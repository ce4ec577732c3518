import { Duplex } from 'node:stream';
import { coalesceWritesPerTurn } from './write-coalescing';

/** A duplex that records how its writes reach the underlying resource: one entry per system call a socket would make. */
class RecordingDuplex extends Duplex {
  readonly calls: string[][] = [];

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.calls.push([chunk.toString()]);
    callback();
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: () => void): void {
    this.calls.push(chunks.map(({ chunk }) => chunk.toString()));
    callback();
  }
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('coalesceWritesPerTurn', () => {
  it('sends the writes of one turn, promise continuations included, as one call', async () => {
    const socket = new RecordingDuplex();
    coalesceWritesPerTurn(socket);
    socket.write('a');
    socket.write('b');
    await Promise.resolve();
    socket.write('c');
    expect(socket.calls).toEqual([]);
    await nextTurn();
    expect(socket.calls).toEqual([['a', 'b', 'c']]);
  });

  it('does not hold a later turn’s write back', async () => {
    const socket = new RecordingDuplex();
    coalesceWritesPerTurn(socket);
    socket.write('first');
    await nextTurn();
    socket.write('second');
    await nextTurn();
    expect(socket.calls).toEqual([['first'], ['second']]);
  });

  it('leaves a cork the writer set itself in place until the writer lifts it', async () => {
    const socket = new RecordingDuplex();
    coalesceWritesPerTurn(socket);
    socket.cork();
    socket.write('x');
    await nextTurn();
    expect(socket.calls).toEqual([]);
    socket.write('y');
    socket.uncork();
    await nextTurn();
    expect(socket.calls).toEqual([['x', 'y']]);
  });
});
