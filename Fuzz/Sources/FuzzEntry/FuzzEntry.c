// Empty: the header's inline entry is all there is; a C target needs one source file.
#include "FuzzEntry.h"
