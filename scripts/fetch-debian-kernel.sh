#!/usr/bin/env bash
# Fetch Debian 12's current amd64 kernel (image, build tree and debuginfo)
# for cross-kernel tests, into a cache outside the repository.  Never a pinned
# version: the meta package linux-image-amd64 names the current one.
#
#   dir=$(bash scripts/fetch-debian-kernel.sh)
#
# Prints exactly one line on stdout, the absolute path of CACHE/RELEASE,
# which holds:
#   release     the release string (e.g. 6.1.0-56-amd64)
#   root/       the unpacked packages: root/boot/vmlinuz-RELEASE (the
#               compressed image, whose .BTF src/target/kimage.c reads),
#               root/lib/modules/RELEASE/build (the build tree: absolute
#               symlinks and the Makefile's absolute include are rewritten
#               to stay inside root/, so `make -C .../build M=DIR` works),
#               root/usr/lib/debug/boot/vmlinux-RELEASE (the DWARF
#               debuginfo, for src/target/dwarf.c: only this file of
#               linux-image-RELEASE-dbg, whose ~860 MB .deb is not kept)
#   debs/       the downloaded .deb files (but the debuginfo's)
# CACHE is $CTAP_KERNEL_CACHE, default /var/cache/ctap-kernels.  Idempotent
# and silent when the release is already there (a finished release has its
# `release` file and its debuginfo vmlinux; it is unpacked elsewhere and
# renamed into place).  A release fetched before the debuginfo was gets the
# debuginfo added on the next run.
# On failure: a message on stderr and exit 1; when the package registry
# cannot be reached the message contains "cannot reach the package registry"
# (the tests turn that into SKIP).
set -euo pipefail

me=fetch-debian-kernel.sh
cache=$(realpath -m "${CTAP_KERNEL_CACHE:-/var/cache/ctap-kernels}")

die() {
  echo "$me: $*" >&2
  exit 1
}

# apt's phrases for a network that failed (not for a missing file: a 404
# means stale package lists, which one update fixes).
unreachable_re='Could not resolve|Temporary failure resolving|Could not connect|Unable to connect|Connection failed|Connection timed out|Connection refused|Network is unreachable|No route to host'

log=$(mktemp "${TMPDIR:-/tmp}/ctap-fetch.XXXXXX")
work=
cleanup() {
  rm -f "$log"
  [[ -n $work ]] && rm -rf "$work"
  [[ -n ${dbgwork:-} ]] && rm -rf "$dbgwork"
  return 0
}
trap cleanup EXIT

updated=
# apt_update: one `apt-get update` per run; dies if the registry is unreachable.
apt_update() {
  [[ -z $updated ]] || return 0
  updated=1
  local rc=0
  apt-get update -qq >"$log" 2>&1 || rc=$?
  if grep -qE "$unreachable_re" "$log"; then
    die "cannot reach the package registry (apt-get update): $(grep -E "$unreachable_re" "$log" | head -n 1 | sed 's/^ *//')"
  fi
  ((rc == 0)) || die "apt-get update failed: $(head -n 3 "$log")"
}

# unreachable: die if the log shows the registry could not be reached.
unreachable() {
  grep -qE "$unreachable_re" "$log" || return 0
  die "cannot reach the package registry (apt-get download): $(grep -E "$unreachable_re" "$log" | head -n 1 | sed 's/^ *//')"
}

# resolve_image: set image_pkg and release from the package lists; false if
# the lists do not know them.
resolve_image() {
  image_pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
  [[ -n $image_pkg ]] || return 1
  release=${image_pkg#linux-image-}
  [[ $release =~ ^[0-9]+\.[0-9]+\.[0-9]+-[0-9]+-amd64$ ]] ||
    die "unexpected image package name $image_pkg (from apt-cache depends linux-image-amd64)"
}

# resolve_headers: set headers_pkg, common_pkg and kbuild_pkg for $release;
# the headers package's dependencies name the common headers and kbuild.
resolve_headers() {
  headers_pkg=linux-headers-$release
  local deps d name
  deps=$(apt-cache show --no-all-versions "$headers_pkg" 2>/dev/null | sed -n 's/^Depends: //p' | head -n 1)
  [[ -n $deps ]] || return 1
  common_pkg='' kbuild_pkg=''
  IFS=',' read -ra dep_list <<<"$deps"
  for d in "${dep_list[@]}"; do
    name=$(awk '{print $1}' <<<"$d")
    case $name in
      linux-headers-*-common) common_pkg=$name ;;
      linux-kbuild-*) kbuild_pkg=$name ;;
    esac
  done
  [[ $common_pkg == "linux-headers-${release%-amd64}-common" ]] ||
    die "$headers_pkg: expected a dependency on linux-headers-${release%-amd64}-common, got: $deps"
  [[ -n $kbuild_pkg ]] || die "$headers_pkg: no linux-kbuild-* dependency in: $deps"
}

# debuginfo: the debuginfo vmlinux's path in a release's root/.
debuginfo() { echo "usr/lib/debug/boot/vmlinux-$release"; }

# done_already: print the finished release's directory and exit, if it is
# there with its debuginfo.
done_already() {
  if [[ -f $cache/$release/release && -f $cache/$release/root/$(debuginfo) ]]; then
    echo "$cache/$release"
    exit 0
  fi
}

# download DIR: apt-get download the four packages into DIR; false on failure
# with apt's output in $log.
download() {
  (cd "$1" && apt-get download -q "$image_pkg" "$headers_pkg" "$common_pkg" "$kbuild_pkg") \
    >"$log" 2>&1
}

