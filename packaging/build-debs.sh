#!/usr/bin/env bash
# build-debs.sh VERSION: the Debian packages cryo, cryo-slurm, cryo-sge and cryo-pbs in target/debs/
# of the repository, from what the other modules built (run by packaging/pom.xml at `mvn package`,
# after GenerateDocs wrote packaging/target/generated/{man,completion}).  No network: dpkg-deb,
# help2man (the native tools' pages, from their --help) and asciidoctor (the Java commands' pages,
# AsciiDoc from picocli's ManPageGenerator).  The layout is in docs/PACKAGING.md.
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd -P)
root=$(cd "$here/.." && pwd -P)
# Maven's 0.1.0-SNAPSHOT is Debian's 0.1.0~SNAPSHOT: before 0.1.0, as a snapshot is
version=$(sed 's/-SNAPSHOT$/~SNAPSHOT/' <<<"${1:?usage: build-debs.sh MAVEN_VERSION}")
arch=$(dpkg --print-architecture)
multiarch=$(gcc -print-multiarch)
generated=$here/target/generated
stage=$here/target/deb-root
out=$root/target/debs
home=usr/lib/cryo           # CryoHome of the installed layout (bin/.launcher, CryoHome.java)

say() { echo "build-debs: $*"; }
die() { echo "build-debs: $*" >&2; exit 1; }

# --- checks: every input must be there, else the package would be silently incomplete -----------
require() {
    local path
    for path in "$@"; do
        [[ -e $path ]] || die "$path is missing: build it first (mvn package)"
    done
}

# The one jar a module built (not its -sources/-tests jars).
module_jar() {
    local jar
    for jar in "$root/$1"/target/"$1"-*.jar; do
        [[ $jar == *-sources.jar || $jar == *-tests.jar ]] && continue
        [[ -f $jar ]] && { echo "$jar"; return 0; }
    done
    die "$1: no jar in $1/target (mvn package)"
}

# --- man pages ----------------------------------------------------------------------------------
# The native tools' pages from their --help (help2man); the Java commands' from GenerateDocs.
native_man_page() {
    local program=$1 summary=$2 dest=$3
    help2man --no-info --section=1 --source=Cryo --manual="Cryo manual" --version-string="$version" \
        --name="$summary" --output="$dest/$program.1" "$root/native/target/bin/$program"
}

# Every package's pages in one asciidoctor run (a Ruby start each would cost more than the pages).
render_java_man_pages() {
    rm -rf "$generated/roff"
    asciidoctor --backend=manpage --destination-dir="$generated/roff" \
        --attribute=mansource="Cryo $version" --attribute=manmanual="Cryo manual" "$generated"/man/*/*.adoc
}

java_man_pages() {
    local package=$1 dest=$2 adoc
    for adoc in "$generated/man/$package"/*.adoc; do
        [[ -e $adoc ]] || continue
        install -m 0644 "$generated/roff/$(basename "$adoc" .adoc).1" "$dest/"
    done
}

compress_man_pages() {
    local page
    for page in "$1"/*.1; do
        [[ -e $page || -L $page ]] || continue   # a link may lead to a page gzipped already
        if [[ -L $page ]]; then
            ln -sf "$(readlink "$page").gz" "$page.gz"
            rm "$page"
        else
            gzip -9nf "$page"
        fi
    done
}

# --- package skeleton ---------------------------------------------------------------------------
# control, conffiles (every file under etc/), md5sums; then dpkg-deb.
build_package() {
    local name=$1 dir=$stage/$1
    local conffiles
    conffiles=$(cd "$dir" && find etc -type f 2>/dev/null | sed 's|^|/|' | sort || true)
    if [[ -n $conffiles ]]; then
        echo "$conffiles" > "$dir/DEBIAN/conffiles"
    fi
    (cd "$dir" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0r md5sum) > "$dir/DEBIAN/md5sums"
    local size
    size=$(du -sk --exclude=DEBIAN "$dir" | cut -f1)
    sed -i "s/^Installed-Size: .*/Installed-Size: $size/" "$dir/DEBIAN/control"
    dpkg-deb --root-owner-group -Zgzip --build "$dir" "$out/${name}_${version}_$(sed -n 's/^Architecture: //p' "$dir/DEBIAN/control").deb" >/dev/null
    say "built $out/${name}_${version}_$(sed -n 's/^Architecture: //p' "$dir/DEBIAN/control").deb"
}

