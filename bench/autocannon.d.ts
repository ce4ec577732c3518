// autocannon ships no type definitions and no @types package is installed, so
// this declares only the subset of its programmatic API the benchmarks use.
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  namespace autocannon {
    type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

    interface Options {
      url: string;
      method?: Method;
      connections?: number;
      pipelining?: number;
      /** Seconds. */
      duration?: number;
      /** Per-request timeout in seconds. */
      timeout?: number;
      headers?: Record<string, string>;
      body?: string;
    }

    /** Percentile keys follow autocannon's naming, e.g. p97_5 for 97.5 %. */
    interface Histogram {
      mean: number;
      stddev: number;
      min: number;
      max: number;
      p50: number;
      p90: number;
      p99: number;
    }

    interface Result {
      duration: number;
      requests: Histogram & { total: number; sent: number };
      latency: Histogram;
      errors: number;
      timeouts: number;
      non2xx: number;
      resets: number;
      '2xx': number;
    }

    interface TickEvent {
      counter: number;
      bytes: number;
    }

    interface Instance extends EventEmitter {
      on(event: 'tick', listener: (tick: TickEvent) => void): this;
      on(event: string, listener: (...args: unknown[]) => void): this;
    }

    type Callback = (err: Error | null, result: Result) => void;
  }

  function autocannon(opts: autocannon.Options, cb: autocannon.Callback): autocannon.Instance;

  export = autocannon;
}
