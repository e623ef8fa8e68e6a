# Shared pieces of the real-kernel tiers (scripts/kernel-usb-tier, scripts/lossy-link-tier): a
# QEMU guest running Debian's own kernel from an initramfs of busybox, the kernel modules a tier
# asks for, the provision binary and the shared libraries it loads. Sourced, not run.
#
# The caller sets: repo (the checkout), work (its cache and work folder), and `say`/`die`.
# Functions set globals (bash has no better return for several values):
#   qg_tools PKG...            installs what is missing with apt (qemu-system-x86, busybox-static, cpio, ...)
#   qg_kernel TAG MODULE...    Debian's current linux-image-*-amd64 from the apt mirror only; sets
#                              kpkg, kver, kdir, vmlinuz and qg_load_order (the modules and their
#                              dependencies, each after what it depends on)
#   qg_provision_bin           sets bin (PROVISION_BIN, or .build/debug/provision, built if missing)
#   qg_rootfs ROOTFS EXE...    busybox, the modules, provision and each EXE with every shared
#                              library they load, at their own paths
#   qg_boot ROOTFS TIMEOUT MEM CONSOLE PATTERN   packs and boots; the console lines matching
#                              PATTERN are shown as they come; sets qemu_rc

qg_now() { date +%s.%N; }
qg_since() { awk -v a="$1" -v b="$(qg_now)" 'BEGIN { printf "%.1f", b - a }'; }

SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
qg_apt_updated=0

qg_tools() {
    local p missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]}"
        $SUDO apt-get update -qq
        qg_apt_updated=1
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    busybox=/bin/busybox
    [ -x "$busybox" ] || die "busybox-static is not installed ($busybox missing)"
}

qg_resolve_kernel() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'; }

