/**
 * Where the time goes: the throughput section's process-only and produce-only runs again under `node --cpu-prof`,
 * each profile read over the span from the "pipeline …" line to the work being done. Profiled runs are slower than
 * the timed ones; only the shares of self time are read from them.
 */
import {join} from 'node:path'
import type {BenchStep} from '../lib/bench-step.js'
import {newestProfile, summarizeProfile, type ProfileSummary} from '../lib/cpu-profile.js'
import {processOnly, produceOnly, replayTopic, type StageRate, type ThroughputInputs} from './throughput.js'

export interface ProfileResults {
  profile: ProfileSummary
  sourceProfile: ProfileSummary
}

/**
 * Profiles `--stage process` over the client's replay topic (filled first unless the throughput section already
 * did), then `--stage source` onto a topic of its own.
 */
export async function profileStages(
  inputs: ThroughputInputs,
  replayFilled: boolean,
  step: BenchStep,
): Promise<ProfileResults> {
  const dir = join(inputs.workDir, 'profile')
  const topic = replayTopic(inputs.runId, inputs.client)
  step('profile', 'pipeline --stage process under node --cpu-prof')
  const processDir = join(dir, 'process')
  if (!replayFilled) await produceOnly(inputs, topic)
  const processed = await processOnly(inputs, topic, 'profile-process', cpuProf(processDir))
  const profile = {...summarize(processDir, processed), note: note(inputs, 'process', processed)}
  step('profile-source', 'pipeline --stage source under node --cpu-prof')
  const sourceDir = join(dir, 'source')
  const sourceTopic = `${inputs.runId}-profile-source`
  const produced = await produceOnly(inputs, sourceTopic, 'profile-source', cpuProf(sourceDir))
  const sourceProfile = {...summarize(sourceDir, produced), note: note(inputs, 'source', produced)}
  return {profile, sourceProfile}
}

function cpuProf(dir: string): string[] {
  return ['--cpu-prof', '--cpu-prof-dir', dir]
}

function summarize(dir: string, run: StageRate): ProfileSummary {
  return summarizeProfile(newestProfile(dir), {fromMs: run.startupMs, toMs: run.doneMs})
}

function note(inputs: ThroughputInputs, stage: string, run: StageRate): string {
  return `--stage ${stage}, ${inputs.records} records at ${Math.round(run.recordsPerSec)} records/s while profiled`
}