# DEBIAN/control of a package.  $4: the Depends line.
control() {
    local name=$1 architecture=$2 summary=$3 depends=$4 extra=${5:-}
    mkdir -p "$stage/$name/DEBIAN"
    {
        echo "Package: $name"
        echo "Version: $version"
        echo "Architecture: $architecture"
        echo "Maintainer: Cryo developers <cryo@localhost>"
        echo "Installed-Size: 0"
        echo "Depends: $depends"
        [[ -n $extra ]] && echo "$extra"
        echo "Section: admin"
        echo "Priority: optional"
        echo "Homepage: https://github.com/cryo/cryo"
        echo "Description: $summary"
        sed 's/^/ /' "$here/descriptions/$name"
    } > "$stage/$name/DEBIAN/control"
}

# The shared libraries the ELF files given need, as Depends (libc6, libxxhash0, libzstd1 when the
# engine links it ...), by dpkg-shlibdeps in a scratch source tree (it wants debian/control).
shlib_depends() {
    local scratch
    scratch=$(mktemp -d)
    mkdir -p "$scratch/debian"
    printf 'Source: cryo\n\nPackage: cryo\nArchitecture: any\n' > "$scratch/debian/control"
    (cd "$scratch" && dpkg-shlibdeps -O "$@" 2>/dev/null) | sed -n 's/^shlibs:Depends=//p'
    rm -rf "$scratch"
}

maintainer_script() {
    install -m 0755 "$here/debian/$2" "$stage/$1/DEBIAN/$2"
}

doc_files() {
    local name=$1
    shift
    install -d "$stage/$name/usr/share/doc/$name"
    install -m 0644 "$here/debian/copyright" "$stage/$name/usr/share/doc/$name/copyright"
    local file
    for file in "$@"; do
        install -m 0644 "$root/$file" "$stage/$name/usr/share/doc/$name/$(basename "$file")"
    done
}

