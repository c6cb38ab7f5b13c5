/** Structured JSON logs, one line per entry, as CloudWatch Logs Insights likes them. */
type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function threshold(): number {
  const level = (process.env.FEEPROOF_LOG_LEVEL ?? 'info') as Level | 'silent';
  return level === 'silent' ? Number.POSITIVE_INFINITY : (ORDER[level] ?? ORDER.info);
}

function write(level: Level, message: string, fields: Record<string, unknown>) {
  if (ORDER[level] < threshold()) return;
  const entry = { level, message, time: new Date().toISOString(), service: 'feeproof', ...fields };
  (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(
    `${JSON.stringify(entry, (_k, v) => (v instanceof Error ? { name: v.name, message: v.message, stack: v.stack } : v))}\n`,
  );
}

export const logger = {
  debug: (message: string, fields: Record<string, unknown> = {}) => write('debug', message, fields),
  info: (message: string, fields: Record<string, unknown> = {}) => write('info', message, fields),
  warn: (message: string, fields: Record<string, unknown> = {}) => write('warn', message, fields),
  error: (message: string, fields: Record<string, unknown> = {}) => write('error', message, fields),
};
