#!/usr/bin/env bash
# Start a throw-away single-node Slurm 22.05 "cluster" (munged + slurmctld +
# slurmd) on this machine, for testing backprop-lab with
# `snakemake --executor slurm`.  Idempotent: running it again while the
# daemons are up only re-checks them.  Stop with tests/slurm/stop_slurm.sh.
#
# Needs root (apt-get, /etc/slurm/slurm.conf, daemons).
#
# Environment:
#   BACKPROP_SLURM_DIR      state/spool/log/pid dir   (default /tmp/backprop-lab-slurm)
#   BACKPROP_SLURM_TIMEOUT  seconds to wait for the node to be idle (default 60)
#   BACKPROP_SLURM_FORCE_CONF=1  overwrite an /etc/slurm/slurm.conf we did not write
set -euo pipefail

DIR="${BACKPROP_SLURM_DIR:-/tmp/backprop-lab-slurm}"
WAIT_S="${BACKPROP_SLURM_TIMEOUT:-60}"
CONF=/etc/slurm/slurm.conf
MARKER="# managed-by: backprop-lab tests/slurm/start_slurm.sh"
NODE=localhost
PIDS="$DIR/pids"

log() { printf '[start_slurm %(%H:%M:%S)T] %s\n' -1 "$*"; }
die() { printf '[start_slurm] ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (installs packages, writes $CONF, starts daemons)"

# ---------------------------------------------------------------- (a) packages
need_install=0
for b in munged slurmctld slurmd sinfo srun sbatch squeue scontrol; do
    command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || need_install=1
done
if [ "$need_install" = 1 ]; then
    log "installing slurm-wlm munge with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q slurm-wlm munge; then
        log "apt-get install failed; running apt-get update and retrying"
        apt-get update -q
        apt-get install -y -q slurm-wlm munge
    fi
fi
export PATH="$PATH:/usr/sbin:/sbin"

# alive PID_FILE NAME -> 0 if the PID in the file is a running NAME process
alive() {
    local f="$1" name="$2" pid
    [ -s "$f" ] || return 1
    pid="$(cat "$f" 2>/dev/null)" || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$name" ]
}

mkdir -p "$DIR"/{state,spool,log} "$PIDS"
chmod 755 "$DIR" "$DIR/spool"

# ---------------------------------------------------------------- (b) slurm.conf
# Real hardware as slurmd sees it, renamed to NodeName=localhost; leave some
# memory headroom so the node is never "invalid" (RealMemory > actual => DRAIN).
hw="$(slurmd -C | head -n1)"
cpus="$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$hw")"
mem="$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")"
[ -n "$cpus" ] && [ -n "$mem" ] || die "cannot parse 'slurmd -C' output: $hw"
realmem=$(( mem > 2048 ? mem - 1024 : mem * 9 / 10 ))
topo="$(grep -o 'Boards=[0-9]* SocketsPerBoard=[0-9]* CoresPerSocket=[0-9]* ThreadsPerCore=[0-9]*' <<<"$hw" || true)"
defmem=$(( realmem / cpus ))
[ "$defmem" -gt 1024 ] && defmem=1024

new_conf="$(cat <<CONF
$MARKER
# Single-node test cluster; do not use in production.
ClusterName=backprop-lab
SlurmctldHost=$NODE
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
SwitchType=switch/none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
# start queued batch jobs as soon as a CPU frees (default: up to 3 s later, per job slot)
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$defmem
ReturnToService=2
# squeue must still show finished jobs when Snakemake polls (plugin checks
# MinJobAge >= 3 * init-seconds-before-status-checks, else falls back to sacct)
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool/slurmd
SlurmctldPidFile=$PIDS/slurmctld.pid
SlurmdPidFile=$PIDS/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus $topo RealMemory=$realmem State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
CONF
)"

mkdir -p /etc/slurm
if [ -e "$CONF" ] && ! grep -qF "$MARKER" "$CONF" && [ "${BACKPROP_SLURM_FORCE_CONF:-0}" != 1 ]; then
    die "$CONF exists and was not written by this script; set BACKPROP_SLURM_FORCE_CONF=1 to overwrite"
fi
conf_changed=0
if [ ! -e "$CONF" ] || [ "$(cat "$CONF")" != "$new_conf" ]; then
    printf '%s\n' "$new_conf" > "$CONF.tmp.$$"
    mv "$CONF.tmp.$$" "$CONF"
    conf_changed=1
    log "wrote $CONF (CPUs=$cpus RealMemory=$realmem DefMemPerCPU=$defmem)"
fi
cp "$CONF" "$DIR/slurm.conf"   # for reference next to the logs

# ---------------------------------------------------------------- (c) munge
if [ ! -s /etc/munge/munge.key ]; then
    log "creating munge key"
    mkdir -p /etc/munge
    if command -v mungekey >/dev/null 2>&1; then
        mungekey --create --keyfile=/etc/munge/munge.key --force
    else
        dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
    fi
