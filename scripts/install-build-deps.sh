#!/usr/bin/env bash
# Installs what building Cryo needs (JDK 17, Maven, a C toolchain, xxHash).
# Idempotent and quick when everything is there: apt-get runs only for missing packages.
set -euo pipefail

# libzstd-dev: the page data compression (the runtime needs libzstd1 only); libslurm-dev: spank.h
# for the SPANK plugin; sqlite3: the rasdaemon monitor and its test; the Debian packages
# (packaging/build-debs.sh): help2man (the native tools' man pages), asciidoctor (the Java
# commands' pages), dpkg-dev (dpkg-shlibdeps), man-db (the package test's man -w)
BUILD_PACKAGES=(openjdk-17-jdk-headless maven gcc make libc6-dev libxxhash-dev libzstd-dev libslurm-dev sqlite3
                help2man asciidoctor dpkg-dev man-db)

missing_packages() {
    local package
    for package in "$@"; do
        if [[ $(dpkg-query -W -f='${Status}' "$package" 2>/dev/null) != 'install ok installed' ]]; then
            echo "$package"
        fi
    done
}

# Installs the packages given that are not installed yet; apt-get update at most once per run.
# Waits for a dpkg lock another apt holds rather than failing.
install_packages() {
    local missing
    mapfile -t missing < <(missing_packages "$@")
    if (( ${#missing[@]} == 0 )); then
        return 0
    fi
    local sudo=
    if (( EUID != 0 )); then
        sudo=sudo
    fi
    echo "install-build-deps: installing ${missing[*]}" >&2
    if [[ -z ${CRYO_APT_UPDATED:-} ]]; then
        $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
        export CRYO_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends "${missing[@]}" >/dev/null
}

# The same for packages of daemons that the test clusters start themselves (Slurm, munge, Grid
# Engine): their postinsts would start them through init.d, before there is a configuration and
# with the wrong environment, so a policy-rc.d forbids it for the duration (root only).
install_packages_without_starting_daemons() {
    [[ -n $(missing_packages "$@") ]] || return 0
    local made_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        made_policy=1
    fi
    local status=0
    install_packages "$@" || status=$?
    (( made_policy )) && rm -f /usr/sbin/policy-rc.d
    return "$status"
}

# Sourcing this file only defines the functions (scripts/test-all.sh reuses them).
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    install_packages "${BUILD_PACKAGES[@]}"
fi
