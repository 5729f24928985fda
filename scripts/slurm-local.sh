#!/bin/bash
# A real single-node SLURM cluster on this machine, from Debian's packages (slurm-wlm, munge),
# for trying `executor.kind: slurm` and for the test suite. Needs root.
#
#   scripts/slurm-local.sh start [STATE_DIR]    start munged, slurmctld, slurmd (idempotent)
#   scripts/slurm-local.sh stop [STATE_DIR]     stop the daemons this script started
#   scripts/slurm-local.sh status [STATE_DIR]   daemons and `sinfo`; exit 0 when usable
#   scripts/slurm-local.sh env [STATE_DIR]      prints `export SLURM_CONF=…` for your shell
#
# STATE_DIR (default /tmp/lipsweep-slurm, or $LIPSWEEP_SLURM_DIR) holds slurm.conf, the
# daemons' state, logs and pid files. The client commands (sbatch, squeue, scancel) find the
# cluster through SLURM_CONF=STATE_DIR/slurm.conf; `start` and `env` print that line.
#
# Configuration, and why:
# - one node (this host: its real CPUs and memory from `slurmd -C`), one partition `debug`,
#   addressed as 127.0.0.1 so that no name resolution is needed;
# - ProctrackType=proctrack/linuxproc, TaskPlugin=task/none: no cgroups needed (containers);
# - SelectType=select/cons_tres with CR_Core: a task gets --cpus-per-task cores, so the node
#   runs as many array tasks at once as it has cores;
# - SchedulerType=sched/builtin: a freed core is given to the next pending task at once
#   (backfill would wait for its 30 s cycle);
# - no accounting: Debian's 22.05 has only accounting_storage/none and /slurmdbd, so `sacct`
#   needs slurmdbd and a MySQL server. lipsweep does not need it: it reads live and recently
#   ended tasks from `squeue --states=all` (finished tasks stay visible for MinJobAge
#   seconds) and a trial's outcome from its spool files. See README "Running on SLURM".
set -euo pipefail

cmd=${1:-}
state=${2:-${LIPSWEEP_SLURM_DIR:-/tmp/lipsweep-slurm}}
conf="$state/slurm.conf"

die() { echo "slurm-local: $*" >&2; exit 1; }

need_tools() {
  [ "$(id -u)" = 0 ] || die "must run as root (slurmd and munged need it)"
  for t in slurmctld slurmd munged sbatch squeue scancel sinfo; do
    command -v "$t" >/dev/null || die "$t not found; install the Debian packages: apt-get install -y slurm-wlm munge"
  done
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

write_conf() {
  local node
  # "NodeName=host CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=24105"
  node=$(slurmd -C | head -1)
  local host=${node#NodeName=}; host=${host%% *}
  cat >"$conf" <<EOF
# Written by lipsweep scripts/slurm-local.sh: a single-node test cluster.
ClusterName=lipsweep-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/d
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
MinJobAge=300
MaxArraySize=100000
KillWait=5
MpiDefault=none
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
}

start_munge() {
  if pgrep -x munged >/dev/null; then return; fi
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    if command -v mungekey >/dev/null; then mungekey --create --keyfile=/etc/munge/munge.key --force
    else dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; fi
    chown munge:munge /etc/munge/munge.key 2>/dev/null || true
    chmod 400 /etc/munge/munge.key
  fi
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
  # As the munge user when it exists (munged refuses some ownership mixes as root).
  # Its standard streams go to a file: a daemon must not hold the caller's pipes open.
  local log="$state/munged.out" started=0
  if id munge >/dev/null 2>&1; then
    su -s /bin/sh munge -c "munged --force" </dev/null >>"$log" 2>&1 || munged --force </dev/null >>"$log" 2>&1 || started=1
  else munged --force </dev/null >>"$log" 2>&1 || started=1; fi
  [ $started = 0 ] || die "munged did not start: $(tail -3 "$log")"
}

wait_ready() {
  for _ in $(seq 1 100); do
    if SLURM_CONF=$conf sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then return 0; fi
    sleep 0.2
  done
  die "the cluster did not come up within 20 s; see $state/slurmctld.log and $state/slurmd.log"
}

# The daemons would inherit every descriptor the caller left open, and keep it open for their
# whole life: a caller waiting for EOF on a pipe, or (Foundation's Process) on a socket it
# handed to this script, would wait for ever. Close all but stdin/out/err (and bash's own 255).
close_inherited_fds() {
  local fd
  for fd in /proc/$$/fd/*; do
    fd=${fd##*/}
    case $fd in 0|1|2|255) ;; *) eval "exec $fd>&-" 2>/dev/null || true ;; esac
  done
}

case "$cmd" in
  start)
    need_tools
    close_inherited_fds
    mkdir -p "$state/ctld" "$state/d"
    start_munge
    if ! alive "$state/slurmctld.pid" || ! alive "$state/slurmd.pid"; then
      write_conf
      # Their standard streams go to files: a daemon must not hold the caller's pipes open.
      alive "$state/slurmctld.pid" || slurmctld -f "$conf" </dev/null >>"$state/slurmctld.out" 2>&1
      alive "$state/slurmd.pid" || slurmd -f "$conf" </dev/null >>"$state/slurmd.out" 2>&1
    fi
    wait_ready
    # A node left DOWN/DRAIN by an earlier unclean stop is made usable again.
    SLURM_CONF=$conf scontrol update nodename="$(SLURM_CONF=$conf sinfo -h -o %n | head -1)" state=resume 2>/dev/null || true
    echo "export SLURM_CONF=$conf"
    ;;
  stop)
    for d in slurmd slurmctld; do
      if alive "$state/$d.pid"; then
        pid=$(cat "$state/$d.pid"); kill "$pid"
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
      fi
      rm -f "$state/$d.pid"
    done
    echo "slurm-local: stopped (munged left running; state in $state)"
    ;;
  status)
    ok=0
    for d in slurmctld slurmd; do
      if alive "$state/$d.pid"; then echo "$d: running (pid $(cat "$state/$d.pid"))"; else echo "$d: not running"; ok=1; fi
    done
    pgrep -x munged >/dev/null && echo "munged: running" || { echo "munged: not running"; ok=1; }
    [ $ok = 0 ] && SLURM_CONF=$conf sinfo || true
    exit $ok
    ;;
  env)
    echo "export SLURM_CONF=$conf"
    ;;
  *)
    echo "usage: $0 start|stop|status|env [STATE_DIR]" >&2; exit 2 ;;
esac
