/**
 * Where PostgreSQL's server programs are. Debian keeps initdb, pg_ctl and postgres off the PATH (in
 * /usr/lib/postgresql/<major>/bin), so they are looked up the way Debian's own wrappers do: `pg_config --bindir`
 * first, then the newest versioned folder. Installing them is left to scripts/ensure-postgres.sh (as root) or the
 * user: etl itself never runs a package manager.
 */
import {spawnSync} from 'node:child_process'
import {existsSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {EtlError} from '../errors.js'

export interface ServerBinaries {
  bindir: string
  initdb: string
  pgCtl: string
}

const DEBIAN_ROOT = '/usr/lib/postgresql'

/** The folder holding initdb and pg_ctl, or undefined. `ETL_POSTGRES_BINDIR` overrides the lookup. */
export function findServerBindir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [env.ETL_POSTGRES_BINDIR, pgConfigBindir(), ...debianBindirs()]
  return candidates.find((dir): dir is string => dir !== undefined && hasServerPrograms(dir))
}

/** The server programs, or ETL_POSTGRES_SETUP saying how to install them. */
export function serverBinaries(env: NodeJS.ProcessEnv = process.env): ServerBinaries {
  const bindir = findServerBindir(env)
  if (!bindir) {
    throw new EtlError(
      'ETL_POSTGRES_SETUP',
      'The PostgreSQL server programs (initdb, pg_ctl) were not found: not in `pg_config --bindir`, not under ' +
        `${DEBIAN_ROOT}/*/bin. Install them (as root: scripts/ensure-postgres.sh, or apt-get install postgresql), ` +
        'or set ETL_POSTGRES_BINDIR to the folder that holds them.',
    )
  }
  return {bindir, initdb: join(bindir, 'initdb'), pgCtl: join(bindir, 'pg_ctl')}
}

function hasServerPrograms(dir: string): boolean {
  return existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))
}

/** pg_config comes with the client package; its bindir is the server's on Debian when both are installed. */
function pgConfigBindir(): string | undefined {
  const result = spawnSync('pg_config', ['--bindir'], {encoding: 'utf8'})
  return result.status === 0 ? result.stdout.trim() || undefined : undefined
}

/** Versioned Debian folders, newest major first. */
function debianBindirs(): string[] {
  try {
    return readdirSync(DEBIAN_ROOT)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a))
      .map((major) => join(DEBIAN_ROOT, major, 'bin'))
  } catch {
    return []
  }
}
