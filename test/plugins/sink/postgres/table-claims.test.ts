import {expect} from 'chai'
import {claimTable} from '../../../../src/plugins/sink/postgres/table-claims.js'

describe('postgres sink table claims', () => {
  it('refuses a second sink of one process stage on the same table, until the first releases it', () => {
    const stage = {group: 'g', topic: 't'}
    const release = claimTable(stage, 'public.ticks')
    expect(() => claimTable(stage, 'public.ticks')).to.throw(/two postgres sinks of this pipeline write table/)
    expect(() => claimTable({group: 'g', topic: 't'}, 'public.ticks')()).to.not.throw()
    claimTable(stage, 'public.other')
    release()
    expect(() => claimTable(stage, 'public.ticks')).to.not.throw()
    expect(() => claimTable(undefined, 'public.ticks')).to.not.throw()
  })
})
