/**
 * Messages between the task benchmark (parent) and its helper processes over Node's IPC
 * channel: the agent fleet (bench/tasks/agent-fleet.ts) and the baseline's server
 * (bench/tasks/baseline-server.ts). The parent drives; the children report.
 */

/** Receive times of tasks the fleet saw since the last `take-receipts`. */
export interface Receipts {
  /** Task ids, each once, with the time (ms since the epoch) its first attempt reached a handler. */
  ids: string[];
  receivedAt: number[];
  /** Ids whose handler ran more than once (re-delivered or retried), with how many runs. */
  repeated: Array<[id: string, runs: number]>;
}

export interface FleetCounters {
  /** Handler runs (SDK mode) or task events acked (raw mode). */
  runs: number;
  /** Distinct task ids seen. */
  distinct: number;
  /** Handler runs of an id already seen. */
  repeats: number;
  /** SDK 'task-finished' outcomes other than completed, by outcome. */
  notCompleted: Record<string, number>;
  /** Sockets/clients currently connected. */
  connected: number;
  disconnects: number;
}

export type FleetCommand =
  /** SDK agents (AgentClient) against the coordinator: one per token, no-op handler for every task type. */
  | { type: 'connect-agents'; url: string; tokens: string[] }
  /** Bare socket.io clients against the baseline's server: ack every `task` event at once. */
  | { type: 'connect-raw'; url: string; count: number }
  | { type: 'take-receipts' }
  | { type: 'open-window' }
  | { type: 'close-window' };

export type FleetReport =
  | { type: 'connected'; connected: number; failed: number; sampleError: string | null; maxConcurrency: number[] }
  | { type: 'progress'; counters: FleetCounters }
  | { type: 'receipts'; receipts: Receipts; counters: FleetCounters }
  | { type: 'window-opened' }
  /** CPU of the fleet process itself between open-window and close-window (core-%). */
  | { type: 'window'; cpuPercent: number; loopDelayP99Ms: number }
  | { type: 'failed'; message: string };

export interface BaselineServerConfig {
  redisUrl: string;
  /** BullMQ key prefix (under the run's Redis prefix, so clean-up finds it). */
  bullPrefix: string;
  queueName: string;
  databaseUrl: string;
  /** BullMQ Worker concurrency. */
  concurrency: number;
  /** pg Pool size for the completion updates. */
  poolSize: number;
  /** Ack timeout of each emit to a client. */
  ackTimeoutMs: number;
}

export type BaselineCommand =
  | { type: 'listen'; config: BaselineServerConfig }
  /** Starts the BullMQ worker once every client is connected. */
  | { type: 'start-worker'; expectedClients: number };

export type BaselineReport =
  | { type: 'listening'; port: number }
  | { type: 'worker-started'; clients: number }
  | { type: 'progress'; processed: number; failed: number; sampleError: string | null }
  | { type: 'failed'; message: string };
