// libFuzzer's driver, called from each harness's entry point. SwiftPM links an executable with
// `main` aliased to `<Target>_main`, so libFuzzer's own `main` is never used; the harness
// defines `<Target>_main` and hands control to the driver with its test callback.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

static inline int fuzz_entry(int argc, char **argv, int (*callback)(const uint8_t *data, size_t size)) {
    return LLVMFuzzerRunDriver(&argc, &argv, callback);
}
