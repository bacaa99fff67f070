#!/usr/bin/env bash
# build.sh: builds cryo_spank.so against each Slurm version's spank.h found (run by Maven's compile
# phase of plugin-slurm, or by hand):
#   the host's (libslurm-dev: /usr/include/slurm)      -> target/spank/MAJOR.MINOR/cryo_spank.so
#   $CRYO_TRIXIE's (the Debian 13 tree, Slurm 24.11)    -> target/spank/MAJOR.MINOR/cryo_spank.so
# A header that is absent is skipped with one message; outputs go under plugin-slurm/target only.
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd -P)
out=${1:-$here/../target/spank}
CC=${CC:-gcc}

# MAJOR.MINOR from slurm_version.h (SLURM_VERSION_NUMBER 0x160508 is 22.05.8)
slurm_version() {
    local number
    number=$(sed -n 's/^#define SLURM_VERSION_NUMBER 0x\([0-9a-fA-F]*\).*/\1/p' "$1/slurm/slurm_version.h")
    [[ -n $number ]] || return 1
    printf '%d.%02d\n' $(( 0x$number >> 16 & 0xff )) $(( 0x$number >> 8 & 0xff ))
}

build_against() {
    local include=$1 where=$2 version
    if [[ ! -f $include/slurm/spank.h || ! -f $include/slurm/slurm_version.h ]]; then
        echo "cryo_spank: no spank.h in $include ($where): not built for it (install libslurm-dev there)"
        return 0
    fi
    version=$(slurm_version "$include") || { echo "cryo_spank: no SLURM_VERSION_NUMBER in $include/slurm/slurm_version.h" >&2; return 1; }
    mkdir -p "$out/$version"
    # -I: this version's slurm/*.h before the host's; Slurm's symbols are resolved when it loads the plugin.
    "$CC" -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -fPIC -shared -I "$include" \
        -o "$out/$version/cryo_spank.so" "$here/cryo_spank.c"
    echo "cryo_spank: built $out/$version/cryo_spank.so against Slurm $version ($where)"
}

build_against /usr/include host
if [[ -n ${CRYO_TRIXIE:-} ]]; then
    build_against "$CRYO_TRIXIE/usr/include" "CRYO_TRIXIE=$CRYO_TRIXIE"
else
    echo "cryo_spank: CRYO_TRIXIE not set: not built for the Debian 13 tree's Slurm"
fi
