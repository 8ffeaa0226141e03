/** listen: resolves once the server listens; a taken port reaches the caller's failure with the errno error. */
import {expect} from 'chai'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {listen} from '../../src/runtime/listen.js'

describe('listen', () => {
  it('listens, and hands a taken port to the failure callback, whose error it rejects with', async () => {
    const first = createServer()
    const second = createServer()
    try {
      await listen(first, 0, '127.0.0.1', () => new Error('unexpected'))
      const {port} = first.address() as AddressInfo
      const codes: (string | undefined)[] = []
      const failure = (error: NodeJS.ErrnoException) => {
        codes.push(error.code)
        return new Error(`taken: ${port}`)
      }
      const rejected = await listen(second, port, '127.0.0.1', failure).then(
        () => undefined,
        (error: Error) => error,
      )
      expect(rejected?.message).to.equal(`taken: ${port}`)
      expect(codes).to.deep.equal(['EADDRINUSE'])
      expect(second.listening).to.equal(false)
    } finally {
      first.close()
      second.close()
    }
  })
})
