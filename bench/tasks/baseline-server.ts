/**
 * The baseline's server process (forked by bench/tasks/baseline.ts): the bare pipeline the task
 * engine is compared with, in one process.
 *
 *   BullMQ Worker (concurrency C) → for each job, emit `task` with an ack to the next of the
 *   connected socket.io clients (round robin) → on the ack, one single-row
 *   UPDATE bench_tasks SET status = 'completed', completed_at = now() WHERE id = $1
 *   (pg Pool) → the job completes (removed on completion).
 *
 * No persistence of assignments, no fencing, no retries beyond BullMQ's own, no
 * planning: the floor of what "queue → socket → Postgres" costs on this machine.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Job, Worker } from 'bullmq';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { Server, type Socket } from 'socket.io';
import { isTypedMessage } from '../common/ipc-child';
import { errorText } from '../common/util';
import type { BaselineCommand, BaselineReport, BaselineServerConfig } from './protocol';

const PROGRESS_EVERY_MS = 1_000;

interface BaselineJob {
  id: string;
  payload: unknown;
}

const httpServer = createServer();
const io = new Server(httpServer, { transports: ['websocket'], serveClient: false });
const sockets: Socket[] = [];
let next = 0;
let config: BaselineServerConfig | null = null;
let pool: Pool | null = null;
let worker: Worker<BaselineJob> | null = null;
let connection: Redis | null = null;
let processed = 0;
let failed = 0;
let sampleError: string | null = null;

function send(message: BaselineReport): void {
  process.send?.(message);
}

io.on('connection', (socket) => {
  sockets.push(socket);
  socket.once('disconnect', () => sockets.splice(sockets.indexOf(socket), 1));
});

function listen(given: BaselineServerConfig): Promise<void> {
  config = given;
  pool = new Pool({ connectionString: given.databaseUrl, max: given.poolSize });
  return new Promise((resolve) => {
    httpServer.listen(0, '127.0.0.1', () => {
      send({ type: 'listening', port: (httpServer.address() as AddressInfo).port });
      resolve();
    });
  });
}

async function processJob(job: Job<BaselineJob>): Promise<void> {
  if (sockets.length === 0) throw new Error('no client connected');
  const socket = sockets[next++ % sockets.length]!;
  await socket.timeout(config!.ackTimeoutMs).emitWithAck('task', { task_id: job.data.id, payload: job.data.payload });
  await pool!.query(`UPDATE bench_tasks SET status = 'completed', completed_at = now() WHERE id = $1`, [job.data.id]);
}

async function startWorker(expectedClients: number): Promise<void> {
  const c = config!;
  const deadline = Date.now() + 30_000;
  while (sockets.length < expectedClients && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  if (sockets.length < expectedClients) throw new Error(`only ${sockets.length}/${expectedClients} clients connected`);
  connection = new Redis(c.redisUrl, { maxRetriesPerRequest: null });
  worker = new Worker<BaselineJob>(c.queueName, processJob, {
    connection,
    prefix: c.bullPrefix,
    concurrency: c.concurrency,
    removeOnComplete: { count: 0 },
    removeOnFail: { count: 1_000 },
  });
  worker.on('completed', () => (processed += 1));
  worker.on('failed', (_job, error) => {
    failed += 1;
    sampleError ??= errorText(error);
  });
  worker.on('error', (error) => (sampleError ??= errorText(error)));
  await worker.waitUntilReady();
  send({ type: 'worker-started', clients: sockets.length });
}

async function handle(command: BaselineCommand): Promise<void> {
  switch (command.type) {
    case 'listen':
      return listen(command.config);
    case 'start-worker':
      return startWorker(command.expectedClients);
  }
}

let closing = false;
async function closeAndExit(): Promise<void> {
  if (closing) return;
  closing = true;
  clearInterval(progressTimer);
  const hardExit = setTimeout(() => process.exit(0), 10_000);
  hardExit.unref();
  try {
    await worker?.close(true);
    connection?.disconnect();
    await new Promise((resolve) => io.close(resolve));
    await pool?.end();
  } finally {
    process.exit(0);
  }
}

const progressTimer = setInterval(() => send({ type: 'progress', processed, failed, sampleError }), PROGRESS_EVERY_MS);

process.on('message', (message: unknown) => {
  if (!isTypedMessage(message)) return;
  handle(message as BaselineCommand).catch((error: unknown) => send({ type: 'failed', message: errorText(error) }));
});
process.on('disconnect', () => void closeAndExit());
process.on('SIGTERM', () => void closeAndExit());
