/**
 * The WebSocket connection every WebSocket source shares (binance, coinbase, the generic websocket source): one
 * place for reconnects, resubscribes, keep-alive, stall detection and backoff. See reconnecting-socket.ts.
 */
export {
  ReconnectingSocket,
  type CloseCause,
  type ReconnectingSocketOptions,
  type SocketClose,
  type SocketOpen,
} from './reconnecting-socket.js'
export {ConnectBudget} from './connect-budget.js'
