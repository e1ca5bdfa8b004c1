#!/usr/bin/env bash
# gimp3-root.sh - build a Debian root filesystem holding a real GIMP 3 and run it headless in it,
# so that tests/test_gimp_e2e.py drives the plug-in in the GIMP users have, on any Linux host.
#
#   gimp3-root.sh setup VERSION          build (or finish building) the root for GIMP VERSION
#   gimp3-root.sh run VERSION < BATCH    run BATCH (Python for python-fu-eval) in gimp-console, then quit
#   gimp3-root.sh shell VERSION [CMD...] run CMD (default: bash) inside the root
#   gimp3-root.sh path VERSION           print where the root lives
#
# VERSION is 3.0 (Debian trixie's GIMP 3.0.x) or 3.2 (trixie plus Debian sid's GIMP 3.2.x).
# Needs root (chroot, mount and PID namespaces) and, for setup, mmdebstrap (installed with apt-get
# where missing) and network access to a Debian mirror.
#
# Environment (all optional):
#   SCNN_GIMP_CACHE    folder holding one root per version        (default /opt/scnn-gimp3)
#   SCNN_GIMP_MIRROR   Debian mirror                              (default http://deb.debian.org)
#   SCNN_GIMP_HOME     HOME for GIMP in `run`                     (default /var/tmp/scnn-gimp3-home)
#   SCNN_GIMP_BINDS    "HOST[:INSIDE] ..." folders bind-mounted into the root (INSIDE = HOST if
#                      left out); paths must not contain spaces or colons
#   SCNN_GIMP_ENV      "K=V ..." extra environment for GIMP and so for its plug-ins
#   SCNN_GIMP_TIMEOUT  seconds before a run or shell is killed, with everything it started (600)
#
# Exit status: setup 0 = ready, 3 = cannot build here (the message says why); run: GIMP's own
# (0 = batch ran, 64 = a batch command raised), 124 = timed out.
#
# Every command inside the root runs in private mount and PID namespaces: /proc, /dev, /sys, a fresh
# /tmp and the bind mounts exist only for that command and vanish with it, so nothing is left mounted
# on the host and nothing of one run (mount points, GIMP's temporary files) is left in the root.
# Commands see only the environment set here, never the caller's HOME or XDG_* folders.
set -euo pipefail
# chroot and its kin live in the sbin folders, which a PATH made for a plain user (env -i, su) lacks
PATH="$PATH:/usr/sbin:/sbin"
SELF=$(readlink -f "$0")

CACHE=${SCNN_GIMP_CACHE:-/opt/scnn-gimp3}
MIRROR=${SCNN_GIMP_MIRROR:-http://deb.debian.org}
RUN_HOME=${SCNN_GIMP_HOME:-/var/tmp/scnn-gimp3-home}
TIMEOUT=${SCNN_GIMP_TIMEOUT:-600}
# What GIMP needs to run Python plug-ins; Debian ships python3-gi separately from gimp.
PACKAGES="gimp python3 python3-gi gir1.2-gimp-3.0"
# sid's Release file may be past its Valid-Until on a mirror snapshot; the packages are signed anyway.
SID_APT=(-o Acquire::Check-Valid-Until=false)

fail() { echo "gimp3-root: $*" >&2; exit 2; }
cannot() { echo "gimp3-root: cannot build here: $*" >&2; exit 3; }

root_of() {
    case "$1" in
        3.0 | 3.2) echo "$CACHE/$1" ;;
        *) fail "unknown GIMP version '$1' (known: 3.0, 3.2)" ;;
    esac
}

# The recipe a root was built with; a root whose stamp differs is brought up to date by setup.
recipe_of() { echo "$1|$PACKAGES|$MIRROR"; }

# enter ROOT BIND... -- CMD... : run CMD chrooted into ROOT in fresh mount + PID namespaces.
# The script re-executes itself as the namespace's first process (`_inside`), which mounts what the
# command needs and then chroots; --kill-child takes every process of the run down with it on timeout.
enter() {
    local root=$1
    shift
    timeout --signal=TERM "$TIMEOUT" \
        unshare --mount --pid --fork --kill-child --propagation private \
        bash "$SELF" _inside "$root" "$@"
}

