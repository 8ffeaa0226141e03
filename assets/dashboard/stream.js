// The dashboard's event stream: rows and alerts as Server-Sent Events. The browser resumes a dropped stream with
// Last-Event-ID by itself; when it gives up (an HTTP error), a new stream is opened with the last id in the URL, so
// either way the server sends exactly what this page has not seen.
const conn = document.querySelector('[data-testid="connection"]')
const RETRY_MS = 1000

function setConnection(state, label) {
  conn.dataset.state = state
  conn.querySelector('b').textContent = label
}

/** Calls handlers.rows / handlers.alerts with each event's parsed data, in order. */
export function connect(handlers) {
  let lastId = ''
  let source
  const on = (name, handler) =>
    source.addEventListener(name, (event) => {
      if (event.lastEventId) lastId = event.lastEventId
      try {
        handler(JSON.parse(event.data))
      } catch (error) {
        console.error('bad ' + name + ' event', error)
      }
    })
  const open = () => {
    source = new EventSource('api/stream' + (lastId ? '?last=' + encodeURIComponent(lastId) : ''))
    source.addEventListener('open', () => setConnection('live', 'live'))
    on('rows', handlers.rows)
    on('alerts', handlers.alerts)
    on('ready', () => setConnection('live', 'live'))
    source.addEventListener('error', () => {
      setConnection('reconnecting', 'reconnecting…')
      if (source.readyState === EventSource.CLOSED) setTimeout(open, RETRY_MS)
    })
  }
  open()
}