# add_debuginfo ROOT: download linux-image-$release-dbg into a scratch
# directory of the cache and keep only its vmlinux, at ROOT/$(debuginfo)
# (extracted beside it, then renamed into place); the .deb is deleted.
dbgwork=
add_debuginfo() {
  local root=$1 pkg=linux-image-$release-dbg deb
  dbgwork=$(mktemp -d "$cache/.fetch-$release-dbg.XXXXXX")
  chmod 0777 "$dbgwork" # apt's _apt user downloads into it
  if ! (cd "$dbgwork" && apt-get download -q "$pkg") >"$log" 2>&1; then
    unreachable
    # Stale lists: one update, then the same release's package again.
    [[ -z $updated ]] || { sed 's/^/    /' "$log" >&2; die "apt-get download $pkg failed"; }
    apt_update
    if ! (cd "$dbgwork" && apt-get download -q "$pkg") >"$log" 2>&1; then
      unreachable
      sed 's/^/    /' "$log" >&2
      die "apt-get download $pkg failed"
    fi
  fi
  deb=$(compgen -G "$dbgwork/${pkg}_*.deb" | head -n 1) || true
  [[ -n $deb ]] || die "apt-get download left no .deb for $pkg"
  # tar reads the whole archive (about 35 s); stopping early would fail the pipe.
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dbgwork" "./$(debuginfo)" ||
    die "cannot extract ./$(debuginfo) from $deb"
  rm -f "$deb"
  mkdir -p "$(dirname "$root/$(debuginfo)")" && mv "$dbgwork/$(debuginfo)" "$root/$(debuginfo)" ||
    die "cannot move the debuginfo into $root"
  rm -rf "$dbgwork"
  dbgwork=
}

if ! resolve_image; then
  apt_update # no package lists
  resolve_image || die "the package lists name no linux-image-*-amd64 (apt-cache depends linux-image-amd64)"
fi
done_already
# Complete but for the debuginfo (fetched before this script took it): add it.
if [[ -f $cache/$release/release ]]; then
  exec 9>"$cache/.lock"
  flock 9
  done_already
  add_debuginfo "$cache/$release/root"
  echo "$cache/$release"
  exit 0
fi
if ! resolve_headers; then
  apt_update # lists older than the headers package
  resolve_image || die "the package lists name no linux-image-*-amd64 (apt-cache depends linux-image-amd64)"
  done_already
  resolve_headers || die "the package lists have no linux-headers-$release"
fi

mkdir -p "$cache" || die "cannot create the cache directory $cache"
# One fetch at a time per cache; a second caller waits and then finds it done.
exec 9>"$cache/.lock"
flock 9
done_already

# Download into a scratch directory inside the cache (so that the final
# rename is atomic).  apt's _apt user must be able to write there, or apt
# warns that it downloads unsandboxed as root.
# new_work: a fresh scratch directory in $work.
new_work() {
  work=$(mktemp -d "$cache/.fetch-$release.XXXXXX")
  chmod 0755 "$work"
  mkdir "$work/debs" "$work/root"
  chmod 0777 "$work/debs"
}

new_work
if ! download "$work/debs"; then
  unreachable
  # Stale lists name a version the registry no longer has: update, retry.
  [[ -z $updated ]] || { sed 's/^/    /' "$log" >&2; die "apt-get download failed"; }
  apt_update
  { resolve_image && resolve_headers; } || die "after apt-get update, the package lists name no current kernel"
  rm -rf "$work"
  work=
  done_already
  new_work
  if ! download "$work/debs"; then
    unreachable
    sed 's/^/    /' "$log" >&2
    die "apt-get download $image_pkg $headers_pkg $common_pkg $kbuild_pkg failed"
  fi
fi
chmod 0755 "$work/debs"

for p in "$image_pkg" "$headers_pkg" "$common_pkg" "$kbuild_pkg"; do
  deb=$(compgen -G "$work/debs/${p}_*.deb" | head -n 1) || true
  [[ -n $deb ]] || die "apt-get download left no .deb for $p"
  dpkg-deb -x "$deb" "$work/root" || die "cannot unpack $deb"
done

# Absolute symlinks (lib/modules/R/build -> /usr/src/linux-headers-R, ...)
# would point into this machine; make each relative, inside root/.
root=$work/root
while IFS= read -r -d '' link; do
  target=$(readlink "$link")
  [[ $target == /* ]] || continue
  rel=$(realpath -ms --relative-to="$(dirname "$link")" "$root$target")
  ln -sfn "$rel" "$link"
done < <(find "$root" -type l -print0)

# The build tree's Makefile is one line, `include /usr/src/...-common/Makefile`:
# include the unpacked copy instead, found relative to this Makefile's own
# (symlink-resolved) directory so that the cache can move.
build=$root/lib/modules/$release/build
[[ -f $build/Makefile ]] || die "$headers_pkg has no lib/modules/$release/build/Makefile"
makefile=$(realpath "$build/Makefile")
while IFS= read -r inc; do
  [[ -f $root$inc ]] || die "$makefile includes $inc, which $common_pkg does not provide"
  rel=$(realpath -ms --relative-to="$(dirname "$makefile")" "$root$inc")
  sed -i "s|^include $inc\$|include \$(dir \$(realpath \$(lastword \$(MAKEFILE_LIST))))$rel|" "$makefile"
done < <(sed -n 's|^include \(/[^ ]*\)$|\1|p' "$makefile")

[[ -f $root/boot/vmlinuz-$release ]] || die "$image_pkg has no boot/vmlinuz-$release"
[[ -f $build/.config && -f $build/scripts/Makefile.build && -d $build/include/ ]] ||
  die "$build is not a usable build tree (.config, scripts/ from $kbuild_pkg, include/)"
add_debuginfo "$root"

echo "$release" >"$work/release"
rm -rf "${cache:?}/$release"
mv "$work" "$cache/$release"
work=
echo "$cache/$release"
