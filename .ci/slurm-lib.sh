# slurm-lib.sh - what start-slurm.sh and stop-slurm.sh share: the daemons' pid files and a liveness test.
CTLD_PID=/run/slurmctld.pid
SLURMD_PID=/run/slurmd.pid
MUNGE_PID=/run/munge/munged.pid

alive() { # alive PIDFILE COMM -> prints the pid if that process is alive and has that command name
  local p
  [ -r "$1" ] || return 1
  p=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$p" ] && [ -d "/proc/$p" ] && [ "$(cat /proc/$p/comm 2>/dev/null)" = "$2" ] || return 1
  # a zombie (exited, not yet reaped by pid 1) is not alive
  [ "$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' /proc/$p/status 2>/dev/null)" != Z ] && echo "$p"
}
