/**
 * Console output of the start script: one line per step, readable with or without a terminal.
 */
const useColor = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;

const paint = (code: string) => (text: string) => (useColor ? `\u001b[${code}m${text}\u001b[0m` : text);

export const bold = paint('1');
export const dim = paint('2');
const green = paint('32');
const yellow = paint('33');
const red = paint('31');
const cyan = paint('36');

/** A new step of the start-up sequence. */
export function step(message: string): void {
  console.log(`${cyan('==>')} ${bold(message)}`);
}

/** Detail under the current step. */
export function info(message: string): void {
  console.log(`    ${message}`);
}

export function ok(message: string): void {
  console.log(`    ${green('ok')} ${message}`);
}

export function warn(message: string): void {
  console.log(`    ${yellow('warning:')} ${message}`);
}

export function error(message: string): void {
  console.error(`${red('error:')} ${message}`);
}

/** An expected failure with a message meant for the person running the script (no stack trace). */
export class StartError extends Error {
  override readonly name = 'StartError';
}

/** Renders a URL for display with its password hidden. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '****';
    return url.toString();
  } catch {
    return value;
  }
}

/** "host:port" of a URL, with the scheme's default port filled in. */
export function hostPort(value: string, defaultPort: number): string {
  try {
    const url = new URL(value);
    return `${url.hostname || '127.0.0.1'}:${url.port || defaultPort}`;
  } catch {
    return value;
  }
}

export function errorText(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) {
    return err.errors.map((e: unknown) => errorText(e)).join('; ');
  }
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = err.message || code || err.name;
    return code && !message.includes(code) ? `${message} (${code})` : message;
  }
  return String(err);
}
