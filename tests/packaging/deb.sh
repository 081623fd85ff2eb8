# shellcheck shell=bash
# Building and querying xlb's Debian package from a configured build tree, and running xlbd as
# its unit does: for the packaging tests and scripts/measure-capabilities.sh.

# deb_version <build-dir>: the version `make package` gives the package (the project's).
deb_version() {
  sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$1/CPackConfig.cmake"
}

# deb_build <build-dir> <out-dir> [version]: what `make package` does (the binaries must be
# built), into <out-dir>; prints the .deb's path.
deb_build() {
  local build=$1 out=$2 version=${3:-}
  local args=(--config "$build/CPackConfig.cmake" -G DEB -B "$out")
  [[ -n $version ]] && args+=(-D CPACK_PACKAGE_VERSION="$version")
  mkdir -p "$out"
  cpack "${args[@]}" >"$out/cpack.log" 2>&1 || {
    cat "$out/cpack.log" >&2
    return 1
  }
  ls "$out"/xlb_*.deb
}

# deb_with_version <deb> <version> <out-dir>: the same package under another version (a
# release that changes nothing but its number); prints the new .deb's path.
deb_with_version() {
  local deb=$1 version=$2 out=$3 tree
  tree=$(mktemp -d "${TMPDIR:-/tmp}/xlb-deb-XXXX")
  dpkg-deb -R "$deb" "$tree/pkg"
  sed -i "s/^Version: .*/Version: $version/" "$tree/pkg/DEBIAN/control"
  mkdir -p "$out"
  dpkg-deb --root-owner-group -b "$tree/pkg" "$out" >/dev/null
  rm -rf "$tree"
  ls "$out"/xlb_"${version}"_*.deb
}

deb_is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"
}

deb_installed_version() { dpkg-query -W -f='${Version}' "$1"; }

# as_unit_argv "<CAP_X CAP_Y ...>": AS_UNIT=(setpriv ...), the command prefix that runs a program
# as xlbd.service runs xlbd: root with exactly those capabilities as its bounding set (hence
# permitted and effective: CapabilityBoundingSet=), no new privileges (NoNewPrivileges=).
as_unit_argv() {
  local list="-all" cap
  for cap in $1; do list+=",+$(tr '[:upper:]' '[:lower:]' <<<"${cap#CAP_}")"; done
  # shellcheck disable=SC2034  # the caller's
  AS_UNIT=(setpriv --bounding-set="$list" --inh-caps=-all --no-new-privs)
}
