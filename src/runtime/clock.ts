/** The real clock plugins get through their context (etl/testing hands them a controllable one instead). */
import type {Clock} from './plugin-types.js'
import {sleep} from './retry.js'

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep,
}
