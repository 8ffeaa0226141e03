/** JSON Schema of an `etl test` file (docs/TESTING.md), with the descriptions the reference is written from. */
const RECORD = {type: 'object', description: 'A record: a flat JSON object, as the source would emit it.'}

const EXPECTATION = {
  type: 'object',
  additionalProperties: false,
  description: 'What leaves one place of the pipeline during the test.',
  properties: {
    step: {
      type: ['string', 'integer'],
      minimum: 1,
      description:
        "A transform: its name:, its type, or its 1-based position. Default: the last one (the chain's output).",
    },
    sink: {
      type: 'string',
      description: 'A sink (its name: or type): the records its where: lets through. Not with step.',
    },
    records: {type: 'array', items: RECORD, description: 'The records expected there, in order.'},
    count: {type: 'integer', minimum: 0, description: 'How many records are expected there.'},
    match: {
      enum: ['fields', 'exact'],
      default: 'fields',
      description:
        '`fields`: only the fields an expected record names are compared; `exact`: no other field may exist.',
    },
    tolerance: {
      type: 'number',
      minimum: 0,
      description: 'Largest difference at which two numbers are equal. Default: a relative 1e-9 (decimal rounding).',
    },
  },
}

const DEAD_LETTER = {
  type: 'object',
  additionalProperties: false,
  required: ['code'],
  properties: {
    code: {type: 'string', pattern: '^ETL_[A-Z0-9_]+$', description: 'The error code in its etl-error-code header.'},
    plugin: {type: 'string', description: 'Who rejected it: `decode`, or `transform:<name>` (or just the name).'},
    reason: {type: 'string', description: 'Text its message must contain.'},
    record: {...RECORD, description: 'Fields the dead-lettered record must have (compared like expect.records).'},
    partition: {type: 'integer', minimum: 0, description: 'The partition of the input it came from.'},
  },
}

const TEST = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'input'],
  properties: {
    name: {type: 'string', minLength: 1, description: 'Shown in the report.'},
    input: {
      type: 'array',
      items: {type: 'object'},
      description:
        'Messages in arrival order, each its own batch: a record; or {record, partition} / {record, key} to choose ' +
        'its partition; or {raw: "text"} for a message value that is not a record; or {batch: [...]} for messages ' +
        'delivered in one batch.',
    },
    // One schema for both forms, so that a mistake inside either is reported precisely (anyOf would only say
    // "wrong form"): properties apply to a mapping, items to a list.
    expect: {
      ...EXPECTATION,
      type: ['object', 'array'],
      items: EXPECTATION,
      description: 'One expectation or a list of them.',
    },
    deadLetters: {
      type: 'array',
      items: DEAD_LETTER,
      description: 'The dead letters expected, in order. Absent: none may be produced.',
    },
    counts: {
      type: 'object',
      additionalProperties: {type: 'integer', minimum: 0},
      description: 'Counts of the run summary, by "<scope> <event>", e.g. "transform weekly late_dropped": 1.',
    },
    flush: {
      type: 'boolean',
      default: false,
      description:
        'After the input, stop the pipeline as Ctrl-C does: transforms flush (open windows are not emitted).',
    },
  },
}

export const TEST_FILE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['tests'],
  properties: {
    description: {type: 'string'},
    pipeline: {type: 'string', description: 'The pipeline file under test, relative to this file.'},
    steps: {
      type: 'array',
      items: {type: 'object'},
      description: "Instead of pipeline: the transforms under test, written as in a pipeline's transforms:.",
    },
    partitions: {
      type: 'integer',
      minimum: 1,
      description:
        'Partitions of the topic with inline steps (a pipeline file says it in kafka.partitions). Default 1.',
    },
    key: {
      type: 'string',
      minLength: 1,
      description:
        "With inline steps: the expression that keys input records' messages, so it picks their partition (a " +
        'pipeline file says it in kafka.key, or its source plugin does). Default: no key (partition 0).',
      examples: ['symbol'],
    },
    env: {
      type: 'object',
      additionalProperties: {type: ['string', 'number', 'boolean']},
      description: "Environment variables for the pipeline's ${VAR} references, over the real environment.",
    },
    tests: {type: 'array', minItems: 1, items: TEST},
  },
}