# TAG names the module set: the extracted kernel is shared, each set keeps its own load order.
qg_kernel() {
    local tag=$1; shift
    kpkg=$(qg_resolve_kernel || true)
    if [ -z "$kpkg" ] && [ "$qg_apt_updated" = 0 ]; then
        $SUDO apt-get update -qq
        kpkg=$(qg_resolve_kernel || true)
    fi
    [ -n "$kpkg" ] || die "cannot resolve linux-image-amd64 to a kernel package (apt-cache depends linux-image-amd64)"
    kver=$(apt-cache policy "$kpkg" | awk '/Candidate:/ { print $2 }')
    kdir="$work/kernel/$kpkg-$kver"
    qg_load_order="$kdir/load-order.$tag"
    local deb="$work/cache/${kpkg}_${kver//:/%3a}_amd64.deb"
    if [ ! -f "$kdir/.extracted" ]; then
        rm -rf "$kdir"; mkdir -p "$kdir" "$work/cache"
        if [ ! -f "$deb" ]; then
            say "apt-get download $kpkg ($kver)"
            # apt's sandbox user cannot write into the repo's folder; the download is still apt's own.
            (cd "$work/cache" && apt-get download -q -o APT::Sandbox::User=root "$kpkg=$kver" >/dev/null)
            [ -f "$deb" ] || die "apt-get download $kpkg=$kver did not produce $deb"
        fi
        # vmlinuz and every module (about 400 MB unpacked; a tier packs only what it loads).
        dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$kdir" --wildcards "./boot/vmlinuz-*" "./lib/modules/*"
        touch "$kdir/.extracted"
    fi
    if [ ! -f "$qg_load_order" ]; then
        local order=$qg_load_order.tmp
        : > "$order"
        declare -A placed=()
        qg_find_ko() {  # module name (- and _ are the same) -> .ko path
            find "$kdir/lib/modules" -name '*.ko' | awk -v n="${1//-/_}" '{ b=$0; sub(/.*\//, "", b); sub(/\.ko$/, "", b); gsub(/-/, "_", b); if (b == n && !found) { print; found = 1 } }'
        }
        qg_place() {  # each module after its dependencies (from each .ko's own `depends=`)
            local n=${1//-/_} ko dep
            [ -n "${placed[$n]:-}" ] && return 0
            placed[$n]=1
            ko=$(qg_find_ko "$1")
            [ -n "$ko" ] || die "module $1 is not in $kpkg"
            for dep in $(tr '\0' '\n' < "$ko" | sed -n 's/^depends=//p' | tr ',' ' '); do qg_place "$dep"; done
            echo "${ko#"$kdir"/}" >> "$order"
        }
        local m
        for m in "$@"; do qg_place "$m"; done
        mv "$order" "$qg_load_order"
    fi
    vmlinuz=$(ls "$kdir"/boot/vmlinuz-* | head -n1)
}

qg_provision_bin() {
    bin=${PROVISION_BIN:-$repo/.build/debug/provision}
    if [ ! -x "$bin" ]; then
        say "building provision (debug; scripts/test normally has done this)"
        (cd "$repo" && swift build --product provision)
        bin=$(cd "$repo" && swift build --show-bin-path)/provision
    fi
}

qg_rootfs() {
    local rootfs=$1; shift
    rm -rf "$rootfs"
    mkdir -p "$rootfs"/{bin,sbin,usr/bin,dev,proc,sys,tmp,run,etc,root,work,lib/modules}
    cp "$busybox" "$rootfs/bin/busybox"
    local applet ko exe lib libdirs=""
    for applet in $("$busybox" --list); do
        [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
    done
    while read -r ko; do cp "$kdir/$ko" "$rootfs/lib/modules/"; done < "$qg_load_order"
    sed 's#.*/##; s#\.ko$##' "$qg_load_order" > "$rootfs/lib/modules/order"
    # The binary (debug info dropped from a copy) and every shared library it loads, at their own
    # paths, so the dynamic loader finds them as here.
    strip --strip-debug -o "$rootfs/usr/bin/provision" "$bin"
    for exe in "$@"; do cp "$exe" "$rootfs/usr/bin/$(basename "$exe")"; done
    for lib in $(for exe in "$bin" "$@"; do ldd "$exe"; done | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }' | sort -u); do
        mkdir -p "$rootfs$(dirname "$lib")"
        if [ ! -e "$rootfs$lib" ]; then
            case "$lib" in
                */ld-linux*|*/libc.so*|*/libm.so*|*/libpthread*) cp -L "$lib" "$rootfs$lib" ;;
                *) strip --strip-debug -o "$rootfs$lib" "$(readlink -f "$lib")" ;;
            esac
        fi
        case ":$libdirs:" in *":$(dirname "$lib"):"*) ;; *) libdirs="$libdirs:$(dirname "$lib")" ;; esac
    done
    [ -e "$rootfs/lib64/ld-linux-x86-64.so.2" ] || { mkdir -p "$rootfs/lib64"; cp -L /lib64/ld-linux-x86-64.so.2 "$rootfs/lib64/"; }
    echo "${libdirs#:}" > "$rootfs/etc/libdirs"
    echo "root:x:0:0:root:/root:/bin/sh" > "$rootfs/etc/passwd"
    echo "root:x:0:" > "$rootfs/etc/group"
    echo "127.0.0.1 localhost" > "$rootfs/etc/hosts"
}

# TCG: KVM does not work on these machines (linux-test-infra §6). The guest's clock is set from
# the host's on the kernel command line (no RTC time otherwise).
qg_boot() {
    local rootfs=$1 timeout_s=$2 mem=$3 console=$4 pattern=$5
    local initrd="$work/initrd.cpio"
    (cd "$rootfs" && find . | cpio -o -H newc --quiet) > "$initrd"
    say "initramfs $(du -m "$initrd" | cut -f1) MiB; kernel $kpkg $kver"
    set +e
    timeout --kill-after=10 "$timeout_s" qemu-system-x86_64 -machine q35 -smp 2 -m "$mem" -nographic -no-reboot \
        -kernel "$vmlinuz" -initrd "$initrd" -append "console=ttyS0 quiet panic=-1 provision.utc=$(date -u +%Y-%m-%dT%H:%M:%S)" < /dev/null 2>&1 \
        | sed -u 's/\r$//; s/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' | tee "$console" | grep --line-buffered -E "$pattern"
    qemu_rc=${PIPESTATUS[0]}
    set -e
}
