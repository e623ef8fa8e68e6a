#pragma once
#include <libusb-1.0/libusb.h>   // full path: builds even when pkg-config finds nothing
// libusb_set_option() is variadic and so not callable from Swift.
static inline int shim_libusb_set_log_level(libusb_context *c, int level) {
    return libusb_set_option(c, LIBUSB_OPTION_LOG_LEVEL, level);
}