fi
chown munge:munge /etc/munge /etc/munge/munge.key
chmod 700 /etc/munge; chmod 400 /etc/munge/munge.key
install -d -o munge -g munge -m 755 /run/munge
install -d -o munge -g munge -m 700 /var/lib/munge /var/log/munge

munge_ok() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }
if alive "$PIDS/munged.pid" munged; then
    log "munged already running (pid $(cat "$PIDS/munged.pid"))"
elif munge_ok; then
    log "a munged not started by this script is already serving; using it"
    rm -f "$PIDS/munged.pid"
else
    rm -f "$PIDS/munged.pid" /run/munge/munged.pid
    # a dead munged can leave its socket behind; munged then refuses to start
    rm -f /run/munge/munge.socket.2 /run/munge/munge.socket.2.lock
    log "starting munged"
    runuser -u munge -- munged --pid-file=/run/munge/munged.pid
    for _ in $(seq 50); do [ -s /run/munge/munged.pid ] && break; sleep 0.1; done
    cp /run/munge/munged.pid "$PIDS/munged.pid"
    munge_ok || die "munged started but munge -n | unmunge fails; see /var/log/munge/munged.log"
fi

# ---------------------------------------------------------------- slurmctld / slurmd
if [ "$conf_changed" = 1 ] && { alive "$PIDS/slurmctld.pid" slurmctld || alive "$PIDS/slurmd.pid" slurmd; }; then
    log "slurm.conf changed while daemons run: scontrol reconfigure"
    scontrol reconfigure || true
fi
# a slurmctld/slurmd we did not start (e.g. an init script) would hold the ports
for d in slurmctld slurmd; do
    if ! alive "$PIDS/$d.pid" "$d" && pgrep -x "$d" >/dev/null; then
        die "a $d not started by this script is running (pid $(pgrep -x "$d" | tr '\n' ' ')); stop it first"
    fi
done
if alive "$PIDS/slurmctld.pid" slurmctld; then
    log "slurmctld already running (pid $(cat "$PIDS/slurmctld.pid"))"
else
    rm -f "$PIDS/slurmctld.pid"
    log "starting slurmctld"
    slurmctld -i   # daemonizes; -i ignores unreadable state from an older run
fi
if alive "$PIDS/slurmd.pid" slurmd; then
    log "slurmd already running (pid $(cat "$PIDS/slurmd.pid"))"
else
    rm -f "$PIDS/slurmd.pid"
    log "starting slurmd -N $NODE"
    slurmd -N "$NODE"
fi

# ---------------------------------------------------------------- (d) wait + smoke test
log "waiting up to ${WAIT_S}s for node $NODE to be idle"
deadline=$(( SECONDS + WAIT_S ))
state=""
while :; do
    state="$(timeout 10 sinfo -h -n "$NODE" -o '%T' 2>/dev/null | head -n1 || true)"
    case "$state" in idle|mixed|allocated) break ;; esac
    if [ "$SECONDS" -ge "$deadline" ]; then
        echo "---- sinfo" >&2; timeout 10 sinfo -N -l >&2 || true
        echo "---- slurmctld.log (tail)" >&2; tail -n 20 "$DIR/log/slurmctld.log" >&2 2>/dev/null || true
        echo "---- slurmd.log (tail)" >&2; tail -n 20 "$DIR/log/slurmd.log" >&2 2>/dev/null || true
        die "node $NODE not idle after ${WAIT_S}s (state: '${state:-no answer}')"
    fi
    # a node left DOWN/DRAIN by a previous run: put it back
    case "$state" in down*|drain*|fail*) scontrol update NodeName="$NODE" State=RESUME 2>/dev/null || true ;; esac
    sleep 1
done
log "node $NODE is $state"

out="$(timeout 60 srun -N1 -n1 -t 1 hostname)" || die "srun hostname failed"
log "srun hostname -> $out"
smoke="$DIR/log/smoke-sbatch.out"; rm -f "$smoke"
jid="$(timeout 30 sbatch --parsable -t 1 -o "$smoke" --wrap 'echo "ok $SLURM_JOB_ID"')" || die "sbatch --wrap submission failed"
# poll instead of `sbatch --wait` (which polls only every ~10 s)
jstate=""
for _ in $(seq 120); do
    jstate="$(timeout 10 squeue -h -j "$jid" -t all -o %T 2>/dev/null || true)"
    case "$jstate" in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL) break ;; esac
    sleep 0.5
done
[ "$jstate" = COMPLETED ] && grep -qx "ok $jid" "$smoke" 2>/dev/null \
    || die "sbatch --wrap test job $jid: state '${jstate}', output '$(cat "$smoke" 2>/dev/null)'"
log "sbatch --wrap test job $jid COMPLETED"
log "Slurm is up: munged=$(cat "$PIDS/munged.pid" 2>/dev/null || echo external) slurmctld=$(cat "$PIDS/slurmctld.pid") slurmd=$(cat "$PIDS/slurmd.pid"); logs in $DIR/log"
