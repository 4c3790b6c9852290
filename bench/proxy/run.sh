#!/usr/bin/env bash
# bench/proxy: latency and throughput through our proxy (the path `tsh ssh`
# takes: ProxyCommand with the proxy:host:port subsystem) against OpenSSH's jump
# host (ssh -J bastion), same client, same cipher, same run; the shared baseline
# script prints the ratios. T2_PROXY_MODE=jump measures -J through our proxy.
#   bench/proxy/run.sh  |  QUICK=1 bench/proxy/run.sh
exec env WITH_PROXY=1 SECTIONS="${SECTIONS:-lat tp}" "$(dirname "${BASH_SOURCE[0]}")/../node/run.sh" "$@"
