/**
 * The pipeline several Kafka tests share: no source (the test fills the topic), 1-hour windows per symbol counting and
 * summing prices, into a CSV. Window state lives in `<group>.state`, so it shows restarts and rebalances.
 */
export interface HourlyPipelineOptions {
  topic: string
  group: string
  partitions: number
  /** The CSV path as written in the file (`${OUT}` to take it from the environment). */
  out: string
  /** More lines for the `kafka:` section, indented as its keys. */
  kafka?: string[]
}

export function hourlyPipeline(options: HourlyPipelineOptions): string {
  return [
    'name: hourly',
    'kafka:',
    `  topic: ${options.topic}`,
    `  groupId: ${options.group}`,
    `  partitions: ${options.partitions}`,
    ...(options.kafka ?? []),
    'transforms:',
    '  - type: window',
    '    size: 1h',
    '    key: [symbol]',
    '    aggregates:',
    '      n: {op: count}',
    '      total: {op: sum, field: price_usd}',
    'sinks:',
    '  - type: csv',
    `    path: ${options.out}`,
  ].join('\n')
}
