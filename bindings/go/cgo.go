package kissmon

// The one file that talks to C. Where the header and the static library
// come from is link_checkout.go's (the default: this checkout's build) or
// link_pkgconfig.go's (build tag kissmon_pkgconfig: an installed library).

/*
#cgo noescape kissmon_go_log_llm_usage
#cgo nocallback kissmon_go_log_llm_usage
#cgo noescape kissmon_client_heartbeat
#cgo nocallback kissmon_client_heartbeat
#cgo noescape kissmon_client_heartbeat_with_lag
#cgo nocallback kissmon_client_heartbeat_with_lag
#cgo noescape kissmon_client_stats
#cgo nocallback kissmon_client_stats
#include <stdlib.h>
#include "glue.h"
*/
import "C"

import (
	"unsafe"
)

func init() {
	abiV2()
}

// abiV2 is the ABI check: linking fails against a libkissmon of another ABI
// version. It does nothing else, so it also times a bare cgo call.
func abiV2() { C.kissmon_abi_v2() }

// emptyString gives "" a non-NULL address: NULL means "absent" for optional strings.
var emptyString = [1]byte{0}

// cString passes s to C without copying, for the duration of one call. Go
// string bytes hold no pointers, so cgo allows it.
func cString(s string) (*C.char, C.size_t) {
	if len(s) == 0 {
		return (*C.char)(unsafe.Pointer(&emptyString[0])), 0
	}
	return (*C.char)(unsafe.Pointer(unsafe.StringData(s))), C.size_t(len(s))
}

// failure turns a status and the copied last error into a Go error.
func failure(r C.kissmon_go_result) error {
	defer C.free(unsafe.Pointer(r.message))
	defer C.free(unsafe.Pointer(r.argument))
	message := C.GoString(r.message)
	switch r.status {
	case C.KISSMON_STATUS_INVALID_ARGUMENT, C.KISSMON_STATUS_NULL_ARGUMENT, C.KISSMON_STATUS_INVALID_UTF8:
		if r.argument != nil {
			return &ArgumentError{Argument: C.GoString(r.argument), Message: message}
		}
	}
	return &Error{Status: int(r.status), Message: message}
}

func statusText(status C.kissmon_status) string {
	return C.GoString(C.kissmon_status_str(C.int(status)))
}
