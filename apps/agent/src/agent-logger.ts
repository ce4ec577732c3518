import pino, { type Logger } from 'pino';

/**
 * One JSON object per line on stdout. Synchronous writes, so the last lines before
 * process.exit (stopped, refused) are never lost in a buffer.
 */
export function createAgentLogger(level: pino.LevelWithSilent = 'info'): Logger {
  return pino(
    {
      level,
      base: { service: 'agent', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ fd: 1, sync: true }),
  );
}
