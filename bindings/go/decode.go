package kissmon

/*
#include "kissmon.h"
*/
import "C"

import (
	"encoding/json"
	"unsafe"
)

// DecodeLine decodes one protocol line (without its newline) with the
// library's decoder, the one the reference monitor uses, and returns the
// message's canonical JSON. A line that breaks the protocol gives a
// *DecodeError with the spec's error class and the field at fault.
func DecodeLine(line []byte) (json.RawMessage, error) {
	var text *C.char
	var decodeErr C.kissmon_decode_error
	status := C.kissmon_decode_line((*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(line))), C.size_t(len(line)), &text, &decodeErr)
	switch status {
	case C.KISSMON_STATUS_OK:
		defer C.kissmon_string_free(text)
		return json.RawMessage(C.GoString(text)), nil
	case C.KISSMON_STATUS_DECODE_FAILED:
		defer C.kissmon_decode_error_free(&decodeErr)
		err := &DecodeError{
			Class:  C.GoString(C.kissmon_error_class_str(C.int(decodeErr.error_class))),
			Detail: C.GoString(decodeErr.detail),
		}
		if decodeErr.field != nil {
			err.Field = C.GoString(decodeErr.field)
		}
		return nil, err
	default:
		return nil, &Error{Status: int(status), Message: C.GoString(C.kissmon_last_error_message())}
	}
}
