# Sourced by the test scripts that need a Debian package (chromium,
# prometheus, prometheus-alertmanager, postgresql).
#
#   need_debian_package CALLER PACKAGE WHAT
#
# installs PACKAGE with apt (as root) when the caller found WHAT missing, and
# otherwise stops the caller with an error that names WHAT and the package.

need_debian_package() {
  local caller="$1" package="$2" what="$3"
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "$caller: $what is missing: install Debian's $package package (as root: apt-get install -y $package)" >&2
    exit 1
  fi
  echo "$caller: installing Debian's $package package ($what is missing)"
  local started=$SECONDS
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
  echo "$caller: installed $package in $((SECONDS - started))s"
}
