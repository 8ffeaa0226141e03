/**
 * The price of replication: the throughput pipeline's produce-only and process-only runs (throughput.ts) against a
 * local three-node cluster (`etl kafka start --nodes 3`: topics with 3 replicas, min.insync.replicas=2, acks=all)
 * beside the same runs against the bench's single broker, in the same bench run, as a ratio. On one machine the three
 * JVMs share its cores with etl, so the ratio is a floor: on a real cluster each broker has a machine of its own.
 */
import {rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createMessageBus} from '../../src/runtime/kafka/create-bus.js'
import {ensureKafkaJars} from '../../src/runtime/kafka-local/kafka-jars.js'
import {startLocalCluster, stopLocalCluster} from '../../src/runtime/kafka-local/local-cluster.js'
import {createLogger} from '../../src/runtime/logger.js'
import {freePorts} from '../../test/support/global-broker.js'
import type {BenchStep} from '../lib/bench-step.js'
import {processOnly, produceOnly, type StageRate, type ThroughputInputs} from './throughput.js'

const NODES = 3
const HEAP_MB = 512

export interface ClusterRun {
  produce: StageRate
  process: StageRate
}

export interface ClusterThroughput {
  nodes: number
  replicationFactor: number
  minInsyncReplicas: number
  records: number
  single: ClusterRun
  cluster: ClusterRun
  /** Cluster records/s ÷ single-broker records/s, per stage. */
  ratios: {produce: number; process: number}
}

async function runs(inputs: ThroughputInputs, label: string, step: BenchStep): Promise<ClusterRun> {
  const topic = `${inputs.runId}-${label}`
  step('cluster', `${label}: produce only (--stage source), ${inputs.records} records`)
  const produce = await produceOnly(inputs, topic, `${label}-produce`)
  step('cluster', `${label}: process only (--stage process --until-caught-up)`)
  const process = await processOnly(inputs, topic, `${label}-process`)
  return {produce, process}
}

/** Starts a throwaway cluster on free ports, measures both, stops the cluster again (also on failure). */
export async function clusterThroughput(single: ThroughputInputs, step: BenchStep): Promise<ClusterThroughput> {
  const logger = createLogger('bench-cluster', {level: 'warn'})
  await ensureKafkaJars({logger})
  const ports = await freePorts(2 * NODES)
  const nodePorts = Array.from({length: NODES}, (_, i) => ({port: ports[2 * i], controllerPort: ports[2 * i + 1]}))
  const stateDir = join(tmpdir(), `etl-bench-cluster-${process.pid}`)
  await rm(stateDir, {recursive: true, force: true})
  const singleRuns = await runs(single, 'single', step)
  step('cluster', `starting a local cluster of ${NODES} nodes (${HEAP_MB} MB heap each)`)
  try {
    const started = await startLocalCluster({stateDir, nodes: NODES, nodePorts, heapMb: HEAP_MB, logger})
    const bus = await createMessageBus('kafkajs', {brokers: started.brokers.split(','), clientId: 'etl-bench', logger})
    try {
      const inputs = {...single, brokers: started.brokers, bus}
      const clusterRuns = await runs(inputs, 'cluster', step)
      const ratio = (key: keyof ClusterRun) => clusterRuns[key].recordsPerSec / singleRuns[key].recordsPerSec
      return {
        nodes: NODES,
        replicationFactor: 3,
        minInsyncReplicas: 2,
        records: single.records,
        single: singleRuns,
        cluster: clusterRuns,
        ratios: {produce: ratio('produce'), process: ratio('process')},
      }
    } finally {
      await bus.close()
    }
  } finally {
    await stopLocalCluster({stateDir, logger}).catch(() => undefined)
    await rm(stateDir, {recursive: true, force: true})
  }
}

export function formatClusterThroughput(result: ClusterThroughput): string {
  const line = (what: string, a: StageRate, b: StageRate, ratio: number) =>
    `  ${what.padEnd(8)} ${Math.round(a.recordsPerSec).toLocaleString('en-US').padStart(10)}` +
    `  ${Math.round(b.recordsPerSec).toLocaleString('en-US').padStart(12)}  ${ratio.toFixed(2).padStart(6)}`
  return [
    `cluster: ${result.nodes} brokers, replication factor ${result.replicationFactor}, min.insync.replicas ` +
      `${result.minInsyncReplicas}, acks=all; ${result.records.toLocaleString('en-US')} records (records/s)`,
    `  ${'stage'.padEnd(8)} ${'1 broker'.padStart(10)}  ${'3-node RF=3'.padStart(12)}  ${'ratio'.padStart(6)}`,
    line('produce', result.single.produce, result.cluster.produce, result.ratios.produce),
    line('process', result.single.process, result.cluster.process, result.ratios.process),
  ].join('\n')
}
