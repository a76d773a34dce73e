export type LogLevel = 'info' | 'warn' | 'error';
export type Log = (level: LogLevel, message: string) => void;

/** Plain-text log lines (`TIME LEVEL message`) on a stream: the daemon's stdout, which is daemon.log when detached. */
export function createLog(stream: NodeJS.WritableStream = process.stdout): Log {
  return (level, message) => {
    stream.write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}\n`);
  };
}