# Modules that add commands to the core's (ServiceLoader) and belong in the cryo package: their
# jar and their own libraries join java/ (site: the operator's console, once it is built).
CORE_EXTENSIONS=(site)
core_extensions() {
    local module jar
    for module in "${CORE_EXTENSIONS[@]}"; do
        [[ -d $root/$module/target ]] || continue
        install -m 0644 "$(module_jar "$module")" "$1/"
        for jar in "$root/$module"/target/lib/*.jar; do
            [[ -e $jar && ! -e $1/$(basename "$jar") && $(basename "$jar") != core-checkpoint-* ]] && install -m 0644 "$jar" "$1/"
        done
    done
    return 0
}

# --- cryo: the engine, the tools, the core, the node agent ---------------------------------------
package_cryo() {
    local d=$stage/cryo bin=$root/native/target/bin lib=$root/native/target/lib
    require "$bin/cryo-engine" "$bin/cr_checkpoint" "$bin/cr_restart" "$bin/cryo-demo-counter" \
        "$lib/libcryojni.so" "$lib/libcryo_callbacks.so" "$root/core-checkpoint/target/lib"
    install -d "$d/$home/bin" "$d/$home/lib" "$d/$home/java" "$d/$home/scripts/health" "$d/usr/bin" \
        "$d/usr/lib/$multiarch" "$d/usr/include/cryo" "$d/usr/share/man/man1" \
        "$d/usr/share/bash-completion/completions" "$d/lib/systemd/system" "$d/etc/cryo" "$d/etc/default"
    local program
    for program in cryo-engine cr_checkpoint cr_restart cryo-demo-counter; do
        install -m 0755 --strip "$bin/$program" "$d/$home/bin/$program"
    done
    install -m 0755 "$root/bin/cryo" "$root/bin/cr_run" "$d/$home/bin/"
    install -m 0644 "$root/bin/.launcher" "$d/$home/bin/.launcher"
    for program in cryo cr_run cr_checkpoint cr_restart; do
        ln -s "../lib/cryo/bin/$program" "$d/usr/bin/$program"
    done
    install -m 0644 --strip "$lib/libcryojni.so" "$d/$home/lib/libcryojni.so"
    install -m 0644 --strip "$lib/libcryo_callbacks.so" "$d/usr/lib/$multiarch/libcryo_callbacks.so"
    install -m 0644 "$root/native/include/cryo/callbacks.h" "$d/usr/include/cryo/callbacks.h"
    install -m 0644 "$(module_jar core-checkpoint)" "$root"/core-checkpoint/target/lib/*.jar "$d/$home/java/"
    core_extensions "$d/$home/java"
    install -m 0755 "$root/scripts/health/cryo-health-check" "$root/scripts/health/cryo-agent-nosystemd.sh" \
        "$d/$home/scripts/health/"
    # the unit as scripts/health has it, with the packages' paths
    sed -e "s|/opt/cryo/bin/cryo|/usr/bin/cryo|g" -e "s|file:/opt/cryo/docs/|file:/usr/share/doc/cryo/docs/|g" \
        -e "s|cp scripts/health/cryo-agent.service /etc/systemd/system/ && systemctl daemon-reload|(installed by the cryo package)|" \
        "$root/scripts/health/cryo-agent.service" > "$d/lib/systemd/system/cryo-agent.service"
    chmod 0644 "$d/lib/systemd/system/cryo-agent.service"
    # conffiles: packaging's, and the repository's etc/cryo (cryo.conf, where the configuration's owner keeps it)
    install -m 0644 "$here"/etc/cryo/* "$d/etc/cryo/"
    if compgen -G "$root/etc/cryo/*" >/dev/null; then
        install -m 0644 "$root"/etc/cryo/* "$d/etc/cryo/"
    fi
    install -m 0644 "$here/etc/default/cryo-agent" "$d/etc/default/cryo-agent"

    native_man_page cr_checkpoint "save running processes to a context file (BLCR's command)" "$d/usr/share/man/man1"
    native_man_page cr_restart "restart processes from a context file (BLCR's command)" "$d/usr/share/man/man1"
    java_man_pages cryo "$d/usr/share/man/man1"
    # cryo checkpoint and cryo restart are cr_checkpoint and cr_restart (bin/cryo)
    ln -s cr_checkpoint.1 "$d/usr/share/man/man1/cryo-checkpoint.1"
    ln -s cr_restart.1 "$d/usr/share/man/man1/cryo-restart.1"
    compress_man_pages "$d/usr/share/man/man1"

    install -m 0644 "$generated/completion/cryo" "$generated/completion/cr_run" \
        "$d/usr/share/bash-completion/completions/"
    install -m 0644 "$here/completion/cr_checkpoint" "$d/usr/share/bash-completion/completions/cr_checkpoint"
    ln -s cr_checkpoint "$d/usr/share/bash-completion/completions/cr_restart"

    doc_files cryo README.md
    install -d "$d/usr/share/doc/cryo/docs"
    install -m 0644 "$root"/docs/*.md "$d/usr/share/doc/cryo/docs/"

    local libs
    libs=$(shlib_depends "$d/$home/bin/cryo-engine" "$d/$home/bin/cr_checkpoint" "$d/$home/bin/cr_restart" \
        "$d/$home/bin/cryo-demo-counter" "$d/$home/lib/libcryojni.so" "$d/usr/lib/$multiarch/libcryo_callbacks.so")
    [[ -n $libs ]] || die "dpkg-shlibdeps found no library dependencies"
    control cryo "$arch" "checkpoint/restart of Linux processes and batch jobs, without a kernel module" \
        "default-jre-headless (>= 2:1.17) | java17-runtime-headless, bash (>= 5), $libs" \
        "Recommends: bash-completion, man-db"
    for program in postinst prerm postrm triggers; do
        maintainer_script cryo "$program"
    done
    chmod 0644 "$d/DEBIAN/triggers"
    build_package cryo
}

# --- an adapter: its jar, its libraries (not the core's again), its bin/, its pages --------------
package_adapter() {
    local module=$1 name=$2 architecture=$3 summary=$4 depends=$5 extra=${6:-}
    local d=$stage/$name
    install -d "$d/$home/$module" "$d/usr/share/man/man1"
    install -m 0644 "$(module_jar "$module")" "$d/$home/$module/"
    local jar
    if [[ -d $root/$module/target/lib ]]; then
        for jar in "$root/$module"/target/lib/*.jar; do
            [[ -e $jar ]] || continue
            [[ -e $root/core-checkpoint/target/lib/$(basename "$jar") || $(basename "$jar") == core-checkpoint-* ]] && continue
            install -d "$d/$home/$module/lib"
            install -m 0644 "$jar" "$d/$home/$module/lib/"
        done
    fi
    if [[ -d $root/$module/bin ]]; then
        install -d "$d/$home/$module/bin"
        cp -a "$root/$module/bin/." "$d/$home/$module/bin/"
    fi
    # a scheduler's hook scripts (PBS: the MoM periodic hook that cryo pbs install-hook imports)
    if [[ -d $root/$module/hooks ]]; then
        install -d "$d/$home/$module/hooks"
        install -m 0644 "$root/$module"/hooks/* "$d/$home/$module/hooks/"
    fi
    java_man_pages "$name" "$d/usr/share/man/man1"
    compress_man_pages "$d/usr/share/man/man1"
    rmdir --ignore-fail-on-non-empty "$d/usr/share/man/man1"
    doc_files "$name" "$module/README.md"
    control "$name" "$architecture" "$summary" "$depends" "$extra"
    build_package "$name"
}

package_slurm() {
    local d=$stage/cryo-slurm spank slurm
    # cryo_spank.so for each Slurm it was built against (plugin-slurm/spank/build.sh)
    for spank in "$root"/plugin-slurm/target/spank/*/cryo_spank.so; do
        [[ -e $spank ]] || continue
        slurm=$(basename "$(dirname "$spank")")
        install -D -m 0644 --strip "$spank" "$d/$home/plugin-slurm/spank/$slurm/cryo_spank.so"
    done
    [[ -d $d/$home/plugin-slurm/spank ]] || say "cryo-slurm: no cryo_spank.so built (libslurm-dev): packaged without it"
    package_adapter plugin-slurm cryo-slurm "$arch" "Cryo for Slurm: cryo slurm, cryo sbatch, SPANK plugin" \
        "cryo (= $version), bash" "Recommends: slurm-client"
}

main() {
    require "$generated/man/cryo" "$generated/completion/cryo"
    rm -rf "$stage" "$out"
    mkdir -p "$stage" "$out"
    render_java_man_pages
    package_cryo
    package_slurm
    # Grid Engine's DRMAA (its Java binding and libdrmaa.so, which must match the installed Grid Engine)
    package_adapter plugin-sge cryo-sge all "Cryo for Grid Engine: cryo sge, checkpointing environment" \
        "cryo (= $version), libdrmaa1.0-java, gridengine-drmaa1.0" "Recommends: gridengine-client"
    # OpenPBS is not a Debian package (/opt/pbs): nothing to depend on but setpriv and logger
    package_adapter plugin-pbs cryo-pbs all "Cryo for PBS: cryo pbs, the MoM's checkpoint actions, the health hook" \
        "cryo (= $version), util-linux, bsdutils"
}

main
