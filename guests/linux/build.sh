#!/usr/bin/env bash
# Builds ready-to-boot Linux guests from Debian packages (never committed):
#   .cache/guests/amd64/{vmlinuz,initrd.img,config}   linux-image-amd64 + busybox-static
#   .cache/guests/i386/{vmlinuz,initrd.img,config}    linux-image-686 + busybox-static:i386
# The kernel is Debian's bzImage unchanged. The initramfs holds busybox, the virtio and
# AES-NI/PCLMULQDQ crypto modules the kernel builds as modules, and an /init that
# mounts proc, sysfs and devtmpfs, loads those modules, prints a banner and starts a shell
# on the console; `poweroff -f` powers off through ACPI.
#
# usage: guests/linux/build.sh [amd64] [i386]     (default: both)
# Needs apt-get and dpkg-deb (Debian or Ubuntu). The i386 packages need the i386 foreign
# architecture: as root the script runs `dpkg --add-architecture i386 && apt-get update`
# itself; otherwise it says what to run.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${GUEST_CACHE:-$root/.cache/guests}"
arches=("$@")
[ ${#arches[@]} -eq 0 ] && arches=(amd64 i386)

if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
  cat >&2 <<'MSG'
guest:linux: this machine has no apt-get/dpkg-deb, so the Debian packages cannot be fetched.
Supply the images yourself, then boot them with wasmkvm:
  - a Linux bzImage (e.g. /boot/vmlinuz-* of any x86 distribution, or arch/x86/boot/bzImage
    of a kernel you built) as .cache/guests/<arch>/vmlinuz;
  - an initramfs (a gzip'ed newc cpio with an executable /init, e.g. busybox: pack a
    directory with `node guests/linux/mkinitramfs.mjs DIR initrd.img`) as
    .cache/guests/<arch>/initrd.img.
  node bin/wasmkvm.mjs run --kernel .cache/guests/<arch>/vmlinuz --initrd .cache/guests/<arch>/initrd.img --append "console=ttyS0"
MSG
  exit 1
fi

# Drivers /init loads when the kernel has them as modules (=m); built-in ones (=y) and ones
# the architecture lacks (ghash-clmulni on i386) need nothing: virtio, and the AES-NI and
# PCLMULQDQ crypto drivers, whose self-tests the boot test reads in /proc/crypto.
wanted_modules=(virtio_pci virtio_blk virtio_console virtio-rng aesni_intel ghash_clmulni_intel crc32_pclmul crc32c_intel crct10dif_pclmul)

ensure_i386() {
  if dpkg --print-foreign-architectures | grep -qx i386; then return; fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "guest:linux: the i386 packages need the i386 architecture; as root run:" >&2
    echo "  dpkg --add-architecture i386 && apt-get update" >&2
    exit 1
  fi
  dpkg --add-architecture i386
  # A mirror in mid-sync fails one index now and then; the main archive is enough.
  apt-get update -qq || echo "guest:linux: apt-get update reported errors; going on with the lists it has" >&2
}

# The versioned kernel package a metapackage (linux-image-amd64) depends on.
kernel_package() {
  local meta="$1"
  apt-cache depends "$meta" | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}

# Decompressed bytes of a module file.
module_bytes() {
  case "$1" in
    *.ko.xz) xz -dc "$1" ;;
    *.ko.zst) zstd -qdc "$1" ;;
    *) cat "$1" ;;
  esac
}

# Copies module $1 (name with '_') and, first, what it depends on into $ir/lib/modules,
# appending each to loaded[] in load order. A name without a file is built in.
add_module() {
  local m="$1" f deps d
  [ -n "${seen[$m]:-}" ] && return 0
  seen[$m]=1
  f="${path_of[$m]:-}"
  [ -z "$f" ] && return 0
  deps="$(module_bytes "$f" | grep -a -o 'depends=[^[:cntrl:]]*' | head -n1 | cut -d= -f2)"
  for d in ${deps//,/ }; do add_module "${d//-/_}"; done
  module_bytes "$f" >"$ir/lib/modules/$m.ko"
  loaded+=("$m.ko")
}

build_arch() {
  local arch="$1" meta busybox_pkg
  case "$arch" in
    amd64) meta=linux-image-amd64; busybox_pkg=busybox-static ;;
    i386) meta=linux-image-686:i386; busybox_pkg=busybox-static:i386; ensure_i386 ;;
    *) echo "guest:linux: unknown architecture $arch (amd64 or i386)" >&2; exit 2 ;;
  esac
  local work out
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  # As root, apt downloads as its sandbox user _apt, which must be able to write here.
  if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then chown _apt "$work"; fi
  out="$cache/$arch"
  mkdir -p "$out"

  local kpkg
  kpkg="$(kernel_package "$meta")"
  if [ -z "$kpkg" ]; then
    echo "guest:linux: apt-cache knows no kernel behind $meta; run apt-get update" >&2
    exit 1
  fi
  [ "$arch" = i386 ] && kpkg="${kpkg%%:*}:i386"
  echo "guest:linux: $arch: downloading $kpkg and $busybox_pkg"
  (cd "$work" && apt-get download -qq "$kpkg" "$busybox_pkg")
  mkdir "$work/kernel" "$work/busybox"
  dpkg-deb -x "$work"/linux-image-*.deb "$work/kernel"
  dpkg-deb -x "$work"/busybox-static_*.deb "$work/busybox"

  local vmlinuz config version
  vmlinuz="$(ls "$work"/kernel/boot/vmlinuz-*)"
  config="$(ls "$work"/kernel/boot/config-*)"
  version="${vmlinuz##*/vmlinuz-}"

  # The initramfs tree.
  local ir="$work/initramfs"
  mkdir -p "$ir"/{bin,dev,proc,sys,tmp,etc,lib/modules}
  cp "$work/busybox/bin/busybox" "$ir/bin/busybox"
  ln -s busybox "$ir/bin/sh"
  # Modules come without modules.dep (depmod runs at install time), so dependencies are
  # read from each module's .modinfo "depends=" string.
  local moddir="$work/kernel/lib/modules/$version"
  declare -A path_of=()
  local f n
  while IFS= read -r f; do
    n="${f##*/}"
    n="${n%%.ko*}"
    path_of["${n//-/_}"]="$f"
  done < <(find "$moddir/kernel" -name '*.ko*')
  loaded=()
  declare -A seen=()
  for m in "${wanted_modules[@]}"; do add_module "${m//-/_}"; done
  printf '%s\n' "${loaded[@]}" >"$ir/etc/modules.order"
  cat >"$ir/init" <<'INIT'
#!/bin/sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do insmod "/lib/modules/$m" || echo "init: insmod $m failed"; done </etc/modules.order
echo
echo "wasmkvm busybox initramfs: $(uname -s) $(uname -r) $(uname -m)"
echo "'poweroff -f' powers off."
exec setsid cttyhack sh
INIT
  chmod 755 "$ir/init"
  node "$here/mkinitramfs.mjs" "$ir" "$out/initrd.img"
  cp "$vmlinuz" "$out/vmlinuz"
  cp "$config" "$out/config"
  echo "guest:linux: $arch: kernel $version; modules loaded by /init: ${loaded[*]:-none (virtio built in)}"
  echo "guest:linux: $arch: $out/vmlinuz ($(stat -c %s "$out/vmlinuz") bytes), $out/initrd.img ($(stat -c %s "$out/initrd.img") bytes)"
}

for a in "${arches[@]}"; do build_arch "$a"; done
