#!/usr/bin/env bash
# Init script for hosts without systemd: start | stop | restart | reload | status.
# Reads /etc/l3lb/l3lb.env unless L3LB_ENV names another file.
set -euo pipefail

L3LB_HOME=${L3LB_HOME:-$(cd "$(dirname "$0")/.." && pwd)}
L3LB_ENV=${L3LB_ENV:-/etc/l3lb/l3lb.env}
export RUNTIME_DIRECTORY=${RUNTIME_DIRECTORY:-/run/l3lb}
export STATE_DIRECTORY=${STATE_DIRECTORY:-/var/lib/l3lb}
PID_FILE=$RUNTIME_DIRECTORY/agent.pid
LOG_FILE=${L3LB_LOG:-/var/log/l3lb.log}
# through the launcher, which sets the agent's heap bound
CLI=("$L3LB_HOME/appliance/l3lb")

running_pid() {
  [ -f "$PID_FILE" ] || return 1
  local pid
  pid=$(cat "$PID_FILE")
  kill -0 "$pid" 2>/dev/null || return 1
  # an exited process that nobody has reaped yet is not running
  [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
  echo "$pid"
}

start() {
  if pid=$(running_pid); then echo "l3lb is already running (pid $pid)"; return 0; fi
  "${CLI[@]}" check --env "$L3LB_ENV" >/dev/null || { echo "l3lb: $L3LB_ENV is invalid; not started" >&2; return 1; }
  mkdir -p "$RUNTIME_DIRECTORY" "$STATE_DIRECTORY"
  nohup "${CLI[@]}" start --env "$L3LB_ENV" >>"$LOG_FILE" 2>&1 &
  echo $! >"$PID_FILE"
  # ready once the ctl service answers; the agent exits at once on a start-up error
  for _ in $(seq 1 100); do
    if ! running_pid >/dev/null; then echo "l3lb failed to start; see $LOG_FILE" >&2; tail -n 20 "$LOG_FILE" >&2; return 1; fi
    if "${CLI[@]}" status --env "$L3LB_ENV" >/dev/null 2>&1; then echo "l3lb started (pid $(cat "$PID_FILE"))"; return 0; fi
    sleep 0.2
  done
  echo "l3lb did not answer within 20 s; see $LOG_FILE" >&2
  return 1
}

stop() {
  local pid
  if ! pid=$(running_pid); then echo "l3lb is not running"; rm -f "$PID_FILE"; return 0; fi
  kill -TERM "$pid"
  for _ in $(seq 1 100); do running_pid >/dev/null || { rm -f "$PID_FILE"; echo "l3lb stopped"; return 0; }; sleep 0.2; done
  echo "l3lb did not stop within 20 s; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PID_FILE"
}

reload() {
  local pid
  pid=$(running_pid) || { echo "l3lb is not running" >&2; return 1; }
  "${CLI[@]}" check --env "$L3LB_ENV" || { echo "l3lb: $L3LB_ENV is invalid; the running configuration stays" >&2; return 1; }
  kill -HUP "$pid"
  echo "l3lb reloading $L3LB_ENV (see $LOG_FILE)"
}

status() {
  local pid
  pid=$(running_pid) || { echo "l3lb is not running"; return 3; }
  echo "l3lb is running (pid $pid)"
  "${CLI[@]}" status --env "$L3LB_ENV"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  reload) reload ;;
  status) status ;;
  *) echo "usage: $0 start|stop|restart|reload|status" >&2; exit 2 ;;
esac
