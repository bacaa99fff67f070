#!/usr/bin/env bash
# Installs what building Cryo needs (JDK 17, Maven, a C toolchain, xxHash).
# Idempotent and quick when everything is there: apt-get runs only for missing packages.
set -euo pipefail

BUILD_PACKAGES=(openjdk-17-jdk-headless maven gcc make libc6-dev libxxhash-dev)

missing_packages() {
    local package
    for package in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
            echo "$package"
        fi
    done
}

# Installs the packages given that are not installed yet; apt-get update at most once per run.
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
        $sudo apt-get update -qq
        export CRYO_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Sourcing this file only defines the functions (scripts/test-all.sh reuses them).
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    install_packages "${BUILD_PACKAGES[@]}"
fi
