import {expect} from 'chai'
import {chmodSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {findServerBindir, serverBinaries} from '../../../src/runtime/postgres-local/server-binaries.js'

describe('postgres-local server binaries', () => {
  it('prefers ETL_POSTGRES_BINDIR when it holds initdb and pg_ctl', () => {
    const dir = mkdtempSync(join(tmpdir(), 'etl-pg-bin-'))
    try {
      for (const name of ['initdb', 'pg_ctl']) {
        writeFileSync(join(dir, name), '#!/bin/sh\n')
        chmodSync(join(dir, name), 0o755)
      }
      expect(findServerBindir({ETL_POSTGRES_BINDIR: dir})).to.equal(dir)
      expect(serverBinaries({ETL_POSTGRES_BINDIR: dir}).pgCtl).to.equal(join(dir, 'pg_ctl'))
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('passes over an override that lacks the programs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'etl-pg-bin-'))
    try {
      expect(findServerBindir({ETL_POSTGRES_BINDIR: dir})).to.not.equal(dir)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