inside() {
    local root=$1
    shift
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mount --bind /sys "$root/sys"
    # Before the binds: a bind's mount point under /tmp (a test's temporary folder) is made in this
    # run's own /tmp and goes with it, instead of piling up in the cached root run after run.
    mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
    cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    local spec host target pairs=()
    while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
        spec=$1
        shift
        host=${spec%%:*}
        target=${spec#*:}
        [ "$target" = "$spec" ] && target=$host
        pairs+=("$target"$'\t'"$host")
    done
    shift # the --
    # Parents first: a bind inside another bind's target must be mounted after it to stay visible.
    local sorted=()
    [ "${#pairs[@]}" -gt 0 ] && mapfile -t sorted < <(printf '%s\n' "${pairs[@]}" | LC_ALL=C sort -t$'\t' -k1,1)
    for spec in "${sorted[@]}"; do
        target=${spec%%$'\t'*}
        host=${spec#*$'\t'}
        [ -e "$host" ] || fail "nothing to bind at $host"
        if [ -d "$host" ]; then
            mkdir -p "$root$target"
        else
            mkdir -p "$(dirname "$root$target")"
            touch "$root$target"
        fi
        mount --bind "$host" "$root$target"
    done
    chroot "$root" "$@"
}

apt_in() { # apt_in ROOT APT-ARGS... : apt-get inside the root, non-interactive
    local root=$1
    shift
    enter "$root" -- env -i DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 apt-get -q "$@"
}

setup() {
    local version=$1 root stamp started=$SECONDS
    root=$(root_of "$version")
    stamp=$root/etc/scnn-gimp3-recipe
    [ "$(id -u)" = 0 ] || cannot "must run as root (chroot and namespaces)"
    if [ -x "$root/usr/bin/gimp-console-$version" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$(recipe_of "$version")" ]; then
        echo "GIMP $version root ready at $root"
        return 0
    fi
    if ! command -v mmdebstrap >/dev/null; then
        command -v apt-get >/dev/null || cannot "no mmdebstrap, and no apt-get to install it"
        { apt-get update -qq && apt-get install -y -qq mmdebstrap; } >&2 \
            || cannot "installing mmdebstrap failed (no network?)"
    fi
    if [ ! -x "$root/usr/bin/apt-get" ]; then
        # A half-built root from an interrupted run is thrown away, never patched up.
        rm -rf "$root"
        mkdir -p "$CACHE"
        mmdebstrap --variant=minbase --include=ca-certificates trixie "$root" \
            "deb $MIRROR/debian trixie main" \
            "deb $MIRROR/debian trixie-updates main" \
            "deb $MIRROR/debian-security trixie-security main" >&2 \
            || { rm -rf "$root"; cannot "mmdebstrap of Debian trixie failed (no network?)"; }
    fi
    if [ "$version" = 3.2 ]; then
        echo "deb $MIRROR/debian sid main" > "$root/etc/apt/sources.list.d/sid.list"
        apt_in "$root" "${SID_APT[@]}" update >&2 || cannot "apt-get update with sid failed"
        # shellcheck disable=SC2086  # PACKAGES is a word list
        apt_in "$root" "${SID_APT[@]}" install -y --no-install-recommends -t sid $PACKAGES >&2 \
            || cannot "installing GIMP 3.2 from sid failed"
    else
        apt_in "$root" update >&2 || cannot "apt-get update failed"
        # shellcheck disable=SC2086
        apt_in "$root" install -y --no-install-recommends $PACKAGES >&2 \
            || cannot "installing GIMP 3.0 from trixie failed"
    fi
    apt_in "$root" clean >&2
    [ -x "$root/usr/bin/gimp-console-$version" ] || cannot "the root has no gimp-console-$version"
    recipe_of "$version" > "$stamp"
    enter "$root" -- env -i HOME=/root PATH=/usr/bin:/bin LANG=C.UTF-8 \
        "gimp-console-$version" --version
    echo "GIMP $version root built in $((SECONDS - started)) s at $root ($(du -shx "$root" | cut -f1))"
}

binds() { # the bind specs from SCNN_GIMP_BINDS, one per line
    local spec
    for spec in ${SCNN_GIMP_BINDS:-}; do echo "$spec"; done
}

run() {
    local version=$1 root
    root=$(root_of "$version")
    [ -x "$root/usr/bin/gimp-console-$version" ] || fail "no GIMP $version root: run 'setup $version'"
    local specs=()
    mapfile -t specs < <(binds)
    # HOME is made inside the run: a bound one exists already, the default one persists in the root.
    # -i: no UI; --quit: without it GIMP waits forever after the batch, also after a failing one.
    # shellcheck disable=SC2086,SC2016  # SCNN_GIMP_ENV is a word list of K=V; $HOME is the root's
    enter "$root" "${specs[@]}" -- env -i HOME="$RUN_HOME" PATH=/usr/local/bin:/usr/bin:/bin \
        LANG=C.UTF-8 PYTHONUNBUFFERED=1 ${SCNN_GIMP_ENV:-} \
        bash -c 'mkdir -p "$HOME" && exec "$@"' run \
        "gimp-console-$version" -i --batch-interpreter=python-fu-eval -b - --quit
}

shell() {
    local version=$1 root
    shift
    root=$(root_of "$version")
    [ -x "$root/usr/bin/apt-get" ] || fail "no GIMP $version root: run 'setup $version'"
    [ "$#" -gt 0 ] || set -- bash
    local specs=()
    mapfile -t specs < <(binds)
    enter "$root" "${specs[@]}" -- env -i HOME="$RUN_HOME" PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 TERM="${TERM:-dumb}" bash -c 'mkdir -p "$HOME" && exec "$@"' shell "$@"
}

command=${1:-}
[ "$#" -gt 0 ] && shift
case "$command" in
    _inside) inside "$@" ;;
    setup | run | shell | path)
        [ "$#" -ge 1 ] || fail "usage: $command VERSION"
        if [ "$command" = path ]; then root_of "$1"; else "$command" "$@"; fi
        ;;
    *)
        sed -n "2,26p" "$SELF"
        exit 2
        ;;
esac
