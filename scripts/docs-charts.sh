#!/usr/bin/env bash
# Re-renders docs/images/*.png from the shipped history. It uses a throwaway broker and state folder: a replay resumes
# from the checkpoint it committed to Kafka, so on a broker that already ran it, it would (rightly) emit nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
state=$(mktemp -d)
port=${DOCS_KAFKA_PORT:-19392}
cleanup() {
  node bin/run.js kafka stop --state-dir "$state" >/dev/null 2>&1 || true
  rm -rf "$state"
}
trap cleanup EXIT
node bin/run.js kafka start --state-dir "$state" --port "$port"
rm -f data/btc_replay.csv data/btc_replay.csv.offsets.json
ETL_STATE_DIR="$state" node bin/run.js run pipelines/btc-replay.yaml --brokers "127.0.0.1:$port"
node bin/run.js chart pipelines/btc-replay.yaml
cp charts/btc-history.png charts/btc-candles.png docs/images/
