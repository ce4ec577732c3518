import type { INestApplicationContext } from '@nestjs/common';

const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/**
 * On SIGTERM/SIGINT: close the app (HTTP stops accepting, workers finish or hand back their
 * jobs, pools close), then exit 0. If closing takes longer than the timeout, exit 1 so an
 * orchestrator sees the unclean stop. A second signal exits at once.
 */
export function closeOnSignals(app: INestApplicationContext, service: string, timeoutMs: number): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      process.stderr.write(`${service}: second ${signal}, exiting now\n`);
      process.exit(1);
    }
    closing = true;
    process.stdout.write(`${service}: ${signal} received, shutting down\n`);
    const timer = setTimeout(() => {
      process.stderr.write(`${service}: shutdown took longer than ${timeoutMs} ms, exiting\n`);
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    app
      .close()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        process.stderr.write(`${service}: error while shutting down: ${String(error)}\n`);
        process.exit(1);
      });
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
}
