import {expect} from 'chai'
import {failureKind, sinkError} from '../../../../src/plugins/sink/postgres/pg-errors.js'
import {EtlError, isPermanentError} from '../../../../src/sdk/index.js'

function databaseError(code: string, message = 'failed', fields: Record<string, string> = {}) {
  return Object.assign(new Error(message), {code, ...fields})
}

describe('postgres sink error classes', () => {
  it('classifies SQLSTATEs: data, access, schema, passing, permanent', () => {
    expect(failureKind(databaseError('22P02'))).to.equal('data')
    expect(failureKind(databaseError('23505'))).to.equal('data')
    expect(failureKind(databaseError('28P01'))).to.equal('access')
    expect(failureKind(databaseError('42501'))).to.equal('access')
    expect(failureKind(databaseError('42P01'))).to.equal('schema')
    expect(failureKind(databaseError('42804'))).to.equal('schema')
    expect(failureKind(databaseError('57P01'))).to.equal('transient')
    expect(failureKind(databaseError('08006'))).to.equal('transient')
    expect(failureKind(databaseError('40P01'))).to.equal('transient')
    expect(failureKind(databaseError('ECONNREFUSED'))).to.equal('transient')
    expect(failureKind(new Error('Connection terminated unexpectedly'))).to.equal('transient')
    expect(failureKind(databaseError('42601'))).to.equal('permanent')
  })

  it('gives permanent failures stable codes naming table and column, and leaves passing ones retryable', () => {
    const schema = sinkError(databaseError('42804', 'type mismatch', {column: 'price'}), 'public.t', 'flush')
    expect(schema).to.be.instanceOf(EtlError).with.property('code', 'ETL_SINK_SCHEMA')
    expect(schema.message).to.match(/^postgres sink, table public\.t, column price: flush: type mismatch/)
    expect(isPermanentError(schema)).to.equal(true)
    const access = sinkError(databaseError('28P01', 'password authentication failed'), 'public.t', 'start')
    expect(access).to.have.property('code', 'ETL_SINK_ACCESS')
    expect(isPermanentError(access)).to.equal(true)
    const down = sinkError(databaseError('57P01', 'terminating connection'), 'public.t', 'flush')
    expect(down).to.not.be.instanceOf(EtlError)
    expect(isPermanentError(down)).to.equal(false)
    expect(down.message).to.include('SQLSTATE 57P01').and.include('nothing of the batch was committed')
  })
})
