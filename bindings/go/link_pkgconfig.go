//go:build kissmon_pkgconfig

package kissmon

// An installed library (the release tarball libkissmon-<v>-linux-x86_64.tar.gz
// or bindings/c/build-lib.sh's folder), found by pkg-config through
// $PKG_CONFIG_PATH: kissmon-static.pc gives the header folder, the full path
// of libkissmon.a and the system libraries it needs.

// #cgo pkg-config: kissmon-static
import "C"
