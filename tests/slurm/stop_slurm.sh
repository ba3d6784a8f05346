#!/usr/bin/env bash
# Stop exactly the daemons tests/slurm/start_slurm.sh started (PIDs from its PID
# files), then remove the PID files. Idempotent: safe to run when nothing runs.
set -uo pipefail

DIR="${BACKPROP_SLURM_DIR:-/tmp/backprop-lab-slurm}"
PIDS="$DIR/pids"

log() { printf '[stop_slurm %(%H:%M:%S)T] %s\n' -1 "$*"; }

# stop NAME: SIGTERM the PID in $PIDS/NAME.pid if it is a running NAME, wait,
# then SIGKILL; always remove the PID file.
stop() {
    local name="$1" f="$PIDS/$1.pid" pid
    if [ ! -e "$f" ]; then log "$name: no PID file, nothing to stop"; return 0; fi
    pid="$(cat "$f" 2>/dev/null || true)"
    if [[ "$pid" =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$name" ]; then
        log "$name: stopping pid $pid"
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 100); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
        if [ -d "/proc/$pid" ]; then
            log "$name: pid $pid still alive after 10s, SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.2
        fi
    else
        log "$name: stale PID file (pid '${pid}' not running as $name), removing"
    fi
    rm -f "$f"
}

# Cancel jobs still queued/running on our test cluster (only when our own
# slurmctld is up), so no slurmstepd/job processes outlive slurmd.
ctld_pid="$(cat "$PIDS/slurmctld.pid" 2>/dev/null || true)"
if [[ "$ctld_pid" =~ ^[0-9]+$ ]] && [ "$(cat "/proc/$ctld_pid/comm" 2>/dev/null)" = slurmctld ]; then
    if [ -n "$(timeout 10 squeue -h -p debug -o %i 2>/dev/null)" ]; then
        log "cancelling leftover jobs in partition debug"
        timeout 10 scancel -p debug 2>/dev/null || true
        sleep 2
    fi
fi

# compute daemon first, then controller, then munge (both slurm daemons need it)
stop slurmd
stop slurmctld
stop munged
# munged's own PID file, if the daemon we started died without removing it
mp=/run/munge/munged.pid
if [ -e "$mp" ]; then
    p="$(cat "$mp" 2>/dev/null || true)"
    if ! { [[ "$p" =~ ^[0-9]+$ ]] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = munged ]; }; then
        log "removing stale $mp"; rm -f "$mp"
    fi
fi
# Remove the slurm.conf we wrote: with a config but no controller, every `scontrol` call
# (the Slurm executor plugin makes one whenever Snakemake loads it, i.e. on every
# snakemake run) waits ~9 s for a controller that is not there.
CONF=/etc/slurm/slurm.conf
if [ -e "$CONF" ] && grep -qF "# managed-by: backprop-lab tests/slurm/start_slurm.sh" "$CONF"; then
    log "removing $CONF (written by start_slurm.sh)"; rm -f "$CONF"
fi
log "done"
exit 0
