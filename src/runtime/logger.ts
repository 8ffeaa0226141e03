/**
 * A small structured logger: human-readable lines on stderr (stdout stays free for data, e.g. the stdout sink), or
 * JSON lines with ETL_LOG_FORMAT=json. Every line passes through the redactor so a secret registered once (an API
 * key read from the environment) can never reach a log, whoever logs it.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
const LEVEL_RANK: Record<LogLevel, number> = {debug: 10, info: 20, warn: 30, error: 40}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
  child(label: string): Logger
}

const secrets = new Set<string>()

/**
 * Registers a value that must never be printed. Values shorter than 4 characters are ignored (too common). The forms
 * the value takes inside a JSON string or a URL are registered too, so a key with `"`, `\` or `&` in it is caught in
 * JSON log lines and in URLs as well.
 */
export function registerSecret(value: string | undefined): void {
  if (!value || value.length < 4) return
  for (const form of [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]) secrets.add(form)
}

export function redact(text: string): string {
  let out = text
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join('***')
  return out
}

export interface LoggerOptions {
  level?: LogLevel
  format?: 'text' | 'json'
  write?: (line: string) => void
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value
  return JSON.stringify(value)
}

export function createLogger(label = 'etl', options: LoggerOptions = {}): Logger {
  const level = options.level ?? (process.env.ETL_LOG_LEVEL as LogLevel | undefined) ?? 'info'
  const format = options.format ?? (process.env.ETL_LOG_FORMAT === 'json' ? 'json' : 'text')
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'))
  const minRank = LEVEL_RANK[level] ?? LEVEL_RANK.info

  const log = (lvl: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (LEVEL_RANK[lvl] < minRank) return
    const time = new Date().toISOString()
    let line: string
    if (format === 'json') {
      line = JSON.stringify({time, level: lvl, logger: label, message, ...fields})
    } else {
      const extra = fields
        ? Object.entries(fields)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => `${k}=${formatValue(v)}`)
            .join(' ')
        : ''
      line = `${time.slice(11, 23)} ${lvl.toUpperCase().padEnd(5)} [${label}] ${message}${extra ? '  ' + extra : ''}`
    }
    write(redact(line))
  }

  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    child: (child) => createLogger(`${label}:${child}`, {level, format, write}),
  }
}
