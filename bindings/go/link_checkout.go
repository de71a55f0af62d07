//go:build !kissmon_pkgconfig

package kissmon

// The library of this checkout: build-lib.sh builds libkissmon.a and copies
// it to lib/. It is linked by its full path: with -lkissmon the linker would
// pick libkissmon.so if it sat in the same folder. A module downloaded
// without the checkout has no lib/: build with -tags kissmon_pkgconfig.

/*
#cgo CFLAGS: -I${SRCDIR}/../c/include
#cgo LDFLAGS: ${SRCDIR}/lib/libkissmon.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
*/
import "C"
