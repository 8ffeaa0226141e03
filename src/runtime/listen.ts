/**
 * Starts an HTTP server of etl's own (the live chart page, the metrics endpoint) on a port: resolves once it listens,
 * or rejects with what the caller makes of the failure (each names the flag a user changes for a taken port).
 */
import type {Server} from 'node:http'

export function listen(
  server: Server,
  port: number,
  host: string,
  failure: (error: NodeJS.ErrnoException) => Error,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening)
      reject(failure(error))
    }
    const onListening = () => {
      server.off('error', onError)
      resolve()
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(port, host)
  })
}
