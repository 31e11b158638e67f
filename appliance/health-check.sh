#!/bin/sh
# keepalived's vrrp_script for an l3lb node in a TCP mode (docs/ha.md):
#   health-check.sh SOCAT STATS_SOCKET
# exits 0 only when HAProxy answers `show info` on its stats socket within 1.5 s, naming
# itself and a pid; 1 otherwise; 2 on wrong use. The agent gives socat's path. A shell and
# socat, not Node: it runs every second on both nodes, and a Node start costs 13 times the CPU.
set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin
if [ "$#" -ne 2 ]; then
  echo 'usage: health-check.sh SOCAT STATS_SOCKET' >&2
  exit 2
fi
socat=$1
socket=$2
# socat reads an address as TYPE:path,options: a path of plain characters only
case "$socket" in
  '' | *[!A-Za-z0-9/._-]*)
    echo "health-check.sh: stats socket path \"$socket\" is not accepted: letters, digits and / . _ - only" >&2
    exit 2 ;;
esac
# -t: how long to wait for the answer once the command is sent; timeout: a hard bound below keepalived's 2 s
answer=$(printf 'show info\n' | timeout 1.5 "$socat" -t 1.5 - "UNIX-CONNECT:$socket") || exit 1
printf '%s\n' "$answer" | grep -qx 'Name: HAProxy' || exit 1
printf '%s\n' "$answer" | grep -qxE 'Pid: [0-9]+' || exit 1
